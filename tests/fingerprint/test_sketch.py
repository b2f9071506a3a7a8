"""The sketch's own update gives the hash values datasketch's update_batch gives."""

import subprocess
import sys

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import sketch
from leakwatch.matchers.fingerprint.sketch import NUM_PERM, SCHEME, SEED, TokenSketch, new_minhash, update


def test_the_c_update_is_built_by_the_install():
    assert sketch._sketch is not None


@pytest.mark.parametrize("size", [0, 1, 7, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("ours_update", [update, sketch._update_numpy], ids=["c", "numpy"])
def test_update_gives_the_hash_values_of_update_batch(size, ours_update):
    rng = np.random.default_rng(size)
    tokens = rng.integers(0, 2**64, size, dtype=np.uint64, endpoint=False)
    tokens[: size // 3] = rng.integers(0, 1000, size // 3)  # small values too: the mix must carry
    ours, theirs = new_minhash(), new_minhash()
    before = ours.hashvalues
    ours_update(ours, tokens)
    theirs.update_batch(tokens.tolist())
    assert np.array_equal(ours.hashvalues, theirs.hashvalues)
    assert ours.hashvalues.dtype == theirs.hashvalues.dtype == np.uint64
    assert ours.hashvalues is not before or size == 0  # a new array, as datasketch makes


def test_the_c_update_refuses_arrays_of_another_kind():
    minhash = new_minhash()
    a, b = minhash.permutations
    with pytest.raises(TypeError):
        sketch._sketch.update(minhash.hashvalues.copy(), a, b, np.arange(5, dtype=np.int32))
    with pytest.raises(ValueError):
        sketch._sketch.update(minhash.hashvalues.copy(), a[:3], b, np.arange(5, dtype=np.uint64))
    with pytest.raises((TypeError, BufferError, ValueError)):
        sketch._sketch.update(np.zeros(128, np.uint64)[::-1], a, b, np.arange(5, dtype=np.uint64))


def test_a_sketch_fed_in_batches_is_the_sketch_of_their_union():
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 2**63, 20_000, dtype=np.uint64)
    whole, parts = TokenSketch(), TokenSketch()
    whole.update(tokens)
    for part in np.array_split(tokens, 7):
        parts.update(part)
    assert np.array_equal(whole.minhash.hashvalues, parts.minhash.hashvalues)
    reference = new_minhash()
    reference.update_batch(np.unique(tokens[(tokens & np.uint64(3)) == 0]).tolist())
    assert np.array_equal(whole.minhash.hashvalues, reference.hashvalues)
    assert whole.fed == parts.fed


def test_the_stored_permutations_are_those_datasketch_draws():
    from datasketch import MinHash

    drawn = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)
    assert np.array_equal(new_minhash().permutations, drawn.permutations)


def test_a_sketch_loads_datasketchs_two_classes_and_the_package_still_imports_whole_after():
    # In a fresh process: a scan's parent makes its sketch without the rest of datasketch
    # (its LSH modules import SciPy's core) or numpy.random; the package imported afterwards is whole.
    code = (
        "import sys\n"
        "from leakwatch.matchers.fingerprint.sketch import new_minhash\n"
        "m, lean = new_minhash(), new_minhash([7] * 128)\n"
        "loaded = [n for n in ('scipy', 'numpy.random', 'datasketch', 'datasketch.lsh') if n in sys.modules]\n"
        "assert not loaded, loaded\n"
        "import datasketch\n"
        "assert datasketch.MinHash is type(m) and datasketch.LeanMinHash is type(lean)\n"
        "assert datasketch.MinHashLSH and 'datasketch.lsh' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
