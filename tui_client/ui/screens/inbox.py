"""受信 (inbox) tab: every item this office received, as every PC of the office sees it.

One row per item: selection, state (＊新着 / 〇確認済み / ✓保存済み), time, sender, kind in words,
month in 和暦 (and 西暦 when the terminal is wide; always in the detail line under the table), the
check result, and whether its bundle (one ファイル連番) is complete. Enter opens the preview, space
selects, ``s`` saves the selected items (or, when none is selected, every new one) to the folder the
care software imports from, in the order received with bundles kept together. ``n`` / ``p`` page
through lists of any length (one page of ``PAGE`` items is loaded at a time).

The tab renders values only. Everything that may wait runs in a thread worker and calls the engine
through ``engine_call`` — the one place that reaches ``Office`` (or the app's service layer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Sequence, Set, Tuple

from rich.cells import cell_len, set_cell_size
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui_client.catalog import TEXT, t
from tui_client.core import wareki
from tui_client.core.preview import bundle_gaps
from tui_client.office.models import InboxItem, InboxState, ListQuery, Page
from tui_client.ui.actions import Action, bindings_for, get, register
from tui_client.ui.widgets.listtable import ListTable, enter_opens

SCOPE = "inbox"
PAGE = 100
#: A terminal at least this wide gets the long forms (西暦 month, sender's number, 件 counts).
WIDE_FROM = 120
#: Saving "all new" walks the pages of new items; this bounds the walk (PAGE × this many items).
MAX_SAVE_PAGES = 1000

register(
    Action("inbox.open", "enter", "inbox.key.open", scope=SCOPE, action="open"),
    Action("inbox.select", "space", "inbox.key.select", scope=SCOPE, action="select"),
    Action("inbox.save", "s", "inbox.key.save", scope=SCOPE, action="save"),
    # the page line under the table names n and p; the footer has no room for them at 80 columns
    Action("inbox.next_page", "n", "inbox.key.next_page", scope=SCOPE, action="next_page", footer=False),
    Action("inbox.prev_page", "p", "inbox.key.prev_page", scope=SCOPE, action="prev_page", footer=False),
    Action("inbox.changes", "d", "changes.key.open", scope=SCOPE, action="changes"),
    Action("inbox.planact", "y", "planact.key.open", scope=SCOPE, action="planact"),
)


# --- the one place the screens reach the engine ---------------------------------------------------

class Unsupported(Exception):
    """The engine has no such method yet (helper A adds ``inbox``, ``preview``, ``mark_seen`` and
    ``save_received`` to ``Office`` on branch ``store``)."""


def engine_call(app, method: str, *args, **kwargs):
    """Call ``method`` on the app's service layer (``app.services``) when it has it, else on
    ``app.office``. Runs in a worker thread only. This is the ONE ``getattr`` over the engine in the
    inbox and preview screens; a method that does not exist yet raises ``Unsupported``."""
    for target in (getattr(app, "services", None), getattr(app, "office", None)):
        if target is None:
            continue
        fn = getattr(target, method, None)
        if callable(fn):
            return fn(*args, **kwargs)
    raise Unsupported(method)


# --- values into words ---------------------------------------------------------------------------

def kind_words(file_kind: str) -> str:
    """第6表 予定, 実績 …: the app's short word for a kind (catalog/ui.py), else ours (prevention
    kinds), else 不明."""
    return TEXT.get(f"kind.{file_kind}") or TEXT.get(f"kind.short.{file_kind}") or t("kind.unknown")


def month_words(month: Optional[str], wide: bool = True) -> str:
    """``202505`` → 令和7年5月（2025年5月）, or 令和7年5月 when narrow; ― without a month."""
    w, s = wareki.format_month(month or "")
    if not w:
        return t("inbox.month.none")
    return t("daygrid.month", wareki=w, seireki=s) if wide else w


def time_words(when: Optional[datetime], wide: bool = True) -> str:
    if when is None:
        return ""
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M" if wide else "%m/%d %H:%M")


def party_words(party, wide: bool = True) -> str:
    if party is None:
        return ""
    number = party.office + (f"/{party.service}" if party.service else "")
    if party.name:
        return f"{number} {party.name}" if wide else party.name
    return number


def state_words(state: InboxState, superseded: bool = False) -> str:
    return t("inbox.state.superseded") if superseded else t(f"inbox.state.{state.value}")


def check_words(item: InboxItem, wide: bool = True) -> str:
    if item.problem:
        return t("inbox.check.problem")
    errors, warnings = item.errors, item.warnings
    if errors and warnings and wide:
        return t("inbox.check.both", errors=errors, warnings=warnings)
    if errors:
        return t("inbox.check.errors", errors=errors)
    if warnings:
        return t("inbox.check.warnings", warnings=warnings)
    return t("inbox.check.ok")


def other_pc_words(item: InboxItem, wide: bool = True) -> str:
    """他のPCで受信済み（time） when another PC of the office received the item first, else ""."""
    if item.other_pc_received_at is None:
        return ""
    return t("pcs.other_pc_received", time=time_words(item.other_pc_received_at, wide))


def reason_words(exc: BaseException) -> str:
    if isinstance(exc, Unsupported):
        return t("inbox.unsupported", what=str(exc))
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _fit(text: str, cells: int) -> str:
    return " " + (set_cell_size(text, cells) if cell_len(text) > cells else text)


def save_order(items: Sequence[InboxItem]) -> List[InboxItem]:
    """Items in the order received, each bundle (same sender, site and ファイル連番) kept together at
    the place of its first arrival."""
    first: Dict[tuple, int] = {}
    for it in sorted(items, key=lambda i: i.seq):
        first.setdefault(_bundle_key(it), it.seq)
    return sorted(items, key=lambda i: (first[_bundle_key(i)], i.seq))


def _bundle_key(item: InboxItem) -> tuple:
    if not item.bundle:
        return ("", "", "", item.key)      # alone
    return (item.sender.office, item.sender.service or "", item.bundle, "")


# --- the tab -------------------------------------------------------------------------------------

class InboxTable(ListTable):
    """The list (jump scrolling, Home / End, no repaint of the hover row per key: ``ListTable``)."""

    BINDINGS = [enter_opens(t("inbox.key.open"))]


#: (column key, label key, narrow width, wide width)
COLUMNS = (
    ("mark", "inbox.col.mark", 2, 2),
    ("state", "inbox.col.state", 12, 12),       # 差し替え済み
    ("time", "inbox.col.time", 11, 16),
    ("sender", "inbox.col.sender", 10, 20),
    ("kind", "inbox.col.kind", 10, 12),
    ("month", "inbox.col.month", 10, 24),
    ("check", "inbox.col.check", 9, 16),
    ("bundle", "inbox.col.bundle", 6, 8),
)


class InboxTab(Vertical):
    SCOPE = SCOPE
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    InboxTab { height: 1fr; }
    InboxTab #inbox-table { height: 1fr; scrollbar-size-vertical: 0; }
    InboxTab #inbox-detail { height: auto; min-height: 2; max-height: 4; padding: 0 1; background: $panel; }
    InboxTab #inbox-status { height: 1; padding: 0 1; }
    """

    def __init__(self, *, import_folder: str = "", page_size: int = PAGE, id=None, classes=None) -> None:
        super().__init__(id=id, classes=classes)
        self.import_folder = import_folder
        self.page_size = page_size
        self.page_offset = 0
        self.page: Page = Page((), 0)
        self.items: Dict[str, InboxItem] = {}
        self.selected: Set[str] = set()
        self.gaps: Dict[str, Tuple[str, ...]] = {}
        self.wide: Optional[bool] = None
        self.notice = ""
        self.loads = 0                      # finished loads (tests wait on state, not on time)

    def compose(self) -> ComposeResult:
        table = InboxTable(id="inbox-table", cursor_type="row", cell_padding=0, zebra_stripes=True)
        yield table
        yield Static("", id="inbox-detail")
        yield Static(t("inbox.loading"), id="inbox-status")

    def on_mount(self) -> None:
        self._columns()
        self.reload()

    def focus_first(self) -> None:
        self.query_one(DataTable).focus()

    # -- loading
    def reload(self) -> None:
        """Load the current page again (new arrivals, states changed on another PC)."""
        if getattr(self.app, "office", None) is None and getattr(self.app, "services", None) is None:
            self._set_status(t("inbox.no_office"))
            return
        self._load(ListQuery(offset=self.page_offset, limit=self.page_size))

    @work(thread=True, exclusive=True, group="inbox-load")
    def _load(self, query: ListQuery) -> None:
        try:
            page = engine_call(self.app, "inbox", query)
        except Exception as exc:  # noqa: BLE001 - shown in words; the list keeps what it had
            self.app.call_from_thread(self._load_failed, exc)
            return
        self.app.call_from_thread(self._show_page, page)

    def _load_failed(self, exc: BaseException) -> None:
        self.loads += 1
        if isinstance(exc, Unsupported) and getattr(self.app, "office", None) is None:
            self._set_status(t("inbox.no_office"))
        else:
            self._set_status(t("inbox.failed", reason=reason_words(exc)))

    def _show_page(self, page: Page) -> None:
        if page.total and page.offset >= page.total and page.offset > 0:
            # The list shrank under us (saved or removed on another PC): go to its last page.
            self.page_offset = max(0, (page.total - 1) // self.page_size * self.page_size)
            self.reload()
            return
        self.page = page
        self.items = {it.key: it for it in page.items}
        self.gaps = bundle_gaps(it.name for it in page.items if it.bundle)
        self._fill()
        self.loads += 1

    # -- drawing
    def _is_wide(self) -> bool:
        return (self.app.size.width or 80) >= WIDE_FROM

    def _columns(self) -> None:
        table = self.query_one(DataTable)
        wide = self._is_wide()
        self.wide = wide
        table.clear(columns=True)
        for key, label, narrow_w, wide_w in COLUMNS:
            width = wide_w if wide else narrow_w
            table.add_column(_fit(t(label), width), width=width + 1, key=key)

    def on_resize(self) -> None:
        if self.wide is not None and self.wide != self._is_wide():
            self._columns()
            self._fill()

    def row_cells(self, item: InboxItem) -> Tuple[str, ...]:
        wide = bool(self.wide)
        widths = {key: (w if wide else n) for key, _, n, w in COLUMNS}
        gap = self.gaps.get(item.name)
        values = {
            "mark": t("inbox.mark.selected") if item.key in self.selected else "",
            "state": state_words(item.state, bool(item.superseded_by)),
            "time": time_words(item.received_at, wide),
            "sender": party_words(item.sender, wide),
            "kind": kind_words(item.file_kind),
            "month": month_words(item.month, wide),
            "check": check_words(item, wide),
            "bundle": t("inbox.bundle.incomplete") if gap else "",
        }
        return tuple(_fit(values[key], widths[key]) for key, *_ in COLUMNS)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for item in self.page.items:
            table.add_row(*self.row_cells(item), key=item.key)
        if self.page.items:
            table.move_cursor(row=min(max(keep, 0), len(self.page.items) - 1))
        self._status()
        self._detail()

    def _status(self) -> None:
        page = self.page
        if not page.total:
            text = t("inbox.empty")
        else:
            text = t("inbox.page", first=page.offset + 1, last=page.offset + len(page.items), total=page.total,
                     next=get("inbox.next_page").key, prev=get("inbox.prev_page").key)
        if self.selected:
            text += "　" + t("inbox.selected", count=len(self.selected))
        if self.notice:
            text = self.notice + "　" + text
        self._set_status(text)

    def _set_status(self, text: str) -> None:
        self.query_one("#inbox-status", Static).update(text)

    def current(self) -> Optional[InboxItem]:
        table = self.query_one(DataTable)
        if not self.page.items or table.cursor_row < 0 or table.cursor_row >= len(self.page.items):
            return None
        return self.page.items[table.cursor_row]

    def _detail(self) -> None:
        item = self.current()
        text = ""
        if item is not None:
            gap = self.gaps.get(item.name)
            bundle = ""
            if item.bundle:
                words = (t("inbox.bundle.incomplete") + "：" + "、".join(kind_words(k) for k in gap)) if gap \
                    else t("inbox.bundle.complete")
                bundle = f"　{t('inbox.col.bundle')} {item.bundle}（{words}）"
            subject = f"　{item.subject}" if item.subject else ""
            # the check result only when the row's short form may have left something out
            check = f"　{check_words(item, True)}" if (item.findings or item.problem) else ""
            place = t("inbox.position", n=self.page.offset + self.query_one(DataTable).cursor_row + 1,
                      total=self.page.total)
            # another PC's reception right after this PC's time: it explains that time
            other = other_pc_words(item, bool(self.wide))
            other = f"　{other}" if other else ""
            text = (f"{self._first_detail_line(place, item)}"
                    f"\n{time_words(item.received_at)}{other}{check}{bundle}{subject}")
        self.query_one("#inbox-detail", Static).update(text)

    def _first_detail_line(self, place: str, item: InboxItem) -> str:
        """位置　sender　kind　month in one line of the detail pane: a long sender name is cut, never
        wrapped (a second line would make the pane taller and the list shorter: a whole repaint)."""
        detail = self.query_one("#inbox-detail", Static)
        cells = detail.size.width or (self.app.size.width or 80) - 2      # before the first layout
        after = f"　{kind_words(item.file_kind)}　{month_words(item.month)}"
        sender = party_words(item.sender, True)
        room = max(0, cells - cell_len(place) - 2 - cell_len(after))
        if cell_len(sender) > room:      # cut, with a mark that it was; no bracket left open at the cut
            sender = set_cell_size(sender, max(0, room - 1)).rstrip().rstrip("（(　") + "…" if room else ""
        return f"{place}　{sender}{after}"

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    # -- keys
    @on(DataTable.RowSelected)
    def _selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        item = self.current()
        if item is None:
            return
        from tui_client.ui.screens.preview import PreviewScreen

        self.app.push_screen(PreviewScreen(item.key, item=item), lambda _: self.reload())

    def action_changes(self) -> None:
        """変更点 of the file under the cursor against the version it replaced."""
        item = self.current()
        if item is not None:
            from tui_client.ui.screens.changes import ChangesScreen

            self.app.push_screen(ChangesScreen(item.key, item=item))

    def action_planact(self) -> None:
        """予定と実績 for the month and partner of the file under the cursor."""
        item = self.current()
        from tui_client.ui.screens.planactual import open_from

        open_from(self.app, (item.month or "") if item else "", item.sender.office if item else "")

    def action_select(self) -> None:
        item = self.current()
        if item is None:
            return
        self.selected ^= {item.key}
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.update_cell(item.key, "mark", self.row_cells(item)[0])
        if row + 1 < len(self.page.items):
            table.move_cursor(row=row + 1)
        self._status()

    def action_next_page(self) -> None:
        if self.page.has_more:
            self.page_offset = self.page.offset + self.page_size
            self.query_one(DataTable).move_cursor(row=0)
            self.reload()

    def action_prev_page(self) -> None:
        if self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - self.page_size)
            self.query_one(DataTable).move_cursor(row=0)
            self.reload()

    def action_save(self) -> None:
        folder = self.import_folder or self._configured_folder()
        if not folder:
            self.notice = t("inbox.save.no_folder")
            self._status()
            return
        self._save(tuple(sorted(self.selected)), folder)

    def _configured_folder(self) -> str:
        for source in (getattr(self.app, "settings", None),
                       getattr(getattr(self.app, "office", None), "settings", None)):
            folder = getattr(source, "import_folder", "") if source is not None else ""
            if folder:
                return str(folder)
        return ""

    @work(thread=True, exclusive=True, group="inbox-save")
    def _save(self, keys: Tuple[str, ...], folder: str) -> None:
        try:
            items = self._items_for(keys)
            if not items:
                self.app.call_from_thread(self._saved, [], None, 0)
                return
            ordered = save_order(items)
            gaps = bundle_gaps(it.name for it in ordered if it.bundle)
            incomplete = {_bundle_key(it) for it in ordered if it.name in gaps}
            result = engine_call(self.app, "save_received", [it.key for it in ordered], folder)
        except Exception as exc:  # noqa: BLE001 - shown in words; nothing is lost, nothing marked saved
            self.app.call_from_thread(self._save_failed, exc)
            return
        self.app.call_from_thread(self._saved, ordered, result, len(incomplete))

    def _items_for(self, keys: Tuple[str, ...]) -> List[InboxItem]:
        """The selected items, or every new one (all pages, bounded) when none is selected."""
        if keys:
            wanted = set(keys)
            found = [it for it in self.items.values() if it.key in wanted]
            if len(found) < len(wanted):
                # Selected on other pages: walk the list to find them (bounded).
                found, offset = [], 0
                for _ in range(MAX_SAVE_PAGES):
                    page = engine_call(self.app, "inbox", ListQuery(offset=offset, limit=self.page_size))
                    found += [it for it in page.items if it.key in wanted]
                    offset += len(page.items)
                    if not page.items or not page.has_more:
                        break
            return found
        found, offset = [], 0
        for _ in range(MAX_SAVE_PAGES):
            page = engine_call(self.app, "inbox", ListQuery(offset=offset, limit=self.page_size,
                                                              state=InboxState.NEW.value))
            found += [it for it in page.items if it.state == InboxState.NEW]
            offset += len(page.items)
            if not page.items or not page.has_more:
                break
        return found

    def _saved(self, ordered: List[InboxItem], result, incomplete: int) -> None:
        if not ordered:
            self.notice = t("inbox.save.none")
        else:
            folder = self.import_folder or self._configured_folder()
            self.notice = t("inbox.save.done", count=len(ordered), folder=folder)
            if incomplete:
                self.notice += "　" + t("inbox.save.incomplete", count=incomplete)
            self.selected.clear()
        self.reload()
        self._status()

    def _save_failed(self, exc: BaseException) -> None:
        self.notice = t("inbox.save.failed", reason=reason_words(exc))
        self._status()

    # -- the app's messages
    def on_arrivals_changed(self, message) -> None:
        self.reload()
