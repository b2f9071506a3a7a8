"""Weighing the evidence that a dump record is a registered record (Fellegi-Sunter).

Each (dump record, registered record) pair that shares a token gets a score in bits, the
log2 likelihood ratio of "same person" against "two people who agree by chance":
- every agreement adds log2(m/u) bits, u being how often two different people agree on it.
  Identifiers have fixed weights (below); a birth date, a postcode and each name field weigh
  what the registered table itself shows of their rarity (fingerprint/weights.py): a
  postcode shared by a lab's patients says little, a rare surname a lot;
- every identifier that both records hold and that does not agree subtracts
  log2((1 - m)/(1 - u)) bits: a dump row whose valid NIR differs from the registered one
  is somebody else, whatever the names and dates say.

A pair is confirmed when its score reaches `threshold(N)`, chosen so that chance agreements
stay rare at the registry's size N: a score of s bits means the pattern of agreements occurs
by chance in about one pair in 2**s, and a dump row is compared with N registered records,
so 10,000 stranger rows produce about 10,000 * N * 2**-s chance confirmations. The threshold
keeps that under CHANCE_PER_10K_ROWS. Pairs a few bits short (WEAK_MARGIN) are weak: they
never make a match, they widen its range (records_high).
"""

import math

import numpy as np

from ..fingerprint import cells as C
from ..fingerprint.fpfile import FLAG_EMAIL, FLAG_NIR, FLAG_PHONE, FLAG_POSTCODE, FLAG_TWO_NAMES
from ..fingerprint.tokens import DOB_POSTCODE, EMAIL, FIELD_BIT, NAME_DOB, NIR, PHONE

# Agreement weights of identifiers, in bits. A valid NIR is one person's (two people share
# one only through an error). An e-mail address is shared now and then within a family.
# A phone number is shared by a household (a landline): about one stranger in a few hundred
# shares one with somebody of a large registry, so a phone alone is not enough at scale and
# needs a name or a birth date beside it.
AGREE_BITS = {NIR: 60.0, EMAIL: 45.0, PHONE: 28.0}
# Disagreement weights, log2((1 - m)/(1 - u)) with m the chance that two copies of one
# person's record agree: a typo keeps a NIR's check key valid once in 97 (m ~ 0.999); a leak
# of an institution's table carries the e-mail and phone the table holds, but people have
# several and change them (m ~ 0.9); they move (postcode, m ~ 0.9); a name field may hold a
# typo or a maiden name (m ~ 0.9).
DISAGREE_BITS = {NIR: -10.0, EMAIL: -3.3, PHONE: -3.3, "postcode": -3.3, "name": -3.3}
# Within a household (the phone agrees) two members share a birth date only as twins do,
# one or two births in a hundred: about 6 bits, not the 14-15 between strangers.
HOUSEHOLD_BIRTH_BITS = 6.0
# The bound the threshold keeps: expected chance confirmations per 10,000 dump rows.
CHANCE_PER_10K_ROWS = 0.02
ROWS = 10_000
# Pairs this far above the threshold are 2**20 times less likely by chance than the bound
# allows: records confirmed so (by a NIR, an e-mail...) are kept whole in records_low.
SURE_MARGIN = 20.0
WEAK_MARGIN = 8.0        # a weak pair may be 2**8 times likelier to be chance than a confirmed one
MIN_THRESHOLD = 30.0     # a tiny registry still asks for a name, a birth date and more

_STRONG = ((NIR, FLAG_NIR, FIELD_BIT[C.NIR]), (EMAIL, FLAG_EMAIL, FIELD_BIT[C.EMAIL]),
           (PHONE, FLAG_PHONE, FIELD_BIT[C.PHONE]))
_DATED = (1 << NAME_DOB) | (1 << DOB_POSTCODE)
_NAME_BIT = FIELD_BIT[C.NAME]


def threshold(registered: int) -> float:
    """Bits a pair needs to be confirmed against a registry of `registered` records."""
    return max(MIN_THRESHOLD, math.log2(max(registered, 1) * ROWS / CHANCE_PER_10K_ROWS))


