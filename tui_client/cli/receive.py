"""`tsunagi receive`: fetch what arrived, open, verify, validate, store, acknowledge with a signed
receipt; then check receipts for what this office sent (送信済み → 受信済み).

Exit codes: 0 clean, 1 warnings (findings in received files, or something kept in the inbox),
2 errors (network or relay refusals), 3 no office set up, 4 usage.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.send import add_office_arguments

    add_office_arguments(p)
    p.add_argument("--service", help=t("net.arg.service"))
    p.add_argument("--to", metavar="DIR", help=t("net.arg.to"))
    p.add_argument("--watch", nargs="?", type=float, const=0.0, default=None, metavar="SECONDS",
                   help=t("net.arg.watch"))


def print_received(report, out=None) -> None:
    """What arrived: a heading per sender, then one name a line (names fill most of 80 columns)."""
    import sys

    from tui_client.catalog import t
    from tui_client.core import wire

    out = out or sys.stdout
    by_sender = {}
    for item in report.received:
        by_sender.setdefault(item.sender.office, []).append(item)
    for sender, items in by_sender.items():
        out.write(t("receive.stored", sender=sender, count=len(items)) + "\n")
        for item in items:
            out.write(f"  {item.name}\n")
            if item.kind == wire.KIND_MESSAGE:
                out.write("    " + t("receive.message", subject=item.subject,
                                     attachments=len(item.attachments)) + "\n")
    if report.kept:
        out.write(t("receive.kept", count=len(report.kept)) + "\n")
        for name in report.kept:
            out.write(f"  {name}\n")


def _export(office, report, folder: str) -> list:
    """Write what arrived now, and anything received earlier but not yet written out (a full disk
    last time, or a first use of --to), into ``folder``."""
    from tui_client.catalog import t
    from tui_client.core.findings import make

    todo = list(dict.fromkeys([item.name for item in report.received] + office.unsaved()))
    findings, count = [], 0
    for name in todo:
        try:
            paths, f = office.export_received(name, folder)
        except OSError as exc:
            findings.append(make("E-RECV-005", name, folder=folder, reason=exc.strerror or type(exc).__name__))
            continue
        count += len(paths)
        findings += f
    if todo:
        print(t("receive.saved_to", folder=folder, count=count))
    return findings


def _receive_once(office, args) -> int:
    from tui_client.catalog import t
    from tui_client.cli.send import print_findings
    from tui_client.core import wire
    from tui_client.core.findings import make, worst_exit_code

    try:
        report = office.receive(args.service)
    except OSError as exc:        # the disk, not the network: say so, never a traceback
        print_findings([make("E-RECV-002", reason=exc.strerror or type(exc).__name__)])
        return 2
    print_received(report)
    if args.to:
        report.findings += _export(office, report, args.to)
    if not report.received and not report.kept and not report.findings:
        print(t("receive.none"))
    status, sent_findings = office.sent_status()
    confirmed = sum(1 for r in status if r.get("state") == wire.RECEIVED)
    if confirmed:
        print(t("receive.receipts", count=confirmed))
    findings = report.findings + sent_findings
    print_findings(findings)
    print(t("receive.summary", received=len(report.received), kept=len(report.kept)), flush=True)
    code = worst_exit_code(findings)
    if report.kept:
        code = max(code, 1)
    return min(code, 2)


def _watch(office, args, code: int) -> int:
    """Wait for arrivals (the relay answers as soon as something comes) and receive each time, for
    ``args.watch`` seconds or, with 0, until Ctrl+C. The exit code is the worst of all passes."""
    import time

    from tui_client.catalog import t
    from tui_client.cli.send import print_findings
    from tui_client.core import wire

    deadline = None if not args.watch else time.monotonic() + args.watch
    print(t("receive.watching"), flush=True)
    while True:
        left = wire.DEFAULT_MAILBOX_WAIT if deadline is None else min(wire.DEFAULT_MAILBOX_WAIT,
                                                                       deadline - time.monotonic())
        if left <= 0:
            return code
        count, findings = office.wait_for_arrivals(left, args.service)
        if findings:                  # the line is down: say so once per try, wait, try again
            print_findings(findings)
            code = max(code, 2)
            time.sleep(min(10.0, max(0.0, left)))
        elif count:
            code = max(code, _receive_once(office, args))
            print(t("receive.watching"), flush=True)


def run(args: argparse.Namespace) -> int:
    from tui_client.cli.send import open_office

    office, code = open_office(args)
    if office is None:
        return code
    try:
        code = _receive_once(office, args)
        if args.watch is not None and code < 3:
            code = _watch(office, args, code)
        return code
    finally:
        office.close()
