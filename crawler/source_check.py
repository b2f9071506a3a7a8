"""One page of a source, fetched as its crawl fetches it, and what each of its selectors finds there.

What `leakwatch sources check` runs: the source's own spider class (so its route, Tor included, its
download handlers, its politeness and a forum's login are the crawl's), with a start that fetches
one page and reports on it instead of crawling. Nothing is committed and no item is made. The report
holds URLs, keys, ids, numbers and the site's titles and names (what a sighting records of an item),
never the text of a paste or post: only how many elements matched.
"""

import json
import logging

from leakwatch.crawler.spiders import spider_class
from leakwatch.crawler.spiders.base import first, pattern_key
from leakwatch.crawler.spiders.forum import _int, last_post_of, thread_key_of
from leakwatch.crawler.spiders.listing import file_keys

logger = logging.getLogger(__name__)

SHOWN = 20  # entries listed per selector; the rest are counted


def check_url(source, url: str | None) -> str:
    """The page `sources check` fetches: `url`, or the source's first listing (index, API list)."""
    if url:
        return source.url(url)
    o = source.options
    if source.kind == "forum":
        return source.url(o["index_path"])
    if source.kind == "paste_api":
        return source.url(o["list_url"].format(limit=o["limit"]))
    return source.url(o["path"])


def page_kind(source, url: str, response=None) -> str:
    """What page `url` is to the source: listing or item (pastes), index, board or thread (forums), list (API)."""
    o = source.options
    if source.kind == "paste_api":
        return "list"
    if source.kind == "forum":
        if response is None:
            return "unknown"
        if response.css(o["posts"]):
            return "thread"
        return "board" if response.css(o["topics"]) else "index"
    return "item" if _key(url, o["key_pattern"]) is not None else "listing"


def report_page(source, response, kind: str) -> dict:
    """{"selectors": [{"name", "css", "count", "found"}], "warnings": [...]} for a fetched page."""
    o, rows, warnings = source.options, [], []

    def add(name, css, found, note="", warn=True):
        rows.append({"name": name, "css": css, "count": len(found), "found": found[:SHOWN]})
        if css and not found and warn:
            warnings.append(f"{name} ({css}) matched nothing{note}")

    def links(css):
        return [response.urljoin(a.attrib["href"]) for a in (response.css(css) if css else []) if a.attrib.get("href")]

    def value(name):
        found = first(response, o[name])
        add(name, o[name], [found] if found else [])

    if kind == "list":
        try:
            entries = json.loads(response.body)
        except ValueError:
            entries = None
        if not isinstance(entries, list):
            warnings.append("the API list is not a JSON list")
            entries = []
        keyed = [{"key": str(e["key"]), "title": e.get("title")} for e in entries if isinstance(e, dict) and e.get("key")]
        add("entries", o["list_url"], keyed)
    elif kind == "listing":
        found = [{"url": u, "key": _key(u, o["key_pattern"])} for u in links(o["item_links"])]
        add("item_links", o["item_links"], found)
        if found and all(f["key"] is None for f in found):
            warnings.append(f"key_pattern ({o['key_pattern']}) matched none of the item links")
        add("next_page", o["next_page"], links(o["next_page"])[:1], " (fine on the last page)")
    elif kind == "item":
        for name in ("title", "author", "posted_at"):
            value(name)
        key = _key(response.url, o["key_pattern"])
        raws = list(dict.fromkeys(links(o["raw_link"])))
        add("raw_link", o["raw_link"], [{"url": u, "key": k} for k, u in file_keys(key, raws, o["file_key_pattern"])]
            if raws else [], "" if o["raw_url"] else " (and there is no raw_url)")
        content = response.css(o["content"]) if o["content"] else []
        # The content is only read when there is no raw endpoint.
        add("content", o["content"], [{"element": n} for n in range(1, len(content) + 1)],
            " (and there is no raw endpoint: nothing to take" + ("" if source.browser else "; does it need `browser: true`?")
            + ")", warn=not (raws or o["raw_url"]))
    elif kind == "index":
        add("boards", o["boards"], links(o["boards"]))
    elif kind == "board":
        topics = []
        for topic in response.css(o["topics"]):
            href = topic.attrib.get("href")
            if href:
                url = response.urljoin(href)
                topics.append({"url": url, "link_key": _key(url, o["thread_key_pattern"]),
                               "last_post": _int(last_post_of(topic, o))})
        add("topics", o["topics"], topics)
        add("topic_last_post", o["topic_last_post"], [t["last_post"] for t in topics if t["last_post"] is not None],
            f" or no number (topic_last_post_pattern {o['topic_last_post_pattern'] or 'empty'}): "
            "unchanged threads cannot be skipped")
        add("next_page", o["next_page"], links(o["next_page"])[:1], " (fine on the last page)")
    elif kind == "thread":
        thread = _thread_key(response, o)
        add("thread_key", f"{o['thread_key_from']}: {o['thread_key_pattern']}", [thread] if thread else [],
            ": the thread's items cannot be keyed")
        posts, attachments = [], []
        for post in response.css(o["posts"]):
            post_id = _key(post.attrib.get("id", ""), o["post_id_pattern"])
            atts = [{"url": u, "key": f"attachment:{_key(u, o['attachment_key_pattern'])}"}
                    for u in [response.urljoin(a.attrib["href"]) for a in (post.css(o["attachments"]) if o["attachments"] else [])
                              if a.attrib.get("href")]]
            attachments.extend(atts)
            posts.append({"id": post_id, "author": first(post, o["post_author"]), "posted_at": first(post, o["post_time"]),
                          "content": bool(post.css(o["post_content"])), "attachments": len(atts)})
        add("posts", o["posts"], posts)
        if posts and all(p["id"] is None for p in posts):
            warnings.append(f"post_id_pattern ({o['post_id_pattern']}) matched no post's id")
        if posts and not any(p["content"] for p in posts):
            warnings.append(f"post_content ({o['post_content']}) matched nothing in any post")
        add("attachments", o["attachments"], attachments, " (fine if no post here has one)")
        add("next_page", o["next_page"], links(o["next_page"])[:1], " (fine on the last page)")
    return {"selectors": rows, "warnings": warnings}


