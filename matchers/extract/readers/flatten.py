"""JSON values to flat cells: leaf scalars in document order, with their key paths."""

from decimal import Decimal

from ..cells import windows

#: what a document's notes say when values nested deeper than max_depth_json were left out
DEPTH_NOTE = "{n} JSON values nested deeper than max_depth_json (%d levels) skipped"


def _scalar(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f") if abs(value.as_tuple().exponent) < 30 else str(value)
    return str(value)


def flatten(value, max_cells: int, max_chars: int, with_keys: bool = False, *, max_depth: int = 256,
            notes=None):
    """(cells, keys) of ``value``; keys are paths like "address.city" or "phones.0" (only
    computed when asked, and cut to ``max_cells``: they name a header). Every leaf is a cell
    (the document splits a record wider than max_cells into several). Iterative, and containers
    nested deeper than ``max_depth`` are skipped (counted in ``notes``): hostile JSON nested
    100,000 deep must neither blow the stack nor build 100,000 path strings of 100,000 levels."""
    cells: list[str] = []
    keys: list[str] = []
    skipped = 0
    stack = [(0, "", value)]
    while stack:
        depth, path, item = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= max_depth:
                skipped += 1
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            if with_keys and len(keys) < max_cells:
                stack.extend(reversed([(depth + 1, f"{path}.{k}" if path else str(k), v) for k, v in pairs]))
            else:
                stack.extend(reversed([(depth + 1, "", v) for _, v in pairs]))
        else:
            text = _scalar(item)
            if len(text) <= max_chars:
                cells.append(text)
            else:  # a huge string in windows: its end is read too
                cells.extend(windows(text, max_chars))
            if with_keys and len(keys) < max_cells:
                keys.append(path)
    if skipped and notes is not None:
        notes.add(DEPTH_NOTE % max_depth, skipped)
    return cells, keys
