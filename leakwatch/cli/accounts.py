"""`leakwatch user` (analysts' accounts for the web app) and `leakwatch institution` (API tokens,
alert channels)."""

import getpass
import json
import os
from typing import Optional

import typer

from .root import Failure, app, guard, open_runtime, when

user_app = typer.Typer(no_args_is_help=True, help="Analysts' accounts for the web app.")
app.add_typer(user_app, name="user")
institution_app = typer.Typer(no_args_is_help=True, help="Institutions: API tokens and alert channels.")
app.add_typer(institution_app, name="institution")


@user_app.command("add")
@guard
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name."),
    password: Optional[str] = typer.Option(None, "--password", help="Default: asked for, not echoed. LEAKWATCH_NEW_PASSWORD also works."),
    reset: bool = typer.Option(False, "--reset", help="Set a new password for an existing analyst."),
):
    """Create an analyst's account (or reset its password)."""

    password = password or os.environ.get("LEAKWATCH_NEW_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    runtime = open_runtime(ctx)
    runtime.analysts.add(name, password, replace=reset)
    runtime.audit.record(getpass.getuser(), "user:reset" if reset else "user:add", detail={"analyst": name})
    typer.echo(f"analyst {name} {'updated' if reset else 'added'}")


@user_app.command("list")
@guard
def user_list(ctx: typer.Context):
    """Analysts' names."""
    for name in open_runtime(ctx).analysts.names():
        typer.echo(name)


@user_app.command("remove")
@guard
def user_remove(ctx: typer.Context, name: str = typer.Argument(...)):
    """Remove an analyst's account."""
    runtime = open_runtime(ctx)
    runtime.analysts.remove(name)
    runtime.audit.record(getpass.getuser(), "user:remove", detail={"analyst": name})
    typer.echo(f"analyst {name} removed")


@institution_app.command("token")
@guard
def institution_token(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    label: str = typer.Option("", "--label", help="What the token is for."),
    revoke: Optional[str] = typer.Option(None, "--revoke", help="Revoke the token with this id instead."),
    show: bool = typer.Option(False, "--list", help="List the institution's tokens (ids and labels only)."),
):
    """Issue an API token for an institution (printed once), list or revoke its tokens."""
    runtime = open_runtime(ctx)
    if show:
        for token in runtime.tokens.list(institution):
            typer.echo(f"{token['id']}  {when(token['created_at'])}  {token['label']}")
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
@guard
def institution_channels(
    ctx: typer.Context,
    institution: str = typer.Argument(...),
    webhook: Optional[str] = typer.Option(None, "--webhook", help="Webhook URL alerts are POSTed to."),
    email: Optional[list[str]] = typer.Option(None, "--email", help="An address alerts are mailed to (repeatable)."),
):
    """Show or set an institution's alert channels (the webhook secret is printed when set)."""
    from leakwatch.alerts import AlertError

    runtime = open_runtime(ctx)
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
