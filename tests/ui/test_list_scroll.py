"""The lists (受信, 送信, 保管) scroll by half a page at once when the cursor leaves the visible rows,
so most cursor moves repaint two rows and only about every half page the whole list; Home / End
go to the first / last row; the mouse wheel still scrolls; the cursor is always on screen and the
selection is kept. On a real Office whose inbox holds 60 received files, at 80x24."""

import asyncio
from datetime import timedelta

import pytest
from rich.cells import cell_len
from textual import events

from fixed import CM, HOMECARE, T0, FixedServices
from inboxhelp import inbox_open, received_office, settle
from tui_client.catalog import t
from tui_client.core import samples
from tui_client.core.spec.filenames import build_filename
from tui_client.office.models import InboxItem, InboxState, ListQuery, Page
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.archive import ArchiveTab
from tui_client.ui.screens.inbox import InboxTab, InboxTable
from tui_client.ui.screens.outbox import OutboxTab
from tui_client.ui.services import Services
from tui_client.ui.widgets.listtable import ListTable

ITEMS = 60


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    data = samples.actuals_file("202505", samples.HOME_HELP, samples.users(1))[1]
    files = [(build_filename("UPJSK", samples.HOME_HELP.number, samples.CARE_MANAGER.number,
                             f"20250601{i // 60:02d}{i % 60:02d}00", month="202505", sender_service="11",
                             recipient_service="43"), data) for i in range(ITEMS)]
    o = received_office(str(tmp_path_factory.mktemp("pc")), files)
    yield o
    o.close()


def visible(table: ListTable) -> range:
    """The rows on screen (below the header)."""
    top = table._get_fixed_offset().top
    first = round(table.scroll_y)
    return range(first, first + table.scrollable_content_region.height - top)


def on_screen(table: ListTable) -> bool:
    return table.cursor_row in visible(table)


# on state, never on frames: each round waits for the app's workers (opening the office, loading a
# page) to finish, however slow the machine (a count of frames alone failed on a loaded CI box)
until = settle


