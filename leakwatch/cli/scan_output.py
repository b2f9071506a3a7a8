"""What `leakwatch scan` prints and the exit code it ends with, whoever scanned the files: this
process, or a scan service (leakwatch.scan_service), whose client imports this module alone.

Exit 0: no match and no error; 1: a match (even if some file also had an error: each error is
then on stderr too); 2: an error and no match, or no dataset registered.
"""

import json
import sys

# The exit codes of every command (cli.root takes them from here: the scan service's client imports this alone).
EXIT_OK, EXIT_MATCH, EXIT_ERROR = 0, 1, 2

NOTHING_REGISTERED = ("no dataset is registered (none yet, or the store was emptied): the files were recorded "
                      "as sightings but matched against nothing; register datasets (leakwatch register) and scan again")


def error_line(message: str) -> None:
    # One line whatever the message holds: a log reader or cron mail shows one line per failure.
    print("leakwatch: " + " ".join(str(message).split()), file=sys.stderr)


class ScanTally:
    """Prints each file's report as it comes and keeps what the exit code needs."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.found = self.failed = False
        self.unmatched = None

    def add(self, data: dict, registered: int | None) -> None:
        """data: a DumpReport's as_dict(); registered: the datasets registered, asked after the
        first file (None after the others: not asked again)."""
        if self.unmatched is None and registered is not None:
            # Against an empty registry (nothing registered yet, or a store emptied by a restart)
            # every dump reads "no match", which cron takes for "no leak": that is an error, not a
            # result. The files are still scanned and recorded as sightings: they were seen, and a
            # repost scanned once the registry is back links to its first sighting, with the date
            # it was first seen.
            self.unmatched = registered == 0
        self.found = self.found or bool(data["matches"])
        self.failed = self.failed or bool(data["error"])
        if self.as_json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            print_report(data, self.unmatched)
        sys.stdout.flush()
        if data["error"]:
            # on stderr as well: with exit code 1 (a match elsewhere) cron mails stderr, and an
            # error must not go unseen behind the match
            error_line(data["error"])

    def exit_code(self) -> int:
        # A match is never hidden by an error: 1 says "look at this leak", and the errors are on
        # stderr and in each file's "error"; 2 only when nothing matched and something failed.
        return EXIT_MATCH if self.found else EXIT_ERROR if self.failed or self.unmatched else EXIT_OK


def print_report(data: dict, unmatched: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    head = f"[bold]{data['file']}[/bold]: {data['rows']} rows, {data['format']}"
    if data["error"]:
        head += f" — [red]error: {data['error']}[/red]"
    console.print(head, highlight=False)
    if data["matches"]:
        table = Table("institution", "dataset", "records", "range", "fields", "matched on", "canaries")
        for m in data["matches"]:
            table.add_row(m["institution"], m["dataset"], str(m["records"]), f"{m['records_low']}–{m['records_high']}",
                          ", ".join(m["fields"]), ", ".join(m["matched_on"]), str(m["canaries"]) if m["canaries"] else "")
        console.print(table)
    elif unmatched:
        console.print("  not matched: no dataset is registered")
    elif not data["error"]:
        console.print("  no registered records found")
    for s in data["similar_sightings"]:
        console.print(f"  repeats {s['name']} {s['url'] or ''} first seen {s['first_seen']} "
                      f"(similarity {s['similarity']:.2f}, containment {s['containment']:.2f})", highlight=False)
