"""`leakwatch store status|migrate|stop`: the Redis store and leakwatch's own redis-server."""

import json

import typer

from .root import EXIT_ERROR, app, err, guard, open_runtime

store_app = typer.Typer(no_args_is_help=True, help="The Redis store: its status, leakwatch's own local redis-server, migrating an old key layout.")
app.add_typer(store_app, name="store")


@store_app.command("status")
@guard
def store_status(ctx: typer.Context):
    """Where the store is and how much it holds."""
    from leakwatch.matchers.registry.connection import summary

    runtime = open_runtime(ctx)
    info = summary(runtime.redis)
    masters = f", {info['masters']} masters" if info["masters"] > 1 else ""
    typer.echo(f"{runtime.redis_url}: redis {info['redis_version']}{masters}, aof {'on' if info['aof'] else 'off'}, "
               f"{info['keys']} keys, {len(runtime.registry.datasets())} datasets registered")


@store_app.command("migrate")
@guard
def store_migrate(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be moved; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
):
    """Move a store made before the current key layout (`lw:*` for every key) to it; safe to run again.

    Stop crawls, scans and the web app first. Prints counts by kind, never key names."""
    from leakwatch.matchers.registry.migrate import StoreMigration

    runtime = open_runtime(ctx)
    report = StoreMigration(runtime.redis, runtime.settings.namespace).run(dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        verb = "to move" if dry_run else "moved"
        if report.mode == "copy":
            typer.echo("Redis Cluster: a key's old and new names are in different slots, where RENAME is refused; "
                       "each key is copied (DUMP/RESTORE) then its old name deleted. Not atomic: if this run "
                       "stops midway, run it again.")
        moved = sum(report.moved.values())
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(report.moved.items()))
        typer.echo(f"{moved} keys {verb}" + (f" ({detail})" if detail else ""))
        if report.merged:
            typer.echo(f"{sum(report.merged.values())} registry keys merged into the current ones "
                       "(every scanning process loads the registry again)")
        if report.finished:
            typer.echo(f"{report.finished} copies of an interrupted run finished")
        typer.echo(f"{report.dataset_keys} dataset keys already in the current layout; "
                   f"{report.unknown} other keys under the namespace left as they are")
    if report.conflicts:
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(report.conflicts.items()))
        err(f"{sum(report.conflicts.values())} keys exist under both the old and the current name ({detail}): "
             "left unchanged under both; the current code wrote them after the upgrade. Keep one of the two "
             "and run the migration again.")
        raise typer.Exit(EXIT_ERROR)


@store_app.command("stop")
@guard
def store_stop(ctx: typer.Context):
    """Stop leakwatch's own redis-server (data is kept; the next command starts it again)."""
    from leakwatch.matchers.registry.local_server import LocalRedis

    stopped = LocalRedis(ctx.obj.home_path / "redis").stop()
    typer.echo("stopped" if stopped else "not running")
