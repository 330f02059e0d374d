"""The monthly cycle through the app against a real relay on loopback: the care manager batch-sends
the month's files from the 一括送信 tab, the partners (second and third Offices, other PCs) receive
and receipt them, and the care manager's 送信 tab shows 受信済み for every file."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, ProgressBar

from uihelp import settle, table_column
from tui_client.catalog import t
from tui_client.office.models import OutboxState
from tui_client.ui.app import TsunagiApp
from tui_client.ui.services import Services
from tui_client.ui.settings import AppSettings

# async tests run on asyncio through anyio's plugin (a module mark, so node ids are fixed at collection)
pytestmark = pytest.mark.anyio


async def test_batch_send_then_partners_receipt_then_outbox_shows_received(open_office, month_export, tmp_path):
    cm = open_office("cm", "cm-pc")
    partners = {"homecare": open_office("homecare", "homecare-pc"), "day-main": open_office("day-main", "day-pc")}
    for p in partners.values():
        assert not p.register()
    folder, files, _ = month_export({"cm": cm, **partners})
    app = TsunagiApp(Services(cm), settings=AppSettings(export_folder=str(folder)), home=str(tmp_path / "cm-pc"),
                     poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        batch = app.query_one("#tab-batch")
        assert batch.plan is not None and len(batch.plan.files) == len(files)
        assert len(batch.plan.sendable) == len(files), [f.findings for f in batch.plan.files]
        table = app.query_one("#batch-table", DataTable)
        assert set(table_column(table, 0)) == {t("batch.verdict.ok")}
        assert set(table_column(table, 2)) == {t("batch.reach.yes")}

        await pilot.press("s")
        await settle(pilot)
        bar = app.query_one("#batch-progress", ProgressBar)
        assert bar.progress == bar.total == len(files)
        # what was sent is not offered again
        assert batch.plan.sendable == [] and all(f.sent for f in batch.plan.files)

        for p in partners.values():
            got = p.receive()
            assert len(got.received) == len(files) // 2, got.findings

        await pilot.press("f3")
        app.refresh_now()
        await settle(pilot)
        outbox = app.query_one("#tab-outbox")
        assert len(outbox.items) == len(files)
        assert {i.state for i in outbox.items} == {OutboxState.RECEIVED}
        assert all(i.received_at is not None for i in outbox.items)
        states = table_column(app.query_one("#outbox-table", DataTable), 0)
        assert set(states) == {"✓ " + t("state.outbox.received")}


async def test_actuals_arrive_notify_and_home_leads_to_inbox(open_office, tmp_path):
    """A provider's 実績 reaches the care manager: a notice with the count and kind, and the home tab's
    first line is the new arrival, leading to the 受信 tab."""
    from tui_client.cli.demo import month_files

    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "homecare-pc")
    day = open_office("day-main", "day-pc")
    _, actuals = month_files({"cm": cm, "homecare": homecare, "day-main": day}, "202505")
    assert not cm.register()
    report = homecare.send([actuals["homecare"]])
    assert report.sent, report.findings

    app = TsunagiApp(Services(cm), home=str(tmp_path / "cm-pc"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any(t("notice.arrivals", count=1, kinds=t("kind.UPJSK")) == m for m in notes), notes
        home = app.query_one("#tab-home")
        await settle(pilot)
        first = home.lines[0]
        assert first.target == "inbox" and first.mark == "●", home.lines
        await pilot.press("enter")
        await settle(pilot)
        assert app.active_tab() == "inbox"
