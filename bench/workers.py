"""Crawler processes sharing one source through Redis (crawler.shared): throughput with 1, 2 and 4
workers, the cost per page of the shared queue, and the memory of the seen-set and crawl state.

    python -m bench.workers                  # ~6 minutes on 2 cores
    python -m bench.workers --pastes 1000    # a smaller site, ~3 minutes
    python -m bench.workers --json           # the same, plus a JSON report on the last line
    python -m bench.workers --done-record    # only the done record over simulated months (~1 minute)

Cases (one line each):
- shared queue vs a process of its own: `leakwatch crawl paste` (one worker; Scrapy's scheduler is
  crawler.shared.SharedScheduler: every request pushed to Redis through the round's seen-set, popped
  under a lease, acknowledged) vs the same command with Scrapy's own in-memory scheduler
  (`python -m bench.workers --memory-queue`, below; everything else identical: crawl state, scan
  pipeline, sightings in Redis). Both timed as processes and from first to last request (the site's
  access log); Redis commands per page from INFO commandstats. Cost per page = in-crawl time
  difference / pages.
- workers: `leakwatch crawl paste --workers N` for N = 1, 2, 4, fresh crawl state each: pages/s
  (process and in-crawl), CPU seconds of all processes, each page fetched exactly once.
- seen-set and state memory: peak of the round's seen-set (MEMORY USAGE, sampled every 0.1 s during
  the 1-worker crawl), whether it is gone after the round, bytes per committed item of the crawl state;
  then ROUNDS more rounds on the same site, one new paste published before each of the first
  PUBLISHED: memory of every crawl key after each round, and whether each new paste was found.
- done record over months (`--done-record`, also part of a full run): DONE_DAYS simulated days of
  DONE_ROUNDS_PER_DAY rounds of a listing source on matchers.registry.CrawlState, the listing
  showing the newest DONE_LISTED items while DONE_NEW_PER_ROUND new ones arrive before each round.
  Each round walks the listing as the paste spider does (newest first, page by page, until a page
  holds nothing new), commits the new items, then prunes with crawl_done_retention_days =
  DONE_RETENTION. MEMORY USAGE of the record's keys at the end of each day, against the same
  rounds never pruned (retention 0).

Everything runs on 127.0.0.1 (the fixture sites, a redis-server of the bench's own, stopped at the end).
"""

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from bench.crawl import LOOPBACK, Bench, child_env, log_timing, timed

PASTES = 2450          # 123 archive pages + 2 x 2,450 item and raw pages = 5,023 pages: the tests' big site
CONCURRENCY = 8        # per worker: Scrapy's per-domain default, as bench/crawl.py
WORKERS = (1, 2, 4)    # the curve; on 2 cores, 4 processes already share them
ROUNDS = 10            # later rounds: enough to see whether memory creeps from round to round
PUBLISHED = 5          # the fixture site holds 5 hidden pastes to publish
SAMPLE_S = 0.1         # how often the seen-set's memory is sampled during a crawl
DONE_DAYS = 60         # simulated days: twice the retention window, so that the plateau shows
DONE_ROUNDS_PER_DAY = 24  # an hourly cron
DONE_NEW_PER_ROUND = 42   # ~1,000 new items a day: a busy paste site
DONE_LISTED = 250      # items a listing shows (Pastebin's archive shows its newest 250)
DONE_PAGE = 50         # items per listing page
DONE_RETENTION = 30    # days: the setting's default

SOURCES = """
sources:
  - name: paste
    kind: paste_listing
    base_url: {paste}
    route: direct
    delay: 0
    concurrency: {concurrency}
    max_pages: 0
"""


def memory_queue_crawl() -> dict:
    """`leakwatch crawl paste` with Scrapy's in-memory scheduler (settings from the environment)."""
    from leakwatch.crawl import run_crawl
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    outcome, = run_crawl(Runtime(Settings.load()), ["paste"], extra_settings={
        "SCHEDULER": "scrapy.core.scheduler.Scheduler"})
    return {"sources": [outcome.as_dict()]}


