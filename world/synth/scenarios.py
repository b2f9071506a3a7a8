"""Leaks derived from the institutions' tables, each with its ground truth.

`truth` maps an institution's name to the number of DISTINCT registered people of that
institution present in the leak (duplicated lines count once); negatives have `{}`.
Every scenario has its own random stream (seed + name), so adding a scenario or resizing
one leaves the others' bytes unchanged.
"""

import csv
import gzip
import io
import json
import math
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import pools
from .distort import Layout, header, render, typo
from .people import COLUMNS, fold, make_namesakes, make_strangers

# The early-warning case: 25 rows (0.125 %) among 20,000 unrelated ones is far below
# what MinHash/LSH over the whole dump can see; only exact keyed tokens can.
NEEDLE_STRANGERS = 20_000
NEEDLE_ROWS = 25
STRANGERS_ONLY = 5_000
TEASER_ROWS = 200     # the size of the 2021 teaser posted before the full file
_ZIP_TIME = (2021, 2, 23, 0, 0, 0)    # fixed entry times: same seed -> same bytes


@dataclass
class Scenario:
    name: str
    paths: list
    truth: dict
    description: str = ""


@dataclass
class _Context:
    outdir: Path
    institutions: list
    strangers: list          # needle haystack; its first rows also mix into other leaks
    strangers_only: list
    seed: object
    registered: list = field(default_factory=list)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")


def write_table(path, rows, delimiter=",", encoding="utf-8"):
    """An institution's own table (row dicts) as CSV with its French headers."""
    names = list(rows[0]) if rows else COLUMNS
    _write_csv(path, names, ([r[c] for c in names] for r in rows), delimiter, encoding)
    return Path(path)


