"""下書き: the messages being written, the most recently changed first, with their recipient,
subject, files and when they were last saved. Enter (or ``o``) opens one in 新規作成, ``s`` sends it
as it is (after a confirmation in words), ``d`` deletes it (after a confirmation). Lists and sends
run in workers through ``services``.
"""

from __future__ import annotations

from typing import List, Optional

from textual import work
from textual.widgets import DataTable, Static

from tui_client.catalog import t
from tui_client.core.safetext import printable
from tui_client.office.models import Draft, ListQuery
from tui_client.ui import messages
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import time_label
from tui_client.ui.screens.base import TabView

register(
    Action("drafts.open", "o", "action.drafts.open", scope="drafts", action="open"),
    Action("drafts.send", "s", "action.drafts.send", scope="drafts", action="send"),
    Action("drafts.delete", "d,delete", "action.drafts.delete", scope="drafts", action="delete"),
)

PAGE = 200


def draft_recipient(d: Draft) -> str:
    if not d.recipient:
        return t("drafts.no_recipient")
    text = d.recipient + (f"/{d.recipient_service}" if d.recipient_service else "")
    return text + (f" {printable(d.recipient_name)}" if d.recipient_name else "")


def draft_files(d: Draft) -> str:
    if not (d.files or d.attachments):
        return t("drafts.no_files")
    return t("drafts.files", files=len(d.files), attachments=len(d.attachments))


class DraftsTab(TabView):
    SCOPE = "drafts"
    BINDINGS = bindings_for(SCOPE)
    RELOAD_ON = (messages.OutboxChanged,)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.items: List[Draft] = []
        self.total = 0

    def compose(self):
        yield Static(t("drafts.title"), id="drafts-title", classes="tab-title")
        table = DataTable(id="drafts-table", cursor_type="row")
        # widths that fit 80 columns; the detail below shows each value whole
        for key, width in (("col.updated", 11), ("col.subject", 22), ("col.recipient", 26), ("col.files", None)):
            table.add_column(t(key), width=width)
        yield table
        yield Static("", id="drafts-detail", classes="detail")

    def reload(self) -> None:
        if self.app.office is not None:
            self._load()

    @work(thread=True, exclusive=True, group="drafts")
    def _load(self) -> None:
        page = self.services.drafts(ListQuery(limit=PAGE))
        self.app.call_from_thread(self._show, list(page.items), page.total)

    def _show(self, items: List[Draft], total: int) -> None:
        table = self.query_one("#drafts-table", DataTable)
        row = table.cursor_row
        self.items, self.total = items, total
        table.clear()
        for d in items:
            table.add_row(time_label(d.updated_at), printable(d.subject) or t("drafts.no_subject"),
                          draft_recipient(d), draft_files(d), key=d.id)
        self.query_one("#drafts-title", Static).update(
            t("drafts.title.count", total=total) if total else t("drafts.empty"))
        if items:
            table.move_cursor(row=min(row or 0, len(items) - 1))
        self._show_detail()

    def selected(self) -> Optional[Draft]:
        table = self.query_one("#drafts-table", DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def _show_detail(self) -> None:
        d = self.selected()
        if d is None:
            text = ""
        else:
            first = next((line for line in d.text.splitlines() if line.strip()), "")
            names = "、".join(printable(f.name) for f in d.files + d.attachments)
            text = t("drafts.detail", subject=printable(d.subject) or t("drafts.no_subject"),
                     to=draft_recipient(d), first=printable(first[:60]), names=names or t("drafts.no_files"))
        self.query_one("#drafts-detail", Static).update(text)

    # -- actions
    def action_open(self) -> None:
        d = self.selected()
        if d is None:
            return
        self.app.action_show_tab("compose")

        def show() -> None:
            compose = self.app.query_one("#tab-compose")
            compose.open_draft(d.id)

        self.app.call_after_refresh(show)

    def action_send(self) -> None:
        d = self.selected()
        if d is None:
            return
        from tui_client.ui.screens.confirm import ConfirmScreen

        def answered(ok: bool) -> None:
            if ok:
                self._send(d.id)

        question = t("drafts.send.confirm", to=draft_recipient(d), subject=printable(d.subject),
                     files=len(d.files), attachments=len(d.attachments))
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, group="drafts-act")
    def _send(self, draft_id: str) -> None:
        result = self.services.send_draft(draft_id)
        self.app.call_from_thread(self._sent, result)

    def _sent(self, result) -> None:
        from tui_client.ui.screens.compose import report_sent

        report_sent(self.app, result)
        self.reload()

    def action_delete(self) -> None:
        d = self.selected()
        if d is None:
            return
        from tui_client.ui.screens.confirm import ConfirmScreen

        def answered(ok: bool) -> None:
            if ok:
                self._delete(d.id)

        self.app.push_screen(ConfirmScreen(t("drafts.delete.confirm", subject=printable(d.subject)
                                                or t("drafts.no_subject"), to=draft_recipient(d))), answered)

    @work(thread=True, group="drafts-act")
    def _delete(self, draft_id: str) -> None:
        self.services.delete_draft(draft_id)
        self.app.call_from_thread(self._deleted)

    def _deleted(self) -> None:
        self.app.notify(t("drafts.deleted"))
        self.reload()
