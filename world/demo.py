"""`leakwatch demo`: the whole job on synthetic data, from nothing.

1. Labs fingerprint their own tables on their premises (only .lwfp files leave); the monitor
   registers them.
2. Fixture paste sites and a forum (real HTTP servers on 127.0.0.1) carry leaks of three of
   them among harmless pastes and posts; `leakwatch crawl` watches them as cron would, and
   the matches land in the match queue.
3. Leak files with the distortions of the 2021 lab file, plus hard negatives, are scanned
   with `leakwatch scan`'s code and shown next to the truth; a repost is linked to its
   first sighting.
The demo keeps its keys under a namespace of its own, so it never touches real data.
The crawl goes through a private Tor network started on loopback (world.tornet):
the paste sites through its exit (which allows 127.0.0.0/8 only), the forum as an onion
service. `leakwatch demo --direct` crawls the same sites without Tor.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

DEMO_INSTITUTIONS = 20   # merged_20 mixes twenty labs
DEMO_ROWS = 1000         # per lab: enough for realistic postcode and name statistics
FORUM_LOGIN = ("watcher", "correct horse battery staple")  # the fixture forum's account

SOURCES = """# The demo's sources: the local fixture sites, over {route}.
sources:
  - {{name: demo-paste, kind: paste_listing, base_url: "{paste}", route: {route}, delay: 0, concurrency: 4}}
  - {{name: demo-paste-api, kind: paste_api, base_url: "{paste}", route: {route}, delay: 0}}
  - {{name: demo-forum, kind: forum, base_url: "{forum}", route: {route}, delay: 0,
      credentials: "env:LEAKWATCH_DEMO_FORUM_USER/LEAKWATCH_DEMO_FORUM_PASSWORD"}}
  - {{name: demo-js, kind: js_pages, base_url: "{js}", route: {route}, delay: 0}}
  - {{name: demo-limited, kind: paste_listing, base_url: "{limited}", route: {route}, delay: 0}}
  - {{name: demo-telegram, kind: telegram, base_url: "{telegram}", route: {route}, delay: 0,
      telegram: {{channels: [frleaks, dbmarket]}}}}
  - {{name: demo-leaks, kind: leak_site, base_url: "{leaks}", route: {route}, delay: 0}}
