"""What a scan notes of each batch's confirmed pairs, per dataset (scanner._ScanState.note)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from leakwatch.matchers.match.scanner import EVIDENCE_ROWS, _ScanState


def _noted_one_dataset_at_a_time(batches):
    """The reference: a mask per dataset, as the scan's parent noted them before."""
    fields, kinds, rows = {}, {}, {}
    for datasets, field_bits, kinds_mask, dump_rows in batches:
        for ds in sorted(set(datasets.tolist())):
            here = datasets == ds
            fields[ds] = fields.get(ds, 0) | int(np.bitwise_or.reduce(field_bits[here]))
            kinds[ds] = kinds.get(ds, 0) | int(np.bitwise_or.reduce(kinds_mask[here]))
            kept = rows.setdefault(ds, [])
            if len(kept) < EVIDENCE_ROWS:
                kept.extend(sorted(set(dump_rows[here].tolist()))[: EVIDENCE_ROWS - len(kept)])
    return fields, kinds, rows


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=1, max_size=6), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_each_datasets_fields_kinds_and_evidence_rows_are_those_of_its_own_pairs(sizes, n_datasets, seed):
    rng = np.random.default_rng(seed)
    batches, first_row = [], 0
    for size in sizes:
        batches.append((rng.integers(0, n_datasets, size).astype(np.int64),
                        rng.integers(0, 1 << 16, size).astype(np.uint16),
                        rng.integers(0, 1 << 8, size).astype(np.uint16),
                        rng.integers(1, 500, size).astype(np.int64) + first_row))
        first_row += 500
    state = _ScanState(index=None)
    for batch in batches:
        state.note(*batch)
    assert (state._fields, state._kinds, state._rows) == _noted_one_dataset_at_a_time(batches)
