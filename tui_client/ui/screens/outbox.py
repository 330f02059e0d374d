"""送信: everything this office sent or is sending, newest first, with its state in words and marks.

送信待ち / 送信済み / 受信済み (the signed receipt's time) / エラー (the finding and the fix beside
it). ``r`` resends an item from the error shelf, ``w`` withdraws one nobody has received yet; both
ask first (``ConfirmScreen``) and run in a worker.
"""

from __future__ import annotations

from typing import List

from textual import work
from textual.widgets import DataTable, Static

from tui_client.catalog import t
from tui_client.office.models import ListQuery, OutboxItem, OutboxState
from tui_client.ui import messages
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text, kind_label, month_label, party_label, state_label, time_label
from tui_client.ui.screens.base import TabView
from tui_client.ui.widgets.listtable import ListTable

register(
    Action("outbox.resend", "r", "action.outbox.resend", scope="outbox", action="resend"),
    Action("outbox.withdraw", "w", "action.outbox.withdraw", scope="outbox", action="withdraw"),
    Action("outbox.update", "u", "action.outbox.update", scope="outbox", action="update"),
)

PAGE = 500


class OutboxTab(TabView):
    SCOPE = "outbox"
    BINDINGS = bindings_for(SCOPE)
    RELOAD_ON = (messages.OutboxChanged,)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.items: List[OutboxItem] = []
        self.total = 0
        self._shown = False          # the first answer is always drawn

    def compose(self):
        yield Static(t("outbox.title"), classes="tab-title", id="outbox-title")
        table = ListTable(id="outbox-table", cursor_type="row", zebra_stripes=False)
        table.add_columns(t("col.state"), t("col.kind"), t("col.month"), t("col.sent_at"),
                          t("col.received_at"), t("col.recipient"), t("col.name"))
        yield table
        yield Static("", id="outbox-detail", classes="detail")

    def reload(self) -> None:
        if self.app.office is None:
            return
        self._load()

    @work(thread=True, exclusive=True, group="outbox")
    def _load(self) -> None:
        page = self.services.outbox(ListQuery(limit=PAGE))
        self.app.call_from_thread(self._show, list(page.items), page.total)

    def _show(self, items: List[OutboxItem], total: int) -> None:
        table = self.query_one("#outbox-table", DataTable)
        if self._shown and items == self.items and total == self.total:
            return            # the poll found nothing new: no repaint (about 10 KB over a slow link)
        self._shown = True
        row = table.cursor_row
        self.items, self.total = items, total
        table.clear()
        for item in items:
            when = item.received_at if item.state is OutboxState.RECEIVED else None
            table.add_row(state_label(item.state), kind_label(item.file_kind), month_label(item.month, western=False),
                          time_label(item.sent_at or item.queued_at), time_label(when),
                          party_label(item.recipient), item.name, key=item.name)
        counts = {}
        for item in items:
            counts[item.state] = counts.get(item.state, 0) + 1
        summary = "、".join(f"{t(s.label_key)} {n}" for s, n in counts.items())
        self.query_one("#outbox-title", Static).update(
            t("outbox.title.count", total=total, summary=summary) if total else t("outbox.empty"))
        if items:
            table.move_cursor(row=min(row, len(items) - 1))
        self._show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def selected(self):
        table = self.query_one("#outbox-table", DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def _show_detail(self) -> None:
        item = self.selected()
        text = ""
        if item is not None:
            text = t("outbox.detail", name=item.name, state=state_label(item.state))
            if item.state is OutboxState.RECEIVED and item.received_at:
                text += "\n" + t("outbox.detail.receipt", time=time_label(item.received_at))
            if item.error is not None:
                what, fix = finding_text(item.error)
                text += "\n" + t("outbox.detail.error", code=item.error.code, what=what)
                if fix:
                    text += "\n" + t("outbox.detail.fix", fix=fix)
                if item.state is OutboxState.ERROR:
                    text += "\n" + t("outbox.detail.resend_hint")
            if item.state in (OutboxState.WAITING, OutboxState.SENT):
                text += "\n" + t("outbox.detail.withdraw_hint")
        self.query_one("#outbox-detail", Static).update(text)

    # -- actions
    def action_update(self) -> None:
        self.app.refresh_now()

    def action_resend(self) -> None:
        item = self.selected()
        if item is None or item.state is not OutboxState.ERROR:
            self.app.notify(t("outbox.resend.only_error"), severity="warning")
            return
        from tui_client.ui.screens.confirm import ConfirmScreen

        def done(ok: bool) -> None:
            if ok:
                self._resend(item.name)

        self.app.push_screen(ConfirmScreen(t("outbox.resend.confirm", name=item.name)), done)

    @work(thread=True, group="outbox-act")
    def _resend(self, name: str) -> None:
        result = self.services.requeue(name)
        self.app.call_from_thread(self._after, result.findings, t("outbox.resend.done", name=name))

    def action_withdraw(self) -> None:
        item = self.selected()
        if item is None or item.state not in (OutboxState.WAITING, OutboxState.SENT):
            self.app.notify(t("outbox.withdraw.only_waiting"), severity="warning")
            return
        from tui_client.ui.screens.confirm import ConfirmScreen

        def done(ok: bool) -> None:
            if ok:
                self._withdraw(item)

        self.app.push_screen(ConfirmScreen(t("outbox.withdraw.confirm", name=item.name)), done)

    @work(thread=True, group="outbox-act")
    def _withdraw(self, item: OutboxItem) -> None:
        findings = self.services.withdraw(item)
        self.app.call_from_thread(self._after, findings, t("outbox.withdraw.done", name=item.name))

    def _after(self, findings, done_text: str) -> None:
        errors = [f for f in findings if f.blocks_sending]
        if errors:
            what, fix = finding_text(errors[0])
            self.app.notify(f"{what}\n{fix}", severity="error", timeout=10)
        else:
            self.app.notify(done_text)
        self.reload()
        self.app.deliver(messages.OutboxChanged)
