"""What a cursor move costs the terminal: the app's driver drops "reset, then the same colours again"
between cells, so a table row is sent as one colour sequence per run of cells that look the same,
and the terminal shows exactly the same characters in the same colours.
(The byte figures themselves are tests/bench/bench_inbox.py's.)"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from textual.app import App

from fixed import CM, HOMECARE, T0, FixedServices
from tui_client.office.models import InboxItem, InboxState, ListQuery, Page
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.inbox import InboxTab, InboxTable
from tui_client.ui.terminal import drop_repeated_sgr, lean_driver

ITEMS = tuple(InboxItem(seq=i, key=f"k{i}", name=f"UPJSK_202505_{HOMECARE.office}_11_{CM.office}_43_2025060109{i:04d}.CSV",
                        kind="file", file_kind="UPJSK", month="202505", sender=HOMECARE, recipient=CM,
                        received_at=T0 + timedelta(minutes=i), state=InboxState.NEW, content_sha256="", size=900)
              for i in range(1000))

_TOKEN = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-ln-z]|(.)", re.S)


def shown(data: str):
    """What a terminal shows for ``data``: each character with the SGR parameters in force (they add
    up until a reset), and the cursor moves in between."""
    out, state = [], ()
    for m in _TOKEN.finditer(data):
        if m.group(1) is not None:
            state = () if m.group(1) in ("", "0") else state + tuple(m.group(1).split(";"))
        elif m.group(2) is not None:
            out.append((m.group(2), state))
        else:
            out.append((m.group(0), "move"))
    return out


class Thousand(FixedServices):
    def inbox(self, query=ListQuery()):
        return Page(ITEMS[query.offset:query.offset + query.limit], len(ITEMS), query.offset, query.limit)


def test_same_colours_after_a_reset_are_dropped_and_nothing_else():
    cells = "\x1b[38;5;253;48;5;234m ＊新着 \x1b[0m\x1b[38;5;253;48;5;234m 05/01\x1b[0m\x1b[1;38;5;195;48;5;32m 実績\x1b[0m"
    lean = drop_repeated_sgr(cells)
    assert lean == "\x1b[38;5;253;48;5;234m ＊新着  05/01\x1b[0m\x1b[1;38;5;195;48;5;32m 実績\x1b[0m"
    assert shown(lean) == shown(cells)
    # two sequences in force (bold, then red): after the reset only red would be set again: kept
    stacked = "\x1b[1m\x1b[31mab\x1b[0m\x1b[31mcd\x1b[0m"
    assert drop_repeated_sgr(stacked) == stacked
    # a cursor move between two cells: both sequences kept
    moved = "\x1b[31mab\x1b[0m\x1b[5;1H\x1b[31mcd\x1b[0m"
    assert drop_repeated_sgr(moved) == moved


def test_the_drivers_write_goes_through_the_filter():
    class Capture:
        def __init__(self):
            self.got = []

        def write(self, data):
            self.got.append(data)

    driver = lean_driver(Capture)()
    driver.write("\x1b[31ma\x1b[0m\x1b[31mb\x1b[0m")
    assert driver.got == ["\x1b[31mab\x1b[0m"]
    assert lean_driver(Capture) is type(driver)          # one class per platform driver
    assert issubclass(TsunagiApp().driver_class, App().driver_class)            # the platform's, filtered


def test_an_inbox_row_goes_out_in_half_the_bytes_and_looks_the_same():
    async def run():
        app = TsunagiApp(Thousand(), poll=False, first_tab="inbox")
        async with app.run_test(size=(80, 24)) as pilot:
            tab = app.query_one(InboxTab)
            for _ in range(200):
                if tab.loads:
                    break
                await pilot.pause()
            assert tab.loads and tab.page.total == 1000
            await pilot.press("down")
            await pilot.pause()
            table = app.query_one(InboxTable)
            assert table.cursor_row == 1
            for strip in table.render_lines(table.region.reset_offset)[1:4]:   # rows 1, 2 (cursor), 3
                raw = strip.render(app.console)
                lean = drop_repeated_sgr(raw)
                assert shown(lean) == shown(raw)
                assert len(lean.encode()) < 200 < len(raw.encode()), (len(lean.encode()), len(raw.encode()))

    asyncio.run(run())
