"""The scan service: a process that keeps a scanner ready and scans the files `leakwatch scan`
hands it (see the package's docstring).

Each client is served by a process forked for it: the code, the store's client and the index are
the service's own, already there; a file that crashes or exhausts its process costs that client
only, and its scan's memory goes back when the process ends. Before each fork the index is
brought up to date with the registry, so the child starts on the current one.
"""

import contextlib
import fcntl
import gc
import logging
import os
import signal
import socket
import stat
from pathlib import Path

from leakwatch.matchers.errors import LeakwatchError

from . import wire

log = logging.getLogger("leakwatch.scan_service")

IDLE_SECONDS = 300      # a client that says nothing for this long is dropped
REAP_SECONDS = 1.0      # how often an idle service collects the processes of finished clients


class AlreadyRunning(LeakwatchError):
    """Another scan service serves the same home and namespace."""


class _Stop(Exception):
    """SIGTERM or SIGINT: the service's loop ends (a signal, not an error)."""


class ScanService:
    def __init__(self, runtime, scan_file, max_scans: int = 4, describe=str):
        """scan_file(scanner, path, name=, stream=, opener=): one file's DumpReport, as `leakwatch scan` makes
        it (cli.scan.scan_one: a bug is that file's error, the store's errors are raised);
        describe(exc): the one line a client prints for an error that ends its scan."""
        if max_scans < 1:
            raise ValueError("max_scans must be 1 or more")
        self.runtime = runtime
        self.scan_file = scan_file
        self.max_scans = max_scans
        self.describe = describe
        self.inputs = service_inputs(runtime.settings)
        self.scanner = None  # the runtime's DumpScanner, once warm
        self.children = set()

    def serve(self, ready=None) -> None:
        """Serve until SIGTERM or SIGINT; ready(where) once clients can connect."""
        settings = self.runtime.settings
        folder, name = Path(wire.run_dir(os.environ)), wire.socket_name(self.inputs)
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        with open(folder / (name + ".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise AlreadyRunning(f"a scan service of the same settings already runs ({settings.home_path}, "
                                     f"namespace {settings.namespace})") from None
            self._warm()
            with wire.InDir(folder, name) as where:
                listener = self._listen(where.path)
                previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
                try:
                    if ready is not None:
                        ready(str(folder / name))
                    self._accept(listener)
                except _Stop:
                    pass
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)
                    listener.close()
                    os.unlink(where.path)
                    self._end_children()

    def _warm(self) -> None:
        """Everything a scan would otherwise do first: the store's client, the index, the code of
        the scan's path (a small CSV scanned, not recorded)."""
        self.scanner = scanner = self.runtime.dump_scanner
        scanner.index_cache.get().prepare_lookups()
        self.runtime.sightings  # noqa: B018 - made and kept by the cached property
        scanner.scan_bytes(b"a;b\n1;2\n", name="warm-up", record=False)
        import multiprocessing.pool  # noqa: F401 - a big file's workers

        # What every client's process shares, out of the collector's way: walking it there would
        # write to each object's header, copying its page, in every process forked.
        gc.collect()
        gc.freeze()

    def _reopen_own_store(self) -> None:
        """leakwatch's own redis-server (no redis_url) died, or a command started it again on another
        port, as a command does when it finds it dead: the service does the same and starts anew
        (another store's URL stays what it is: its clients scan in their own process meanwhile)."""
        if self.runtime.settings.redis_url:
            return
        from leakwatch.runtime import Runtime

        try:
            self.runtime = Runtime(self.runtime.settings)
            self._warm()
        except Exception as exc:  # noqa: BLE001 - still away: the next client tries again
            log.warning("leakwatch's own store could not be opened again: %s", self.describe(exc))

    @staticmethod
    def _listen(path: str) -> socket.socket:
        try:
            os.unlink(path)  # a socket left by a service that was killed: the lock says none runs
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        umask = os.umask(0o177)
        try:
            listener.bind(path)
        finally:
            os.umask(umask)
        listener.listen(64)
        listener.settimeout(REAP_SECONDS)
        return listener

    def _stop(self, signum, frame):
        for sig in (signal.SIGTERM, signal.SIGINT):  # once: a second signal must not break the stop
            signal.signal(sig, signal.SIG_IGN)
        raise _Stop

    def _accept(self, listener) -> None:
        while True:
            self._reap()
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            with conn:
                uid = wire.peer_uid(conn)
                if uid != os.getuid():
                    log.warning("refused a client running as uid %d", uid)
                    continue
                self._reap()
                if len(self.children) >= self.max_scans:
                    # Told at once, not left waiting: the client scans in its own process.
                    conn.settimeout(1.0)
                    with contextlib.suppress(OSError):
                        wire.send(conn, {"refused": f"busy with {self.max_scans} clients"})
                    continue
                self._fork_for(conn, listener)

    def _fork_for(self, conn, listener) -> None:
        try:
            # the registry's current index, its lookups ready, for the child to start on
            self.scanner.index_cache.get().prepare_lookups()
        except Exception as exc:  # noqa: BLE001 - the store away: the child tells its client
            log.warning("the index could not be brought up to date: %s", self.describe(exc))
            self._reopen_own_store()
        scanner = self.scanner
        pid = os.fork()
        if pid:
            self.children.add(pid)
            return
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the service's to handle
            listener.close()
            conn.setblocking(True)
            conn.settimeout(IDLE_SECONDS)
            scanner.pools_to_end = []
            self._serve_client(conn, scanner)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - this process ends here whatever happened
            # The exception's type only: its message could quote a dump.
            log.error("a client's scan ended on %s", type(exc).__name__)
        finally:
            logging.shutdown()
            os._exit(code)

    def _serve_client(self, conn, scanner) -> None:
        reader = wire.LineReader(conn, wire.REQUEST_BYTES)
        try:
            hello = reader.read()
            if hello is None:
                return
            if hello.get("protocol") != wire.PROTOCOL:
                wire.send(conn, {"refused": f"protocol {hello.get('protocol')!r}, this service speaks {wire.PROTOCOL}"})
                return
            refused = self._refusal(hello)
            if refused:
                wire.send(conn, {"refused": refused})
                return
            # No scan outlasts the bound on one input: a client waits that long, and some more.
            wire.send(conn, {"ready": True, "seconds": self.runtime.settings.extract_max_seconds + 60})
            while True:
                request = reader.read()
                if request is None:
                    return
                fd = reader.take_fd() if request.get("fd") else None
                try:
                    reply = self._scan_request(scanner, request, fd)
                finally:
                    if fd is not None:
                        os.close(fd)
                try:
                    wire.send(conn, reply)
                finally:
                    while scanner.pools_to_end:  # the workers end once the client has its report
                        scanner.pools_to_end.pop().terminate()
                if "fail" in reply:
                    return
        finally:
            reader.close()

    def _refusal(self, hello: dict) -> str | None:
        if hello.get("inputs") != self.inputs:
            return "the client's settings are not made of the service's"
        settings = self.runtime.settings
        relative = [name for name in ("home", "key_file", "sources_file")
                    if getattr(settings, name) and not os.path.isabs(os.path.expanduser(getattr(settings, name)))]
        if relative and hello.get("cwd") != os.getcwd():
            return f"{', '.join(relative)} relative to another directory"
        return None

    def _scan_request(self, scanner, request: dict, fd) -> dict:
        from leakwatch.matchers.match.dump import failed_report

        name = str(request.get("scan"))
        try:
            if fd is None:
                report = failed_report(name, str(request.get("error") or "no file came with the request"))
            elif stat.S_ISREG(os.fstat(fd).st_mode):
                # Read through the client's own descriptor, never reopened (this process may lack a
                # group the client had): from its start, and again if the registry changes during
                # the scan, as a path is (DumpScanner.scan_path).
                report = self.scan_file(scanner, Path(f"/proc/self/fd/{fd}"), name=name, opener=_from_start(fd))
            else:  # a pipe, a FIFO, a terminal: read as it comes, with the deadline
                report = self.scan_file(scanner, Path(name), name=name, stream=open(fd, "rb", closefd=False))
            registered = scanner.index_cache.get().registered
        except Exception as exc:  # noqa: BLE001 - the store away: the client's command fails as it would alone
            return {"fail": self.describe(exc)}
        return {"report": report.as_dict(), "registered": registered}

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def _end_children(self) -> None:
        """Stopping: the scans under way end too (their clients scan what is left themselves)."""
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in self.children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.children.clear()


def _from_start(fd: int):
    """An opener (DumpScanner.scan_path) of the file behind `fd`, from its first byte."""
    def opener(_path):
        copy = os.dup(fd)
        os.lseek(copy, 0, os.SEEK_SET)
        return os.fdopen(copy, "rb")

    return opener


def service_inputs(settings) -> str:
    """What the service's settings were made of, its flags (--home, --namespace...) taken for the
    LEAKWATCH_* variables they override: a client with those variables has the same settings."""
    environ = dict(os.environ)
    for name, origin in settings.origins.items():
        if origin == "flag" and name != "log_level":
            environ[f"LEAKWATCH_{name.upper()}"] = str(getattr(settings, name))
    return wire.settings_inputs(environ, settings.config_path)
