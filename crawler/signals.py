"""leakwatch's own Scrapy signals.

source_blocked(request, response, spider): the source refused or rate-limited us (an answer
RetryAfterMiddleware retries, 429 or 503). The route middleware answers it by giving the source
a new identity on Tor (new circuit credentials, and NEWNYM when tor allows one), before the retry
leaves.
"""

source_blocked = object()
