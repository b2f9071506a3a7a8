"""A confirmed match's response documents by name and format, shared by the CLI, the API and
the pages: one place decides what each export is and how it is named."""

import json

from .notification import FORMATS, notification, render_html, render_markdown

MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def notification_document(facts, lang: str, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the notification draft in `lang` and `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    doc = notification(facts, lang)
    if fmt == "md":
        body = render_markdown(doc).encode()
    elif fmt == "html":
        body = render_html(doc).encode()
    else:
        from .notification_pdf import render_pdf

        body = render_pdf(doc)
    return body, MEDIA[fmt], f"notification-{facts.match['id']}-{lang}.{fmt}"


def stix_document(facts) -> tuple[bytes, str, str]:
    from leakwatch.alerts.stix import stix_bundle

    return (json.dumps(stix_bundle(facts), indent=2).encode(), "application/stix+json;version=2.1",
            f"leakwatch-{facts.match['id']}.stix.json")


def thehive_document(facts, public_url: str = "") -> tuple[bytes, str, str]:
    from leakwatch.alerts.thehive import thehive_alert

    return (json.dumps(thehive_alert(facts, public_url), indent=2).encode(), "application/json",
            f"leakwatch-{facts.match['id']}.thehive.json")
