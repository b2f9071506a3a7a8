"""The analysts' and institutions' web app (FastAPI): `create_app(runtime)`."""

from .app import create_app

__all__ = ["create_app"]
