"""What a reader skipped without failing (values nested too deep, archive members past a bound),
counted per kind and reported once per document: reaching a bound is never silent."""


class Notes:
    """Counts per message template; ``{n}`` in a template is replaced by its count."""

    def __init__(self):
        self._counts: dict[str, int] = {}

    def add(self, template: str, n: int = 1) -> None:
        self._counts[template] = self._counts.get(template, 0) + n

    def __bool__(self) -> bool:
        return bool(self._counts)

    def counts(self) -> dict[str, int]:
        """{template: count}: what another Notes adds (`add`) to hold these too."""
        return dict(self._counts)

    def add_all(self, other: "Notes") -> None:
        """Count what ``other`` counts too."""
        for template, n in other._counts.items():
            self.add(template, n)

    def messages(self) -> list[str]:
        return [template.replace("{n}", str(n)) for template, n in self._counts.items()]


def split_wide(cells: list[str], most: int) -> list[list[str]]:
    """A record of more than ``most`` cells as consecutive records of at most ``most`` cells."""
    return [cells[at:at + most] for at in range(0, len(cells), most)]


def split_wide_records(rows: list[list[str]], most: int) -> list[list[str]]:
    """``rows`` with each record of more than ``most`` cells split (split_wide), as a document
    splits the records it gives (document.py): what a block of lines read elsewhere does too."""
    if rows and max(map(len, rows)) > most:
        return [part for row in rows for part in split_wide(row, most)]
    return rows
