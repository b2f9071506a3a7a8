"""How a leaked copy differs from the institution's table: headers, formats, case, typos.

A `Layout` says which logical fields a leak has and how each is written; `render` turns
one person (a row dict of people.COLUMNS) into the cells of one leaked line.
"""

import random
from dataclasses import dataclass

from . import pools
from .people import fold

DATE_FORMATS = ["dmy_slash", "iso", "dmy_dash", "words", "abbr"]
PHONE_FORMATS = ["spaced", "compact", "dotted", "intl_spaced", "intl_compact", "intl_00", "dashed"]
NIR_FORMATS = ["plain", "spaced", "dotted", "key_apart"]

# Logical fields beyond the table's own columns: merged names and the birth year alone.
HEADERS = {
    "fr": {"nir": "nir", "nom": "nom", "prenom": "prenom", "prenom_nom": "patient",
           "nom_prenom": "nom_prenom", "date_naissance": "date_naissance", "annee_naissance": "annee",
           "sexe": "sexe", "groupe_sanguin": "groupe_sanguin", "adresse": "adresse",
           "code_postal": "code_postal", "ville": "ville", "telephone": "telephone", "email": "email",
           "medecin": "medecin", "notes": "notes"},
    "en": {"nir": "ssn", "nom": "last_name", "prenom": "first_name", "prenom_nom": "full_name",
           "nom_prenom": "name", "date_naissance": "dob", "annee_naissance": "birth_year",
           "sexe": "gender", "groupe_sanguin": "blood_type", "adresse": "street", "code_postal": "zip",
           "ville": "city", "telephone": "phone", "email": "mail", "medecin": "doctor",
           "notes": "comments"},
    "abbr": {"nir": "NIR", "nom": "NOM", "prenom": "PRN", "prenom_nom": "PATIENT",
             "nom_prenom": "NOM_PRN", "date_naissance": "DDN", "annee_naissance": "AN", "sexe": "SX",
             "groupe_sanguin": "GRP", "adresse": "ADR", "code_postal": "CP", "ville": "VIL",
             "telephone": "TEL", "email": "MEL", "medecin": "MED", "notes": "OBS"},
    # Headers as a broken export writes them: mojibake, pandas' "Unnamed", typos.
    "garbled": {"nir": "n_i_r", "nom": "NOM_", "prenom": "prÃ©nom", "prenom_nom": "pat1ent",
                "nom_prenom": "nm/prnm", "date_naissance": "dt_nais", "annee_naissance": "Unnamed: 3",
                "sexe": "Unnamed: 4", "groupe_sanguin": "grp sg", "adresse": "adr1",
                "code_postal": "c.p.", "ville": "vlle", "telephone": "tÃ©l", "email": "e-mail ",
                "medecin": "mÃ©decin", "notes": "Unnamed: 12"},
}
_TEXT_FIELDS = {"nom", "prenom", "prenom_nom", "nom_prenom", "adresse", "ville", "medecin", "notes",
                "date_naissance"}


@dataclass
class Layout:
    fields: list
    headers: str | None = "fr"     # a key of HEADERS; None: no header line
    date: str = "iso"              # a DATE_FORMATS entry or "mixed" (one per row)
    phone: str = "spaced"          # a PHONE_FORMATS entry or "mixed"
    nir: str = "plain"             # a NIR_FORMATS entry or "mixed"
    case: str = "asis"             # "asis", "upper" (all text), "lower"
    accents: bool = True           # False: accents stripped from every text cell
    noise: float = 0.0             # share of cells with stray whitespace


def header(layout: Layout) -> list:
    return [HEADERS[layout.headers][f] for f in layout.fields]


def render(row: dict, layout: Layout, rng: random.Random) -> list:
    date = rng.choice(DATE_FORMATS) if layout.date == "mixed" else layout.date
    phone = rng.choice(PHONE_FORMATS) if layout.phone == "mixed" else layout.phone
    nir = rng.choice(NIR_FORMATS) if layout.nir == "mixed" else layout.nir
    cells = []
    for f in layout.fields:
        if f == "nir":
            value = format_nir(row["nir"], nir)
        elif f == "prenom_nom":
            value = f"{row['prenom']} {row['nom'].upper()}"
        elif f == "nom_prenom":
            value = f"{row['nom'].upper()} {row['prenom']}"
        elif f == "date_naissance":
            value = format_date(row["date_naissance"], date)
        elif f == "annee_naissance":
            value = row["date_naissance"][:4]
        elif f == "telephone":
            value = format_phone(row["telephone"], phone)
        else:
            value = row[f]
        if f in _TEXT_FIELDS:
            value = value.upper() if layout.case == "upper" else value.lower() if layout.case == "lower" else value
            value = value if layout.accents else fold(value)
        if value and rng.random() < layout.noise:
            value = whitespace_noise(value, rng)
        cells.append(value)
    return cells


def format_date(iso: str, fmt: str) -> str:
    y, m, d = iso.split("-")
    if fmt == "iso":
        return iso
    if fmt == "dmy_slash":
        return f"{d}/{m}/{y}"
    if fmt == "dmy_dash":
        return f"{d}-{m}-{y}"
    if fmt == "words":        # "5 décembre 1961"
        return f"{int(d)} {pools.MONTHS_FR[int(m) - 1]} {y}"
    if fmt == "abbr":         # "5 dec. 1961", as typed on a keyboard without accents
        return f"{int(d)} {fold(pools.MONTHS_FR_ABBR[int(m) - 1])} {y}"
    raise ValueError(f"unknown date format {fmt!r}; use one of {DATE_FORMATS}")


def format_phone(phone: str, fmt: str) -> str:
    digits = phone.replace(" ", "")
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    rest = " ".join(pairs[1:])
    if fmt == "spaced":
        return " ".join(pairs)
    if fmt == "compact":
        return digits
    if fmt == "dotted":
        return ".".join(pairs)
    if fmt == "dashed":
        return "-".join(pairs)
    if fmt == "intl_spaced":
        return f"+33 {digits[1]} {rest}"
    if fmt == "intl_compact":
        return "+33" + digits[1:]
    if fmt == "intl_00":
        return f"0033 {digits[1]} {rest}"
    raise ValueError(f"unknown phone format {fmt!r}; use one of {PHONE_FORMATS}")


def format_nir(nir: str, fmt: str) -> str:
    # sex, year, month, department, commune, order, key: "1 61 12 75 123 456 78"
    parts = [nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]]
    if fmt == "plain":
        return nir
    if fmt == "spaced":
        return " ".join(parts)
    if fmt == "dotted":
        return ".".join(parts)
    if fmt == "key_apart":
        return f"{nir[:13]} {nir[13:]}"
    raise ValueError(f"unknown NIR format {fmt!r}; use one of {NIR_FORMATS}")


def whitespace_noise(value: str, rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"  {value}"
    if kind == 1:
        return f"{value} \t"
    return value.replace(" ", "  ", 1) if " " in value else f" {value} "


def typo(value: str, rng: random.Random) -> str:
    """One character substituted, deleted, or two neighbours transposed; never a no-op."""
    for _ in range(20):
        i = rng.randrange(len(value))
        kind = rng.randrange(3) if len(value) > 1 else 0
        if kind == 0:
            pool = "0123456789" if value[i].isdigit() else "abcdefghijklmnopqrstuvwxyz"
            out = value[:i] + rng.choice(pool) + value[i + 1:]
        elif kind == 1:
            out = value[:i] + value[i + 1:]
        else:
            i = min(i, len(value) - 2)
            out = value[:i] + value[i + 1] + value[i] + value[i + 2:]
        if out != value:
            return out
    return value + "x"
