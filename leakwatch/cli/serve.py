"""`leakwatch serve`: the analysts' web app and the institutions' API, with alerts sent in the background."""

from typing import Optional

import typer

from .root import app, guard


@app.command("serve")
@guard
def serve_cmd(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (serve_host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port to listen on (serve_port)."),
):
    """Serve the analysts' web app and the institutions' API (and send alerts in the background)."""
    import uvicorn

    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings
    from leakwatch.web import create_app

    settings = ctx.obj
    # The flags win over the settings, for the app's own links (alerts) too.
    values = {**settings.as_dict(), "serve_host": host or settings.serve_host, "serve_port": port or settings.serve_port}
    runtime = Runtime(Settings(values, settings.origins))
    host, port = values["serve_host"], values["serve_port"]
    if not runtime.analysts.names():
        typer.echo("no analyst account yet: create one with `leakwatch user add NAME`", err=True)
    typer.echo(f"leakwatch web app on http://{host}:{port}/")
    uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)
