"""The command line: `tsunagi …` (also `python -m tui_client`).

Each sub-command lives in its own module and is imported only when it runs, so that `tsunagi check`
on an old PC never pays for Textual, requests or the relay. Commands stand on the same façade and core
as the UI; none parses CSV or builds HTTP requests itself.

Exit codes (all commands): 0 clean, 1 warnings only, 2 errors, 3 unusable input, 4 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from tui_client import __version__

#: name → (module under tui_client.cli, catalogue key of its one-line help)
COMMANDS = {
    "check": ("check", "cli.help.check"),
    "explain": ("explain", "cli.help.explain"),
    "sample": ("sample", "cli.help.sample"),
    "cert": ("cert", "cli.help.cert"),
    "seal": ("seal", "cli.help.seal"),
    "open": ("open", "cli.help.open"),
    "receipt": ("receipt", "cli.help.receipt"),
    "relay": ("relay", "cli.help.relay"),
    "send": ("send", "cli.help.send"),
    "receive": ("receive", "cli.help.receive"),
    "batch": ("batch", "cli.help.batch"),
    "demo": ("demo", "cli.help.demo"),
    "status": ("status", "cli.help.status"),
    "setup": ("setup", "cli.help.setup"),
    "serve": ("serve", "cli.help.serve"),
    "training": ("training", "cli.help.training"),
    "note": ("note", "cli.help.note"),
}

EXIT_USAGE = 4


def _parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole parser; given the ``command`` that will run, only that sub-command's module is
    imported (the others keep their one-line help), so `tsunagi open` does not import the modules and
    their dependencies of all seventeen commands first."""
    from tui_client.catalog import t

    parser = argparse.ArgumentParser(prog="tsunagi", description=t("cli.description"))
    parser.add_argument("--version", action="version", version=f"tsunagi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_key) in COMMANDS.items():
        p = sub.add_parser(name, help=t(help_key), description=t(help_key))
        if command is not None and name != command:
            continue
        mod = importlib.import_module(f"tui_client.cli.{module}")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _safe_streams() -> None:
    """Never crash on printing Japanese: a C/ASCII locale gets UTF-8, anything else replaces."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        enc = (getattr(stream, "encoding", "") or "").lower().replace("-", "_")
        if enc in ("ascii", "ansi_x3.4_1968", "us_ascii", ""):
            reconfigure(encoding="utf-8", errors="replace")
        else:
            reconfigure(errors="replace")


def open_app(parser: Optional[argparse.ArgumentParser] = None) -> int:
    """`tsunagi` alone: the app for the office set up on this PC, else the set-up check. Without a
    terminal (a pipe, a script) it prints the help as before."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        if parser is not None:
            parser.print_help()
        return 0
    from tui_client.ui.app import office_app

    app = office_app()
    app.run()
    return int(app.return_code or 0)


def main(argv: Optional[List[str]] = None) -> int:
    _safe_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv[0] if argv and argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors; ours is 4 so 2 keeps meaning "errors"
        return 0 if exc.code in (0, None) else EXIT_USAGE
    if not getattr(args, "command", None):
        return open_app(parser)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`tsunagi … | head`): stop quietly like other command-line tools, and
        # point stdout at /dev/null so the flush at exit does not raise again.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