def scores(kinds_mask, name_bits, name_fields, dump_bits, dump_has_postcode, registered_flags,
           birth_bits, postcode_bits, name_max=None) -> np.ndarray:
    """Score in bits of each pair, vectorised.

    kinds_mask: bit (1 << kind) of each token kind that hit; name_bits: the summed weights of
    the distinct name fields of the registered record whose words hit with the birth date,
    name_fields their number, name_max the largest of them; dump_bits: FIELD_BIT of the kinds
    of values the dump record holds; registered_flags: the record's FLAG_ bits (what it
    holds); birth_bits and postcode_bits: its dataset's weights.

    Agreements are summed as if independent, except within a household: a phone is shared by
    people who share a surname and a postcode too, so where the phone agrees the postcode and
    the rarest name field (the surname, most often) add nothing more, and a birth date tells
    apart the members of one household only as well as twins are rare (HOUSEHOLD_BIRTH_BITS).
    Twins sharing a landline are not one person.
    """
    kinds_mask = np.asarray(kinds_mask).astype(np.int64)
    dump_bits = np.asarray(dump_bits).astype(np.int64)
    flags = np.asarray(registered_flags).astype(np.int64)
    score = np.asarray(name_bits, dtype=np.float64).copy()
    phone_hit = (kinds_mask & (1 << PHONE)) != 0
    if name_max is not None:
        score -= np.where(phone_hit, name_max, 0.0)
    for kind, flag, field_bit in _STRONG:
        hit = (kinds_mask & (1 << kind)) != 0
        both = ((dump_bits & field_bit) != 0) & ((flags & flag) != 0)
        score += np.where(hit, AGREE_BITS[kind], np.where(both, DISAGREE_BITS[kind], 0.0))
    dated = (kinds_mask & _DATED) != 0
    score += np.where(dated, np.where(phone_hit, np.minimum(birth_bits, HOUSEHOLD_BIRTH_BITS), birth_bits), 0.0)
    postcode_hit = (kinds_mask & (1 << DOB_POSTCODE)) != 0
    score += np.where(postcode_hit & ~phone_hit, postcode_bits, 0.0)
    # A postcode can only be seen to differ where the birth dates agree (it is hashed with it).
    moved = dated & ~postcode_hit & np.asarray(dump_has_postcode) & ((flags & FLAG_POSTCODE) != 0)
    score += np.where(moved, DISAGREE_BITS["postcode"], 0.0)
    # The registered record has two name fields, the dump record names somebody, one field agrees.
    one_name = (np.asarray(name_fields) == 1) & ((flags & FLAG_TWO_NAMES) != 0) & ((dump_bits & _NAME_BIT) != 0)
    score += np.where(one_name, DISAGREE_BITS["name"], 0.0)
    return score


def verdicts(score, registered: int):
    """(confirmed, weak, sure) boolean arrays of pairs' scores against a registry of that size:
    sure pairs are confirmed SURE_MARGIN bits or more beyond the threshold."""
    score = np.asarray(score)
    bar = threshold(registered)
    confirmed = score >= bar
    return confirmed, ~confirmed & (score >= bar - WEAK_MARGIN), score >= bar + SURE_MARGIN


def chance_records(rows: int, registered: int, of_dataset: int) -> float:
    """Confirmations expected by chance of one dataset (of_dataset records of `registered`)
    in a dump of `rows` records: the bound the threshold keeps, shared out by size."""
    if registered <= 0:
        return 0.0
    return rows / ROWS * CHANCE_PER_10K_ROWS * of_dataset / registered


def chance_allowance(expected: float, quantile: float = 0.99) -> int:
    """The smallest k with P(Poisson(expected) <= k) >= quantile: confirmed records that
    chance alone could explain."""
    k, term = 0, math.exp(-expected)
    total = term
    while total < quantile and k < 10_000:
        k += 1
        term *= expected / k
        total += term
    return k

