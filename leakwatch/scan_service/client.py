"""`leakwatch scan` handed to a running scan service: the client side.

Run before the command line is parsed (cli.main), with the standard library and the scan's output
alone imported (no setting is read: wire.settings_inputs): what a scan through the service costs
this process is an interpreter's start-up. Anything it does not handle the command does as always,
in this process: another form of the command line, no service, a service of other settings or
busy, one that stops part-way or whose store fails (the files it did not scan are scanned here).
"""

import errno
import os
import stat
import sys
from pathlib import Path

from leakwatch.cli.scan_output import EXIT_ERROR, EXIT_MATCH, EXIT_OK, NOTHING_REGISTERED, ScanTally, error_line

from . import wire


class Handed:
    """What the service did of a `leakwatch scan`."""

    def __init__(self, tally: ScanTally, left=(), lost: str | None = None):
        self.tally = tally
        self.left = list(left)  # files it did not scan (it stopped, or its store failed): scanned in this process
        self.lost = lost  # why standard input was not scanned: it cannot be read a second time

    def exit_code(self) -> int:
        """The command's exit code once the service's part is printed; its last words on stderr."""
        if self.lost is not None:
            error_line(self.lost)
            self.tally.failed = True
        if self.tally.unmatched:
            error_line(NOTHING_REGISTERED)
        return self.tally.exit_code()

    def args_left(self) -> list:
        return ["scan", "--local", *(["--json"] if self.tally.as_json else []), "--", *self.left]

    def with_rest(self, code: int) -> int:
        """The exit code of the whole command, `code` being that of the files left, scanned here."""
        codes = {self.exit_code(), code}
        return EXIT_MATCH if EXIT_MATCH in codes else EXIT_ERROR if EXIT_ERROR in codes else EXIT_OK


def scan_args(args: list) -> tuple[bool, list] | None:
    """(--json, files) of `leakwatch scan [--json] FILE...`; None for any other command line."""
    if not args or args[0] != "scan":
        return None
    as_json, files, options = False, [], True
    for arg in args[1:]:
        if options and arg == "--":
            options = False
        elif options and arg == "--json":
            as_json = True
        elif options and arg.startswith("-") and arg != "-":
            return None  # --local, --help, a global option, a typo: the command's own
        else:
            files.append(arg if arg == "-" else str(Path(arg)))
    return (as_json, files) if files else None


def scan_with_service(args: list) -> Handed | None:
    """The files of `leakwatch <args>` scanned by the scan service, their reports printed; None
    when this process is to run the command itself (nothing was printed)."""
    parsed = scan_args(args)
    if parsed is None:
        return None
    as_json, files = parsed
    if not as_json and sys.stderr.isatty():
        return None  # a person at a terminal: the progress bar of a scan in this process
    inputs = wire.settings_inputs(os.environ)
    sock = wire.connect(os.environ, inputs)
    if sock is None:
        return None
    with sock:
        sock.settimeout(wire.HELLO_SECONDS)
        reader = wire.LineReader(sock, wire.REPLY_BYTES)
        try:
            wire.send(sock, {"protocol": wire.PROTOCOL, "inputs": inputs, "cwd": os.getcwd()})
            _request(sock, files[0])  # before the answer: a refusal scans nothing, and the service's fork is not waited for
            answer = _reply(reader)
        except (OSError, ValueError):
            return None  # busy, or gone: scanned here
        if not answer or not answer.get("ready"):
            return None  # another protocol, other settings: scanned here
        sock.settimeout(float(answer.get("seconds") or 660))
        tally = ScanTally(as_json)
        for n, name in enumerate(files):
            try:
                if n:
                    _request(sock, name)
                reply = _reply(reader)
            except (OSError, ValueError):
                reply = None
            if reply is None or "report" not in reply:
                # The service stopped, or its store failed (this process restarts leakwatch's own
                # redis-server, or says the store is away): the rest is scanned here. Standard
                # input, read by the service already, is not there to read again.
                if name != "-":
                    return Handed(tally, left=files[n:])
                why = (reply or {}).get("fail") or "the scan service stopped while reading it"
                return Handed(tally, left=files[n + 1:], lost=f"-: not scanned: {why}; it cannot be read again")
            tally.add(reply["report"], int(reply.get("registered", 0)))
    return Handed(tally)


def _request(sock, name: str) -> None:
    """Ask for one file's scan, the file opened here, with this process's permissions. A FIFO is
    opened without waiting for its writer (as extract.deadline.open_for_scan does)."""
    if name == "-":
        wire.send(sock, {"scan": name, "fd": 1}, [sys.stdin.fileno()])
        return
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.close(fd)
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    except OSError as exc:
        wire.send(sock, {"scan": name, "error": f"cannot read {name}: {exc.strerror or exc}"})
        return
    try:
        wire.send(sock, {"scan": name, "fd": 1}, [fd])
    finally:
        os.close(fd)


def _reply(reader) -> dict | None:
    reply = reader.read()
    reader.close()  # no descriptor comes this way: one that did is not kept
    return reply
