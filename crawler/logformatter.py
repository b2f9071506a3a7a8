"""Scrapy's messages about items, without the items' content.

Scrapy's LogFormatter writes an item whole when it is dropped (INFO) or fails in a pipeline
(ERROR), and when it is scraped (DEBUG). A crawled item's body is a dump: leaked personal data.
Here an item is named by its source, key and URL, and its body by its size.
"""

from scrapy.logformatter import LogFormatter

_NAMING_FIELDS = ("source", "key", "url", "filename")


def describe(item) -> str:
    """'source=pastes key=abc url=http://... 1234 bytes': what a log line may say of an item."""
    try:
        fields = dict(item)
    except (TypeError, ValueError):
        return type(item).__name__
    parts = [f"{name}={fields[name]}" for name in _NAMING_FIELDS if fields.get(name)]
    if "body" in fields:
        parts.append(f"{len(fields['body'] or b'')} bytes")
    return " ".join(parts) or type(item).__name__


class ContentFreeLogFormatter(LogFormatter):
    def dropped(self, item, *args, **kwargs):
        return _named(super().dropped(item, *args, **kwargs), item)

    def item_error(self, item, *args, **kwargs):
        return _named(super().item_error(item, *args, **kwargs), item)

    def scraped(self, item, *args, **kwargs):
        return _named(super().scraped(item, *args, **kwargs), item)


def _named(entry: dict, item) -> dict:
    if isinstance(entry.get("args"), dict) and "item" in entry["args"]:
        entry["args"] = {**entry["args"], "item": describe(item)}
    return entry
