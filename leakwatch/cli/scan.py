"""`leakwatch scan` (dumps against the registry; exit 0 nothing, 1 a match, 2 an error),
`leakwatch scan-service` (a scanner kept ready for it) and `leakwatch purge`."""

import json
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .root import Failure, app, describe, err, guard, open_runtime
from .scan_output import NOTHING_REGISTERED, ScanTally


@app.command("scan")
@guard
def scan_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="Dumps to scan: any format, archives included; - for standard input."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file, one per line."),
    local: bool = typer.Option(False, "--local", help="Scan in this process even if a scan service runs "
                               "(leakwatch scan-service): `leakwatch scan` otherwise hands it the files."),
):
    """Scan dumps against the registry. Exit 0: no match and no error; 1: a match (even if some file
    also had an error: each error is then on stderr too); 2: an error and no match, or no dataset
    registered. The files are scanned by the scan service of the same settings if one runs
    (leakwatch scan-service: no start-up to pay), else in this process."""
    runtime = open_runtime(ctx)
    scanner = runtime.dump_scanner
    show_progress = not as_json and sys.stderr.isatty()
    tally = ScanTally(as_json)
    for path in files:
        report = scan_one(scanner, path, show_progress)
        # Asked after the first file only: a big one is scanned before the store is opened
        # (DumpScanner.scan_path).
        tally.add(report.as_dict(), scanner.index_cache.get().registered if tally.unmatched is None else None)
    if tally.unmatched:
        raise Failure(NOTHING_REGISTERED)
    raise typer.Exit(tally.exit_code())


def scan_one(scanner, path: Path, show_progress: bool = False, name: str | None = None, stream=None, opener=None):
    """One file's report (from `stream` if given: a pipe; opened by `opener` if given, see
    DumpScanner.scan_path). A failure no input should cause is that file's error (exit code 2), and
    the next files are still scanned; the store going away stops the command (see _guard)."""
    from leakwatch.matchers.match.dump import failed_report

    name = name or str(path)
    if stream is None and str(path) == "-":
        stream = sys.stdin.buffer
    try:
        if stream is not None:  # read with the deadline as a pipe is
            return scanner.scan_stream(stream, name=name)
        if not show_progress:
            return scanner.scan_path(path, name=name, opener=opener)
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"scanning {path.name}", total=None)
            return scanner.scan_path(path, name=name, opener=opener, progress=lambda n: progress.advance(task, n))
    except Exception as exc:  # noqa: BLE001
        redis = sys.modules.get("redis")  # imported once the store is opened, maybe not yet
        if redis is not None and isinstance(exc, redis.RedisError):
            raise
        # The exception's type only: its message could quote the dump.
        logging.getLogger("leakwatch.scan").error("%s: %s while scanning (a bug)", name, type(exc).__name__)
        return failed_report(name, f"could not be scanned: {type(exc).__name__} (a bug, not the file's fault)")


@app.command("scan-service")
@guard
def scan_service_cmd(
    ctx: typer.Context,
    max_scans: int = typer.Option(4, "--max-scans", min=1, help="Clients scanned at once; more wait their turn."),
):
    """Keep a scanner ready (store open, index loaded, code imported) for `leakwatch scan` of the same
    settings, as clamd is for clamdscan: each scan then costs no interpreter start-up, imports or
    index load. Runs until SIGTERM or Ctrl-C; each client's files are scanned in a process of its own."""
    from leakwatch.scan_service.server import ScanService

    runtime = open_runtime(ctx)
    service = ScanService(runtime, scan_file=scan_one, max_scans=max_scans, describe=describe)
    service.serve(ready=lambda where: err(f"scan service: listening on {where}"))


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
