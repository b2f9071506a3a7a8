"""The web app in a process of its own, as `leakwatch serve` would run it, for the tests.

Settings come from LEAKWATCH_* variables. Binds a free port on 127.0.0.1 first, prints the
app's URL on stdout, then serves with uvicorn (access log and the app's logs on stderr,
which the tests read to check that no personal value is ever logged).

    python tests/web/serve_app.py MAX_UPLOAD_BYTES
"""

import logging
import socket
import sys

import uvicorn

from leakwatch.runtime import Runtime
from leakwatch.settings import Settings
from leakwatch.web import create_app


def main() -> None:
    max_upload = int(sys.argv[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    runtime = Runtime(Settings.load(flags={"public_url": url}))
    app = create_app(runtime, max_upload_bytes=max_upload)
    # No proxy in front: the peer address is the client's (the login throttle counts by it).
    config = uvicorn.Config(app, log_level="info", proxy_headers=False, log_config=None)
    print(url, flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
