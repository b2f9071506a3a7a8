"""A pastebin-like site: archive pages, item pages, raw endpoint, scraping API (docs/fixture-sites.md)."""

from .web import Request, Response, Site, error, esc, human, int_param, iso, json_response, page, redirect

ARCHIVE_PAGE = 20
API_MAX = 250         # Pastebin's own cap on ?limit=


class PasteSite(Site):
    name = "paste"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        self.host = host      # "127.0.0.1:PORT", for absolute URLs when a request has no Host header
        self.items = {item["key"]: item for item in content[self.name]["items"]}

    def hidden(self) -> list:
        return sorted((i for i in self.items.values() if i["hidden"]), key=lambda i: i["date"])

    def visible(self) -> list:
        """Visible items, newest first."""
        with self.lock:
            return sorted((i for i in self.items.values() if not i["hidden"]), key=lambda i: -i["date"])

    def visible_count(self) -> int:
        return sum(not i["hidden"] for i in self.items.values())

    def item(self, key: str) -> dict | None:
        item = self.items.get(key)
        return None if item is None or item["hidden"] else item

    def raw(self, item: dict) -> bytes:
        return item["text"].encode(item["charset"])

    def route(self, request: Request) -> Response:
        path = request.path
        if path in ("/", "/archive"):
            return self.archive(request) if path == "/archive" else redirect("/archive")
        if path.startswith(("/p/", "/raw/")):
            item = self.item(path.rsplit("/", 1)[1])
            if item is None:
                return error(404, "Not Found (#404): this paste does not exist or was removed")
            if path.startswith("/p/"):
                return self.item_page(item)
            return Response(200, self.raw(item), f"text/plain; charset={item['charset']}")
        if path == "/api_scraping.php":
            return self.api_list(request)
        if path == "/api_scrape_item.php":
            item = self.item(request.query.get("i", ""))
            if item is None:
                return Response(404, b"Error, we cannot find this paste.", "text/plain; charset=utf-8")
            return Response(200, self.raw(item), f"text/plain; charset={item['charset']}")
        return error(404, "Not Found")

    def archive(self, request: Request) -> Response:
        n = int_param(request.query, "page", 1)
        items = self.visible()
        pages = max(1, -(-len(items) // ARCHIVE_PAGE))
        if n is None or n < 1:
            return error(400, "page must be an integer >= 1")
        if n > pages:
            return error(404, "no such archive page")
        rows = [f'<tr class="paste"><td><a class="paste-link" href="/p/{esc(i["key"])}">{esc(i["title"])}</a></td>'
                f'<td class="author">{esc(i["user"])}</td>'
                f'<td><time datetime="{iso(i["date"])}">{human(i["date"])}</time></td></tr>'
                for i in items[(n - 1) * ARCHIVE_PAGE:n * ARCHIVE_PAGE]]
        nav = f'<a rel="next" href="/archive?page={n + 1}">Next</a>' if n < pages else ""
        body = ('<h1>Pastes Archive</h1>\n<table class="maintable">\n<tr><th>Name / Title</th><th>Author</th>'
                '<th>Posted</th></tr>\n' + "\n".join(rows) + f'\n</table>\n<div class="pagination">{nav}</div>')
        return page(f"Pastes Archive - page {n}", body)

    def item_page(self, item: dict) -> Response:
        key = esc(item["key"])
        body = (f'<h1 class="title">{esc(item["title"])}</h1>\n'
                f'<div class="info">by <span class="author">{esc(item["user"])}</span> on '
                f'<time datetime="{iso(item["date"])}">{human(item["date"])}</time> '
                f'<a id="raw-link" href="/raw/{key}">raw</a></div>\n'
                f'<pre id="paste-content">{esc(item["text"])}</pre>')
        return page(item["title"], body)

    def api_list(self, request: Request) -> Response:
        limit = int_param(request.query, "limit", 50)
        if limit is None or not 1 <= limit <= API_MAX:
            return Response(400, f"Error, limit must be between 1 and {API_MAX}".encode(), "text/plain; charset=utf-8")
        base = "http://" + (request.headers.get("host") or self.host)
        return json_response([
            {"key": i["key"], "title": i["title"], "user": i["user"], "date": i["date"], "size": len(self.raw(i)),
             "scrape_url": f"{base}/api_scrape_item.php?i={i['key']}", "full_url": f"{base}/p/{i['key']}"}
            for i in self.visible()[:limit]])
