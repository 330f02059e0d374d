"""The inbox tab (受信): what a user sees and what the keys do, on a real Office holding real sample
files (its SQLite client store filled as receiving fills it)."""

import asyncio

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable

from inboxhelp import InboxApp, inbox_open, listed, received_office, settle
from tui_client.core import samples
from tui_client.core.spec.filenames import build_filename
from tui_client.office.models import InboxState
from tui_client.ui.screens.inbox import engine_call, save_order
from tui_client.ui.screens.preview import PreviewScreen
from tui_client.ui.widgets.daygrid import DayGridView

MONTH = samples.sample_month()


@pytest.fixture
def office(tmp_path):
    made = []

    def make(files=MONTH):
        o = received_office(str(tmp_path / "pc"), files)
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


def _cells(table: DataTable, row: int):
    return [str(c).strip() for c in table.get_row_at(row)]


def _row_of(office, prefix: str) -> int:
    return next(i for i, it in enumerate(listed(office)) if it.file_kind == prefix)


def test_list_shows_state_sender_kind_month_and_check_in_words(office):
    o = office()

    async def run():
        async with inbox_open(o) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            assert table.row_count == len(MONTH)
            plan = _row_of(o, "UPPLAN")
            cells = _cells(table, plan)
            assert cells[1] == "＊新着"
            assert cells[3].startswith("27123")               # no directory name known: the number
            assert cells[4] == "第6表 予定"
            assert cells[5] == "令和7年5月"
            assert cells[6] == "✓問題なし"
            # the detail line says the rest in full: number and site, 西暦, the bundle
            table.move_cursor(row=plan)
            await pilot.pause()
            detail = str(tab.query_one("#inbox-detail").render())
            assert "2712300011/43" in detail and "令和7年5月（2025年5月）" in detail and "そろっています" in detail
            assert f"全{len(MONTH)}件" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_wide_terminal_shows_both_calendars_in_the_list(office):
    o = office()

    async def run():
        async with inbox_open(o, size=(120, 40)) as (app, pilot, tab):
            cells = _cells(tab.query_one(DataTable), _row_of(o, "UPPLAN"))
            assert cells[5] == "令和7年5月（2025年5月）"
            assert cells[3].startswith("2712300011/43")
    asyncio.run(run())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_columns_fit_the_terminal_and_wide_characters_line_up(office, size):
    o = office()

    async def run():
        async with inbox_open(o, size=size) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            assert sum(c.get_render_width(table) for c in table.columns.values()) <= size[0] - 2
            # every cell fits its column in terminal cells (DataTable pads by cell width)
            for key, col in table.columns.items():
                widths = {cell_len(str(table.get_cell(row, key))) for row in table.rows}
                assert max(widths) <= col.width, (key, widths, col.width)
    asyncio.run(run())


def test_enter_opens_the_preview_marks_it_seen_and_esc_comes_back(office):
    o = office()

    async def run():
        async with inbox_open(o) as (app, pilot, tab):
            plan = _row_of(o, "UPPLAN")
            table = tab.query_one(DataTable)
            table.focus()
            table.move_cursor(row=plan)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
            grid = app.screen.query_one(DayGridView)
            assert [u.insured for u in grid.grid.users] == [u.insured for u in samples.users(6)]
            await pilot.press("n")
            assert grid.index == 1
            await pilot.press("p")
            assert grid.index == 0
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, PreviewScreen) and tab.loads >= 2)
            assert _cells(table, plan)[1] == "〇確認済み"
            assert listed(o)[plan].state == InboxState.SEEN
    asyncio.run(run())


def test_fields_from_the_engine_read_as_words_not_codes(office):
    # The façade splits rows by the layout with raw values; the screen shows codes with their
    # meaning and dates with the 和暦 year, as for a file previewed by core.preview.
    o = office()

    async def run():
        async with inbox_open(o) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            table.focus()
            table.move_cursor(row=_row_of(o, "UPHOSOKU"))
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
            from tui_client.ui.widgets.fields import FieldsView
            text = "\n".join(app.screen.query_one(FieldsView).text_lines())
            assert "2：女性" in text and "（昭和17年）" in text and "識別子" not in text
    asyncio.run(run())


