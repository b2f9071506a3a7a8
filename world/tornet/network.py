"""`TorNetwork`: three directory authorities, three relays (one an exit to 127.0.0.0/8 only), a client and
an onion service, all tor processes on 127.0.0.1, built under one work directory.

The start order that proved reliable: authorities and relays first; the client and the onion
service only once the exit is in a consensus and has bootstrapped itself. A client started earlier
bootstraps on a consensus without the exit and then loops building useless circuits.
"""

import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stem.control import EventType

from world.tornet.errors import TorNetworkError
from world.tornet.node import TorNode, find_binary
from world.tornet.socks import SocksError, socks_connect

AUTHORITIES = 3
RELAYS = 3               # the last one is the exit
START_TIMEOUT = 120.0    # seconds; a start takes 20-45 s on 2 cores; the rest is slack for a loaded CI runner

# Every node: chutney's common.i, less what does not apply on one machine.
COMMON = [
    "TestingTorNetwork 1",
    # Three relays: 0.67 of them is all we can hope for, and enough to build a circuit.
    "PathsNeededToBuildCircuits 0.67",
    "TestingDirAuthVoteGuard *",     # no Guard stability wait
    "TestingDirAuthVoteHSDir *",     # every relay stores onion descriptors at once
    "TestingMinExitFlagThreshold 0",
    "V3AuthNIntervalsValid 2",
    # Conflux pairs two exits per stream; with a single exit its legs fail and clutter the logs.
    "ConfluxEnabled 0",
]

# A first consensus 10 s after the authorities start, then one every 20 s (chutney's values): vote + dist
# delay must stay under half the interval, and both intervals must divide a day.
AUTHORITY = [
    "AuthoritativeDirectory 1",
    "V3AuthoritativeDirectory 1",
    "TestingV3AuthInitialVotingInterval 10",
    "TestingV3AuthInitialVoteDelay 2",
    "TestingV3AuthInitialDistDelay 2",
    "V3AuthVotingInterval 20",
    "V3AuthVoteDelay 4",
    "V3AuthDistDelay 4",
    "ExitPolicy reject *:*",
]

RELAY = [
    "SocksPort 0",
    "Address 127.0.0.1",
    # Authorities test reachability only every half hour, even in a testing network: assume it, on every
    # relay, or the relays miss the first consensus.
    "AssumeReachable 1",
    # There is no resolver here; /dev/null turns DNS off for the exit.
    "ServerDNSResolvConfFile /dev/null",
    "ServerDNSDetectHijacking 0",
    "ServerDNSTestAddresses",
]

EXIT = [
    "ExitRelay 1",
    "ExitPolicyRejectPrivate 0",
    "ExitPolicy accept 127.0.0.0/8:*",
    "ExitPolicy reject *:*",
]

CLIENT = [
    # An exit to 127.0.0.0/8 only is summarised as "reject 1-65535" in microdescriptors: with them, the
    # client would see no exit at all. Full descriptors carry the real policy.
    "UseMicrodescriptors 0",
    "SafeSocks 0",
]


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports, all held open until all are chosen."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