def test_moving_past_the_last_visible_row_scrolls_half_a_page_at_once(office):
    async def run():
        async with inbox_open(office) as (app, pilot, tab):
            table = tab.query_one(InboxTable)
            assert isinstance(table, ListTable) and table.row_count == ITEMS
            rows = len(visible(table))
            assert 10 <= rows < ITEMS
            for _ in range(rows - 1):                   # to the last visible row: no scrolling
                await pilot.press("down")
            assert table.cursor_row == rows - 1 and table.scroll_y == 0
            await pilot.press("down")                   # one past it: half a page at once
            assert table.scroll_y == rows // 2
            assert on_screen(table)
            for _ in range(rows // 2 - 1):              # the next rows are in view again: no scrolling
                await pilot.press("down")
                assert table.scroll_y == rows // 2
            await pilot.press("up")                     # up inside the view: no scrolling either
            assert table.scroll_y == rows // 2
            # back up past the first visible row: half a page up at once
            for _ in range(table.cursor_row - rows // 2 + 1):
                await pilot.press("up")
            assert table.cursor_row == rows // 2 - 1 and table.scroll_y == 0

    asyncio.run(run())


def test_a_walk_down_and_up_keeps_the_cursor_on_screen_and_scrolls_seldom(office):
    async def run():
        async with inbox_open(office) as (app, pilot, tab):
            table = tab.query_one(InboxTable)
            rows = len(visible(table))
            scrolls, last = 0, table.scroll_y
            for key in ["down"] * ITEMS + ["up"] * ITEMS:
                await pilot.press(key)
                assert on_screen(table), (key, table.cursor_row, table.scroll_y)
                scrolls += table.scroll_y != last
                last = table.scroll_y
            assert table.cursor_row == 0 and table.scroll_y == 0
            # one row per move would be 2 * (ITEMS - rows) scrolls; half a page per scroll is far fewer
            assert 2 <= scrolls <= 2 * (ITEMS - rows) // (rows // 2) + 2
            # the detail line follows the cursor all the way
            assert str(tab.query_one("#inbox-detail").render()).startswith(f"1/{ITEMS}")

    asyncio.run(run())


def test_home_and_end_go_to_the_first_and_last_row(office):
    async def run():
        async with inbox_open(office) as (app, pilot, tab):
            table = tab.query_one(InboxTable)
            await pilot.press("end")
            assert table.cursor_row == ITEMS - 1 and on_screen(table)
            assert table.scroll_y == table.max_scroll_y
            assert str(tab.query_one("#inbox-detail").render()).startswith(f"{ITEMS}/{ITEMS}")
            await pilot.press("up")                     # one up from the last row: still in view
            assert table.cursor_row == ITEMS - 2 and table.scroll_y == table.max_scroll_y
            await pilot.press("home")
            assert table.cursor_row == 0 and table.scroll_y == 0
            await pilot.press("ctrl+end")               # DataTable's own keys still work
            assert table.cursor_row == ITEMS - 1 and on_screen(table)

    asyncio.run(run())


def test_the_selection_is_kept_across_jumps(office):
    async def run():
        async with inbox_open(office) as (app, pilot, tab):
            table = tab.query_one(InboxTable)
            await pilot.press("space", "space")          # rows 0 and 1 selected, cursor on row 2
            keys = {tab.page.items[0].key, tab.page.items[1].key}
            assert tab.selected == keys
            await pilot.press("end", "home")
            assert tab.selected == keys
            mark = t("inbox.mark.selected")
            assert [str(table.get_row_at(r)[0]).strip() for r in range(3)] == [mark, mark, ""]
            await pilot.press("end", "space")            # the last row too, far below the first page
            assert tab.selected == keys | {tab.page.items[-1].key}
            assert table.cursor_row == ITEMS - 1 and on_screen(table)

    asyncio.run(run())


def test_the_mouse_wheel_still_scrolls_and_the_next_key_brings_the_cursor_back(office):
    async def run():
        async with inbox_open(office) as (app, pilot, tab):
            table = tab.query_one(InboxTable)
            for _ in range(10):
                table.post_message(events.MouseScrollDown(table, 5, 5, 0, 1, 0, False, False, False))
                await pilot.pause()
            assert table.scroll_y >= 10 and not on_screen(table)    # away from the cursor (row 0)
            assert table.cursor_row == 0
            await pilot.press("down")
            assert table.cursor_row == 1 and on_screen(table)
            for _ in range(3):
                table.post_message(events.MouseScrollUp(table, 5, 5, 0, -1, 0, False, False, False))
                await pilot.pause()
            await settle(pilot, lambda: table.scroll_y == 0)

    asyncio.run(run())


def test_the_outbox_and_archive_lists_are_list_tables(office):
    async def run(tab):
        app = TsunagiApp(Services(office), poll=False, first_tab=tab.SCOPE)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: bool(app.query(f"#{tab.SCOPE}-table")))
            assert isinstance(app.query_one(tab).query_one(f"#{tab.SCOPE}-table"), ListTable)

    for tab in (OutboxTab, ArchiveTab):
        asyncio.run(run(tab))


LONG = tuple(InboxItem(seq=i, key=f"k{i}", name=f"UPJSK_202505_{HOMECARE.office}_11_{CM.office}_43_2025060109{i:04d}.CSV",
                       kind="file", file_kind="UPJSK", month="202505", sender=HOMECARE, recipient=CM,
                       received_at=T0 + timedelta(minutes=i), state=InboxState.NEW, content_sha256="", size=900)
             for i in range(1000))


class Thousand(FixedServices):
    """1,000 items from a sender with a long name (つなぎ訪問介護ステーション（デモ）)."""

    def inbox(self, query=ListQuery()):
        return Page(LONG[query.offset:query.offset + query.limit], len(LONG), query.offset, query.limit)


def test_the_detail_panes_first_line_never_wraps_so_the_list_keeps_its_height():
    async def run():
        app = TsunagiApp(Thousand(), poll=False, first_tab="inbox")
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            await until(pilot, lambda: tab.loads >= 1)
            table, detail = tab.query_one(InboxTable), tab.query_one("#inbox-detail")
            height = table.size.height
            for key in ["down"] * 40 + ["end"]:
                await pilot.press(key)
                first = str(detail.render()).split("\n")[0]
                assert cell_len(first) <= detail.size.width and detail.size.height == 2, first
                assert table.size.height == height
            # the sender is cut, never the place, the kind or the month (with its 西暦)
            assert first.startswith(f"100/1000　{HOMECARE.office}/11 つなぎ")
            assert first.endswith("…　実績　令和7年5月（2025年5月）")   # marked as cut, no bracket left open
            assert "（…" not in first
            await pilot.resize_terminal(140, 30)         # room enough: the whole name
            await until(pilot, lambda: HOMECARE.name in str(detail.render()))

    asyncio.run(run())
