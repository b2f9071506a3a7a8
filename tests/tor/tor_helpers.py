"""What the Tor tests share besides fixtures (conftest modules clash by name across test folders)."""

import socket

HANDLER = "leakwatch.crawler.tor.handler.TorDownloadHandler"
BROWSER_HANDLER = "leakwatch.crawler.tor.playwright_handler.TorPlaywrightDownloadHandler"
# Passed as crawl settings (priority cmdline): they replace the handlers of crawler/settings.py and of
# crawler.spiders.source_settings until those name Tor's.
TOR_HANDLERS = {"DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER}}
TOR_BROWSER_HANDLERS = {"DOWNLOAD_HANDLERS": {"http": BROWSER_HANDLER, "https": BROWSER_HANDLER}}


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
