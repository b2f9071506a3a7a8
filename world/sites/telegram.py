"""Telegram's public web preview of channels (t.me/s/NAME), with the markup and paging of the real one.

    /s/<channel>               the newest PAGE messages, oldest first, and a "load more" link
    /s/<channel>?before=<id>   the PAGE messages older than <id>
    /<channel>/<id>            a message's permalink: "open in Telegram" (a document there needs the app)
    /file/<channel>/<id>/<n>   a document that is reachable without an account

The classes are those of the real widget (tgme_widget_message, data-post="channel/id", ...), so
the spider's defaults are those a real channel needs.
"""

from .web import Request, Response, Site, error, esc, iso, page

PAGE = 20  # messages per preview page, as t.me/s serves them


class TelegramSite(Site):
    name = "telegram"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        self.channels = content[self.name]["channels"]

    def hidden(self) -> list:
        return sorted((m for c in self.channels.values() for m in c["messages"] if m["hidden"]),
                      key=lambda m: m["date"])

    def visible_count(self) -> int:
        return sum(not m["hidden"] for c in self.channels.values() for m in c["messages"])

    def route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "s" and parts[1] in self.channels:
            before = request.query.get("before")
            if before is not None and not before.isdigit():
                return error(400, "before must be a message id")
            return self.preview(parts[1], int(before) if before else None)
        if len(parts) == 2 and parts[0] in self.channels and parts[1].isdigit():
            return page("Telegram", '<div class="tgme_page_action">Open in Telegram to view this post</div>')
        if len(parts) == 4 and parts[0] == "file" and parts[1] in self.channels and parts[2].isdigit():
            return self.document(parts[1], int(parts[2]), parts[3])
        return error(404, "Not Found")

    def visible(self, channel: str) -> list:
        with self.lock:
            return [m for m in self.channels[channel]["messages"] if not m["hidden"]]

    def preview(self, channel: str, before: int | None) -> Response:
        older = [m for m in self.visible(channel) if before is None or m["id"] < before]
        shown = older[-PAGE:]
        info = self.channels[channel]
        body = []
        if len(older) > len(shown):
            # Real previews put the link to older messages above the oldest one shown.
            first = shown[0]["id"]
            body.append(f'<a href="/s/{esc(channel)}?before={first}" class="tme_messages_more js-messages_more" '
                        f'data-before="{first}"></a>')
        body += [self.message(channel, info["title"], m) for m in shown]
        return page(f"{info['title']} – Telegram",
                    '<section class="tgme_channel_history js-message_history">\n' + "\n".join(body) + "\n</section>")

    def message(self, channel: str, title: str, m: dict) -> str:
        docs = []
        for n, doc in enumerate(m["documents"]):
            href = f"/file/{channel}/{m['id']}/{n}" if doc["file"] else f"/{channel}/{m['id']}"
            docs.append(f'<a class="tgme_widget_message_document_wrap" href="{esc(href)}">'
                        '<div class="tgme_widget_message_document_icon accent_bg"></div>'
                        '<div class="tgme_widget_message_document">'
                        f'<div class="tgme_widget_message_document_title accent_color" dir="auto">{esc(doc["name"])}</div>'
                        f'<div class="tgme_widget_message_document_extra" dir="auto">{esc(doc["extra"])}</div>'
                        "</div></a>")
        text = "<br/>".join(esc(line) for line in m["text"].split("\n")) if m["text"] else ""
        reply = ""
        if m.get("reply_to"):
            # A reply quotes the message it answers (its author and first line), as the real widget does.
            reply = (f'<a class="tgme_widget_message_reply" href="/{esc(channel)}/{m["reply_to"]["id"]}">'
                     '<div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name">'
                     f'{esc(title)}</span></div><div class="tgme_widget_message_text js-message_reply_text" dir="auto">'
                     f'{esc(m["reply_to"]["text"])}</div></a>')
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{esc(channel)}/{m["id"]}">'
            '<div class="tgme_widget_message_bubble">'
            '<div class="tgme_widget_message_author accent_color">'
            f'<a class="tgme_widget_message_owner_name" href="/{esc(channel)}"><span dir="auto">{esc(title)}</span></a></div>'
            + reply
            + "".join(docs)
            + (f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>' if text else "")
            + '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">'
            f'<a class="tgme_widget_message_date" href="/{esc(channel)}/{m["id"]}">'
            f'<time datetime="{iso(m["date"])}" class="time">{iso(m["date"])[11:16]}</time></a>'
            "</div></div></div></div></div>"
        )

    def document(self, channel: str, message_id: int, n: str) -> Response:
        found = [m for m in self.visible(channel) if m["id"] == message_id]
        if not found or not n.isdigit() or int(n) >= len(found[0]["documents"]) or not found[0]["documents"][int(n)]["file"]:
            return error(404, "Not Found")
        doc = found[0]["documents"][int(n)]
        data = (self.content_dir / doc["file"]).read_bytes()
        return Response(200, data, "application/octet-stream",
                        [("Content-Disposition", f'attachment; filename="{doc["name"]}"')])


def human_size(n: int) -> str:
    """A size as the preview shows it: "2.1 MB", "840.0 KB"."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def telegram_content(b, start: int) -> dict:
    """Two channels: "frleaks" (three pages, a leak in a message's text, hidden messages that appear
    between runs, one of them a leak) and "dbmarket" (a leak in a reachable document, and a document
    that only the app can open). `b` is content.py's builder."""
    from . import chatter, leaks

    rng = b.rng

    def messages(channel: str, n_visible: int, n_hidden: int, t0: int) -> list:
        out, t = [], t0
        for i in range(n_visible + n_hidden):
            t += rng.randint(300, 5400)
            text, _ = chatter.harmless_paste(rng)
            out.append({"id": i + 1, "date": t, "text": text, "documents": [], "hidden": i >= n_visible})
        return out

    frleaks = messages("frleaks", 45, 3, start)  # > 2 preview pages of 20
    frleaks[9]["reply_to"] = {"id": 9, "text": frleaks[8]["text"].split("\n")[0]}  # message 10 answers 9
    inst, rows, records = b.people(30, 60)
    frleaks[30]["text"] = leaks.csv_snippet(rows, rng)  # on the second page back from the newest
    b.plant("/frleaks/31", "telegram", inst, records, False)
    inst, rows, records = b.people(20, 40)
    frleaks[46]["text"] = leaks.pipe_table_in_chatter(rows, rng)  # hidden at start: the next run's news
    b.plant("/frleaks/47", "telegram", inst, records, True)

    dbmarket = messages("dbmarket", 8, 0, start + 1800)
    inst, rows, records = b.people(60, 120)
    data = leaks.csv_gz(rows, rng)
    dbmarket[5]["text"] = "fresh FR health export, csv.gz, free sample"
    dbmarket[5]["documents"].append({"name": "patients_export.csv.gz", "extra": human_size(len(data)),
                                     "file": b.write_blob("telegram-dbmarket-6-0.bin", data)})
    b.plant("/file/dbmarket/6/0", "telegram", inst, records, False)
    # Only the app opens this one: its name and size are metadata, its bytes cannot be fetched.
    dbmarket[2]["documents"].append({"name": "full_db.7z", "extra": "1.9 GB", "file": None})
    return {"channels": {"frleaks": {"title": "FR Leaks", "messages": frleaks},
                         "dbmarket": {"title": "DB Market", "messages": dbmarket}}}
