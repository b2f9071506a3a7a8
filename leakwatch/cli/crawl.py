"""`leakwatch crawl` (the sources once, for cron) and `leakwatch tor status`."""

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .root import EXIT_ERROR, EXIT_OK, Failure, app, guard, open_runtime

tor_app = typer.Typer(no_args_is_help=True, help="The tor that crawls go through.")
app.add_typer(tor_app, name="tor")


EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds a source; cron may simply try later


@app.command("crawl")
@guard
def crawl_cmd(
    ctx: typer.Context,
    sources: Optional[List[str]] = typer.Argument(None, help="Source names from the sources file."),
    all_sources: bool = typer.Option(False, "--all", help="Every enabled source."),
    as_json: bool = typer.Option(False, "--json", help="A JSON summary on stdout."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Crawler processes sharing each source's request queue (default: setting crawl_workers)."),
    sources_file: Optional[Path] = typer.Option(None, "--sources", help="Sources file (YAML) instead of the setting sources_file."),
):
    """Crawl sources once and exit (for cron). Exit 0: all crawled; 2: a source failed, an item could not be scanned (a bug; a later run takes it again), or no dataset is registered (nothing is crawled then); 75: a source was locked with no round in progress to join."""
    from leakwatch.crawl import FAILED, LOCKED, run_crawl
    from leakwatch.crawler.sources import SourcesError, load_sources

    from .sources import with_sources_file

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
    runtime = open_runtime(ctx)
    # Against an empty registry (nothing registered yet, or a store emptied by a restart) a crawl
    # would mark every item done unmatched, and a done item is never fetched again: its leak would
    # be lost for good. So it is an error, before anything is fetched, and there is no flag to
    # crawl without matching.
    if not runtime.registry.registered_ids():
        raise Failure("no dataset is registered (none yet, or the store was emptied): nothing was crawled, since "
                      "items crawled now would be marked done unmatched; register datasets (leakwatch register) "
                      "and crawl again")
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
                       f"{o.errors} errors, {o.seconds:g}s"
                       + (f", {o.budget_skipped} files left for a later run by a budget (named in the log)"
                          if o.budget_skipped else "")
                       + (f", {o.unscanned} items not scanned (a bug, named in the log; a later run takes them again)"
                          if o.unscanned else ""))
    # An item whose scan failed stays not done and is taken again by the next run, but the bug
    # behind it may fail it every run: cron must hear of it (2), not only the log.
    if any(o.status == FAILED or o.unscanned for o in outcomes):
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

        from leakwatch.crawl import progress_rows

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


@tor_app.command("status")
@guard
def tor_status_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """Bootstrap state, circuits and exits in use of the configured tor (tor_control)."""
    from leakwatch.crawler.tor import tor_status

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
