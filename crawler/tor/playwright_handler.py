"""`TorPlaywrightDownloadHandler`: scrapy-playwright's handler for sources with a browser, whose
other requests (raw files, attachments) go through tor's tunnel like `TorDownloadHandler`'s.

Pages: scrapy-playwright, in the browser context TorRoute set up (`proxy: socks5://...`, so Chromium
sends hostnames to tor). Requests without `playwright`: `TorTunnelMixin`. Set it in place of
scrapy-playwright's handler for `browser: true` sources.
"""

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from .handler import TorTunnelMixin


class TorPlaywrightDownloadHandler(TorTunnelMixin, ScrapyPlaywrightDownloadHandler):
    pass
