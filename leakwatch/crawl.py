"""`leakwatch crawl`: one run of the chosen sources, for cron.

Each source is crawled in rounds (crawler.shared): a round's request queue and seen-set live in
Redis and any number of crawler processes work on it, those of this run (`--workers N`, each a
`python -m leakwatch.crawler.worker` process; 1: this process) and those of other runs or machines with
the same Redis. The run that takes a source's lock leads it: it opens a new round when none is in
progress. A run that finds the lock taken joins the round in progress instead of exiting (its
outcome's role is "joined"); with no round to join it has nothing to do and reports the source
"locked" (exit 75). What each crawl committed is safe whatever happens to a process;
the requests a killed worker held go back to the queue after `crawl_lease_seconds`. On a terminal
the CLI shows a live view of the counters (pages, items, matches, errors) by source, and by worker
when there are several (each worker writes its own counters: crawler.worker).
"""

import logging
from dataclasses import asdict, dataclass

from .settings import SettingsError

logger = logging.getLogger(__name__)

OK, FAILED, LOCKED = "ok", "failed", "locked"
LEAD, JOINED = "lead", "joined"


@dataclass
class SourceOutcome:
    source: str
    status: str
    reason: str = ""
    pages: int = 0
    items: int = 0
    new_sightings: int = 0
    matches: int = 0
    errors: int = 0
    seconds: float = 0.0
    role: str = ""      # "lead": this run held the source's lock; "joined": it worked on another run's round
    workers: int = 1    # crawler processes of this run on the source
    budget_skipped: int = 0  # files a byte or time budget left out (each named in the log); a later run takes them
    unscanned: int = 0  # items whose scan failed (a bug, named in the log): not done, a later run takes them again

    def as_dict(self) -> dict:
        return asdict(self)


def tor_settings(settings) -> dict:
    """The Tor route's Scrapy settings from leakwatch's (empty values: no Tor configured)."""
    return {
        "LEAKWATCH_TOR_CONTROL": settings.tor_control,
        "LEAKWATCH_TOR_COOKIE": settings.tor_cookie,
        "LEAKWATCH_TOR_PASSWORD": settings.tor_password,
        "LEAKWATCH_TOR_HTTP_TUNNEL": settings.tor_http_tunnel,
        "LEAKWATCH_TOR_SOCKS": settings.tor_socks,
    }


def launch_own_tor(runtime):
    """leakwatch's own tor (stem's launcher, a data directory under home), bootstrapped or not.

    Returns (controller, Scrapy settings). A tor that cannot bootstrap (no network) is still
    returned: the Tor route checks bootstrap before each request and fails closed.
    """
    from leakwatch.crawler.tor import TorController, TorUnavailable

    tor = TorController.launch(runtime.settings.home_path / "tor")
    try:
        tor.wait_bootstrapped(runtime.settings.tor_bootstrap_seconds)
    except TorUnavailable:
        pass
    cookie = runtime.settings.home_path / "tor" / "control_auth_cookie"
    return tor, {
        "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{tor.controller.get_socket().port}",
        "LEAKWATCH_TOR_COOKIE": str(cookie),
        "LEAKWATCH_TOR_PASSWORD": "",
        "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{tor.http_tunnel_port}",
        "LEAKWATCH_TOR_SOCKS": f"127.0.0.1:{tor.socks_port}",
    }


def scrapy_settings(settings, redis_url: str | None = None) -> dict:
    """The crawler's Scrapy settings from leakwatch's resolved settings (flag > env > file > default).
    `redis_url`: the store's actual URL when leakwatch started its own redis-server."""
    values = settings.as_dict()
    if redis_url:
        values["redis_url"] = redis_url
    return {
        "LEAKWATCH_SETTINGS": values,
        # A crawler process with only these settings builds its scan pipeline's scanner with this.
        "LEAKWATCH_SCAN_COMPONENTS_FACTORY": "leakwatch.runtime.crawl_scan_components",
        "LEAKWATCH_REDIS_URL": values["redis_url"],
        "LEAKWATCH_NAMESPACE": settings.namespace,
        "LEAKWATCH_HOME": str(settings.home_path),
        "LEAKWATCH_SOURCES": str(settings.sources_path),
        "LOG_LEVEL": settings.log_level,
        "LEAKWATCH_LEASE_SECONDS": settings.crawl_lease_seconds,
        "LEAKWATCH_STORE_WAIT_SECONDS": settings.crawl_store_wait_seconds,
        "LEAKWATCH_DONE_RETENTION_DAYS": settings.crawl_done_retention_days,
        **tor_settings(settings),
    }


def crawl_overrides(runtime, extra: dict | None = None) -> dict:
    """Scrapy settings of this run's crawls: leakwatch's, with the store's actual URL, and `extra`."""
    return {**scrapy_settings(runtime.settings, runtime.redis_url), **(extra or {})}


