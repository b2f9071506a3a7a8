"""The root of the `leakwatch` command: its global options, how every error leaves, and what the
command modules share.

An error of any kind (a LeakwatchError, the store, a bad flag, a bug) is one line `leakwatch: ...`
on stderr and exit code 2, never 1, which cron reads as "a match" (_Root); the exit codes are listed
in the package's docstring.
"""

import contextlib
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from leakwatch.matchers.errors import LeakwatchError
from leakwatch.matchers.pause_gc import imports_without_gc

from leakwatch.settings import Settings, SettingsError

from .scan_output import EXIT_ERROR, EXIT_MATCH, EXIT_OK  # noqa: F401 - declared once, there (re-exported)


class Failure(LeakwatchError):
    """A user-facing error: printed on one line, exit code 2."""


def err(message: str) -> None:
    # One line whatever the message holds (a YAML error spans several): a log reader or cron
    # mail shows one line per failure.
    typer.echo("leakwatch: " + " ".join(str(message).split()), err=True)


def describe(exc: BaseException) -> str:
    """What went wrong, in one line a user can act on."""
    if isinstance(exc, LeakwatchError):
        return str(exc) or type(exc).__name__
    # Looked up, not imported: an exception of redis-py can only come from a loaded redis-py.
    redis = sys.modules.get("redis")
    if redis is not None and isinstance(exc, redis.RedisError):
        return _describe_store_error(exc, redis)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": ")
    # A bug. Its type only: a message could quote a dump's values.
    return (f"unexpected error {type(exc).__name__} (a bug in leakwatch: please report it, "
            "with the traceback that the same command prints with --debug)")


def _describe_store_error(exc, redis) -> str:
    from redis.exceptions import ClusterError, RedisClusterException

    if isinstance(exc, redis.AuthenticationError):
        return f"the store refused leakwatch's credentials: {exc}"
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ClusterError, RedisClusterException)):
        return f"the store is not reachable: {exc or type(exc).__name__}"
    if isinstance(exc, redis.ResponseError):
        return f"the store refused a command: {exc}"
    return f"the store failed: {type(exc).__name__}: {exc}"


# Set by the settings callback of each command: --debug, or log_level DEBUG.
_debug = False

# typer's own ways out (an exit code, a usage error, Abort): handled by _Root.main, not errors here.
# TyperException is the base of typer's usage errors (its vendored click's ClickException).
_CLICK_FLOW = (typer.Exit, typer.Abort, typer.TyperException)


def _exit_with(exc: BaseException):
    """Print `exc` as one line (and its traceback with --debug) and exit 2."""
    if _debug:
        import traceback

        traceback.print_exception(exc)
    err(describe(exc))
    raise typer.Exit(EXIT_ERROR)


