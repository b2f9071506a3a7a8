"""content.json: every item of every fixture site, and the truth about the leaks planted in them.

    truth = build_content("out/sites", make_institutions(5, rows=300), seed=2021)

Leaks come from the first `leaked` institutions (one institution per item, so a spider's
test can say "this URL matches labo-02 with 57 people"); everything else is harmless text,
including hard negatives. Stdlib `random.Random(seed)` only: same seed, same bytes.
"""

import json
import random
import string
from pathlib import Path

from world.synth import make_strangers

from . import chatter, leaks
from .bomb import zip_bomb
from .leak_site import leak_site_content
from .telegram import telegram_content

BASE_TIME = 1614038400        # 2021-02-23 00:00 UTC, the week of the lab leak; fixed for reproducibility
PASTES_VISIBLE = 52           # > 2 archive pages of 20
PASTES_HIDDEN = 5
SMALL_SITE_ITEMS = 6          # js and limited: the limited site allows ~2 requests/s, keep it short
BIG_TOPIC_POSTS = 23          # > 2 pages of 10 posts
LOGIN = {"username": "watcher", "password": "correct horse battery staple", "session_requests": 25}
BOARDS = [
    {"id": 1, "name": "Databases", "description": "dumps, leaks, combos", "topics": 14},   # > 1 page of 10
    {"id": 2, "name": "Marketplace", "description": "buy / sell, escrow only", "topics": 5},
    {"id": 3, "name": "Off-topic", "description": "anything else", "topics": 4},
]
_TOPIC_TITLES = ["[FR] combo list fresh", "need help parsing a sql dump", "best proxies 2021?", "lab db sample",
                 "selling access, FR health", "who has the 2021 lab file", "my scraper got banned", "tools thread",
                 "rate my setup", "request: french hospital", "cleaning csv with python", "old dumps archive",
                 "welcome thread", "rules, read before posting", "escrow service", "vouches", "music thread",
                 "linux distro wars", "looking for a dev", "any news from the admins", "post your wallpapers",
                 "tor vs i2p", "help: 7z password", "crypting services"]


class _Builder:
    def __init__(self, out_dir: Path, institutions, seed, leaked: int, pastes_visible: int = PASTES_VISIBLE):
        self.pastes_visible = pastes_visible
        self.out_dir = out_dir
        self.rng = random.Random(f"{seed}:sites")
        self.leaked = list(institutions[:leaked])
        self.strangers = make_strangers(400, f"{seed}:sites", exclude=institutions)
        self.truth, self.keys, self.n_leaks = {}, set(), 0

    def key(self) -> str:
        while True:
            k = "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(8))
            if k not in self.keys:
                self.keys.add(k)
                return k

    def people(self, low: int, high: int, strangers: int = 0, email: bool = False):
        """(institution, rows to leak with strangers mixed in, distinct people of the institution)."""
        inst = self.leaked[self.n_leaks % len(self.leaked)]
        self.n_leaks += 1
        pool = [r for r in inst.rows if r["email"]] if email else inst.rows
        mine = self.rng.sample(pool, min(self.rng.randint(low, high), len(pool)))
        others = [r for r in self.strangers if r["email"]] if email else self.strangers
        rows = mine + self.rng.sample(others, min(strangers, len(others)))
        self.rng.shuffle(rows)
        return inst, rows, len({r["nir"] for r in mine})

    def plant(self, path: str, site: str, inst, records: int, hidden: bool) -> None:
        self.truth[path] = {"site": site, "institution": inst.name, "records": records, "hidden": hidden}

    def write_blob(self, name: str, data: bytes) -> str:
        path = self.out_dir / "attachments" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path.relative_to(self.out_dir))


def _times(rng, start: int, n: int) -> list:
    out, t = [], start
    for _ in range(n):
        t += rng.randint(300, 5400)       # a paste every 5-90 minutes
        out.append(t)
    return out


def _paste_items(b: _Builder, site: str, n_visible: int, n_hidden: int, leak_makers: dict, start: int) -> list:
    """Items of a paste-like site, oldest first. leak_makers: {(index, hidden): maker(b) -> item fields}."""
    rng, items = b.rng, []
    for i, t in enumerate(_times(rng, start, n_visible + n_hidden)):
        hidden = i >= n_visible
        item = {"key": b.key(), "user": rng.choice(chatter.USERS), "date": t, "charset": "utf-8", "hidden": hidden}
        maker = leak_makers.get(i)
        if maker:
            inst, records, fields = maker(b)
            item.update(fields)
            b.plant(f"/{'view' if site == 'js' else 'raw'}/{item['key']}", site, inst, records, hidden)
        else:
            item["text"], item["title"] = chatter.harmless_paste(rng)
        items.append(item)
    return items


def _leak(kind, low, high, strangers=0, email=False, title="Untitled", charset="utf-8", crlf=False):
    def make(b: _Builder):
        inst, rows, records = b.people(low, high, strangers, email)
        text = getattr(leaks, kind)(rows, b.rng)
        return inst, records, {"title": title, "text": text.replace("\n", "\r\n") if crlf else text,
                               "charset": charset}
    return make