def test_space_selects_and_s_saves_the_selection_in_order(office, tmp_path):
    o = office()
    folder = tmp_path / "import"
    items = listed(o)

    async def run():
        async with inbox_open(o, folder=str(folder)) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            table.focus()
            table.move_cursor(row=4)
            await pilot.press("space")          # row 4; the cursor moves on to 5
            assert table.cursor_row == 5
            table.move_cursor(row=1)
            await pilot.press("space")
            assert tab.selected == {items[4].key, items[1].key}
            assert _cells(table, 1)[0] == "＋"
            await pilot.press("s")
            await settle(pilot, lambda: tab.loads >= 2 and "保存しました" in str(tab.query_one("#inbox-status").render()))
            assert sorted(p.name for p in folder.iterdir()) == sorted([items[1].name, items[4].name])
            assert tab.selected == set()
            assert _cells(table, 1)[1] == "✓保存済み" and _cells(table, 4)[1] == "✓保存済み"
            assert _cells(table, 2)[1] == "＊新着"
            assert "2件" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_s_without_selection_saves_every_new_item_bundles_together(office, tmp_path, monkeypatch):
    # Two bundles arrive interleaved: the save keeps each bundle together, in first-arrival order.
    people = samples.users(2)
    a = samples.use_bundle("202505", samples.HOME_HELP, people, serial="20250425100000")
    b = samples.use_bundle("202505", samples.HOME_HELP, people, serial="20250425110000")
    o = office([a[0], b[0], a[1], b[1], a[2], b[2]])
    items = listed(o)
    type(o).mark_seen(o, items[5].key)          # seen is not new: "all new" leaves it
    calls = []
    real = type(o).save_received

    def spy(self, keys, folder):
        calls.append(tuple(keys))
        return real(self, keys, folder)

    monkeypatch.setattr(type(o), "save_received", spy)

    async def run():
        async with inbox_open(o, folder=str(tmp_path / "import")) as (app, pilot, tab):
            await pilot.press("s")
            await settle(pilot, lambda: calls and tab.loads >= 2)
        keys = [it.key for it in items]
        assert calls == [(keys[0], keys[2], keys[4], keys[1], keys[3])]
        assert {it.name: it.state for it in listed(o)}[items[5].name] == InboxState.SEEN
    asyncio.run(run())


def test_incomplete_bundle_is_marked(office, tmp_path):
    people = samples.users(2)
    bundle = samples.use_bundle("202505", samples.HOME_HELP, people)
    o = office(bundle[:2])                      # the 利用者補足 did not come

    async def run(o, expected):
        async with inbox_open(o) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            assert [_cells(table, r)[7] for r in range(table.row_count)] == expected
            return str(tab.query_one("#inbox-detail").render())
    detail = asyncio.run(run(o, ["不足", "不足"]))
    assert "不足：利用者補足" in detail
    whole = received_office(str(tmp_path / "pc2"), bundle + [samples.actuals_file("202505", samples.HOME_HELP, people)])
    try:
        asyncio.run(run(whole, ["", "", "", ""]))
    finally:
        whole.close()


def test_paging_through_a_long_list_loads_one_page_at_a_time(office):
    people = samples.users(1)
    data = samples.actuals_file("202505", samples.HOME_HELP, people)[1]
    files = [(build_filename("UPJSK", samples.HOME_HELP.number, samples.CARE_MANAGER.number,
                             f"202506{d:02d}{h:02d}{m:02d}00", month="202505",
                             sender_service="11", recipient_service="43"), data)
             for d, h, m in ((1 + i // 600, (i // 60) % 10, i % 60) for i in range(1050))]
    o = office(files)

    async def run():
        async with inbox_open(o) as (app, pilot, tab):
            table = tab.query_one(DataTable)
            assert table.row_count == 100 and tab.page.total == 1050
            table.focus()
            for n in range(10):
                await pilot.press("n")
                await settle(pilot, lambda: tab.loads >= n + 2)
            assert tab.page.offset == 1000 and table.row_count == 50
            await pilot.press("n")              # the last page: nothing more to load
            await pilot.press("p")
            await settle(pilot, lambda: tab.page.offset == 900)
            assert "901–1000件目 / 全1050件" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_no_office_says_so_in_words():
    async def run():
        app = InboxApp(None)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "事業所が設定されていません" in str(app.query_one("#inbox-status").render())
    asyncio.run(run())


def test_an_engine_without_the_method_is_shown_not_raised():
    class Old:                                  # the Office before the store: no inbox(query)
        inbox = object()

        def received(self):
            return []

    async def run():
        async with inbox_open(Old()) as (app, pilot, tab):
            assert "まだ使えません" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_engine_call_reaches_the_office_when_the_app_has_no_service_layer(office):
    o = office()

    class Host:
        services = None
        office = o
    assert engine_call(Host, "inbox").total == len(MONTH)


def test_save_order_keeps_bundles_at_their_first_arrival(office):
    o = office([MONTH[0], MONTH[4], MONTH[1]])  # 第1表, 第6表 (another bundle), 第2表
    assert [i.seq for i in save_order(listed(o))] == [listed(o)[0].seq, listed(o)[2].seq, listed(o)[1].seq]


def test_an_arrival_message_reloads_the_list(office, tmp_path):
    from tui_client.ui.messages import ArrivalsChanged

    o = office(MONTH[:2])

    async def run():
        async with inbox_open(o) as (app, pilot, tab):
            assert tab.query_one(DataTable).row_count == 2
            name, data = MONTH[2]
            more = received_office(str(tmp_path / "pc"), [])    # the poller's own Office on the same store
            more.db.archive_put("received", name, {"id": "relay-x", "name": name, "kind": "file",
                                                   "sender": "2712300011", "received_at": "2025-05-02T01:00:00Z",
                                                   "findings": []}, data, state="new")
            more.close()
            tab.post_message(ArrivalsChanged(1, ("UP3KYO",)))
            await settle(pilot, lambda: tab.loads >= 2)
            assert tab.query_one(DataTable).row_count == 3
    asyncio.run(run())


def test_inbox_and_preview_keys_do_not_clash():
    from tui_client.ui import actions

    assert actions.keys_clash(["inbox", "preview"]) == []
    assert {a.name for a in actions.actions_for("inbox")} == {
        "inbox.open", "inbox.select", "inbox.save", "inbox.next_page", "inbox.prev_page", "inbox.changes",
        "inbox.planact"}
