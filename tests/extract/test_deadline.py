"""Reads with a deadline (extract/deadline.py) and cells in windows (extract/cells.py), on real
pipes and FIFOs: a writer that trickles or says nothing cannot hold a read past the deadline."""

import os
import threading
import time

import pytest

from leakwatch.matchers.extract.budget import SourceStopped
from leakwatch.matchers.extract.cells import fit_cells, windows
from leakwatch.matchers.extract.deadline import DeadlineReader, open_for_scan, with_deadline


def _trickle(fd: int, data: bytes, pause: float, stop: threading.Event) -> threading.Thread:
    def write():
        try:
            os.write(fd, data)
            while not stop.wait(pause):
                os.write(fd, b"x")
        except OSError:
            pass
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_trickling_pipe_gives_what_it_has_then_stops_at_the_deadline():
    read_end, write_end = os.pipe()
    stop = threading.Event()
    _trickle(write_end, b"first bytes\n", 5.0, stop)
    try:
        started = time.monotonic()
        reader = DeadlineReader(read_end, started + 1.0, "pipe", 1.0)
        assert reader.read(1 << 20) == b"first bytes\n"  # not a wait for the whole MiB
        with pytest.raises(SourceStopped, match=r"pipe took longer than 1 s \(max_seconds\)"):
            reader.read(1 << 20)
        assert time.monotonic() - started < 2.0
        with pytest.raises(SourceStopped):  # and every later read too, at once
            reader.read(10)
    finally:
        stop.set()
        os.close(write_end)
        os.close(read_end)


def test_a_fifo_without_a_writer_is_opened_at_once_and_stops_at_the_deadline(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    started = time.monotonic()
    with open_for_scan(path) as handle:  # open(2) of a FIFO would wait for a writer
        reader = with_deadline(handle, started + 0.5, "fifo", 0.5)
        assert isinstance(reader, DeadlineReader)
        with pytest.raises(SourceStopped):
            reader.read(100)
    assert time.monotonic() - started < 1.5


def test_a_fifo_read_to_its_end_ends_normally(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)

    def write():
        with open(path, "wb") as pipe:
            pipe.write(b"a;b\n1;2\n")
    threading.Thread(target=write, daemon=True).start()
    with open_for_scan(path) as handle:
        reader = with_deadline(handle, time.monotonic() + 10, "fifo", 10)
        data = b""
        while chunk := reader.read(4096):
            data += chunk
    assert data == b"a;b\n1;2\n"


def test_a_regular_file_is_read_as_it_is(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"a;b\n")
    with open_for_scan(path) as handle:
        assert with_deadline(handle, time.monotonic() + 10, "a.csv", 10) is handle


@pytest.mark.parametrize("length", [999, 1000, 1001, 4321, 10_000])
def test_windows_cover_the_whole_cell_and_keep_any_short_identifier_whole(length):
    text = "".join(chr(0x41 + (i * 7) % 26) for i in range(length))
    parts = windows(text, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert parts[0] == text[:1000] and text.endswith(parts[-1])
    # every 200-character stretch (longer than any identifier) is whole in some window
    assert all(any(text[at:at + 200] in p for p in parts) for at in range(0, max(length - 200, 0) + 1, 97))


def test_fit_cells_puts_windows_in_place_of_a_long_cell():
    assert fit_cells(["a", "b" * 2500, "c"], 1000) == ["a", *windows("b" * 2500, 1000), "c"]
    short = ["a", "b"]
    assert fit_cells(short, 1000) is short
