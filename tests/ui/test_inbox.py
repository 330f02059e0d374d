"""The inbox tab (受信): what a user sees and what the keys do, on real sample files."""

import asyncio

from textual.widgets import DataTable

from inboxhelp import ContractOffice, InboxApp, settle
from tui_client.core import samples
from tui_client.office.models import InboxState
from tui_client.ui.screens.inbox import InboxTab, save_order
from tui_client.ui.screens.preview import PreviewScreen
from tui_client.ui.widgets.daygrid import DayGridView

MONTH = samples.sample_month()


def _cells(table: DataTable, row: int):
    return [str(c).strip() for c in table.get_row_at(row)]


def test_list_shows_state_sender_kind_month_and_check_in_words():
    office = ContractOffice(MONTH)

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert table.row_count == len(MONTH)
            plan = next(i for i, it in enumerate(office.items) if it.file_kind == "UPPLAN")
            cells = _cells(table, plan)
            assert cells[1] == "＊新着"
            assert cells[3].startswith(samples.CARE_MANAGER.name[:4])
            assert cells[4] == "第6表 予定"
            assert cells[5] == "令和7年5月"
            assert cells[6] == "✓問題なし"
            # the detail line says the rest in full: number, 西暦, bundle
            table.move_cursor(row=plan)
            await pilot.pause()
            detail = str(tab.query_one("#inbox-detail").render())
            assert "2712300011/43" in detail and "令和7年5月（2025年5月）" in detail and "そろっています" in detail
            status = str(tab.query_one("#inbox-status").render())
            assert f"全{len(MONTH)}件" in status
    asyncio.run(run())


def test_wide_terminal_shows_both_calendars_in_the_list():
    office = ContractOffice(MONTH)

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(120, 40)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            plan = next(i for i, it in enumerate(office.items) if it.file_kind == "UPPLAN")
            cells = _cells(table, plan)
            assert cells[5] == "令和7年5月（2025年5月）"
            assert "2712300011/43" in cells[3]
    asyncio.run(run())


def test_columns_fit_80_cells_with_wide_characters():
    office = ContractOffice(MONTH)

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert sum(c.get_render_width(table) for c in table.columns.values()) <= 78
            # every cell of a column has the same width in cells (so wide characters line up)
            from rich.cells import cell_len
            for key, col in table.columns.items():
                widths = {cell_len(str(table.get_cell(row, key))) for row in table.rows}
                assert max(widths) <= col.width, (key, widths, col.width)
    asyncio.run(run())


def test_enter_opens_the_preview_marks_it_seen_and_esc_comes_back():
    office = ContractOffice(MONTH)

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            plan = next(i for i, it in enumerate(office.items) if it.file_kind == "UPPLAN")
            tab.query_one(DataTable).move_cursor(row=plan)
            tab.query_one(DataTable).focus()
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
            grid = app.screen.query_one(DayGridView)
            assert grid.user.name == samples.users(1)[0].name
            assert ("mark_seen", office.items[plan].key) in office.calls
            await pilot.press("n")
            assert grid.index == 1
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, PreviewScreen) and tab.loads >= 2)
            assert _cells(tab.query_one(DataTable), plan)[1] == "〇確認済み"
    asyncio.run(run())


def test_space_selects_and_s_saves_the_selection_in_order(tmp_path):
    office = ContractOffice(MONTH)
    folder = tmp_path / "import"

    async def run():
        app = InboxApp(office, folder=str(folder))
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            tab.query_one(DataTable).focus()
            tab.query_one(DataTable).move_cursor(row=4)
            await pilot.press("space")          # row 4, cursor moves to 5
            tab.query_one(DataTable).move_cursor(row=1)
            await pilot.press("space")          # row 1
            assert tab.selected == {office.items[4].key, office.items[1].key}
            assert _cells(tab.query_one(DataTable), 1)[0] == "＋"
            await pilot.press("s")
            await settle(pilot, lambda: any(c[0] == "save_received" for c in office.calls) and tab.loads >= 2)
            saved = next(c[1] for c in office.calls if c[0] == "save_received")
            assert saved == (office.items[1].key, office.items[4].key)       # order received
            assert sorted(p.name for p in folder.iterdir()) == sorted([office.items[1].name, office.items[4].name])
            assert tab.selected == set()
            assert _cells(tab.query_one(DataTable), 1)[1] == "✓保存済み"
            assert "2件" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_s_without_selection_saves_every_new_item_with_bundles_together(tmp_path):
    # Two bundles interleaved on arrival: the save keeps each bundle together, in first-arrival order.
    people = samples.users(2)
    a = samples.use_bundle("202505", samples.HOME_HELP, people, serial="20250425100000")
    b = samples.use_bundle("202505", samples.HOME_HELP, people, serial="20250425110000")
    files = [a[0], b[0], a[1], b[1], a[2], b[2]]
    office = ContractOffice(files)
    office.mark_seen(office.items[5].key)       # seen is not new: not saved by "all new"

    async def run():
        app = InboxApp(office, folder=str(tmp_path))
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            await pilot.press("s")
            await settle(pilot, lambda: any(c[0] == "save_received" for c in office.calls) and tab.loads >= 2)
            saved = next(c[1] for c in office.calls if c[0] == "save_received")
            keys = [it.key for it in office.items]
            assert saved == (keys[0], keys[2], keys[4], keys[1], keys[3])
    asyncio.run(run())


def test_incomplete_bundle_is_marked():
    people = samples.users(2)
    bundle = samples.use_bundle("202505", samples.HOME_HELP, people)
    office = ContractOffice(bundle[:2])          # 利用者補足 did not come
    actuals = samples.actuals_file("202505", samples.HOME_HELP, people)

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert [_cells(table, r)[7] for r in range(2)] == ["不足", "不足"]
            detail = str(tab.query_one("#inbox-detail").render())
            assert "不足：利用者補足" in detail
    asyncio.run(run())
    whole = ContractOffice(bundle + [actuals])

    async def run2():
        app = InboxApp(whole)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert [_cells(table, r)[7] for r in range(4)] == ["", "", "", ""]
    asyncio.run(run2())


def test_paging_through_a_long_list_loads_one_page_at_a_time():
    office = ContractOffice(MONTH * 1)
    office.items = [__import__("dataclasses").replace(office.items[i % len(office.items)], seq=i + 1,
                                                      key=f"k{i:05d}") for i in range(1050)]
    office.content.update({f"k{i:05d}": MONTH[i % len(MONTH)][1] for i in range(1050)})

    async def run():
        app = InboxApp(office)
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            table = tab.query_one(DataTable)
            assert table.row_count == 100 and tab.page.total == 1050
            table.focus()
            for n in range(10):
                await pilot.press("n")
                await settle(pilot, lambda: tab.loads >= n + 2)
            assert tab.page.offset == 1000 and table.row_count == 50
            await pilot.press("n")              # the last page: nothing more
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


def test_an_engine_without_the_method_yet_is_shown_not_raised():
    class Old:
        def received(self):
            return []
        inbox = object()                  # the current Office: ``inbox`` is the transport's object

    async def run():
        app = InboxApp(Old())
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await settle(pilot, lambda: tab.loads >= 1)
            assert "まだ使えません" in str(tab.query_one("#inbox-status").render())
    asyncio.run(run())


def test_save_order_keeps_bundles_at_their_first_arrival():
    office = ContractOffice([MONTH[0], MONTH[4], MONTH[1]])
    ordered = save_order(office.items)
    assert [i.seq for i in ordered] == [1, 3, 2]