def done_record_rounds(client, namespace: str, *, days: int, rounds_per_day: int, new_per_round: int, listed: int,
                       page: int, retention_days: float) -> list:
    """Simulated rounds of one listing source on CrawlState (see the module's doc); a dict per day:
    items new, taken and forgotten that day, items in the record and its bytes (MEMORY USAGE, exact)
    at the day's end."""
    from leakwatch.matchers.registry import CrawlState

    state = CrawlState(client, "sim", namespace)
    items, out, t0 = [], [], 1_700_000_000.0
    for day in range(days):
        new = taken = forgotten = 0
        for n in range(rounds_per_day):
            now = t0 + day * 86400 + n * 86400 / rounds_per_day
            arrived = [f"k{len(items) + i:08d}" for i in range(new_per_round)]
            items.extend(arrived)
            new += len(arrived)
            shown = items[-listed:][::-1]  # newest first
            for start in range(0, len(shown), page):
                fresh = state.listed(shown[start:start + page], now=now)
                for key in fresh:
                    state.commit(key, f"s{key}", now=now)
                taken += len(fresh)
                if not fresh:
                    break  # the paste spider stops at a page holding only items already taken
            forgotten += state.prune(retention_days * 86400, now=now)
        out.append({"day": day + 1, "new": new, "taken": taken, "forgotten": forgotten, "items": state.count(),
                    "bytes": sum(client.memory_usage(k, samples=0) or 0 for k in state.keys())})
    return out


def done_record_report(client) -> dict:
    kwargs = dict(days=DONE_DAYS, rounds_per_day=DONE_ROUNDS_PER_DAY, new_per_round=DONE_NEW_PER_ROUND,
                  listed=DONE_LISTED, page=DONE_PAGE)
    return {"pruned": done_record_rounds(client, "bw-done", retention_days=DONE_RETENTION, **kwargs),
            "unbounded": done_record_rounds(client, "bw-done-unbounded", retention_days=0, **kwargs)}


