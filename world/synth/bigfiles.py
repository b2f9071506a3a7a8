"""Files sized for the speed and memory benchmarks, written as a stream."""

import csv
import random
from pathlib import Path

from .distort import Layout, header, render
from .people import COLUMNS, iter_institution_rows, make_strangers
from .scenarios import _chatter


def make_lab_file(path, rows=200_000, institutions=30, seed=2021) -> dict:
    """A lab-file-sized CSV (13 columns, ~150 bytes a row: ~30 MB for 200,000 rows) merging
    `institutions` labs, written row by row. Its people are exactly those of
    make_institutions(institutions, ceil(rows / institutions), seed), so a benchmark can
    register those and know the truth. Returns {institution: rows written}."""
    per_lab = -(-rows // institutions)
    rng = random.Random(f"{seed}:lab-file")
    # As in 2021: French headers in capitals, ';', dates dd/mm/yyyy, concatenated lab exports.
    layout = Layout(list(COLUMNS), headers="abbr", date="dmy_slash")
    counts = {}
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\n")
        writer.writerow(header(layout))
        for written, (name, _, row) in enumerate(iter_institution_rows(institutions, per_lab, seed)):
            if written == rows:
                break
            writer.writerow(render(row, layout, rng))
            counts[name] = counts.get(name, 0) + 1
    return counts


def make_big_paste(path, size_bytes, seed=2021, block_rows=5_000) -> int:
    """A huge paste of strangers (chatter, a pipe table, CSV lines), repeating one generated
    block (~1 MB) until size_bytes; cut at a line end, so the file is at most size_bytes.
    Returns the bytes written. Memory stays at one block whatever the size."""
    rng = random.Random(f"{seed}:big-paste")
    people = make_strangers(block_rows, f"{seed}:big-paste")
    table = Layout(["nom", "prenom", "date_naissance", "telephone", "email", "ville"], date="dmy_slash")
    lines = _chatter(rng, 5) + ["", "| " + " | ".join(header(table)) + " |", "|---" * 6 + "|"]
    lines += ["| " + " | ".join(render(r, table, rng)) + " |" for r in people[: block_rows // 2]]
    flat = Layout(list(COLUMNS), date="iso")
    lines += [""] + _chatter(rng, 3) + [",".join(header(flat))]
    lines += [",".join(c.replace(",", " ") for c in render(r, flat, rng)) for r in people[block_rows // 2:]]
    return _repeated(path, ("\n".join(lines) + "\n").encode("utf-8"), size_bytes)


def make_big_csv(path, size_bytes, seed=2021, block_rows=5_000) -> int:
    """A huge CSV dump of strangers, as a database's export writes it: a header, then one
    record a line, comma-delimited, quoted where a value holds a comma or a quote (addresses,
    notes). One generated block (~1 MB) repeated until size_bytes, cut at a line end.
    Returns the bytes written. Memory stays at one block whatever the size."""
    import io

    rng = random.Random(f"{seed}:big-csv")
    people = make_strangers(block_rows, f"{seed}:big-csv")
    layout = Layout(list(COLUMNS), date="iso")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", lineterminator="\n")
    for n, person in enumerate(people):
        cells = render(person, layout, rng)
        if n % 4 == 0:  # a note in an address, or a nickname quoted: commas and quotes in a value
            cells[-1] = f'{cells[-1]}, bât. {"AB"[n % 2]}' if n % 8 else f'{cells[-1]} "{cells[0][:3]}"'
        writer.writerow(cells)
    return _repeated(path, out.getvalue().encode("utf-8"), size_bytes, head=(",".join(header(layout)) + "\n").encode("utf-8"))


def make_big_combo(path, size_bytes, seed=2021, block_rows=20_000) -> int:
    """A huge combo list of strangers' e-mail addresses and passwords ("email:password", some
    with ";" or "|", a password holding the separator, a line of chatter now and then), one
    generated block repeated until size_bytes, cut at a line end. Returns the bytes written."""
    rng = random.Random(f"{seed}:big-combo")
    people = make_strangers(block_rows, f"{seed}:big-combo")
    layout = Layout(list(COLUMNS), date="iso")
    email = COLUMNS.index("email")
    lines = []
    for n, person in enumerate(people):
        address = render(person, layout, rng)[email] or f"user{n}@example.org"
        password = rng.choice(["azerty", "123456", "Soleil2020!", "motdepasse", "p:ss;w|rd", "qwerty123"]) + str(n % 97)
        sep = ":" if n % 10 else rng.choice(";|")
        lines.append(f"{address}{sep}{password}")
        if n % 500 == 0:
            lines.append("-- fresh combo, checked --")
    return _repeated(path, ("\n".join(lines) + "\n").encode("utf-8"), size_bytes)


def _repeated(path, block: bytes, size_bytes: int, head: bytes = b"") -> int:
    """Write ``head``, then ``block`` again and again, cut at a line end: at most size_bytes in
    all, held one block at a time. Returns the bytes written."""
    written = len(head)
    with open(Path(path), "wb") as f:
        f.write(head)
        while written + len(block) <= size_bytes:
            f.write(block)
            written += len(block)
        tail = block[: size_bytes - written]
        tail = tail[: tail.rfind(b"\n") + 1]
        f.write(tail)
        written += len(tail)
    return written
