"""A lab-scale world: 30 labs, each in its own region, their registered patients, and strangers
of the same population, deterministic from a seed.

    world = build_world(500_000, seed=2021)
    world.registered(100_000)   # {lab name: [Person, ...]}: a prefix of each lab's patients
    write_lab_table(path, world.registered(10_000)["labo-01"], world.labs[0].style)

What makes it hard, on purpose, as the 2021 file of ~30 labs was:
- a lab's patients live in a few dozen postcodes around it, and towns are shared by the two
  labs of one department; several communes may share a postcode;
- a lab samples many patients on each of a few hundred days, so a sampling date is shared by
  dozens of its patients and by strangers of its towns sampled the same day;
- doctors ("Dr X" in some labs, plain "Prénom NOM" in others), towns ("Saint-Martin-sur-Loire"),
  streets ("rue Victor Hugo") and exams are written next to patients' names;
- surnames have a head of common names and a long tail, first names a head per era: namesakes
  happen by themselves, and at 500,000 people many share a name and a birth date;
- households: twins (same birth date, surname, address), families sharing a landline.

Registries of several sizes are nested: the registry of size N holds the first n_i(N) patients
of each lab i, n_i(N) proportional to the lab's share. Strangers are never registered.
"""

import bisect
import csv
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

from . import labnames as N
from . import pools
from .distort import format_nir, format_phone
from .people import fold, nir_key

# The 16 columns of a lab export, and the validation date some labs add as a 17th.
COLUMNS = ["nir", "nom", "prenom", "date_naissance", "sexe", "groupe_sanguin", "adresse", "code_postal", "ville",
           "telephone", "email", "medecin", "mutuelle", "examen", "date_prelevement", "commentaire"]
VALIDATION = "date_validation"
# One bit per column: a person's cells the lab's export leaves empty (Person.blank).
BLANK_BIT = {c: 1 << i for i, c in enumerate(COLUMNS + [VALIDATION])}
# The 2021 file came from about thirty labs.
INSTITUTIONS = 30
# Lab sizes are uneven, as in the 2021 file: lognormal weights with this sigma give a
# largest lab about 10x the smallest one.
LAB_SIZE_SIGMA = 0.6
TRAILING_DELIMITER = 0.25  # labs whose export ends each line with its delimiter
# Communes per department (its main towns from pools.DEPARTMENTS plus composed ones), and
# how many postcodes a lab's patients live in: "a few dozen".
COMMUNES_PER_DEPARTMENT = 70
REGION_POSTCODES = (25, 45)
# Share of a postcode that is shared by two or three communes (common in rural France): then
# the town column is not a function of the postcode column.
SHARED_POSTCODE = 0.3
# Share of a lab's patients who live in another lab's region (they moved, they work there).
OUTSIDE_REGION = 0.06
# Sampling days: weekdays and Saturdays in the last ~2.7 years before the file leaked.
FIRST_DAY, LAST_DAY = dt.date(2018, 6, 1), dt.date(2021, 2, 19)
# Distinct sampling days of a lab: one per ~40 patients of its full table, within these
# bounds: "a few hundred" days, dozens of patients a day in a big lab.
PATIENTS_PER_DAY, MIN_DAYS, MAX_DAYS = 40, 120, 450
DOCTORS = (10, 30)             # a lab gets the prescriptions of 10 to 30 local doctors
INSURERS_PER_LAB = (6, 12)     # of the dozen insurers, those of the lab's patients
# Lab patients skew older: age (in 2021) by decade, in percent.
AGE_DECADES = (4, 4, 8, 11, 12, 15, 18, 16, 10, 2)
FEMALE = 0.53                  # women are tested more (pregnancy follow-up, longer lives)
# Households. A patient lives alone or with people who may be patients too:
CO_REGISTERED = 0.06   # another member of the household is a patient of the same lab
TWIN = 0.02            # has a twin; the twin is a patient too with TWIN_REGISTERED, else a relative
TWIN_REGISTERED = 0.4  # twins often come to be sampled together
FAMILY_PHONE = 0.12    # shares the household's landline with a relative who is not a patient
LANDLINE = 0.45        # households with a landline
USES_LANDLINE = 0.5    # of those, members who give it as their phone
EMAIL_SHARE = 0.68     # about two patients in three gave an e-mail address
# Empty cells per column, as a lab export has them (blood group often unknown, e-mail often
# not asked, many comments empty: those are in COMMENT_SHARE and EMAIL_SHARE).
MISSING = {"nir": 0.015, "nom": 0.002, "prenom": 0.004, "date_naissance": 0.005, "sexe": 0.01,
           "groupe_sanguin": 0.25, "adresse": 0.03, "code_postal": 0.015, "ville": 0.015, "telephone": 0.05,
           "email": 0.0, "medecin": 0.08, "mutuelle": 0.12, "examen": 0.01, "date_prelevement": 0.005,
           "commentaire": 0.0}
