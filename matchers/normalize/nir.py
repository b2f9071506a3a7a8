"""French NIR (numéro de sécurité sociale): 13 digits plus a 2-digit check key.

Normalized form: the 13-character body (Corsica kept as 2A/2B). The key is derived
from the body, so a NIR written with or without its key hashes the same.
"""

_SEPARATORS = str.maketrans("", "", " .-_/")


def _body_number(body: str) -> int:
    # Corsica: 2A and 2B count as 19 and 18 in the key computation.
    dept = body[5:7]
    if dept == "2A":
        return int(body[:5] + "19" + body[7:])
    if dept == "2B":
        return int(body[:5] + "18" + body[7:])
    return int(body)


def nir_key(body: str) -> int:
    """The check key of a 13-character NIR body."""
    return 97 - _body_number(body) % 97


def _plausible_body(body: str) -> bool:
    if len(body) != 13 or body[0] not in "123478":
        return False
    if not (body[1:5].isdecimal() and body[7:].isdecimal()):
        return False
    dept = body[5:7]
    if not (dept.isdecimal() or dept in ("2A", "2B")):
        return False
    month = int(body[3:5])
    # 1-12, 20-42 and 50-99 occur for people registered without a known birth month.
    return 1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99


def normalize_nir(value: str) -> str | None:
    """'1 61 12 75 123 456 78' -> '1611275123456' if the key checks; None if not a NIR."""
    if len(value) == 15 and value.isdecimal():
        # The common case, 15 bare digits: no translation, no Corsica.
        month = int(value[3:5])
        if value[0] not in "123478" or not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
            return None
        return value[:13] if 97 - int(value[:13]) % 97 == int(value[13:]) else None
    compact = value.translate(_SEPARATORS).upper()
    if len(compact) == 15:
        body, key = compact[:13], compact[13:]
        if not key.isdecimal() or not _plausible_body(body):
            return None
        return body if nir_key(body) == int(key) else None
    if len(compact) == 13 and _plausible_body(compact):
        # Without its key a NIR cannot be checked; it is still only used as a
        # lookup key, so a false detection costs one hash and never a match.
        return compact
    return None
