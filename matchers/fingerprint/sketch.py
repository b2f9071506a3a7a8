"""MinHash sketches of token sets (datasketch), for near-duplicate dumps and reposts.

Format v1: datasketch MinHash, scheme 'affine64', num_perm 128, seed 1, fed with the
64-bit tokens themselves. Only tokens whose two lowest bits are zero are fed: a
consistent 1-in-4 sample (the same token is always in or always out), so Jaccard
estimates of the samples stand for those of the whole sets at a quarter of the cost.
"""

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SEED = 1
SCHEME = "affine64"
SAMPLE_MASK = np.uint64(3)
SAMPLE_RATE = 4
_CHUNK = 4096  # tokens per update: keeps the (chunk x num_perm) matrix near 4 MB


# The tokens are keyed hashes already: each is its own hash value. `int` (a builtin, not a
# Python function) because datasketch calls it once per token.
def new_minhash(hashvalues=None) -> MinHash:
    if hashvalues is not None:
        return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int,
                       hashvalues=np.asarray(hashvalues, dtype=np.uint64))
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)


class TokenSketch:
    """A MinHash of a stream of token batches, plus the estimated number of distinct tokens."""

    def __init__(self):
        self.minhash = new_minhash()
        self.fed = 0

    def update(self, tokens: np.ndarray) -> None:
        sampled = tokens[(tokens & SAMPLE_MASK) == 0]
        for start in range(0, len(sampled), _CHUNK):
            self.minhash.update_batch(sampled[start:start + _CHUNK].tolist())
        self.fed += len(sampled)

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
