"""Synthetic French patients: institutions' tables, strangers and namesakes.

Unique values (NIR, phone, e-mail) and identities (first name + last name + birth date) are
unique across everyone one `Population` makes, and across the rows it was told to exclude.
That is what keeps the ground truth exact: a value in a leak belongs to one person only,
except for the namesakes made on purpose.
"""

import itertools
import random
import unicodedata
from dataclasses import dataclass, field

from . import pools

COLUMNS = ["nir", "nom", "prenom", "date_naissance", "sexe", "groupe_sanguin", "adresse",
           "code_postal", "ville", "telephone", "email", "medecin", "notes"]
EMAIL_SHARE = 0.70    # the brief: about 70 % of patients gave an e-mail address
NOTES_SHARE = 0.40    # most notes are empty, as in a real lab table


@dataclass
class Institution:
    name: str
    rows: list = field(default_factory=list)
    department: str = ""      # where the lab is: most of its patients live there


def nir_key(nir13: str) -> str:
    """The NIR check key: 97 - (number mod 97); Corsica's 2A/2B count as 19/18."""
    number = int(nir13.replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


def fold(text: str) -> str:
    """Accents stripped: é -> e, ï -> i (what a careless export or an e-mail does)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _weighted(pairs):
    values = [v for v, _ in pairs]
    return values, list(itertools.accumulate(w for _, w in pairs))


def pick(rng: random.Random, table):
    """One value of a (values, cumulative weights) table."""
    return rng.choices(table[0], cum_weights=table[1])[0]


_MALE = _weighted(pools.with_tail(pools.MALE_FIRST, pools.MALE_TAIL, pools.GIVEN_TAIL_SHARE))
_FEMALE = _weighted(pools.with_tail(pools.FEMALE_FIRST, pools.FEMALE_TAIL, pools.GIVEN_TAIL_SHARE))
_LAST = _weighted(pools.with_tail(pools.LAST, pools.SURNAME_TAIL, pools.SURNAME_TAIL_SHARE))
_BLOOD, _PROVIDERS = _weighted(pools.BLOOD_GROUPS), _weighted(pools.EMAIL_PROVIDERS)
# Birth years: a broad adult-heavy spread, fewer children and centenarians, like lab patients.
_YEARS = _weighted([(y, 1 if y < 1940 or y > 2005 else 3) for y in range(1928, 2019)])


class Population:
    """Makes people whose unique values never collide with anyone made or excluded before."""

    def __init__(self, rng: random.Random, exclude=()):
        self.rng = rng
        self.nirs, self.phones, self.emails, self.identities = set(), set(), set(), set()
        for row in exclude:
            self.reserve(row)

    def reserve(self, row: dict) -> None:
        self.nirs.add(row["nir"])
        self.phones.add(row["telephone"])
        if row["email"]:
            self.emails.add(row["email"])
        self.identities.add(identity(row))

    def person(self, department: str, doctors: list, same_as: dict | None = None) -> dict:
        """A new person living mostly in `department`; `same_as` makes a namesake of that row."""
        rng = self.rng
        if same_as:
            sex = "1" if same_as["sexe"] == "M" else "2"
            prenom, nom, dob = same_as["prenom"], same_as["nom"], same_as["date_naissance"]
        else:
            sex, prenom, nom, dob = self._identity()
        dep = self._residence(department)
        city, postcode, _ = rng.choice(pools.DEPARTMENTS[dep][1])
        row = {
            "nir": self._nir(sex, dob, dep), "nom": nom, "prenom": prenom, "date_naissance": dob,
            "sexe": "M" if sex == "1" else "F",
            "groupe_sanguin": pick(rng, _BLOOD),
            "adresse": f"{rng.randint(1, 150)} {rng.choice(pools.STREET_TYPES)} {rng.choice(pools.STREETS)}",
            "code_postal": postcode, "ville": city,
            "telephone": self._phone(dep),
            "email": self._email(prenom, nom, dob) if rng.random() < EMAIL_SHARE else "",
            "medecin": rng.choice(doctors),
            "notes": rng.choice(pools.NOTES) if rng.random() < NOTES_SHARE else "",
        }
        self.reserve(row)
        return row

    def _identity(self):
        rng = self.rng
        while True:
            sex = rng.choice("12")
            prenom = pick(rng, _MALE if sex == "1" else _FEMALE)
            nom = pick(rng, _LAST)
            year, month = pick(rng, _YEARS), rng.randint(1, 12)
            dob = f"{year}-{month:02d}-{rng.randint(1, 28 if month == 2 else 30):02d}"
            if (prenom, nom, dob) not in self.identities:
                return sex, prenom, nom, dob

    def _residence(self, department: str) -> str:
        # Mostly the lab's own department; some people live in the big cities every lab
        # serves, and a few anywhere: cities and postcodes overlap across labs on purpose.
        r = self.rng.random()
        if r < 0.80:
            return department
        if r < 0.92:
            return self.rng.choice(pools.BIG_CITY_DEPARTMENTS)
        return self.rng.choice(list(pools.DEPARTMENTS))

    def _birthplace(self, residence: str) -> str:
        """Department + commune of birth, as the NIR writes them (5 characters)."""
        rng, r = self.rng, self.rng.random()
        if r < 0.60:
            dep = residence
        elif r < 0.85:
            dep = rng.choice(list(pools.DEPARTMENTS))     # includes 2A, 2B, 971, 974
        elif r < 0.95:
            dep = f"{rng.choice([d for d in range(1, 96) if d != 20]):02d}"
            return dep + f"{rng.randint(1, 600):03d}"
        else:
            return "99" + rng.choice(pools.ABROAD_COUNTRIES)
        return dep + rng.choice(pools.DEPARTMENTS[dep][1])[2]

    def _nir(self, sex: str, dob: str, residence: str) -> str:
        head = sex + dob[2:4] + dob[5:7]
        while True:
            nir13 = head + self._birthplace(residence) + f"{self.rng.randint(1, 999):03d}"
            nir = nir13 + nir_key(nir13)
            if nir not in self.nirs:
                return nir

    def _phone(self, dep: str) -> str:
        rng, r = self.rng, self.rng.random()
        prefix = rng.choice(["06", "07"]) if r < 0.6 else pools.DEPARTMENTS[dep][0] if r < 0.9 else "09"
        while True:
            digits = prefix + f"{rng.randint(0, 99_999_999):08d}"
            phone = " ".join(digits[i:i + 2] for i in range(0, 10, 2))
            if phone not in self.phones:
                return phone

    def _email(self, prenom: str, nom: str, dob: str) -> str:
        rng = self.rng
        p = fold(prenom).lower().replace(" ", "")
        n = fold(nom).lower().replace(" ", "").replace("'", "")
        local = rng.choice([f"{p}.{n}", f"{p}.{n}", f"{p}{n}", f"{p[0]}.{n}", f"{n}.{p}",
                            f"{p}.{n}{dob[2:4]}", f"{p}_{n}", f"{p[0]}{n}{dob[2:4]}"])
        domain = pick(rng, _PROVIDERS)
        email, n_try = f"{local}@{domain}", 1
        # Common names collide (marie.martin@gmail.com): add a number, as providers make users do.
        while email in self.emails:
            n_try += 1
            email = f"{local}{rng.randint(1, 99) if n_try < 5 else n_try}@{domain}"
        return email


def identity(row: dict) -> tuple:
    return (row["prenom"], row["nom"], row["date_naissance"])


def _doctors(rng: random.Random, k: int = 8) -> list:
    # A lab sees the prescriptions of a handful of local doctors.
    return [f"Dr {pick(rng, _LAST)}" for _ in range(k)]


def iter_institution_rows(n: int, rows: int, seed):
    """(institution name, department, row) for n labs in order; make_lab_file streams this."""
    pop = Population(random.Random(f"{seed}:institutions"))
    for i in range(n):
        dep = pools.LAB_DEPARTMENTS[i % len(pools.LAB_DEPARTMENTS)]
        doctors = _doctors(pop.rng)
        for _ in range(rows):
            yield f"labo-{i + 1:02d}", dep, pop.person(dep, doctors)


def make_institutions(n: int = 30, rows: int = 2000, seed=2021) -> list:
    """n labs of `rows` distinct patients each; no person is in two labs."""
    by_name = {}
    for name, dep, row in iter_institution_rows(n, rows, seed):
        by_name.setdefault(name, Institution(name, department=dep)).rows.append(row)
    return list(by_name.values())


def _all_rows(institutions):
    return (row for inst in institutions for row in inst.rows)


def make_strangers(n: int, seed, exclude=()) -> list:
    """Unregistered people from the same distributions. Pass the registered institutions
    (or rows) as `exclude`, else a stranger's phone or e-mail may collide with theirs."""
    rows = list(_all_rows(exclude)) if exclude and isinstance(exclude[0], Institution) else exclude
    pop = Population(random.Random(f"{seed}:strangers"), rows)
    doctors = _doctors(pop.rng, 40)
    # Strangers live where the labs are, in the same proportions: hard negatives.
    return [pop.person(pop.rng.choice(pools.LAB_DEPARTMENTS), doctors) for _ in range(n)]


def make_namesakes(people, seed, exclude=()) -> list:
    """For each person, a stranger with the same first name, last name, sex and birth date,
    living in another department (so another postcode and city), with their own NIR,
    phone and e-mail. `exclude` as in make_strangers; `people` are always excluded."""
    rows = list(_all_rows(exclude)) if exclude and isinstance(exclude[0], Institution) else list(exclude)
    pop = Population(random.Random(f"{seed}:namesakes"), rows + list(people))
    doctors = _doctors(pop.rng, 40)
    out = []
    for person in people:
        while True:
            row = pop.person(pop.rng.choice(list(pools.DEPARTMENTS)), doctors, same_as=person)
            if row["code_postal"][:2] != person["code_postal"][:2] and row["ville"] != person["ville"]:
                break
            # Same department: throw it away, but keep its values reserved (harmless).
        out.append(row)
    return out
