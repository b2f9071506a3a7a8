"""Reading a .lwfp file checks every header value and array against the format: the file comes
from outside (an institution's upload), and the registry stores what it says."""

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import TOKEN_DTYPE, DeploymentKey, Fingerprint, fingerprint_records
from leakwatch.matchers.fingerprint.fpfile import FingerprintFileError

KEY = DeploymentKey(bytes(range(32)))


def made(tmp_path, **changes):
    tokens = np.zeros(2, TOKEN_DTYPE)
    tokens["kind"] = 1
    tokens["rid"] = [0, 1]
    values = dict(key_id=KEY.key_id, dataset="patients", rows=2, canaries=0, fields=["nir"], tokens=tokens,
                  flags=np.zeros(2, np.uint8), minhash=np.zeros(128, "<u8"), cardinality=2.0,
                  created_at="2026-01-01T00:00:00Z")
    values.update(changes)
    path = tmp_path / "crafted.lwfp"
    Fingerprint(**values).save(path)
    return path


def test_a_well_formed_file_loads(tmp_path):
    loaded = Fingerprint.load(made(tmp_path))
    assert (loaded.rows, loaded.dataset, len(loaded.tokens)) == (2, "patients", 2)


def test_a_real_fingerprint_round_trips(tmp_path):
    fp = fingerprint_records(iter([["161127512345678", "Dupont", "Jean", "05/12/1961", "75012"]]), KEY, "patients")
    fp.save(tmp_path / "real.lwfp")
    loaded = Fingerprint.load(tmp_path / "real.lwfp")
    assert np.array_equal(loaded.tokens, fp.tokens) and loaded.rows == 1


@pytest.mark.parametrize("changes", [
    {"rows": "many"}, {"rows": -1}, {"rows": True}, {"canaries": 1.5},
    {"fields": [{"a": 1}]}, {"fields": ["x"] * 65},
    {"cardinality": "big"}, {"cardinality": float("inf")}, {"created_at": 5}, {"key_id": None}, {"dataset": "x" * 300},
    {"minhash": np.zeros(3, "<u8")},
    {"flags": np.zeros(3, np.uint8)},
])
def test_a_header_or_array_of_the_wrong_shape_is_a_clear_error(tmp_path, changes):
    with pytest.raises(FingerprintFileError, match="damaged"):
        Fingerprint.load(made(tmp_path, **changes))


def test_a_token_pointing_past_the_records_is_refused(tmp_path):
    tokens = np.zeros(1, TOKEN_DTYPE)
    tokens["kind"], tokens["rid"] = 1, 7   # only 2 records: the index would read past them
    with pytest.raises(FingerprintFileError, match="record or a kind"):
        Fingerprint.load(made(tmp_path, tokens=tokens))
    tokens["rid"], tokens["kind"] = 0, 9
    with pytest.raises(FingerprintFileError, match="record or a kind"):
        Fingerprint.load(made(tmp_path, tokens=tokens))


def test_a_token_count_that_differs_from_the_header_is_refused(tmp_path):
    path = made(tmp_path)
    import json
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = json.loads(bytes(np.load(path)["header"]).decode())
    header["tokens"] = 5
    buffer = tmp_path / "header.npy"
    np.save(buffer, np.frombuffer(json.dumps(header).encode(), np.uint8))
    members["header.npy"] = buffer.read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(FingerprintFileError, match="tokens do not match"):
        Fingerprint.load(path)
