"""`tsunagi serve`: the same app in a browser through textual-serve, for staff whose only way in is a
browser. Listens on 127.0.0.1 unless told otherwise; each browser tab runs its own `tsunagi` process
(textual-serve starts the command per connection), so nothing here handles office data itself.
"""

from __future__ import annotations

import argparse
import shlex
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--host", default="127.0.0.1", help=t("cli.arg.serve_host"))
    p.add_argument("--port", type=int, default=8000, help=t("cli.arg.serve_port"))
    p.add_argument("--demo", action="store_true", help=t("cli.arg.serve_demo"))


def command(demo: bool) -> str:
    """The command textual-serve runs for each browser: this Python, the app module."""
    args = [sys.executable, "-m", "tui_client.ui", *(["--demo"] if demo else [])]
    return " ".join(shlex.quote(a) for a in args)


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t

    try:
        from textual_serve.server import Server
    except ImportError:
        print(t("serve.missing_extra"), file=sys.stderr)
        return 3
    server = Server(command(args.demo), host=args.host, port=args.port, title="tsunagi")
    print(t("serve.listening", url=f"http://{args.host}:{args.port}"))
    server.serve()
    return 0
