"""Real offices for the inbox tab's tests: a demo Office whose client store (the real SQLite
database of ``transport/clientdb.py``) holds received sample files, archived the way receiving
archives them, so the tab runs on the real ``Office.inbox / preview / mark_seen / save_received``
without a relay round trip per file (``test_inbox_relay.py`` does the round trip)."""

from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Sequence, Tuple

from textual.app import App

from tui_client import office as office_mod
from tui_client import sample_certs
from tui_client.core.spec.filenames import parse_filename
from tui_client.core.validate import validate_file
from tui_client.ui.screens.inbox import InboxTab

T0 = datetime(2025, 5, 2, 0, 30, tzinfo=timezone.utc)


def received_office(home: str, files: Sequence[Tuple[str, bytes]], demo_id: str = "homecare"):
    """A demo office (no relay is contacted) whose inbox holds ``files``, received in this order."""
    office_mod.setup_demo_office(demo_id, "https://127.0.0.1:9", home)
    office, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
    assert office is not None, findings
    for n, (name, data) in enumerate(files):
        p, _ = parse_filename(name)
        rec = {"id": f"relay-{n:05d}", "name": name, "kind": "file", "sender": p.sender,
               "sender_service": p.sender_service, "recipient": p.recipient,
               "recipient_service": p.recipient_service,
               "received_at": (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "content_sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
               "findings": sorted({f.code for f in validate_file(data, name).findings})}
        office.db.archive_put("received", name, rec, data, state="new")
    return office


def listed(office):
    """The office's inbox (the method on the class: the instance attribute ``inbox`` hides it)."""
    from tui_client.office.models import ListQuery

    return type(office).inbox(office, ListQuery(limit=10_000)).items


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


@asynccontextmanager
async def inbox_open(office, size=(80, 24), **kwargs):
    """The inbox tab of ``InboxApp(office, **kwargs)`` running headless, its first page loaded:
    ``(app, pilot, tab)``."""
    app = InboxApp(office, **kwargs)
    async with app.run_test(size=size) as pilot:
        tab = app.query_one(InboxTab)
        await settle(pilot, lambda: tab.loads >= 1)
        yield app, pilot, tab
