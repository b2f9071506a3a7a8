"""Dumps of the lab-scale world, each with its ground truth for one registry size.

    dumps = build_dumps(world, size=100_000, outdir=Path("out/size-100000/dumps"))

`truth` maps a lab to the number of distinct patients of ITS REGISTERED TABLE at that size
found in the dump; `stranger_rows` counts the rows of people registered nowhere at that size
(the rows a false attribution can come from). Every dump has its own random stream
(seed, size, name): resizing one leaves the others' bytes unchanged.
"""

import io
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .labworld import BLANK_BIT, COLUMNS, HEADERS, Style, World, write_table

# The figures: 20,000 strangers, 25 registered rows hidden among them, a merged file
# of 20 labs, hard negatives by the thousand (enough to see a rate of a few per 10,000).
STRANGER_ROWS = 20_000
NEEDLE_ROWS = 25
MERGED_LABS = 20
MERGED_ROWS_PER_LAB = (40, 300)   # "a few thousand rows" in all at full size
MERGED_DUPLICATES = 0.02           # concatenated exports repeat some people; the truth counts them once
ARCHIVE_ROWS = 1500                # one lab's extraction, big enough for a count to mean something
HARD_ROWS = 2000                   # per hard-negative dump (fewer when the registry is small)
SAME_DAY_ROWS = 3000               # the commonest hard negative of a real dump: same town, same day
DAY_SHEET_REGISTERED = 50          # truly registered rows beside the same-town-same-day strangers
NAME_DOB_POSTCODE_DAY = ["nom", "prenom", "date_naissance", "code_postal", "date_prelevement"]
_ZIP_TIME = (2021, 2, 23, 0, 0, 0)   # fixed entry times: same seed -> same bytes

# How a dump is written when it is not a lab's own export: the common French Excel export.
DUMP_STYLE = Style(delimiter=";", encoding="utf-8", headers="fr_accents", order=list(COLUMNS),
                   birth_date="dmy_slash", sampling_date="dmy_slash", upper_surname=True, phone="spaced")
# The merged file: latin-1, ';', its own header names, a merged "Prénom NOM" column.
MERGED_HEADERS = {**HEADERS["abbr"], "prenom_nom": "PATIENT", "date_naissance": "NE_LE", "nir": "SECU"}
MERGED_STYLE = Style(delimiter=";", encoding="latin-1", headers="abbr", birth_date="dmy_slash",
                     sampling_date="dmy_dot", upper_surname=True, phone="dotted", nir="spaced")


@dataclass
class Dump:
    name: str
    path: Path
    truth: dict            # {lab name: distinct registered patients in the dump}
    rows: int
    stranger_rows: int
    description: str
    kinds: dict            # {kind of person: rows}: patient, stranger, twin, family, namesake, ...

    def as_dict(self, root: Path) -> dict:
        return {"path": str(self.path.relative_to(root)), "truth": self.truth, "rows": self.rows,
                "stranger_rows": self.stranger_rows, "description": self.description, "kinds": self.kinds}


