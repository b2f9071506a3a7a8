"""Small dumps are sketched whole: their 1-in-4 sample can be empty, and a repost then went unlinked.

CI caught it: a 3-column repost of a 3-person dump has 9 distinct tokens, none of them
sampled about once in thirteen keys, and its scan found no earlier sighting.
"""

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, TokenSketch, Tokenizer
from leakwatch.matchers.fingerprint.sketch import WHOLE_LIMIT, sample, whole
from leakwatch.matchers.normalize import nir_key
from leakwatch.matchers.registry import SightingStore


def nir(body):
    return body + f"{nir_key(body):02d}"


PEOPLE = [
    [nir("1611275123456"), "Dupont", "Jean-Pierre", "1961-12-05", "75012", "0610012046", "jp.dupont@mail.fr"],
    [nir("2700569001002"), "Martin", "Hélène", "1970-05-17", "69003", "0472001122", "helene.m@ex.fr"],
    [nir("1850213055033"), "N'Diaye", "Moussa", "1985-02-02", "13005", "0699887766", "moussa@ex.org"],
]


def sketch_of(tokenizer, rows, batch=10_000):
    sketch = TokenSketch()
    for start in range(0, len(rows), batch):
        sketch.update(tokenizer.batch(rows[start:start + batch]).tokens)
    return sketch


def test_a_small_set_is_sketched_whole_however_it_is_batched():
    tokens = np.random.default_rng(1).integers(0, 2**64 - 1, 900, dtype=np.uint64, endpoint=True)
    at_once, in_pieces = TokenSketch(), TokenSketch()
    at_once.update(tokens)
    for piece in np.array_split(np.concatenate([tokens, tokens[:300]]), 7):
        in_pieces.update(piece)
    assert at_once.whole_size == in_pieces.whole_size == 900 == at_once.cardinality
    assert np.array_equal(at_once.whole_minhash.hashvalues, in_pieces.whole_minhash.hashvalues)


def test_a_big_set_is_not_sketched_whole_even_when_each_batch_is_small():
    tokens = np.random.default_rng(2).integers(0, 2**64 - 1, 3 * WHOLE_LIMIT, dtype=np.uint64, endpoint=True)
    sketch = TokenSketch()
    for piece in np.array_split(tokens, 6):  # 512 tokens a batch, 3072 in all
        sketch.update(piece)
    assert sketch.whole_size == 0 and sketch.whole_minhash is None
    assert sketch.fed and sketch.cardinality > WHOLE_LIMIT
    big_batch = np.random.default_rng(4).integers(0, 2**64 - 1, 8 * WHOLE_LIMIT, dtype=np.uint64, endpoint=True)
    assert whole(big_batch, sample(big_batch)[0]) is None  # a big batch is not even sorted twice


def test_a_small_repost_is_linked_whatever_the_key(redis_client, namespace):
    rows = PEOPLE * 20
    repost = [[r[6], r[0], r[5]] for r in reversed(rows)]  # 3 columns of 3 people: 9 tokens
    missed = 0
    for attempt in range(40):
        tokenizer = Tokenizer(DeploymentKey.generate().hasher())
        store = SightingStore(redis_client, f"{namespace}{attempt}")
        first = store.record(name="dump.csv", sha256="a" * 64, rows=60, fmt="csv", matches=[],
                             sketch=sketch_of(tokenizer, rows))
        again = SightingStore(redis_client, f"{namespace}{attempt}")  # another process: from Redis
        similar = again.similar(sketch_of(tokenizer, repost, batch=7), "b" * 64)
        if [s["id"] for s in similar] != [first["id"]]:
            missed += 1
        else:
            assert similar[0]["containment"] >= 0.6
    # Sketched by samples only, about 3 of 40 keys linked nothing (0.75^9 each).
    assert missed == 0


def test_unrelated_small_dumps_are_not_linked(redis_client, namespace):
    tokenizer = Tokenizer(DeploymentKey.generate().hasher())
    store = SightingStore(redis_client, namespace)
    store.record(name="a.csv", sha256="a" * 64, rows=1, fmt="csv", matches=[],
                 sketch=sketch_of(tokenizer, PEOPLE[:1]))
    assert store.similar(sketch_of(tokenizer, PEOPLE[1:]), "b" * 64) == []


@pytest.mark.parametrize("drop_whole", [False, True])
def test_a_big_dump_and_sightings_stored_before_whole_sketches_link_by_their_samples(
        redis_client, namespace, drop_whole):
    tokens = np.random.default_rng(3).integers(0, 2**64 - 1, 8 * WHOLE_LIMIT, dtype=np.uint64, endpoint=True)
    store = SightingStore(redis_client, namespace)
    small = TokenSketch()
    small.update(tokens[:WHOLE_LIMIT])
    old = store.record(name="teaser", sha256="a" * 64, rows=1, fmt="csv", matches=[], sketch=small)
    if drop_whole:  # as a sighting recorded before small dumps were sketched whole
        redis_client.hdel(store._key(old["id"]), "minhash_whole", "cardinality_whole")
    big = TokenSketch()
    big.update(tokens[: 2 * WHOLE_LIMIT])
    assert big.whole_minhash is None
    linked = SightingStore(redis_client, namespace).similar(big, "b" * 64)
    assert [s["id"] for s in linked] == [old["id"]] and linked[0]["containment"] >= 0.6


def test_every_earlier_copy_of_a_dump_is_found_and_one_deleted_meanwhile_is_left_out(redis_client, namespace):
    """The candidates' sketches are read in one round trip: each is still judged on its own."""
    tokenizer = Tokenizer(DeploymentKey.generate().hasher())
    store = SightingStore(redis_client, namespace)
    rows = PEOPLE * 20
    copies = [store.record(name=f"copy{n}.csv", sha256=f"{n:064x}", rows=60, fmt="csv", matches=[],
                           sketch=sketch_of(tokenizer, rows))["id"] for n in range(12)]
    store.record(name="other.csv", sha256="e" * 64, rows=1, fmt="csv", matches=[],
                 sketch=sketch_of(tokenizer, PEOPLE[:1]))
    # another process deletes one copy's record; this store's index still holds it
    redis_client.delete(store._key(copies[5]))
    similar = store.similar(sketch_of(tokenizer, [[r[6], r[0], r[5]] for r in rows]), "f" * 64)
    assert sorted(s["id"] for s in similar) == sorted(copies[:5] + copies[6:])
