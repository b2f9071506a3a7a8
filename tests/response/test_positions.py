"""The registered records a match found are stored as their positions in the fingerprint file."""

import numpy as np

from leakwatch.matchers.registry.positions import MatchPositions


def test_a_match_keeps_the_positions_of_the_registered_records_it_found(lab):
    stored = lab.runtime.queue.positions.read(lab.matches["leak"])
    assert stored["confirmed"] == lab.leaked
    assert stored["rows"] == len(lab.rows) == 120
    # The canary in the leak was the first of the two planted (canaries follow the table's rows).
    assert stored["canaries"] == [0]
    assert stored["skipped_confirmed"] == stored["skipped_weak"] == 0
    match = lab.runtime.queue.get(lab.matches["leak"])
    assert match["records"] == len(stored["confirmed"])


def test_positions_are_not_in_the_sighting_or_the_scan_report(lab):
    sighting = lab.runtime.sightings.get(lab.matches["leak"].split("-")[0])
    for found in sighting["matches"]:
        assert "positions" not in found and "weak_positions" not in found


def test_a_bound_on_positions_reports_what_it_left_out(redis_client, namespace):
    store = MatchPositions(redis_client, namespace, max_positions=3)
    store.write("s1-a-b", np.array([9, 1, 5, 7, 3]), np.array([2, 4]), rows=10)
    stored = store.read("s1-a-b")
    assert stored["confirmed"] == [1, 3, 5] and stored["skipped_confirmed"] == 2
    assert stored["weak"] == [2, 4] and stored["skipped_weak"] == 0


def test_positions_cost_four_bytes_a_record(redis_client, namespace):
    store = MatchPositions(redis_client, namespace)
    store.write("s2-a-b", np.arange(100_000), (), rows=100_000)
    assert len(redis_client.hget(store.key("s2-a-b"), "confirmed")) == 400_000
    assert store.read("s2-a-b")["confirmed"][-1] == 99_999
