"""Sheets of a workbook (xlsx, xlsb, ods, xls) as records, with python-calamine.

This runs as a program of its own, in a child process (see ../workbook.py), never imported
by the scanner: calamine holds a whole sheet in memory as a grid as wide and long as its
furthest cells, so a workbook of a few hundred bytes can ask for terabytes, and a Rust
allocation failure aborts the process instead of raising. Here the address space is capped
first (RLIMIT_AS), so the worst a workbook can do is end this process.

    python -I spreadsheet.py MAX_MEMORY MAX_CELLS MAX_CELL_CHARS MAX_LINE_CHARS < workbook

Only the standard library and python_calamine are imported. The workbook is read from stdin;
messages go to stdout as frames (4-byte big-endian length, then UTF-8 JSON):
    ["sheet", name]          a worksheet with data starts (empty sheets are not announced)
    ["rows", [[cell, ...]]]  records of it, cells as text
    ["end_sheet"]
    ["error", name, reason]  that sheet (or the workbook, name null) could not be read
    ["done"]
"""

import datetime
import io
import json
import re
import resource
import sys

BATCH_ROWS = 1000
BATCH_CHARS = 1 << 20
_QUOTED = re.compile(r"([\"'`]).*?\1")


def cell_text(value) -> str:
    """A cell as the text a normalizer reads: integers without ".0" (a phone or a NIR typed as a
    number), dates in ISO form, floats as Excel shows them (15 significant digits)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is datetime.datetime:
        if not (value.hour or value.minute or value.second or value.microsecond):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if kind in (datetime.date, datetime.time):
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


def records(rows, max_cells: int, max_cell_chars: int, max_line_chars: int):
    """Rows of a sheet as records: empty rows skipped. A row is bounded as a line of text is,
    never cut: a cell longer than max_cell_chars is given in windows, and a row wider than
    max_cells cells or longer than max_line_chars characters is given as several records."""
    for row in rows:
        cells = [cell_text(v) for v in row]
        if not any(cells):
            continue
        if len(cells) <= max_cells and sum(map(len, cells)) <= max_line_chars \
                and max(map(len, cells)) <= max_cell_chars:
            yield cells
            continue
        if len(cells) > max_cells:  # the sheet's width: empty cells after the row's last say nothing
            while not cells[-1]:
                cells.pop()
        yield from _pieces(cells, max_cells, max_cell_chars, max_line_chars)


def _pieces(cells: list[str], max_cells: int, max_cell_chars: int, max_line_chars: int):
    piece, chars = [], 0
    for cell in cells:
        for part in _windows(cell, min(max_cell_chars, max_line_chars)):
            if piece and (len(piece) >= max_cells or chars + len(part) > max_line_chars):
                if any(piece):
                    yield piece
                piece, chars = [], 0
            piece.append(part)
            chars += len(part)
    if any(piece):
        yield piece


def _windows(text: str, size: int) -> list[str]:
    """As matchers/extract/cells.py's windows (this program imports only the standard library):
    windows of ``size`` characters overlapping by 256 (a quarter of a window at most), so an
    identifier astride a cut is whole in one of them."""
    if len(text) <= size:
        return [text]
    overlap = min(256, size // 4)
    return [text[at:at + size] for at in range(0, len(text) - overlap, size - overlap)]


def reason(exc: BaseException) -> str:
    """A one-line reason without the workbook's content (quoted parts of messages are dropped)."""
    if isinstance(exc, MemoryError):
        return "stopped: a sheet needs more memory than max_sheet_memory"
    text = _QUOTED.sub(r"\1…\1", " ".join(str(exc).split()))[:160]
    name = type(exc).__name__
    return f"corrupt or unsupported spreadsheet ({name}: {text})" if text else \
        f"corrupt or unsupported spreadsheet ({name})"


def send(out, message) -> None:
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out.write(len(data).to_bytes(4, "big"))
    out.write(data)


def main(argv: list[str]) -> None:
    max_memory, max_cells, max_cell_chars, max_line_chars = map(int, argv[:4])
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    out = sys.stdout.buffer
    try:
        import python_calamine
        data = sys.stdin.buffer.read()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
    except ImportError:
        send(out, ["error", None, "python-calamine is not installed: spreadsheets cannot be read"])
        send(out, ["done"])
        return
    except Exception as exc:  # noqa: BLE001 - any library error is this workbook's problem
        send(out, ["error", None, reason(exc)])
        send(out, ["done"])
        return
    worksheet = python_calamine.SheetTypeEnum.WorkSheet
    for index, meta in enumerate(book.sheets_metadata):
        if meta.typ != worksheet:
            continue  # chart sheets, macros: no cells
        announced = False
        try:
            sheet = book.get_sheet_by_index(index)
            batch, chars = [], 0
            for cells in records(sheet.iter_rows(), max_cells, max_cell_chars, max_line_chars):
                if not announced:
                    send(out, ["sheet", meta.name])
                    announced = True
                batch.append(cells)
                chars += sum(map(len, cells))
                if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
                    send(out, ["rows", batch])
                    batch, chars = [], 0
            if batch:
                send(out, ["rows", batch])
            del sheet
        except Exception as exc:  # noqa: BLE001
            send(out, ["error", meta.name, reason(exc)])
            continue
        if announced:
            send(out, ["end_sheet"])
    send(out, ["done"])
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
