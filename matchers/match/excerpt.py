"""Redacted excerpts: enough of a matched row to show an analyst what leaked, no value itself.

Each cell keeps its shape (length class, separators, the kind of characters) and at most
its first character; e-mail domains stay (they say which provider, not who). A NIR keeps
its sex digit; a date keeps its separators. '•' stands for a hidden character.
"""

import re

MASK = "•"
MAX_CELL = 24
MAX_CELLS = 16
_KEEP = re.compile(r"[\s/.\-:@+()]")


def redact_cell(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return ""
    if "@" in value and " " not in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}{MASK * min(len(local) - 1, 6)}@{domain[:40]}"
    shown = value[:1] if len(value) > 3 else ""
    masked = shown + "".join(ch if _KEEP.match(ch) else MASK for ch in value[len(shown):MAX_CELL])
    return masked + ("…" if len(value) > MAX_CELL else "")


def redact_row(cells) -> str:
    cells = list(cells)
    text = " | ".join(redact_cell(c) for c in cells[:MAX_CELLS])
    return text + (" | …" if len(cells) > MAX_CELLS else "")
