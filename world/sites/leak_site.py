"""A ransomware data-leak site: victims listed with a countdown, their files published when it ends.

    /                       victims, newest first, PAGE per page (?page=N), rel=next
    /app                    the same list built by JavaScript (the served HTML holds no victim)
    /post/<slug>            a victim: name, domain, description, links to its published files
    /files/<slug>/...       nginx-style directory listings (sizes in bytes) and the files in them
    /download/<slug>.zip    a victim's archive download
    (files and archives answer `Range: bytes=A-B` with 206 and Content-Range, as nginx does)

Served on loopback and, in the Tor tests, as an onion service, as real ones are.
"""

import json
import re

from .js import scramble
from .web import Request, Response, Site, error, esc, int_param, iso, page

PAGE = 10
APP_KEY = 91  # the /app script's XOR key: the victims' names are not in the served HTML

_APP_SCRIPT = """<script>
(function () {
  var key = %d, data = "%s";
  setTimeout(function () {
    var raw = atob(data), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) ^ ((key + i) & 255);
    var victims = JSON.parse(new TextDecoder("utf-8").decode(bytes)), list = document.getElementById("list");
    victims.forEach(function (v) {
      var div = document.createElement("div"), a = document.createElement("a"), name = document.createElement("span"),
          domain = document.createElement("span"), time = document.createElement("time"), timer = document.createElement("span");
      div.className = "victim"; a.className = "victim-link"; a.href = "/post/" + v.slug;
      name.className = "victim-name"; name.textContent = v.name;
      domain.className = "victim-domain"; domain.textContent = v.domain;
      time.setAttribute("datetime", v.date); time.textContent = v.date;
      timer.className = "countdown"; timer.setAttribute("data-deadline", v.deadline);
      a.appendChild(name); div.appendChild(a); div.appendChild(domain); div.appendChild(time); div.appendChild(timer);
      list.appendChild(div);
    });
  }, 300);
})();
</script>"""


class LeakSite(Site):
    name = "leaks"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        self.victims = content[self.name]["victims"]  # newest first
        self.by_slug = {v["slug"]: v for v in self.victims}

    def visible_count(self) -> int:
        return len(self.victims)

    def route(self, request: Request) -> Response:
        path = request.path
        if path in ("/", "/app"):
            n = int_param(request.query, "page", 1)
            if n is None or n < 1:
                return error(400, "page must be an integer >= 1")
            shown = self.victims[(n - 1) * PAGE:n * PAGE]
            more = len(self.victims) > n * PAGE
            return self.app(shown, path, n, more) if path == "/app" else self.listing(shown, n, more)
        if path.startswith("/post/"):
            victim = self.by_slug.get(path[len("/post/"):])
            return self.post(victim) if victim else error(404, "Not Found")
        if path.startswith("/download/") and path.endswith(".zip"):
            victim = self.by_slug.get(path[len("/download/"):-len(".zip")])
            if victim is None or not victim.get("archive"):
                return error(404, "Not Found")
            return self.blob(victim["archive"], request)
        if path.startswith("/files/"):
            slug, _, rest = path[len("/files/"):].partition("/")
            victim = self.by_slug.get(slug)
            if victim is None or not victim["files"]:
                return error(404, "Not Found")
            if rest in victim["files"]:
                return self.blob(victim["files"][rest], request)
            if rest == "" or rest.endswith("/"):
                return self.autoindex(victim, rest, path)
        return error(404, "Not Found")

    def _next(self, base: str, n: int, more: bool) -> str:
        return f'<a rel="next" href="{base}?page={n + 1}">Next</a>' if more else ""

    def listing(self, shown: list, n: int, more: bool) -> Response:
        blocks = [
            f'<div class="victim"><a class="victim-link" href="/post/{esc(v["slug"])}">'
            f'<span class="victim-name">{esc(v["name"])}</span></a>'
            f'<span class="victim-domain">{esc(v["domain"])}</span>'
            f'<time datetime="{iso(v["date"])}">{iso(v["date"])[:10]}</time>'
            f'<span class="countdown" data-deadline="{iso(v["deadline"])}"></span></div>'
            for v in shown]
        return page("Leaks", "<h1>Leaks</h1>\n" + "\n".join(blocks) + "\n" + self._next("/", n, more))

    def app(self, shown: list, path: str, n: int, more: bool) -> Response:
        data = json.dumps([{"slug": v["slug"], "name": v["name"], "domain": v["domain"], "date": iso(v["date"]),
                            "deadline": iso(v["deadline"])} for v in shown])
        # base64 and a decimal key are safe inside a <script> string: nothing to escape.
        body = ('<h1>Leaks</h1>\n<div id="list"></div>\n' + self._next(path, n, more) + "\n"
                + _APP_SCRIPT % (APP_KEY, scramble(data, APP_KEY)))
        return page("Leaks", body)

    def post(self, v: dict) -> Response:
        links = []
        if v["files"]:
            links.append(f'<a class="files" href="/files/{esc(v["slug"])}/">Browse files</a>')
        if v.get("archive"):
            links.append(f'<a class="files" href="/download/{esc(v["slug"])}.zip">Download all (zip)</a>')
        if v.get("mirror"):
            # A mirror on another host, as real posts have: a crawler must not follow it (port 1 of
            # loopback: nothing listens there, and nothing leaves the machine if one did).
            links.append(f'<a class="files" href="http://127.0.0.1:1/{esc(v["slug"])}.zip">Mirror</a>')
        status = "PUBLISHED" if links else "Countdown running: files are published when it ends"
        return page(v["name"], f'<h1 class="victim-name">{esc(v["name"])}</h1>\n'
                               f'<span class="victim-domain">{esc(v["domain"])}</span>\n'
                               f'<div class="victim-description"><p>{esc(v["description"])}</p></div>\n'
                               f'<p class="status">{status}</p>\n' + "\n".join(links))

    def autoindex(self, v: dict, rest: str, path: str) -> Response:
        # As nginx's autoindex writes it: one <a> per entry, date and size (bytes, "-" for a directory) after it.
        entries = {}
        for name in v["files"]:
            if name.startswith(rest):
                head, sep, _ = name[len(rest):].partition("/")
                entries[head + sep] = None if sep else v["files"][name]
        if not entries:
            return error(404, "Not Found")
        # The parent and a column-sort link (Apache writes those) lead nowhere new.
        lines = ['<a href="?C=N;O=D">Name</a>', '<a href="../">../</a>']
        for entry, blob in sorted(entries.items()):
            size = "-" if blob is None else str((self.content_dir / blob).stat().st_size)
            lines.append(f'<a href="{esc(entry)}">{esc(entry)}</a>{" " * max(1, 50 - len(entry))}'
                         f'{iso(v["date"])[:10]} 10:00 {size:>12}')
        return Response(200, (f"<html><head><title>Index of {esc(path)}</title></head><body>"
                              f"<h1>Index of {esc(path)}</h1><hr><pre>" + "\n".join(lines)
                              + "\n</pre><hr></body></html>\n").encode("utf-8"))

    def blob(self, relative: str, request: Request) -> Response:
        """A file, or the byte range asked for (`Range: bytes=A-B`), as nginx serves static files."""
        data = (self.content_dir / relative).read_bytes()
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("range", "").strip())
        if not wanted:
            return Response(200, data, "application/octet-stream", [("Accept-Ranges", "bytes")])
        start, end = int(wanted.group(1)), int(wanted.group(2) or len(data) - 1)
        if start >= len(data):
            return Response(416, b"", "text/plain", [("Content-Range", f"bytes */{len(data)}")])
        end = min(end, len(data) - 1)
        return Response(206, data[start:end + 1], "application/octet-stream",
                        [("Content-Range", f"bytes {start}-{end}/{len(data)}"), ("Accept-Ranges", "bytes")])


