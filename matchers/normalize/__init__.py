"""Normalizers: one per value type, each a pure function from a cell to its canonical form or None."""

from .date import normalize_date
from .email import normalize_email
from .names import looks_like_name, name_pieces
from .nir import nir_key, normalize_nir
from .phone import normalize_phone
from .postcode import normalize_postcode
from .text import fold

__all__ = [
    "fold",
    "looks_like_name",
    "name_pieces",
    "nir_key",
    "normalize_date",
    "normalize_email",
    "normalize_nir",
    "normalize_phone",
    "normalize_postcode",
]
