"""Responding to a confirmed match: who was affected (at the institution), the notification
draft for the data-protection authority, and the time from posting to warning."""

from .facts import MatchFacts, match_facts
from .notification import FORMATS, Document, notification, render_html, render_markdown
from .notification_text import LANGS
from .timing import warning_times

__all__ = ["Document", "FORMATS", "LANGS", "MatchFacts", "match_facts", "notification", "render_html",
           "render_markdown", "warning_times"]
