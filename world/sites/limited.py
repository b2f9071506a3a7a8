"""A paste site that rate-limits: every 3rd request of a client gets 429 + Retry-After.

A client that comes back before Retry-After has passed gets 429 again (without using up a
request), so a crawler that ignores the header gets nothing, and one that honours it gets
everything. A client is its IP address, as for a real site's limiter: every connection
from 127.0.0.1 shares one budget.
"""

import time

from .paste import PasteSite
from .web import Request, Response

EVERY = 3            # the 3rd, 6th, 9th... request of a client is refused
RETRY_AFTER = 1      # seconds


class LimitedSite(PasteSite):
    name = "limited"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir, host)
        self.clients = {}    # ip -> [requests counted, monotonic time before which it is refused]

    def route(self, request: Request) -> Response:
        now = time.monotonic()
        with self.lock:
            state = self.clients.setdefault(request.client[0], [0, 0.0])
            if now < state[1]:
                return self.too_many()
            state[0] += 1
            if state[0] % EVERY == 0:
                state[1] = now + RETRY_AFTER
                return self.too_many()
        return super().route(request)

    @staticmethod
    def too_many() -> Response:
        return Response(429, b"Too Many Requests: slow down\n", "text/plain; charset=utf-8",
                        [("Retry-After", str(RETRY_AFTER))])
