"""Tor next to direct, measured in one run on the private Tor network (world.tornet).

    python -m bench.tor

Prints: the network's start time; the median latency of one fetch of a small page, direct
and through tor's HTTPTunnelPort (HTTP CONNECT, a new stream each time); and pages/s of
`leakwatch crawl` of the fixture paste site (107 pages), direct and over Tor.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

FETCHES = 20   # single-page fetches per side: enough for a stable median on loopback
SOURCES = """sources:
  - {{name: paste, kind: paste_listing, base_url: "{paste}", route: {route}, delay: 0, concurrency: 8, max_pages: 0}}
"""


def fetch_direct(host, port, path="/raw/none"):
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        while conn.recv(65536):
            pass
    return time.perf_counter() - started


def fetch_tunnel(tunnel_port, host, port, path="/raw/none"):
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", tunnel_port), timeout=60) as conn:
        conn.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = conn.recv(4096)
            if not chunk:
                raise RuntimeError("tunnel closed")
            reply += chunk
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        while conn.recv(65536):
            pass
    return time.perf_counter() - started


def crawl(env, sources_path, paste_url, route, namespace, table):
    sources_path.write_text(SOURCES.format(paste=paste_url, route=route))
    run_env = dict(env, LEAKWATCH_NAMESPACE=namespace)
    # a crawl against an empty registry is refused: each namespace gets a lab registered first
    subprocess.run([sys.executable, "-m", "leakwatch", "register", "lab", str(table)], env=run_env,
                   capture_output=True, check=True, timeout=300)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "paste", "--json"], env=run_env,
                         capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    summary = json.loads(out.stdout)["sources"][0]
    return summary["pages"], elapsed, summary["status"]


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="crawls per route (medians reported)")
    rounds = parser.parse_args(argv).rounds

    from world.synth import make_institutions, write_table
    from leakwatch.matchers.registry.local_server import LocalRedis
    from world.sites import FixtureSites, build_content
    from world.tornet import TorNetwork

    tmp = Path(tempfile.mkdtemp(prefix="leakwatch-bench-tor-"))
    redis_server = LocalRedis(tmp / "redis")
    try:
        url = redis_server.ensure()
        institutions = make_institutions(3, rows=80, seed=7)
        build_content(tmp / "sites", institutions, seed=7)
        table = write_table(tmp / "lab.csv", institutions[0].rows)
        with FixtureSites(tmp / "sites") as sites:
            paste = urlsplit(sites.urls["paste"])
            started = time.perf_counter()
            with TorNetwork(tmp / "tornet", onion_targets={"paste": paste.port}) as net:
                start_s = time.perf_counter() - started
                direct = statistics.median(fetch_direct("127.0.0.1", paste.port) for _ in range(FETCHES))
                tunnel = statistics.median(fetch_tunnel(net.http_tunnel_port, "127.0.0.1", paste.port)
                                           for _ in range(FETCHES))
                onion = statistics.median(fetch_tunnel(net.http_tunnel_port, net.onion_address("paste"), 80)
                                          for _ in range(FETCHES))
                env = dict(os.environ, LEAKWATCH_HOME=str(tmp / "home"), LEAKWATCH_REDIS_URL=url,
                           LEAKWATCH_SOURCES_FILE=str(tmp / "sources.yaml"),
                           LEAKWATCH_TOR_CONTROL=f"127.0.0.1:{net.control_port}",
                           LEAKWATCH_TOR_COOKIE=str(net.cookie_path),
                           LEAKWATCH_TOR_HTTP_TUNNEL=f"127.0.0.1:{net.http_tunnel_port}",
                           LEAKWATCH_TOR_SOCKS=f"127.0.0.1:{net.socks_port}")
                runs = {"direct": [], "tor": []}
                for n in range(rounds):  # alternated, so a busy moment of the machine hits both
                    for route in ("direct", "tor"):
                        runs[route].append(crawl(env, tmp / "sources.yaml", sites.urls["paste"], route, f"{route}{n}",
                                                   table))
        print(f"private Tor network start: {start_s:.1f}s")
        print(f"one fetch, median of {FETCHES}: direct {direct * 1000:.1f} ms; through Tor to 127.0.0.1 "
              f"{tunnel * 1000:.1f} ms ({tunnel / direct:.0f}x); to the onion service {onion * 1000:.1f} ms")
        rates = {}
        for route, results in runs.items():
            per_s = sorted(pages / seconds for pages, seconds, _ in results)
            rates[route] = statistics.median(per_s)
            print(f"leakwatch crawl of the paste site over {route}, whole process, {rounds} rounds: "
                  f"{results[0][0]} pages, median {rates[route]:.1f} pages/s (range {per_s[0]:.1f}-{per_s[-1]:.1f}); "
                  f"status {sorted({status for *_, status in results})}")
        print(f"Tor / direct crawl time: {rates['direct'] / rates['tor']:.2f}x")
        return 0
    finally:
        redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
