"""Pages/s of `leakwatch crawl` against the fixture paste site, next to a bare Scrapy spider, same run.

    python -m bench.crawl                  # ~1-2 minutes
    python -m bench.crawl --json           # the same, plus a JSON report on the last line

Cases (one line each, ratio first):
- paste crawl: the paste listing site (archive -> item page -> raw), fresh crawl state each round.
  leakwatch = `python -m leakwatch crawl paste --json` as a process: Redis lock, crawl state, the
              scan pipeline (extract, normalize, fingerprint, match against the registered
              institutions), sightings and match queue committed to Redis;
  bare      = a plain Scrapy spider (`python -m bench.crawl --bare URL`, below): the same walk, same
              concurrency, asyncio reactor, Scrapy's default components only, bodies thrown away.
  Both are processes timed from spawn to exit, so both pay interpreter and Scrapy start-up; both log
  at WARNING (leakwatch's default log_level).
  The fixture paste site has 52 visible pastes (107 pages) and `build_content` has no knob for
  more, so each repeat runs ROUNDS crawls per side on fresh state (a new Redis namespace for
  leakwatch) and sums pages and time. Rounds alternate sides; the best of REPEATS repeats counts.
- paste crawl, in-crawl: the same runs, timed from the first to the last request the site logged
  (start-up and shutdown left out): where the overhead is, start-up or per page.

Everything runs on 127.0.0.1: the fixture sites, leakwatch's own redis-server (both stopped at the
end), and both crawlers (proxy variables are removed from their environment; the source's route is
`direct`; the bare spider refuses any URL that is not loopback).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
REPEATS = 3            # timings on this machine vary by +-30 %: best of 3 per side
ROUNDS = 5             # crawls per side per repeat (5 x 107 pages): each is a process, so rounds leave the
                       # ratio as it is and only steady it; 3 x 5 x 2 processes take under 2 minutes
CONCURRENCY = 8        # requests in flight, both sides: Scrapy's per-domain default, above the paste
                       # sources' 1 so that per-page cost, not the site's latency, sets the pace
INSTITUTIONS = 10      # registered; the first 3 have leaks planted (build_content's default `leaked`)
ROWS = 300             # people per institution: above the 80-150 a planted leak samples
PEOPLE_SEED = 7        # the seed tests/crawler uses for make_institutions
CONTENT_SEED = 2021    # build_content's default: the sites' usual content
LOOPBACK = "127.0.0.1"

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

# The bare side: no leakwatch import at all (its start-up is Scrapy's only).
BARE_SETTINGS = {
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "HTTPPROXY_ENABLED": False,       # never a proxy from the environment
    "ROBOTSTXT_OBEY": False,          # as leakwatch: no robots.txt request
    "DOWNLOAD_DELAY": 0,
}


def bare_crawl(base_url: str, concurrency: int) -> dict:
    """Crawl the paste site with a plain Scrapy spider; its stats."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    # Scrapy's CookiesMiddleware stays (leakwatch runs its own subclass), but its tldextract would
    # download the Public Suffix List from publicsuffix.org on a first cookie: use the shipped list.
    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

    def loopback(url):
        host = urlsplit(url).hostname
        if host != LOOPBACK:
            raise ValueError(f"bare spider: refusing {url}: not {LOOPBACK}")
        return url

    class BarePasteSpider(scrapy.Spider):
        name = "bare-paste"

        async def start(self):
            yield scrapy.Request(loopback(base_url + "/archive"), self.parse_listing)

        def parse_listing(self, response):
            for href in response.css("a.paste-link::attr(href)").getall():
                yield scrapy.Request(loopback(response.urljoin(href)), self.parse_item)
            next_page = response.css("a[rel=next]::attr(href)").get()
            if next_page:
                yield scrapy.Request(loopback(response.urljoin(next_page)), self.parse_listing)

        def parse_item(self, response):
            raw = response.css("a#raw-link::attr(href)").get()
            if raw:
                yield scrapy.Request(loopback(response.urljoin(raw)), self.parse_raw)

        def parse_raw(self, response):
            pass  # bodies are thrown away

    settings = dict(BARE_SETTINGS, CONCURRENT_REQUESTS=concurrency, CONCURRENT_REQUESTS_PER_DOMAIN=concurrency)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BarePasteSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    return {"pages": int(stats.get("response_received_count", 0)), "reason": stats.get("finish_reason"),
            "errors": int(stats.get("log_count/ERROR", 0))}


