"""`tsunagi status`: what waits in the outbox, what sits on the error shelf (and why), what was sent
(with 受信済み and the recipient's time once the signed receipt is verified) and what was received.

- `--retry NAME` puts an item from the error shelf back in the outbox and sends it;
- `--discard NAME` takes an item off the error shelf (it is not sent);
- `--withdraw NAME` withdraws a sent item the recipient has not received yet;
- `--month/--user/--partner/--kind/--text/--direction [--page N]` search the archive instead.

Exit codes: 0 nothing waiting or shelved, 1 something waiting, 2 something on the error shelf (or a
withdrawal refused), 3 no office set up, 4 usage.
"""

from __future__ import annotations

import argparse
import sys

PAGE = 50


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.send import add_office_arguments

    add_office_arguments(p)
    p.add_argument("--retry", action="append", default=[], metavar="NAME", help=t("net.arg.retry"))
    p.add_argument("--discard", action="append", default=[], metavar="NAME", help=t("net.arg.discard"))
    p.add_argument("--withdraw", action="append", default=[], metavar="NAME", help=t("net.arg.withdraw"))
    p.add_argument("--offline", action="store_true", help=t("net.arg.offline"))
    p.add_argument("--month", default="", metavar="YYYYMM", help=t("archive.arg.month"))
    p.add_argument("--user", default="", help=t("archive.arg.user"))
    p.add_argument("--partner", default="", metavar="OFFICE", help=t("archive.arg.partner"))
    p.add_argument("--kind", default="", help=t("archive.arg.kind"))
    p.add_argument("--text", default="", help=t("archive.arg.text"))
    p.add_argument("--direction", default="", choices=["", "sent", "received"], help=t("archive.arg.direction"))
    p.add_argument("--page", type=int, default=1, help=t("archive.arg.page"))


def _searching(args) -> bool:
    return any((args.month, args.user, args.partner, args.kind, args.text, args.direction))


def _archive(office, args) -> int:
    from tui_client.catalog import t
    from tui_client.office.models import ListQuery

    q = ListQuery(offset=max(0, args.page - 1) * PAGE, limit=PAGE, partner=args.partner, month=args.month,
                  kind=args.kind.upper(), user=args.user, direction=args.direction, text=args.text)
    page = office.archive(q)
    if not page.items:
        print(t("archive.none"))
        return 0
    print(t("archive.header", total=page.total, first=q.offset + 1, last=q.offset + len(page.items)))
    for r in page.items:
        state = t(("state.outbox." if r.direction.value == "sent" else "state.inbox.") + r.state)
        arrow = "→" if r.direction.value == "sent" else "←"
        partner = f"{r.partner.office} {r.partner.name}".strip()
        print(f"  {r.name}")
        print(f"    {arrow} {partner}  {state}  {r.time:%Y-%m-%d %H:%M}")
    return 0


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import finding_message, t
    from tui_client.cli.send import open_office, print_findings, print_report
    from tui_client.core.findings import make
    from tui_client.office.models import ListQuery, OutboxState

    office, code = open_office(args)
    if office is None:
        return code
    try:
        if _searching(args):
            return _archive(office, args)
        for name in args.retry:
            if not office.requeue(name):
                print(t("status.not_on_shelf", name=name), file=sys.stderr)
                return 4
        for name in args.discard:
            if not office.discard(name):
                print(t("status.not_on_shelf", name=name), file=sys.stderr)
                return 4
            print(t("status.discarded", name=name))
        refused = False
        for name in args.withdraw:
            problems = office.withdraw(name)
            if problems:
                print_findings(problems)
                refused = True
            else:
                print(t("status.withdrawn", name=name))
        if args.retry:
            print_report(office.flush())
        findings = []
        arrived = 0
        if not args.offline:
            _, findings = office.sent_status()
            arrived, more = office.wait_for_arrivals(0)
            findings += [f for f in more if f not in findings]
        everything = ListQuery(limit=-1)
        items = office.outbox(everything).items
        waiting = [i for i in items if i.state == OutboxState.WAITING]
        shelf = [i for i in items if i.state == OutboxState.ERROR]
        sent = [i for i in items if i.state not in (OutboxState.WAITING, OutboxState.ERROR)]
        print(t("status.outbox", count=len(waiting)))
        for item in waiting:
            print(f"  {item.name}")
        print(t("status.shelf", count=len(shelf)))
        for item in shelf:
            err = item.error.code if item.error else "E-NET-005"
            message, fix = finding_message(make(err, item.name))
            print(f"  {item.name}  {err}  {message}")
            if fix:
                print("    " + t("check.fix", fix=fix).strip())
        print(t("status.sent", count=len(sent)))
        for item in sent:
            state = t(item.state.label_key)
            when = f"{item.received_at:%Y-%m-%dT%H:%M:%SZ}" if item.received_at else ""
            print(f"  {item.name}  {state} {when}".rstrip())
        received = office.inbox(everything).items
        print(t("status.received", count=len(received)))
        for item in received:
            who = f"{item.sender.office} {item.sender.name}".strip()
            print(f"  {item.name}  {who}  {t(item.state.label_key)}  {item.received_at:%Y-%m-%dT%H:%M:%SZ}")
        if arrived:
            print(t("status.arrived", count=arrived))
        print_findings(findings)
        if shelf or refused:
            return 2
        return 1 if waiting else 0
    finally:
        office.close()