def print_done_record(report: dict) -> bool:
    pruned, unbounded = report["pruned"], report["unbounded"]
    every = all(r["taken"] == r["new"] for r in pruned)
    days = (DONE_RETENTION // 2, DONE_RETENTION, DONE_RETENTION + 5, (DONE_RETENTION + DONE_DAYS) // 2, DONE_DAYS)
    for day in days:
        p, u = pruned[day - 1], unbounded[day - 1]
        print(f"done record, day {day} ({DONE_ROUNDS_PER_DAY} rounds a day, "
              f"{DONE_NEW_PER_ROUND * DONE_ROUNDS_PER_DAY} new items a day, listing shows {DONE_LISTED}, "
              f"retention {DONE_RETENTION} d): pruned {p['bytes'] / 2**20:.2f} MiB ({p['items']} items, "
              f"{p['bytes'] / p['items']:.0f} B each) vs never pruned {u['bytes'] / 2**20:.2f} MiB "
              f"({u['items']} items): {p['bytes'] / u['bytes']:.2f}x", flush=True)
    plateau = [r["bytes"] for r in pruned[DONE_RETENTION + 2:]]
    print(f"done record from day {DONE_RETENTION + 3} to day {DONE_DAYS}: {min(plateau) / 2**20:.2f}-"
          f"{max(plateau) / 2**20:.2f} MiB ({max(plateau) / min(plateau):.2f}x; never pruned "
          f"{unbounded[-1]['bytes'] / unbounded[DONE_RETENTION + 2]['bytes']:.2f}x over the same days); every new "
          f"item taken in its round: {'yes' if every else 'NO'}", flush=True)
    return every


def commands(client) -> dict:
    """Calls so far by command (INFO commandstats)."""
    return {k.removeprefix("cmdstat_"): v["calls"] for k, v in client.info("commandstats").items()}


def diff(after: dict, before: dict) -> dict:
    return {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}


class Sampler:
    """Peak MEMORY USAGE and SCARD of one key while a crawl runs (its own connection, own thread)."""

    def __init__(self, redis_url: str, key: str):
        import redis

        self.client, self.key = redis.Redis.from_url(redis_url), key
        self.peak_bytes = self.peak_members = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(SAMPLE_S):
            used = self.client.memory_usage(self.key) or 0
            self.peak_bytes = max(self.peak_bytes, used)
            self.peak_members = max(self.peak_members, self.client.scard(self.key))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.client.close()


class WorkersBench(Bench):
    def crawl(self, sites, client, redis_url, namespace, argv, sample=False) -> dict:
        self.register(client, namespace)
        env = child_env({"LEAKWATCH_HOME": str(self.home), "LEAKWATCH_REDIS_URL": redis_url,
                         "LEAKWATCH_NAMESPACE": namespace, "LEAKWATCH_SOURCES_FILE": str(self.sources)})
        before, calls = len(sites.access_log()), commands(client)
        seen_key = f"{{{namespace}}}:crawl:paste:seen"
        sampler = Sampler(redis_url, seen_key) if sample else None
        if sampler:
            sampler.__enter__()
        try:
            seconds, proc, clock = timed([sys.executable, *argv], env)
        finally:
            if sampler:
                sampler.__exit__()
        if proc.returncode != 0:
            raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr[-2000:]}")
        summary = json.loads(proc.stdout.strip().splitlines()[-1])["sources"][0]
        log = self._log_slice(sites, before)
        paths = [e["path"] for e in log]
        result = {"seconds": seconds, "pages": summary["pages"], "logged": len(log), "cpu": proc.cpu,
                  "once": len(paths) == len(set(paths)), "status": summary["status"], "items": summary["items"],
                  "by_command": diff(commands(client), calls), **log_timing(log, clock)}
        result["commands"] = sum(result["by_command"].values())
        if sampler:
            items_key = f"{{{namespace}}}:crawl:paste:items"
            record = [items_key, f"{{{namespace}}}:crawl:paste:listed"]  # the done record: CrawlState.keys()
            result.update(seen_peak_bytes=sampler.peak_bytes, seen_peak_members=sampler.peak_members,
                          seen_left=bool(client.exists(seen_key)),
                          items_bytes=sum(client.memory_usage(k, samples=0) or 0 for k in record),
                          items=client.hlen(items_key))
        return result

    def rounds(self, sites, client, redis_url, namespace, n: int, published: int) -> list:
        """Later rounds of one deployment: memory of its crawl keys after each, new pastes found."""
        out = []
        for i in range(n):
            new = 1 if i < published else 0
            if new:
                sites.publish("paste", 1)
            r = self.crawl(sites, client, redis_url, namespace, ["-m", "leakwatch", "crawl", "paste", "--json"])
            keys = list(client.scan_iter(f"{{{namespace}}}:crawl:paste:*"))
            out.append({"round": i + 2, "published": new, "items_found": r["items"], "pages": r["pages"],
                        "keys": sorted(k.decode().rsplit(":", 1)[-1] for k in keys),
                        "bytes": sum(client.memory_usage(k) or 0 for k in keys)})
        return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pastes", type=int, default=PASTES)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--done-record", action="store_true", help="only the done record over simulated months")
    parser.add_argument("--memory-queue", action="store_true", help=argparse.SUPPRESS)  # the baseline's process
    args = parser.parse_args(argv)
    if args.memory_queue:
        print(json.dumps(memory_queue_crawl()))
        return 0

    import redis

    from leakwatch.matchers.registry.local_server import LocalRedis
    from world.sites import FixtureSites

    if args.done_record:
        with tempfile.TemporaryDirectory(prefix="leakwatch-bench-done-") as tmp:
            server = LocalRedis(Path(tmp) / "redis")
            client = redis.Redis.from_url(server.ensure())
            try:
                report = done_record_report(client)
            finally:
                client.close()
                server.stop()
        good = print_done_record(report)
        if args.json:
            print(json.dumps(report))
        return 0 if good else 1

    report = {"pastes": args.pastes, "concurrency": args.concurrency}
    crawl = ["-m", "leakwatch", "crawl", "paste", "--json"]
    with tempfile.TemporaryDirectory(prefix="leakwatch-bench-workers-") as tmp:
        tmp = Path(tmp)
        bench = WorkersBench(tmp, args.concurrency, args.pastes)
        bench.setup()
        server = LocalRedis(tmp / "redis")
        redis_url = server.ensure()
        assert urlsplit(redis_url).hostname == LOOPBACK, redis_url
        client = redis.Redis.from_url(redis_url)
        try:
            with FixtureSites(bench.content_dir) as sites:
                bench.sources = tmp / "sources.yaml"
                bench.sources.write_text(SOURCES.format(paste=sites.urls["paste"], concurrency=args.concurrency))
                memory = bench.crawl(sites, client, redis_url, "bw-memory", ["-m", "bench.workers", "--memory-queue"])
                report["memory_queue"] = memory
                report["workers"] = {}
                for n in WORKERS:
                    report["workers"][n] = bench.crawl(sites, client, redis_url, f"bw-w{n}", [*crawl, "--workers", str(n)],
                                                       sample=(n == 1))
                report["later_rounds"] = bench.rounds(sites, client, redis_url, "bw-w1", args.rounds, PUBLISHED)
            report["done_record"] = done_record_report(client)
        finally:
            client.close()
            server.stop()

    shared, w = report["workers"][1], report["workers"]

    def per_page(r, top=5):
        ranked = sorted(r["by_command"].items(), key=lambda kv: -kv[1])[:top]
        return ", ".join(f"{name} {n / r['pages']:.1f}" for name, n in ranked)

    pages = shared["pages"]
    cost_ms = (shared["span"] - memory["span"]) / pages * 1000
    print(f"shared queue vs in-memory scheduler, 1 process, {pages} pages: {pages / shared['span']:.1f} vs "
          f"{memory['pages'] / memory['span']:.1f} pages/s in-crawl ({shared['span'] / memory['span']:.2f}x), "
          f"{shared['seconds']:.1f} vs {memory['seconds']:.1f} s as processes; cost {cost_ms:+.2f} ms/page; "
          f"Redis commands/page {shared['commands'] / pages:.1f} vs {memory['commands'] / memory['pages']:.1f} "
          f"(shared, per page: {per_page(shared)}; in-memory: {per_page(memory)})", flush=True)
    for n in WORKERS:
        r = w[n]
        print(f"{n} worker(s): {r['pages'] / r['span']:.1f} pages/s in-crawl, {r['pages'] / r['seconds']:.1f} pages/s "
              f"as a process ({r['seconds']:.1f} s), {r['pages'] / r['span'] / (pages / shared['span']):.2f}x of 1 "
              f"worker; CPU {r['cpu']:.1f} s ({r['cpu'] / r['pages'] * 1000:.1f} ms/page); each page once: "
              f"{'yes' if r['once'] and r['pages'] == r['logged'] else 'NO'}", flush=True)
    print(f"seen-set: peak {shared['seen_peak_members']} fingerprints, {shared['seen_peak_bytes'] / 1024:.0f} KiB "
          f"({shared['seen_peak_bytes'] / max(1, shared['seen_peak_members']):.0f} B each) during the {pages}-page "
          f"round; after it: {'still there' if shared['seen_left'] else 'gone'}; crawl state: "
          f"{shared['items_bytes'] / shared['items']:.0f} B per committed item ({shared['items']} items, "
          f"{shared['items_bytes'] / 1024:.0f} KiB)", flush=True)
    rounds = report["later_rounds"]
    found = all(r["items_found"] == r["published"] for r in rounds)
    print(f"{len(rounds)} later rounds: crawl keys {rounds[0]['bytes'] / 1024:.0f} KiB after round 2, "
          f"{rounds[-1]['bytes'] / 1024:.0f} KiB after round {rounds[-1]['round']} "
          f"({'+'.join(str(r['published']) for r in rounds)} new pastes published); keys left between rounds: "
          f"{', '.join(rounds[-1]['keys'])}; every new paste found in its round: {'yes' if found else 'NO'}",
          flush=True)
    done_good = print_done_record(report["done_record"])
    if args.json:
        print(json.dumps(report, default=str))
    good = (all(r["once"] and r["status"] == "ok" for r in w.values()) and memory["status"] == "ok"
            and not shared["seen_left"] and found and done_good)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
