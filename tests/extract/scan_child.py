"""Run open_documents in a fresh process and report peak memory: tests use it to show that
memory stays flat whatever the input size (ru_maxrss of a child is not blurred by the tests).

    python scan_child.py PATH            scan a file
    python scan_child.py lazy:MEGABYTES  scan a CSV generated on the fly, never held whole
"""

import io
import json
import resource
import sys
import time
from pathlib import Path


from leakwatch.matchers.extract import ExtractError, open_documents  # noqa: E402

LINE = b"user%d@x.fr;Dupont;Jean;05/12/1961;0610012046\n"


class LazyCsv(io.RawIOBase):
    """``total`` bytes of CSV, produced piece by piece from one 1 MB block."""

    def __init__(self, total: int):
        super().__init__()
        self.left = total
        self.block = b"".join(LINE % i for i in range(20_000))
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.left <= 0:
            return 0
        n = min(len(b), self.left, len(self.block) - self.pos)
        b[:n] = self.block[self.pos:self.pos + n]
        self.pos = (self.pos + n) % len(self.block)
        self.left -= n
        return n


def main(spec: str) -> None:
    source = LazyCsv(int(spec[5:]) * 1024 * 1024) if spec.startswith("lazy:") else spec
    start = time.monotonic()
    docs = []
    for doc in open_documents(source):
        rows, raised = 0, None
        try:
            for _ in doc.records():
                rows += 1
        except ExtractError as exc:
            raised = str(exc)
        docs.append({"name": doc.name, "format": doc.format, "rows": rows, "bytes_read": doc.bytes_read,
                     "error": str(doc.error) if doc.error else None, "raised": raised})
    # CPU seconds, not wall-clock: a shared, loaded machine must not fail a test of work done.
    print(json.dumps({"docs": docs, "seconds": time.monotonic() - start, "cpu_seconds": time.process_time(),
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(sys.argv[1])
