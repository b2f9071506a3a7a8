"""phpBB-like forums: log in, walk boards -> threads -> pages of posts, take posts and attachments.

Session: the login form's hidden fields (CSRF token, creation time) are sent back with the
credentials. Every page is fetched without following redirects, so a session that expired (a 302
to the login page, or the login form served in place of the page) is seen as such: the spider logs
in again, once for all the requests that met the expiry, then sends them again.

Several workers (crawler.shared): each logs in for itself (its login requests stay in its process,
the session cookie being in its own cookie jar) and takes pages from the shared queue only while it
has a session; the worker that opens the round queues the index.

Incremental: items already committed are skipped by key (`post:ID`, `attachment:ID`), and each
thread has a cursor (`leakwatch.crawler.thread_cursors`, kept in Redis for all the round's workers): a thread
whose last post is the cursor's is not opened, and one with new posts is read from the cursor's page
on, its posts up to the cursor's skipped by id (so also once the done record has forgotten them).
"""

import logging
import re
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from itemadapter import ItemAdapter
from scrapy import FormRequest
from scrapy.http import TextResponse
from scrapy.utils.defer import deferred_from_coro

from leakwatch.crawler.credentials import CredentialsError, resolve_credentials
from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.shared import LOCAL
from leakwatch.crawler.spiders.base import SourceSpider, element_text, first, pattern_key
from leakwatch.crawler.thread_cursors import ThreadCursors

logger = logging.getLogger(__name__)

_REDIRECTS = [301, 302, 303, 307, 308]
MAX_RETRIES_AFTER_LOGIN = 3  # a page that sends us back to the login page this often is not a lapse of session
MAX_REDIRECTS = 5


