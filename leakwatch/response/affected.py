"""Who was affected, at the institution: the positions the monitor found, turned into the
institution's own rows on its own machine.

`leakwatch affected MATCH --table patients.csv` fetches the positions of the match with the
institution's API token, reads the table the fingerprint file was made from (with the same
reader `leakwatch fingerprint` used, so record n is the same row) and writes those rows to a
local file, readable by its owner only. Nothing is sent back: the request carries the match
id and the token, the answer only numbers.
"""

import csv
import os
import tempfile
from pathlib import Path

from leakwatch.matchers.errors import LeakwatchError

EVIDENCE_COLUMN = "leakwatch_evidence"   # confirmed, or weak (seen with weak evidence only)
RECORD_COLUMN = "leakwatch_record"       # the record number in the fingerprint file (0 = first data row)


class AffectedError(LeakwatchError):
    """The positions cannot be fetched, or do not fit the table given."""


def fetch_positions(api_url: str, token: str, match_id: str, timeout: float = 30) -> dict:
    import httpx

    url = f"{api_url.rstrip('/')}/api/v1/matches/{match_id}/affected"
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise AffectedError(f"the monitor's API at {api_url} is not reachable: {type(exc).__name__}") from None
    if response.status_code == 200:
        return response.json()
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    detail = detail if isinstance(detail, str) else response.reason_phrase
    raise AffectedError(f"the monitor answered {response.status_code} for {match_id}: {detail}")


def write_affected(positions: dict, header, records, out: Path) -> dict:
    """Write the rows at the positions (confirmed first, then weak) to `out` (mode 0600,
    replaced atomically); returns the counts written. `records` iterates the table's rows in
    the order it was fingerprinted."""
    confirmed, weak = set(positions["confirmed"]), set(positions["weak"])
    wanted = confirmed | weak
    found, width, rows = {}, 0, 0
    for number, record in enumerate(records):
        rows += 1
        width = max(width, len(record))
        if number in wanted:
            found[number] = list(record)
    expected = int(positions.get("table_rows") or 0)
    if expected and rows != expected:
        raise AffectedError(f"the table has {rows} rows but the fingerprint file of this match was made from "
                            f"{expected} (made {positions.get('fingerprint_created_at') or 'at an unknown time'}): "
                            "give the table that file was made from")
    missing = sorted(wanted - set(found))
    if missing:
        raise AffectedError(f"{len(missing)} position(s) are past the table's {rows} rows: give the table the "
                            "fingerprint file was made from")
    head = list(header) if header else [f"column_{i + 1}" for i in range(width)]
    out = Path(out)
    handle = tempfile.NamedTemporaryFile("w", dir=out.parent or ".", prefix=f".{out.name}.", suffix=".tmp",
                                         delete=False, newline="", encoding="utf-8")
    try:
        with handle:
            os.chmod(handle.name, 0o600)  # the institution's own patients: its owner only
            writer = csv.writer(handle)
            writer.writerow([EVIDENCE_COLUMN, RECORD_COLUMN, *head])
            for label, numbers in (("confirmed", sorted(confirmed)), ("weak", sorted(weak - confirmed))):
                for number in numbers:
                    writer.writerow([label, number, *found[number]])
        os.replace(handle.name, out)
    except BaseException:
        os.unlink(handle.name)
        raise
    return {"confirmed": len(confirmed), "weak": len(weak - confirmed), "canaries": len(positions.get("canaries") or []),
            "skipped_confirmed": int(positions.get("skipped_confirmed") or 0),
            "skipped_weak": int(positions.get("skipped_weak") or 0)}
