"""`tsunagi explain [CODE]`: what a finding code means and how to fix it (all codes without CODE)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("code", nargs="?", help=t("cli.arg.code"))


class _Placeholders(dict):
    def __missing__(self, key):
        return "〈" + key + "〉"


def template_text(template: str) -> str:
    """A catalogue template with its placeholders shown as 〈name〉, for reading without a file."""
    import string

    return string.Formatter().vformat(template, (), _Placeholders())


def run(args) -> int:
    from tui_client.catalog import FINDINGS, explain, t

    out = sys.stdout
    if not args.code:
        out.write(t("explain.list_header") + "\n")
        for code in sorted(FINDINGS):
            out.write(f"  {code}  {template_text(FINDINGS[code][0])}\n")
        return 0
    entry = explain(args.code)
    if entry is None:
        sys.stderr.write(t("explain.unknown", code=args.code) + "\n")
        return 3
    code = args.code.strip().upper()
    severity = "explain.severity.error" if code.startswith("E-") else "explain.severity.warning"
    out.write(f"{code}  {t(severity)}\n")
    out.write(t("explain.message", message=template_text(entry[0])) + "\n")
    out.write(t("explain.fix", fix=template_text(entry[1])) + "\n")
    return 0