class ForumSpider(SourceSpider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._logged_in = False
        self._logging_in = False
        self._waiting = []  # requests that met an expired session, sent again after the next login
        self._credentials = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Shared by every worker of the round: pages of one thread are read, and their items
        # committed, in whichever worker takes them (crawler.thread_cursors).
        spider.cursors = ThreadCursors(spider.state, crawler.settings.get("LEAKWATCH_NAMESPACE") or "lw",
                                       round_id=spider._round_id)
        return spider

    def _round_id(self):
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return getattr(getattr(scheduler, "round", None), "id", None)

    # --- session ------------------------------------------------------------------------------

    async def local_requests(self):
        # Every worker logs in for itself: the session cookie lives in its own cookie jar.
        try:
            self._credentials = resolve_credentials(self.source.credentials or "", self.source.base_dir)
        except CredentialsError as exc:
            logger.error("source %s: %s", self.source.name, exc)
            self.crawler.stats.set_value("leakwatch/failure", "credentials_missing")
            self._fail("credentials_missing")
            return
        yield self.login_request()

    async def seed_requests(self):
        if self._credentials is None:
            return  # no login, so no page of the forum either
        # Queued now, taken once a worker has a session (`ready_for_shared`).
        yield self.page(self.source.url(self.options["index_path"]), "parse_index")

    def ready_for_shared(self) -> bool:
        # A page fetched without a session would only send us to the login page.
        return self._logged_in and not self._logging_in

    def login_request(self):
        self._logging_in = True
        return self.request(self.source.url(self.options["login_path"]), self.parse_login_form, dont_filter=True,
                            errback=self.on_login_error, local=True)

    def parse_login_form(self, response):
        o = self.options
        if not response.css(o["login_form"]):
            logger.error("source %s: no login form %s at %s", self.source.name, o["login_form"], response.url)
            yield from self._fail("login_failed")
            return
        username, password = self._credentials
        form = response.css(o["login_form"])[0]
        # Every field the form carries, hidden ones included: the CSRF token (form_token) and the
        # time the form was made (creation_time) must go back as they came.
        data = login_fields(form)
        data[o["username_field"]] = username
        data[o["password_field"]] = password
        yield FormRequest(
            response.urljoin(form.attrib.get("action") or response.url), formdata=data, dont_filter=True,
            callback=self.parse_login_result, errback=self.on_login_error,
            meta={"download_slot": self.source.name, "handle_httpstatus_list": [401, 403], LOCAL: True},
        )

    def parse_login_result(self, response):
        if response.status >= 400 or response.css(".error") or self.is_login_page(response):
            # The password is not logged, nor the page: only that the site refused.
            logger.error("source %s: login refused (HTTP %d at %s)", self.source.name, response.status, response.url)
            yield from self._fail("login_failed")
            return
        self._logging_in = False
        self.inc("forum/logins")
        if not self._logged_in:
            self._logged_in = True
            logger.info("source %s: logged in", self.source.name)
        # The index was queued with the round's start requests (seed_requests), for any worker to read.
        waiting, self._waiting = self._waiting, []
        yield from waiting

    def _fail(self, reason):
        self.crawler.stats.set_value("leakwatch/failure", reason)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
        return ()

    def on_login_error(self, failure):
        self.on_error(failure)
        logger.error("source %s: could not reach the login page", self.source.name)
        self._fail("login_failed")

    def is_login_page(self, response) -> bool:
        login = urlsplit(self.source.url(self.options["login_path"]))
        if response.status in _REDIRECTS:
            target = urlsplit(response.urljoin(response.headers.get("Location", b"").decode("latin-1")))
            return target.path == login.path and set(parse_qsl(login.query)) <= set(parse_qsl(target.query))
        return isinstance(response, TextResponse) and bool(response.css(self.options["login_form"]))

    # --- every page goes through here ----------------------------------------------------------

    def page(self, url, parse: str, cb_kwargs=None, **kwargs):
        return self.request(url, self.on_page, cb_kwargs={"parse": parse, **(cb_kwargs or {})},
                            meta={"dont_redirect": True, "handle_httpstatus_list": _REDIRECTS}, **kwargs)

    def on_page(self, response, parse, **kwargs):
        if self.is_login_page(response):
            yield from self._session_expired(response.request)
            return
        if response.status in _REDIRECTS:
            hops = response.meta.get("forum_redirects", 0) + 1
            location = response.headers.get("Location")
            if not location or hops > MAX_REDIRECTS:
                logger.warning("source %s: %s: redirect loop or no Location", self.source.name, response.url)
                return
            retry = again(response.request, url=response.urljoin(location.decode("latin-1")))
            retry.meta["forum_redirects"] = hops
            yield retry
            return
        yield from getattr(self, parse)(response, **kwargs)

    def _session_expired(self, request):
        tries = request.meta.get("forum_relogins", 0) + 1
        if tries > MAX_RETRIES_AFTER_LOGIN:
            logger.error("source %s: %s still sends us to the login page after %d logins; skipping it",
                         self.source.name, request.url, tries - 1)
            self.inc("errors")
            return
        self.inc("forum/session_expired")
        retry = again(request)
        retry.meta["forum_relogins"] = tries
        # Made first: it marks the session as renewing, so no shared request is taken meanwhile.
        login = None if self._logging_in else self.login_request()
        if self.shared_queue:
            # Into the shared queue at once: held in this process, it would die with it (its own
            # lease is acknowledged when this response is handled). The gate keeps this worker from
            # taking it before it has logged in again; another worker with a session may.
            yield retry
        else:
            self._waiting.append(retry)
        if login is not None:
            logger.info("source %s: session expired; logging in again", self.source.name)
            yield login

    # --- boards, threads, posts ----------------------------------------------------------------

    def parse_index(self, response):
        for link in response.css(self.options["boards"]):
            if link.attrib.get("href"):
                yield self.page(response.urljoin(link.attrib["href"]), "parse_board")

    def parse_board(self, response):
        o = self.options
        self.inc("forum/board_pages")
        for topic in response.css(o["topics"]):
            href = topic.attrib.get("href")
            if not href:
                continue
            url = response.urljoin(href)
            # The link's key is only a guess at the thread's identity (a forum may link a member to the
            # first unread post): the thread page says which thread it is (`thread_key`).
            link_key = self.key_of(url, o["thread_key_pattern"])
            if link_key is None and o["thread_key_from"] == "link":
                continue
            title = " ".join(topic.css("::text").getall()).strip() or None
            last_post = _int(self._last_post_of(topic))
            cursor_post, cursor_start = self.cursors.get(link_key) if link_key is not None else (None, 0)
            if last_post is not None and ((cursor_post is not None and cursor_post >= last_post)
                                          or self.cursors.thread_ending_at(last_post) is not None):
                self.inc("forum/threads_unchanged")
                continue
            if link_key is not None:
                url = _with_param(url, o["page_param"], cursor_start)
            yield self.page(url, "parse_thread", cb_kwargs={"title": title, "link_key": link_key})
        yield from self._next_page(response, "parse_board")

    def _last_post_of(self, topic):
        return last_post_of(topic, self.options)

    def thread_key(self, response, link_key):
        """(thread key, URL of the page within its thread) of a thread page, by `thread_key_from`."""
        key, _, _, page_url = thread_key_of(response, self.options, link_key)
        return key, page_url

    def parse_thread(self, response, title, thread=None, done_until=None, link_key=None):
        o = self.options
        self.inc("forum/thread_pages")
        page_url = response.url
        if thread is None:  # the first page read of the thread: its identity, its cursor
            thread, page_url = self.thread_key(response, link_key)
            if thread is None:
                self.inc("forum/thread_key_missing")
                logger.warning("source %s: %s: no thread key (forum.thread_key_from %s, thread_key_pattern)",
                               self.source.name, response.url, o["thread_key_from"])
                return
            done_until = self.cursors.get(thread)[0]
        start = _int(dict(parse_qsl(urlsplit(page_url).query)).get(o["page_param"])) or 0
        posts = []
        for post in response.css(o["posts"]):
            post_id = self.key_of(post.attrib.get("id", ""), o["post_id_pattern"])
            if post_id is None:
                continue
            attachments = []
            for link in post.css(o["attachments"]) if o["attachments"] else []:
                href = link.attrib.get("href")
                att_id = self.key_of(response.urljoin(href), o["attachment_key_pattern"]) if href else None
                if att_id is not None:
                    attachments.append((f"attachment:{att_id}", response.urljoin(href),
                                        " ".join(link.css("::text").getall()).strip()))
            posts.append((post_id, post, attachments))
        # Posts up to the cursor's (and their attachments) were committed when the cursor passed
        # them: skipped even once the done record has forgotten them (crawl_done_retention_days).
        behind = {f"post:{p}" for p, _, _ in posts if _behind(p, done_until)}
        behind |= {a[0] for p, _, atts in posts if f"post:{p}" in behind for a in atts}
        keys = [f"post:{p}" for p, _, _ in posts] + [a[0] for _, _, atts in posts for a in atts]
        fresh = self.new_keys([k for k in keys if k not in behind])
        if behind:
            self.inc("skipped_done", len(behind))
        if posts:
            last = _int(posts[-1][0])
            if last is not None:
                self.cursors.page_read(thread, start, last, fresh)
        for post_id, post, attachments in posts:
            author, posted_at = first(post, o["post_author"]), first(post, o["post_time"])
            if f"post:{post_id}" in fresh:
                # Every match (a post's text and its code boxes may be elements apart): one post, one item.
                body = "\n".join(element_text(part) for part in post.css(o["post_content"]))
                self.inc("items/post")
                yield DumpItem(source=self.source.name, kind="post", key=f"post:{post_id}",
                               url=f"{response.url}#p{post_id}", body=body.encode("utf-8"),
                               title=title, author=author, posted_at=posted_at)
            for key, url, label in attachments:
                if key in fresh:
                    yield self.page(url, "parse_attachment", cb_kwargs={
                        "key": key, "label": label, "title": title, "author": author, "posted_at": posted_at})
        yield from self._next_page(response, "parse_thread",
                                   cb_kwargs={"thread": thread, "title": title, "done_until": done_until})

    def parse_attachment(self, response, key, label, title, author, posted_at):
        disposition = response.headers.get("Content-Disposition", b"").decode("latin-1")
        match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition)
        self.inc("items/attachment")
        yield DumpItem(source=self.source.name, kind="attachment", key=key, url=response.url, body=response.body,
                       title=title, author=author, posted_at=posted_at,
                       filename=safe_label(match.group(1) if match else label))

    def _next_page(self, response, parse, cb_kwargs=None):
        link = response.css(self.options["next_page"]) if self.options["next_page"] else []
        if link and link[0].attrib.get("href"):
            yield self.page(response.urljoin(link[0].attrib["href"]), parse, cb_kwargs=cb_kwargs)

    def item_left(self, item):
        # The cursor moves past committed items only: an item a pipeline dropped without
        # committing it stays due, and its page is read again next run.
        key = ItemAdapter(item).get("key") if ItemAdapter.is_item(item) else None
        if key and self.state.done(key):
            self.cursors.item_done(key)


