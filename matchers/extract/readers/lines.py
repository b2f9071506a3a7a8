"""Lines of a text stream, each bounded in length, so one endless line cannot fill memory."""

from typing import Iterator


def bounded_lines(text, max_chars: int) -> Iterator[str]:
    """Lines with their line ending (csv needs it), NUL characters removed, cut at ``max_chars``.

    The rest of a cut line is read and dropped piecewise, never held whole.
    """
    readline = text.readline
    while True:
        line = readline(max_chars)
        if not line:
            return
        if len(line) >= max_chars and line[-1] not in "\r\n":
            while True:
                rest = readline(max_chars)
                if not rest or rest[-1] in "\r\n":
                    break
            line += "\n"
        if "\x00" in line:  # NULs in dumps are padding or corruption, never data
            line = line.replace("\x00", "")
        yield line
