"""`leakwatch leaks`: the queue of leaks (one row per dump family) from the shell.

The same LeakQueue as the web app's landing page, the same Triage and audit log as
`leakwatch queue`; the acting analyst is `--as NAME` (default: the login name of the shell).
"""

import json
from datetime import datetime, timezone
from typing import Optional

import typer

from .root import ACTING_ANALYST, Failure, acting_analyst, app, guard, open_runtime, when

leaks_app = typer.Typer(no_args_is_help=True, help="The queue of leaks: a dump and its reposts, every institution in it.")
app.add_typer(leaks_app, name="leaks")

_STATES = "new, confirmed, dismissed or all"


def _epoch(raw: Optional[str], flag: str, end_of_day: bool = False) -> Optional[float]:
    """A date (2026-11-25) or a UTC time (2026-11-25T12:40:00) as epoch seconds."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.removesuffix("Z"))
    except ValueError:
        raise Failure(f"{flag} {raw!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)") from None
    if end_of_day and len(raw) == 10:
        when = when.replace(hour=23, minute=59, second=59)
    return when.replace(tzinfo=when.tzinfo or timezone.utc).timestamp()


def _states(state: str) -> tuple:
    from leakwatch.matchers.registry.leaks import LEAK_STATES

    if state == "all":
        return LEAK_STATES
    if state not in LEAK_STATES:
        raise Failure(f"unknown state {state!r}: one of {_STATES}")
    return (state,)


def _leak_or_fail(runtime, leak_id: str) -> dict:
    leak = runtime.leaks.get(leak_id)
    if leak is None:
        raise Failure(f"no leak {leak_id!r} (see `leakwatch leaks list --state all`)")
    return leak


def _records(item: dict) -> str:
    text = str(item["records"])
    if item["records_low"] != item["records_high"]:
        text += f" ({item['records_low']}-{item['records_high']})"
    return (f"CANARY x{item['canaries']}  " if item["canaries"] else "") + text


@leaks_app.command("list")
@guard
def leaks_list(
    ctx: typer.Context,
    state: str = typer.Option("new", "--state", help=_STATES + "."),
    institution: Optional[str] = typer.Option(None, "--institution", help="Only leaks holding this institution's records."),
    source: Optional[str] = typer.Option(None, "--source", help="Only leaks seen on this source ('scan' for files scanned)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only leaks seen on or after this date (UTC)."),
    until: Optional[str] = typer.Option(None, "--until", help="Only leaks seen on or before this date (UTC)."),
    search: str = typer.Option("", "--search", help="A piece of a source, URL, title, file or institution name."),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Leaks, most urgent first: each dump family once, with its institutions and records at stake."""
    from leakwatch.review.leak_queue import public

    leaks, total = open_runtime(ctx).leaks.list(
        states=_states(state), institution=institution, source=source, seen_from=_epoch(since, "--since"),
        seen_to=_epoch(until, "--until", end_of_day=True), text=search, limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps({"total": total, "offset": offset, "leaks": [public(x) for x in leaks]}))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Column, Table

    table = Table(Column("leak", no_wrap=True), "name", "institutions", "records", "sources", "sightings",
                  "first seen", "latest", "state",
                  title=f"{total} leak(s), {state}; showing {offset + 1 if leaks else 0}-{offset + len(leaks)}")
    for leak in leaks:
        # A title or source is whatever a forum post said: shown as text, never as rich markup.
        table.add_row(leak["id"], escape(leak["name"]), ", ".join(leak["institutions"]), _records(leak),
                      escape(", ".join(leak["sources"])), str(len(leak["sightings"])), when(leak["first_seen"]),
                      when(leak["latest_seen"]),
                      leak["state"] + (f" (back: {escape(leak['reason'])})" if leak["reason"] else ""))
    Console().print(table)


