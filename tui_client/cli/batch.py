"""`tsunagi batch DIR`: check every file in a folder, show the routing plan (one line per mailbox:
several sites of one office number are several mailboxes), then seal and send with a progress bar.

Nothing is sent when any file has an error (a bundle must travel whole). Exit codes as `tsunagi send`.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.send import add_office_arguments

    p.add_argument("dir", metavar="DIR", help=t("net.arg.dir"))
    add_office_arguments(p)
    p.add_argument("--yes", "-y", action="store_true", help=t("net.arg.yes"))
    p.add_argument("--dry-run", action="store_true", help=t("net.arg.dry_run"))


def render_plan(prepared, out) -> None:
    from tui_client.catalog import t

    bad = {box: reason for box, reason in prepared.unreachable}
    out.write(t("send.plan_header") + "\n")
    for entry in prepared.plan.entries:
        reason = bad.get(entry.mailbox)
        state = t({None: "send.reachable", "office": "send.unreachable_office",
                   "service": "send.unreachable_service"}[reason])
        out.write(t("send.plan_mailbox", mailbox=str(entry.mailbox), state=state, count=len(entry.files),
                    bundles=len(entry.bundles)) + "\n")
        for serial, names in entry.bundles.items():
            out.write(t("send.plan_bundle", serial=serial) + "\n")
            for name in names:
                out.write(f"      {name}\n")


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = -1

    def __call__(self, phase: str, name: str, done: int, total: int) -> None:
        from tui_client.catalog import t

        if phase != "sent" and phase != "failed":
            return
        filled = int(self.width * done / max(total, 1))
        line = t("send.progress", bar="#" * filled + "-" * (self.width - filled), done=done, total=total)
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        elif done == total or done * 10 // max(total, 1) != self.last:
            self.last = done * 10 // max(total, 1)
            self.stream.write(line + "\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from tui_client import filecheck
    from tui_client.catalog import t
    from tui_client.cli.send import exit_code, open_office, print_findings, print_report, read_files

    paths, problems = filecheck.collect([args.dir])
    if problems:
        print_findings(problems, sys.stderr)
        return 3
    files, problems = read_files([str(p) for p in paths])
    if problems:
        print_findings(problems, sys.stderr)
        return 3
    office, code = open_office(args)
    if office is None:
        return code
    try:
        print(t("send.checking", count=len(files)))
        prepared = office.prepare(files)
        render_plan(prepared, sys.stdout)
        findings = prepared.all_findings()
        if prepared.blocked:
            print_findings(findings)
            print(t("send.blocked"))
            return 2
        print_findings(findings)
        if args.dry_run:
            return 1 if findings else 0
        if not args.yes:
            if not sys.stdin.isatty():
                print(t("send.cancelled"))
                return 4
            answer = input(t("send.confirm", count=len(files)))
            if answer.strip().lower() not in ("y", "yes"):
                print(t("send.cancelled"))
                return 0
        try:
            report = office.send(files, prepared=prepared, progress=Progress())
        except OSError as exc:        # the disk, not the network: say so, never a traceback
            from tui_client.core.findings import make

            print_findings([make("E-SEND-004", reason=exc.strerror or type(exc).__name__)])
            return 3
        print_report(report)
        return exit_code(report)
    finally:
        office.close()
