"""The inbox tab on the real engine: a care manager sends a month's bundle through a real relay on
loopback, the provider's Office receives it, and the provider's inbox tab lists, previews and saves it."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
from textual.widgets import DataTable

from inboxhelp import InboxApp, settle
from tui_client import office as office_mod
from tui_client.core import samples
from tui_client.office.models import InboxState
from tui_client.ui.screens.inbox import InboxTab
from tui_client.ui.screens.preview import PreviewScreen
from tui_client.ui.widgets.daygrid import DayGridView
from tui_client.ui.widgets.fields import FieldsView

_spec = importlib.util.spec_from_file_location(
    "relay_fixtures", Path(__file__).resolve().parents[1] / "relay" / "conftest.py")
relay_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relay_fixtures)


@pytest.fixture
def relay(tmp_path):
    r = relay_fixtures.RelayProcess(str(tmp_path / "relay.sqlite3"), tmp_path).start()
    yield r
    r.stop()


def open_office(demo_id, relay, home):
    office_mod.setup_demo_office(demo_id, relay.url, home)
    from tui_client import sample_certs

    o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
    assert o is not None, findings
    return o


def test_received_bundle_is_listed_previewed_and_saved(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    provider = open_office("homecare", relay, home)
    cmo = samples.SampleOffice(cm.number, "43", "cm")
    prov = samples.SampleOffice(provider.number, provider.settings.services[0], "provider")
    people = samples.users(3)
    files = samples.use_bundle("202505", prov, people, sender=cmo, providers=[prov])
    report = cm.send(files)
    assert sorted(report.sent) == sorted(n for n, _ in files), report.findings
    got = provider.receive()
    assert len(got.received) == 3, got.findings
    folder = tmp_path / "import"

    async def run():
        app = InboxApp(provider, folder=str(folder))
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert table.row_count == 3, str(tab.query_one("#inbox-status").render())
            kinds = [str(table.get_row_at(r)[4]).strip() for r in range(3)]
            assert sorted(kinds) == sorted(["第6表 予定", "第7表", "利用者補足"])
            assert all(str(table.get_row_at(r)[1]).strip() == "＊新着" for r in range(3))
            assert all(str(table.get_row_at(r)[7]).strip() == "" for r in range(3))   # bundle whole
            plan = kinds.index("第6表 予定")
            table.focus()
            table.move_cursor(row=plan)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
            views = app.screen.query(DayGridView)
            assert views, "the 第6表 shows as a day grid"
            assert [u.insured for u in views.first().grid.users] == [u.insured for u in people]
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, PreviewScreen) and tab.loads >= 2)
            assert str(table.get_row_at(plan)[1]).strip() == "〇確認済み"
            sikyu = kinds.index("第7表")
            table.move_cursor(row=sikyu)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
            assert app.screen.query(FieldsView), "the 第7表 shows as labelled fields"
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, PreviewScreen) and tab.loads >= 3)
            await pilot.press("s")          # nothing selected: every new one (the 利用者補足)
            await settle(pilot, lambda: tab.loads >= 4 and "保存しました" in str(
                tab.query_one("#inbox-status").render()))
            assert sorted(p.name for p in folder.iterdir()) == [files[2][0]]
            table.move_cursor(row=plan)
            await pilot.press("space")
            await pilot.press("s")
            await settle(pilot, lambda: len(list(folder.iterdir())) == 2 and tab.loads >= 5)
            # (called on the class: the instance attribute ``inbox`` hides the method, see engine_call)
            states = {it.name: it.state for it in type(provider).inbox(provider).items}
            assert states[files[0][0]] == InboxState.SAVED and states[files[2][0]] == InboxState.SAVED
            assert states[files[1][0]] == InboxState.SEEN
            assert (folder / files[0][0]).read_bytes() == files[0][1]
    try:
        asyncio.run(run())
    finally:
        cm.close()
        provider.close()
