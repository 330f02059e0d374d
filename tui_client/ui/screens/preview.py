"""The preview of a received item: its findings, then a readable form of it; Esc goes back.

第6表 予定 / 実績 show as a day grid per user (n / → next user, p / ← previous), 第1表 / 第2表 /
利用者補足 and the other kinds as labelled fields per record (same keys), messages as their text with
the attachments listed. The screen renders values only: ``Office.preview(key)`` (in a worker) gives an
``office.models.Preview`` whose ``grid`` is the value of ``core.preview``; a caller that already has a
``core.preview.PreviewData`` (batch, compose) passes it in and no engine is called.
"""

from __future__ import annotations

from typing import Optional

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_client.catalog import t
from tui_client.core.preview import DayGrid, PreviewData
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.widgets.daygrid import DayGridView
from tui_client.ui.widgets.fields import FieldsView
from tui_client.ui.widgets.findings import FindingsList

SCOPE = "preview"

register(
    Action("preview.back", "escape", "preview.back", scope=SCOPE, action="back"),
    Action("preview.next", "n,right", "preview.key.next", scope=SCOPE, action="next"),
    Action("preview.prev", "p,left", "preview.key.prev", scope=SCOPE, action="prev"),
)


def _parts(preview) -> dict:
    """What to draw, from an ``office.models.Preview`` or a ``core.preview.PreviewData``."""
    if isinstance(preview, PreviewData):
        return dict(name=preview.name, kind=preview.kind_name, findings=preview.findings,
                    grid=preview.grid, records=preview.records, total=preview.records_total,
                    text="", attachments=(), problem=preview.problem, item=None)
    grid = getattr(preview, "grid", None)
    records = tuple(getattr(preview, "records", ()) or ())
    total = len(records)
    findings = tuple(getattr(preview, "findings", ()) or ())
    if isinstance(grid, PreviewData):     # the façade may hand over the whole core value
        records = grid.records or records   # its records carry code meanings and 和暦 dates
        total = max(total, grid.records_total)
        findings = findings or grid.findings
        grid = grid.grid
    item = getattr(preview, "item", None)
    if records and item is not None:
        from tui_client.core.preview import readable_records

        records = readable_records(item.file_kind, records)
    from tui_client.ui.screens.inbox import kind_words

    return dict(name=item.name if item else "", kind=kind_words(item.file_kind) if item else "",
                findings=findings, grid=grid if isinstance(grid, DayGrid) else None,
                records=records, total=total, text=getattr(preview, "text", "") or "",
                attachments=tuple(getattr(preview, "attachments", ()) or ()),
                problem=getattr(preview, "problem", "") or "", item=item)


class PreviewScreen(Screen):
    SCOPE = SCOPE
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    PreviewScreen #preview-head { height: auto; padding: 0 1; background: $panel; }
    PreviewScreen #preview-body { height: 1fr; border: round $panel; }
    PreviewScreen #preview-body:focus { border: round $accent; }
    PreviewScreen .preview-note { padding: 0 1; }
    """

    def __init__(self, key: str = "", *, item=None, preview=None) -> None:
        super().__init__()
        self.key = key
        self.item = item
        self.preview = preview
        self.parts: Optional[dict] = None

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="preview-head")
        yield FindingsList(id="preview-findings")
        yield VerticalScroll(Static(t("preview.loading"), classes="preview-note"), id="preview-body",
                             can_focus=True)
        yield Footer()

    def _head(self) -> str:
        item = self.item
        if item is None:
            return t("preview.title")
        from tui_client.ui.screens.inbox import kind_words, other_pc_words, party_words, time_words

        head = t("preview.header", kind=kind_words(item.file_kind), name=item.name)
        head += "\n" + t("preview.from", sender=party_words(item.sender, wide=True),
                         time=time_words(item.received_at))
        other = other_pc_words(item)
        return head + ("\n" + other if other else "")

    def on_mount(self) -> None:
        if self.preview is not None:
            self.show(self.preview)
        else:
            self._load()

    @work(thread=True, exclusive=True, group="preview")
    def _load(self) -> None:
        from tui_client.ui.screens.inbox import engine_call

        try:
            preview = engine_call(self.app, "preview", self.key)
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong is shown, never a traceback
            self.app.call_from_thread(self._failed, exc)
            return
        try:
            engine_call(self.app, "mark_seen", self.key)
        except Exception:  # noqa: BLE001 - not being able to mark it seen must not hide the preview
            pass
        self.app.call_from_thread(self.show, preview)

    def _failed(self, exc: Exception) -> None:
        from tui_client.ui.screens.inbox import reason_words

        body = self.query_one("#preview-body", VerticalScroll)
        body.remove_children()
        body.mount(Static(t("preview.failed", reason=reason_words(exc)), classes="preview-note"))

    def show(self, preview) -> None:
        if preview is None:             # the item is gone (removed on another PC)
            self._failed(LookupError(t("preview.nothing")))
            return
        self.preview = preview
        parts = self.parts = _parts(preview)
        if parts["item"] is not None:
            self.item = parts["item"]
            self.query_one("#preview-head", Static).update(self._head())
        elif parts["name"] and self.item is None:
            self.query_one("#preview-head", Static).update(
                t("preview.header", kind=parts["kind"], name=parts["name"]))
        findings = list(parts["findings"])
        if parts["problem"] and parts["problem"] not in {getattr(f, "code", "") for f in findings}:
            findings.insert(0, parts["problem"])
        self.query_one(FindingsList).set_findings(findings, file=parts["name"])
        body = self.query_one("#preview-body", VerticalScroll)
        body.remove_children()
        body.mount_all(self._body(parts))
        body.focus()

    def _body(self, parts: dict):
        if parts["grid"] is not None:
            return [DayGridView(parts["grid"], id="preview-grid")]
        if parts["records"]:
            return [FieldsView(parts["records"], parts["total"], id="preview-fields")]
        if parts["text"] or (parts["item"] is not None and parts["item"].file_kind == "MSG"):
            out = []
            subject = getattr(parts["item"], "subject", "") if parts["item"] else ""
            if subject:
                out.append(Static(t("preview.message.subject", subject=subject), classes="preview-note"))
            out.append(Static(parts["text"], classes="preview-note", id="preview-text", markup=False))
            if parts["attachments"]:
                listed = "\n".join(f"・{name}" for name in parts["attachments"])
                out.append(Static(f"{t('preview.message.attachments')}\n{listed}", classes="preview-note",
                                  id="preview-attachments", markup=False))
            else:
                out.append(Static(t("preview.message.no_attachments"), classes="preview-note"))
            return out
        return [Static(t("preview.nothing"), classes="preview-note")]

    # -- keys
    def action_back(self) -> None:
        self.dismiss(self.key)

    def _view(self):
        for cls in (DayGridView, FieldsView):
            found = self.query(cls)
            if found:
                return found.first()
        return None

    def action_next(self) -> None:
        view = self._view()
        if isinstance(view, DayGridView):
            view.next_user()
        elif isinstance(view, FieldsView):
            view.next_record()

    def action_prev(self) -> None:
        view = self._view()
        if isinstance(view, DayGridView):
            view.prev_user()
        elif isinstance(view, FieldsView):
            view.prev_record()
