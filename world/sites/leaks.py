"""Leak texts in the shapes dumps take on paste sites and forums, from world.synth rows.

Every function takes the rows to leak (an institution's people, possibly mixed with
strangers) and a `random.Random`, and returns the leak's text or bytes. Which rows belong
to which institution is content.py's business: these functions only write them.
"""

import csv
import gzip
import io
import json
import zipfile

from world.synth import Layout, format_date, format_phone
from world.synth.distort import header, render
from world.synth.pools import CHATTER

_ZIP_TIME = (2021, 2, 23, 0, 0, 0)    # fixed entry times: same seed -> same bytes


def _csv(layout: Layout, rows, rng, delimiter=",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if layout.headers:
        writer.writerow(header(layout))
    writer.writerows(render(r, layout, rng) for r in rows)
    return buf.getvalue()


def chatter_lines(rng, k: int) -> list:
    """k lines of seller/buyer talk, as found around a teaser."""
    lines = rng.sample(CHATTER, min(k, len(CHATTER)))
    return [line.format(k=rng.choice([12, 40, 490]), n=rng.randint(20, 200), price=rng.choice([500, 1500]))
            for line in lines]


def csv_snippet(rows, rng) -> str:
    """A CSV sample with French headers, as pasted from a lab export."""
    layout = Layout(["nir", "nom", "prenom", "date_naissance", "telephone", "email", "code_postal", "ville"],
                    date="dmy_slash", phone="spaced")
    return "sample, rest on request\n\n" + _csv(layout, rows, rng)


def excel_csv(rows, rng) -> str:
    """';'-separated, as French Excel writes it (the caller encodes it in latin-1)."""
    layout = Layout(["nom", "prenom", "date_naissance", "sexe", "adresse", "code_postal", "ville",
                     "telephone", "groupe_sanguin"], headers="abbr", date="dmy_slash", phone="dotted",
                    case="upper")
    return _csv(layout, rows, rng, delimiter=";")


def pipe_table_in_chatter(rows, rng) -> str:
    """A teaser: a pipe table of NIR, names, birth dates between lines of talk."""
    layout = Layout(["nir", "nom", "prenom", "date_naissance", "telephone", "groupe_sanguin"],
                    date="dmy_slash", nir="spaced", phone="compact")
    table = ["| " + " | ".join(header(layout)) + " |", "|" + "---|" * len(layout.fields)]
    table += ["| " + " | ".join(render(r, layout, rng)) + " |" for r in rows]
    return "\n".join(chatter_lines(rng, 4) + [""] + table + [""] + chatter_lines(rng, 2)) + "\n"


def _sql_quote(value: str) -> str:
    # mysqldump escapes a quote with a backslash: 'N\'DIAYE'
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_dump(rows, rng) -> str:
    """A mysqldump extended INSERT of NIR, names, birth date and phone."""
    layout = Layout(["nir", "nom", "prenom", "date_naissance", "telephone"], case="upper", phone="compact")
    out = ["-- MySQL dump 10.13  Distrib 5.7.33, for Linux (x86_64)", "",
           "CREATE TABLE `patients` (", "  `id` int NOT NULL AUTO_INCREMENT,",
           "  `nir` varchar(15) DEFAULT NULL,", "  `nom` varchar(64) DEFAULT NULL,",
           "  `prenom` varchar(64) DEFAULT NULL,", "  `ddn` date DEFAULT NULL,",
           "  `tel` varchar(16) DEFAULT NULL,", "  PRIMARY KEY (`id`)", ") ENGINE=InnoDB;", ""]
    for start in range(0, len(rows), 25):
        values = ["(" + ",".join([str(start + i + 1)] + [_sql_quote(c) for c in render(r, layout, rng)]) + ")"
                  for i, r in enumerate(rows[start:start + 25])]
        out.append("INSERT INTO `patients` VALUES " + ",".join(values) + ";")
    return "\n".join(out) + "\n"


def _password(rng) -> str:
    word = rng.choice(["soleil", "marseille", "azerty", "doudou", "loulou", "motdepasse", "bonjour"])
    return word + rng.choice(["", "1", "123", "2012", "!", "69"])


def combo_list(rows, rng) -> str:
    """email:password lines; rows without an e-mail are skipped by the caller."""
    return "\n".join(f"{r['email']}:{_password(rng)}" for r in rows) + "\n"


def jsonl_dump(rows, rng) -> str:
    """JSON lines, 'Prénom NOM', mixed date and phone formats, no NIR."""
    lines = []
    for r in rows:
        date = format_date(r["date_naissance"], rng.choice(["iso", "dmy_slash", "words"]))
        lines.append(json.dumps({"name": f"{r['prenom']} {r['nom'].upper()}", "birth": date,
                                 "mail": r["email"] or None,
                                 "tel": format_phone(r["telephone"], rng.choice(["spaced", "intl_compact"]))},
                                ensure_ascii=False))
    return "\n".join(lines) + "\n"


def tsv_block(rows, rng) -> str:
    """Tab-separated, no header, names in capitals without accents, as in a terminal copy."""
    layout = Layout(["nom", "prenom", "date_naissance", "telephone", "code_postal"], headers=None,
                    date="dmy_dash", phone="compact", case="upper", accents=False)
    return _csv(layout, rows, rng, delimiter="\t")


def csv_zip(rows, rng) -> bytes:
    """A zip holding a README and a full-row CSV export."""
    layout = Layout(["prenom", "nom", "nir", "date_naissance", "telephone", "email", "adresse", "code_postal",
                     "ville", "groupe_sanguin", "medecin"], headers="en", nir="dotted", phone="intl_compact")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("README.txt", _ZIP_TIME), "\n".join(chatter_lines(rng, 3)) + "\n")
        z.writestr(zipfile.ZipInfo("export/patients.csv", _ZIP_TIME), _csv(layout, rows, rng),
                   compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def csv_gz(rows, rng) -> bytes:
    """A gzipped CSV, mtime 0 so the bytes do not depend on the clock."""
    layout = Layout(["nir", "nom_prenom", "date_naissance", "email", "code_postal", "ville", "notes"],
                    date="iso", nir="key_apart")
    return gzip.compress(_csv(layout, rows, rng).encode("utf-8"), mtime=0)
