"""Per-thread cursors of a forum: where the next run starts reading a thread.

A cursor `POST@START` says: every item (post, attachment) of the pages of the thread up to and
including the page at offset START was committed, and POST is the last post of that page. It moves
only when a page's items have all gone through the pipelines (Scrapy's `item_scraped`) and every
earlier page of the thread has too, so a run killed at any point leaves a cursor that skips nothing
uncommitted. The next run skips the thread if its last post is the cursor's, else starts at START
(that page again: new posts may have joined it; the committed ones are skipped by key).
"""

from collections import defaultdict, deque


def parse_cursor(value: str | None) -> tuple[int | None, int]:
    """(last post id, page offset) of a stored cursor; (None, 0) for none or an unreadable one."""
    if not value:
        return None, 0
    post, _, start = value.partition("@")
    try:
        return int(post), int(start or 0)
    except ValueError:
        return None, 0


class ThreadCursors:
    def __init__(self, state):
        self.state = state
        self._pages = defaultdict(deque)  # thread -> pages read in this run, oldest first
        self._page_of = {}  # item key -> its page

    def get(self, thread: str) -> tuple[int | None, int]:
        return parse_cursor(self.state.cursor(f"thread:{thread}"))

    def page_read(self, thread: str, start: int, last_post: int, keys) -> None:
        """A page of `thread` at offset `start` was read; `keys` are the items it sent to the pipelines."""
        page = {"thread": thread, "start": start, "last_post": last_post, "waiting": set(keys)}
        self._pages[thread].append(page)
        for key in keys:
            self._page_of[key] = page
        self._advance(thread)

    def item_done(self, key: str) -> None:
        page = self._page_of.pop(key, None)
        if page is not None:
            page["waiting"].discard(key)
            self._advance(page["thread"])

    def _advance(self, thread: str) -> None:
        pages, last = self._pages[thread], None
        while pages and not pages[0]["waiting"]:
            last = pages.popleft()
        if last is not None:
            self.state.set_cursor(f"thread:{thread}", f"{last['last_post']}@{last['start']}")
