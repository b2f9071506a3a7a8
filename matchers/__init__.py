"""Normalizing, fingerprinting and matching: everything between a dump's bytes and a verdict.

No scrapy and no web framework here: the crawler and the CLI call into these packages.
"""
