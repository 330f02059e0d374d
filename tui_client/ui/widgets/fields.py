"""Labelled fields: one record of a received file as 項目名 / value lines (第1表, 第2表, 利用者補足 …).

Renders the (label, value) pairs of ``core.preview`` / ``office.models.Preview.records``, one record
at a time (``show(i)``, ``next_record()``, ``prev_record()``), labels padded by terminal cell width so
the values line up under Japanese labels. Empty values say （空欄） in words.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui_client.catalog import t

MAX_LABEL = 30

Record = Sequence[Tuple[str, str]]


def record_lines(record: Record) -> List[Tuple[str, str]]:
    """(label padded to a common width, value) per field; a value's line breaks stay line breaks,
    continued under the value column."""
    width = min(MAX_LABEL, max((cell_len(label) for label, _ in record), default=0))
    out = []
    for label, value in record:
        shown = value.replace("\r\n", "\n").replace("\r", "\n") if value else t("fields.empty")
        first, *rest = shown.split("\n")
        out.append((set_cell_size(label, width), first))
        for more in rest:
            out.append((" " * width, more))
    return out


class FieldsView(Static):
    """One record at a time, with its number among all the file's records."""

    DEFAULT_CSS = """
    FieldsView { height: auto; padding: 0 1; }
    """
    index: reactive[int] = reactive(0)

    def __init__(self, records: Sequence[Record], total: Optional[int] = None, *, id=None,
                 classes=None) -> None:
        super().__init__(id=id, classes=classes)
        self.records = tuple(records)
        self.total = total if total is not None else len(self.records)

    def show(self, index: int) -> None:
        if self.records:
            self.index = max(0, min(len(self.records) - 1, index))

    def next_record(self) -> None:
        self.show(self.index + 1)

    def prev_record(self) -> None:
        self.show(self.index - 1)

    def content(self) -> Content:
        if not self.records:
            return Content(t("preview.nothing"))
        parts = [(f"{t('preview.record', n=self.index + 1)} ({self.index + 1}/{len(self.records)})",
                  "bold $accent")]
        if self.total > len(self.records):
            parts.append(("  " + t("preview.records.more", total=self.total, shown=len(self.records)),
                          "dim"))
        for label, value in record_lines(self.records[self.index]):
            parts += ["\n", (label, "bold"), "  ", value]
        return Content.assemble(*parts)

    def text_lines(self) -> List[str]:
        return self.content().plain.split("\n")

    def on_mount(self) -> None:
        self.update(self.content())

    def watch_index(self) -> None:
        if self.is_mounted:
            self.update(self.content())