# Keys Scrapy's components put in a request's meta about one download; a request sent again starts afresh.
_DOWNLOAD_META = frozenset({"download_latency", "redirect_reasons", "redirect_times", "redirect_ttl",
                            "redirect_urls", "retry_times", "_auth_proxy", "_scheme_proxy"})


def again(request, **kwargs):
    """`request` to send once more (after a login, or to a redirect's target)."""
    meta = {k: v for k, v in request.meta.items() if k not in _DOWNLOAD_META}
    return request.replace(dont_filter=True, meta=meta, **kwargs)


def login_fields(form) -> dict:
    """The fields a browser would submit from `form` (a parsel selector) with its first submit button."""
    data, submitted = {}, False
    for field in form.css("input[name], select[name], textarea[name]"):
        name, kind = field.attrib["name"], field.attrib.get("type", "text").lower()
        tag = field.root.tag
        if tag == "select":
            data[name] = field.css("option[selected]::attr(value)").get() or field.css("option::attr(value)").get() or ""
        elif tag == "textarea":
            data[name] = field.css("::text").get() or ""
        elif kind in ("submit", "image"):
            if not submitted:
                data[name], submitted = field.attrib.get("value", ""), True
        elif kind in ("checkbox", "radio"):
            if "checked" in field.attrib:
                data[name] = field.attrib.get("value", "on")
        elif kind not in ("button", "reset", "file"):
            data[name] = field.attrib.get("value", "")
    return data


