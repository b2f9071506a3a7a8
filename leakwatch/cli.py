"""The `leakwatch` command: one typer command per verb.

Exit codes: 0 success / nothing found, 1 a match was found (scan), 2 an error. An error of any
kind (a LeakwatchError, the store, a bad flag, a bug) is one line `leakwatch: ...` on stderr and
exit code 2, never 1, which cron reads as "a match" (see _Root).
Heavy imports happen inside the command that needs them, so `--help` stays quick.
"""

import atexit
import json
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from matchers.errors import LeakwatchError

from .settings import SETTINGS, Settings, SettingsError

EXIT_OK, EXIT_MATCH, EXIT_ERROR = 0, 1, 2


class Failure(LeakwatchError):
    """A user-facing error: printed on one line, exit code 2."""


def _err(message: str) -> None:
    # One line whatever the message holds (a YAML error spans several): a log reader or cron
    # mail shows one line per failure.
    typer.echo("leakwatch: " + " ".join(str(message).split()), err=True)


def _describe(exc: BaseException) -> str:
    """What went wrong, in one line a user can act on."""
    if isinstance(exc, LeakwatchError):
        return str(exc) or type(exc).__name__
    # Looked up, not imported: an exception of redis-py can only come from a loaded redis-py.
    redis = sys.modules.get("redis")
    if redis is not None and isinstance(exc, redis.RedisError):
        return _describe_store_error(exc, redis)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": ")
    # A bug. Its type only: a message could quote a dump's values.
    return (f"unexpected error {type(exc).__name__} (a bug in leakwatch: please report it, "
            "with the traceback that the same command prints with --debug)")


def _describe_store_error(exc, redis) -> str:
    from redis.exceptions import ClusterError, RedisClusterException

    if isinstance(exc, redis.AuthenticationError):
        return f"the store refused leakwatch's credentials: {exc}"
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ClusterError, RedisClusterException)):
        return f"the store is not reachable: {exc or type(exc).__name__}"
    if isinstance(exc, redis.ResponseError):
        return f"the store refused a command: {exc}"
    return f"the store failed: {type(exc).__name__}: {exc}"


# Set by the settings callback of each command: --debug, or log_level DEBUG.
_debug = False

# typer's own ways out (an exit code, a usage error, Abort): handled by _Root.main, not errors here.
# TyperException is the base of typer's usage errors (its vendored click's ClickException).
_CLICK_FLOW = (typer.Exit, typer.Abort, typer.TyperException)


def _exit_with(exc: BaseException):
    """Print `exc` as one line (and its traceback with --debug) and exit 2."""
    if _debug:
        import traceback

        traceback.print_exception(exc)
    _err(_describe(exc))
    raise typer.Exit(EXIT_ERROR)


class _Root(TyperGroup):
    """The `leakwatch` command: every way a command can fail leaves as one line on stderr and
    exit code 2.

    `invoke` runs the settings callback and the command: an exception out of either (a
    LeakwatchError, the store's, a bug) is described in one line. `main` parses the command line:
    a usage error (unknown option, missing argument) is one line too, instead of typer's box.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _CLICK_FLOW:
            raise
        except Exception as exc:  # noqa: BLE001 - every error is exit code 2, a bug included
            _exit_with(exc)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed already, as typer does
                code = EXIT_ERROR
            else:
                where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "leakwatch"
                _err(f"{exc.format_message()} (see {where} --help)")
                code = EXIT_ERROR
        except typer.Abort:  # end of input at a prompt
            _err("aborted")
            code = EXIT_ERROR
        # As click's standalone mode: a command that returns normally exits 0.
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(cls=_Root, add_completion=False, no_args_is_help=True,
                  help="leakwatch: find your institution's data in leaks, early.")
registry_app = typer.Typer(no_args_is_help=True, help="Registered datasets.")
key_app = typer.Typer(no_args_is_help=True, help="The deployment key.")
store_app = typer.Typer(no_args_is_help=True, help="The Redis store: its status, leakwatch's own local redis-server, migrating an old key layout.")
tor_app = typer.Typer(no_args_is_help=True, help="The tor that crawls go through.")
app.add_typer(tor_app, name="tor")
app.add_typer(registry_app, name="registry")
app.add_typer(key_app, name="key")
app.add_typer(store_app, name="store")


@app.callback()
def _main(
    ctx: typer.Context,
    redis_url: Optional[str] = typer.Option(None, "--redis-url", help="Redis URL of the store (overrides LEAKWATCH_REDIS_URL)."),
    home: Optional[str] = typer.Option(None, "--home", help="Directory of local state (overrides LEAKWATCH_HOME)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", help="Prefix of every Redis key."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (YAML) instead of config/leakwatch.yaml."),
    debug: bool = typer.Option(False, "--debug", help="Log at DEBUG and print an error's traceback (it may quote input)."),
):
    try:
        settings = Settings.load({"redis_url": redis_url, "home": home, "namespace": namespace,
                                  "log_level": "DEBUG" if debug else None}, config_path=config)
    except SettingsError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_ERROR)
    global _debug
    _debug = str(settings.log_level).upper() == "DEBUG"
    level = getattr(logging, str(settings.log_level).upper(), logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_stem(level)
    ctx.obj = settings


class _AtLeast(logging.Filter):
    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record) -> bool:
        return record.levelno >= self.level


def _quiet_stem(level: int) -> None:
    """Keep stem's records below `level` out of the log.

    stem sets its logger to TRACE when it is imported (only the Tor commands import it), and the
    root handler would then print its every step. A filter on that logger outlives the import,
    which is not made here (0.1 s on every command).
    """
    stem_logger = logging.getLogger("stem")
    for old in [f for f in stem_logger.filters if isinstance(f, _AtLeast)]:
        stem_logger.removeFilter(old)
    stem_logger.addFilter(_AtLeast(level))
    stem_logger.setLevel(level)


def _runtime(ctx):
    from .runtime import Runtime

    return Runtime(ctx.obj)


def _guard(fn):
    """Turn any error of a command into one clear line and exit code 2, as _Root does for every
    command; kept on each command so that it holds wherever the function is called from."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _CLICK_FLOW:
            raise
        except Exception as exc:  # noqa: BLE001 - every error is exit code 2, a bug included
            _exit_with(exc)

    return wrapper


