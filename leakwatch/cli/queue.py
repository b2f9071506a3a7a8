"""`leakwatch queue`: analysts work the match queue from here as from the web app, with the same
Triage code and the same audit log. The acting analyst is `--as NAME` (default: the shell's login name)."""

import json
from typing import Optional

import typer

from .root import ACTING_ANALYST, Failure, acting_analyst, app, guard, match_or_fail, open_runtime, when

queue_app = typer.Typer(no_args_is_help=True, help="The match queue: list, show and decide matches.")
app.add_typer(queue_app, name="queue")


@queue_app.command("list")
@guard
def queue_list(
    ctx: typer.Context,
    state: str = typer.Option("new", "--state", help="new, confirmed, false_positive, duplicate or all."),
    institution: Optional[str] = typer.Option(None, "--institution", help="Only this institution's matches."),
    source: Optional[str] = typer.Option(None, "--source", help="Only matches seen on this source ('scan' for files scanned)."),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Matches, most urgent first (canary hits, then records at stake by sensitivity)."""
    from leakwatch.matchers.registry.queue import STATES

    states = STATES if state == "all" else (state,)
    if state != "all" and state not in STATES:
        raise Failure(f"unknown state {state!r}: one of {', '.join(STATES)} or all")
    runtime = open_runtime(ctx)
    runtime.leaks.sync()  # reposts of decided leaks are filed as duplicates before the queue is shown
    matches, total = runtime.queue.list(states=states, institution=institution, source=source,
                                              limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps({"total": total, "offset": offset, "matches": matches}))
        return
    from rich.console import Console
    from rich.table import Column, Table

    table = Table(Column("id", no_wrap=True), Column("institution/dataset", no_wrap=True), "records", "fields",
                  "source", "seen", "state", "assignee",
                  title=f"{total} match(es), {state}; showing {offset + 1 if matches else 0}-{offset + len(matches)}")
    for m in matches:
        records = f"{m['records']} ({m['records_low']}-{m['records_high']})"
        if m["canaries"]:
            records = f"CANARY x{m['canaries']}  " + records
        table.add_row(m["id"], f"{m['institution']}/{m['dataset']}", records, ", ".join(m["fields"]),
                      m["source"] or "scan", when(m["created_at"]), m["state"], m["assignee"])
    Console().print(table)


@queue_app.command("show")
@guard
def queue_show(ctx: typer.Context, match_id: str = typer.Argument(...),
               as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """One match with its evidence: excerpt (row numbers, kinds of fields), spread timeline, audit log."""
    from leakwatch.matchers.match.excerpt import predates

    from leakwatch.review import spread_timeline

    runtime = open_runtime(ctx)
    match = match_or_fail(runtime, match_id)
    sighting = runtime.sightings.get(match["sighting"], with_matches=False) or {}
    data = {
        "match": match,
        "excerpt": sighting.get("excerpt", "").splitlines(),
        # Sightings stored before excerpts held kinds of fields only keep the older redaction.
        "excerpt_predates": predates(sighting.get("excerpt", "")),
        "timeline": spread_timeline(runtime.sightings, match),
        "audit": runtime.audit.for_match(match_id),
    }
    if as_json:
        typer.echo(json.dumps(data))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    m = match
    console.print(f"[bold]{escape(m['id'])}[/]  {escape(m['institution'])}/{escape(m['dataset'])}  state: {m['state']}"
                  + (f"  assigned: {escape(m['assignee'])}" if m["assignee"] else ""))
    console.print(f"records: {m['records']} (range {m['records_low']}-{m['records_high']})  "
                  f"canaries: {m['canaries']}  fields: {', '.join(m['fields'])}")
    console.print(f"seen: {when(m['created_at'])} on {escape(m['source'] or 'scan')}: {escape(m['url'] or m['name'])}")
    if data["excerpt"]:
        console.print("excerpt (older redaction: first characters and lengths of values):" if data["excerpt_predates"]
                      else "excerpt (matched rows: row in the dump, kind of each field):")
        for line in data["excerpt"]:
            console.print("  " + escape(line), highlight=False)
    console.print("spread:")
    for point in data["timeline"]:
        console.print(f"  {point['when']}  {escape(point['source'])}  {escape(point['where'])}  "
                      f"records {point['records']}  at stake {point['at_stake']}"
                      + ("  (first)" if point["first"] else "") + ("  <- this match" if point["this"] else ""))
    for entry in data["audit"]:
        console.print(f"  {when(entry['at'])}  {escape(entry['actor'])}  {entry['action']}  "
                      f"{escape(entry['detail'].get('note', ''))}")


def _decide(ctx, match_id: str, state: str, actor: Optional[str], note: str, duplicate_of: str = "") -> None:
    runtime = open_runtime(ctx)
    match_or_fail(runtime, match_id)
    match = runtime.triage.decide(match_id, state, acting_analyst(actor), note=note, duplicate_of=duplicate_of)
    typer.echo(f"{match_id}: {match['state']}")


@queue_app.command("confirm")
@guard
def queue_confirm(ctx: typer.Context, match_id: str = typer.Argument(...),
                  note: str = typer.Option("", "--note", help="Why (kept in the audit log)."), actor: Optional[str] = ACTING_ANALYST):
    """Confirm a match: the institution is alerted."""
    _decide(ctx, match_id, "confirmed", actor, note)


@queue_app.command("dismiss")
@guard
def queue_dismiss(
    ctx: typer.Context,
    match_id: str = typer.Argument(...),
    duplicate_of: str = typer.Option("", "--duplicate-of", help="Dismiss as a duplicate of this match."),
    note: str = typer.Option("", "--note", help="Why (kept in the audit log)."),
    actor: Optional[str] = ACTING_ANALYST,
):
    """Dismiss a match as a false positive (or, with --duplicate-of, as a duplicate)."""
    _decide(ctx, match_id, "duplicate" if duplicate_of else "false_positive", actor, note, duplicate_of)


@queue_app.command("reopen")
@guard
def queue_reopen(ctx: typer.Context, match_id: str = typer.Argument(...),
                 note: str = typer.Option("", "--note"), actor: Optional[str] = ACTING_ANALYST):
    """Put a decided match back in the queue as new."""
    _decide(ctx, match_id, "new", actor, note)


@queue_app.command("assign")
@guard
def queue_assign(ctx: typer.Context, match_id: str = typer.Argument(...),
                 analyst: str = typer.Argument(..., help="An analyst's name ('' to unassign)."), actor: Optional[str] = ACTING_ANALYST):
    """Assign a match to an analyst."""
    runtime = open_runtime(ctx)
    match_or_fail(runtime, match_id)
    runtime.triage.assign(match_id, analyst, acting_analyst(actor))
    typer.echo(f"{match_id}: assigned to {analyst or 'nobody'}")
