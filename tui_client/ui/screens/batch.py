"""一括送信: the care software's export folder, each file's check result and where it will go, and one
key to send every sendable file, with a progress bar.

The folder is picked with a directory tree (``FolderPicker``; a typed path works too) and remembered in
the app settings. Files with errors stay listed with their findings and the fix beside them; a bundle
(one ファイル連番) with an error anywhere stays home whole. Reading, checking and sending all run in
workers through ``services``; this module never opens a file itself.
"""

from __future__ import annotations

from typing import List, Optional

from textual import work
from textual.widgets import DataTable, ProgressBar, Static

from tui_client.catalog import t
from tui_client.ui import messages
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text, kind_label, month_label, party_label
from tui_client.ui.screens.base import TabView
from tui_client.ui.services import BatchFile, BatchPlan
from tui_client.ui.widgets.filetable import FileTable

register(
    Action("batch.folder", "o", "action.batch.folder", scope="batch", action="pick_folder"),
    Action("batch.send", "s", "action.batch.send", scope="batch", action="send_all"),
    Action("batch.check", "c", "action.batch.check", scope="batch", action="check_again"),
)


def verdict(f: BatchFile) -> str:
    """The file's check result as mark + words."""
    if f.sent:
        return t("batch.verdict.sent")
    if f.recipient is None or f.errors:
        return t("batch.verdict.error", n=max(1, f.errors))
    if f.held:
        return t("batch.verdict.held")
    if f.reachable is False:
        return t("batch.verdict.unreachable")
    if f.warnings:
        return t("batch.verdict.warning", n=f.warnings)
    return t("batch.verdict.ok")


def reach_label(f: BatchFile) -> str:
    return {True: t("batch.reach.yes"), False: t("batch.reach.no"), None: t("batch.reach.unknown")}[f.reachable]


