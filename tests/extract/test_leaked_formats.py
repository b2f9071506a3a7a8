"""End to end: a registered table leaked as a pg_dump, a text table without delimiters, an xlsx
and an ods is found by `leakwatch scan`, with the right record count and format (real Redis)."""

import datetime
import json
import random

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from leakwatch.matchers.normalize import nir_key

from .workbooks import ods_bytes, xlsx_bytes

runner = CliRunner()
LAST = ["Dupont", "Martin", "Bernard", "Durand", "Lefebvre", "Moreau", "Garnier", "Faure", "Rousseau", "Blanc",
        "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clement", "Gauthier",
        "Le Gall", "N'Diaye", "Da Silva", "Lambert", "Fontaine"]
FIRST = ["Jean", "Marie", "Luc", "Hélène", "Paul", "Zoé", "Moussa", "Camille", "Louis", "Inès", "Hugo", "Léa",
         "Nathan", "Chloé", "Yanis", "Manon", "Anne-Marie", "Jean-Pierre", "Sarah", "Karim"]
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("13005", "Marseille"), ("29200", "Brest"), ("31000", "Toulouse"),
          ("59000", "Lille"), ("33000", "Bordeaux"), ("44000", "Nantes")]


def _people(n: int) -> list[dict]:
    rng = random.Random(61)
    people = []
    for i in range(n):
        born = datetime.date(rng.randint(1935, 2005), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("12")
        postcode, city = rng.choice(CITIES)
        body = f"{sex}{born:%y%m}{postcode[:2]}{rng.randint(1, 999):03d}{i + 1:03d}"
        last, first = rng.choice(LAST), rng.choice(FIRST)
        people.append({
            "nir": body + f"{nir_key(body):02d}", "nom": last, "prenom": first, "ddn": born, "cp": postcode,
            "ville": city, "tel": f"0{rng.choice('67')}{rng.randint(0, 99_999_999):08d}",
            "email": f"{first.lower()[:3]}.{last.lower().replace(' ', '')[:4]}{i}@exemple.fr",
        })
    return people


PEOPLE = _people(120)
COLUMNS = ["nir", "nom", "prenom", "ddn", "cp", "ville", "tel", "email"]


def _spaced(phone: str) -> str:
    return " ".join(phone[i:i + 2] for i in range(0, 10, 2))


def pg_dump(people: list[dict]) -> str:
    lines = []
    for n, p in enumerate(people):
        email = "\\N" if n % 7 == 0 else p["email"]
        lines.append("\t".join([p["nir"], p["nom"], p["prenom"], p["ddn"].isoformat(), p["cp"], p["ville"], p["tel"],
                                email]))
    return ("--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n"
            "CREATE TABLE public.patients (\n    nir character varying(15),\n    nom text,\n    prenom text,\n"
            "    ddn date,\n    cp character(5),\n    ville text,\n    tel text,\n    email text\n);\n\n"
            "COPY public.patients (nir, nom, prenom, ddn, cp, ville, tel, email) FROM stdin;\n"
            + "\n".join(lines) + "\n\\.\n\n"
            "INSERT INTO public.audit (who, what) VALUES ('admin', 'export');\n")


def text_table(people: list[dict]) -> str:
    rows = [f"{p['nom'].upper()} {p['prenom']}  {p['ddn']:%d/%m/%Y}  {_spaced(p['tel'])}  {p['cp']}" for p in people]
    return ("New batch from the lab, no NIR in this one, ask for the full file.\n"
            "Prices in the usual thread.\n\n" + "\n".join(rows) + "\n\nmore tomorrow\n")


def sheet_rows(people: list[dict]) -> list[list]:
    # as kept in a spreadsheet: dates as dates, the NIR typed as a number, phones as text
    return [["NIR", "Nom", "Prénom", "Date de naissance", "CP", "Ville", "Téléphone", "Email"]] + [
        [int(p["nir"]), p["nom"], p["prenom"], p["ddn"], int(p["cp"]), p["ville"], p["tel"], p["email"]]
        for p in people]


def test_a_registered_table_leaked_in_each_new_format_is_found_with_its_record_count(tmp_path, env):
    table = tmp_path / "patients.csv"
    table.write_text(";".join(COLUMNS) + "\n" + "".join(
        ";".join(p[c].isoformat() if c == "ddn" else p[c] for c in COLUMNS) + "\n" for p in PEOPLE), encoding="utf-8")
    registered = runner.invoke(app, ["register", "labo-a", str(table)], env=env, catch_exceptions=False)
    assert registered.exit_code == 0, registered.output

    leaks = {  # file -> (bytes, expected format, records leaked, rows read)
        "dump.sql": (pg_dump(PEOPLE[:80]).encode(), "pg_copy", 80, 81),  # and the INSERT's row
        "paste.txt": (text_table(PEOPLE[30:80]).encode(), "text", 50, 53),  # and three lines of chatter
        "export.xlsx": (xlsx_bytes({"Patients": sheet_rows(PEOPLE[10:70]), "Notes": [["rien"]]}), "xlsx", 60, 61),
        "export.ods": (ods_bytes({"Feuille1": sheet_rows(PEOPLE[70:110])}), "ods", 40, 40),
    }
    for name, (data, *_) in leaks.items():
        (tmp_path / name).write_bytes(data)
    result = runner.invoke(app, ["scan", *(str(tmp_path / name) for name in leaks), "--json"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 1, result.output
    reports = {r["file"].rsplit("/", 1)[-1]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(reports) == set(leaks)
    for name, (_, fmt, count, rows) in leaks.items():
        report = reports[name]
        assert report["error"] is None, (name, report["error"])
        assert (report["format"], report["rows"]) == (fmt, rows), name
        (match,) = report["matches"]
        assert (match["institution"], match["records"]) == ("labo-a", count), (name, match)
    assert {"name", "date", "phone", "postcode"} <= set(reports["paste.txt"]["matches"][0]["fields"])
    assert "nir" in reports["export.xlsx"]["matches"][0]["matched_on"]
    sheets = [d["name"].rsplit("/", 1)[-1] for d in reports["export.xlsx"]["documents"]]
    assert sheets == ["export.xlsx!Patients", "export.xlsx!Notes"]
