"""Where the scan service listens and how its client and it talk: JSON lines over a Unix socket,
each file passed as an open descriptor (SCM_RIGHTS).

The client opens each file itself, with its own permissions, as `leakwatch scan` would; the
service never opens a path it is sent. The socket lives in ~/.cache/leakwatch (0700), named after
what the service's settings were made of (settings_inputs), and each side checks that the other
runs as the same user (SO_PEERCRED): a service of another user could otherwise read the files a
client hands it, a client of another user scan as this one.

Imported by the client before anything else: the standard library only.
"""

import hashlib
import json
import os
import socket
import struct

PROTOCOL = 1
HELLO_SECONDS = 5  # a service that does not answer by then is busy with as many scans as it runs
REQUEST_BYTES = 1 << 20  # a request is a file name: a longer line is no client's
REPLY_BYTES = 1 << 28    # a report lists at most every registered dataset
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


# A log level changes no scan; the settings file is known by its path and bytes.
_NOT_INPUTS = {"LEAKWATCH_LOG_LEVEL", "LEAKWATCH_CONFIG"}
_CONFIG_BYTES = 1 << 20


def settings_inputs(environ, config_path=None) -> str:
    """A digest of what Settings.load makes a process's settings of, read without reading the
    settings (no YAML, no values): its LEAKWATCH_* variables, HOME (the ~ of the default paths),
    the settings file's path and bytes. A client finds the service whose settings were made of the
    same (socket_name): a service started with other variables or flags, or before its settings
    file changed, is not that client's. Relative paths also depend on the working directory: the
    service compares it (server.py)."""
    from leakwatch.default_config import DEFAULT_CONFIG

    variables = sorted((k, v) for k, v in environ.items() if k.startswith("LEAKWATCH_") and k not in _NOT_INPUTS)
    path = config_path or environ.get("LEAKWATCH_CONFIG") or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    digest = hashlib.sha256(json.dumps([variables, _user_home(environ)]).encode())
    if path:
        path = os.path.abspath(path)
        digest.update(b"\0" + path.encode(errors="surrogateescape") + b"\0")
        try:
            with open(path, "rb") as config:
                digest.update(config.read(_CONFIG_BYTES))
        except OSError:
            digest.update(b"\0unreadable")  # the command, run in its own process, says why
    return digest.hexdigest()


def run_dir(environ) -> str:
    """The directory of this user's scan services' sockets: found from nothing but HOME, which
    is among the inputs (a client with another HOME has other settings anyway)."""
    return os.path.join(_user_home(environ), ".cache", "leakwatch")


def _user_home(environ) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def socket_name(inputs: str) -> str:
    return f"scan-{inputs[:32]}.sock"


class InDir:
    """A path in a directory, through a descriptor of the directory: a Unix socket's path holds at
    most 107 bytes, and a home directory can be deeper than that."""

    def __init__(self, folder, name: str):
        self.fd = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.path = f"/proc/self/fd/{self.fd}/{name}"

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def peer_uid(sock: socket.socket) -> int:
    return _CREDENTIALS.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size))[1]


def connect(environ, inputs: str | None = None) -> socket.socket | None:
    """A connection to the scan service whose settings were made of what a process with this
    environment makes its own of (settings_inputs), or None: none runs (no socket, or nobody
    listening on it), or it runs as another user. inputs: settings_inputs(environ), if made already."""
    try:
        where = InDir(run_dir(environ), socket_name(inputs or settings_inputs(environ)))
    except OSError:
        return None
    with where:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.connect(where.path)
            if peer_uid(sock) != os.getuid():
                raise ConnectionRefusedError
        except OSError:
            sock.close()
            return None
    return sock


def send(sock: socket.socket, message: dict, fds=()) -> None:
    data = json.dumps(message, ensure_ascii=False).encode() + b"\n"
    sent = socket.send_fds(sock, [data], list(fds)) if fds else sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


class LineReader:
    """JSON lines from a socket, and the descriptors that came with them.

    A descriptor arrives with the bytes it was sent with, but one read can return several lines:
    a line that comes with one says so ({"fd": 1}), and its reader takes it with take_fd(), in
    the order they were sent."""

    def __init__(self, sock: socket.socket, max_bytes: int):
        self.sock = sock
        self.max_bytes = max_bytes
        self._buffer = b""
        self._fds = []

    def read(self) -> dict | None:
        """The next message, or None at the end of the stream. ValueError: not a line of this
        protocol (too long, not JSON)."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > self.max_bytes:
                raise ValueError("a line longer than the protocol allows")
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 4)
            self._fds.extend(fds)
            if not data:
                if self._buffer:
                    raise ValueError("the stream ended inside a line")
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("a line that is no JSON object")
        return message

    def take_fd(self) -> int | None:
        return self._fds.pop(0) if self._fds else None

    def close(self) -> None:
        """Close the descriptors received and not taken."""
        while self._fds:
            os.close(self._fds.pop())
