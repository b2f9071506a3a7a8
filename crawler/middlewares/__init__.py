"""Downloader middlewares: the route every request takes, Retry-After, cookies kept offline."""

from .cookies import CookiesMiddleware
from .retry_after import RetryAfterMiddleware
from .route import RouteMiddleware

__all__ = ["CookiesMiddleware", "RetryAfterMiddleware", "RouteMiddleware"]