# ---------------------------------------------------------------- settings


@app.command("settings")
def settings_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """Print every setting, its effective value and where the value came from."""
    settings = ctx.obj
    rows = [{"name": s.name, "value": getattr(settings, s.name), "origin": settings.origins[s.name], "help": s.help}
            for s in SETTINGS]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("setting", "value", "from", "meaning")
    for row in rows:
        table.add_row(row["name"], repr(row["value"]), row["origin"], row["help"])
    Console().print(table)


# ---------------------------------------------------------------- key


@key_app.command("init")
@_guard
def key_init(ctx: typer.Context, path: Optional[Path] = typer.Option(None, "--path", help="Where to write the key.")):
    """Create the deployment key (once). Institutions receive a copy to fingerprint their data."""
    from matchers.fingerprint import DeploymentKey

    target = path or ctx.obj.key_path
    if target.exists():
        raise Failure(f"{target} exists already; a new key would orphan every registered dataset")
    key = DeploymentKey.generate()
    key.save(target)
    typer.echo(f"deployment key {key.key_id} written to {target} (mode 0600)")


@key_app.command("show")
@_guard
def key_show(ctx: typer.Context):
    """Print the key id and path of the deployment key (never the key itself)."""
    from matchers.fingerprint import DeploymentKey

    key = DeploymentKey.load(ctx.obj.key_path)
    typer.echo(f"{key.key_id}  {ctx.obj.key_path}")


# ---------------------------------------------------------------- fingerprint / register


def _read_table(path: Path, limits=None):
    """(header, records) of an institution's own table (CSV/TSV any delimiter and encoding,
    JSON lines, a spreadsheet); the header is None when the table has none."""
    from matchers.extract import ExtractError, Table

    if not path.is_file():
        raise Failure(f"{path}: no such file")
    try:
        table = Table(path, name=str(path), limits=limits)
    except ExtractError as exc:
        raise Failure(str(exc)) from None

    def records():
        try:
            yield from table
        except ExtractError as exc:
            raise Failure(str(exc)) from None

    return table.header, records()


def _fingerprint(path: Path, key, dataset: str, canaries: Optional[Path]):
    from matchers.fingerprint import fingerprint_records

    canary_records = _read_table(canaries)[1] if canaries else ()
    header, records = _read_table(path)
    return fingerprint_records(records, key, dataset, canary_records, header=header)


