"""Deterministic synthetic French patient tables and leaks derived from them, with ground truth.

    institutions = make_institutions(30, rows=2000, seed=2021)
    scenarios = build_scenarios("bench/out/leaks", institutions, seed=2021)

Stdlib `random.Random(seed)` only: the same seed gives the same bytes on every machine.
`python -m world.synth --out DIR` writes everything plus DIR/truth.json.
"""

from .bigfiles import make_big_combo, make_big_csv, make_big_paste, make_lab_file
from .distort import Layout, format_date, format_nir, format_phone, typo
from .people import (COLUMNS, Institution, fold, iter_institution_rows, make_institutions,
                     make_namesakes, make_strangers, nir_key)
from .scenarios import Scenario, build_scenarios, repost_of, write_table

__all__ = [
    "COLUMNS", "Institution", "Layout", "Scenario", "build_scenarios", "fold", "format_date",
    "format_nir", "format_phone", "iter_institution_rows", "make_big_combo", "make_big_csv", "make_big_paste", "make_institutions",
    "make_lab_file", "make_namesakes", "make_strangers", "nir_key", "repost_of", "typo", "write_table",
]
