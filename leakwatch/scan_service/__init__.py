"""A scanner kept ready for `leakwatch scan`, as clamd is for clamdscan.

A `leakwatch scan` process pays, before it reads a byte, for an interpreter, its imports (numpy,
redis-py, the stages), the settings, the store's connection and the index: about 0.2 s of CPU,
more than the scan of a 15 MB export takes once they are there. `leakwatch scan-service` pays
for them once and keeps them; `leakwatch scan` then opens each file itself and hands it over a
Unix socket (wire.py), and prints the reports the service sends back, exactly as it would print
its own (cli/scan_output.py). Without a service, or with one of other settings, the command
scans in its own process as always.

    server.py   the service: one process per client, forked from the warm one
    client.py   the command's side, run before its command line is parsed
    wire.py     where the socket is, and the JSON lines and descriptors on it
"""
