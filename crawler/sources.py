"""The sources leakwatch watches, read from `config/sources.yaml` and checked at load.

Schema (one mapping with a `sources:` list; unknown keys are errors, so a typo is not a silent default):

    sources:
      - name: paste-example          # [a-z0-9][a-z0-9_-]*, unique; the spider's name (`scrapy crawl NAME`)
        kind: paste_listing          # paste_listing | paste_api | forum | js_pages | telegram | leak_site
        base_url: http://host:port   # http(s); .onion hosts too
        enabled: true                # default true; disabled sources get no spider
        route: tor                   # tor (default) | direct (must be explicit: the crawl shows its address)
        browser: false               # fetch item pages through Chromium (Playwright); default true for js_pages
        cadence: 15m                 # how often cron should run it: 30s, 15m, 2h, 1d
        credentials: env:FORUM_USER/FORUM_PASSWORD   # or file:secrets/forum.yaml (username:, password:);
                                     # a reference only, never the secret; required for forums
        concurrency: 1               # requests in flight to this source
        delay: 1.0                   # seconds between requests to this source
        max_pages: 1000              # page budget of one run (0: none)
        max_seconds: 0               # time budget of one run (0: the cadence)
        listing: {...}               # paste_listing, js_pages: where the items are (defaults below)
        api: {...}                   # paste_api
        forum: {...}                 # forum
        telegram: {...}              # telegram: channels (a list of names) and the preview's selectors
        leak_site: {...}             # leak_site: victims' selectors, file listings, byte budgets

Defaults of the kind-specific sections follow the fixture-site contract (docs/fixture-sites.md), which
follows pastebin's and phpBB's own conventions; see `KIND_DEFAULTS`. Selectors are CSS: those of links
(`item_links`, `next_page`, `raw_link`, `boards`, `topics`, `attachments`) select the elements whose
`href` is followed, every match of them (a paste's files, a post's attachments); those of values end in
`::text` or `::attr(name)`. A `*_pattern` is a regex whose group `key` (or first group) is what is taken
out of the value: the key of an item or thread, a file's slug, a last-post number.
`leakwatch sources check NAME` shows what each selector finds on one page (crawler.source_check).

`load_sources(path)` returns frozen `Source` objects or raises `SourcesError`, whose message names the
file and line of each problem: `config/sources.yaml:12: source 'x': kind must be one of ...`.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

import yaml

from leakwatch.matchers.errors import LeakwatchError

KINDS = ("paste_listing", "paste_api", "forum", "js_pages", "telegram", "leak_site")
ROUTES = ("tor", "direct")
THREAD_KEY_FROM = ("canonical", "selector", "link")

KIND_DEFAULTS = {
    "paste_listing": {
        "listing": {
            "path": "/archive",  # first listing page, newest first
            "item_links": "a.paste-link",
            "next_page": "a[rel=next]",
            "key_pattern": r"/p/(?P<key>[^/?#]+)",
            "item_page": True,  # fetch the item page (title, author, time, raw link) before the raw bytes
            # Every match is followed: a paste of several files gives one item per file.
            "raw_link": "a#raw-link",
            "raw_url": "/raw/{key}",  # when the item page has no raw link, or item_page is false
            "content": "#paste-content",  # text on the item page: used when there is no raw endpoint
            # A file's own slug from its raw link (group `key`); empty: file-1, file-2... in page order.
            "file_key_pattern": "",
            "title": "h1.title::text",
            "author": "span.author::text",
            "posted_at": "time::attr(datetime)",
        },
    },
    "js_pages": {
        "listing": {
            "path": "/list",
            "item_links": "a.js-paste",
            "next_page": "a[rel=next]",
            "key_pattern": r"/view/(?P<key>[^/?#]+)",
            "item_page": True,
            "raw_link": "",
            "raw_url": "",  # none: the content is the rendered page's text
            "content": "#paste-content",
            "file_key_pattern": "",
            "title": "h1.title::text",
            "author": "span.author::text",
            "posted_at": "time::attr(datetime)",
        },
    },
    "paste_api": {
        "api": {
            "list_url": "/api_scraping.php?limit={limit}",
            "limit": 100,  # pastebin's API allows up to 250
            "item_url": "/api_scrape_item.php?i={key}",
        },
    },
    "forum": {
        "forum": {
            "login_path": "/ucp.php?mode=login",
            "login_form": "form#login",
            "username_field": "username",
            "password_field": "password",
            "index_path": "/index.php",
            "boards": "a.forumtitle",
            "topics": "a.topictitle",
            "topic_last_post": "span.lastpost::attr(data-post-id)",
            "topic_last_post_pattern": "",  # the number in topic_last_post's value (empty: the whole value)
            "next_page": "a[rel=next]",
            # Where a thread's key comes from: the thread page's <link rel="canonical"> (falling back to
            # the link when the page has none), `thread_key_selector` on the thread page, or the link
            # that led to it. thread_key_pattern takes the key out of that value.
            "thread_key_from": "canonical",
            "thread_key_selector": "",
            "thread_key_pattern": r"[?&]t=(?P<key>\d+)",
            "page_param": "start",  # phpBB: ?start=N (offset of the first post or topic)
            "posts": "div.post",
            "post_id_pattern": r"^p(?P<key>\d+)$",
            "post_content": "div.content",
            "post_author": "span.author::text",
            "post_time": "time::attr(datetime)",
            "attachments": "dl.attachbox a.postlink",
            "attachment_key_pattern": r"[?&]id=(?P<key>[^&#]+)",
        },
    },
    # Telegram's public web preview (t.me/s/NAME): the markup of its widget, oldest message first.
    "telegram": {
        "telegram": {
            "channels": [],  # channel names, as in t.me/NAME
            "channel_path": "/s/{channel}",
            "before_param": "before",  # ?before=ID: the messages older than ID
            "messages": "div.tgme_widget_message[data-post]",
            "post_pattern": r"^(?P<channel>[^/]+)/(?P<key>\d+)$",  # data-post="channel/123"
            "text": ".tgme_widget_message_text:not(.js-message_reply_text)",  # not the quote of a reply
            "author": ".tgme_widget_message_owner_name ::text",
            "posted_at": ".tgme_widget_message_date time::attr(datetime)",
            "documents": "a.tgme_widget_message_document_wrap",
            "document_title": ".tgme_widget_message_document_title::text",
            "document_extra": ".tgme_widget_message_document_extra::text",
            "more": "a.tme_messages_more::attr(data-before)",
        },
    },
    # Ransomware data-leak sites: a list of victim posts, each with links to its published files.
    "leak_site": {
        "leak_site": {
            "path": "/",  # first page of the victims' list
            "victims": "div.victim",
            "victim_link": "a.victim-link",
            "victim_key_pattern": r"/post/(?P<key>[^/?#]+)",
            "victim_name": ".victim-name::text",
            "victim_domain": ".victim-domain::text",
            "victim_date": "time::attr(datetime)",
            "victim_countdown": ".countdown::attr(data-deadline)",
            "next_page": "a[rel=next]",
            "description": ".victim-description",  # on the victim's page: its text is scanned
            "files": "a.files",  # on the victim's page: directory listings, file trees, archives
            "max_bytes": 16 << 30,  # bytes of files one run fetches (0: no bound beyond max_file_bytes)
            "max_file_bytes": 4 << 30,  # a file larger than this is skipped, and reported
            "chunk_bytes": 16 << 20,  # files are received in pieces of this size (HTTP Range; 0: whole)
        },
    },
}
_SECTION_OF = {kind: next(iter(defaults)) for kind, defaults in KIND_DEFAULTS.items()}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_CHANNEL = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_CREDENTIALS = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*/[A-Za-z_][A-Za-z0-9_]*|file:.+)$")
_TOP_KEYS = {
    "name", "kind", "base_url", "enabled", "route", "browser", "cadence", "credentials",
    "concurrency", "delay", "max_pages", "max_seconds", *(section for kind in KIND_DEFAULTS for section in KIND_DEFAULTS[kind]),
}


class SourcesError(LeakwatchError, ValueError):
    """A sources file that cannot be used; the message names the file and line of each problem."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    base_url: str
    enabled: bool = True
    route: str = "tor"
    browser: bool = False
    cadence_seconds: float = 900.0
    credentials: str | None = None  # a reference (env:USER/PASS or file:PATH), resolved by crawler.credentials
    concurrency: int = 1
    delay: float = 1.0
    max_pages: int = 1000
    max_seconds: float = 0.0  # 0: the cadence
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), compare=False)
    origin: str = ""  # "path:line", for messages
    base_dir: str = ""  # directory of the sources file: file: credentials are relative to it

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SourcesError(f"source {self.name!r}: kind must be one of {', '.join(KINDS)}")
        if self.route not in ROUTES:
            raise SourcesError(f"source {self.name!r}: route must be one of {', '.join(ROUTES)}")
        if not self.options:
            section = _SECTION_OF[self.kind]
            object.__setattr__(self, "options", MappingProxyType(dict(KIND_DEFAULTS[self.kind][section])))

    @property
    def time_budget(self) -> float:
        return self.max_seconds or self.cadence_seconds

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this source from a path (or an absolute URL, unchanged)."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        return self.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")