def run_crawl(runtime, sources: list, on_tick=None, extra_settings: dict | None = None, lock_ttl: int = 60,
              workers: int | None = None) -> list:
    """Crawl `sources` (names) once with `workers` processes (default: setting crawl_workers); a
    SourceOutcome per source."""
    import time

    from leakwatch.crawler.shared import StoreWait, new_round_id
    from leakwatch.matchers.registry import SourceLock

    workers = workers or runtime.settings.crawl_workers
    if workers < 1:
        raise SettingsError("--workers must be 1 or more (setting crawl_workers)")
    locks, holders = {}, {}
    for name in sources:
        lock = SourceLock(runtime.redis, name, runtime.settings.namespace, ttl=lock_ttl)
        if lock.acquire():
            locks[name] = lock
        else:
            holders[name] = lock.holder()
    roles = {name: "lead" if name in locks else "join" for name in sources}
    extra_settings = {**(extra_settings or {}), "LEAKWATCH_CRAWL_ROLES": roles,
                      # One id per source for this run's workers: a worker that starts after the others
                      # drained the round does not open a second one (crawler.shared.crawl_round).
                      "LEAKWATCH_CRAWL_ROUNDS": {name: new_round_id() for name in locks}}
    own_tor = None
    if sources and not runtime.settings.tor_control and _routes_of(runtime, sources) & {"tor"}:
        try:
            own_tor, tor_overrides = launch_own_tor(runtime)
            extra_settings.update(tor_overrides)
        except Exception as exc:  # tor missing or would not start: the Tor route fails closed on its own
            logger.error("could not launch leakwatch's own tor: %s", exc)
    overrides = crawl_overrides(runtime, extra_settings)
    started = time.monotonic()
    try:
        if workers == 1:
            # In this process, the crawl scans with this run's own scanner and store.
            here = {**overrides, "LEAKWATCH_SCAN_COMPONENTS": runtime.scan_components()}
            summaries, lost = _crawl_here(sources, here, locks, on_tick, lock_ttl), []
        else:
            summaries, lost = _crawl_in_workers(sources, overrides, locks, workers, lock_ttl, on_tick)
    finally:
        for lock in locks.values():
            try:
                lock.release()
            except Exception as exc:  # Redis away: the lock expires on its own
                logger.warning("could not release the lock of %s: %s", lock.source, exc)
        if own_tor is not None:
            own_tor.close()
    elapsed = time.monotonic() - started
    outcomes = [_outcome(name, roles[name], summaries.get(name, []), lost, elapsed, holders.get(name), workers)
                for name in sources]
    wait = StoreWait(runtime.settings.crawl_store_wait_seconds)
    wait.call(runtime.sightings.purge, older_than=runtime.settings.retention_days * 86400)
    return outcomes


def _crawl_here(sources, overrides, locks, on_tick, lock_ttl) -> dict:
    """One worker: this process. {source: [summary]}."""
    from leakwatch.crawler.runner import run_crawls

    crawlers = {}

    def observe(source, crawler):
        crawlers[source.name] = crawler
        if len(crawlers) == 1:
            from twisted.internet import task

            # Renew the locks while the crawl runs; show progress on a terminal.
            loop = task.LoopingCall(_tick, locks, crawlers, on_tick)
            loop.start(0.5 if on_tick else lock_ttl / 3, now=False)

    results = run_crawls(list(sources), {**overrides, **_cli_logging()}, observe=observe)
    return {name: [result.summary()] for name, result in results.items()}


def _cli_logging() -> dict:
    """Scrapy settings that keep the CLI's logging as the CLI set it up (logging.basicConfig at
    log_level): Scrapy would add a root handler of its own and lower the root logger to NOTSET, so
    that the CLI's handler printed every DEBUG line of the crawl, and each other line twice."""
    root = logging.getLogger()
    if not root.handlers:
        return {}
    for handler in root.handlers:
        if handler.level == logging.NOTSET:
            handler.setLevel(root.level)
    return {"LOG_INSTALL_ROOT_HANDLER": False}


def _crawl_in_workers(sources, overrides, locks, workers: int, lock_ttl, on_tick=None) -> tuple[dict, list]:
    """`workers` processes (`python -m leakwatch.crawler.worker`), each crawling every source; ({source:
    [summary of each worker that finished]}, [why each other worker did not]).

    `on_tick(totals, workers=by_worker)`, if given, is called every PROGRESS_SECONDS while they run,
    and once at the end: the counters each worker writes (crawler.worker), summed by source, and by
    worker number (`worker_progress`)."""
    import json
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    from leakwatch.crawler.worker import PROGRESS_SECONDS

    summaries, lost = {name: [] for name in sources}, []
    with tempfile.TemporaryDirectory(prefix="leakwatch-crawl-") as tmp:
        procs, progress = [], []
        for i in range(workers):
            spec = Path(tmp) / f"worker{i}.json"
            progress.append(Path(tmp) / f"worker{i}.progress.json")
            spec.write_text(json.dumps({"sources": list(sources), "overrides": overrides,
                                        "out": str(Path(tmp) / f"worker{i}.out.json"),
                                        "progress": str(progress[-1]) if on_tick else None}))
            # Logs go to this process's stderr; results to the out file.
            procs.append(subprocess.Popen([sys.executable, "-m", "leakwatch.crawler.worker", str(spec)], stdin=subprocess.DEVNULL))
        renewed = shown = time.monotonic()
        while any(p.poll() is None for p in procs):
            time.sleep(0.2)
            if time.monotonic() - renewed >= lock_ttl / 3:
                renewed = time.monotonic()
                _renew(locks)
            if on_tick and time.monotonic() - shown >= PROGRESS_SECONDS:
                shown = time.monotonic()
                _show_progress(on_tick, progress)
        if on_tick:
            _show_progress(on_tick, progress)  # the workers' final counters
        for i, proc in enumerate(procs):
            out = Path(tmp) / f"worker{i}.out.json"
            if not out.exists():
                lost.append(f"worker {i} (pid {proc.pid}) ended with {proc.returncode} before its report")
                continue
            for name, summary in json.loads(out.read_text()).items():
                summaries.setdefault(name, []).append(summary)
    return summaries, lost


