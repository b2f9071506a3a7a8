"""`leakwatch scan` (dumps against the registry; exit 0 nothing, 1 a match, 2 an error) and `leakwatch purge`."""

import json
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .root import EXIT_ERROR, EXIT_MATCH, EXIT_OK, Failure, app, err, guard, open_runtime


@app.command("scan")
@guard
def scan_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="Dumps to scan: any format, archives included; - for standard input."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file, one per line."),
):
    """Scan dumps against the registry. Exit 0: no match and no error; 1: a match (even if some file
    also had an error: each error is then on stderr too); 2: an error and no match, or no dataset
    registered."""
    runtime = open_runtime(ctx)
    scanner = runtime.dump_scanner
    show_progress = not as_json and sys.stderr.isatty()
    found = failed = False
    unmatched = None
    for path in files:
        report = _scan_one(scanner, path, show_progress)
        if unmatched is None:
            # Against an empty registry (nothing registered yet, or a store emptied by a restart)
            # every dump reads "no match", which cron takes for "no leak": that is an error, not a
            # result. The files are still scanned and recorded as sightings: they were seen, and a
            # repost scanned once the registry is back links to its first sighting, with the date
            # it was first seen. Asked after the first file: a big one is scanned before the store
            # is opened (DumpScanner.scan_path).
            unmatched = scanner.index_cache.get().registered == 0
        data = report.as_dict()
        found = found or bool(data["matches"])
        failed = failed or bool(data["error"])
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            _print_report(data, unmatched)
        sys.stdout.flush()
        if data["error"]:
            # on stderr as well: with exit code 1 (a match elsewhere) cron mails stderr, and an
            # error must not go unseen behind the match
            err(data["error"])
    if unmatched:
        raise Failure("no dataset is registered (none yet, or the store was emptied): the files were recorded "
                      "as sightings but matched against nothing; register datasets (leakwatch register) and scan again")
    # A match is never hidden by an error: 1 says "look at this leak", and the errors are on
    # stderr and in each file's "error"; 2 only when nothing matched and something failed.
    raise typer.Exit(EXIT_MATCH if found else EXIT_ERROR if failed else EXIT_OK)


def _scan_one(scanner, path: Path, show_progress: bool):
    """One file's report. A failure no input should cause is that file's error (exit code 2), and
    the next files are still scanned; the store going away stops the command (see _guard)."""
    from leakwatch.matchers.match.dump import failed_report

    try:
        if str(path) == "-":  # standard input, read with the deadline as a pipe is
            return scanner.scan_stream(sys.stdin.buffer, name="-")
        if not show_progress:
            return scanner.scan_path(path, name=str(path))
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"scanning {path.name}", total=None)
            return scanner.scan_path(path, name=str(path), progress=lambda n: progress.advance(task, n))
    except Exception as exc:  # noqa: BLE001
        redis = sys.modules.get("redis")  # imported once the store is opened, maybe not yet
        if redis is not None and isinstance(exc, redis.RedisError):
            raise
        # The exception's type only: its message could quote the dump.
        logging.getLogger("leakwatch.scan").error("%s: %s while scanning (a bug)", path, type(exc).__name__)
        return failed_report(str(path), f"could not be scanned: {type(exc).__name__} (a bug, not the file's fault)")


def _print_report(data: dict, unmatched: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    head = f"[bold]{data['file']}[/bold]: {data['rows']} rows, {data['format']}"
    if data["error"]:
        head += f" — [red]error: {data['error']}[/red]"
    console.print(head, highlight=False)
    if data["matches"]:
        table = Table("institution", "dataset", "records", "range", "fields", "matched on", "canaries")
        for m in data["matches"]:
            table.add_row(m["institution"], m["dataset"], str(m["records"]), f"{m['records_low']}–{m['records_high']}",
                          ", ".join(m["fields"]), ", ".join(m["matched_on"]), str(m["canaries"]) if m["canaries"] else "")
        console.print(table)
    elif unmatched:
        console.print("  not matched: no dataset is registered")
    elif not data["error"]:
        console.print("  no registered records found")
    for s in data["similar_sightings"]:
        console.print(f"  repeats {s['name']} {s['url'] or ''} first seen {s['first_seen']} "
                      f"(similarity {s['similarity']:.2f}, containment {s['containment']:.2f})", highlight=False)


@app.command("purge")
@guard
def purge_cmd(
    ctx: typer.Context,
    older_than: Optional[float] = typer.Option(None, "--older-than", help="Days (default: the retention_days setting)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Delete sightings that matched nothing and are older than the retention period."""
    days = ctx.obj.retention_days if older_than is None else older_than
    if days < 0:
        raise Failure("--older-than must be 0 or more days")
    removed = open_runtime(ctx).sightings.purge(older_than=days * 86400)
    typer.echo(json.dumps({"purged": removed, "older_than_days": days}) if as_json
               else f"purged {removed} sightings that matched nothing, older than {days:g} days")