# Birthplaces in the NIR: the lab's department, another department, Corsica, overseas, abroad.
BORN_HERE, BORN_ELSEWHERE, BORN_ABROAD = 0.55, 0.40, 0.05


@dataclass(slots=True)
class Commune:
    name: str
    postcode: str
    insee: str        # the commune's number in the NIR of people born there (3 digits, 2 overseas)
    department: str


@dataclass(slots=True)
class Person:
    pid: int
    lab: int            # the lab whose region the person lives in (whose patient, if registered)
    pos: int            # position in that lab's patients; -1: never registered
    nir: str
    nom: str
    prenom: str
    date_naissance: str  # ISO
    sexe: str            # "M" / "F"
    groupe_sanguin: str
    adresse: str
    code_postal: str
    ville: str
    telephone: str       # "06 10 01 20 46"
    email: str
    medecin: str
    mutuelle: str
    examen: str
    date_prelevement: str  # ISO
    commentaire: str
    date_validation: str   # ISO
    household: int
    blank: int = 0         # bits (BLANK_BIT) of the cells the lab's export leaves empty
    kind: str = "patient"  # patient, stranger, twin, family (relatives), or a hard negative's kind
    of: int = -1           # for a relative or a hard negative: the pid of the person it mirrors

    def cells(self) -> dict:
        """The values as exported: empty where the export leaves them empty."""
        return {c: "" if self.blank & BLANK_BIT[c] else getattr(self, c) for c in COLUMNS + [VALIDATION]}


@dataclass
class Style:
    """How one lab writes its export: what a leaked copy of its table looks like."""
    delimiter: str = ";"
    encoding: str = "utf-8"
    headers: str = "fr"
    order: list = field(default_factory=lambda: list(COLUMNS))   # includes VALIDATION when exported
    birth_date: str = "dmy_slash"
    sampling_date: str = "dmy_slash"
    upper_surname: bool = True
    phone: str = "spaced"
    nir: str = "plain"
    sex: tuple = ("M", "F")
    blood: str = "plain"
    quote_all: bool = False
    # Each line ends with the delimiter (an empty last column), as many exports write them.
    trailing_delimiter: bool = False


@dataclass
class Lab:
    index: int
    name: str
    department: str
    region: list          # [(Commune, cumulative weight)]
    days: list            # ISO sampling days, sorted
    doctors: list
    doctor_cum: list
    insurers: list
    style: Style
    full_size: int = 0


# Header names as different lab software writes them: plain, accented French, abbreviated, a
# vendor's own, English. Values, not headers, tell leakwatch what a column holds.
HEADERS = {
    "fr": dict(zip(COLUMNS + [VALIDATION], COLUMNS + [VALIDATION])),
    "fr_accents": dict(zip(COLUMNS + [VALIDATION], [
        "N° SS", "Nom", "Prénom", "Date de naissance", "Sexe", "Groupe sanguin", "Adresse", "Code postal", "Ville",
        "Téléphone", "E-mail", "Médecin prescripteur", "Mutuelle", "Examen", "Date prélèvement", "Commentaire",
        "Date validation"])),
    "abbr": dict(zip(COLUMNS + [VALIDATION], [
        "NIR", "NOM", "PRENOM", "DDN", "SEXE", "GS", "ADR", "CP", "VILLE", "TEL", "MAIL", "MED", "MUT", "EXAM",
        "DPREL", "COMM", "DVAL"])),
    "soft": dict(zip(COLUMNS + [VALIDATION], [
        "num_secu", "nom_patient", "prenom_patient", "date_nais", "sexe", "grp_sang", "adresse1", "cp", "commune",
        "tel1", "email", "medecin_presc", "organisme", "acte", "date_prlvt", "observations", "date_valid"])),
    "en": dict(zip(COLUMNS + [VALIDATION], [
        "ssn", "last_name", "first_name", "dob", "gender", "blood_type", "street", "zip", "city", "phone", "mail",
        "doctor", "insurer", "test", "sampled_on", "notes", "validated_on"])),
}
# How labs code sex; M/F twice: the most common.
SEX_CODES = (("M", "F"), ("H", "F"), ("1", "2"), ("Homme", "Femme"), ("M", "F"))