def worker_progress(paths) -> dict:
    """{worker number (from 1): {source: {stat: value}}} from the progress files the workers wrote
    so far (a worker that has not written yet is left out)."""
    import json

    by_worker = {}
    for i, path in enumerate(paths, start=1):
        try:
            by_worker[i] = json.loads(path.read_text())
        except (OSError, ValueError):  # not written yet
            continue
    return by_worker


def progress_totals(by_worker: dict) -> dict:
    """{source: {stat: sum over the workers}}."""
    totals = {}
    for sources in by_worker.values():
        for name, stats in sources.items():
            total = totals.setdefault(name, {})
            for key, value in stats.items():
                total[key] = total.get(key, 0) + value
    return totals


def progress_rows(sources, totals: dict, by_worker: dict | None = None) -> list:
    """What the live view shows: per source a row of its totals, then (several workers) one per
    worker; each row (label, pages, items, matches, errors)."""
    def row(label, stats):
        return (label, int(stats.get("response_received_count", 0)), int(stats.get("leakwatch/items", 0)),
                int(stats.get("leakwatch/matches", 0)),
                int(stats.get("log_count/ERROR", 0)) + int(stats.get("leakwatch/item_errors", 0)))

    rows = []
    for name in sources:
        rows.append(row(name, totals.get(name, {})))
        for worker, stats in sorted((by_worker or {}).items()):
            rows.append(row(f"  worker {worker}", stats.get(name, {})))
    return rows


def _show_progress(on_tick, paths) -> None:
    by_worker = worker_progress(paths)
    try:
        on_tick(progress_totals(by_worker), workers=by_worker)
    except Exception as exc:  # a view that fails must not stop this process from watching its workers
        logger.warning("progress view not updated: %s: %s", type(exc).__name__, exc)


def _outcome(name, role, summaries: list, lost: list, seconds: float, holder, workers: int) -> SourceOutcome:
    def total(key):
        return sum(int(s["stats"].get(key, 0) or 0) for s in summaries)

    outcome = SourceOutcome(
        source=name, status=OK, role=LEAD if role == "lead" else JOINED, workers=workers,
        pages=sum(s["pages"] for s in summaries), items=total("leakwatch/items"),
        new_sightings=total("leakwatch/sightings"), matches=total("leakwatch/matches"),
        errors=sum(s["errors"] for s in summaries) + total("leakwatch/item_errors"), seconds=round(seconds, 1),
        budget_skipped=total("leakwatch/budget_skipped/files") + total("leakwatch/budget_skipped/unfinished_files"),
        unscanned=total("leakwatch/item_failures"),
    )
    failed = [s for s in summaries if not s["ok"]]
    rounds = {s["stats"].get("leakwatch/shared/round") for s in summaries}
    if failed:
        outcome.status = FAILED
        outcome.reason = "; ".join(sorted({s["error"] or str(s["reason"] or "") for s in failed}))
    elif lost or len(summaries) < workers:
        outcome.status = FAILED
        outcome.reason = "; ".join(lost) or "a worker gave no report"
    elif role == "join" and rounds <= {"none"}:
        # The lock's holder has no round in progress (starting, or done): nothing to join.
        outcome.status = LOCKED
        outcome.reason = f"another run holds the lock ({holder}) and has no round in progress to join"
    else:
        outcome.reason = str(summaries[0]["reason"] or "") if summaries else ""
    return outcome


def _routes_of(runtime, names) -> set:
    from leakwatch.crawler.sources import load_sources

    return {s.route for s in load_sources(runtime.settings.sources_path) if s.name in names}


def _renew(locks) -> None:
    for name, lock in locks.items():
        try:
            if not lock.renew() and not lock.acquire():
                # The lock expired (Redis was away longer than its ttl) and another run took it. That
                # run joins our round rather than opening a second one: go on as one of its workers.
                logger.warning("source %s: lock lost to another run; going on in the round", name)
        except Exception as exc:  # Redis restarting: the crawl waits for it on its own
            logger.warning("source %s: lock not renewed (%s)", name, exc)


def _tick(locks, crawlers, on_tick) -> None:
    _renew(locks)
    if on_tick:
        on_tick({name: dict(c.stats.get_stats()) for name, c in crawlers.items() if c.stats is not None})