_COMPANIES = ["Transports Morel", "Cabinet Lefort Avocats", "Menuiserie Dubreuil", "Groupe Hotelier Azur",
              "Mairie de Saint-Aubin", "Laboratoire Bioanalyses Rhone", "Imprimerie Vasseur", "Agence Immo Sud",
              "Lycee Jean Moulin", "Cooperative Agricole de l'Ouest", "Garage Renaud Freres", "Laboratoire Medical Vendee",
              "Bureau d'etudes Kestrel", "Assurances Mutuelles Loire"]


def leak_site_content(b, start: int) -> dict:
    """Victims, newest first: two labs with their patients published (a file in a directory tree; an
    archive download), one with harmless files only, one big file (a hard negative beyond small
    byte budgets), the rest still counting down. `b` is content.py's builder."""
    from . import chatter, leaks

    rng = b.rng
    victims, t = [], start
    for i, name in enumerate(_COMPANIES):
        t += rng.randint(3600, 86400)
        slug = "".join(ch for ch in name.lower().replace(" ", "-") if ch.isalnum() or ch == "-")
        victims.append({"slug": slug, "name": name, "domain": slug.replace("-", "") + ".fr", "date": t,
                        "deadline": t + 10 * 86400, "description": chatter.forum_reply(rng), "files": {},
                        "archive": None})

    def blob(victim, name, data):
        return b.write_blob(f"leaks-{victim['slug']}-{name.replace('/', '_')}.bin", data)

    lab, other_lab, plain = victims[5], victims[11], victims[2]
    inst, rows, records = b.people(40, 80)
    lab["files"] = {
        "README.txt": blob(lab, "README.txt", b"All data of the company. Pay or it stays published.\n"),
        "RH/planning.txt": blob(lab, "RH/planning.txt", "\n".join(chatter.forum_reply(rng) for _ in range(5)).encode()),
        "patients/export_2021.csv": blob(lab, "patients/export_2021.csv", leaks.csv_snippet(rows, rng).encode()),
        # A hard negative far larger than the rest: people nobody registered, beyond a small byte budget.
        "backup/full_backup.csv": blob(lab, "backup/full_backup.csv",
                                       "".join(leaks.csv_snippet(b.strangers, rng) for _ in range(12)).encode()),
    }
    b.plant(f"/files/{lab['slug']}/patients/export_2021.csv", "leaks", inst, records, False)
    inst, rows, records = b.people(60, 120)
    other_lab["archive"] = blob(other_lab, "all.zip", leaks.csv_zip(rows, rng))
    other_lab["files"] = {"notes.txt": blob(other_lab, "notes.txt", b"negotiation failed\n")}
    b.plant(f"/download/{other_lab['slug']}.zip", "leaks", inst, records, False)
    other_lab["mirror"] = True
    plain["files"] = {f"docs/{n}.txt": blob(plain, f"docs/{n}.txt", chatter.forum_reply(rng).encode())
                      for n in ("devis", "factures", "contrats", "courrier", "inventaire", "agenda")}
    return {"victims": sorted(victims, key=lambda v: -v["date"])}
