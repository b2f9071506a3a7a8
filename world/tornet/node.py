"""`TorNode`: one tor process of the private network, its torrc, data directory, log and control port."""

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from stem import SocketError
from stem.control import Controller

from world.tornet.errors import INSTALL_HINT, TorNetworkError


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started the network dies, even by SIGKILL,
    so a crashed test run leaves no tor behind. (Linux only; tied to the starting thread, which is the caller's.)"""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def find_binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        raise TorNetworkError(f"{name} is not installed; {INSTALL_HINT}")
    return path


class TorNode:
    """A tor process. `options` is a list of torrc lines; the node adds what every node shares."""

    def __init__(self, nickname: str, directory, control_port: int, options: list[str], tor: str = "tor"):
        self.nickname = nickname
        self.directory = Path(directory)
        self.control_port = control_port
        self.options = list(options)
        self.tor = tor
        self.process: subprocess.Popen | None = None

    @property
    def torrc_path(self) -> Path:
        return self.directory / "torrc"

    @property
    def log_path(self) -> Path:
        return self.directory / "notice.log"

    @property
    def cookie_path(self) -> Path:
        return self.directory / "control_auth_cookie"

    def write_torrc(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)   # tor refuses a data directory others can read
        lines = [
            f"Nickname {self.nickname}",
            f"DataDirectory {self.directory}",
            f"PidFile {self.directory / 'pid'}",
            f"Log notice file {self.log_path}",
            "SafeLogging 0",
            "LogTimeGranularity 1",
            f"ControlPort 127.0.0.1:{self.control_port}",
            "CookieAuthentication 1",
            # No __OwningControllerProcess: stem takes ownership of a tor that names its process, and the
            # tor then exits with the first controller that closes. _die_with_parent does that job instead.
            # Stop at once on SIGINT too; relays otherwise wait 30 s for their circuits.
            "ShutdownWaitLength 0",
            *self.options,
        ]
        self.torrc_path.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.write_torrc()
        empty = self.directory / "torrc-defaults"
        empty.write_text("")
        # An empty defaults file: the system's /etc/tor/torrc-defaults must not leak into the test network.
        self.process = subprocess.Popen(
            [self.tor, "-f", str(self.torrc_path), "--defaults-torrc", str(empty)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.directory / "stderr.log", "wb"),
            cwd=self.directory, preexec_fn=_die_with_parent)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise TorNetworkError(f"tor {self.nickname} exited with code {self.process.returncode}:\n"
                                  + self.log_tail())

    def log_tail(self, lines: int = 15) -> str:
        text = ""
        for path in (self.log_path, self.directory / "stderr.log"):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def controller(self) -> Controller:
        """An authenticated stem controller; the caller closes it."""
        controller = Controller.from_port(address="127.0.0.1", port=self.control_port)
        try:
            controller.authenticate(chroot_path=None)
        except BaseException:
            controller.close()
            raise
        return controller

    def wait_controller(self, deadline: float) -> Controller:
        """The controller as soon as the control port answers: tor opens it within a second of starting."""
        while True:
            self.check_alive()
            try:
                return self.controller()
            except SocketError:
                if time.monotonic() > deadline:
                    raise TorNetworkError(f"tor {self.nickname}'s control port never opened:\n" + self.log_tail())
                time.sleep(0.1)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
