"""Weighing the evidence that one dump record is one registered record.

Like Exact Data Match: a strong identifier (NIR, e-mail, phone) is enough alone; a name
(words of two different name fields with the same birth date) needs corroboration by
the postcode; a name alone is weak, and a postcode that differs speaks against it.
"""

from ..fingerprint import FLAG_POSTCODE
from ..fingerprint.tokens import DOB_POSTCODE, EMAIL, NAME_DOB, NIR, PHONE

STRONG_MASK = (1 << NIR) | (1 << EMAIL) | (1 << PHONE)
POSTCODE_BIT = 1 << DOB_POSTCODE
NAME_BIT = 1 << NAME_DOB

CONFIRMED, WEAK, NONE = "confirmed", "weak", "none"


def verdict(kinds_mask: int, name_slots: set, dump_has_postcode: bool, registered_flags: int) -> str:
    """CONFIRMED, WEAK or NONE for one (dump record, registered record) pair."""
    if kinds_mask & STRONG_MASK:
        return CONFIRMED
    if len(name_slots) < 2:
        return NONE
    if kinds_mask & POSTCODE_BIT:
        return CONFIRMED
    if dump_has_postcode and registered_flags & FLAG_POSTCODE:
        return NONE  # a namesake born the same day who lives elsewhere
    return WEAK
