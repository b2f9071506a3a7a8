"""MinHash sketches of token sets (datasketch), for near-duplicate dumps and reposts.

Format v1: datasketch MinHash, scheme 'affine64', num_perm 128, seed 1, fed with the
64-bit tokens themselves. Only tokens whose two lowest bits are zero are fed: a
consistent 1-in-4 sample (the same token is always in or always out), so Jaccard
estimates of the samples stand for those of the whole sets at a quarter of the cost.

A small set's sample is too small for that: a 3-column paste of three people has 9 tokens,
and no sampled token at all one time in thirteen (0.75^9, depending on the key). So a set of
at most WHOLE_LIMIT distinct tokens also gets a MinHash of all its tokens (same scheme), and
its exact size: sightings compare two such sketches whole, anything else by the samples.
Whether a set has one depends only on its distinct tokens, never on how it was batched.
"""

import numpy as np

from ..distinct import distinct
from . import permutations
from .load_datasketch import minhash_classes

try:
    from . import _sketch
except ImportError:  # not built: numpy does it (_update_numpy)
    _sketch = None

NUM_PERM = 128
SEED = 1
SCHEME = "affine64"
SAMPLE_MASK = np.uint64(3)
SAMPLE_RATE = 4
WHOLE_LIMIT = 1024  # sets with at most this many distinct tokens are also sketched whole
# datasketch's (a, b) for SEED and NUM_PERM, stored: drawing them imports numpy.random
_permutations = np.array([permutations.A, permutations.B], dtype=np.uint64)
_CHUNK = 1024  # tokens per update: keeps the (chunk x num_perm) matrix near 1 MB, in cache
# MurmurHash3's 64-bit finalizer, which datasketch's affine64 scheme applies to each hash value
_FMIX = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


# The tokens are keyed hashes already: each is its own hash value. `int` (a builtin, not a
# Python function) because datasketch calls it once per token.
def new_minhash(hashvalues=None):
    """A datasketch MinHash of format v1: empty, to be fed; or, from stored hash values, a
    read-only LeanMinHash (for LSH and Jaccard; 5x cheaper to make: it draws no permutations).

    datasketch is imported here, on first use, not with this module: a scan's worker
    processes, forked before, never need it (see `sample`, and load_datasketch.py).
    """
    MinHash, LeanMinHash = minhash_classes()
    if hashvalues is not None:
        return LeanMinHash(seed=SEED, hashvalues=np.asarray(hashvalues, dtype=np.uint64), scheme=SCHEME)
    # The permutations are a function of the seed, given rather than drawn for every MinHash
    # (0.3 ms each, a small dump's scan makes two); datasketch copies none of them.
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int, permutations=_permutations)


def update(minhash, tokens: np.ndarray) -> None:
    """What `minhash.update_batch(tokens.tolist())` does to a MinHash of new_minhash (hashfunc
    int, scheme affine64), without a Python int per token: in C (_sketch.c) when it is built, 12x
    faster than `_update_numpy`, which was the main cost of a big scan's parent.
    tests/fingerprint/test_sketch.py checks both give datasketch's hash values."""
    if _sketch is None:
        _update_numpy(minhash, tokens)
        return
    a, b = minhash.permutations
    values = np.array(minhash.hashvalues, dtype=np.uint64)  # a new array, as datasketch's
    _sketch.update(values, a, b, np.ascontiguousarray(tokens, dtype=np.uint64))
    minhash.hashvalues = values


def _update_numpy(minhash, tokens: np.ndarray) -> None:
    """`update` in numpy: the reference of _sketch.c."""
    a, b = minhash.permutations
    shift, m1, m2 = _FMIX
    buffer = np.empty((min(_CHUNK, len(tokens)), len(a)), dtype=np.uint64)
    for start in range(0, len(tokens), _CHUNK):
        h = tokens[start:start + _CHUNK].astype(np.uint64)  # a copy: mixed in place
        h ^= h >> shift
        h *= m1
        h ^= h >> shift
        h *= m2
        h ^= h >> shift
        permuted = buffer[:len(h)]
        np.multiply(h[:, None], a, out=permuted)  # wraps modulo 2**64, as datasketch's
        permuted += b
        minhash.hashvalues = np.minimum(minhash.hashvalues, permuted.min(axis=0))  # a new array, as datasketch's


def sample(tokens: np.ndarray) -> tuple[np.ndarray, int]:
    """The distinct sampled tokens of `tokens` and how many sampled tokens there were: what a
    TokenSketch is fed (`add_sample`), computed where datasketch is not imported."""
    sampled = tokens[(tokens & SAMPLE_MASK) == 0]
    return distinct(sampled), len(sampled)


def whole(tokens: np.ndarray, distinct_sample: np.ndarray):
    """The distinct tokens of `tokens` while they may still be a small set (`add_whole`), or
    None when they cannot: more distinct sampled tokens than WHOLE_LIMIT means more distinct
    tokens too. A big batch costs nothing more than that comparison."""
    return None if len(distinct_sample) > WHOLE_LIMIT else distinct(tokens)


class TokenSketch:
    """A MinHash of a stream of token batches, plus the estimated number of distinct tokens."""

    def __init__(self):
        self.minhash = new_minhash()
        self.fed = 0
        self._whole = np.empty(0, np.uint64)  # distinct tokens so far; None past WHOLE_LIMIT
        self._whole_minhash = None

    def update(self, tokens: np.ndarray) -> None:
        distinct_sample, fed = sample(tokens)
        self.add_sample(distinct_sample, fed)
        self.add_whole(whole(tokens, distinct_sample))

    def add_sample(self, sample: np.ndarray, fed: int) -> None:
        """Feed the distinct tokens of a `sample`; `fed` is how many sampled tokens they stand for."""
        update(self.minhash, sample)
        self.fed += fed

    def add_whole(self, tokens) -> None:
        """Add a batch's distinct tokens (`whole`); None: the set is too big to be sketched whole."""
        if self._whole is None:
            return
        if tokens is None:
            self._whole = None
        elif len(tokens):
            union = distinct(np.concatenate([self._whole, tokens.astype(np.uint64, copy=False)]))
            self._whole = union if len(union) <= WHOLE_LIMIT else None
        self._whole_minhash = None

    @property
    def whole_size(self) -> int:
        """How many distinct tokens the set has, if it is small (at most WHOLE_LIMIT); else 0."""
        return 0 if self._whole is None else len(self._whole)

    @property
    def whole_minhash(self):
        """The MinHash of all the set's tokens, if it is small and not empty; else None."""
        if self._whole_minhash is None and self.whole_size:
            self._whole_minhash = new_minhash()
            update(self._whole_minhash, self._whole)
        return self._whole_minhash

    @property
    def cardinality(self) -> float:
        if self.whole_size:
            return float(self.whole_size)
        return 0.0 if self.fed == 0 else float(self.minhash.count()) * SAMPLE_RATE


def containment(jaccard: float, size_a: float, size_b: float) -> float:
    """Share of the smaller set found in the larger one, from their Jaccard similarity and sizes."""
    small = min(size_a, size_b)
    if small <= 0:
        return 0.0
    intersection = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return max(0.0, min(1.0, intersection / small))
