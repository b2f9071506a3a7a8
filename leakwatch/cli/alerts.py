"""`leakwatch alerts send|failures|retry` and `leakwatch misp` (a confirmed match as a MISP event)."""

import json

import typer

from .root import EXIT_ERROR, EXIT_OK, Failure, app, guard, match_or_fail, open_runtime

alerts_app = typer.Typer(no_args_is_help=True, help="Alerts to institutions: send, list failures, retry.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("send")
@guard
def alerts_send(ctx: typer.Context, watch: bool = typer.Option(False, "--watch", help="Keep sending until interrupted.")):
    """Deliver pending alerts and due retries once (for cron), or keep at it with --watch."""
    sender = open_runtime(ctx).alert_sender
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
@guard
def alerts_failures(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """Alerts that could not be delivered."""
    failures = open_runtime(ctx).alert_sender.failures()
    if as_json:
        typer.echo(json.dumps(failures))
        return
    for f in failures:
        typer.echo(f"{f['id']}  {f['match']}  {f['channel']} {f.get('target', '')}  attempts {f['attempts']}: {f['last_error']}")


@alerts_app.command("retry")
@guard
def alerts_retry(ctx: typer.Context, delivery_id: str = typer.Argument(...)):
    """Try a failed delivery again."""
    open_runtime(ctx).alert_sender.retry(delivery_id)
    typer.echo(f"{delivery_id}: queued again")


@app.command("misp")
@guard
def misp_cmd(ctx: typer.Context, match_id: str = typer.Argument(...)):
    """Print a confirmed match as a MISP event (JSON) a CERT can import."""
    from leakwatch.alerts import misp_event
    from leakwatch.review import spread_timeline

    runtime = open_runtime(ctx)
    match = match_or_fail(runtime, match_id)
    if match["state"] != "confirmed":
        raise Failure(f"{match_id} is {match['state']}: only confirmed matches are exported")
    sighting = runtime.sightings.get(match["sighting"], with_matches=False)
    typer.echo(json.dumps(misp_event(match, sighting, spread_timeline(runtime.sightings, match)), indent=2))
