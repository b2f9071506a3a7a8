"""content.json and the truth: shapes the contract promises, counts that are really so."""

import gzip
import hashlib
import io
import json
import re
import time
import zipfile

from world.synth import fold
from world.sites import build_content
from world.sites.__main__ import main
from world.sites.bomb import zip_bomb


def _flat(text: str) -> str:
    # Phones and NIRs are written spaced, dotted, dashed: compare them without separators.
    return re.sub(r"(?<=\d)[ .\-](?=\d)", "", text)


def people_in(text: str, inst) -> int:
    """Distinct people of `inst` whose e-mail, phone (last 9 digits) or NIR (13 digits) is in the text."""
    flat, lower = _flat(text), text.lower()
    found = 0
    for r in inst.rows:
        phone = r["telephone"].replace(" ", "")[1:]
        if (r["email"] and r["email"] in lower) or phone in flat or r["nir"][:13] in flat:
            found += 1
    return found


def item_texts(content, content_dir) -> dict:
    """Every truth path -> the text that a crawler ends up with (attachments unpacked)."""
    out = {}
    for site in ("paste", "limited", "js"):
        for item in content[site]["items"]:
            out[f"/{'view' if site == 'js' else 'raw'}/{item['key']}"] = item["text"]
    for item in content["files"]["items"]:
        for file in item["files"]:
            out[f"/raw/{item['key']}/{file['slug']}"] = file["text"]
    for post in content["forum"]["posts"]:
        out[f"/viewtopic.php?t={post['topic']}#p{post['id']}"] = "\n".join(b["text"] for b in post["blocks"])
    for att in content["forum"]["attachments"]:
        data = (content_dir / att["file"]).read_bytes()
        if att["name"].endswith(".csv.gz"):
            data = gzip.decompress(data)
        elif att["name"] == "fr_health_export.zip":
            data = zipfile.ZipFile(io.BytesIO(data)).read("export/patients.csv")
        else:
            continue     # the bomb is never inflated here
        out[f"/download/file.php?id={att['id']}"] = data.decode("utf-8")
    for name, channel in content["telegram"]["channels"].items():
        for m in channel["messages"]:
            out[f"/{name}/{m['id']}"] = m["text"]
            for n, doc in enumerate(m["documents"]):
                if doc["file"]:
                    out[f"/file/{name}/{m['id']}/{n}"] = gzip.decompress((content_dir / doc["file"]).read_bytes()).decode()
    for victim in content["leaks"]["victims"]:
        out[f"/post/{victim['slug']}"] = victim["description"]
        for name, blob in victim["files"].items():
            out[f"/files/{victim['slug']}/{name}"] = (content_dir / blob).read_text(encoding="utf-8")
        if victim["archive"]:
            data = zipfile.ZipFile(content_dir / victim["archive"]).read("export/patients.csv")
            out[f"/download/{victim['slug']}.zip"] = data.decode("utf-8")
    return out


def test_truth_counts_are_the_distinct_people_really_in_each_item(content, content_dir, institutions):
    by_name = {i.name: i for i in institutions}
    texts = item_texts(content, content_dir)
    for path, truth in content["truth"].items():
        assert people_in(texts[path], by_name[truth["institution"]]) == truth["records"], path


def test_harmless_items_hold_nobody_registered(content, content_dir, institutions):
    texts = item_texts(content, content_dir)
    for path, text in texts.items():
        if path not in content["truth"]:
            assert all(people_in(text, inst) == 0 for inst in institutions), path


def test_leaks_spread_over_every_site_and_several_institutions(content):
    truth = content["truth"]
    assert 13 <= len(truth) <= 20
    assert {t["site"] for t in truth.values()} == {"paste", "forum", "js", "limited", "files", "telegram", "leaks"}
    assert len({t["institution"] for t in truth.values()}) == 3
    assert "labo-04" not in {t["institution"] for t in truth.values()}
    kinds = {p.split("?")[0].split("/")[1] for p in truth}
    assert kinds == {"raw", "view", "viewtopic.php", "download", "frleaks", "file", "files"}


def test_some_items_are_hidden_at_start_and_one_of_them_is_a_leak(content):
    hidden = content["hidden_at_start"]
    assert len(hidden["paste"]) >= 2 and len(hidden["forum"]) >= 2
    hidden_leaks = [p for p, t in content["truth"].items() if t["hidden"]]
    assert hidden_leaks and all(p in hidden[content["truth"][p]["site"]] for p in hidden_leaks)


def test_sizes_make_every_listing_paginate(content):
    assert len(content["paste"]["items"]) - len(content["hidden_at_start"]["paste"]) > 40   # 3 archive pages
    topics_per_board = {}
    for t in content["forum"]["topics"]:
        topics_per_board[t["board"]] = topics_per_board.get(t["board"], 0) + 1
    assert max(topics_per_board.values()) > 10 and len(content["forum"]["boards"]) >= 2
    posts_per_topic = {}
    for p in content["forum"]["posts"]:
        posts_per_topic[p["topic"]] = posts_per_topic.get(p["topic"], 0) + 1
    assert max(posts_per_topic.values()) > 20


def test_same_seed_gives_the_same_bytes(tmp_path, institutions):
    digests = []
    for name in ("a", "b"):
        build_content(tmp_path / name, institutions, seed=7)
        files = sorted(p for p in (tmp_path / name).rglob("*") if p.is_file())
        digests.append({p.relative_to(tmp_path / name).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in files})
    assert digests[0] == digests[1]
    build_content(tmp_path / "c", institutions, seed=8)
    assert (tmp_path / "c" / "content.json").read_bytes() != (tmp_path / "a" / "content.json").read_bytes()


def test_planted_text_survives_its_charset(content):
    latin = [i for i in content["paste"]["items"] if i["charset"] != "utf-8"]
    assert latin and all(i["text"].encode(i["charset"]) for i in latin)
    assert any(fold(i["text"]) != i["text"] for i in latin)     # accents really are there to mis-decode


def test_zip_bomb_is_cheap_to_build_and_declares_gigabytes():
    started = time.process_time()  # CPU time: the machine may be shared
    data = zip_bomb()
    assert time.process_time() - started < 2.0
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert sum(i.file_size for i in infos) >= 2 << 30 and len(data) < 3 << 20
    small = zipfile.ZipFile(io.BytesIO(zip_bomb(entries=2, entry_size=1 << 20)))
    assert small.testzip() is None and small.read(small.namelist()[0]) == bytes(1 << 20)   # CRCs are right


def test_build_command_writes_content_and_institution_tables(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--institutions", "3", "--rows", "50"]) == 0
    content = json.loads((tmp_path / "content.json").read_text(encoding="utf-8"))
    assert sorted(p.name for p in (tmp_path / "institutions").iterdir()) == ["labo-01.csv", "labo-02.csv", "labo-03.csv"]
    header = (tmp_path / "institutions" / "labo-01.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("nir,nom,prenom")
    assert content["truth"] and "planted leaks" in capsys.readouterr().out
