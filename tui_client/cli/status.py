"""`tsunagi status`: what waits in the outbox, what sits on the error shelf (and why), what was sent
(with 受信済み and the recipient's time once the signed receipt is verified) and what was received.
`--retry NAME` puts an item from the error shelf back in the outbox and sends it.

Exit codes: 0 nothing waiting or shelved, 1 something waiting, 2 something on the error shelf,
3 no office set up, 4 usage.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.send import add_office_arguments

    add_office_arguments(p)
    p.add_argument("--retry", action="append", default=[], metavar="NAME", help=t("net.arg.retry"))
    p.add_argument("--offline", action="store_true", help=t("net.arg.offline"))


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import finding_message, t
    from tui_client.cli.send import open_office, print_findings, print_report
    from tui_client.core.findings import make

    office, code = open_office(args)
    if office is None:
        return code
    try:
        for name in args.retry:
            if not office.requeue(name):
                print(t("status.not_on_shelf", name=name), file=sys.stderr)
                return 4
        if args.retry:
            print_report(office.flush())
        findings = []
        arrived = 0
        if args.offline:
            sent = [r for r in office.sent_archive_records()]
        else:
            sent, findings = office.sent_status()
            arrived, more = office.wait_for_arrivals(0)
            findings += [f for f in more if f not in findings]
        print(t("status.outbox", count=len(office.waiting())))
        for rec in office.waiting():
            print(f"  {rec['name']}")
        shelf = office.error_shelf()
        print(t("status.shelf", count=len(shelf)))
        for rec in shelf:
            err = rec.get("last_error") or {}
            message, fix = finding_message(make(err.get("code") or "E-NET-005", rec["name"]))
            print(f"  {rec['name']}  {err.get('code', '')}  {message}")
            if fix:
                print("    " + t("check.fix", fix=fix).strip())
        print(t("status.sent", count=len(sent)))
        for rec in sent:
            state = t("net.state." + str(rec.get("state") or "waiting"))
            when = rec.get("receipt_received_at") or ""
            print(f"  {rec['name']}  {state} {when}".rstrip())
        received = office.received()
        print(t("status.received", count=len(received)))
        for rec in received:
            print(f"  {rec['name']}  {rec.get('sender', '')}  {rec.get('received_at', '')}")
        if arrived:
            print(t("status.arrived", count=arrived))
        print_findings(findings)
        if shelf:
            return 2
        return 1 if office.waiting() else 0
    finally:
        office.close()
