"""MinHash sketches of token sets (datasketch), for near-duplicate dumps and reposts.

Format v1: datasketch MinHash, scheme 'affine64', num_perm 128, seed 1, fed with the
64-bit tokens themselves. Only tokens whose two lowest bits are zero are fed: a
consistent 1-in-4 sample (the same token is always in or always out), so Jaccard
estimates of the samples stand for those of the whole sets at a quarter of the cost.
"""

import numpy as np

from ..distinct import distinct
from .load_datasketch import datasketch

NUM_PERM = 128
SEED = 1
SCHEME = "affine64"
SAMPLE_MASK = np.uint64(3)
SAMPLE_RATE = 4
_CHUNK = 1024  # tokens per update: keeps the (chunk x num_perm) matrix near 1 MB, in cache


# The tokens are keyed hashes already: each is its own hash value. `int` (a builtin, not a
# Python function) because datasketch calls it once per token.
def new_minhash(hashvalues=None):
    """A datasketch MinHash of format v1: empty, to be fed; or, from stored hash values, a
    read-only LeanMinHash (for LSH and Jaccard; 5x cheaper to make: it draws no permutations).

    datasketch is imported here, on first use, not with this module: a scan's worker
    processes, forked before, never need it (see `sample`, and load_datasketch.py).
    """
    ds = datasketch()
    if hashvalues is not None:
        return ds.LeanMinHash(seed=SEED, hashvalues=np.asarray(hashvalues, dtype=np.uint64), scheme=SCHEME)
    return ds.MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)


def sample(tokens: np.ndarray) -> tuple[np.ndarray, int]:
    """The distinct sampled tokens of `tokens` and how many sampled tokens there were: what a
    TokenSketch is fed (`add_sample`), computed where datasketch is not imported."""
    sampled = tokens[(tokens & SAMPLE_MASK) == 0]
    return distinct(sampled), len(sampled)


class TokenSketch:
    """A MinHash of a stream of token batches, plus the estimated number of distinct tokens."""

    def __init__(self):
        self.minhash = new_minhash()
        self.fed = 0

    def update(self, tokens: np.ndarray) -> None:
        self.add_sample(*sample(tokens))

    def add_sample(self, sample: np.ndarray, fed: int) -> None:
        """Feed the distinct tokens of a `sample`; `fed` is how many sampled tokens they stand for."""
        for start in range(0, len(sample), _CHUNK):
            self.minhash.update_batch(sample[start:start + _CHUNK].tolist())
        self.fed += fed

    @property
    def cardinality(self) -> float:
        return 0.0 if self.fed == 0 else float(self.minhash.count()) * SAMPLE_RATE


def containment(jaccard: float, size_a: float, size_b: float) -> float:
    """Share of the smaller set found in the larger one, from their Jaccard similarity and sizes."""
    small = min(size_a, size_b)
    if small <= 0:
        return 0.0
    intersection = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return max(0.0, min(1.0, intersection / small))
