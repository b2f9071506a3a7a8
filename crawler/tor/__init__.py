"""Every way leakwatch talks to tor, in one place.

    controller.py          TorController (stem): attach to or launch tor, bootstrap, NEWNYM, status
    handler.py             TorDownloadHandler: Scrapy's downloads through tor's HTTPTunnelPort
    playwright_handler.py  the same tunnel for pages that need a browser

The route that sends a source's requests this way, and refuses to let them leave another way, is
crawler/routes.py (TorRoute). The private Tor network the tests and the demo run is the synthetic
world's (world/tornet), not the product's.
"""

from .controller import TorController, TorUnavailable, free_port, parse_address, tor_status

__all__ = ["TorController", "TorUnavailable", "free_port", "parse_address", "tor_status"]
