"""The Scrapy project of leakwatch: one spider per source of config/sources.yaml.

The only package that imports scrapy. Public entry points:

- `leakwatch.crawler.sources.load_sources(path)` / `parse_sources(text)`: the checked sources (`Source`).
- `leakwatch.crawler.runner.run_crawls(sources, overrides)`: crawl sources in this process, get per-source results.
- `leakwatch.crawler.items.DumpItem`: what the pipelines receive.
"""
