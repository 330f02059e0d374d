"""`tsunagi check FILE|DIR...`: check files before they leave the PC.

Exit codes: 0 clean, 1 warnings only, 2 errors, 3 unusable input (missing file, not a CSV …).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("paths", nargs="+", metavar="FILE|DIR", help=t("cli.arg.paths"))
    p.add_argument("--json", action="store_true", help=t("cli.arg.json"))


def describe(report) -> str:
    """One line saying what a file is, from its name: kind, month, sender → recipient."""
    from tui_client.catalog import t

    p = report.parsed
    if p is None:
        return ""
    month = ""
    if p.month and p.month != "000000":
        month = t("check.month", year=p.month[:4], month=int(p.month[4:]))

    def office(number, service):
        return t("check.office", number=number, service=service) if service else number

    return t("check.file_kind", kind=p.kind.name_ja, month=month,
             sender=office(p.sender, p.sender_service), recipient=office(p.recipient, p.recipient_service))


def write_finding(out, f, *, with_file: bool = False) -> None:
    """One finding as every file-handling command prints it: severity and code (and the file, where
    the output is not grouped by file) and the place; what is wrong; the one thing to do."""
    from tui_client.catalog import finding_location, finding_message, t
    from tui_client.core.safetext import printable

    message, fix = finding_message(f)
    head = t("check.error" if f.blocks_sending else "check.warning", code=f.code)
    if with_file and f.file:
        head += f"  {printable(f.file)}"
    where = finding_location(f)
    if where:
        head += f"  {where}"
    out.write(head + "\n")
    out.write(f"      {message}\n")
    if fix:
        out.write(t("check.fix", fix=fix) + "\n")


def finding_json(f) -> dict:
    """A finding for machines: its fields plus the Japanese message and fix."""
    from tui_client.catalog import finding_message

    d = f.as_dict()
    d["message"], d["fix"] = finding_message(f)
    return d


def render_text(result, out) -> None:
    from tui_client.catalog import t
    from tui_client.core.findings import counts
    from tui_client.core.safetext import printable

    for f in result.path_findings:
        out.write(f"{printable(f.file)}\n")
        write_finding(out, f)
    for report in result.reports:
        out.write(t("check.file_header", file=printable(report.filename)) + "\n")
        line = describe(report)
        if line:
            out.write(line + "\n")
        findings = result.findings_for(report)
        if not findings:
            out.write(t("check.ok", records=report.records) + "\n")
        for f in findings:
            write_finding(out, f)
        out.write("\n")
    c = counts(result.all_findings())
    out.write(t("check.summary", files=len(result.reports), errors=c["error"], warnings=c["warning"]) + "\n")
    if c["error"]:
        out.write(t("check.summary_block") + "\n")
    elif c["warning"]:
        out.write(t("check.summary_warn") + "\n")
    else:
        out.write(t("check.summary_ok") + "\n")


def render_json(result) -> str:
    doc = {
        "exit_code": result.exit_code,
        "files": [
            {
                "file": r.filename,
                "kind": r.kind.prefix if r.kind else None,
                "form": r.parsed.form if r.parsed else None,
                "month": r.parsed.month if r.parsed else None,
                "sender": r.parsed.sender if r.parsed else None,
                "recipient": r.parsed.recipient if r.parsed else None,
                "records": r.records,
                "findings": [finding_json(f) for f in result.findings_for(r)],
            }
            for r in result.reports
        ],
        "unreadable": [finding_json(f) for f in result.path_findings],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def run(args) -> int:
    from tui_client.filecheck import check_paths

    result = check_paths(args.paths)
    if args.json:
        sys.stdout.write(render_json(result) + "\n")
    else:
        render_text(result, sys.stdout)
    return result.exit_code
