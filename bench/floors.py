"""What a scan cannot beat: the simplest programs that read a delimited file and hash its values.

Both run in-process (no interpreter start-up, no import of the library counted) and touch
every distinct cell value once, which is the least any scan must do:
- python_floor: the csv module, a set of the distinct values, one keyed BLAKE2b-64
  (`hashlib.blake2b(key=..., digest_size=8)`, the scan's own hash) per distinct value;
- native_floor: polars reads the file (every column as text), takes the distinct values of
  all its cells and hashes them with its own native hash: parsing and hashing done in Rust,
  on every core polars finds.
Each returns the number of distinct values, so the caller can check that the two floors read
the same file the same way.
"""

import csv
import hashlib

FLOOR_KEY = b"k" * 32  # any 32-byte key: the cost of keyed BLAKE2b does not depend on it


def python_floor(path, delimiter: str, encoding: str = "utf-8") -> int:
    seen = set()
    with open(path, newline="", encoding=encoding) as f:
        rows = csv.reader(f, delimiter=delimiter)
        next(rows, None)  # the header
        for row in rows:
            seen.update(row)
    seen.discard("")
    blake2b = hashlib.blake2b
    for value in seen:
        blake2b(value.encode(), key=FLOOR_KEY, digest_size=8).digest()
    return len(seen)


def native_floor(path, delimiter: str, encoding: str = "utf-8") -> int:
    import polars as pl

    frame = pl.read_csv(path, separator=delimiter, infer_schema=False,
                        encoding="utf8" if encoding == "utf-8" else encoding)
    # An empty cell is a null to polars, an empty string to the csv module: neither is a value.
    values = pl.concat([frame.get_column(name).alias("v") for name in frame.columns]).drop_nulls()
    distinct = values.filter(values != "").unique()
    distinct.hash(seed=7)
    return len(distinct)
