"""`leakwatch settings` (every effective value and where it came from) and `leakwatch key` (the deployment key)."""

import json
from pathlib import Path
from typing import Optional

import typer

from leakwatch.settings import SETTINGS

from .root import Failure, app, guard

key_app = typer.Typer(no_args_is_help=True, help="The deployment key.")
app.add_typer(key_app, name="key")


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


@key_app.command("init")
@guard
def key_init(ctx: typer.Context, path: Optional[Path] = typer.Option(None, "--path", help="Where to write the key.")):
    """Create the deployment key (once). Institutions receive a copy to fingerprint their data."""
    from leakwatch.matchers.fingerprint import DeploymentKey

    target = path or ctx.obj.key_path
    if target.exists():
        raise Failure(f"{target} exists already; a new key would orphan every registered dataset")
    key = DeploymentKey.generate()
    key.save(target)
    typer.echo(f"deployment key {key.key_id} written to {target} (mode 0600)")


@key_app.command("show")
@guard
def key_show(ctx: typer.Context):
    """Print the key id and path of the deployment key (never the key itself)."""
    from leakwatch.matchers.fingerprint import DeploymentKey

    key = DeploymentKey.load(ctx.obj.key_path)
    typer.echo(f"{key.key_id}  {ctx.obj.key_path}")