class _Builder:
    def __init__(self, world: World, size: int, outdir: Path, seed):
        self.world, self.size, self.outdir, self.seed = world, size, Path(outdir), seed
        self.owner = world.owner(size)
        self.registered = world.registered(size)
        self.all_registered = [p for ps in self.registered.values() for p in ps]
        self.outdir.mkdir(parents=True, exist_ok=True)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.size}:{name}")

    def dump(self, name: str, path: Path, people: list, description: str) -> Dump:
        truth, strangers, kinds = {}, 0, {}
        seen = {}
        for p in people:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
            lab = self.owner(p)
            if lab is None:
                strangers += 1
            elif p.pid not in seen:
                seen[p.pid] = lab
                truth[lab] = truth.get(lab, 0) + 1
        return Dump(name, path, dict(sorted(truth.items())), len(people), strangers, description, kinds)

    def labs_with(self, n: int) -> list:
        return [name for name, ps in self.registered.items() if len(ps) >= n]

    def targets(self, rng: random.Random, n: int, need=("nom", "prenom", "date_naissance")) -> list:
        """Registered patients whose exported cells `need` are filled (a dump can copy them)."""
        mask = sum(BLANK_BIT[c] for c in need)
        pool = [p for p in self.all_registered if not p.blank & mask]
        return rng.sample(pool, min(n, len(pool)))

    # -- the scenarios
    def strangers_only(self) -> Dump:
        people = self.world.strangers[:STRANGER_ROWS]
        path = write_table(self.outdir / "strangers_only.csv", people, DUMP_STYLE, rng=self.rng("strangers_only"))
        return self.dump("strangers_only", path, people, f"{len(people)} strangers, 16 columns")

    def needle(self, name: str, columns: list, exclude: str | None = None) -> Dump:
        rng = self.rng(name)
        lab = rng.choice([n for n in self.labs_with(NEEDLE_ROWS) if n != exclude])
        rows = rng.sample(self.registered[lab], NEEDLE_ROWS)
        people = self.world.strangers[STRANGER_ROWS:2 * STRANGER_ROWS] + rows
        rng.shuffle(people)
        path = write_table(self.outdir / f"{name}.csv", people, DUMP_STYLE, columns, rng=rng)
        return self.dump(name, path, people, f"{NEEDLE_ROWS} rows of {lab} among {len(people) - NEEDLE_ROWS} "
                                             f"strangers, columns {', '.join(columns)}")

    def merged(self) -> Dump:
        rng = self.rng("merged_20")
        labs = rng.sample(self.labs_with(1), min(MERGED_LABS, len(self.registered)))
        people = []
        for lab in sorted(labs):
            patients = self.registered[lab]
            people += rng.sample(patients, min(len(patients), rng.randint(*MERGED_ROWS_PER_LAB)))
        rng.shuffle(people)
        people += rng.sample(people, int(len(people) * MERGED_DUPLICATES))
        rng.shuffle(people)
        columns = [c for c in COLUMNS if c not in ("nom", "prenom")] + ["prenom_nom"]
        for dropped in rng.sample(["sexe", "groupe_sanguin", "adresse", "medecin", "mutuelle", "commentaire"], 3):
            columns.remove(dropped)
        rng.shuffle(columns)
        path = write_table(self.outdir / "merged_20.csv", people, MERGED_STYLE, columns, rng=rng,
                           headers=MERGED_HEADERS)
        return self.dump("merged_20", path, people, f"{len(labs)} labs merged, 'Prénom NOM', latin-1, ';', "
                                                    f"{len(columns)} columns renamed/reordered, duplicates")

    def archive(self) -> Dump:
        rng = self.rng("archive_one_lab")
        lab_name = rng.choice(self.labs_with(1))
        lab = self.world.labs[int(lab_name.split("-")[1]) - 1]
        patients = self.registered[lab_name]
        people = rng.sample(patients, min(ARCHIVE_ROWS, len(patients)))
        inner = self.outdir / f"{lab_name}.export.csv"
        write_table(inner, people, lab.style, rng=rng)
        path = self.outdir / "archive_one_lab.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("LISEZMOI.txt", _ZIP_TIME), "extraction logiciel labo, fevrier 2021\n")
            info = zipfile.ZipInfo(f"extraction/{lab_name}_patients.csv", _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, inner.read_bytes())
        inner.unlink()
        return self.dump("archive_one_lab", path, people, f"zip of {len(people)} rows of {lab_name}, its own export")

    def _elsewhere(self, rng: random.Random, p):
        """A lab and a commune of another region than p's, in another postcode and town."""
        while True:
            lab = rng.choice(self.world.labs)
            commune = self.world._commune(lab, rng)
            if lab.index != p.lab and commune.postcode != p.code_postal and commune.name != p.ville:
                return lab, commune

    def hard_namesakes(self) -> Dump:
        rng = self.rng("hard_namesakes")
        people = []
        for p in self.targets(rng, HARD_ROWS):
            lab, commune = self._elsewhere(rng, p)
            people.append(self.world.derived(rng, lab, commune, "namesake", p, prenom=p.prenom, nom=p.nom,
                                             sexe=p.sexe, date_naissance=p.date_naissance))
        path = write_table(self.outdir / "hard_namesakes.csv", people, DUMP_STYLE, rng=rng)
        return self.dump("hard_namesakes", path, people,
                         "namesakes of registered patients born the same day, living elsewhere")

    def relatives(self, kind: str) -> Dump:
        rng = self.rng(f"hard_{kind}")
        pool = [r for r in self.world.relatives[kind] if self.owner(self.world.person(r.of))]
        people = rng.sample(pool, min(HARD_ROWS, len(pool)))
        name = {"twin": "hard_twins", "family": "hard_family_phone"}[kind]
        path = write_table(self.outdir / f"{name}.csv", people, DUMP_STYLE, rng=rng)
        what = {"twin": "unregistered twins of registered patients (same birth date, surname, address)",
                "family": "relatives sharing a registered patient's landline and address"}[kind]
        return self.dump(name, path, people, what)

    def same_town_day(self) -> Dump:
        rng = self.rng("hard_same_town_day")
        people = []
        for p in self.targets(rng, SAME_DAY_ROWS, need=("code_postal", "ville", "date_prelevement")):
            lab = self.world.labs[p.lab]
            same = {"date_prelevement": p.date_prelevement}
            if rng.random() < 0.5:
                same["medecin"] = p.medecin
            people.append(self.world.derived(rng, lab, self.world.commune_of(p), "same_town_day", p, **same))
        lab = rng.choice(self.labs_with(DAY_SHEET_REGISTERED))
        people += rng.sample(self.registered[lab], DAY_SHEET_REGISTERED)
        rng.shuffle(people)
        path = write_table(self.outdir / "hard_same_town_day.csv", people, DUMP_STYLE, rng=rng)
        return self.dump("hard_same_town_day", path, people,
                         f"strangers of registered patients' towns sampled the same day (half by the same "
                         f"doctor), and {DAY_SHEET_REGISTERED} registered rows of {lab}")

    def disagreeing_ids(self) -> Dump:
        rng = self.rng("disagreeing_ids")
        people = []
        for p in self.targets(rng, HARD_ROWS, need=("nom", "prenom", "date_naissance", "code_postal", "ville")):
            q = self.world.derived(rng, self.world.labs[p.lab], self.world.commune_of(p), "disagreeing", p,
                                   prenom=p.prenom, nom=p.nom, sexe=p.sexe, date_naissance=p.date_naissance)
            if not q.email:      # every identifier present, and each one disagrees
                q.email = self.world.email(rng, q.prenom, q.nom, q.date_naissance)
            people.append(q)
        path = write_table(self.outdir / "disagreeing_ids.csv", people, DUMP_STYLE, rng=rng)
        return self.dump("disagreeing_ids", path, people,
                         "a registered patient's name, birth date, postcode and town with another valid "
                         "NIR, e-mail and phone")


SCENARIOS = ["strangers_only", "needle_all_columns", "needle_name_dob_postcode_day", "merged_20",
             "archive_one_lab", "hard_namesakes", "hard_twins", "hard_family_phone", "hard_same_town_day",
             "disagreeing_ids"]


def build_dumps(world: World, size: int, outdir, seed=None) -> list:
    """Every dump of SCENARIOS for the registry of `size`, written under outdir."""
    b = _Builder(world, size, outdir, world.seed if seed is None else seed)
    needle = b.needle("needle_all_columns", list(COLUMNS))
    first_lab = next(iter(needle.truth))
    return [b.strangers_only(), needle,
            b.needle("needle_name_dob_postcode_day", NAME_DOB_POSTCODE_DAY, exclude=first_lab),
            b.merged(), b.archive(), b.hard_namesakes(), b.relatives("twin"), b.relatives("family"),
            b.same_town_day(), b.disagreeing_ids()]


def read_back(path: Path, encoding: str, delimiter: str) -> list:
    """The rows of a dump as a reader sees them (tests)."""
    import csv
    return list(csv.reader(io.StringIO(Path(path).read_bytes().decode(encoding), newline=""), delimiter=delimiter))