def _key(value, pattern):
    return pattern_key(value, pattern) if pattern else None


def _thread_key(response, o):
    # The link's key, as the crawl would have it from the link that led here.
    key, where, value, _ = thread_key_of(response, o, pattern_key(response.url, o["thread_key_pattern"]))
    return {"from": where, "value": value, "key": key} if key is not None else None


def check_spider(source, url: str | None, login: bool, report: dict):
    """The source's spider class, made to fetch one page (after logging in, with `login`) into `report`."""
    base = spider_class(source)
    target = check_url(source, url)

    class CheckSpider(base):
        async def start(self):
            report.update(source=source.name, kind=source.kind, route=source.route, url=target)
            if login:
                # Sent once the forum's login (made as the crawl makes it) has succeeded.
                self._waiting.append(self.page(target, "check_page"))
                async for request in self.local_requests():
                    yield request
                return
            kind = page_kind(source, target)
            browser = source.browser and kind == "item"  # the crawl reads listings without the browser
            report["browser"] = browser
            yield self.request(target, self.check_page, browser=browser,
                               wait_for=source.options.get("content") or None if browser else None,
                               meta={"dont_redirect": True, "handle_httpstatus_all": True})

        def check_page(self, response, **_):
            kind = page_kind(source, response.url, response) if source.kind == "forum" else page_kind(source, target)
            report.update(status=response.status, fetched=response.url, page=kind)
            if response.status >= 300:
                location = response.headers.get("Location", b"").decode("latin-1")
                report.update(selectors=[], warnings=[f"HTTP {response.status}" + (f" to {location}" if location else "")
                                                      + (" (a login page? try --login)" if source.kind == "forum" else "")])
                return
            report.update(report_page(source, response, kind))
            if source.kind == "forum" and not login and self.is_login_page(response):
                report["warnings"].append("this is the login page: try --login")
            return
            yield

        def _forget_unlisted(self):
            pass  # a check reads one page: the done record is the crawl's business

    CheckSpider.__name__ = f"Check{base.__name__}"
    return CheckSpider


def check_settings() -> dict:
    """What a check changes in the crawl's settings: no pipeline (nothing is scanned or committed) and
    Scrapy's own scheduler (no round of the shared queue is opened or joined)."""
    return {"ITEM_PIPELINES": {}, "SCHEDULER": "scrapy.core.scheduler.Scheduler", "CLOSESPIDER_PAGECOUNT": 0,
            "LOG_LEVEL": "WARNING"}


def run_check(source, url: str | None, login: bool, overrides: dict) -> dict:
    """Fetch and report one page of `source` (Scrapy settings: the crawl's `overrides`)."""
    from scrapy.crawler import AsyncCrawlerProcess

    from leakwatch.crawler.runner import crawl_settings

    report = {}
    process = AsyncCrawlerProcess(crawl_settings({**overrides, **check_settings()}))
    crawler = process.create_crawler(check_spider(source, url, login, report))
    process.crawl(crawler)
    process.start(install_signal_handlers=False)
    stats = dict(crawler.stats.get_stats()) if crawler.stats is not None else {}
    report.setdefault("source", source.name)
    report["finish_reason"] = stats.get("finish_reason")
    if "status" not in report:
        failure = stats.get("leakwatch/failure") or stats.get("finish_reason")
        report.setdefault("warnings", []).insert(0, f"nothing fetched ({failure})")
        report["error"] = f"the page could not be fetched ({failure})"
    return report
