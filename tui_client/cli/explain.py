"""`tsunagi explain [CODE]`: what a finding code means and how to fix it (all codes without CODE)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("code", nargs="?", help=t("cli.arg.code"))
    p.add_argument("--markdown", action="store_true", help=t("cli.arg.markdown"))


class _Placeholders(dict):
    def __missing__(self, key):
        from tui_client.catalog import TEXT

        return "〈" + TEXT.get("ph." + key, key) + "〉"


#: Areas in the order a file meets them; areas of later issues (certificates, network) follow.
AREA_ORDER = ("NAME", "FILE", "ENC", "CSV", "FLD", "ROW", "VER", "BND", "MORE")


def _area_key(code: str):
    area = code.split("-")[1]
    return (AREA_ORDER.index(area) if area in AREA_ORDER else len(AREA_ORDER), area, code)


def template_text(template: str) -> str:
    """A catalogue template with its placeholders shown as 〈name〉, for reading without a file."""
    import string

    return string.Formatter().vformat(template, (), _Placeholders())


def codes_markdown() -> str:
    """docs/finding-codes.md: every code, its message and its fix, grouped by area."""
    from tui_client.catalog import FINDINGS, t

    lines = [t("explain.md.title"), "", t("explain.md.intro"), ""]
    area = None
    for code in sorted(FINDINGS, key=_area_key):
        this = code.split("-")[1]
        if this != area:
            area = this
            if lines[-1] != "":
                lines.append("")
            lines += [f"## {t('explain.md.area.' + area)} ({area})", "",
                      t("explain.md.header"), "| --- | --- | --- | --- |"]
        message, fix = FINDINGS[code]
        sev = t("severity.error" if code.startswith("E-") else "severity.warning")
        cell = [code, sev, template_text(message), template_text(fix)]
        lines.append("| " + " | ".join(c.replace("|", "｜").replace("\n", " ") for c in cell) + " |")
    return "\n".join(lines).rstrip() + "\n"


def run(args) -> int:
    from tui_client.catalog import FINDINGS, explain, t

    out = sys.stdout
    if args.markdown:
        out.write(codes_markdown())
        return 0
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