# --- YAML with line numbers -------------------------------------------------------------------
# The safe loader builds plain dicts and lists; these subclasses also remember where each mapping
# and each of its keys started, so a message can name the line of the bad value.


class _Map(dict):
    line = 0
    key_lines: dict


class _Seq(list):
    line = 0


class _MarkedLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        value = _Map(super().construct_mapping(node, deep=True))
        value.line = node.start_mark.line + 1
        value.key_lines = {
            self.construct_object(key, deep=True): val.start_mark.line + 1 for key, val in node.value
        }
        return value

    def construct_sequence(self, node, deep=False):
        value = _Seq(super().construct_sequence(node, deep=True))
        value.line = node.start_mark.line + 1
        return value


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _MarkedLoader.construct_mapping)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _MarkedLoader.construct_sequence)


def load_sources(path, enabled_only: bool = False) -> list[Source]:
    """The sources of a sources file, checked; `SourcesError` names the file and line of every problem."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SourcesError(f"{path}: sources file does not exist") from None
    sources = parse_sources(text, str(path), base_dir=str(path.resolve().parent))
    return [s for s in sources if s.enabled] if enabled_only else sources


def parse_sources(text: str, origin: str = "<string>", base_dir: str = ".") -> list[Source]:
    """`load_sources` for YAML text (the demo writes its sources with the fixture sites' ports)."""
    try:
        data = yaml.load(text, Loader=_MarkedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{origin}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return []
    if not isinstance(data, _Map) or set(data) - {"sources"}:
        line = getattr(data, "line", 1)
        raise SourcesError(f"{origin}:{line}: expected a mapping with one key, `sources:` (a list of sources)")
    entries = data.get("sources") or []
    if not isinstance(entries, _Seq):
        raise SourcesError(f"{origin}:{data.key_lines['sources']}: `sources` must be a list of sources")
    errors, sources, seen = [], [], {}
    for index, entry in enumerate(entries):
        source, problems = _parse_one(entry, index, origin, base_dir)
        errors.extend(problems)
        if source is None:
            continue
        if source.name in seen:
            errors.append(f"{source.origin}: source {source.name!r}: name already used at line {seen[source.name]}")
            continue
        seen[source.name] = source.origin.rsplit(":", 1)[-1]
        sources.append(source)
    if errors:
        raise SourcesError("\n".join(errors))
    return sources


def _parse_one(entry, index: int, origin: str, base_dir: str):
    if not isinstance(entry, _Map):
        line = getattr(entry, "line", None)
        where = f"{origin}:{line}" if line else origin
        return None, [f"{where}: source #{index + 1}: expected a mapping (name:, kind:, base_url:, ...)"]
    errors = []
    label = f"source {entry.get('name')!r}" if isinstance(entry.get("name"), str) else f"source #{index + 1}"

    def err(key, message):
        line = entry.key_lines.get(key, entry.line)
        errors.append(f"{origin}:{line}: {label}: {message}")

    for key in entry:
        if key not in _TOP_KEYS:
            err(key, f"unknown key {key!r}; known: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("name", "kind", "base_url"):
        if key not in entry:
            errors.append(f"{origin}:{entry.line}: {label}: missing required key {key!r}")

    name = entry.get("name")
    if "name" in entry and not isinstance(name, str):
        err("name", f"name must be a string; quote it ({name!r} is how YAML reads it unquoted)")
    elif "name" in entry and not _NAME.match(name):
        err("name", "name must match [a-z0-9][a-z0-9_-]* (it names the spider and Redis keys)")
    kind = entry.get("kind")
    if "kind" in entry and kind not in KINDS:
        err("kind", f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    base_url = entry.get("base_url")
    if "base_url" in entry:
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            err("base_url", f"base_url must be an http(s) URL with a host, got {base_url!r}")
    route = entry.get("route", "tor")
    if route not in ROUTES:
        err("route", f"route must be one of {', '.join(ROUTES)}, got {route!r}")

    def boolean(key, default):
        value = entry.get(key, default)
        if not isinstance(value, bool):
            err(key, f"{key} must be true or false, got {value!r}")
        return value

    def number(key, default, kind_=float, minimum=0):
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind_ is int and not isinstance(value, int)):
            err(key, f"{key} must be {'an integer' if kind_ is int else 'a number'}, got {value!r}")
            return default
        if value < minimum:
            err(key, f"{key} must be >= {minimum}, got {value!r}")
        return kind_(value)

    enabled = boolean("enabled", True)
    browser = boolean("browser", kind == "js_pages")
    concurrency = number("concurrency", 1, int, 1)
    delay = number("delay", 1.0)
    max_pages = number("max_pages", 1000, int)
    max_seconds = number("max_seconds", 0.0)

    cadence = entry.get("cadence", "15m")
    cadence_seconds = _duration(cadence)
    if cadence_seconds is None or cadence_seconds <= 0:
        err("cadence", f"cadence must be a duration such as 30s, 15m, 2h, 1d, got {cadence!r}")
        cadence_seconds = 900.0

    credentials = entry.get("credentials")
    if credentials is not None and not (isinstance(credentials, str) and _CREDENTIALS.match(credentials)):
        shown = "a mapping" if isinstance(credentials, dict) else repr(credentials)
        err("credentials", f"credentials must be a reference, env:USER_VAR/PASSWORD_VAR or file:PATH, "
                           f"never the secret itself (got {shown})")
    if kind == "forum" and credentials is None and "credentials" not in entry:
        errors.append(f"{origin}:{entry.line}: {label}: a forum needs credentials (env:USER_VAR/PASSWORD_VAR or file:PATH)")

    options = {}
    if kind in KINDS:
        section = _SECTION_OF[kind]
        for other in set(_SECTION_OF.values()):
            if other in entry and other != section:
                err(other, f"section {other!r} does not apply to kind {kind}; use {section!r}")
        options = dict(KIND_DEFAULTS[kind][section])
        given = entry.get(section)
        if given is not None:
            if not isinstance(given, _Map):
                err(section, f"{section} must be a mapping")
            else:
                for key, value in given.items():
                    line = given.key_lines.get(key, given.line)
                    if key not in options:
                        errors.append(f"{origin}:{line}: {label}: unknown {section} key {key!r}; known: {', '.join(options)}")
                    elif not isinstance(value, type(options[key])) and not (value is None and isinstance(options[key], str)):
                        errors.append(f"{origin}:{line}: {label}: {section}.{key} must be a {type(options[key]).__name__}")
                    elif key.endswith("pattern") and not _valid_pattern(value):
                        errors.append(f"{origin}:{line}: {label}: {section}.{key} is not a valid regular expression")
                    else:
                        options[key] = "" if value is None else value
        if kind == "paste_api" and not 1 <= options["limit"] <= 250:
            err(section, "api.limit must be between 1 and 250")
        if kind == "telegram":
            channels = options["channels"]
            if not channels or not all(isinstance(c, str) and _CHANNEL.match(c) for c in channels):
                err(section, "telegram.channels must be a list of channel names as in t.me/NAME "
                             f"(letters, digits, _), got {channels!r}")
            else:
                options["channels"] = tuple(channels)
        if kind == "leak_site":
            for key in ("max_bytes", "max_file_bytes", "chunk_bytes"):
                if isinstance(options[key], bool) or options[key] < 0:
                    err(section, f"leak_site.{key} must be an integer >= 0 (0: no bound), got {options[key]!r}")
        if kind == "forum":
            line = given.key_lines.get("thread_key_from", given.line) if isinstance(given, _Map) else entry.line
            if options["thread_key_from"] not in THREAD_KEY_FROM:
                errors.append(f"{origin}:{line}: {label}: forum.thread_key_from must be one of "
                              f"{', '.join(THREAD_KEY_FROM)}, got {options['thread_key_from']!r}")
            elif options["thread_key_from"] == "selector" and not options["thread_key_selector"]:
                errors.append(f"{origin}:{line}: {label}: forum.thread_key_from is selector: "
                              "set forum.thread_key_selector too")

    if errors:
        return None, errors
    return Source(
        name=name, kind=kind, base_url=base_url.rstrip("/"), enabled=enabled, route=route, browser=browser,
        cadence_seconds=cadence_seconds, credentials=credentials, concurrency=concurrency, delay=delay,
        max_pages=max_pages, max_seconds=max_seconds, options=MappingProxyType(options),
        origin=f"{origin}:{entry.line}", base_dir=base_dir,
    ), []


def _duration(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value).strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def _valid_pattern(value) -> bool:
    try:
        re.compile(value)
    except (re.error, TypeError):
        return False
    return True
