"""python -m world.synth --out DIR: institutions' tables, strangers, every leak, DIR/truth.json."""

import argparse
import json
import time
from pathlib import Path

from .bigfiles import make_big_paste, make_lab_file
from .generate import generate


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m world.synth", description=__doc__)
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--rows", type=int, default=2000, help="rows per institution (default 2000)")
    parser.add_argument("--institutions", type=int, default=30, help="number of labs (default 30)")
    parser.add_argument("--seed", default="2021", help="seed (default 2021)")
    parser.add_argument("--lab-file", type=int, metavar="ROWS",
                        help="also write DIR/lab_file.csv with ROWS rows (speed benchmark)")
    parser.add_argument("--big-paste", type=int, metavar="BYTES",
                        help="also write DIR/big_paste.txt of BYTES bytes (memory benchmark)")
    args = parser.parse_args(argv)
    seed = int(args.seed) if args.seed.isdigit() else args.seed
    started = time.perf_counter()
    doc = generate(args.out, args.rows, args.institutions, seed)
    if args.lab_file:
        doc["lab_file"] = {"path": "lab_file.csv",
                           "truth": make_lab_file(args.out / "lab_file.csv", args.lab_file, args.institutions, seed)}
    if args.big_paste:
        make_big_paste(args.out / "big_paste.txt", args.big_paste, seed)
        doc["big_paste"] = "big_paste.txt"
    (args.out / "truth.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(doc['institutions'])} institutions and {len(doc['scenarios'])} scenarios "
          f"to {args.out} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
