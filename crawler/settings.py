"""Scrapy settings of leakwatch's crawls: the crawler's own, read by nothing at import.

Whoever starts a crawl puts leakwatch's resolved settings on top (priority `cmdline`): `leakwatch
crawl` (leakwatch.crawl.scrapy_settings), and `scrapy list` / `scrapy crawl NAME` in crawler/
through scrapy.cfg's project module (leakwatch.crawl_project), so both use the same values.

leakwatch's own Scrapy settings (all read in `from_crawler`):
- LEAKWATCH_SOURCES: the sources file.
- LEAKWATCH_SCAN_COMPONENTS: what the scan pipeline scans with and commits to ({"scanner", "redis",
  "namespace"}), built by whoever starts the crawl; or LEAKWATCH_SCAN_COMPONENTS_FACTORY, the path
  of a function that builds them from LEAKWATCH_SETTINGS (each crawler process builds its own).
- LEAKWATCH_SETTINGS: leakwatch's settings as plain values.
- LEAKWATCH_REDIS_URL, LEAKWATCH_NAMESPACE, LEAKWATCH_HOME: the store of crawl state (an empty URL
  starts leakwatch's own redis-server under LEAKWATCH_HOME).
- LEAKWATCH_ROUTES: route name -> class path (crawler/routes.py).
- RETRYAFTER_HTTP_CODES, RETRYAFTER_MAX_TIMES, RETRYAFTER_BASE_DELAY, RETRYAFTER_MAX_DELAY:
  crawler/middlewares/retry_after.py.
- LEAKWATCH_CRAWL_ROLES ({source: "lead" | "join"}, default lead), LEAKWATCH_CRAWL_ROUNDS ({source:
  round id proposed by the run}), LEAKWATCH_LEASE_SECONDS, LEAKWATCH_QUEUE_POLL_SECONDS, LEAKWATCH_QUEUE_MAX_HELD,
  LEAKWATCH_STORE_WAIT_SECONDS: the shared queue (crawler/shared) that lets several processes crawl
  one source.
- LEAKWATCH_DONE_RETENTION_DAYS: how long a done item no listing shows stays in the done record.
Per-source politeness and budgets (concurrency, delay, pages, seconds) are the spider's own
settings, from the source (crawler/spiders/__init__.py: source_settings).
"""

import shutil

BOT_NAME = "leakwatch"
SPIDER_LOADER_CLASS = "leakwatch.crawler.loader.SourceSpiderLoader"
LEAKWATCH_SOURCES = ""

# Given by whoever starts the crawl (see above); a crawl started without them fails at its start.
LEAKWATCH_SCAN_COMPONENTS = None
LEAKWATCH_SCAN_COMPONENTS_FACTORY = ""
LEAKWATCH_SETTINGS = {}
LEAKWATCH_REDIS_URL = ""
LEAKWATCH_NAMESPACE = "lw"
LEAKWATCH_HOME = "~/.local/share/leakwatch"

# One request queue and one seen-set per source in Redis, shared by every process that crawls it
# (`leakwatch crawl --workers N`, other cron runs, other machines): crawler.shared.scheduler.
SCHEDULER = "leakwatch.crawler.shared.scheduler.SharedScheduler"
LEAKWATCH_CRAWL_ROLES = {}
LEAKWATCH_CRAWL_ROUNDS = {}
LEAKWATCH_LEASE_SECONDS = 120  # the defaults of leakwatch.settings (tests/crawler/test_crawler_settings.py)
LEAKWATCH_STORE_WAIT_SECONDS = 300
# Done items no listing has shown for this many days are forgotten at the end of a crawl (0: never):
# matchers.registry.CrawlState.prune.
LEAKWATCH_DONE_RETENTION_DAYS = 30
# How often a worker with nothing to do looks at the queue again (other workers' requests, expired leases).
LEAKWATCH_QUEUE_POLL_SECONDS = 0.2
# Most requests one worker holds at a time; 0: twice the source's concurrency (crawler.shared.scheduler).
LEAKWATCH_QUEUE_MAX_HELD = 0

LEAKWATCH_ROUTES = {
    "direct": "leakwatch.crawler.routes.DirectRoute",
    "tor": "leakwatch.crawler.routes.TorRoute",
}

DOWNLOADER_MIDDLEWARES = {
    # First of all: a request that may not leave by its route goes nowhere.
    "leakwatch.crawler.middlewares.route.RouteMiddleware": 50,
    # A request for an item committed since it was made (a lease back from a killed worker) stays here.
    "leakwatch.crawler.middlewares.done_items.DoneItemsMiddleware": 52,
    # Then a source's `concurrency` across all the processes that crawl it (workers, other machines),
    # and its `delay`: a slot first, so that the time slot reserved next is the one the request leaves at.
    "leakwatch.crawler.middlewares.shared_concurrency.SharedConcurrencyMiddleware": 55,
    "leakwatch.crawler.middlewares.shared_pace.SharedPaceMiddleware": 60,
    # Nearer the downloader than RetryMiddleware (550): sees 429/503 first.
    "leakwatch.crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    # Scrapy's own, minus its download of the Public Suffix List (a connection outside the route).
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "leakwatch.crawler.middlewares.cookies.CookiesMiddleware": 700,
}
ITEM_PIPELINES = {"leakwatch.crawler.pipelines.scan.ScanPipeline": 300}

# Every download goes through leakwatch's handler: Scrapy's HTTP/1.1 handler for direct sources,
# and for Tor sources an HTTP CONNECT tunnel through tor's HTTPTunnelPort for http and https alike,
# so tor resolves the names and this machine looks none up (crawler/tor/handler.py says why).
DOWNLOAD_HANDLERS = {"http": "leakwatch.crawler.tor.handler.TorDownloadHandler",
                     "https": "leakwatch.crawler.tor.handler.TorDownloadHandler"}

# 429 and 503 are RetryAfterMiddleware's (they wait as the site asks); network errors and other
# server errors are retried by Scrapy's RetryMiddleware.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
RETRY_TIMES = 3
RETRYAFTER_HTTP_CODES = [429, 503]
RETRYAFTER_MAX_TIMES = 5
RETRYAFTER_BASE_DELAY = 1.0
RETRYAFTER_MAX_DELAY = 300.0

# Sources are chosen by the operator, who sets their pace in sources.yaml; robots.txt would also be
# one more request per run to sites that may note who asks for it.
ROBOTSTXT_OBEY = False
# The user agent of Tor Browser (Firefox ESR): a crawler that names itself is easy to refuse or feed.
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
COOKIES_ENABLED = True
# No listening port of our own: the telnet console and Scrapy's remote control (an HTTP server that
# runs Python code sent to it, with a token written under the user's profile) stay off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 256 * 1024 * 1024  # an attachment larger than this is not read (and the crawl goes on)
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
LOG_LEVEL = "INFO"
# Items are named in log lines, never written whole: a body is leaked data (crawler/logformatter.py).
LOG_FORMATTER = "leakwatch.crawler.logformatter.ContentFreeLogFormatter"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # scrapy-playwright needs it

# Chromium for sources with `browser: true`: Debian's, since Playwright cannot download its own here.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
    "headless": True,
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             # No traffic of the browser's own (updates, sync, safe browsing): only the pages asked for.
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             # No name resolution on this machine (the proxy resolves), and no WebRTC UDP around the proxy.
             "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
             "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000
PLAYWRIGHT_MAX_CONTEXTS = 8
