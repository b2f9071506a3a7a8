"""The people-facing commands: `queue`, `user`, `institution`, `alerts` and `serve`.

Analysts work the match queue from here as from the web app: the same Triage code, the
same audit log. The acting analyst is `--as NAME` (default: the login name of the shell).
"""

import getpass
import json
import time
from typing import Optional

import typer

from .cli import EXIT_ERROR, EXIT_OK, Failure, _guard, _runtime, app

queue_app = typer.Typer(no_args_is_help=True, help="The match queue: list, show and decide matches.")
user_app = typer.Typer(no_args_is_help=True, help="Analysts' accounts for the web app.")
institution_app = typer.Typer(no_args_is_help=True, help="Institutions: API tokens and alert channels.")
alerts_app = typer.Typer(no_args_is_help=True, help="Alerts to institutions: send, list failures, retry.")
app.add_typer(queue_app, name="queue")
app.add_typer(user_app, name="user")
app.add_typer(institution_app, name="institution")
app.add_typer(alerts_app, name="alerts")

_ACTOR = typer.Option(None, "--as", help="The analyst acting (default: your login name).")


def _actor(name: Optional[str]) -> str:
    return name or getpass.getuser()


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch)) if epoch else ""


# ---------------------------------------------------------------- queue


@queue_app.command("list")
@_guard
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
    from matchers.registry.queue import STATES

    states = STATES if state == "all" else (state,)
    if state != "all" and state not in STATES:
        raise Failure(f"unknown state {state!r}: one of {', '.join(STATES)} or all")
    runtime = _runtime(ctx)
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
                      m["source"] or "scan", _when(m["created_at"]), m["state"], m["assignee"])
    Console().print(table)


def _match_or_fail(runtime, match_id: str) -> dict:
    match = runtime.queue.get(match_id)
    if match is None:
        raise Failure(f"no match {match_id!r} (see `leakwatch queue list --state all`)")
    return match


