"""`RefusingResolver`: a Twisted resolver for the crawl process of a test that fails every lookup and
writes the name to `LW_TEST_DNS_LOG`: a Tor crawl that succeeds with it, with the log empty, resolved
no target name on this machine (tor got the hostnames)."""

from pathlib import Path

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class RefusingResolver:
    def __init__(self, reactor, log_path):
        self.reactor = reactor
        self.log_path = Path(log_path)

    @classmethod
    def from_crawler(cls, crawler, reactor):
        return cls(reactor, crawler.settings.get("LW_TEST_DNS_LOG"))

    def install_on_reactor(self):
        self.reactor.installResolver(self)

    def getHostByName(self, name, timeout=()):
        with self.log_path.open("a") as log:
            log.write(f"{name}\n")
        return defer.fail(DNSLookupError(f"{name}: this test allows no local name resolution"))
