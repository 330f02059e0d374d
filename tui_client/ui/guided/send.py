"""今月のファイルを送る, guided: pick the export folder → check → summary → confirm → send with
progress → result. Checking and sending are the 一括送信 tab's own calls (``services.prepare`` /
``services.send``); a bundle with an error stays home whole, exactly as there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from textual.widgets import Static

from tui_client.catalog import t
from tui_client.ui.guided.engine import Task, WorkStep, figure
from tui_client.ui.guided.steps import FolderStep


@dataclass(frozen=True)
class Recipient:
    office: str
    name: str
    files: int


@dataclass(frozen=True)
class SendSummary:
    """What a send will do, in the words the confirmation uses."""

    recipients: Tuple[Recipient, ...]
    months: Tuple[str, ...]
    files: int
    users: int
    blocked: int                   # files that stay home (errors, held bundles)


def summarize(plan, partners=()) -> SendSummary:
    """Recipients (name from the directory), months, files and users of a plan's sendable files.
    Users are counted from the 第6表 among them (``core.preview.build_grid``); reads no file."""
    from tui_client.core.preview import GRID_KINDS, build_grid

    names = {p.office: p.name for p in partners}
    sendable = plan.sendable
    per: Dict[str, int] = {}
    for f in sendable:
        per[f.recipient.office] = per.get(f.recipient.office, 0) + 1
    contents = dict(plan.prepared.files) if plan.prepared is not None else {}
    users = set()
    for f in sendable:
        if f.file_kind in GRID_KINDS and f.name in contents:
            grid = build_grid(f.name, contents[f.name])
            users |= {(u.insurer, u.insured) for u in (grid.users if grid else ())}
    months = tuple(sorted({f.month for f in sendable if f.month and f.month != "000000"}))
    unsent = [f for f in plan.files if not f.sent]
    return SendSummary(tuple(Recipient(o, names.get(o, ""), n) for o, n in sorted(per.items())), months,
                       len(sendable), len(users), len(unsent) - len(sendable))


def recipient_label(r: Recipient) -> str:
    return t("guided.send.recipient", name=r.name or t("guided.send.no_name"), office=r.office)


def month_words(months) -> str:
    from tui_client.ui.format import month_label

    return "・".join(month_label(m, western=False) for m in months) or t("guided.send.no_month")


class SendFolderStep(FolderStep):
    KEY = "folder"
    TITLE = "guided.send.folder.title"
    HINT = "guided.send.folder.hint"
    VALUE = "folder"
    SETTING = "export_folder"
    PICK_TITLE = "batch.pick.title"


class PlanStep(WorkStep):
    """A step that needs the checked plan: checks the folder again when it has none (after resuming)."""

    WAITING = "guided.send.checking"
    FRESH = False

    def gather(self):
        plan = self.scratch.get("plan")
        if plan is None or self.FRESH:
            plan = self.services.prepare(str(self.values.get("folder") or ""))
            summary = summarize(plan, self.services.partners())
            self.scratch.update(plan=plan, summary=summary)    # read by done(), after this returns
        return self.scratch.get("summary") or summarize(plan)

    @property
    def summary(self) -> Optional[SendSummary]:
        return self.scratch.get("summary")

    def decide(self) -> str:
        if self.busy:
            return t("guided.wait")
        return "" if self.summary is not None and self.summary.files else t("guided.send.nothing")


class CheckStep(PlanStep):
    KEY = "check"
    TITLE = "guided.send.check.title"
    FRESH = True

    def gather(self):
        result = super().gather()
        return result, self.scratch.get("plan")

    def done(self, result) -> None:
        from tui_client.ui.format import finding_text

        s, plan = result
        widgets = list(figure(s.files, t("guided.send.can_send", n=s.files)))
        if s.blocked:
            widgets.append(Static(t("guided.send.blocked", n=s.blocked), classes="guided-text"))
        elif not s.files:
            problems = [f for f in plan.findings if f.blocks_sending] if plan is not None else []
            text = finding_text(problems[0])[0] if problems else t("guided.send.nothing")
            widgets.append(Static("✗\u00a0" + text, classes="guided-text"))
        self.show(*widgets)


class SummaryStep(PlanStep):
    KEY = "summary"
    TITLE = "guided.send.summary.title"

    def done(self, s: SendSummary) -> None:
        lines = [Static(t("guided.send.month", month=month_words(s.months)), classes="guided-text")]
        for r in s.recipients[:2]:
            lines.append(Static(t("guided.send.to", who=recipient_label(r), n=r.files), classes="guided-text"))
        if len(s.recipients) > 2:
            lines.append(Static(t("guided.send.others", n=len(s.recipients) - 2), classes="guided-hint"))
        self.show(*lines)


def confirm_words(s: SendSummary) -> str:
    """The question before sending: whom (name and number), which month, how many files for whom."""
    first = recipient_label(s.recipients[0]) if s.recipients else ""
    who = first if len(s.recipients) <= 1 else t("guided.send.who_more", first=first, n=len(s.recipients) - 1)
    users = t("guided.send.users", n=s.users) if s.users else ""
    return t("guided.send.question", who=who, month=month_words(s.months), files=s.files, users=users)


class ConfirmStep(PlanStep):
    KEY = "confirm"
    TITLE = "guided.send.confirm.title"
    NEXT = "guided.send.confirm.next"

    def done(self, s: SendSummary) -> None:
        self.show(Static(confirm_words(s), classes="guided-text", id="guided-question"))


class SendingStep(WorkStep):
    KEY = "sending"
    TITLE = "guided.send.sending.title"
    WAITING = "guided.send.sending"
    RESUME = "confirm"          # never send again on resuming without asking
    BACK = False
    ADVANCE = True

    def gather(self):
        plan = self.scratch.get("plan")
        if plan is None:
            return None

        def progress(stage: str, name: str, done: int, total: int) -> None:
            if stage in ("sent", "failed"):
                self.app.call_from_thread(self.say, t("guided.send.progress", done=done, total=total))

        result = self.services.send(plan, progress=progress)
        self.scratch.update(result=result, plan=None)      # a plan is sent once
        return result

    def done(self, result) -> None:
        from tui_client.ui import messages

        self.app.deliver(messages.OutboxChanged)


class ResultStep(WorkStep):
    KEY = "result"
    TITLE = "guided.send.result.title"
    NEXT = "guided.end"
    RESUME = "confirm"
    BACK = False

    def gather(self):
        return self.scratch.get("result")

    def done(self, result) -> None:
        from tui_client.ui.format import finding_text

        if result is None:
            self.show(Static(t("guided.send.result.none"), classes="guided-text"))
            return
        errors = [f for f in result.findings if f.blocks_sending]
        mark = "✓" if result.sent and not (errors or result.waiting or result.shelved) else "！"
        widgets: List = list(figure(result.sent, f"{mark}\u00a0" + t("guided.send.sent", n=result.sent)))
        if result.waiting or result.shelved:
            widgets.append(Static(t("guided.send.waiting", waiting=result.waiting, shelved=result.shelved),
                                  classes="guided-text"))
        if errors:
            widgets.append(Static("✗\u00a0" + finding_text(errors[0])[0], classes="guided-hint"))
        self.show(*widgets)


TASK = Task("send", "guided.task.send", (SendFolderStep, CheckStep, SummaryStep, ConfirmStep, SendingStep,
                                         ResultStep))
