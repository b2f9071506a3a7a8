"""Lines of a text stream, each bounded in length, so one endless line cannot fill memory."""

from typing import Iterator

#: characters a window of a long line repeats from the window before it, so that an
#: identifier astride a cut is whole in one of them
OVERLAP_CHARS = 256


def bounded_lines(text, max_chars: int) -> Iterator[str]:
    """Lines with their line ending (csv needs it), NUL characters removed.

    A line longer than ``max_chars`` is given out in windows of ``max_chars`` characters, each
    ended by "\\n" and overlapping the one before by a little: all of it is read, none of it is
    held whole (a 500 MB minified line is 500 windows).
    """
    readline = text.readline
    overlap = min(OVERLAP_CHARS, max_chars // 4)
    while True:
        line = readline(max_chars)
        if not line:
            return
        while len(line) >= max_chars and line[-1] not in "\r\n":  # a window of a longer line
            yield _clean(line + "\n")
            rest = readline(max_chars - overlap)
            if not rest:
                return
            line = line[-overlap:] + rest
        yield _clean(line)


def _clean(line: str) -> str:
    if "\x00" in line:  # NULs in dumps are padding or corruption, never data
        return line.replace("\x00", "")
    return line