class BatchTab(TabView):
    SCOPE = "batch"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.plan: Optional[BatchPlan] = None
        self.rows: List[BatchFile] = []
        self.sending = False

    def compose(self):
        yield Static("", id="batch-folder", classes="tab-title")
        # The file name is a column only when it fits whole; the line below the table always names
        # the selected file, so at 80 columns nothing has to be scrolled sideways.
        yield FileTable(t("col.check"), t("col.recipient"), t("col.reach"), t("col.bundle"), t("col.kind"),
                        t("col.month"), name_label=t("col.name"), id="batch-table", cursor_type="row")
        yield Static("", id="batch-detail", classes="detail")
        # Shown only while sending: an idle bar with no total would animate as if work were going on.
        bar = ProgressBar(id="batch-progress", show_eta=False)
        bar.display = False
        yield bar
        # the summary and the key that sends, each on a line of its own (never wrapped into one)
        yield Static("", id="batch-summary", classes="summary")
        yield Static("", id="batch-hint", classes="hint")

    @property
    def folder(self) -> str:
        return self.app.settings.export_folder

    def reload(self) -> None:
        self._show_folder()
        if self.plan is None and self.folder and self.app.office is not None and not self.sending:
            self.check_again()

    def _show_folder(self) -> None:
        head = t("batch.folder", folder=self.folder) if self.folder else t("batch.no_folder")
        self.query_one("#batch-folder", Static).update(head)

    # -- folder
    def action_pick_folder(self) -> None:
        from tui_client.ui.screens.picker import FolderPicker

        def chosen(path: Optional[str]) -> None:
            if path:
                settings = self.app.settings
                settings.export_folder = path
                self.app.save_settings(settings)
                self.plan = None
                self._show_folder()
                self.check_again()

        self.app.push_screen(FolderPicker(self.folder or None, t("batch.pick.title")), chosen)

    def action_check_again(self) -> None:
        self.check_again()

    def check_again(self) -> None:
        if not self.folder:
            self.query_one("#batch-summary", Static).update(t("batch.no_folder.hint"))
            return
        self.query_one("#batch-summary", Static).update(t("batch.checking"))
        self._prepare(self.folder)

    @work(thread=True, exclusive=True, group="batch")
    def _prepare(self, folder: str) -> None:
        plan = self.services.prepare(folder)
        self.app.call_from_thread(self._show, plan)

    def _show(self, plan: BatchPlan) -> None:
        self.plan = plan
        self.rows = []
        cells = []
        for number, ((_office, _service, bundle), files) in enumerate(plan.bundles().items(), 1):
            for f in files:
                self.rows.append(f)
                cells.append(((verdict(f), party_label(f.recipient) or t("batch.no_route"), reach_label(f),
                               t("batch.bundle", n=number), kind_label(f.file_kind),
                               month_label(f.month, western=False)), f.name))
        self.query_one("#batch-table", FileTable).set_rows(cells)
        self._show_detail()

    def _summary(self) -> str:
        plan = self.plan
        if plan is None:
            return ""
        if not plan.files:
            return t("batch.empty", folder=plan.folder)
        ok = len(plan.sendable)
        bad = len(plan.files) - ok
        text = t("batch.summary", total=len(plan.files), ok=ok, bad=bad,
                 boxes=len({(f.recipient.office, f.recipient.service) for f in plan.sendable}))
        return text

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        summary = [self._summary()]
        if self.plan is not None:
            for fs in self.plan.findings:
                what, fix = finding_text(fs)
                summary.append(f"{'✗' if fs.blocks_sending else '!'} {what}  {fix}")
        self.query_one("#batch-summary", Static).update("\n".join(x for x in summary if x))
        sendable = self.plan is not None and bool(self.plan.sendable)
        self.query_one("#batch-hint", Static).update(t("batch.send_hint") if sendable else "")
        lines = []
        table = self.query_one("#batch-table", DataTable)
        if self.rows and table.cursor_row is not None and table.cursor_row < len(self.rows):
            f = self.rows[table.cursor_row]
            lines.append(t("batch.detail.file", name=f.name, verdict=verdict(f)))
            for fs in f.findings[:6]:
                what, fix = finding_text(fs)
                where = t("where.row", row=fs.row) if fs.row is not None else ""
                lines.append(f"  {'✗' if fs.blocks_sending else '!'} {fs.code} {where} {what}")
                if fix:
                    lines.append("    " + t("batch.detail.fix", fix=fix))
            if len(f.findings) > 6:
                lines.append("  " + t("batch.detail.more", n=len(f.findings) - 6))
        self.query_one("#batch-detail", Static).update("\n".join(x for x in lines if x))

    # -- sending
    def action_send_all(self) -> None:
        if self.sending:
            return
        if self.plan is None or not self.plan.sendable:
            self.app.notify(t("batch.nothing_to_send"), severity="warning")
            return
        self.sending = True
        bar = self.query_one("#batch-progress", ProgressBar)
        bar.update(total=len(self.plan.sendable), progress=0)
        bar.display = True
        self._send(self.plan)

    @work(thread=True, exclusive=True, group="batch-send")
    def _send(self, plan: BatchPlan) -> None:
        def progress(stage: str, name: str, done: int, total: int) -> None:
            if stage in ("sent", "failed"):
                self.app.call_from_thread(self._progress, done, total)

        try:
            result = self.services.send(plan, progress=progress)
        finally:
            self.app.call_from_thread(setattr, self, "sending", False)
        self.app.call_from_thread(self._sent, result)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#batch-progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _sent(self, result) -> None:
        severity = "information" if not result.waiting and not result.shelved else "warning"
        self.app.notify(t("batch.sent", sent=result.sent, waiting=result.waiting, shelved=result.shelved),
                        severity=severity, timeout=8)
        errors = [f for f in result.findings if f.blocks_sending]
        if errors:
            what, fix = finding_text(errors[0])
            self.app.notify(f"{what}\n{fix}", severity="error", timeout=10)
        self.app.deliver(messages.OutboxChanged)
        self.check_again()      # what was sent is now a duplicate the relay knows; errors stay listed
