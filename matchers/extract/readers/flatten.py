"""JSON values to flat cells: leaf scalars in document order, with their key paths."""

from decimal import Decimal


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


def flatten(value, max_cells: int, max_chars: int, with_keys: bool = False):
    """(cells, keys) of ``value``; keys are paths like "address.city" or "phones.0" (only
    computed when asked). Iterative: hostile JSON nested 100,000 deep must not blow the stack."""
    cells: list[str] = []
    keys: list[str] = []
    stack = [("", value)]
    while stack and len(cells) < max_cells:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed([(f"{path}.{k}" if path else str(k), v) for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}.{i}" if path else str(i), v) for i, v in enumerate(item)]))
        else:
            text = _scalar(item)
            cells.append(text if len(text) <= max_chars else text[:max_chars])
            if with_keys:
                keys.append(path)
    return cells, keys
