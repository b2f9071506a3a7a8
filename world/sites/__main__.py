"""python -m world.sites build --out DIR [--institutions N --rows R --seed S]
python -m world.sites serve --content DIR [--port-base P]"""

import argparse
import sys
from pathlib import Path


def _build(args) -> int:
    from world.synth import make_institutions, write_table

    from .content import build_content

    institutions = make_institutions(args.institutions, rows=args.rows, seed=args.seed)
    truth = build_content(args.out, institutions, seed=args.seed, leaked=args.leaked)
    tables = Path(args.out) / "institutions"
    tables.mkdir(parents=True, exist_ok=True)
    for inst in institutions:      # so a demo can register them as their owners would
        write_table(tables / f"{inst.name}.csv", inst.rows)
    print(f"wrote {Path(args.out) / 'content.json'}: {len(truth)} planted leaks of "
          f"{len({t['institution'] for t in truth.values()})} institutions; tables in {tables}")
    return 0


def _serve(args) -> int:
    from .server import serve

    return serve(args.content, args.port_base, args.stop_on_eof)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m world.sites", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="write content.json, attachments and institution tables")
    build.add_argument("--out", required=True, help="directory to write")
    build.add_argument("--institutions", type=int, default=5, help="institutions to make (default 5)")
    build.add_argument("--rows", type=int, default=300, help="patients per institution (default 300)")
    build.add_argument("--seed", type=int, default=2021)
    build.add_argument("--leaked", type=int, default=3, help="how many of them have leaks planted (default 3)")
    serve = sub.add_parser("serve", help="serve DIR/content.json on 127.0.0.1 until SIGTERM")
    serve.add_argument("--content", required=True, help="directory holding content.json")
    serve.add_argument("--port-base", type=int, default=0, help="0: free ports; P: ports P..P+5")
    serve.add_argument("--stop-on-eof", action="store_true", help="exit when stdin closes (used by FixtureSites)")
    args = parser.parse_args(argv)
    return _build(args) if args.command == "build" else _serve(args)


if __name__ == "__main__":
    sys.exit(main())
