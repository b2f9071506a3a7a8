"""`leakwatch sources check NAME [--url URL] [--login] [--json]`: what a source's selectors find on one page.

The page is fetched by the source's own spider through the source's route, as the crawl fetches it
(crawler.source_check): over Tor unless the source says `route: direct`, never directly otherwise.
Exit 0 when the page was fetched (warnings or not), 2 when it could not be.
"""

import json
from pathlib import Path
from typing import Optional

import typer

from leakwatch.settings import Settings

from .root import EXIT_OK, Failure, app, guard

sources_app = typer.Typer(no_args_is_help=True, help="Sources to crawl: try one on a page before crawling it.")
app.add_typer(sources_app, name="sources")


def with_sources_file(settings: Settings, path: Optional[Path]) -> Settings:
    """`settings` with the sources file given by a `--sources` flag (above file, env and default)."""
    if path is None:
        return settings
    values, origins = settings.as_dict(), dict(settings.origins)
    values["sources_file"], origins["sources_file"] = str(path), "flag --sources"
    return Settings(values, origins)


@sources_app.command("check")
@guard
def check_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The source's name in the sources file."),
    url: Optional[str] = typer.Option(None, "--url", help="The page to check (a path on the source, or a URL); default: its first listing."),
    login: bool = typer.Option(False, "--login", help="Log in first, with the source's credentials (forums)."),
    sources_file: Optional[Path] = typer.Option(None, "--sources", help="Sources file (YAML) instead of the setting sources_file."),
    as_json: bool = typer.Option(False, "--json", help="The report as one JSON object."),
):
    """Fetch one listing or thread page through the source's route and print what each selector found."""
    from leakwatch.crawler.source_check import run_check
    from leakwatch.crawler.sources import SourcesError, load_sources

    from leakwatch.crawl import _cli_logging, crawl_overrides, launch_own_tor
    from leakwatch.runtime import Runtime

    settings = with_sources_file(ctx.obj, sources_file)
    try:
        known = {s.name: s for s in load_sources(settings.sources_path)}
    except SourcesError as exc:
        raise Failure(str(exc)) from None
    if name not in known:
        raise Failure(f"no source named {name!r} in {settings.sources_path}; known: {', '.join(known) or 'none'}")
    source = known[name]
    if login and source.kind != "forum":
        raise Failure(f"source {name} is a {source.kind}: only forums log in")
    runtime = Runtime(settings)
    extra, own_tor = {}, None
    if source.route == "tor" and not settings.tor_control:
        # As `leakwatch crawl` does: leakwatch's own tor when none is configured (the route fails
        # closed if it cannot bootstrap).
        own_tor, extra = launch_own_tor(runtime)
    try:
        report = run_check(source, url, login, {**crawl_overrides(runtime, extra), **_cli_logging()})
    finally:
        if own_tor is not None:
            own_tor.close()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        _print(report)
    if report.get("error"):
        raise Failure(f"source {name}: {report['error']}")
    raise typer.Exit(EXIT_OK)


def _print(report: dict) -> None:
    typer.echo(f"source {report['source']} ({report.get('kind')}, route {report.get('route')}): {report.get('url')}")
    if report.get("status") is not None:
        typer.echo(f"HTTP {report['status']}, page kind: {report.get('page')}"
                   + (", read through Chromium" if report.get("browser") else ""))
    for row in report.get("selectors", []):
        typer.echo(f"{row['name']} [{row['css']}]: {row['count']} found")
        for entry in row["found"]:
            typer.echo("  " + (", ".join(f"{k} {v}" for k, v in entry.items()) if isinstance(entry, dict) else str(entry)))
        if row["count"] > len(row["found"]):
            typer.echo(f"  ... and {row['count'] - len(row['found'])} more not shown")
    for warning in report.get("warnings", []):
        typer.echo(f"warning: {warning}")
