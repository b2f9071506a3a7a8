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

__all__ = ["AlreadyRunning", "ScanService", "scan_with_service"]

# Looked up on first use: the client (run before the command line is parsed) imports this package,
# and must not import the server's modules with it.
_WHERE = {"AlreadyRunning": "server", "ScanService": "server", "scan_with_service": "client"}


def __getattr__(name):
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
