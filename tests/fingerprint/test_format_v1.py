"""Fingerprint format v1 is frozen: a dataset registered today must match years later.

The expected values below were computed once with format v1; a change to the key hashing,
the token texts or the normalizers that alters them breaks every registered dataset, and
must come as a new format version instead.
"""

import numpy as np

from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer
from leakwatch.matchers.fingerprint.tokens import DOB_POSTCODE, EMAIL, NAME_DOB, NIR, PHONE
from leakwatch.matchers.normalize import nir_key

KEY = DeploymentKey(bytes(range(32)))
GOLDEN = {
    "n\x1f1611275123456": 10131238604010528255,
    "e\x1fjp.dupont@mail.fr": 14165110436407733876,
    "p\x1f+33610012046": 16547734684731862657,
    "w\x1f1961-12-05\x1fdupont": 11406046731958636774,
    "d\x1f1961-12-05\x1f75012": 11620319588898265578,
}


def test_key_id_and_token_hashes_are_those_of_format_v1():
    assert KEY.key_id == "10346c6dfc3a95cc"
    hasher = KEY.hasher()
    for text, token in GOLDEN.items():
        assert hasher(text) == token, text


def test_a_record_written_any_way_gives_the_format_v1_tokens():
    nir = "1611275123456" + f"{nir_key('1611275123456'):02d}"
    spellings = [
        [nir, "Dupont", "Jean", "05/12/1961", "75012", "0610012046", "jp.dupont@mail.fr"],
        ["JP.Dupont@Mail.FR", "+33 6 10 01 20 46", "5 décembre 1961", "DUPONT Jean", "75012",
         f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"],
    ]
    for cells in spellings:
        batch = Tokenizer(KEY.hasher()).batch([cells])
        tokens = {(int(k), int(t)) for k, t in zip(batch.kinds, batch.tokens)}
        assert (NIR, GOLDEN["n\x1f1611275123456"]) in tokens
        assert (EMAIL, GOLDEN["e\x1fjp.dupont@mail.fr"]) in tokens
        assert (PHONE, GOLDEN["p\x1f+33610012046"]) in tokens
        assert (NAME_DOB, GOLDEN["w\x1f1961-12-05\x1fdupont"]) in tokens
        assert (DOB_POSTCODE, GOLDEN["d\x1f1961-12-05\x1f75012"]) in tokens
        assert batch.tokens.dtype == np.uint64
