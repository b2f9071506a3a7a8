"""E-mail addresses: lower-cased, trimmed, shape-checked."""

import re

_EMAIL = re.compile(r"[a-z0-9._%+\-']+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,24}")
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}")


def normalize_email(value: str) -> str | None:
    """' Jean.Dupont@Example.FR ' -> 'jean.dupont@example.fr'; None if not an address."""
    candidate = value.strip().strip("<>\"'").lower()
    return candidate if _EMAIL.fullmatch(candidate) else None
