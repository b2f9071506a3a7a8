"""The `leakwatch` command: one typer command per verb, one module per group of commands.

Exit codes: 0 success / nothing found, 1 a match was found (scan; even if another file of the
same scan had an error, which is then on stderr too), 2 an error. An error of any
kind (a LeakwatchError, the store, a bad flag, a bug) is one line `leakwatch: ...` on stderr and
exit code 2, never 1, which cron reads as "a match" (root.Root).
Heavy imports happen inside the command that needs them, so `--help` stays quick.
"""

import atexit
import os
import sys

__all__ = ["app", "main"]


def __getattr__(name):
    # `app` is built on first use: a scan handed to the scan service needs none of it (main).
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app():
    from leakwatch.matchers.pause_gc import imports_without_gc

    # Each module adds its commands to the root command; `leakwatch --help` lists them in this
    # order, then the commands of other distributions (`leakwatch demo`), which the root adds
    # when asked for. Imports make objects by the thousand and no garbage: the collector waits
    # (see pause_gc.py).
    with imports_without_gc():
        from . import config, datasets, scan, crawl, sources, queue, leaks, accounts, alerts, response, serve, store  # noqa: F401,I001 (order of --help)
        from .root import app
    return app


def main():
    """Run one command, then end the process without Python's module teardown.

    `leakwatch scan` goes to the scan service first, if one runs for the same settings
    (leakwatch.scan_service): the files it did not scan are scanned here.

    Freeing every module one at a time (SciPy's, which datasketch imports, above all) took
    0.25 s after each command, for a process that is ending anyway. Exit handlers still run
    (logging, multiprocessing, temporary directories) and the standard streams are flushed;
    files are closed by their own `with` blocks before this point.
    """
    from leakwatch.scan_service.client import scan_with_service

    handed = scan_with_service(sys.argv[1:])
    if handed is None:
        code = _run()
    elif handed.left:
        code = handed.with_rest(_run(handed.args_left()))
    else:
        code = handed.exit_code()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage writes its results at the end of the interpreter
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`leakwatch scan ... | head`): nothing more to say
            pass
    os._exit(code or 0)


def _run(args=None) -> int:
    """The exit code of the command `args` (the command line if None), run in this process."""
    app = _app()
    from . import root

    root.ONE_COMMAND = True
    try:
        app(args=args)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if isinstance(code, str):  # sys.exit("message"): an error, printed as every error is (not 1: a match)
        root.err(code)
        code = root.EXIT_ERROR
    return code or 0
