"""moto's S3 server in a process of its own: `python -m benchmarks.moto_process` prints `port <n>` once it
listens and serves until its stdin closes.

The storage benchmark's parent process already serves the report documents (the SP-API emulator); a second
process gives moto its own interpreter lock, so receiving an upload does not wait for serving a download.
"""

from __future__ import annotations

import logging
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(f"port {server.get_host_and_port()[1]}", flush=True)
    try:
        sys.stdin.read()  # the parent closes our stdin (or exits) when it is done
    finally:
        server.stop()


if __name__ == "__main__":
    main()
