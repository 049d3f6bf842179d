"""`python -m spapi_emulator`: run the emulator in the foreground for manual use.

    python -m spapi_emulator --port 8765 --app CLIENT_ID=CLIENT_SECRET --seller 'Atzr|…=A3TH9S8BH6GOGM'

Secrets given on the command line are never printed back.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from spapi_emulator.app import EmulatorConfig
from spapi_emulator.server import SpApiEmulator


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key or not value:
        raise argparse.ArgumentTypeError("expected KEY=VALUE")
    return key, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m spapi_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--models-dir", default=None, help="default: $SPAPI_MODELS_DIR, else the copy `make models` fetches"
    )
    parser.add_argument("--app", action="append", type=_pair, default=[], metavar="CLIENT_ID=SECRET")
    parser.add_argument(
        "--seller", action="append", type=_pair, default=[], metavar="REFRESH_TOKEN=SELLER_ID"
    )
    parser.add_argument("--in-queue-seconds", type=float, default=1.0)
    parser.add_argument("--in-progress-seconds", type=float, default=2.0)
    parser.add_argument("--access-token-ttl", type=int, default=3600)
    parser.add_argument("--document-url-ttl", type=float, default=300.0)
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    args = parser.parse_args(argv)

    config = EmulatorConfig(
        access_token_ttl=args.access_token_ttl,
        document_url_ttl=args.document_url_ttl,
        in_queue_seconds=args.in_queue_seconds,
        in_progress_seconds=args.in_progress_seconds,
    )
    emulator = SpApiEmulator(host=args.host, port=args.port, models_dir=args.models_dir, config=config)
    for client_id, secret in args.app:
        emulator.register_app(client_id, secret)
    for refresh_token, seller_id in args.seller:
        emulator.register_seller(refresh_token, seller_id)
    if args.no_rate_limits:
        emulator.disable_rate_limits()

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with emulator:
        print(f"SP-API emulator on {emulator.url} (LWA: {emulator.lwa_url})", flush=True)
        print(f"{len(args.app)} application(s), {len(args.seller)} seller(s) registered", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()


if __name__ == "__main__":
    main()
