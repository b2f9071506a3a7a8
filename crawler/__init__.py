"""The Scrapy project of leakwatch: one spider per source of config/sources.yaml.

The only package that imports scrapy. Public entry points:

- `crawler.sources.load_sources(path)` / `parse_sources(text)`: the checked sources (`Source`).
- `crawler.runner.run_crawls(sources, overrides)`: crawl sources in this process, get per-source results.
- `crawler.items.DumpItem`: what the pipelines receive.
"""