def _stranger_dump(b: _Builder):
    # A hard negative: a real-looking dump of people nobody registered. Not in the truth.
    text = leaks.csv_snippet(b.rng.sample(b.strangers, 40), b.rng)
    return {"title": "FR dump sample", "text": text}


def _pastes(b: _Builder) -> list:
    rng = b.rng
    visible = b.pastes_visible
    slots = rng.sample(range(visible), 5)
    makers = {
        slots[0]: _leak("csv_snippet", 40, 80, title="patients sample"),
        slots[1]: _leak("pipe_table_in_chatter", 30, 60, strangers=10, title="teaser, full db for sale"),
        slots[2]: _leak("combo_list", 40, 80, strangers=100, email=True, title="FR combo 2021"),
        slots[3]: _leak("excel_csv", 40, 80, title="export.csv", charset="iso-8859-1", crlf=True),
        # Hidden at start: a leak that only appears between two crawl runs.
        visible + rng.randrange(PASTES_HIDDEN): _leak("sql_dump", 50, 100, title="db.sql"),
    }
    items = _paste_items(b, "paste", visible, PASTES_HIDDEN, makers, BASE_TIME)
    items[slots[4]].update(_stranger_dump(b))
    return items


def _post(text: str, block: dict | None = None, leak=None) -> dict:
    """A post to be numbered: its blocks, attachments, and (institution, records) if it is a leak."""
    return {"blocks": [{"kind": "p", "text": text}] + ([block] if block else []), "files": [], "leak": leak}


def _forum(b: _Builder) -> dict:
    rng = b.rng
    titles = rng.sample(_TOPIC_TITLES, len(_TOPIC_TITLES))
    topics, specs = [], {}          # specs: topic id -> its posts, oldest first
    for board in BOARDS:
        for _ in range(board["topics"]):
            tid = len(topics) + 1
            topics.append({"id": tid, "board": board["id"], "title": titles[tid - 1],
                           "author": rng.choice(chatter.USERS[3:])})
            size = BIG_TOPIC_POSTS if tid == 3 else rng.randint(1, 6)
            specs[tid] = [_post(chatter.forum_reply(rng)) for _ in range(size)]

    def leak_block(kind, block, low, high, strangers=0):
        inst, rows, records = b.people(low, high, strangers)
        return {"kind": block, "text": getattr(leaks, kind)(rows, rng)}, (inst, records)

    def attach(post, name, data, leak=None):
        post["files"].append({"name": name, "data": data, "leak": leak})

    # Topic 3 is the big one: post 14 is on its second page.
    block, leak = leak_block("jsonl_dump", "code", 30, 60, strangers=20)
    specs[3][13] = _post("sample, rest in PM", block, leak)
    inst, rows, records = b.people(80, 150, strangers=30)
    specs[15][0] = _post("full export attached, zip, pw in PM")       # topic 15: Marketplace
    attach(specs[15][0], "fr_health_export.zip", leaks.csv_zip(rows, rng), (inst, records))
    inst, rows, records = b.people(60, 120)
    specs[5][0] = _post("csv.gz below")
    attach(specs[5][0], "patients_2021.csv.gz", leaks.csv_gz(rows, rng), (inst, records))
    specs[7][-1] = _post("the full 2GB, compressed")
    attach(specs[7][-1], "full_dump_2GB.zip", zip_bomb())
    specs[20][0] = _post("my notes")                                   # topic 20: Off-topic
    attach(specs[20][0], "notes.txt", b"remember: rotate the keys every month\n")

    # Hidden at start, published oldest first: a reply, a leak in <pre>, the first post of a new topic.
    block, leak = leak_block("tsv_block", "pre", 20, 40)
    new_topic = {"id": len(topics) + 1, "board": 3, "title": "hello from a new member", "author": "n3wbie"}
    hidden = [(3, _post("still selling?")), (5, _post("more from the same source", block, leak)),
              (new_topic["id"], _post("new here, hello"))]
    topics.append(new_topic)

    # Interleave the topics' posts in time (each topic keeps its own order), then number them:
    # post ids grow with time, and hidden posts come last, as new posts do.
    queue = [tid for tid, posts in specs.items() for _ in posts]
    rng.shuffle(queue)
    cursor = {tid: iter(posts) for tid, posts in specs.items()}
    ordered = [(tid, next(cursor[tid]), False) for tid in queue] + [(tid, spec, True) for tid, spec in hidden]
    times = _times(rng, BASE_TIME, len(ordered))
    posts, attachments = [], []
    for pid, (tid, spec, is_hidden) in enumerate(ordered, 1):
        post = {"id": pid, "topic": tid, "author": rng.choice(chatter.USERS[3:]), "date": times[pid - 1],
                "blocks": spec["blocks"], "attachments": [], "hidden": is_hidden}
        if spec["leak"]:
            b.plant(f"/viewtopic.php?t={tid}#p{pid}", "forum", *spec["leak"], is_hidden)
        for f in spec["files"]:
            aid = len(attachments) + 1
            attachments.append({"id": aid, "post": pid, "name": f["name"], "size": len(f["data"]),
                                "file": b.write_blob(f"{aid}.bin", f["data"])})
            post["attachments"].append(aid)
            if f["leak"]:
                b.plant(f"/download/file.php?id={aid}", "forum", *f["leak"], is_hidden)
        posts.append(post)
    return dict(LOGIN, boards=[{k: v for k, v in bd.items() if k != "topics"} for bd in BOARDS],
                topics=topics, posts=posts, attachments=attachments)