@queue_app.command("show")
@_guard
def queue_show(ctx: typer.Context, match_id: str = typer.Argument(...),
               as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """One match with its evidence: excerpt (row numbers, kinds of fields), spread timeline, audit log."""
    from matchers.match.excerpt import predates

    from .review import spread_timeline

    runtime = _runtime(ctx)
    match = _match_or_fail(runtime, match_id)
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
    console.print(f"seen: {_when(m['created_at'])} on {escape(m['source'] or 'scan')}: {escape(m['url'] or m['name'])}")
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
        console.print(f"  {_when(entry['at'])}  {escape(entry['actor'])}  {entry['action']}  "
                      f"{escape(entry['detail'].get('note', ''))}")


def _decide(ctx, match_id: str, state: str, actor: Optional[str], note: str, duplicate_of: str = "") -> None:
    runtime = _runtime(ctx)
    _match_or_fail(runtime, match_id)
    match = runtime.triage.decide(match_id, state, _actor(actor), note=note, duplicate_of=duplicate_of)
    typer.echo(f"{match_id}: {match['state']}")


@queue_app.command("confirm")
@_guard
def queue_confirm(ctx: typer.Context, match_id: str = typer.Argument(...),
                  note: str = typer.Option("", "--note", help="Why (kept in the audit log)."), actor: Optional[str] = _ACTOR):
    """Confirm a match: the institution is alerted."""
    _decide(ctx, match_id, "confirmed", actor, note)


@queue_app.command("dismiss")
@_guard
def queue_dismiss(
    ctx: typer.Context,
    match_id: str = typer.Argument(...),
    duplicate_of: str = typer.Option("", "--duplicate-of", help="Dismiss as a duplicate of this match."),
    note: str = typer.Option("", "--note", help="Why (kept in the audit log)."),
    actor: Optional[str] = _ACTOR,
):
    """Dismiss a match as a false positive (or, with --duplicate-of, as a duplicate)."""
    _decide(ctx, match_id, "duplicate" if duplicate_of else "false_positive", actor, note, duplicate_of)


@queue_app.command("reopen")
@_guard
def queue_reopen(ctx: typer.Context, match_id: str = typer.Argument(...),
                 note: str = typer.Option("", "--note"), actor: Optional[str] = _ACTOR):
    """Put a decided match back in the queue as new."""
    _decide(ctx, match_id, "new", actor, note)


@queue_app.command("assign")
@_guard
def queue_assign(ctx: typer.Context, match_id: str = typer.Argument(...),
                 analyst: str = typer.Argument(..., help="An analyst's name ('' to unassign)."), actor: Optional[str] = _ACTOR):
    """Assign a match to an analyst."""
    runtime = _runtime(ctx)
    _match_or_fail(runtime, match_id)
    runtime.triage.assign(match_id, analyst, _actor(actor))
    typer.echo(f"{match_id}: assigned to {analyst or 'nobody'}")


# ---------------------------------------------------------------- users


@user_app.command("add")
@_guard
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name."),
    password: Optional[str] = typer.Option(None, "--password", help="Default: asked for, not echoed. LEAKWATCH_NEW_PASSWORD also works."),
    reset: bool = typer.Option(False, "--reset", help="Set a new password for an existing analyst."),
):
    """Create an analyst's account (or reset its password)."""
    import os

    password = password or os.environ.get("LEAKWATCH_NEW_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime(ctx)
    runtime.analysts.add(name, password, replace=reset)
    runtime.audit.record(getpass.getuser(), "user:reset" if reset else "user:add", detail={"analyst": name})
    typer.echo(f"analyst {name} {'updated' if reset else 'added'}")


@user_app.command("list")
@_guard
def user_list(ctx: typer.Context):
    """Analysts' names."""
    for name in _runtime(ctx).analysts.names():
        typer.echo(name)


@user_app.command("remove")
@_guard
def user_remove(ctx: typer.Context, name: str = typer.Argument(...)):
    """Remove an analyst's account."""
    runtime = _runtime(ctx)
    runtime.analysts.remove(name)
    runtime.audit.record(getpass.getuser(), "user:remove", detail={"analyst": name})
    typer.echo(f"analyst {name} removed")


# ---------------------------------------------------------------- institutions


@institution_app.command("token")
@_guard
def institution_token(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    label: str = typer.Option("", "--label", help="What the token is for."),
    revoke: Optional[str] = typer.Option(None, "--revoke", help="Revoke the token with this id instead."),
    show: bool = typer.Option(False, "--list", help="List the institution's tokens (ids and labels only)."),
):
    """Issue an API token for an institution (printed once), list or revoke its tokens."""
    runtime = _runtime(ctx)
    if show:
        for token in runtime.tokens.list(institution):
            typer.echo(f"{token['id']}  {_when(token['created_at'])}  {token['label']}")
        return
    if revoke:
        if not runtime.tokens.revoke(institution, revoke):
            raise Failure(f"{institution} has no token {revoke!r}")
        runtime.audit.record(getpass.getuser(), "token:revoke", detail={"institution": institution, "token": revoke})
        typer.echo(f"revoked {revoke}")
        return
    issued = runtime.tokens.issue(institution, label)
    runtime.audit.record(getpass.getuser(), "token:issue", detail={"institution": institution, "token": issued["id"]})
    typer.echo(issued["token"])


@institution_app.command("channels")
@_guard
def institution_channels(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    webhook: Optional[str] = typer.Option(None, "--webhook", help="Webhook URL alerts are POSTed to."),
    email: Optional[list[str]] = typer.Option(None, "--email", help="An address alerts are mailed to (repeatable)."),
):
    """Show or set an institution's alert channels (the webhook secret is printed when set)."""
    from .alerts import AlertError

    runtime = _runtime(ctx)
    channels = runtime.channels
    try:
        if webhook is not None or email:
            current = channels.get(institution)
            result = channels.set(institution, webhook_url=webhook if webhook is not None else current["webhook_url"],
                                  emails=email if email else current["emails"])
        else:
            result = channels.get(institution)
    except AlertError as exc:
        raise Failure(str(exc))
    typer.echo(json.dumps(result, indent=2))


# ---------------------------------------------------------------- alerts


@alerts_app.command("send")
@_guard
def alerts_send(ctx: typer.Context, watch: bool = typer.Option(False, "--watch", help="Keep sending until interrupted.")):
    """Deliver pending alerts and due retries once (for cron), or keep at it with --watch."""
    sender = _runtime(ctx).alert_sender
    if watch:
        import threading

        stop = threading.Event()
        try:
            sender.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
        return
    attempted = sender.run_once()
    failures = sender.failures()
    typer.echo(f"{attempted} delivery attempt(s); {len(failures)} failed delivery(ies) need attention")
    raise typer.Exit(EXIT_ERROR if failures else EXIT_OK)


@alerts_app.command("failures")
@_guard
def alerts_failures(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """Alerts that could not be delivered."""
    failures = _runtime(ctx).alert_sender.failures()
    if as_json:
        typer.echo(json.dumps(failures))
        return
    for f in failures:
        typer.echo(f"{f['id']}  {f['match']}  {f['channel']} {f.get('target', '')}  attempts {f['attempts']}: {f['last_error']}")


@alerts_app.command("retry")
@_guard
def alerts_retry(ctx: typer.Context, delivery_id: str = typer.Argument(...)):
    """Try a failed delivery again."""
    _runtime(ctx).alert_sender.retry(delivery_id)
    typer.echo(f"{delivery_id}: queued again")


@app.command("misp")
@_guard
def misp_cmd(ctx: typer.Context, match_id: str = typer.Argument(...)):
    """Print a confirmed match as a MISP event (JSON) a CERT can import."""
    from .alerts import misp_event
    from .review import spread_timeline

    runtime = _runtime(ctx)
    match = _match_or_fail(runtime, match_id)
    if match["state"] != "confirmed":
        raise Failure(f"{match_id} is {match['state']}: only confirmed matches are exported")
    sighting = runtime.sightings.get(match["sighting"], with_matches=False)
    typer.echo(json.dumps(misp_event(match, sighting, spread_timeline(runtime.sightings, match)), indent=2))


# ---------------------------------------------------------------- serve


@app.command("serve")
@_guard
def serve_cmd(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (serve_host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port to listen on (serve_port)."),
):
    """Serve the analysts' web app and the institutions' API (and send alerts in the background)."""
    import uvicorn

    from .runtime import Runtime
    from .settings import Settings
    from .web import create_app

    settings = ctx.obj
    # The flags win over the settings, for the app's own links (alerts) too.
    values = {**settings.as_dict(), "serve_host": host or settings.serve_host, "serve_port": port or settings.serve_port}
    runtime = Runtime(Settings(values, settings.origins))
    host, port = values["serve_host"], values["serve_port"]
    if not runtime.analysts.names():
        typer.echo("no analyst account yet: create one with `leakwatch user add NAME`", err=True)
    typer.echo(f"leakwatch web app on http://{host}:{port}/")
    uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)