def _csv_text(head, lines, delimiter=",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if head:
        writer.writerow(head)
    writer.writerows(lines)
    return buf.getvalue()


def _write_csv(path, head, lines, delimiter=",", encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        if head:
            writer.writerow(head)
        writer.writerows(lines)


def _sample(inst, k, rng):
    return rng.sample(inst.rows, min(k, len(inst.rows)))


def _truth(parts) -> dict:
    """{institution: distinct people} from (institution, rows) pairs, sorted by name."""
    return {inst.name: len({r["nir"] for r in rows}) for inst, rows in sorted(parts, key=lambda p: p[0].name)}


def _mix(parts, extra, rng):
    """The parts' rows and the extra (stranger) rows, shuffled together."""
    rows = [r for _, rs in parts for r in rs] + list(extra)
    rng.shuffle(rows)
    return rows


def _merged_20(ctx):
    rng = ctx.rng("merged_20")
    chosen = rng.sample(ctx.institutions, min(20, len(ctx.institutions)))
    # Different sizes per lab: the count error must hold for 50 rows as for 1,500.
    parts = [(inst, _sample(inst, rng.randint(50, 1500), rng)) for inst in chosen]
    rows = _mix(parts, [], rng)
    # Concatenated exports repeat people; 2 % duplicated lines, counted once in the truth.
    rows += rng.sample(rows, len(rows) // 50)
    rng.shuffle(rows)
    fields = ["nir", "nom_prenom", "date_naissance", "sexe", "groupe_sanguin", "adresse",
              "code_postal", "ville", "telephone", "email", "medecin", "notes"]
    for dropped in rng.sample(["sexe", "groupe_sanguin", "adresse", "medecin", "notes"], 2):
        fields.remove(dropped)
    rng.shuffle(fields)
    layout = Layout(fields, headers="abbr", date="dmy_slash", phone="mixed", nir="mixed", noise=0.02)
    path = ctx.outdir / "merged_20.csv"
    # latin-1 and ";" as a French Excel export writes them.
    _write_csv(path, header(layout), (render(r, layout, rng) for r in rows), ";", "latin-1")
    return Scenario("merged_20", [path], _truth(parts), "20 labs merged, latin-1, ';', renamed/reordered")


def _chatter(rng, k):
    return [line.format(k=rng.choice([490, 491, 500]), n=TEASER_ROWS, price=rng.choice([500, 1500, 3000]))
            for line in rng.sample(pools.CHATTER, k)]


def _teaser_chatter(ctx):
    rng = ctx.rng("teaser_chatter")
    inst = rng.choice(ctx.institutions)
    rows = _sample(inst, TEASER_ROWS, rng)
    layout = Layout(["nir", "nom", "prenom", "date_naissance", "telephone", "email", "code_postal",
                     "ville", "groupe_sanguin", "notes"], headers="fr", date="dmy_slash", nir="spaced")
    table = ["| " + " | ".join(header(layout)) + " |", "|" + "---|" * len(layout.fields)]
    table += ["| " + " | ".join(render(r, layout, rng)) + " |" for r in rows]
    text = _chatter(rng, 6) + [""] + table + [""] + _chatter(rng, 4)
    path = ctx.outdir / "teaser_chatter.txt"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return Scenario("teaser_chatter", [path], _truth([(inst, rows)]), "200-row pipe table inside chatter")


def _sql_quote(value: str) -> str:
    # mysqldump escapes a quote with a backslash: 'N\'DIAYE'
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_4cols(ctx):
    rng = ctx.rng("sql_4cols")
    a, b = rng.sample(ctx.institutions, 2)
    parts = [(a, _sample(a, 300, rng)), (b, _sample(b, 150, rng))]
    rows = _mix(parts, [], rng)
    layout = Layout(["nir", "nom", "prenom", "date_naissance"], case="upper")
    out = ["-- MySQL dump 10.13  Distrib 5.7.33, for Linux (x86_64)", "",
           "CREATE TABLE `patients` (", "  `id` int NOT NULL AUTO_INCREMENT,",
           "  `nir` varchar(15) DEFAULT NULL,", "  `nom` varchar(64) DEFAULT NULL,",
           "  `prenom` varchar(64) DEFAULT NULL,", "  `ddn` date DEFAULT NULL,",
           "  PRIMARY KEY (`id`)", ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;", ""]
    for start in range(0, len(rows), 100):    # mysqldump's extended inserts: many rows per line
        values = ["(" + ",".join(_sql_quote(c) for c in render(r, layout, rng)) + ")"
                  for r in rows[start:start + 100]]
        out.append("INSERT INTO patients (nir, nom, prenom, ddn) VALUES " + ",".join(values) + ";")
    path = ctx.outdir / "sql_4cols.sql"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return Scenario("sql_4cols", [path], _truth(parts), "SQL INSERT dump, 4 columns")


def _jsonl(ctx):
    rng = ctx.rng("jsonl_merged_name_no_nir")
    chosen = rng.sample(ctx.institutions, 3)
    parts = [(inst, _sample(inst, rng.randint(150, 400), rng)) for inst in chosen]
    rows = _mix(parts, ctx.strangers[:300], rng)
    layout = Layout(["prenom_nom", "date_naissance", "email", "telephone"], date="mixed", phone="mixed")
    lines = []
    for r in rows:
        name, birth, mail, tel = render(r, layout, rng)
        if rng.random() < 0.3:      # some sources strip accents, some do not, in one file
            name = fold(name)
        lines.append(json.dumps({"name": name, "birth": birth, "mail": mail or None, "tel": tel},
                                ensure_ascii=False))
    path = ctx.outdir / "jsonl_merged_name_no_nir.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Scenario("jsonl_merged_name_no_nir", [path], _truth(parts), "JSON lines, 'Prénom NOM', no NIR")


def _tsv(ctx):
    rng = ctx.rng("tsv_name_dob_phone")
    chosen = rng.sample(ctx.institutions, 2)
    parts = [(inst, _sample(inst, rng.randint(200, 600), rng)) for inst in chosen]
    rows = _mix(parts, ctx.strangers[300:600], rng)
    layout = Layout(["nom", "prenom", "date_naissance", "telephone"], headers=None, date="mixed",
                    phone="compact", case="upper", accents=False)
    path = ctx.outdir / "tsv_name_dob_phone.tsv"
    _write_csv(path, None, (render(r, layout, rng) for r in rows), "\t")
    return Scenario("tsv_name_dob_phone", [path], _truth(parts), "TSV, no header, NOM/PRENOM/date/phone")


def _password(rng):
    word = rng.choice(["soleil", "marseille", "azerty", "doudou", "chouchou", "loulou", "nicolas",
                       "motdepasse", "football", "bonjour", "jtm", "princesse"])
    return word + rng.choice(["", "1", "123", "2012", "!", "69", "13", "75"])


def _combo_list(ctx):
    rng = ctx.rng("combo_list")
    chosen = rng.sample(ctx.institutions, 3)
    parts = [(inst, rng.sample([r for r in inst.rows if r["email"]],
                               min(rng.randint(200, 500), sum(1 for r in inst.rows if r["email"]))))
             for inst in chosen]
    rows = _mix(parts, [r for r in ctx.strangers[:2000] if r["email"]], rng)
    lines = []
    for r in rows:
        email = r["email"]
        if rng.random() < 0.05:     # people type their address capitalised
            email = email[0].upper() + email[1:]
        lines.append(f"{email}:{_password(rng)}")
    path = ctx.outdir / "combo_list.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Scenario("combo_list", [path], _truth(parts), "email:password lines")


def _typos(ctx):
    rng = ctx.rng("typos_10pct")
    chosen = rng.sample(ctx.institutions, 3)
    parts = [(inst, _sample(inst, rng.randint(200, 400), rng)) for inst in chosen]
    rows = _mix(parts, [], rng)
    layout = Layout(list(COLUMNS), date="dmy_slash")
    cells = [render(r, layout, rng) for r in rows]
    filled = [(i, j) for i, line in enumerate(cells) for j, v in enumerate(line) if v]
    for i, j in rng.sample(filled, len(filled) // 10):    # one cell in ten, any column
        cells[i][j] = typo(cells[i][j], rng)
    path = ctx.outdir / "typos_10pct.csv"
    _write_csv(path, header(layout), cells)
    return Scenario("typos_10pct", [path], _truth(parts), "full rows, a typo in 10 % of cells")


def _namesakes(ctx):
    rng = ctx.rng("name_dob_postcode_namesakes")
    a, b, *others = rng.sample(ctx.institutions, len(ctx.institutions))
    in_a, in_b = _sample(a, 300, rng), _sample(b, 200, rng)
    parts = [(a, in_a), (b, in_b)]
    # Namesakes of registered people NOT in the file: some of the same two labs (the hard
    # case: a name + birth date of the lab, with another postcode), some of other labs.
    present = {r["nir"] for r in in_a + in_b}
    pool = [r for r in a.rows + b.rows if r["nir"] not in present]
    targets = rng.sample(pool, min(250, len(pool)))
    pool = [r for inst in others for r in inst.rows]
    targets += rng.sample(pool, min(250, len(pool)))
    fakes = make_namesakes(targets, f"{ctx.seed}:namesakes-scenario", exclude=ctx.registered + ctx.strangers + ctx.strangers_only)
    rows = _mix(parts, fakes, rng)
    layout = Layout(["nom", "prenom", "date_naissance", "code_postal"], headers="en", date="dmy_slash")
    path = ctx.outdir / "name_dob_postcode_namesakes.csv"
    _write_csv(path, header(layout), (render(r, layout, rng) for r in rows))
    return Scenario("name_dob_postcode_namesakes", [path], _truth(parts),
                    "names + dob + postcode; namesakes of others elsewhere")


def _csv_gz_in_zip(ctx):
    rng = ctx.rng("csv_gz_in_zip")
    a, b = rng.sample(ctx.institutions, 2)
    parts = [(a, _sample(a, 400, rng)), (b, _sample(b, 250, rng))]
    rows = _mix(parts, [], rng)
    layout = Layout(["prenom", "nom", "nir", "date_naissance", "telephone", "email", "code_postal", "ville",
                     "groupe_sanguin"], headers="en", phone="intl_compact", nir="dotted")
    text = _csv_text(header(layout), (render(r, layout, rng) for r in rows))
    gz = gzip.compress(text.encode("utf-8"), mtime=0)
    path = ctx.outdir / "csv_gz_in_zip.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("README.txt", _ZIP_TIME), "\n".join(_chatter(rng, 3)) + "\n")
        z.writestr(zipfile.ZipInfo("export/patients_2021.csv.gz", _ZIP_TIME), gz)
    return Scenario("csv_gz_in_zip", [path], _truth(parts), "CSV, gzipped, inside a zip")


def _needle(ctx, name, fields, exclude_inst=None):
    rng = ctx.rng(name)
    inst = rng.choice([i for i in ctx.institutions if i is not exclude_inst])
    rows = _sample(inst, NEEDLE_ROWS, rng)
    lines = _mix([(inst, rows)], ctx.strangers, rng)
    layout = Layout(fields, date="dmy_slash")
    path = ctx.outdir / f"{name}.csv"
    _write_csv(path, header(layout), (render(r, layout, rng) for r in lines))
    return Scenario(name, [path], _truth([(inst, rows)]), f"{NEEDLE_ROWS} rows among {len(ctx.strangers)}"), inst


def _strangers_only(ctx):
    rng = ctx.rng("strangers_only")
    layout = Layout(list(COLUMNS), date="dmy_slash")
    path = ctx.outdir / "strangers_only.csv"
    _write_csv(path, header(layout), (render(r, layout, rng) for r in ctx.strangers_only))
    return Scenario("strangers_only", [path], {}, "unregistered people, same distributions")


def _common_values_only(ctx):
    rng = ctx.rng("common_values_only")
    # Each column drawn independently from registered people: only common values, no person.
    layout = Layout(["ville", "groupe_sanguin", "prenom", "annee_naissance", "sexe"])
    lines = [[render(rng.choice(ctx.registered), Layout([f]), rng)[0] for f in layout.fields]
             for _ in range(3000)]
    path = ctx.outdir / "common_values_only.csv"
    _write_csv(path, header(layout), lines)
    return Scenario("common_values_only", [path], {}, "cities, blood groups, first names, years, sexes")


def build_scenarios(outdir, institutions, seed=2021, needle_strangers=NEEDLE_STRANGERS) -> list:
    """Write every leak under outdir and return its Scenario (name, paths, truth)."""
    if len(institutions) < 5:
        raise ValueError(f"build_scenarios needs at least 5 institutions, got {len(institutions)}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    strangers = make_strangers(needle_strangers + STRANGERS_ONLY, seed, exclude=institutions)
    ctx = _Context(outdir, institutions, strangers[:needle_strangers], strangers[needle_strangers:], seed,
                   [r for inst in institutions for r in inst.rows])
    out = [_merged_20(ctx), _teaser_chatter(ctx), _sql_4cols(ctx), _jsonl(ctx), _tsv(ctx), _combo_list(ctx),
           _typos(ctx), _namesakes(ctx), _csv_gz_in_zip(ctx)]
    needle, inst = _needle(ctx, "needle_25_all_fields", list(COLUMNS))
    out.append(needle)
    # Another lab for the weak-evidence needle, so the two needles are independent.
    out.append(_needle(ctx, "needle_25_name_dob_postcode", ["nom", "prenom", "date_naissance", "code_postal"],
                       exclude_inst=inst)[0])
    out += [_strangers_only(ctx), _common_values_only(ctx)]
    return out


def _read_table(path):
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    delimiter = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), delimiter


def repost_of(path, seed=2021, out=None):
    """A repost of a CSV dump: rows shuffled, about half the columns dropped, another
    delimiter, utf-8. Returns the new file's path (default: NAME.repost.csv beside it)."""
    rng = random.Random(f"{seed}:repost:{Path(path).name}")
    (head, *rows), delimiter = _read_table(path)
    keep = sorted(rng.sample(range(len(head)), math.ceil(len(head) / 2)))
    rng.shuffle(rows)
    new_delimiter = rng.choice([d for d in ",;\t|" if d != delimiter])
    out = Path(out) if out else Path(path).with_name(Path(path).stem + ".repost.csv")
    _write_csv(out, [head[i] for i in keep], ([r[i] for i in keep] for r in rows if len(r) == len(head)),
               new_delimiter)
    return out