class TorNetwork:
    def __init__(self, workdir, onion_targets: dict[str, int] | None = None, tor: str = "tor",
                 tor_gencert: str = "tor-gencert"):
        onion_targets = dict(onion_targets or {})
        for name, port in onion_targets.items():
            if not name.isidentifier():
                raise ValueError(f"onion target names are plain words like 'forum', got {name!r}")
            if not isinstance(port, int) or not 0 < port < 65536:
                raise ValueError(f"onion target {name!r} needs a TCP port on 127.0.0.1, got {port!r}")
        self.workdir = Path(workdir)
        self.onion_targets = onion_targets
        self.tor = tor
        self.tor_gencert = tor_gencert
        self.authorities: list[TorNode] = []
        self.relays: list[TorNode] = []
        self.client: TorNode | None = None
        self.service: TorNode | None = None
        self.exit_fingerprint: str | None = None
        self.socks_port: int | None = None
        self.timings: dict[str, float] = {}    # seconds from start() to each readiness step
        self._onions: dict[str, str] = {}
        self._dirport: int | None = None
        self._controllers = []

    # -- public properties -------------------------------------------------------------------------------

    @property
    def nodes(self) -> list[TorNode]:
        return [n for n in [*self.authorities, *self.relays, self.client, self.service] if n is not None]

    @property
    def control_port(self) -> int:
        return self._require(self.client).control_port

    @property
    def cookie_path(self) -> Path:
        return self._require(self.client).cookie_path

    @property
    def client_torrc_path(self) -> Path:
        return self._require(self.client).torrc_path

    @property
    def exit_node(self) -> TorNode:
        return self.relays[-1]

    def onion_address(self, name: str) -> str:
        if name not in self._onions:
            raise KeyError(f"no onion target {name!r}; this network serves {sorted(self._onions) or 'none'}")
        return self._onions[name]

    def _require(self, node: TorNode | None) -> TorNode:
        if node is None:
            raise TorNetworkError("the Tor network is not started; call start() first")
        return node

    # -- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> "TorNetwork":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT) -> "TorNetwork":
        began = time.monotonic()
        deadline = began + timeout
        try:
            self._build()
            self._mark("keys", began)
            for node in [*self.authorities, *self.relays]:
                node.start()
            self._wait_exit_in_consensus(deadline)
            self._mark("exit_in_consensus", began)
            self._wait_bootstrapped(self.exit_node, deadline)
            self._mark("exit_bootstrapped", began)
            self.client.start()
            uploaded = self._start_service(deadline)
            self._wait_client(deadline)
            self._mark("client_ready", began)
            self._probe_exit(deadline)
            self._mark("exit_fetch", began)
            self._wait_uploaded(uploaded, deadline)
            self._mark("hs_desc_uploaded", began)
            self._probe_onions(deadline)
            self._mark("onion_fetch", began)
        except BaseException as error:
            logs = "\n".join(f"--- {n.nickname} ({n.log_path})\n{n.log_tail(8)}" for n in self.nodes)
            self.stop()
            if isinstance(error, TorNetworkError):
                raise TorNetworkError(f"{error}\n{logs}") from None
            raise
        finally:
            for controller in self._controllers:
                controller.close()
            self._controllers = []
        return self

    def restart_client(self, timeout: float = START_TIMEOUT) -> None:
        """Start the client again after it was stopped (a test of what a dead tor does), and wait until
        it can reach the exit again; the rest of the network kept running."""
        deadline = time.monotonic() + timeout
        self.client.stop()
        self.client.start()
        try:
            self._wait_client(deadline)
            self._probe_exit(deadline)
        finally:
            for controller in self._controllers:
                controller.close()
            self._controllers = []

    def stop(self) -> None:
        """Terminate every tor process (SIGTERM, then SIGKILL), in parallel: each may take its grace time."""
        with ThreadPoolExecutor(max(1, len(self.nodes))) as pool:
            list(pool.map(TorNode.stop, self.nodes))

    def _mark(self, step: str, began: float) -> None:
        self.timings[step] = round(time.monotonic() - began, 2)

    # -- building ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        tor, gencert = find_binary(self.tor), find_binary(self.tor_gencert)
        self.workdir.mkdir(parents=True, exist_ok=True)
        ports = iter(free_ports(AUTHORITIES * 3 + RELAYS * 2 + 3 + 1))
        auth_ports = [(next(ports), next(ports), next(ports)) for _ in range(AUTHORITIES)]  # or, dir, control
        relay_ports = [(next(ports), next(ports)) for _ in range(RELAYS)]                     # or, control

        auth_dirs = [self.workdir / f"auth{i}" for i in range(AUTHORITIES)]
        relay_dirs = [self.workdir / f"relay{i}" for i in range(RELAYS)]
        with ThreadPoolExecutor(4) as pool:
            keys = pool.map(lambda a: self._authority_keys(gencert, a[0], a[1][1]), zip(auth_dirs, auth_ports))
            v3idents = list(keys)
            fingerprints = list(pool.map(lambda d: self._fingerprint(tor, d), auth_dirs + relay_dirs))

        dir_authorities = [
            f"DirAuthority auth{i} orport={orport} no-v2 v3ident={v3ident} 127.0.0.1:{dirport} {fingerprints[i]}"
            for i, ((orport, dirport, _), v3ident) in enumerate(zip(auth_ports, v3idents))
        ]
        self.exit_fingerprint = fingerprints[AUTHORITIES + RELAYS - 1]
        # Authorities give the Exit flag to the exit alone: tor ignores 127.0.0.0/8 when it decides whether a
        # policy makes an exit, and "TestingDirAuthVoteExit *" (chutney's) would flag every relay.
        shared = COMMON + dir_authorities + [f"TestingDirAuthVoteExit {self.exit_fingerprint}"]
        self.authorities = [
            TorNode(f"auth{i}", auth_dirs[i], control, tor=tor, options=shared + AUTHORITY + RELAY + [
                f"ContactInfo auth{i}@leakwatch.test", f"ORPort 127.0.0.1:{orport}",
                f"DirPort 127.0.0.1:{dirport}"])
            for i, (orport, dirport, control) in enumerate(auth_ports)
        ]
        self.relays = [
            TorNode(f"relay{i}", relay_dirs[i], control, tor=tor, options=shared + RELAY + [
                f"ContactInfo relay{i}@leakwatch.test", f"ORPort 127.0.0.1:{orport}",
                *(EXIT if i == RELAYS - 1 else ["ExitRelay 0", "ExitPolicy reject *:*"])])
            for i, (orport, control) in enumerate(relay_ports)
        ]
        self._dirport = auth_ports[0][1]

        self.socks_port = next(ports)
        self.http_tunnel_port = next(ports)
        self.client = TorNode("client", self.workdir / "client", next(ports), tor=tor, options=shared + CLIENT + [
            # ExtendedErrors: onion failures get their own SOCKS reply codes (0xF0-0xF7).
            f"SocksPort 127.0.0.1:{self.socks_port} ExtendedErrors IsolateSOCKSAuth",
            # leakwatch's Scrapy requests go through HTTP CONNECT (crawler/tor/handler.py).
            f"HTTPTunnelPort 127.0.0.1:{self.http_tunnel_port} IsolateSOCKSAuth"])
        services = []
        for name, port in self.onion_targets.items():
            services += [f"HiddenServiceDir {self.workdir / 'service' / name}", "HiddenServiceVersion 3",
                         f"HiddenServicePort 80 127.0.0.1:{port}"]
        self.service = TorNode("service", self.workdir / "service", next(ports), tor=tor,
                               options=shared + ["SocksPort 0"] + services)

    def _authority_keys(self, gencert: str, directory: Path, dirport: int) -> str:
        """Create the authority's identity and signing keys with tor-gencert; return its v3ident."""
        keys = directory / "keys"
        keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory.chmod(0o700)
        subprocess.run(
            [gencert, "--create-identity-key", "--passphrase-fd", "0", "-m", "12", "-a", f"127.0.0.1:{dirport}",
             "-i", str(keys / "authority_identity_key"), "-s", str(keys / "authority_signing_key"),
             "-c", str(keys / "authority_certificate")],
            input=b"\n", capture_output=True, check=True, timeout=60)
        for line in (keys / "authority_certificate").read_text().splitlines():
            if line.startswith("fingerprint "):
                return line.split()[1]
        raise TorNetworkError(f"tor-gencert wrote no fingerprint in {keys / 'authority_certificate'}")

    def _fingerprint(self, tor: str, directory: Path) -> str:
        """Create the relay identity key in `directory` and return its fingerprint."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory.chmod(0o700)
        empty = directory / "torrc-defaults"
        empty.write_text("")
        result = subprocess.run(
            [tor, "--ignore-missing-torrc", "-f", str(directory / "none"), "--defaults-torrc", str(empty),
             "--DataDirectory", str(directory), "--ORPort", "1", "--list-fingerprint", "--quiet"],
            capture_output=True, text=True, timeout=60)
        fingerprint = "".join(result.stdout.strip().splitlines()[-1].split()[1:]) if result.stdout.strip() else ""
        if len(fingerprint) != 40:
            raise TorNetworkError(f"tor --list-fingerprint failed in {directory}: {result.stdout}{result.stderr}")
        return fingerprint

    # -- readiness --------------------------------------------------------------------------------------

    def _wait(self, what: str, check, deadline: float, every: float = 0.5):
        """Poll `check` until it returns something true; fail naming `what` at the deadline."""
        while True:
            for node in self.nodes:
                node.check_alive()
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TorNetworkError(f"timed out waiting for {what}")
            time.sleep(every)

    def _wait_exit_in_consensus(self, deadline: float) -> None:
        """Every relay Running in the authorities' consensus, the exit with the Exit flag."""
        url = f"http://127.0.0.1:{self._dirport}/tor/status-vote/current/consensus"

        def check():
            try:
                text = urllib.request.urlopen(url, timeout=2).read().decode()
            except OSError:
                return False
            flags, nick = {}, None
            for line in text.splitlines():
                if line.startswith("r "):
                    nick = line.split()[1]
                elif line.startswith("s ") and nick:
                    flags[nick] = set(line.split()[1:])
            running = [n for n in self.authorities + self.relays if "Running" in flags.get(n.nickname, ())]
            return len(running) == len(self.authorities + self.relays) and "Exit" in flags[self.exit_node.nickname]

        self._wait("a consensus with every relay running and the exit flagged Exit", check, deadline)

    def _wait_bootstrapped(self, node: TorNode, deadline: float):
        controller = node.wait_controller(deadline)
        self._controllers.append(controller)
        self._wait(f"{node.nickname} to bootstrap",
                   lambda: "PROGRESS=100" in controller.get_info("status/bootstrap-phase"), deadline)
        return controller

    def _start_service(self, deadline: float) -> set[str]:
        """Start the onion service and listen for its uploads at once, before it can upload anything."""
        uploaded: set[str] = set()
        if not self.onion_targets:
            return uploaded
        self.service.start()
        controller = self.service.wait_controller(deadline)
        self._controllers.append(controller)

        def on_desc(event):
            if event.action == "UPLOADED":
                uploaded.add(event.address)
        controller.add_event_listener(on_desc, EventType.HS_DESC)
        for name in self.onion_targets:
            hostname = self.workdir / "service" / name / "hostname"
            self._wait(f"{hostname}", hostname.exists, deadline, every=0.1)
            self._onions[name] = hostname.read_text().strip()
        return uploaded

    def _wait_client(self, deadline: float) -> None:
        """Bootstrapped 100% is not enough: the client must also know the exit, with its full descriptor."""
        controller = self._wait_bootstrapped(self.client, deadline)

        def knows_exit():
            try:
                status = controller.get_network_status(self.exit_fingerprint)
                controller.get_server_descriptor(self.exit_fingerprint)
            except Exception:   # stem raises DescriptorUnavailable or ControllerError until it has them
                return False
            return "Exit" in status.flags
        self._wait("the client to know the exit (Exit flag and server descriptor)", knows_exit, deadline)

    def _probe_exit(self, deadline: float) -> None:
        """A real stream through the exit to a port we listen on: SOCKS success means the exit connected."""
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)   # the kernel completes the handshake; no accept needed
            self._probe("a stream through the exit to 127.0.0.1", "127.0.0.1", listener.getsockname()[1],
                        deadline, accept=(0,))

    def _wait_uploaded(self, uploaded: set[str], deadline: float) -> None:
        wanted = {address.removesuffix(".onion") for address in self._onions.values()}
        self._wait("HS_DESC UPLOADED for every onion service", lambda: wanted <= uploaded, deadline)

    def _probe_onions(self, deadline: float) -> None:
        """A stream to each onion service when its target listens; otherwise the client fetching its
        descriptor, since a refused target looks to the client like any other failure (SOCKS reply 1)."""
        for name, address in self._onions.items():
            if _listening(self.onion_targets[name]):
                self._probe(f"onion service {name!r} ({address})", address, 80, deadline, accept=(0,))
            else:
                self._fetch_descriptor(address.removesuffix(".onion"), deadline)

    def _fetch_descriptor(self, address: str, deadline: float) -> None:
        controller = self.client.controller()
        self._controllers.append(controller)
        received: set[str] = set()
        controller.add_event_listener(
            lambda event: event.action == "RECEIVED" and received.add(event.address), EventType.HS_DESC)
        asked = 0.0
        while address not in received:
            if time.monotonic() - asked > 5:   # a fetch fails quietly while HSDirs lack the descriptor
                controller.msg(f"HSFETCH {address}")
                asked = time.monotonic()
            if time.monotonic() > deadline:
                raise TorNetworkError(f"timed out waiting for the client to fetch the descriptor of {address}")
            time.sleep(0.2)

    def _probe(self, what: str, host: str, port: int, deadline: float, accept: tuple[int, ...]) -> None:
        last = None
        while time.monotonic() < deadline:
            for node in self.nodes:
                node.check_alive()
            try:
                socks_connect(self.socks_port, host, port, timeout=max(1.0, min(30.0, deadline - time.monotonic()))
                              ).close()
                return
            except SocksError as error:
                if error.reply in accept:
                    return
                last = error
            except OSError as error:
                last = error
            time.sleep(0.5)
        raise TorNetworkError(f"timed out waiting for {what}: {last}")


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False
