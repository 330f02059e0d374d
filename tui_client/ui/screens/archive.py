"""保管庫: everything sent and received, kept with its sealed envelope and signed receipt as evidence.

A search form (user, partner, month, kind, state; Enter searches) over a paged table (n / p pages,
paged in the database). Enter on a row opens the preview; ``e`` exports one user or one month
(a folder plus index.csv for Excel), ``v`` checks the kept evidence again, ``i`` takes in the
national client's download folder, ``d`` deletes what is past the retention period after saying
what will go. Every engine call runs in a worker through ``ui/services.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from textual import on, work
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Select, Static

from tui_client.catalog import t
from tui_client.office.models import ArchiveRecord, Direction, InboxState, ListQuery, OutboxState, Page
from tui_client.ui import actions
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text, kind_label, month_label, state_label, time_label
from tui_client.ui.screens.base import TabView
from tui_client.ui.widgets.filetable import FileTable
from tui_client.ui.widgets.listtable import enter_opens

SCOPE = "archive"

register(
    Action("archive.search", "slash", "action.archive.search", scope=SCOPE, action="search_form"),
    # the title names n and p when there is more than one page; the footer has no room at 80 columns
    Action("archive.next", "n", "action.archive.next", scope=SCOPE, action="page(1)", footer=False),
    Action("archive.prev", "p", "action.archive.prev", scope=SCOPE, action="page(-1)", footer=False),
    Action("archive.export", "e", "action.archive.export", scope=SCOPE, action="export"),
    Action("archive.verify", "v", "action.archive.verify", scope=SCOPE, action="verify"),
    # done once or twice a year: in the palette (^p), off the key line, which at 80 columns has room
    # for Enter (開く), search, export and verify besides quit and the palette
    Action("archive.import", "i", "action.archive.import", scope=SCOPE, action="import_folder", footer=False),
    Action("archive.retention", "d", "action.archive.retention", scope=SCOPE, action="retention", footer=False),
)

PAGE = 20
KINDS = ("UPPLAN", "UPJSK", "UPSIKYU", "UPHOSOKU", "UP1KYO", "UP2KYO", "UP3KYO", "MSG")
STATES = (InboxState.NEW, InboxState.SEEN, InboxState.SAVED, OutboxState.SENT, OutboxState.RECEIVED,
          OutboxState.WITHDRAWN)


def _state_words(record: ArchiveRecord) -> str:
    enum = InboxState if record.direction is Direction.RECEIVED else OutboxState
    try:
        return state_label(enum(record.state))
    except ValueError:
        return record.state


def evidence_words(record: ArchiveRecord) -> str:
    if record.imported:
        return t("archive.evidence.imported")
    key = {(True, True): "both", (True, False): "envelope", (False, True): "receipt"}.get(
        (record.has_envelope, record.has_receipt), "none")
    return t(f"archive.evidence.{key}")


def _first_error(findings) -> Optional[str]:
    for f in findings:
        if f.blocks_sending:
            what, fix = finding_text(f)
            return f"{what}\n{fix}"
    return None


class ArchiveTable(FileTable):
    BINDINGS = [enter_opens(t("inbox.key.open"))]     # Enter opens the preview (``ArchiveTab._open``)


class ArchiveTab(TabView):
    SCOPE = SCOPE
    BINDINGS = bindings_for(SCOPE)
    # Two compact rows of labelled filters: on one row of bordered inputs at 80 columns each got
    # about 12 cells, too few for its prompt or a name, and bordered rows would leave the table five
    # lines. Like 新規作成, a word before each field says what it is, even once something is typed.
    DEFAULT_CSS = """
    ArchiveTab #archive-form { height: auto; padding: 0 1 1 0; }
    ArchiveTab .archive-form-row { height: 1; }
    ArchiveTab .archive-form-label { width: auto; padding: 0 1; text-style: bold; }
    ArchiveTab .archive-form-row Input { width: 1fr; }
    ArchiveTab #archive-month { width: 10; }
    ArchiveTab .archive-form-row Select { width: 1fr; }
    ArchiveTab #archive-detail { height: auto; max-height: 5; padding: 0 1; }
    """

    def __init__(self, page_size: int = PAGE, **kw) -> None:
        super().__init__(**kw)
        self.page_size = page_size
        self.query_ = ListQuery(limit=page_size)
        self.page: Page = Page((), 0, 0, page_size)

    def compose(self):
        yield Static(t("archive.tab.loading"), classes="tab-title", id="archive-title")
        with Vertical(id="archive-form"):
            with Horizontal(classes="archive-form-row"):
                yield Label(t("archive.form.user"), classes="archive-form-label")
                yield Input(placeholder=t("archive.form.user.placeholder"), id="archive-user", compact=True)
                yield Label(t("archive.col.partner"), classes="archive-form-label")
                yield Input(placeholder=t("archive.form.partner.placeholder"), id="archive-partner", compact=True)
            with Horizontal(classes="archive-form-row"):
                yield Label(t("archive.form.month"), classes="archive-form-label")
                yield Input(placeholder=t("archive.form.month.placeholder"), id="archive-month", max_length=6,
                            restrict=r"[0-9]*", compact=True)
                yield Label(t("archive.col.kind"), classes="archive-form-label")
                yield Select([(kind_label(k), k) for k in KINDS], prompt=t("archive.form.kind.prompt"),
                             id="archive-kind", compact=True)
                yield Label(t("archive.col.state"), classes="archive-form-label")
                yield Select([(t(s.label_key), s.value) for s in STATES], prompt=t("archive.form.state.prompt"),
                             id="archive-state", compact=True)
        # the file name is on the detail line below; the table shows it too where it fits whole
        yield ArchiveTable(*(t(f"archive.col.{c}") for c in ("time", "direction", "state", "kind", "month",
                                                         "evidence", "partner")),
                        name_label=t("archive.col.name"), elastic=6, id="archive-table", cursor_type="row",
                        zebra_stripes=False)
        yield Static("", id="archive-detail", classes="detail")

    def on_mount(self) -> None:
        self.reload()

    def focus_first(self) -> None:
        """The table: its keys (e, v, i, d, Enter) work at once and show in the footer; / searches."""
        self.query_one("#archive-table", DataTable).focus()

    def reload(self) -> None:
        if self.app.services is None or getattr(self.app, "office", None) is None:
            return
        self._load(self.query_)

    # -- the form
    def _form_query(self) -> Optional[ListQuery]:
        month = self.query_one("#archive-month", Input).value.strip()
        if month and (len(month) != 6 or not 1 <= int(month[4:]) <= 12):
            self.app.notify(t("archive.form.bad_month"), severity="warning")
            return None
        kind = self.query_one("#archive-kind", Select).value
        state = self.query_one("#archive-state", Select).value
        return ListQuery(offset=0, limit=self.page_size, user=self.query_one("#archive-user", Input).value.strip(),
                         partner=self.query_one("#archive-partner", Input).value.strip(), month=month,
                         kind=kind if isinstance(kind, str) else "", state=state if isinstance(state, str) else "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search()

    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        event.stop()
        self.search()

    def search(self) -> None:
        query = self._form_query()
        if query is not None:
            self.query_ = query
            self._load(query)

    def action_search_form(self) -> None:
        self.query_one("#archive-user", Input).focus()

    def action_page(self, step: int) -> None:
        offset = self.page.offset + step * self.page_size
        if offset < 0 or offset >= max(self.page.total, 1):
            return
        self.query_ = replace(self.query_, offset=offset)
        self._load(self.query_)

    # -- the table
    @work(thread=True, exclusive=True, group="archive")
    def _load(self, query: ListQuery) -> None:
        page = self.services.archive(query)
        self.app.call_from_thread(self._show, page, query)

    def _show(self, page: Page, query: Optional[ListQuery] = None) -> None:
        if query is not None and query != self.query_:
            return        # an earlier search answered after a newer one was asked: not shown
        self.page = page
        table = self.query_one("#archive-table", FileTable)
        row = table.cursor_row
        table.set_rows((((time_label(r.time), t(f"archive.direction.{r.direction.value}"), _state_words(r),
                          kind_label(r.file_kind), month_label(r.month, western=False), evidence_words(r),
                          r.partner.name or r.partner.office), r.name) for r in page.items),
                       keys=[str(r.seq) for r in page.items])
        if page.total:
            pages = (page.total + self.page_size - 1) // self.page_size
            title = t("archive.tab.count", total=page.total, first=page.offset + 1,
                      last=page.offset + len(page.items), page=page.offset // self.page_size + 1, pages=pages)
            if pages > 1:
                title += t("archive.tab.page_keys", next=actions.get("archive.next").key,
                           prev=actions.get("archive.prev").key)
        else:
            title = t("archive.tab.empty")
        self.query_one("#archive-title", Static).update(title)
        if page.items:
            table.move_cursor(row=min(row or 0, len(page.items) - 1))
        self._detail()

    def selected(self) -> Optional[ArchiveRecord]:
        table = self.query_one("#archive-table", DataTable)
        items = self.page.items
        if not items or table.cursor_row is None or not 0 <= table.cursor_row < len(items):
            return None
        return items[table.cursor_row]

    def _detail(self) -> None:
        r = self.selected()
        text = ""
        if r is not None:
            text = t("archive.detail", name=r.name, users=" ".join(r.users) or "―",
                     partner=r.partner.name or r.partner.office)
            if r.imported:
                text += "　" + t("archive.detail.imported")
            elif r.receipt_at is not None:
                text += "　" + t("archive.detail.receipt", time=time_label(r.receipt_at))
        self.query_one("#archive-detail", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        r = self.selected()
        if r is not None:
            self._preview(r.seq)

    @work(thread=True, exclusive=True, group="archive-preview")
    def _preview(self, seq: int) -> None:
        preview = self.services.archive_preview(seq)
        self.app.call_from_thread(self._push_preview, preview)

    def _push_preview(self, preview) -> None:
        from tui_client.ui.screens.preview import PreviewScreen

        item = getattr(preview, "item", None)
        self.app.push_screen(PreviewScreen(getattr(item, "key", ""), item=item, preview=preview),
                             lambda _: self.reload())

    # -- export
    def action_export(self) -> None:
        r = self.selected()
        user = self.query_.user or (r.users[0] if r is not None and r.users else "")
        month = self.query_.month or (r.month if r is not None and r.month else "")
        if not user and not month:
            self.app.notify(t("archive.export.need"), severity="warning")
            return
        from tui_client.ui.screens.archive_export import ExportChoice

        self.app.push_screen(ExportChoice(user, month), self._export_where)

    def _export_where(self, choice) -> None:
        if not choice:
            return
        from tui_client.ui.screens.picker import FolderPicker

        settings = getattr(self.app, "settings", None)

        def chosen(folder: Optional[str]) -> None:
            if folder:
                self._export(folder, choice)

        self.app.push_screen(FolderPicker(getattr(settings, "import_folder", "") or None,
                                          t("archive.export.target")), chosen)

    @work(thread=True, group="archive-act")
    def _export(self, folder: str, choice) -> None:
        which, value = choice
        result = self.services.export_archive(folder, **{which: value})
        self.app.call_from_thread(self._exported, result)

    def _exported(self, result) -> None:
        error = _first_error(result.findings)
        if error:
            self.app.notify(error, severity="error", timeout=10)
            return
        text = t("archive.export.done", count=result.records, folder=result.folder)
        replaced = [f for f in result.findings if f.code == "W-ARC-010"]
        if replaced:
            text += "\n" + t("archive.export.replaced", count=len(replaced))
        self.app.notify(text, severity="warning" if replaced else "information", timeout=10)

    # -- verify
    def action_verify(self) -> None:
        r = self.selected()
        if r is not None:
            self._verify(r.seq, r.name)

    @work(thread=True, group="archive-act")
    def _verify(self, seq: int, name: str) -> None:
        result = self.services.verify_archived(seq)
        self.app.call_from_thread(self._verified, result, name)

    def _verified(self, result, name: str) -> None:
        if not result.ok:
            lines = [t("archive.verify.failed", name=name)]
            lines += [finding_text(f)[0] for f in result.findings if f.blocks_sending]
            self.app.notify("\n".join(lines), severity="error", timeout=15)
            return
        what = "both" if result.envelope_checked and result.receipt_checked else \
            "envelope" if result.envelope_checked else "content"
        self.app.notify(t("archive.verify.ok", name=name, what=t(f"archive.verify.what.{what}")), timeout=10)

    # -- import
    def action_import_folder(self) -> None:
        from tui_client.ui.screens.picker import FolderPicker

        settings = getattr(self.app, "settings", None)

        def chosen(folder: Optional[str]) -> None:
            if folder:
                self._import(folder)

        self.app.push_screen(FolderPicker(getattr(settings, "import_folder", "") or None,
                                          t("archive.import.target")), chosen)

    @work(thread=True, group="archive-act")
    def _import(self, folder: str) -> None:
        result = self.services.import_folder(folder)
        self.app.call_from_thread(self._imported, result)

    def _imported(self, result) -> None:
        text = t("archive.import.done", imported=len(result.imported), already=len(result.already),
                 refused=len(result.refused))
        error = _first_error(result.findings)
        self.app.notify(text + (f"\n{error}" if error else ""), severity="warning" if error else "information",
                        timeout=10)
        self.reload()

    # -- retention
    def action_retention(self) -> None:
        self._plan()

    def _now(self):
        clock = getattr(self.app, "clock", None)
        if callable(clock):
            return clock()
        from datetime import datetime

        return datetime.now().astimezone()

    @work(thread=True, group="archive-act")
    def _plan(self) -> None:
        plan = self.services.retention_plan(self._now())
        self.app.call_from_thread(self._ask, plan)

    def _ask(self, plan) -> None:
        if plan is None:
            self.app.notify(t("archive.failed", reason="retention"), severity="error")
            return
        cutoff = plan.cutoff.astimezone().strftime("%Y-%m-%d")
        if not plan.count:
            self.app.notify(t("archive.retention.none", years=plan.years, cutoff=cutoff))
            return
        months = "、".join(t("archive.retention.item", what=month_label(m, western=False) or m or "―", count=n)
                          for m, n in plan.months)
        partners = "、".join(t("archive.retention.item", what=name or office or "―", count=n)
                            for office, name, n in plan.partners)
        from tui_client.ui.screens.confirm import ConfirmScreen

        def done(ok: bool) -> None:
            if ok:
                self._apply(plan)

        self.app.push_screen(ConfirmScreen(t("archive.retention.confirm", years=plan.years, count=plan.count,
                                             cutoff=cutoff, months=months, partners=partners)), done)

    @work(thread=True, group="archive-act")
    def _apply(self, plan) -> None:
        gone = self.services.apply_retention(plan)
        self.app.call_from_thread(self._applied, gone)

    def _applied(self, gone: int) -> None:
        self.app.notify(t("archive.retention.done", count=gone))
        self.reload()
