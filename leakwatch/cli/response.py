"""Responding to a confirmed match: `leakwatch affected` (run at the institution), `notification`,
`times`, `stix`, `thehive` and `institution soc-channels` (run at the monitor)."""

import json
from pathlib import Path
from typing import Optional

import typer

from .datasets import _read_table, _warn
from .root import Failure, app, guard, open_runtime


def _confirmed(runtime, match_id: str) -> dict:
    match = runtime.queue.get(match_id)
    if match is None:
        raise Failure(f"no match {match_id!r} (see `leakwatch queue list --state all`)")
    if match["state"] != "confirmed":
        raise Failure(f"{match_id} is {match['state']}: only a confirmed match has this (confirm it first)")
    return match


def _facts(runtime, match):
    from leakwatch.response import match_facts

    return match_facts(runtime.sightings, match, runtime.alert_sender)


@app.command("affected")
@guard
def affected_cmd(
    match_id: str = typer.Argument(..., help="The match id, as in the alert."),
    table: Path = typer.Option(..., "--table", help="Your table, the one your fingerprint file was made from."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the rows (default: affected-MATCH.csv)."),
    api: str = typer.Option(..., "--api", envvar="LEAKWATCH_API_URL", help="The monitor's URL (LEAKWATCH_API_URL)."),
    token: str = typer.Option(..., "--token", envvar="LEAKWATCH_API_TOKEN", help="Your API token (LEAKWATCH_API_TOKEN).",
                              show_default=False),
    fingerprint: Optional[Path] = typer.Option(None, "--fingerprint", help="The .lwfp you registered: checked to be the "
                                               "one the match was found with, so record numbers name the same rows."),
):
    """On your premises: the rows of your table that the monitor found in a leak, written to a local file
    (confirmed first, then weak evidence). Nothing is sent to the monitor but the match id and your token."""
    from leakwatch.response.affected import fetch_positions, write_affected

    positions = fetch_positions(api, token, match_id)
    if fingerprint is not None:
        from leakwatch.matchers.fingerprint import Fingerprint

        made = Fingerprint.load(fingerprint).created_at
        if positions.get("fingerprint_created_at") and made != positions["fingerprint_created_at"]:
            raise Failure(f"{fingerprint} was made {made}, but the match was found with the fingerprint made "
                          f"{positions['fingerprint_created_at']}: give the table and file of that registration")
    # Row by row: record numbers count rows, and a block of lines holds many.
    header, records, problems = _read_table(table, blocks=False)
    target = out or Path(f"affected-{match_id}.csv")
    counts = write_affected(positions, header, records, target)
    typer.echo(f"{target}: {counts['confirmed']} confirmed and {counts['weak']} weak record(s) of your table "
               f"(mode 0600); {counts['canaries']} canary record(s) seen")
    _warn(problems(), missing_from=str(target))
    skipped = counts["skipped_confirmed"] + counts["skipped_weak"]
    if skipped:
        typer.echo(f"leakwatch: {skipped} record(s) were past the monitor's bound on stored positions and are not "
                   "in the file", err=True)


@app.command("notification")
@guard
def notification_cmd(
    ctx: typer.Context,
    match_id: str = typer.Argument(...),
    lang: str = typer.Option("en", "--lang", help="en or fr."),
    fmt: str = typer.Option("md", "--format", help="md, html or pdf."),
    out: Optional[Path] = typer.Option(None, "--out", help="File to write ('-': standard output; default: a file named after the match)."),
):
    """The notification draft of a confirmed match for the data-protection authority (GDPR art. 33)."""
    from leakwatch.response import FORMATS, LANGS
    from leakwatch.response.documents import notification_document

    if lang not in LANGS:
        raise Failure(f"unknown language {lang!r}: one of {', '.join(LANGS)}")
    if fmt not in FORMATS:
        raise Failure(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    runtime = open_runtime(ctx)
    body, _media, name = notification_document(_facts(runtime, _confirmed(runtime, match_id)), lang, fmt)
    if out is not None and str(out) == "-":
        typer.get_binary_stream("stdout").write(body)
        return
    target = out or Path(name)
    target.write_bytes(body)
    typer.echo(f"{target}: notification draft ({lang}, {fmt}, {len(body)} bytes)")


@app.command("times")
@guard
def times_cmd(ctx: typer.Context, match_id: str = typer.Argument(...),
              as_json: bool = typer.Option(False, "--json", help="JSON output.")):
    """A match's times: posted, first seen, matched, confirmed, each alert delivered."""
    runtime = open_runtime(ctx)
    match = runtime.queue.get(match_id)
    if match is None:
        raise Failure(f"no match {match_id!r} (see `leakwatch queue list --state all`)")
    times = dict(_facts(runtime, match).times)
    times.pop("warned_epoch", None)
    if as_json:
        typer.echo(json.dumps(times))
        return
    for step in ("posted_at", "first_seen", "seen", "matched", "confirmed", "warned"):
        typer.echo(f"{step:12} {times[step] or '-'}")
    for alert in times["alerts"]:
        typer.echo(f"{'alert':12} {alert['delivered_at'] or 'not delivered'}  {alert['event']} by {alert['channel']} ({alert['state']})")
    seconds = times["seconds"]["first_seen_to_warned"]
    typer.echo(f"first seen to warned: {'%.1f s' % seconds if seconds is not None else 'not warned yet'}")


@app.command("stix")
@guard
def stix_cmd(ctx: typer.Context, match_id: str = typer.Argument(...)):
    """Print a confirmed match as a STIX 2.1 bundle (JSON) for a threat-intelligence platform."""
    from leakwatch.alerts.stix import stix_bundle

    runtime = open_runtime(ctx)
    typer.echo(json.dumps(stix_bundle(_facts(runtime, _confirmed(runtime, match_id))), indent=2))


@app.command("thehive")
@guard
def thehive_cmd(
    ctx: typer.Context,
    match_id: str = typer.Argument(...),
    url: Optional[str] = typer.Option(None, "--url", help="Send it to this TheHive 5 (else print the alert's JSON)."),
    api_key_file: Optional[Path] = typer.Option(None, "--api-key-file", help="A file holding the TheHive API key."),
):
    """Print a confirmed match as a TheHive 5 alert, or send it (a repeat updates the same alert)."""
    from leakwatch.alerts.thehive import publish_thehive, thehive_alert

    runtime = open_runtime(ctx)
    alert = thehive_alert(_facts(runtime, _confirmed(runtime, match_id)), runtime.settings.public_url or "")
    if url is None:
        typer.echo(json.dumps(alert, indent=2))
        return
    if api_key_file is None or not api_key_file.is_file():
        raise Failure("--url needs --api-key-file, a file holding the TheHive API key")
    done = publish_thehive(alert, url, api_key_file.read_text().strip(),
                           timeout=runtime.settings.webhook_timeout_seconds)
    runtime.audit.record("cli", "export:thehive", match_id, {"action": done["action"]})
    typer.echo(f"TheHive alert {done['id']} {done['action']} (sourceRef {match_id})")


from .accounts import institution_app  # noqa: E402  (the `institution` group)


@institution_app.command("soc-channels")
@guard
def soc_channels_cmd(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    thehive_url: Optional[str] = typer.Option(None, "--thehive-url", help="TheHive 5 base URL ('' to remove)."),
    thehive_api_key_file: Optional[Path] = typer.Option(None, "--thehive-api-key-file", help="A file holding its API key."),
    stix_url: Optional[str] = typer.Option(None, "--stix-url", help="URL that gets each STIX 2.1 bundle ('' to remove)."),
):
    """Show, or set, an institution's TheHive and STIX receiver (alerts go there too)."""
    from leakwatch.alerts.soc_channels import SocChannels

    runtime = open_runtime(ctx)
    soc = SocChannels(runtime.redis, runtime.settings.namespace, runtime.settings.alert_webhook_allow)
    current = soc.get(institution)
    changing = thehive_url is not None or thehive_api_key_file is not None or stix_url is not None
    if changing:
        if thehive_api_key_file is not None and not thehive_api_key_file.is_file():
            raise Failure(f"{thehive_api_key_file}: no such file")
        key = thehive_api_key_file.read_text().strip() if thehive_api_key_file is not None else None
        current = soc.set(institution, thehive_url=current["thehive_url"] if thehive_url is None else thehive_url,
                          thehive_api_key=key, stix_url=current["stix_url"] if stix_url is None else stix_url)
        runtime.audit.record("cli", "soc-channels:set", detail={"institution": institution})
    typer.echo(f"thehive: {current['thehive_url'] or '-'}{' (API key set)' if current['thehive_api_key'] else ''}")
    typer.echo(f"stix:    {current['stix_url'] or '-'}")
    if changing and current["stix_secret"]:
        typer.echo(f"stix signing secret: {current['stix_secret']}")
