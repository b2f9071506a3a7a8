"""Local fixture sites that behave like the paste sites and forums leakwatch watches.

The contract spiders are written against is docs/fixture-sites.md.
"""

from .content import build_content
from .fixture_sites import FixtureSites, FixtureSitesError

__all__ = ["FixtureSites", "FixtureSitesError", "build_content"]