def safe_label(name: str | None) -> str | None:
    """A file name from a site as a label: last path component, no control characters, bounded."""
    if not name:
        return None
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())[:200].strip(". ")
    return name or None


def last_post_of(topic, options) -> str | None:
    """The last post of a board's topic row (`topic_last_post`, its number by `topic_last_post_pattern`):
    in the nearest ancestor of the topic's link that holds a last-post marker and no other topic."""
    if not options["topic_last_post"]:
        return None
    for ancestor in reversed(topic.xpath("ancestor::*")):
        marks = ancestor.css(options["topic_last_post"]).getall()
        if marks:
            if len(ancestor.css(options["topics"])) != 1:
                return None
            value = marks[-1].strip()
            pattern = options["topic_last_post_pattern"]
            return pattern_key(value, pattern) if pattern else value
    return None


def thread_key_of(response, options, link_key) -> tuple[str | None, str, str | None, str]:
    """(key, where it came from, the value it came out of, URL of the page within its thread) of a
    thread page: `thread_key_from`
    says where to look (a canonical link falls back to the link when the page has none), and
    `thread_key_pattern` takes the key out."""
    pattern = options["thread_key_pattern"]
    if options["thread_key_from"] == "selector":
        value = first(response, options["thread_key_selector"])
        return (pattern_key(value, pattern) if value else None), "selector", value, response.url
    if options["thread_key_from"] == "canonical":
        canonical = response.css('link[rel="canonical"]::attr(href)').get()
        if canonical:
            canonical = response.urljoin(canonical.strip())
            key = pattern_key(canonical, pattern)
            if key is not None:
                return key, "canonical", canonical, canonical
    return link_key, "link", response.url, response.url


def _behind(post_id, done_until) -> bool:
    post = _int(post_id)
    return done_until is not None and post is not None and post <= done_until


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _with_param(url: str, name: str, value: int) -> str:
    """`url` with query parameter `name` set to `value` (dropped when 0, as phpBB's own links do)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    if value:
        query.append((name, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))
