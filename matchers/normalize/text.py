"""Case, accent and whitespace folding shared by every normalizer."""

import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus accent.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


@lru_cache(maxsize=200_000)
def fold(value: str) -> str:
    """Lower-case, strip accents and collapse white space: 'Hélène  DUPONT' -> 'helene dupont'."""
    lowered = value.lower().translate(_SPECIAL)
    if not lowered.isascii():
        lowered = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    return " ".join(lowered.split())