@app.command("fingerprint")
@_guard
def fingerprint_cmd(
    file: Path = typer.Argument(..., help="The institution's own table: CSV/TSV (any delimiter, encoding) or JSON lines."),
    output: Path = typer.Option(..., "-o", "--output", help="Fingerprint file to write (.lwfp)."),
    key: Path = typer.Option(..., "--key", help="The deployment key file received from the monitor."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset name (default: the file name)."),
    canaries: Optional[Path] = typer.Option(None, "--canaries", help="A table of canary records planted in your systems."),
):
    """Fingerprint a table on the institution's premises. The output holds keyed hashes only, no raw value."""
    from matchers.fingerprint import DeploymentKey

    fp = _fingerprint(file, DeploymentKey.load(key), dataset or _default_dataset(file), canaries)
    fp.save(output)
    typer.echo(f"{output}: {fp.rows} records, {fp.canaries} canaries, {len(fp.tokens)} tokens, fields {', '.join(fp.fields)}")


def _default_dataset(path: Path) -> str:
    import re

    stem = path.name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem)[:64] or "dataset"


@app.command("register")
@_guard
def register_cmd(
    ctx: typer.Context,
    institution: str = typer.Argument(..., help="Institution name (letters, digits, . _ -)."),
    file: Path = typer.Argument(..., help="A .lwfp fingerprint file, or a raw table fingerprinted here with the deployment key."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset name (default: from the fingerprint or file name)."),
    canaries: Optional[Path] = typer.Option(None, "--canaries", help="Canary records (raw tables only)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Register (or atomically replace) a dataset of an institution."""
    from matchers.fingerprint import Fingerprint, FingerprintFileError
    from matchers.registry import check_name

    check_name("institution", institution)
    runtime = _runtime(ctx)
    try:
        fp = Fingerprint.load(file)
        if canaries:
            raise Failure("--canaries goes with a raw table; put canaries in the fingerprint with `leakwatch fingerprint --canaries`")
    except FingerprintFileError:
        if _looks_like_fingerprint(file):
            raise
        fp = _fingerprint(file, runtime.key, dataset or _default_dataset(file), canaries)
    name = dataset or fp.dataset or _default_dataset(file)
    meta = runtime.registry.register(institution, name, fp, key_id=runtime.key.key_id)
    if as_json:
        typer.echo(json.dumps(_public_meta(meta)))
    else:
        typer.echo(f"registered {meta['id']}: {meta['rows']} records, {meta['canaries']} canaries, fields {', '.join(meta['fields'])}")


def _looks_like_fingerprint(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04" and path.suffix == ".lwfp"
    except OSError:
        return False


def _public_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in ("minhash",)}


@registry_app.command("list")
@_guard
def registry_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """List registered datasets."""
    datasets = [_public_meta(m) for m in _runtime(ctx).registry.datasets()]
    if as_json:
        typer.echo(json.dumps(datasets))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("institution", "dataset", "records", "canaries", "fields", "registered")
    for m in datasets:
        table.add_row(m["institution"], m["dataset"], str(m["rows"]), str(m["canaries"]), ", ".join(m["fields"]), m["registered_at"])
    Console().print(table)


@registry_app.command("remove")
@_guard
def registry_remove(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    dataset: Optional[str] = typer.Argument(None, help="One dataset; all of the institution's if omitted."),
):
    """Remove a dataset, or all datasets of an institution."""
    removed = _runtime(ctx).registry.remove(institution, dataset)
    if not removed:
        raise Failure(f"no dataset of {institution} is registered")
    typer.echo("removed " + ", ".join(removed))


# ---------------------------------------------------------------- scan


@app.command("scan")
@_guard
def scan_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="Dumps to scan: any format, archives included."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file, one per line."),
):
    """Scan dumps against the registry. Exit 0: no match; 1: a match; 2: an error with some file, or
    no dataset registered."""
    runtime = _runtime(ctx)
    scanner = runtime.dump_scanner
    # Against an empty registry (nothing registered yet, or a store emptied by a restart) every
    # dump reads "no match", which cron takes for "no leak": that is an error, not a result. The
    # files are still scanned and recorded as sightings: they were seen, and a repost scanned once
    # the registry is back links to its first sighting, with the date it was first seen.
    unmatched = scanner.index_cache.get().registered == 0
    show_progress = not as_json and sys.stderr.isatty()
    found = failed = False
    for path in files:
        report = _scan_one(scanner, path, show_progress)
        data = report.as_dict()
        found = found or bool(data["matches"])
        failed = failed or bool(data["error"])
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            _print_report(data, unmatched)
        sys.stdout.flush()
    if unmatched:
        raise Failure("no dataset is registered (none yet, or the store was emptied): the files were recorded "
                      "as sightings but matched against nothing; register datasets (leakwatch register) and scan again")
    raise typer.Exit(EXIT_ERROR if failed else EXIT_MATCH if found else EXIT_OK)


def _scan_one(scanner, path: Path, show_progress: bool):
    """One file's report. A failure no input should cause is that file's error (exit code 2), and
    the next files are still scanned; the store going away stops the command (see _guard)."""
    import redis

    from matchers.match.dump import failed_report

    try:
        if not show_progress:
            return scanner.scan_path(path, name=str(path))
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"scanning {path.name}", total=None)
            return scanner.scan_path(path, name=str(path), progress=lambda n: progress.advance(task, n))
    except redis.RedisError:
        raise
    except Exception as exc:  # noqa: BLE001
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
@_guard
def purge_cmd(
    ctx: typer.Context,
    older_than: Optional[float] = typer.Option(None, "--older-than", help="Days (default: the retention_days setting)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Delete sightings that matched nothing and are older than the retention period."""
    days = ctx.obj.retention_days if older_than is None else older_than
    if days < 0:
        raise Failure("--older-than must be 0 or more days")
    removed = _runtime(ctx).sightings.purge(older_than=days * 86400)
    typer.echo(json.dumps({"purged": removed, "older_than_days": days}) if as_json
               else f"purged {removed} sightings that matched nothing, older than {days:g} days")


# ---------------------------------------------------------------- crawl

EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds a source; cron may simply try later


@app.command("crawl")
@_guard
def crawl_cmd(
    ctx: typer.Context,
    sources: Optional[List[str]] = typer.Argument(None, help="Source names from the sources file."),
    all_sources: bool = typer.Option(False, "--all", help="Every enabled source."),
    as_json: bool = typer.Option(False, "--json", help="A JSON summary on stdout."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Crawler processes sharing each source's request queue (default: setting crawl_workers)."),
    sources_file: Optional[Path] = typer.Option(None, "--sources", help="Sources file (YAML) instead of the setting sources_file."),
):
    """Crawl sources once and exit (for cron). Exit 0: all crawled; 2: a source failed; 75: a source was locked with no round in progress to join."""
    from crawler.sources import SourcesError, load_sources

    from .cli_sources import with_sources_file
    from .crawl import FAILED, LOCKED, run_crawl

    ctx.obj = with_sources_file(ctx.obj, sources_file)

    try:
        known = load_sources(ctx.obj.sources_path)
    except SourcesError as exc:
        raise Failure(str(exc)) from None
    enabled = [s.name for s in known if s.enabled]
    if all_sources:
        if sources:
            raise Failure("give source names or --all, not both")
        chosen = enabled
    else:
        if not sources:
            raise Failure(f"name the sources to crawl, or --all (enabled: {', '.join(enabled) or 'none'})")
        unknown = [name for name in sources if name not in {s.name for s in known}]
        if unknown:
            raise Failure(f"unknown source(s) {', '.join(unknown)} in {ctx.obj.sources_path}; known: {', '.join(s.name for s in known)}")
        chosen = list(dict.fromkeys(sources))
    runtime = _runtime(ctx)
    live = _CrawlDisplay(chosen) if (not as_json and sys.stdout.isatty()) else None
    if live:
        with live:
            outcomes = run_crawl(runtime, chosen, on_tick=live.update, workers=workers)
    else:
        outcomes = run_crawl(runtime, chosen, workers=workers)
    if as_json:
        typer.echo(json.dumps({"sources": [o.as_dict() for o in outcomes],
                               "ok": all(o.status == "ok" for o in outcomes)}))
    else:
        for o in outcomes:
            typer.echo(f"{o.source}: {o.status}{' (' + o.reason + ')' if o.reason and o.status != 'ok' else ''}, "
                       f"{o.pages} pages, {o.items} items, {o.new_sightings} new sightings, {o.matches} matches, "
                       f"{o.errors} errors, {o.seconds:g}s")
    if any(o.status == FAILED for o in outcomes):
        raise typer.Exit(EXIT_ERROR)
    if any(o.status == LOCKED for o in outcomes):
        raise typer.Exit(EXIT_LOCKED)
    raise typer.Exit(EXIT_OK)


class _CrawlDisplay:
    """A live table on a terminal: pages, items, matches per source (and per worker) while the crawl runs."""

    def __init__(self, sources):
        from rich.live import Live

        self.sources = sources
        self._live = Live(self._table({}), refresh_per_second=4, transient=False)

    def _table(self, stats, workers=None):
        from rich.table import Table

        from .crawl import progress_rows

        table = Table("source", "pages", "items", "matches", "errors")
        for row in progress_rows(self.sources, stats, workers):
            table.add_row(*(str(v) for v in row))
        return table

    def update(self, stats, workers=None):
        self._live.update(self._table(stats, workers))

    def __enter__(self):
        self._live.__enter__()
        return self

    def __exit__(self, *exc):
        return self._live.__exit__(*exc)


# ---------------------------------------------------------------- tor


@tor_app.command("status")
@_guard
def tor_status_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """Bootstrap state, circuits and exits in use of the configured tor (tor_control)."""
    from .tor import tor_status

    settings = ctx.obj
    if not settings.tor_control:
        raise Failure("no tor configured: set tor_control (LEAKWATCH_TOR_CONTROL), and tor_cookie or tor_password")
    status = tor_status(settings.tor_control, cookie_path=settings.tor_cookie or None,
                        password=settings.tor_password or None)
    if as_json:
        typer.echo(json.dumps(status, default=str))
    else:
        for key, value in status.items():
            typer.echo(f"{key}: {value}")
    raise typer.Exit(EXIT_OK if status.get("ready") else EXIT_ERROR)


# ---------------------------------------------------------------- store


@store_app.command("status")
@_guard
def store_status(ctx: typer.Context):
    """Where the store is and how much it holds."""
    from .store import summary

    runtime = _runtime(ctx)
    info = summary(runtime.redis)
    masters = f", {info['masters']} masters" if info["masters"] > 1 else ""
    typer.echo(f"{runtime.redis_url}: redis {info['redis_version']}{masters}, aof {'on' if info['aof'] else 'off'}, "
               f"{info['keys']} keys, {len(runtime.registry.datasets())} datasets registered")


@store_app.command("migrate")
@_guard
def store_migrate(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be moved; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Move a store made before the current key layout (`lw:*` for every key) to it; safe to run again.

    Stop crawls, scans and the web app first. Prints counts by kind, never key names."""
    from matchers.registry.migrate import StoreMigration

    runtime = _runtime(ctx)
    report = StoreMigration(runtime.redis, runtime.settings.namespace).run(dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        verb = "to move" if dry_run else "moved"
        if report.mode == "copy":
            typer.echo("Redis Cluster: a key's old and new names are in different slots, where RENAME is refused; "
                       "each key is copied (DUMP/RESTORE) then its old name deleted. Not atomic: if this run "
                       "stops midway, run it again.")
        moved = sum(report.moved.values())
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(report.moved.items()))
        typer.echo(f"{moved} keys {verb}" + (f" ({detail})" if detail else ""))
        if report.merged:
            typer.echo(f"{sum(report.merged.values())} registry keys merged into the current ones "
                       "(every scanning process loads the registry again)")
        if report.finished:
            typer.echo(f"{report.finished} copies of an interrupted run finished")
        typer.echo(f"{report.dataset_keys} dataset keys already in the current layout; "
                   f"{report.unknown} other keys under the namespace left as they are")
    if report.conflicts:
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(report.conflicts.items()))
        _err(f"{sum(report.conflicts.values())} keys exist under both the old and the current name ({detail}): "
             "left unchanged under both; the current code wrote them after the upgrade. Keep one of the two "
             "and run the migration again.")
        raise typer.Exit(EXIT_ERROR)


@store_app.command("stop")
@_guard
def store_stop(ctx: typer.Context):
    """Stop leakwatch's own redis-server (data is kept; the next command starts it again)."""
    from .redis_server import LocalRedis

    stopped = LocalRedis(ctx.obj.home_path / "redis").stop()
    typer.echo("stopped" if stopped else "not running")


# ---------------------------------------------------------------- demo


@app.command("demo")
@_guard
def demo_cmd(
    ctx: typer.Context,
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="Where to write demo files."),
    direct: bool = typer.Option(False, "--direct", help="Crawl the fixture sites without the private Tor network."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit after the checks instead of serving the web app."),
):
    """Register sample labs, crawl fixture sites through a private Tor network, scan sample leaks, then
    serve the analysts' web app on the demo's matches."""
    from .demo import run_demo

    raise typer.Exit(run_demo(ctx.obj, workdir, tor=not direct, serve=not no_serve))


from . import cli_review  # noqa: E402,F401  (queue, user, institution, alerts, serve)
from . import cli_sources  # noqa: E402,F401  (sources check)


def main():
    """Run one command, then end the process without Python's module teardown.

    Freeing every module one at a time (SciPy's, which datasketch imports, above all) took
    0.25 s after each command, for a process that is ending anyway. Exit handlers still run
    (logging, multiprocessing, temporary directories) and the standard streams are flushed;
    files are closed by their own `with` blocks before this point.
    """
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage writes its results at the end of the interpreter
    if isinstance(code, str):  # sys.exit("message"): an error, printed as every error is (not 1: a match)
        _err(code)
        code = EXIT_ERROR
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`leakwatch scan ... | head`): nothing more to say
            pass
    os._exit(code or 0)
