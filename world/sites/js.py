"""Pages whose text exists only after JavaScript runs (docs/fixture-sites.md, "js").

The served HTML holds the text XOR-ed with a rolling key and base64-encoded inside the
script, which decodes it ~300 ms after load: neither the text nor its plain base64 is in
the HTML, so only a real browser (or a crawler that runs the page's script) sees it.
"""

import base64

from .web import Request, Response, Site, error, esc, page

_SCRIPT = """<script>
(function () {
  var key = %d, data = "%s";
  setTimeout(function () {
    var raw = atob(data), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) ^ ((key + i) & 255);
    var pre = document.createElement("pre");
    pre.id = "paste-content";
    pre.textContent = new TextDecoder("utf-8").decode(bytes);
    document.getElementById("content").appendChild(pre);
  }, 300);
})();
</script>"""


def scramble(text: str, key: int) -> str:
    """base64 of the UTF-8 bytes XOR (key + i): what the page's script undoes."""
    data = bytes(b ^ ((key + i) & 255) for i, b in enumerate(text.encode("utf-8")))
    return base64.b64encode(data).decode("ascii")


class JsSite(Site):
    name = "js"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        self.items = {item["key"]: item for item in content[self.name]["items"]}

    def hidden(self) -> list:
        return sorted((i for i in self.items.values() if i["hidden"]), key=lambda i: i["date"])

    def visible_count(self) -> int:
        return sum(not i["hidden"] for i in self.items.values())

    def route(self, request: Request) -> Response:
        if request.path in ("/", "/list"):
            items = sorted((i for i in self.items.values() if not i["hidden"]), key=lambda i: -i["date"])
            links = "\n".join(f'<li><a class="js-paste" href="/view/{esc(i["key"])}">{esc(i["title"])}</a></li>'
                              for i in items)
            return page("Recent pastes", f"<h1>Recent pastes</h1>\n<ul>\n{links}\n</ul>")
        if request.path.startswith("/view/"):
            item = self.items.get(request.path[len("/view/"):])
            if item is None or item["hidden"]:
                return error(404, "Not Found")
            # base64 and a decimal key are safe inside a <script> string: nothing to escape.
            body = (f'<h1 class="title">{esc(item["title"])}</h1>\n<div id="content"></div>\n'
                    + _SCRIPT % (item["xor"], scramble(item["text"], item["xor"])))
            return page(item["title"], body)
        return error(404, "Not Found")
