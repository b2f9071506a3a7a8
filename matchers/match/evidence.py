"""Weighing the evidence that a dump record is a registered record.

Like Exact Data Match: a strong identifier (NIR, e-mail, phone) is enough alone; a name
(words of two different name fields with the same birth date) needs corroboration by
the postcode; a name alone is weak, and a postcode that differs speaks against it.
Weak evidence never makes a match; it widens the range (records_high).
"""

import numpy as np

from ..fingerprint import FLAG_POSTCODE
from ..fingerprint.tokens import DOB_POSTCODE, EMAIL, NIR, PHONE

STRONG_MASK = (1 << NIR) | (1 << EMAIL) | (1 << PHONE)
POSTCODE_BIT = 1 << DOB_POSTCODE

CONFIRMED, WEAK, NONE = "confirmed", "weak", "none"


def verdicts(kinds_mask, name_slots, dump_has_postcode, registered_flags):
    """Vectorised over (dump record, registered record) pairs: (confirmed, weak) boolean arrays.

    kinds_mask: bit (1 << kind) of each token kind that hit; name_slots: number of distinct
    name fields of the registered record whose words hit with the same birth date.
    """
    kinds_mask = np.asarray(kinds_mask)
    name_slots = np.asarray(name_slots)
    strong = (kinds_mask & STRONG_MASK) != 0
    postcode = (kinds_mask & POSTCODE_BIT) != 0
    name = name_slots >= 2
    confirmed = strong | (name & postcode)
    # A namesake born the same day who lives elsewhere: the dump gives a postcode, the
    # registered record has one, and they differ.
    contradicted = np.asarray(dump_has_postcode) & ((np.asarray(registered_flags) & FLAG_POSTCODE) != 0) & ~postcode
    # One name field, the birth date and the postcode: most likely the record with a typo
    # in the other name field. Not enough to count, enough for the upper bound.
    weak = ~confirmed & ((name & ~contradicted) | ((name_slots == 1) & postcode))
    return confirmed, weak


def verdict(kinds_mask: int, name_slots: int, dump_has_postcode: bool, registered_flags: int) -> str:
    """CONFIRMED, WEAK or NONE for one pair (see `verdicts`)."""
    confirmed, weak = verdicts([kinds_mask], [name_slots], [dump_has_postcode], [registered_flags])
    return CONFIRMED if confirmed[0] else WEAK if weak[0] else NONE