class _Root(TyperGroup):
    """The `leakwatch` command: every way a command can fail leaves as one line on stderr and
    exit code 2.

    `invoke` runs the settings callback and the command: an exception out of either (a
    LeakwatchError, the store's, a bug) is described in one line. `main` parses the command line:
    a usage error (unknown option, missing argument) is one line too, instead of typer's box.

    It also holds the commands other installed distributions declare in the `leakwatch.commands`
    entry-point group (the synthetic world's `demo`; leakwatch itself never imports them). They
    are looked up only for a name that is not one of leakwatch's own, or for the list (--help):
    the lookup and the plug-in's own imports (rich) would add 45 ms to every command's start-up.
    """

    _plugged_in = False

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands:
            self._plug_in()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        self._plug_in()
        return super().list_commands(ctx)

    def _plug_in(self) -> None:
        if self._plugged_in:
            return
        self._plugged_in = True
        from importlib.metadata import entry_points

        from typer.main import get_command

        for entry in entry_points(group="leakwatch.commands"):
            if entry.name in self.commands:
                continue
            try:
                function = entry.load()
            except ImportError as exc:  # a plug-in installed without what it needs: its command is absent
                logging.getLogger("leakwatch.cli").debug("command %s not loaded: %s", entry.name, exc)
                continue
            # A Typer of one command gives that command alone, built as the root's own are.
            one = typer.Typer(add_completion=False)
            one.command(entry.name)(guard(function))
            self.add_command(get_command(one), entry.name)
        # Listed where typer lists the app's own commands: after the others, before the groups.
        for name in [name for name, command in self.commands.items() if isinstance(command, TyperGroup)]:
            self.commands[name] = self.commands.pop(name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _CLICK_FLOW:
            raise
        except Exception as exc:  # noqa: BLE001 - every error is exit code 2, a bug included
            _exit_with(exc)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed already, as typer does
                code = EXIT_ERROR
            else:
                where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "leakwatch"
                err(f"{exc.format_message()} (see {where} --help)")
                code = EXIT_ERROR
        except typer.Abort:  # end of input at a prompt
            err("aborted")
            code = EXIT_ERROR
        # As click's standalone mode: a command that returns normally exits 0.
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(cls=_Root, add_completion=False, no_args_is_help=True,
                  help="leakwatch: find your institution's data in leaks, early.")


@app.callback()
def _main(
    ctx: typer.Context,
    redis_url: Optional[str] = typer.Option(None, "--redis-url", help="Redis URL of the store (overrides LEAKWATCH_REDIS_URL)."),
    home: Optional[str] = typer.Option(None, "--home", help="Directory of local state (overrides LEAKWATCH_HOME)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", help="Prefix of every Redis key."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (YAML) instead of config/leakwatch.yaml."),
    debug: bool = typer.Option(False, "--debug", help="Log at DEBUG and print an error's traceback (it may quote input)."),
):
    try:
        settings = Settings.load({"redis_url": redis_url, "home": home, "namespace": namespace,
                                  "log_level": "DEBUG" if debug else None}, config_path=config)
    except SettingsError as exc:
        err(str(exc))
        raise typer.Exit(EXIT_ERROR)
    global _debug
    _debug = str(settings.log_level).upper() == "DEBUG"
    level = getattr(logging, str(settings.log_level).upper(), logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_stem(level)
    ctx.obj = settings


class _AtLeast(logging.Filter):
    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record) -> bool:
        return record.levelno >= self.level


def _quiet_stem(level: int) -> None:
    """Keep stem's records below `level` out of the log.

    stem sets its logger to TRACE when it is imported (only the Tor commands import it), and the
    root handler would then print its every step. A filter on that logger outlives the import,
    which is not made here (0.1 s on every command).
    """
    stem_logger = logging.getLogger("stem")
    for old in [f for f in stem_logger.filters if isinstance(f, _AtLeast)]:
        stem_logger.removeFilter(old)
    stem_logger.addFilter(_AtLeast(level))
    stem_logger.setLevel(level)


# True in a process that runs one command and ends (cli.main): its start-up imports are then
# kept out of the collector's way (see open_runtime). A process that goes on calling commands
# (the tests) keeps its collector as it is.
ONE_COMMAND = False


def open_runtime(ctx):
    # The runtime's imports (numpy, redis-py, the stages) cost the collector about 14 ms of a
    # scan's start-up, walking objects that live as long as the process.
    with imports_without_gc() if ONE_COMMAND else contextlib.nullcontext():
        from leakwatch.runtime import Runtime

        return Runtime(ctx.obj, imports=imports_without_gc if ONE_COMMAND else None)


def guard(fn):
    """Turn any error of a command into one clear line and exit code 2, as _Root does for every
    command; kept on each command so that it holds wherever the function is called from."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _CLICK_FLOW:
            raise
        except Exception as exc:  # noqa: BLE001 - every error is exit code 2, a bug included
            _exit_with(exc)

    return wrapper


def match_or_fail(runtime, match_id: str) -> dict:
    match = runtime.queue.get(match_id)
    if match is None:
        raise Failure(f"no match {match_id!r} (see `leakwatch queue list --state all`)")
    return match


ACTING_ANALYST = typer.Option(None, "--as", help="The analyst acting (default: your login name).")


def acting_analyst(name: Optional[str]) -> str:
    import getpass

    return name or getpass.getuser()


def when(epoch: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch)) if epoch else ""