"""


def command(
    ctx: typer.Context,
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="Where to write demo files."),
    direct: bool = typer.Option(False, "--direct", help="Crawl the fixture sites without the private Tor network."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit after the checks instead of serving the web app."),
):
    """Register sample labs, crawl fixture sites through a private Tor network, scan sample leaks, then
    serve the analysts' web app on the demo's matches."""
    raise typer.Exit(run_demo(ctx.obj, workdir, tor=not direct, serve=not no_serve))


def run_demo(settings, workdir=None, tor: bool = True, serve: bool = True) -> int:
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    console = Console()
    workdir = Path(workdir) if workdir else settings.home_path / "demo"
    values = dict(settings.items())
    values["namespace"] = f"{settings.namespace}-demo"
    runtime = Runtime(Settings(values, settings.origins))
    console.print(f"[bold]leakwatch demo[/bold] — store {runtime.redis_url}, namespace {values['namespace']}, files in {workdir}")
    # Its own keys from an earlier demo: the datasets' (ns:ds:...) and the rest ({ns}:..., braces literal).
    for pattern in (f"{values['namespace']}:*", "{" + values["namespace"] + "}:*"):
        for stale in runtime.redis.scan_iter(pattern, count=1000):
            runtime.redis.delete(stale)
    truth = _register(console, runtime, workdir)
    crawled_right = _crawl(console, runtime, workdir, tor)
    scanned_right = _scan(console, runtime, workdir, truth)
    all_right = crawled_right and scanned_right
    console.print("[bold green]every leak attributed as expected[/bold green]" if all_right
                  else "[bold red]some leaks were not attributed as expected[/bold red]")
    if serve:
        _serve(console, runtime, workdir)
    return 0 if all_right else 1


DEMO_ANALYST = "demo"


def _serve(console, runtime, workdir) -> None:
    """5. The analysts' web app on the demo's matches, until Ctrl-C."""
    import secrets
    import socket

    import uvicorn

    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings
    from leakwatch.web import create_app

    password = secrets.token_urlsafe(12)
    runtime.analysts.add(DEMO_ANALYST, password, replace=True)
    top = runtime.queue.open(limit=1)
    institution = top[0]["institution"] if top else "labo-01"  # one with matches, to show its API view
    token = runtime.tokens.issue(institution, "demo")["token"]
    host, port = runtime.settings.serve_host, runtime.settings.serve_port
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:  # taken: any free port will do for a demo
            probe.bind((host, 0))
        port = probe.getsockname()[1]
    # The port actually served, for the app's own links (alerts) too.
    runtime = Runtime(Settings({**runtime.settings.as_dict(), "serve_port": port}, runtime.settings.origins))
    login = Path(workdir) / "demo-login.txt"
    login.write_text(f"url http://{host}:{port}/\nanalyst {DEMO_ANALYST}\npassword {password}\n"
                     f"api token of {institution} {token}\n")
    login.chmod(0o600)
    console.print(f"5. the leak queue in the web app: [bold]http://{host}:{port}/[/bold] (matches one by one at /matches)  "
                  f"login [bold]{DEMO_ANALYST}[/bold] / [bold]{password}[/bold]  (also in {login})")
    console.print(f"   {institution}'s API token: {token}  (curl -H 'Authorization: Bearer …' http://{host}:{port}/api/v1/leaks)")
    console.print("   Ctrl-C stops it.")
    uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)


def _register(console, runtime, workdir):
    from world.synth.generate import generate
    from leakwatch.matchers.extract import table_records
    from leakwatch.matchers.fingerprint import Fingerprint, fingerprint_records

    started = time.monotonic()
    truth = generate(workdir, rows=DEMO_ROWS, institutions=DEMO_INSTITUTIONS)
    (workdir / "truth.json").write_text(json.dumps(truth, indent=1))
    fingerprints = workdir / "fingerprints"
    fingerprints.mkdir(exist_ok=True)
    for name, table in truth["institutions"].items():
        fp = fingerprint_records(table_records(workdir / table), runtime.key, "patients")
        fp.save(fingerprints / f"{name}.lwfp")  # what the lab uploads
        runtime.registry.register(name, "patients", Fingerprint.load(fingerprints / f"{name}.lwfp"),
                                  key_id=runtime.key.key_id)
    console.print(f"1. {DEMO_INSTITUTIONS} labs of {DEMO_ROWS} patients fingerprinted their tables with the deployment key; "
                  f"the monitor registered the .lwfp files ({time.monotonic() - started:.1f}s)")
    return truth


def _crawl(console, runtime, workdir, tor: bool) -> bool:
    from world.synth import make_institutions
    from world.sites import FixtureSites, build_content
    from leakwatch.matchers.registry import MatchQueue

    sites_dir = workdir / "sites"
    # The same people as the registered labs (same generator, same seed): three of them leak;
    # the harmless items are made of strangers to all twenty.
    truth = build_content(sites_dir, make_institutions(DEMO_INSTITUTIONS, rows=DEMO_ROWS), leaked=3)
    (sites_dir / "access.log").unlink(missing_ok=True)
    with FixtureSites(sites_dir) as sites:
        sources = workdir / "sources.yaml"
        env = dict(os.environ, LEAKWATCH_REDIS_URL=runtime.redis_url, LEAKWATCH_NAMESPACE=runtime.settings.namespace,
                   LEAKWATCH_HOME=str(runtime.settings.home_path), LEAKWATCH_SOURCES_FILE=str(sources),
                   LEAKWATCH_DEMO_FORUM_USER=FORUM_LOGIN[0], LEAKWATCH_DEMO_FORUM_PASSWORD=FORUM_LOGIN[1])
        if runtime.settings.key_file:
            env["LEAKWATCH_KEY_FILE"] = str(runtime.settings.key_path)
        console.print(f"2. fixture sites up: {', '.join(f'{k} {v}' for k, v in sites.urls.items())}")
        if not tor:
            sources.write_text(SOURCES.format(route="direct", **sites.urls))
            console.print("   crawling them directly (--direct)")
            result = _run_crawl(env)
        else:
            from urllib.parse import urlsplit

            from world.tornet import TorNetwork

            started = time.monotonic()
            import shutil

            shutil.rmtree(workdir / "tornet", ignore_errors=True)  # tor-gencert wants fresh key directories
            onions = ("forum", "leaks")  # as on the real Internet: forums and leak sites behind onion addresses
            with TorNetwork(workdir / "tornet", onion_targets={n: urlsplit(sites.urls[n]).port for n in onions}) as net:
                urls = dict(sites.urls, **{n: f"http://{net.onion_address(n)}" for n in onions})
                sources.write_text(SOURCES.format(route="tor", **urls))
                console.print(f"   private Tor network up in {time.monotonic() - started:.0f}s (3 authorities, 3 relays, "
                              f"exit to 127.0.0.0/8 only); the forum is {urls['forum']}, the leak site {urls['leaks']}; "
                              "crawling through Tor")
                env.update(LEAKWATCH_TOR_CONTROL=f"127.0.0.1:{net.control_port}", LEAKWATCH_TOR_COOKIE=str(net.cookie_path),
                           LEAKWATCH_TOR_HTTP_TUNNEL=f"127.0.0.1:{net.http_tunnel_port}",
                           LEAKWATCH_TOR_SOCKS=f"127.0.0.1:{net.socks_port}")
                result = _run_crawl(env)
    if not result.stdout.strip():
        console.print(f"[red]crawl failed (exit {result.returncode})[/red]\n{result.stderr[-2000:]}")
        return False
    summary = json.loads(result.stdout)
    table = Table("source", "status", "pages", "items", "new sightings", "matches", "errors", title="crawl")
    for s in summary["sources"]:
        table.add_row(s["source"], s["status"], str(s["pages"]), str(s["items"]), str(s["new_sightings"]),
                      str(s["matches"]), str(s["errors"]))
    console.print(table)
    queue = MatchQueue(runtime.redis, runtime.settings.namespace)
    matches = queue.open(limit=200)
    from urllib.parse import urlsplit

    table = Table("#", "institution", "records", "source", "where", "fields", title="match queue (most urgent first)")
    for rank, m in enumerate(matches, 1):
        where = urlsplit(m["url"])
        table.add_row(str(rank), m["institution"], str(m["records"]), m["source"],
                      where.path + (f"?{where.query}" if where.query else "") + (f"#{where.fragment}" if where.fragment else ""),
                      " ".join(m["fields"]))
    console.print(table)
    _print_leaks(console, runtime)
    planted = {v["institution"] for v in truth.values() if not v["hidden"]}
    found = {m["institution"] for m in matches}
    right = summary["ok"] and found == planted
    console.print(f"   planted leaks of {', '.join(sorted(planted))}: " +
                  ("[green]all found, nothing else[/green]" if right else f"[red]found {sorted(found)}[/red]"))
    return right


def _print_leaks(console, runtime) -> None:
    """The same matches as analysts work them: one row per leaked file and its reposts."""
    leaks, total = runtime.leaks.list(limit=50)
    table = Table("leak", "name", "institutions", "records", "sources", "sightings",
                  title=f"leak queue: {total} leak(s) for the matches above (`leakwatch leaks list`)")
    for leak in leaks:
        table.add_row(leak["id"], leak["name"], ", ".join(leak["institutions"]), str(leak["records"]),
                      ", ".join(leak["sources"]), str(len(leak["sightings"])))
    console.print(table)


def _run_crawl(env):
    return subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "--all", "--json"], env=env,
                          capture_output=True, text=True, timeout=900)


def _scan(console, runtime, workdir, truth) -> bool:
    scanner = runtime.dump_scanner
    table = Table("leak", "rows", "format", "found (institution: records)", "truth", "verdict", title="3. scanning leak files")
    all_right = True
    for scenario, info in truth["scenarios"].items():
        for rel in info["paths"]:
            report = scanner.scan_path(workdir / rel, name=rel).as_dict()
            found = {m["institution"]: m["records"] for m in report["matches"]}
            expected = info["truth"]
            right = set(found) == set(expected) and all(
                abs(found[i] - n) <= max(1, 0.1 * n) for i, n in expected.items())
            all_right &= right
            table.add_row(scenario, str(report["rows"]), report["format"], _summary(found), _summary(expected),
                          "[green]right[/green]" if right else "[red]off[/red]")
    console.print(table)
    for pair in truth["reposts"]:
        scanner.scan_path(workdir / pair["source"], name=pair["source"])
        report = scanner.scan_path(workdir / pair["repost"], name=pair["repost"]).as_dict()
        linked = [s for s in report["similar_sightings"] if s["name"] == pair["source"]]
        console.print(f"4. repost {pair['repost']}: " + (
            f"linked to its first sighting {linked[0]['name']} (similarity {linked[0]['similarity']:.2f}, "
            f"containment {linked[0]['containment']:.2f})" if linked else "[red]not linked[/red]"))
        all_right &= bool(linked)
    return all_right


def _summary(counts: dict) -> str:
    if not counts:
        return "-"
    items = sorted(counts.items())
    text = ", ".join(f"{k}: {v}" for k, v in items[:3])
    return text + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")
