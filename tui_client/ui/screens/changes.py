"""変更点: what a received file changed against the version it replaced (差し替え).

Opened from the inbox on a file that replaced an older one. One row per change, with a mark and
words (＋ added, － removed, → moved, ！ count changed): users added or removed, and per user the
services and days added, removed or moved. Esc goes back. The screen renders values only:
``Office.changes(key)`` (through the service layer, in a worker) gives a ``core.changes.ChangeList``.
"""

from __future__ import annotations

from typing import Optional

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_client.catalog import t
from tui_client.core.changes import Change, ChangeKind, ChangeList
from tui_client.ui.actions import Action, bindings_for, register

SCOPE = "changes"

register(
    Action("changes.back", "escape", "changes.key.back", scope=SCOPE, action="back"),
)

#: (column key, label key, width)
COLUMNS = (("kind", "changes.col.kind", 15), ("insured", "changes.col.insured", 11),
           ("name", "changes.col.name", 12), ("service", "changes.col.service", 18),
           ("what", "changes.col.what", 18))


def what_words(c: Change) -> str:
    if c.kind is ChangeKind.DAY_MOVED:
        return t("changes.what.moved", day=c.day, new_day=c.new_day)
    if c.kind is ChangeKind.COUNT_CHANGED:
        return t("changes.what.count", day=c.day, old=c.old_count, new=c.new_count)
    if c.kind in (ChangeKind.DAY_ADDED, ChangeKind.DAY_REMOVED):
        return t("changes.what.day", day=c.day, count=c.new_count or c.old_count)
    if c.kind in (ChangeKind.SERVICE_ADDED, ChangeKind.SERVICE_REMOVED):
        return t("changes.what.service", count=c.new_count or c.old_count)
    return ""


def row_cells(c: Change):
    service = f"{c.type_name or t('daygrid.unknown_type', code=c.code[:2])} {c.code}" if c.code else ""
    return (t(c.kind.label_key), c.insured, c.name, service, what_words(c))


def summary_words(cl: ChangeList) -> str:
    if not cl.changes:
        return t("changes.none")
    return t("changes.summary", count=len(cl.changes), **{k.value: len(cl.of_kind(k)) for k in ChangeKind})


class ChangesScreen(Screen):
    SCOPE = SCOPE
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ChangesScreen #changes-head { height: auto; padding: 0 1; background: $panel; }
    ChangesScreen #changes-summary { height: auto; padding: 0 1; }
    ChangesScreen #changes-table { height: 1fr; }
    """

    def __init__(self, key: str, *, item=None) -> None:
        super().__init__()
        self.key = key
        self.item = item
        self.changes: Optional[ChangeList] = None
        self.loads = 0                      # finished loads (tests wait on state, not on time)

    def compose(self) -> ComposeResult:
        name = getattr(self.item, "name", "") or self.key
        yield Static(t("changes.header", new=name, old="…"), id="changes-head", markup=False)
        yield Static(t("changes.loading"), id="changes-summary")
        table = DataTable(id="changes-table", cursor_type="row", cell_padding=0, zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(t(label), width=width, key=key)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="changes")
    def _load(self) -> None:
        from tui_client.ui.screens.inbox import engine_call

        try:
            result = engine_call(self.app, "changes", self.key)
        except Exception as exc:  # noqa: BLE001 - shown in words, never a traceback
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show, result)

    def _failed(self, exc: BaseException) -> None:
        from tui_client.ui.screens.inbox import reason_words

        self.loads += 1
        self.query_one("#changes-summary", Static).update(t("changes.failed", reason=reason_words(exc)))

    def show(self, cl: Optional[ChangeList]) -> None:
        self.loads += 1
        self.changes = cl
        summary = self.query_one("#changes-summary", Static)
        if cl is None:
            summary.update(t("changes.no_previous"))
            return
        self.query_one("#changes-head", Static).update(t("changes.header", new=cl.new_name, old=cl.old_name))
        if cl.problem:
            summary.update(t("changes.unreadable"))
            return
        summary.update(summary_words(cl))
        table = self.query_one(DataTable)
        table.clear()
        for c in cl.changes:
            table.add_row(*row_cells(c))

    def action_back(self) -> None:
        self.dismiss(None)