def _js_items(b: _Builder) -> list:
    makers = {b.rng.randrange(SMALL_SITE_ITEMS): _leak("pipe_table_in_chatter", 25, 50, title="teaser")}
    items = _paste_items(b, "js", SMALL_SITE_ITEMS, 0, makers, BASE_TIME + 3600)
    for item in items:
        item["xor"] = b.rng.randrange(1, 256)     # the script's key: the text never appears as served
    return items


def _limited_items(b: _Builder) -> list:
    makers = {b.rng.randrange(SMALL_SITE_ITEMS): _leak("sql_dump", 30, 60, strangers=10, title="dump.sql")}
    return _paste_items(b, "limited", SMALL_SITE_ITEMS, 0, makers, BASE_TIME + 7200)


def _files_items(b: _Builder) -> list:
    """Pastes of several files, oldest first. One holds harmless notes first and a JSON Lines leak second:
    a crawler that takes only a page's first file misses it. The last paste is hidden at start."""
    rng = b.rng

    def harmless(slug_base):
        text, title = chatter.harmless_paste(rng)
        return {"slug": f"{slug_base}.txt", "name": title, "text": text}

    inst, rows, records = b.people(30, 60, strangers=15)
    leak = {"slug": "export.jsonl", "name": "export.jsonl", "text": leaks.jsonl_dump(rows, rng)}
    shapes = [[harmless("readme")], [harmless("notes"), leak], [harmless("a"), harmless("b"), harmless("c")],
              [harmless("todo")], [harmless("config"), harmless("log")]]
    items = []
    for i, (files, t) in enumerate(zip(shapes, _times(rng, BASE_TIME + 10800, len(shapes)))):
        item = {"key": b.key(), "user": rng.choice(chatter.USERS), "date": t, "title": f"files {i + 1}",
                "files": files, "hidden": i == len(shapes) - 1}
        if leak in files:
            b.plant(f"/raw/{item['key']}/{leak['slug']}", "files", inst, records, False)
        items.append(item)
    return items


def _hidden_paths(content: dict) -> dict:
    out = {site: [f"/raw/{i['key']}" for i in content[site]["items"] if i["hidden"]] for site in ("paste", "limited")}
    out["js"] = [f"/view/{i['key']}" for i in content["js"]["items"] if i["hidden"]]
    out["forum"] = [f"/viewtopic.php?t={p['topic']}#p{p['id']}" for p in content["forum"]["posts"] if p["hidden"]]
    out["files"] = [f"/p/{i['key']}" for i in content["files"]["items"] if i["hidden"]]
    out["telegram"] = [f"/{name}/{m['id']}" for name, channel in content["telegram"]["channels"].items()
                       for m in channel["messages"] if m["hidden"]]
    return out


def build_content(out_dir, institutions, seed=2021, leaked: int = 3, pastes_visible: int = PASTES_VISIBLE) -> dict:
    """Write out_dir/content.json (and out_dir/attachments/) and return the truth:
    {item path: {"site", "institution", "records", "hidden"}} for every planted leak."""
    if not institutions:
        raise ValueError("build_content needs at least one institution to plant leaks of")
    if leaked < 1:
        raise ValueError(f"leaked must be >= 1 (institutions whose people are planted), got {leaked}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if pastes_visible < 5:
        raise ValueError(f"pastes_visible must be >= 5 (five of them are planted), got {pastes_visible}")
    b = _Builder(out_dir, institutions, seed, leaked, pastes_visible)
    content = {"seed": seed, "institutions": [i.name for i in b.leaked],
               "paste": {"items": _pastes(b)}, "forum": _forum(b),
               "js": {"items": _js_items(b)}, "limited": {"items": _limited_items(b)}}
    content["files"] = {"items": _files_items(b)}  # after the others: their bytes stay as they were
    # The Telegram and leak-site fixtures draw from a generator of their own: adding them left the
    # other sites' bytes as they were.
    wild = _Builder(out_dir, institutions, f"{seed}:wild", leaked)
    content["telegram"] = telegram_content(wild, BASE_TIME + 10800)
    content["leaks"] = leak_site_content(wild, BASE_TIME - 30 * 86400)
    b.truth.update(wild.truth)
    content["truth"] = dict(sorted(b.truth.items()))
    content["hidden_at_start"] = _hidden_paths(content)
    (out_dir / "content.json").write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    return content["truth"]
