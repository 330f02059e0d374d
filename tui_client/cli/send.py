"""`tsunagi send FILE...` (or `--message-to`): check, seal and send as this PC's office. With no
files, send what waits in the outbox (after an outage, a crash or a requeue).

Exit codes: 0 everything sent, 1 warnings or something still waiting in the outbox (it is retried
next time), 2 errors (nothing sent, or items moved to the error shelf), 3 unusable input (missing
file, no office set up), 4 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def add_office_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--office", help=t("net.arg.office"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("files", nargs="*", metavar="FILE", help=t("net.arg.files"))
    add_office_arguments(p)
    p.add_argument("--message-to", metavar="OFFICE[:SVC]", help=t("net.arg.message_to"))
    p.add_argument("--subject", default="", help=t("net.arg.subject"))
    p.add_argument("--text", default="", help=t("net.arg.text"))
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help=t("net.arg.attach"))


def print_findings(findings, out=None) -> None:
    from tui_client.cli.check import write_finding

    out = out or sys.stdout
    for f in dict.fromkeys(findings):  # the same finding twice (check and send) is shown once
        write_finding(out, f, with_file=True)


def open_office(args) -> "tuple":
    """(Office | None, exit code). A non-demo keystore's password comes from TSUNAGI_KEYSTORE_PASSWORD
    or a prompt; it is never stored."""
    from tui_client import office as office_mod

    settings, findings = office_mod.load_settings(getattr(args, "office", None))
    if settings is None:
        print_findings(findings, sys.stderr)
        return None, 3
    password: Optional[str] = None
    if not settings.demo_id:
        password = os.environ.get("TSUNAGI_KEYSTORE_PASSWORD")
        if password is None and sys.stdin.isatty():
            import getpass

            from tui_client.catalog import t

            password = getpass.getpass(t("cert.password_prompt", file=os.path.basename(settings.keystore_file)))
    office, findings = office_mod.Office.open(settings.office, password)
    if office is None:
        print_findings(findings, sys.stderr)
        return None, 3
    return office, 0


def exit_code(report) -> int:
    """0 sent, 1 something still waiting (nothing lost: it is retried), 2 refused or shelved.
    A network failure that left items waiting is what "waiting" means, not an error of its own."""
    from tui_client.core.findings import worst_exit_code

    waiting = set(report.waiting)
    findings = [f for f in report.findings
                if not (f.code.startswith("E-NET-") and (not f.file or f.file in waiting) and waiting)]
    code = worst_exit_code(findings)
    if report.shelved:
        code = max(code, 2)
    elif report.waiting:
        code = max(code, 1)
    return min(code, 2) if code != 3 else 3


def write_names(out, heading: str, names) -> None:
    if names:
        out.write(heading + "\n")
        for n in names:
            out.write(f"  {n}\n")


def print_report(report, out=None) -> None:
    from tui_client.catalog import t

    out = out or sys.stdout
    # A heading per group, then one name per indented line: names are up to 66 columns wide, and a
    # sentence in front of each would not fit an 80-column terminal.
    for key, names in (("send.sent", report.sent), ("send.duplicate", report.duplicates),
                       ("send.already_sent", getattr(report, "already_sent", [])),
                       ("send.waiting", report.waiting), ("send.shelved", report.shelved)):
        write_names(out, t(key, count=len(names)), names)
    print_findings(report.findings, out)
    sent = len(report.sent) + len(report.duplicates) + len(getattr(report, "already_sent", []))
    out.write(t("send.summary", sent=sent, waiting=len(report.waiting),
                shelved=len(report.shelved)) + "\n")


def read_files(paths: List[str]):
    """[(name, bytes)] and findings for files that cannot be read (E-FILE-…)."""
    from pathlib import Path

    from tui_client.core.findings import make

    files, findings = [], []
    for raw in paths:
        p = Path(raw)
        try:
            files.append((p.name, p.read_bytes()))
        except OSError as exc:
            findings.append(make("E-FILE-004", p.name, value=str(p), reason=exc.strerror or type(exc).__name__))
    return files, findings


def report_for(office, work) -> int:
    """Run ``work()`` (a SendReport, or an exit code when it stopped early), print the report, and
    close ``office``. A failing disk is a finding (E-SEND-004) and exit code 3, never a traceback."""
    try:
        report = work()
        if isinstance(report, int):
            return report
        print_report(report)
        return exit_code(report)
    except OSError as exc:            # the disk, not the network: say so, never a traceback
        from tui_client.core.findings import make

        print_findings([make("E-SEND-004", reason=exc.strerror or type(exc).__name__)])
        return 3
    finally:
        office.close()


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t

    office, code = open_office(args)
    if office is None:
        return code

    def work():
        if not args.files and not args.message_to:
            # No files: send what waits in the outbox (the answer used to be "no files" while
            # hundreds of items waited).
            waiting = office.db.outbox_count("waiting")
            if not waiting:
                print(t("send.nothing"), file=sys.stderr)
                return 0
            print(t("send.flushing", count=waiting))
            return office.flush()
        if args.message_to:
            recipient, _, service = args.message_to.partition(":")
            attachments, problems = read_files(args.attach)
            if problems:
                print_findings(problems, sys.stderr)
                return 3
            return office.send_message(recipient, args.subject, args.text,
                                       recipient_service=service or None, attachments=attachments)
        files, problems = read_files(args.files)
        if problems:
            print_findings(problems, sys.stderr)
            return 3
        return office.send(files)

    return report_for(office, work)