@leaks_app.command("show")
@guard
def leaks_show(ctx: typer.Context, leak_id: str = typer.Argument(...),
               as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """One leak: its sightings (the spread), each institution's part with its matches, decisions."""
    from leakwatch.review.leak_queue import leak_audit, public

    runtime = open_runtime(ctx)
    leak = _leak_or_fail(runtime, leak_id)
    audit = leak_audit(runtime.audit, leak)
    if as_json:
        typer.echo(json.dumps({"leak": public(leak), "audit": audit}))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    console.print(f"[bold]leak {escape(leak['id'])}[/]  {escape(leak['name'])}  state: {leak['state']}"
                  + (f"  (back in the queue: {escape(leak['reason'])})" if leak["reason"] else ""))
    console.print(f"records at stake: {_records(leak)}  fields: {', '.join(leak['fields'])}")
    console.print(f"first seen {when(leak['first_seen'])}, latest {when(leak['latest_seen'])}, "
                  f"{len(leak['sightings'])} sighting(s) on {', '.join(escape(s) for s in leak['sources'])}")
    console.print("sightings:")
    for s in leak["sightings"]:
        console.print(f"  {escape(s['id'])}  {when(s['seen_at'])}  {escape(s['source'])}  "
                      f"{escape(s['url'] or s['name'])}  rows {s['rows']}")
    console.print("institutions:")
    for part in leak["parts"]:
        console.print(f"  {escape(part['institution'])}/{escape(part['dataset'])}  {part['state']}  "
                      f"records {_records(part)}  fields: {', '.join(part['fields'])}")
        for m in part["matches"]:
            console.print(f"    {escape(m['id'])}  {m['state']}  records {m['records']}")
    for entry in audit:
        console.print(f"  {when(entry['at'])}  {escape(entry['actor'])}  {entry['action']}  "
                      f"{escape(entry['match'])}  {escape(entry['detail'].get('note', ''))}")


def _decide(ctx, leak_id: str, decision: str, institution: Optional[str], dataset: Optional[str],
            note: str, actor: Optional[str], as_json: bool) -> None:
    from leakwatch.review.leak_queue import public

    runtime = open_runtime(ctx)
    _leak_or_fail(runtime, leak_id)
    leak = runtime.leaks.decide(leak_id, decision, acting_analyst(actor), note=note, institution=institution, dataset=dataset)
    if as_json:
        typer.echo(json.dumps(public(leak)))
        return
    typer.echo(f"leak {leak_id}: {leak['state']} ({len(leak['changed'])} match(es) decided)")
    for part in leak["parts"]:
        typer.echo(f"  {part['institution']}/{part['dataset']}: {part['state']}")


_INSTITUTION = typer.Option(None, "--institution", help="Only this institution's part of the leak.")
_DATASET = typer.Option(None, "--dataset", help="Only this dataset of the institution.")
_NOTE = typer.Option("", "--note", help="Why (kept in the audit log).")
_JSON = typer.Option(False, "--json", help="JSON output: the leak as it is now, with the ids of the matches decided.")


@leaks_app.command("confirm")
@guard
def leaks_confirm(ctx: typer.Context, leak_id: str = typer.Argument(...), institution: Optional[str] = _INSTITUTION,
                  dataset: Optional[str] = _DATASET, note: str = _NOTE, actor: Optional[str] = ACTING_ANALYST,
                  as_json: bool = _JSON):
    """Confirm a leak for every institution in it (or one): each is alerted once."""
    _decide(ctx, leak_id, "confirmed", institution, dataset, note, actor, as_json)


@leaks_app.command("dismiss")
@guard
def leaks_dismiss(ctx: typer.Context, leak_id: str = typer.Argument(...), institution: Optional[str] = _INSTITUTION,
                  dataset: Optional[str] = _DATASET, note: str = _NOTE, actor: Optional[str] = ACTING_ANALYST,
                  as_json: bool = _JSON):
    """Dismiss a leak (or one institution's part of it) as a false positive."""
    _decide(ctx, leak_id, "false_positive", institution, dataset, note, actor, as_json)