# --- geography -------------------------------------------------------------------------------

def _postcode_prefix(department: str) -> str:
    return {"2A": "20", "2B": "20"}.get(department, department)


def _communes(department: str, rng: random.Random) -> list:
    """The department's real towns of pools.DEPARTMENTS, then composed ones, each with a postcode."""
    if department == "75":
        # Paris is one town of 20 postcodes (its arrondissements, INSEE communes 101-120).
        return [Commune("Paris", f"750{k:02d}", f"1{k:02d}", "75") for k in range(1, 21)]
    real = [Commune(name, postcode, insee, department) for name, postcode, insee in pools.DEPARTMENTS[department][1]]
    names = {c.name for c in real}
    postcodes = [c.postcode for c in real]
    inseen = {c.insee for c in real}
    prefix = _postcode_prefix(department)
    overseas = len(department) == 3
    out = list(real)
    while len(out) < COMMUNES_PER_DEPARTMENT:
        name = _town_name(rng)
        if name in names:
            continue
        names.add(name)
        if overseas:
            free = [prefix + f"{k:02d}" for k in range(10, 100, 10)]
        elif department in ("2A", "2B"):
            free = [prefix + f"{k:03d}" for k in (range(0, 200, 10) if department == "2A" else range(200, 300, 10))]
        else:
            free = [prefix + f"{k:03d}" for k in range(100, 1000, 10)]
        free = [p for p in free if p not in postcodes]
        if not free or (postcodes and rng.random() < SHARED_POSTCODE):
            postcode = rng.choice(postcodes)
        else:
            postcode = rng.choice(free)
            postcodes.append(postcode)
        while True:
            insee = f"{rng.randint(1, 99):02d}" if overseas else f"{rng.randint(1, 700):03d}"
            if insee not in inseen:
                inseen.add(insee)
                break
        out.append(Commune(name, postcode, insee, department))
    return out


def _town_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        saint = (f"Saint-{rng.choice(N.TOWN_SAINTS)}" if rng.random() < 0.8
                 else f"Sainte-{rng.choice(N.TOWN_SAINTES)}")
        return saint + rng.choice(["", "", f"-sur-{rng.choice(N.TOWN_RIVERS)}",
                                   f"-de-{rng.choice(N.TOWN_ROOTS)}", f"-en-{rng.choice(N.TOWN_PAYS)}"])
    root = rng.choice(N.TOWN_ROOTS)
    if r < 0.45:
        return f"{root}-sur-{rng.choice(N.TOWN_RIVERS)}"
    if r < 0.55:
        return f"{root}-{rng.choice(['les-Bains', 'le-Château', 'la-Forêt', 'le-Grand', 'le-Petit'])}"
    if r < 0.65:
        return f"{root}-en-{rng.choice(N.TOWN_PAYS)}"
    if r < 0.75:
        return f"{rng.choice(['Le', 'La'])} {root}"
    return root


# --- the world ------------------------------------------------------------------------------

