"""What a cursor move costs the terminal: the app's driver (``terminal.lean``) sends colours only when
they change and drops cursor moves to where the cursor already is, so a table row is sent as one
colour sequence per run of cells that look the same, and the terminal shows exactly the same
characters in the same colours at the same places. Exact bytes in, exact bytes out; and a real
inbox frame painted on a small terminal model, before and after.
(The byte figures themselves are tests/bench/bench_inbox.py's.)"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from rich.cells import cell_len
from textual.app import App

from fixed import CM, HOMECARE, T0, FixedServices
from tui_client.office.models import InboxItem, InboxState, ListQuery, Page
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.inbox import InboxTab, InboxTable
from tui_client.ui.terminal import lean, lean_driver

ITEMS = tuple(InboxItem(seq=i, key=f"k{i}", name=f"UPJSK_202505_{HOMECARE.office}_11_{CM.office}_43_2025060109{i:04d}.CSV",
                        kind="file", file_kind="UPJSK", month="202505", sender=HOMECARE, recipient=CM,
                        received_at=T0 + timedelta(minutes=i), state=InboxState.NEW, content_sha256="", size=900)
              for i in range(1000))

_TOKEN = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[([0-9;]*)H|\x1b\[[0-9;?]*[A-Za-z]|(.)", re.S)


#: attribute a code sets, and the codes that switch attributes off (a terminal's own reading)
_SETS = {"1": "bold", "2": "dim", "3": "italic", "4": "underline", "5": "blink", "7": "reverse",
         "8": "conceal", "9": "strike", **{str(c): "fg" for c in (*range(30, 38), *range(90, 98))},
         **{str(c): "bg" for c in (*range(40, 48), *range(100, 108))}}
_UNSETS = {"22": ("bold", "dim"), "23": ("italic",), "24": ("underline",), "25": ("blink",),
           "27": ("reverse",), "28": ("conceal",), "29": ("strike",), "39": ("fg",), "49": ("bg",)}


def sgr(state: dict, params: str) -> dict:
    """The attributes in force after ``ESC[{params}m``."""
    state, codes = dict(state), (params or "0").split(";")
    while codes:
        code = codes.pop(0)
        if code in ("", "0"):
            state = {}
        elif code in ("38", "48"):
            n = 1 if codes[0] == "5" else 3
            state["fg" if code == "38" else "bg"] = ";".join(codes[:n + 1])
            del codes[:n + 1]
        elif code in _SETS:
            state[_SETS[code]] = code
        elif code in _UNSETS:
            for a in _UNSETS[code]:
                state.pop(a, None)
        else:                                   # 73 (superscript) …: an attribute of its own
            state[code] = code
    return state


def painted(data: str):
    """What a terminal shows after ``data``: ({(row, column): (character, attributes)}, attributes
    at the end). A cursor move goes to (row, column), 1 by default; a character moves the cursor
    on by its width; "\n" goes down a row, to column 1 (as a pty sends it: CR LF)."""
    cells, state, at = {}, {}, (1, 1)
    for m in _TOKEN.finditer(data):
        params, move, char = m.group(1), m.group(2), m.group(3)
        if params is not None:
            state = sgr(state, params)
        elif move is not None:
            row, _, col = move.partition(";")
            at = (int(row or 1), int(col or 1))
        elif char == "\n":
            at = (at[0] + 1, 1)
        elif char is not None:
            cells[at] = (char, tuple(sorted(state.items())))
            at = (at[0], at[1] + cell_len(char))
    return cells, tuple(sorted(state.items()))


def lean_of(data: str, colours=()):
    return lean(data, colours)[0]


class Thousand(FixedServices):
    def inbox(self, query=ListQuery()):
        return Page(ITEMS[query.offset:query.offset + query.limit], len(ITEMS), query.offset, query.limit)


def test_same_colours_after_a_reset_are_dropped_and_nothing_else():
    cells = ("\x1b[38;5;253;48;5;234m ＊新着 \x1b[0m\x1b[38;5;253;48;5;234m 05/01\x1b[0m"
             "\x1b[1;38;5;195;48;5;32m 実績\x1b[0m")
    assert lean_of(cells) == ("\x1b[38;5;253;48;5;234m ＊新着  05/01\x1b[1;38;5;195;48;5;32m 実績\x1b[0m")
    assert painted(lean_of(cells)) == painted(cells)
    # two sequences in force (bold, then red): after the reset only red: one reset, then red
    stacked = "\x1b[1m\x1b[31mab\x1b[0m\x1b[31mcd\x1b[0m"
    assert lean_of(stacked) == "\x1b[1m\x1b[31mab\x1b[22mcd\x1b[0m"         # bold off, red stays
    assert painted(lean_of(stacked)) == painted(stacked)
    # the same colours after a cursor move: the move alone (in its short form)
    moved = "\x1b[31mab\x1b[0m\x1b[5;1H\x1b[31mcd\x1b[0m"
    assert lean_of(moved) == "\x1b[31mab\x1b[5Hcd\x1b[0m"
    assert painted(lean_of(moved)) == painted(moved)
    # a colour set and reset with nothing written in between: never sent
    assert lean_of("\x1b[44m\x1b[0m\x1b[2;3Hx") == "\x1b[2;3Hx"


def test_colours_that_change_are_sent_attribute_by_attribute_when_that_is_shorter():
    cases = {
        # zebra rows: only the background changes
        "\x1b[5;1H\x1b[38;5;253;48;5;234mab\x1b[0m\x1b[38;5;253;48;5;235mcd\x1b[0m":
            "\x1b[5H\x1b[38;5;253;48;5;234mab\x1b[48;5;235mcd\x1b[0m",
        # the detail pane: padding on the background, then text on it, then padding again
        "\x1b[48;5;17m \x1b[0m\x1b[38;5;253;48;5;17mx\x1b[0m\x1b[48;5;17m \x1b[0m":
            "\x1b[48;5;17m \x1b[38;5;253mx\x1b[39m \x1b[0m",
        # 24-bit colours count as one attribute each
        "\x1b[38;2;1;2;3;48;5;4ma\x1b[0m\x1b[38;2;1;2;3;48;5;5mb\x1b[0m":
            "\x1b[38;2;1;2;3;48;5;4ma\x1b[48;5;5mb\x1b[0m",
        # a code it does not know (73, superscript): a reset and all of the new colours
        "\x1b[1;73ma\x1b[0m\x1b[1;31mb\x1b[0m": "\x1b[1;73ma\x1b[0;1;31mb\x1b[0m",
        # a reset is shorter than switching four attributes off one by one
        "\x1b[1;3;4;9ma\x1b[0m\x1b[31mb\x1b[0m": "\x1b[1;3;4;9ma\x1b[0;31mb\x1b[0m",
    }
    for data, want in cases.items():
        assert lean_of(data) == want, data
        assert painted(lean_of(data)) == painted(data), data


def test_a_newline_right_before_a_move_to_a_lower_row_is_dropped():
    # Textual ends each line of an update with "\n" and starts the next with a move
    assert lean_of("\x1b[2;1H\x1b[44mab\x1b[0m\n\x1b[3;1H\x1b[44mcd\x1b[0m") == "\x1b[2H\x1b[44mab\x1b[3Hcd\x1b[0m"
    kept = {
        # back to the same row (or above): the "\n" may have scrolled; sent with its colours
        "\x1b[5;1H\x1b[44mab\x1b[0m\n\x1b[5;1Hx": "\x1b[5H\x1b[44mab\x1b[0m\n\x1b[5Hx",
        "\x1b[5;1H\x1b[44mab\n\x1b[0m\x1b[4;1Hx": "\x1b[5H\x1b[44mab\n\x1b[4H\x1b[0mx",
        # text after it, or the end of the write
        "\x1b[5;1H\x1b[44ma\x1b[0m\nb": "\x1b[5H\x1b[44ma\x1b[0m\nb",
        "\x1b[5;1H\x1b[44ma\n\x1b[0m\x1b[31m": "\x1b[5H\x1b[44ma\n\x1b[0;31m",
        # where the cursor is not known
        "ab\n\x1b[3;1Hx": "ab\n\x1b[3Hx",
    }
    for data, want in kept.items():
        assert lean_of(data) == want, data
        assert painted(lean_of(data)) == painted(data), data


def test_colours_not_known_at_the_start_are_reset_before_they_are_relied_on():
    data = "\x1b[31mab\x1b[0m\x1b[32mc\x1b[0m"
    assert lean(data) == ("\x1b[31mab\x1b[0;32mc\x1b[0m", ())         # (): the terminal was left reset
    assert lean(data, ("31",)) == ("ab\x1b[32mc\x1b[0m", ())               # red was on already
    # what one write leaves is where the next starts: no reset sent twice, colours kept on
    assert lean("\x1b[0m\x1b[33m", ()) == ("\x1b[33m", ("33",))
    assert lean("\x1b[0m\x1b[33mx", ("33",)) == ("x", ("33",))
    # ESC 8 (restore cursor and its colours): what is in force is not known any more
    assert lean_of("\x1b[31mx\x1b8\x1b[0mY") == "\x1b[31mx\x1b8\x1b[0mY"


def test_erasing_and_control_characters_get_the_colours_they_would_have_had():
    # ESC[K fills with the background in force: the blue is sent before it, the reset after
    assert lean_of("\x1b[0m\x1b[44m\x1b[K\x1b[0m") == "\x1b[44m\x1b[K\x1b[0m"
    # a newline may scroll and fill the new line with the background: colours before it too
    assert lean_of("\x1b[44m\n\x1b[0m") == "\x1b[44m\n\x1b[0m"
    # showing or hiding the cursor and synchronized output change neither colours nor the cursor
    frame = "\x1b[?2026h\x1b[0m\x1b[31m\x1b[?25l\x1b[1;1Hx\x1b[0m\x1b[?2026l"
    assert lean_of(frame) == "\x1b[?2026h\x1b[?25l\x1b[H\x1b[31mx\x1b[?2026l\x1b[0m"
    # a title (OSC) passes as it is
    assert lean_of("\x1b]0;つなぎ\x07x") == "\x1b]0;つなぎ\x07x"


def test_a_move_to_where_the_cursor_already_is_is_dropped():
    assert lean_of("\x1b[3;5Hab\x1b[3;7Hcd") == "\x1b[3;5Habcd"
    assert lean_of("\x1b[3;5Hab\x1b[3;8Hcd") == "\x1b[3;5Hab\x1b[3;8Hcd"        # one cell further: kept
    # wide characters count two cells
    assert lean_of("\x1b[2;1H受信\x1b[2;5Hx") == "\x1b[2H受信x"
    assert lean_of("\x1b[1;1Hx\x1b[1;2Hy") == "\x1b[Hxy"
    assert lean_of("\x1b[4;1H✓問題なし\x1b[4;10Hx") == "\x1b[4H✓問題なしx"          # ✓ is one cell everywhere
    # after a character whose width terminals disagree on (box drawing, ●, emoji), the move is kept
    for doubtful in ("─", "●", "🙂", "か\u3099"):
        data = f"\x1b[2;1H{doubtful}\x1b[2;{1 + cell_len(doubtful)}Hx"
        assert lean_of(data) == f"\x1b[2H{doubtful}\x1b[2;{1 + cell_len(doubtful)}Hx", doubtful
    # after any other sequence or a control character the cursor is not known: the move is kept
    assert lean_of("\x1b[2;1Hab\x1b[1C\x1b[2;3Hx") == "\x1b[2Hab\x1b[1C\x1b[2;3Hx"
    assert lean_of("\x1b[2;1Hab\r\x1b[2;3Hx") == "\x1b[2Hab\r\x1b[2;3Hx"


def test_the_drivers_write_goes_through_the_filter():
    class Capture:
        def __init__(self):
            self.got = []

        def write(self, data):
            self.got.append(data)

    driver = lean_driver(Capture)()
    driver.write("\x1b[0m\x1b[31ma\x1b[0m\x1b[31mb\x1b[0m")
    driver.write("\x1b[0m\x1b[31mc\x1b[0m")                 # the reset left by the first write is known
    assert driver.got == ["\x1b[0;31mab\x1b[0m", "\x1b[31mc\x1b[0m"]
    assert lean_driver(Capture) is type(driver)          # one class per platform driver
    assert issubclass(TsunagiApp().driver_class, App().driver_class)            # the platform's, filtered


def test_an_inbox_row_and_screen_go_out_in_fewer_bytes_and_look_the_same():
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
                out = lean_of(raw)
                assert painted(out) == painted(raw)
                assert len(out.encode()) < 200 < len(raw.encode()), (len(out.encode()), len(raw.encode()))
            # the whole screen as Textual writes it (status line, tabs, list, detail, footer)
            raw = app.screen._compositor.render_full_update().render_segments(app.console)
            out = lean_of(raw, None)
            assert painted(out) == painted(raw)
            assert len(painted(raw)[0]) >= 80 * 18          # (a wide character is one entry)
            assert len(out.encode()) < 0.7 * len(raw.encode())

    asyncio.run(run())
