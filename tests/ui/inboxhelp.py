"""A stand-in for the engine's inbox contract (``office/models.py``: ``inbox(query) -> Page``,
``preview(key) -> Preview``, ``mark_seen(key)``, ``save_received(keys, folder)``), fed with real
sample files and real ``core.preview`` values, until helper A's ``Office`` (branch ``store``) has the
methods; then the tests switch to a real Office against a real relay. Only the store is stood in:
files, previews, findings and the written folder are real."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from textual.app import App

from tui_client.core import samples
from tui_client.core.preview import build_preview
from tui_client.core.spec.filenames import parse_filename
from tui_client.core.validate import validate_file
from tui_client.office.models import (FindingSummary, InboxItem, InboxState, ListQuery, Page, Party,
                                      Preview)
from tui_client.ui.screens.inbox import InboxTab

T0 = datetime(2025, 5, 2, 0, 30, tzinfo=timezone.utc)
NAMES = {samples.CARE_MANAGER.number: samples.CARE_MANAGER.name,
         samples.HOME_HELP.number: samples.HOME_HELP.name, samples.DAY_CARE.number: samples.DAY_CARE.name}


def item_for(seq: int, name: str, data: bytes) -> InboxItem:
    p, _ = parse_filename(name)
    findings = tuple(FindingSummary(f.code, f.row, f.column, f.field, f.value)
                     for f in validate_file(data, name).findings)
    return InboxItem(seq=seq, key=f"id-{seq:05d}", name=name, kind="file", file_kind=p.prefix,
                     month=p.month if p.month != "000000" else None,
                     sender=Party(p.sender, p.sender_service, NAMES.get(p.sender, "")),
                     recipient=Party(p.recipient, p.recipient_service), received_at=T0 + timedelta(minutes=seq),
                     state=InboxState.NEW, content_sha256="", size=len(data), bundle=p.serial,
                     findings=findings)


class ContractOffice:
    def __init__(self, files: Sequence[Tuple[str, bytes]]):
        self.content: Dict[str, bytes] = {}
        self.items: List[InboxItem] = []
        for seq, (name, data) in enumerate(files, start=1):
            it = item_for(seq, name, data)
            self.items.append(it)
            self.content[it.key] = data
        self.calls: List[tuple] = []

    def inbox(self, query: ListQuery = ListQuery()) -> Page:
        self.calls.append(("inbox", query))
        chosen = [i for i in self.items if not query.state or i.state.value == query.state]
        return Page(tuple(chosen[query.offset:query.offset + query.limit]), len(chosen), query.offset, query.limit)

    def _item(self, key: str) -> InboxItem:
        return next(i for i in self.items if i.key == key)

    def preview(self, key: str) -> Preview:
        self.calls.append(("preview", key))
        it = self._item(key)
        bundle = [(i.name, self.content[i.key]) for i in self.items if i.bundle == it.bundle]
        data = build_preview(it.name, self.content[key], companions=bundle)
        return Preview(item=it, findings=it.findings, records=data.records, grid=data.grid,
                       problem=data.problem)

    def _set(self, key: str, **changes) -> None:
        self.items = [replace(i, **changes) if i.key == key else i for i in self.items]

    def mark_seen(self, key: str) -> None:
        self.calls.append(("mark_seen", key))
        if self._item(key).state == InboxState.NEW:
            self._set(key, state=InboxState.SEEN)

    def save_received(self, keys: Sequence[str], folder) -> Tuple[List[Path], list]:
        self.calls.append(("save_received", tuple(keys)))
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for key in keys:
            it = self._item(key)
            (folder / it.name).write_bytes(self.content[key])
            written.append(folder / it.name)
            self._set(key, state=InboxState.SAVED, saved_to=str(folder))
        return written, []


class InboxApp(App):
    """The smallest app that hosts the tab as E1's app does: ``self.office`` and the tab."""

    def __init__(self, office, folder: str = "", page_size: int = 100):
        super().__init__()
        self.office = office
        self.folder = folder
        self.page_size = page_size

    def compose(self):
        yield InboxTab(import_folder=self.folder, page_size=self.page_size, id="tab-inbox")


async def settle(pilot, until) -> None:
    """Wait until the workers are done and ``until()`` holds: on state, never on time (bounded)."""
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if until():
            return
    raise AssertionError("the screen did not reach the expected state")