def apportion(total: int, weights: list, caps: list | None = None) -> list:
    """Integers proportional to weights summing to total (largest remainder), each at most its cap."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    out = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: out[i] - exact[i])[: total - sum(out)]:
        out[i] += 1
    if caps is not None:
        out = [min(n, c) for n, c in zip(out, caps)]
        short = total - sum(out)
        for i in itertools.cycle(range(len(out))):
            if short <= 0 or sum(caps) <= sum(out):
                break
            if out[i] < caps[i]:
                out[i] += 1
                short -= 1
    return out


class World:
    """The labs, their patients in order (registered prefixes), strangers and relatives."""

    def __init__(self, size: int, seed, strangers: int):
        self.seed = seed
        self.size = size
        rng = random.Random(f"{seed}:labworld")
        self.rng = rng
        self.surnames = N.Surnames()
        self.first_names = N.FirstNames()
        self._blood = ([b for b, _ in N.BLOOD_GROUPS], list(itertools.accumulate(w for _, w in N.BLOOD_GROUPS)))
        self._providers = ([p for p, _ in N.EMAIL_PROVIDERS],
                           list(itertools.accumulate(w for _, w in N.EMAIL_PROVIDERS)))
        self._ages = list(itertools.accumulate(AGE_DECADES))
        self.nirs, self.phones, self.emails = set(), set(), set()
        self.people = []          # every person, by pid
        self.households = 0
        departments = list(pools.DEPARTMENTS)
        self.communes = {d: _communes(d, random.Random(f"{seed}:communes:{d}")) for d in departments}
        weights = [rng.lognormvariate(0, LAB_SIZE_SIGMA) for _ in range(INSTITUTIONS)]
        self.weights = weights
        sizes = apportion(size, weights)
        self.labs = [self._lab(i, pools.LAB_DEPARTMENTS[i % len(pools.LAB_DEPARTMENTS)], n, rng)
                     for i, n in enumerate(sizes)]
        self.patients = [[] for _ in self.labs]     # per lab, in registration order
        self.relatives = {"twin": [], "family": []}
        for lab in self.labs:
            self._fill(lab)
        self.strangers = self._strangers(strangers)

    # -- labs
    def _lab(self, i: int, department: str, full_size: int, rng: random.Random) -> Lab:
        communes = self.communes[department]
        postcodes = sorted({c.postcode for c in communes})
        # The department's main towns (first in the list) are in every lab's region there.
        chosen = set(rng.sample(postcodes, min(len(postcodes), rng.randint(*REGION_POSTCODES))))
        chosen.add(communes[0].postcode)
        region = [c for c in communes if c.postcode in chosen]
        rng.shuffle(region)
        region.sort(key=lambda c: c not in communes[:3])     # main towns first: the most patients
        cum = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(len(region))))
        n_days = min(MAX_DAYS, max(MIN_DAYS, full_size // PATIENTS_PER_DAY))
        all_days = [FIRST_DAY + dt.timedelta(d) for d in range((LAST_DAY - FIRST_DAY).days + 1)]
        open_days = [d for d in all_days if d.weekday() < 6]
        days = sorted(d.isoformat() for d in rng.sample(open_days, min(n_days, len(open_days))))
        n_doctors = rng.randint(*DOCTORS)
        doctor_style = rng.choice(["dr", "dr", "plain", "plain_upper", "dr_full"])
        doctors = []
        while len(doctors) < n_doctors:
            sex = rng.choice("MF")
            nom = self.surnames.draw(rng, i)
            prenom = self.first_names.draw(rng, sex, rng.randint(1950, 1990))
            doctor = {"dr": f"Dr {nom}", "dr_full": f"Dr {prenom} {nom}", "plain": f"{prenom} {nom}",
                      "plain_upper": f"{nom.upper()} {prenom}"}[doctor_style]
            if doctor not in doctors:
                doctors.append(doctor)
        doctor_cum = list(itertools.accumulate(1 / (k + 1) ** 0.7 for k in range(n_doctors)))
        insurers = rng.sample(N.INSURERS, rng.randint(*INSURERS_PER_LAB))
        order = list(COLUMNS)
        if rng.random() < 0.5:
            rng.shuffle(order)
        if rng.random() < 0.3:                           # some labs export the validation date
            order.insert(rng.randint(0, len(order)), VALIDATION)
        birth = rng.choice(["dmy_slash", "dmy_slash", "iso", "dmy_dash", "dmy_dot", "compact"])
        style = Style(
            delimiter=rng.choice([";", ";", ",", "\t", "|"]),
            encoding=rng.choice(["utf-8", "utf-8", "utf-8-sig", "latin-1"]),
            headers=rng.choice(list(HEADERS)), order=order, birth_date=birth,
            sampling_date=rng.choice([birth, birth, birth + "_time"]) if birth != "compact" else "iso",
            upper_surname=rng.random() < 0.6, phone=rng.choice(["spaced", "dotted", "compact", "intl_spaced"]),
            nir=rng.choice(["plain", "plain", "spaced"]), sex=rng.choice(SEX_CODES),
            blood=rng.choice(["plain", "plain", "rh", "pos"]), quote_all=rng.random() < 0.2,
            # drawn apart: the world's draws, and so its labs and people, stay those of before
            trailing_delimiter=random.Random(f"{self.seed}:trailing:{i}").random() < TRAILING_DELIMITER)
        return Lab(i, f"labo-{i + 1:02d}", department, list(zip(region, cum)), days, doctors, doctor_cum,
                   insurers, style, full_size)

    def _fill(self, lab: Lab) -> None:
        rng = random.Random(f"{self.seed}:lab:{lab.index}")
        patients = self.patients[lab.index]
        while len(patients) < lab.full_size:
            self._household(lab, rng, patients)
        for p in patients[lab.full_size:]:     # a household's last members past the lab's size
            p.pos, p.kind = -1, "unregistered"
        del patients[lab.full_size:]

    def _household(self, lab: Lab, rng: random.Random, patients: list) -> None:
        commune = self._commune(lab, rng)
        hh = self.households = self.households + 1
        surname = self.surnames.draw(rng, lab.index)
        address = self._address(rng)
        landline = self._phone(rng, lab.department, landline=True) if rng.random() < LANDLINE else ""
        head = self._person(rng, lab, commune, hh, surname, address, landline)
        members = [head]
        if rng.random() < CO_REGISTERED:
            spouse_surname = surname if rng.random() < 0.6 else self.surnames.draw(rng, lab.index)
            other = self._person(rng, lab, commune, hh, spouse_surname, address, landline,
                                 sex="F" if head.sexe == "M" else "M", near=head.date_naissance)
            if landline:
                head.telephone = other.telephone = landline
            members.append(other)
        if rng.random() < TWIN:
            twin = self._person(rng, lab, commune, hh, surname, address, landline, twin_of=head)
            if rng.random() < TWIN_REGISTERED:
                members.append(twin)
            else:
                twin.pos, twin.kind, twin.of = -1, "twin", head.pid
                self.relatives["twin"].append(twin)
        if landline and rng.random() < FAMILY_PHONE:
            rel = self._person(rng, lab, commune, hh, surname if rng.random() < 0.7 else
                               self.surnames.draw(rng, lab.index), address, landline)
            head.telephone = rel.telephone = landline
            rel.pos, rel.kind, rel.of = -1, "family", head.pid
            self.relatives["family"].append(rel)
        for m in members:
            m.pos = len(patients)
            patients.append(m)

    def _strangers(self, n: int) -> list:
        """People of the same regions (in proportion to the labs' sizes), towns, days, doctors
        and name distributions, who are nobody's patients in any registry."""
        rng = random.Random(f"{self.seed}:strangers")
        cum = list(itertools.accumulate(self.weights))
        out = []
        while len(out) < n:
            lab = self.labs[bisect.bisect_left(cum, rng.random() * cum[-1])]
            commune = self._commune(lab, rng)
            hh = self.households = self.households + 1
            surname = self.surnames.draw(rng, lab.index)
            address = self._address(rng)
            landline = self._phone(rng, lab.department, landline=True) if rng.random() < LANDLINE else ""
            for _ in range(1 if rng.random() < 0.7 else 2):
                p = self._person(rng, lab, commune, hh, surname, address, landline)
                p.kind = "stranger"
                out.append(p)
        return out[:n]

    # -- people
    def _commune(self, lab: Lab, rng: random.Random) -> Commune:
        if rng.random() < OUTSIDE_REGION:
            lab = rng.choice(self.labs)
        region = lab.region
        k = bisect.bisect_left([w for _, w in region], rng.random() * region[-1][1])
        return region[k][0]

    def _address(self, rng: random.Random) -> str:
        street = rng.choice(N.STREET_PEOPLE) if rng.random() < 0.55 else rng.choice(N.STREET_PLACES)
        kind = rng.choices([k for k, _ in N.STREET_TYPES], [w for _, w in N.STREET_TYPES])[0]
        number = rng.randint(1, 180)
        text = f"{number}{' bis' if rng.random() < 0.03 else ''} {kind} {street}"
        if rng.random() < 0.08:
            text += f", {rng.choice(N.ADDRESS_EXTRAS)}"
        return text

    def birth_date(self, rng: random.Random) -> str:
        decade = bisect.bisect_left(self._ages, rng.random() * self._ages[-1])
        age = decade * 10 + rng.randrange(10)
        day = dt.date(2020 - age, 1, 1) + dt.timedelta(rng.randrange(365))
        return day.isoformat()

    def new_nir(self, rng: random.Random, sex: str, dob: str, department: str, place: str | None = None) -> str:
        """A NIR with a valid key, consistent with sex, birth year and month; born in `department`
        (a commune of it) most of the time. `place`: the 5-character birthplace to use."""
        head = ("1" if sex == "M" else "2") + dob[2:4] + dob[5:7]
        while True:
            birthplace = place or self._birthplace(rng, department)
            nir13 = head + birthplace + f"{rng.randint(1, 999):03d}"
            if nir13 not in self.nirs:
                self.nirs.add(nir13)
                return nir13 + nir_key(nir13)

    def _birthplace(self, rng: random.Random, department: str) -> str:
        r = rng.random()
        if r < BORN_HERE:
            dep = department
        elif r < BORN_HERE + BORN_ELSEWHERE:
            if rng.random() < 0.5:
                dep = rng.choice(list(self.communes))
            else:
                return f"{rng.choice([d for d in range(1, 96) if d != 20]):02d}{rng.randint(1, 600):03d}"
        else:
            return "99" + rng.choice(pools.ABROAD_COUNTRIES)
        return dep + rng.choice(self.communes[dep]).insee

    def _phone(self, rng: random.Random, department: str, landline: bool = False) -> str:
        prefix = pools.DEPARTMENTS[department][0] if landline else rng.choice(["06", "06", "07"])
        while True:
            digits = prefix + f"{rng.randint(0, 99_999_999):08d}"
            if digits not in self.phones:
                self.phones.add(digits)
                return " ".join(digits[i:i + 2] for i in range(0, 10, 2))

    def email(self, rng: random.Random, prenom: str, nom: str, dob: str) -> str:
        p = fold(prenom).lower().replace(" ", "").replace("'", "")
        n = fold(nom).lower().replace(" ", "").replace("'", "")
        local = rng.choice([f"{p}.{n}", f"{p}.{n}", f"{p}{n}", f"{p[0]}.{n}", f"{n}.{p}", f"{p}.{n}{dob[2:4]}",
                            f"{p}_{n}", f"{p[0]}{n}{dob[2:4]}"])
        domain = self._providers[0][bisect.bisect_left(self._providers[1], rng.random() * self._providers[1][-1])]
        email, tries = f"{local}@{domain}", 1
        while email in self.emails:
            tries += 1
            email = f"{local}{rng.randint(1, 99) if tries < 5 else tries}@{domain}"
        self.emails.add(email)
        return email

    def _person(self, rng, lab: Lab, commune: Commune, hh: int, surname: str, address: str, landline: str,
                sex: str | None = None, near: str | None = None, twin_of: "Person | None" = None) -> "Person":
        if twin_of is not None:
            dob = twin_of.date_naissance
            sex = rng.choice("MF")
            birthplace = twin_of.nir[5:10]
        else:
            if near:       # a spouse: born within a few years of the other
                year = min(2019, max(1921, int(near[:4]) + rng.randint(-6, 6)))
                dob = (dt.date(year, 1, 1) + dt.timedelta(rng.randrange(365))).isoformat()
            else:
                dob = self.birth_date(rng)
            sex = sex or ("F" if rng.random() < FEMALE else "M")
            birthplace = None
        prenom = self.first_names.draw(rng, sex, int(dob[:4]))
        if twin_of is not None:
            while prenom == twin_of.prenom:
                prenom = self.first_names.draw(rng, sex, int(dob[:4]))
        nir = self.new_nir(rng, sex, dob, commune.department, birthplace)
        phone = landline if landline and rng.random() < USES_LANDLINE else self._phone(rng, lab.department)
        email = self.email(rng, prenom, surname, dob) if rng.random() < EMAIL_SHARE else ""
        day = rng.choice(lab.days)
        validation = (dt.date.fromisoformat(day) + dt.timedelta(rng.choice((0, 0, 0, 0, 0, 1, 1, 1, 1, 2)))).isoformat()
        doctor = lab.doctors[bisect.bisect_left(lab.doctor_cum, rng.random() * lab.doctor_cum[-1])]
        comment = ""
        if rng.random() < N.COMMENT_SHARE:
            comment = rng.choice(N.COMMENTS).format(doctor=doctor.split()[-1],
                                                    first=self.first_names.draw(rng, "F", 1975))
        p = Person(
            pid=len(self.people), lab=lab.index, pos=-1, nir=nir, nom=surname, prenom=prenom, date_naissance=dob,
            sexe=sex, groupe_sanguin=self._blood[0][bisect.bisect_left(self._blood[1],
                                                                        rng.random() * self._blood[1][-1])],
            adresse=address, code_postal=commune.postcode, ville=commune.name, telephone=phone, email=email,
            medecin=doctor, mutuelle=rng.choice(lab.insurers), examen=self._exam(rng), date_prelevement=day,
            commentaire=comment, date_validation=validation, household=hh)
        for column, share in MISSING.items():
            if share and rng.random() < share:
                p.blank |= BLANK_BIT[column]
        self.people.append(p)
        return p

    def derived(self, rng: random.Random, lab: Lab, commune: Commune, kind: str, of: "Person", **same) -> "Person":
        """A new person of `lab`'s region living in `commune`, with fresh identifiers (NIR, phone,
        e-mail) and the values of `same` (prenom, nom, sexe, date_naissance, adresse, telephone,
        date_prelevement, medecin): what a hard negative shares with the person `of`."""
        sex = same.get("sexe") or ("F" if rng.random() < FEMALE else "M")
        dob = same.get("date_naissance") or self.birth_date(rng)
        nom = same.get("nom") or self.surnames.draw(rng, lab.index)
        hh = self.households = self.households + 1
        p = self._person(rng, lab, commune, hh, nom, same.get("adresse") or self._address(rng), "", sex=sex)
        p.date_naissance = dob
        p.prenom = same.get("prenom") or self.first_names.draw(rng, sex, int(dob[:4]))
        self.nirs.discard(p.nir[:13])
        p.nir = self.new_nir(rng, sex, dob, commune.department)
        if "telephone" in same:
            p.telephone = same["telephone"]
        if p.email or rng.random() < 0.5:
            p.email = self.email(rng, p.prenom, nom, dob)
        for column in ("date_prelevement", "medecin"):
            if column in same:
                setattr(p, column, same[column])
        if "date_prelevement" in same:
            p.date_validation = same["date_prelevement"]
        p.blank, p.kind, p.of = 0, kind, of.pid
        return p

    def commune_of(self, p: "Person") -> Commune:
        if not hasattr(self, "_commune_index"):
            self._commune_index = {(c.postcode, c.name): c for cs in self.communes.values() for c in cs}
        return self._commune_index[p.code_postal, p.ville]

    def _exam(self, rng: random.Random) -> str:
        # The first exams of the list are prescribed far more often (Zipf).
        k = int(len(N.EXAMS) ** rng.random()) - 1
        return N.EXAMS[k]

    # -- registries
    def lab_sizes(self, size: int) -> list:
        """n_i(size): how many of each lab's patients the registry of `size` holds."""
        if size > self.size:
            raise ValueError(f"a registry of {size} needs a world of at least that size (built: {self.size})")
        return apportion(size, self.weights, caps=[lab.full_size for lab in self.labs])

    def registered(self, size: int) -> dict:
        """{lab name: its registered patients} in the registry of `size` (nested prefixes)."""
        return {lab.name: self.patients[lab.index][:n] for lab, n in zip(self.labs, self.lab_sizes(size))}

    def owner(self, size: int):
        """A function: Person -> the lab name whose registry of `size` holds it, or None."""
        sizes = self.lab_sizes(size)
        names = [lab.name for lab in self.labs]

        def owner_of(p: Person):
            return names[p.lab] if 0 <= p.pos < sizes[p.lab] else None
        return owner_of

    def person(self, pid: int) -> Person:
        return self.people[pid]


def build_world(size: int, seed=2021, strangers: int = 40_000) -> World:
    return World(size, seed, strangers)


# --- writing --------------------------------------------------------------------------------

def format_date(iso: str, fmt: str, rng: random.Random | None = None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    base, _, time = fmt.partition("_time")
    if base == "iso":
        out = iso
    elif base == "dmy_slash":
        out = f"{d}/{m}/{y}"
    elif base == "dmy_dash":
        out = f"{d}-{m}-{y}"
    elif base == "dmy_dot":
        out = f"{d}.{m}.{y}"
    elif base == "compact":
        out = f"{y}{m}{d}"
    else:
        raise ValueError(f"unknown date format {fmt!r}")
    if fmt.endswith("_time"):
        r = rng or random.Random(iso)
        out += f" {r.randint(7, 11):02d}:{r.randrange(0, 60, 5):02d}"
    return out


def _blood(value: str, style: str) -> str:
    if not value or style == "plain":
        return value
    group, sign = value[:-1], value[-1]
    if style == "rh":
        return f"{group} Rh{sign}"
    return f"{group} {'POS' if sign == '+' else 'NEG'}"


def render(p: Person, style: Style, columns: list, rng: random.Random) -> list:
    """The cells of one person as `style` writes them, for `columns` (names of COLUMNS or
    VALIDATION, or 'prenom_nom' / 'nom_prenom' for a merged name column)."""
    out = []
    for c in columns:
        if c in ("prenom_nom", "nom_prenom"):
            cells = p.cells()
            nom = cells["nom"].upper() if style.upper_surname else cells["nom"]
            value = " ".join(v for v in ((cells["prenom"], nom) if c == "prenom_nom" else (nom, cells["prenom"])) if v)
        else:
            value = "" if p.blank & BLANK_BIT[c] else getattr(p, c)
            if not value:
                out.append("")
                continue
            if c == "nir":
                value = format_nir(value, style.nir)
            elif c == "nom" and style.upper_surname:
                value = value.upper()
            elif c == "date_naissance":
                value = format_date(value, style.birth_date)
            elif c in ("date_prelevement", VALIDATION):
                value = format_date(value, style.sampling_date, rng)
            elif c == "telephone":
                value = format_phone(value, style.phone)
            elif c == "sexe":
                value = style.sex[0] if value == "M" else style.sex[1]
            elif c == "groupe_sanguin":
                value = _blood(value, style.blood)
        out.append(value)
    return out


def write_table(path, people, style: Style, columns: list | None = None, rng: random.Random | None = None,
                headers: dict | None = None) -> Path:
    """A CSV of `people` in `style` (its delimiter, encoding, header names, formats)."""
    columns = columns or style.order
    rng = rng or random.Random(f"{Path(path).name}")
    names = headers or HEADERS[style.headers]
    head = [names.get(c, c) for c in columns]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=style.encoding, newline="") as f:
        writer = csv.writer(f, delimiter=style.delimiter, lineterminator="\r\n" if style.quote_all else "\n",
                            quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL)
        end = [""] if style.trailing_delimiter else []
        writer.writerow(head + end)
        writer.writerows(render(p, style, columns, rng) + end for p in people)
    return path


def write_lab_table(path, patients: list, style: Style) -> Path:
    return write_table(path, patients, style)
