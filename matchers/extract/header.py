"""Is the first row of a table a header (labels) or already data (values)?"""

import re
import unicodedata

# A label starts with a letter and is short; values such as "05/12/1961", "0610012046" or
# "jean@x.fr" fail this at once.
# "N° SS", "Nº dossier": the degree and ordinal signs are how French writes "number".
_LABEL = re.compile(r"[^\W\d_][\w .()#/'&+°º-]{0,62}")
_WORD = re.compile(r"[a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

# Words seen in column names of personal-data tables (English and French, accents removed).
KNOWN_WORDS = frozenset("""
    id uid uuid key num no nr numero number code
    name names nom noms prenom prenoms first last firstname lastname surname given family fullname middle
    maiden civilite civility title sexe sex gender genre age
    email mail emails courriel login user username userid pseudo nickname account compte
    password passwd pass pwd hash salt token
    phone tel telephone mobile portable fax cell gsm
    address adresse addr street rue voie city ville commune town zip zipcode postcode postal cp
    country pays region departement dept state province
    birth birthdate birthday naissance dob ddn date born lieu place
    nir ssn insee secu securite sociale nss ipp iban bic rib card carte
    created updated modified inscription registered last_login ip status statut role
    service medecin doctor patient hopital hospital etablissement laboratoire lab analyse resultat
""".split())


def _words(cell: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", _CAMEL.sub(" ", cell))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return _WORD.findall(plain)


def header_words(cell: str) -> list[str]:
    """The words of a column name, accents folded, camelCase and snake_case split."""
    return _words(cell)


def names_a_column(cell: str) -> bool:
    """A cell with a word of KNOWN_WORDS in it ("Date de naissance", "lastName")."""
    return any(w in KNOWN_WORDS for w in _words(cell))


def is_label(cell: str) -> bool:
    return bool(_LABEL.fullmatch(cell.strip()))


def _value_like(cell: str) -> bool:
    return any(ch.isdigit() for ch in cell) or "@" in cell


def looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """True if every cell of ``first`` is a label and something says so: a known column word,
    a code-style name (first_name, lastName), or a column of values under a label.

    Empty cells at the end name nothing (a line ending with its delimiter, a sheet whose used
    range is wider than its table); one inside is a column without a name (pandas writes its
    index so). The labels must still be at least two and half of the row: a title row
    ("Export du 12/03;;;") is not a header."""
    cells = [c.strip() for c in first]
    while cells and not cells[-1]:
        cells.pop()
    labels = [(j, c) for j, c in enumerate(cells) if c]
    if not labels or not all(is_label(c) for _, c in labels):
        return False
    if len(labels) < len(cells) and (len(labels) < 2 or 2 * len(labels) < len(cells)):
        return False
    if len({c.lower() for _, c in labels}) < len(labels):
        return False  # a header rarely repeats a name; data rows ("Paris;Paris") do
    if any(names_a_column(c) for _, c in labels):
        return True
    if len(labels) > 1 and all("_" in c or _CAMEL.search(c) for _, c in labels):
        return True
    for j, _ in labels:
        column = [row[j] for row in rest if j < len(row) and row[j].strip()]
        if column and sum(map(_value_like, column)) >= 0.5 * len(column):
            return True
    return False
