"""Person names to words: 'Jean-Pierre LE GALL' -> ('jean', 'pierre', 'gall') in pieces.

A name is compared word by word, so 'Prénom Nom' in one column and two separate
columns give the same words. Particles and titles are dropped on both sides
('Le Gall' and 'Gall' are the same person far more often than not).
"""

import re

from .text import fold

PARTICLES = frozenset(
    "le la les de du des d l van von der den di da del della dos das el al ben bin "
    "dr docteur doctor mr mme mlle madame monsieur m mrs ms pr professeur".split()
)
_NON_LETTER = re.compile(r"[^a-z]+")


def name_pieces(value: str) -> list[list[str]]:
    """Words of a name grouped by white-space piece: 'Jean-Pierre Martin' -> [['jean','pierre'], ['martin']].

    Hyphenated parts stay in one piece: a compound first name is one given name,
    so it must not count as two corroborating name fields.
    """
    pieces = []
    for piece in fold(value).split(" "):
        words = [w for w in _NON_LETTER.split(piece) if len(w) > 1 and w not in PARTICLES]
        if words:
            pieces.append(words)
    return pieces


def looks_like_name(value: str) -> bool:
    """A short run of letters: what a name cell, or a city, or a blood group word looks like."""
    if len(value) > 60:
        return False
    letters = sum(ch.isalpha() for ch in value)
    return letters >= 2 and letters >= 0.8 * len(value.replace(" ", "")) and value.count(" ") <= 4