# --- the harness ----------------------------------------------------------------------------------


def child_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # nothing via a proxy
    env.update(extra)
    env["PYTHONPATH"] = str(REPO)
    return env


def timed(argv, env) -> tuple:
    """Wall seconds, the Popen result, and the wall clock at spawn and exit (to set against the access log)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the sites' process is not reaped: not counted
    spawned, started = time.time(), time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    seconds, ended = time.perf_counter() - started, time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return seconds, proc, (spawned, ended)


def log_timing(log: list, clock: tuple) -> dict:
    """From the site's access log: first to last request, and the process's time before and after them."""
    if not log:
        return {"span": 0.0, "before": 0.0, "after": 0.0}
    return {"span": log[-1]["t"] - log[0]["t"], "before": log[0]["t"] - clock[0], "after": clock[1] - log[-1]["t"]}


class Bench:
    def __init__(self, tmp: Path, concurrency: int, pastes: int = 52):
        self.tmp = tmp
        self.concurrency = concurrency
        self.pastes = pastes

    def setup(self) -> None:
        from world.synth import make_institutions, write_table
        from world.sites import build_content
        from leakwatch.matchers.extract import table_records
        from leakwatch.matchers.fingerprint import DeploymentKey, fingerprint_records

        self.institutions = make_institutions(INSTITUTIONS, rows=ROWS, seed=PEOPLE_SEED)
        self.content_dir = self.tmp / "sites"
        truth = build_content(self.content_dir, self.institutions, seed=CONTENT_SEED, pastes_visible=self.pastes)
        self.planted = {path: t for path, t in truth.items() if t["site"] == "paste" and not t["hidden"]}
        self.home = self.tmp / "home"
        self.key = DeploymentKey.generate()
        self.key.save(self.home / "deployment.key")
        self.fingerprints = {}
        for inst in self.institutions:
            table = write_table(self.tmp / f"{inst.name}.csv", inst.rows)
            self.fingerprints[inst.name] = fingerprint_records(table_records(table), self.key, "patients")

    def register(self, client, namespace: str) -> None:
        from leakwatch.matchers.registry import RedisRegistry

        registry = RedisRegistry(client, namespace)
        for name, fp in self.fingerprints.items():
            registry.register(name, "patients", fp, key_id=self.key.key_id)

    def run(self, sites, client, redis_url: str, repeats: int, rounds: int) -> dict:
        sources = self.tmp / "sources.yaml"
        sources.write_text(SOURCES.format(paste=sites.urls["paste"], concurrency=self.concurrency))
        for url in sites.urls.values():
            assert urlsplit(url).hostname == LOOPBACK, url
        runs = {"leakwatch": [], "bare": []}
        for repeat in range(repeats):
            for side in ("leakwatch", "bare"):
                runs[side].append([])
            for n in range(rounds):
                # Alternate which side goes first: drift of the machine falls on both alike.
                order = ("leakwatch", "bare") if (repeat * rounds + n) % 2 == 0 else ("bare", "leakwatch")
                for side in order:
                    if side == "leakwatch":
                        result = self.leakwatch_round(sites, client, redis_url, sources, f"benchcrawl-{repeat}-{n}")
                    else:
                        result = self.bare_round(sites)
                    runs[side][-1].append(result)
        return runs

    def _log_slice(self, sites, before: int) -> list:
        entries = [e for e in sites.access_log()[before:] if not e["path"].startswith("/admin/")]
        clients = {e["client"] for e in entries}
        assert clients <= {LOOPBACK}, f"requests from {clients}"
        return entries

    def leakwatch_round(self, sites, client, redis_url, sources, namespace) -> dict:
        from leakwatch.matchers.registry import MatchQueue

        self.register(client, namespace)
        env = child_env({"LEAKWATCH_HOME": str(self.home), "LEAKWATCH_REDIS_URL": redis_url,
                         "LEAKWATCH_NAMESPACE": namespace, "LEAKWATCH_SOURCES_FILE": str(sources)})
        before = len(sites.access_log())
        seconds, proc, clock = timed([sys.executable, "-m", "leakwatch", "crawl", "paste", "--json"], env)
        if proc.returncode != 0:
            raise RuntimeError(f"leakwatch crawl exited {proc.returncode}: {proc.stderr[-2000:]}")
        summary = json.loads(proc.stdout.strip().splitlines()[-1])["sources"][0]
        log = self._log_slice(sites, before)
        found, extra = set(), 0
        for match in MatchQueue(client, namespace).open(limit=1000):
            key = "/raw/" + match["url"].rstrip("/").rsplit("/", 1)[-1]  # the match's URL is /p/KEY
            expected = self.planted.get(key)
            if expected and match["institution"] == expected["institution"]:
                found.add(key)
            else:
                extra += 1
        return {"seconds": seconds, "pages": summary["pages"], "logged": len(log),
                "paths": sorted(e["path"] for e in log), **log_timing(log, clock), "cpu": proc.cpu,
                "found": len(found), "extra": extra,
                "matches": summary["matches"], "errors": summary["errors"], "status": summary["status"]}

    def bare_round(self, sites) -> dict:
        before = len(sites.access_log())
        seconds, proc, clock = timed([sys.executable, "-m", "bench.crawl", "--bare", sites.urls["paste"],
                                      "--concurrency", str(self.concurrency)], child_env({}))
        if proc.returncode != 0:
            raise RuntimeError(f"bare crawl exited {proc.returncode}: {proc.stderr[-2000:]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        log = self._log_slice(sites, before)
        return {"seconds": seconds, "pages": report["pages"], "logged": len(log),
                "paths": sorted(e["path"] for e in log), **log_timing(log, clock), "cpu": proc.cpu,
                "errors": report["errors"]}


def median(rounds: list, field: str) -> float:
    return round(statistics.median(r[field] for r in rounds), 2)


def summarize(runs: dict, planted: int) -> dict:
    def best(side, field):
        totals = [(sum(r[field] for r in rep), sum(r["pages"] for r in rep)) for rep in runs[side]]
        seconds, pages = min(totals)
        return seconds, pages

    lw_s, lw_pages = best("leakwatch", "seconds")
    bare_s, bare_pages = best("bare", "seconds")
    lw_span, _ = best("leakwatch", "span")
    bare_span, _ = best("bare", "span")
    rounds = [r for rep in runs["leakwatch"] for r in rep]
    bare_rounds = [r for rep in runs["bare"] for r in rep]
    same = all(r["paths"] == rounds[0]["paths"] for r in rounds + bare_rounds)
    logged = all(r["pages"] == r["logged"] for r in rounds + bare_rounds)
    return {
        "pages": lw_pages, "pages_per_round": rounds[0]["pages"], "rounds": len(runs["leakwatch"][0]),
        "repeats": len(runs["leakwatch"]),
        "leakwatch_s": round(lw_s, 2), "bare_s": round(bare_s, 2),
        "leakwatch_pages_per_s": round(lw_pages / lw_s, 1), "bare_pages_per_s": round(bare_pages / bare_s, 1),
        "overhead": round(lw_s / bare_s, 2),
        "leakwatch_in_crawl_s": round(lw_span, 2), "bare_in_crawl_s": round(bare_span, 2),
        "leakwatch_in_crawl_pages_per_s": round(lw_pages / lw_span, 1),
        "bare_in_crawl_pages_per_s": round(bare_pages / bare_span, 1),
        "in_crawl_overhead": round(lw_span / bare_span, 2),
        # Per process, median over every round: spawn to first request, last request to exit.
        "before_first_request_s": {"leakwatch": median(rounds, "before"), "bare": median(bare_rounds, "before")},
        "after_last_request_s": {"leakwatch": median(rounds, "after"), "bare": median(bare_rounds, "after")},
        "cpu_s_per_process": {"leakwatch": median(rounds, "cpu"), "bare": median(bare_rounds, "cpu")},
        "found_min": min(r["found"] for r in rounds), "planted": planted,
        "extra_matches_max": max(r["extra"] for r in rounds),  # matches of no planted leak, or the wrong lab
        "same_pages_both_sides": same, "pages_match_access_log": logged,
        "all_ok": (all(r["status"] == "ok" and not r["errors"] for r in rounds)
                   and not any(r["errors"] for r in bare_rounds)),
        "seconds_by_repeat": {side: [round(sum(r["seconds"] for r in rep), 2) for rep in runs[side]] for side in runs},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="crawls per side per repeat, each on fresh state")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--pastes", type=int, default=52,
                        help="visible pastes on the fixture site (52: the tests' site, 107 pages a crawl; "
                             "1000: an archive closer to a real paste site's, where start-up weighs less)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bare", metavar="URL", help=argparse.SUPPRESS)  # the bare side's own process
    args = parser.parse_args(argv)
    if args.bare:
        print(json.dumps(bare_crawl(args.bare.rstrip("/"), args.concurrency)))
        return 0

    import redis

    from leakwatch.matchers.registry.local_server import LocalRedis
    from world.sites import FixtureSites

    with tempfile.TemporaryDirectory(prefix="leakwatch-bench-crawl-") as tmp:
        tmp = Path(tmp)
        bench = Bench(tmp, args.concurrency, args.pastes)
        bench.setup()
        server = LocalRedis(tmp / "redis")
        redis_url = server.ensure()
        assert urlsplit(redis_url).hostname == LOOPBACK, redis_url
        client = redis.Redis.from_url(redis_url)
        try:
            with FixtureSites(bench.content_dir) as sites:
                runs = bench.run(sites, client, redis_url, args.repeats, args.rounds)
        finally:
            client.close()
            server.stop()
    r = summarize(runs, len(bench.planted))
    r["concurrency"] = args.concurrency
    wrong = f", {r['extra_matches_max']} wrong" if r["extra_matches_max"] else ""
    pages = f"{r['pages']} pages: {r['rounds']} crawls x {r['pages_per_round']}"
    print(f"paste crawl ({pages}): leakwatch {r['leakwatch_pages_per_s']} pages/s vs bare scrapy "
          f"{r['bare_pages_per_s']} pages/s: overhead {r['overhead']}x (target <= 1.3x); "
          f"matches found: {r['found_min']} of {r['planted']} planted{wrong}", flush=True)
    print(f"paste crawl, in-crawl ({pages}, first to last request): leakwatch "
          f"{r['leakwatch_in_crawl_pages_per_s']} pages/s vs bare scrapy {r['bare_in_crawl_pages_per_s']} pages/s: "
          f"overhead {r['in_crawl_overhead']}x; per process, spawn to first request: leakwatch "
          f"{r['before_first_request_s']['leakwatch']}s vs bare {r['before_first_request_s']['bare']}s, "
          f"last request to exit: leakwatch {r['after_last_request_s']['leakwatch']}s vs bare "
          f"{r['after_last_request_s']['bare']}s; CPU per process: leakwatch {r['cpu_s_per_process']['leakwatch']}s "
          f"vs bare {r['cpu_s_per_process']['bare']}s; "
          f"same pages both sides: {'yes' if r['same_pages_both_sides'] else 'NO'}", flush=True)
    if args.json:
        print(json.dumps(r))
    good = r["all_ok"] and r["same_pages_both_sides"] and r["pages_match_access_log"]
    return 0 if good and r["found_min"] == r["planted"] and not r["extra_matches_max"] else 1


if __name__ == "__main__":
    sys.exit(main())
