"""A pastebin whose pastes hold several files (as Gist, Opengist or PrivateBin do).

    GET /archive              newest first: <a class="paste-link" href="/p/KEY">TITLE</a>
    GET /p/KEY                one <div class="file"> per file: its name, <a class="raw-link"
                              href="/raw/KEY/SLUG"> and its text in <pre class="file-content">
    GET /raw/KEY/SLUG         the file's bytes

A crawler that takes only the first raw link of a page misses every later file.
"""

from .web import Request, Response, Site, error, esc, human, iso, page


class FilesPasteSite(Site):
    name = "files"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        self.items = {item["key"]: item for item in content[self.name]["items"]}

    def visible_count(self) -> int:
        return sum(not i["hidden"] for i in self.items.values())

    def hidden(self) -> list:
        return sorted((i for i in self.items.values() if i["hidden"]), key=lambda i: i["date"])

    def item(self, key: str) -> dict | None:
        item = self.items.get(key)
        return None if item is None or item["hidden"] else item

    def route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.path in ("/", "/archive"):
            return self.archive()
        if len(parts) == 2 and parts[0] == "p" and self.item(parts[1]):
            return self.item_page(self.item(parts[1]))
        if len(parts) == 3 and parts[0] == "raw" and self.item(parts[1]):
            file = next((f for f in self.item(parts[1])["files"] if f["slug"] == parts[2]), None)
            if file is not None:
                return Response(200, file["text"].encode("utf-8"), "text/plain; charset=utf-8")
        return error(404, "Not Found")

    def archive(self) -> Response:
        with self.lock:
            items = sorted((i for i in self.items.values() if not i["hidden"]), key=lambda i: -i["date"])
        rows = [f'<li class="paste"><a class="paste-link" href="/p/{esc(i["key"])}">{esc(i["title"])}</a> '
                f'{len(i["files"])} file(s)</li>' for i in items]
        return page("All pastes", '<h1>All pastes</h1>\n<ul class="pastes">\n' + "\n".join(rows) + "\n</ul>")

    def item_page(self, item: dict) -> Response:
        key = esc(item["key"])
        files = "\n".join(
            f'<div class="file"><span class="file-name">{esc(f["name"])}</span> '
            f'<a class="raw-link" href="/raw/{key}/{esc(f["slug"])}">raw</a>\n'
            f'<pre class="file-content">{esc(f["text"])}</pre></div>' for f in item["files"])
        body = (f'<h1 class="title">{esc(item["title"])}</h1>\n'
                f'<div class="info">by <span class="author">{esc(item["user"])}</span> on '
                f'<time datetime="{iso(item["date"])}">{human(item["date"])}</time></div>\n{files}')
        return page(item["title"], body)
