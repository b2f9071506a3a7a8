"""The one exception of the extract stage."""

from ..errors import LeakwatchError


class ExtractError(LeakwatchError):
    """A document (or an archive member) could not be read, or was stopped by a limit.

    ``name`` is the display label of the document ("leak.zip!dump.csv"), ``reason`` a short
    one-line explanation. Neither ever contains cell values: the input is leaked personal
    data, and these messages end up in logs and reports.
    """

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


class ReadFailed(LeakwatchError):
    """Raised by a reader with a message that is safe to show (no input content); the document
    turns it into an ExtractError carrying its name. Private to the package."""
