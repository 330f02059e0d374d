"""The terminal cursor sits on the caret of the focused text input, so that a Japanese IME composes
in the right place (issue 15): on every Input of our screens, after typing wide characters (two
cells each), moving the caret, and in a password field (one "•" drawn per character)."""

from __future__ import annotations

import asyncio

import pytest
from rich.control import Control
from textual.geometry import Offset
from textual.widgets import Input

from fixed import FixedServices
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.picker import FolderPicker
from tui_client.ui.screens.settings import SettingsScreen
from tui_client.ui.screens.setup import SetupScreen
from tui_client.ui.screens.unlock import UnlockScreen


def _emitted(app) -> str:
    """The cursor sequence Textual appends to every update it writes (App._display)."""
    return Control.move_to(*app.screen.outer_size.clamp_offset(app.cursor_position)).segment.text


SCREENS = {
    "settings": (lambda tmp: SettingsScreen(), "#settings-import_folder"),
    "setup keystore": (lambda tmp: SetupScreen(), "#setup-keystore"),
    "setup password": (lambda tmp: SetupScreen(), "#setup-password"),
    "unlock password": (lambda tmp: UnlockScreen("1370100011"), "#unlock-password"),
    "batch folder picker": (lambda tmp: FolderPicker(str(tmp), "t"), "#picker-path"),
}


@pytest.mark.parametrize("name", SCREENS)
def test_the_cursor_is_on_the_caret_of_the_focused_input(name, tmp_path):
    make, selector = SCREENS[name]

    async def run():
        app = TsunagiApp(FixedServices(), poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert not app.terminal_cursor_shown             # no text input: hidden, as Textual has it
            app.push_screen(make(tmp_path))
            await pilot.pause()
            field = app.screen.query_one(selector, Input)
            field.focus()
            field.value = ""
            await pilot.pause()
            assert app.terminal_cursor_shown
            await pilot.press("ケ", "ア", "a")
            assert field.value == "ケア" + "a"
            x, y = field.content_region.x, field.content_region.y
            width = 3 if field.password else 5                # "•••" or ケ(2) ア(2) a(1)
            assert app.cursor_position == Offset(x + width, y)
            assert _emitted(app) == f"\x1b[{y + 1};{x + width + 1}H"
            await pilot.press("left")                         # before the "a"
            assert app.cursor_position == Offset(x + width - 1, y)
            await pilot.press("left")                         # before the ア: two cells back
            assert app.cursor_position == Offset(x + (1 if field.password else 2), y)
            await pilot.press("home")
            assert app.cursor_position == Offset(x, y)
            # the focus leaves the inputs: the cursor is hidden again
            app.screen.set_focus(None)
            await pilot.pause()
            assert not app.terminal_cursor_shown

    asyncio.run(run())


def test_a_long_value_scrolls_and_the_cursor_follows(tmp_path):
    async def run():
        app = TsunagiApp(FixedServices(), poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(SettingsScreen())
            await pilot.pause()
            field = app.screen.query_one("#settings-import_folder", Input)
            field.focus()
            field.value = ""
            await pilot.pause()
            await pilot.press(*("ケア" * 40))                  # 160 cells: far wider than the field
            region = field.content_region
            assert field.scroll_offset.x > 0
            cursor = app.cursor_position
            assert cursor.y == region.y and region.x <= cursor.x <= region.right
            assert cursor.x == region.x + 160 - field.scroll_offset.x

    asyncio.run(run())


def test_the_cursor_follows_the_caret_in_a_text_area_too():
    """Compose's body is a TextArea: most Japanese is typed there."""
    from textual.screen import Screen
    from textual.widgets import TextArea

    class Body(Screen):
        def compose(self):
            yield TextArea(id="body")

    async def run():
        app = TsunagiApp(FixedServices(), poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(Body())
            await pilot.pause()
            area = app.screen.query_one("#body", TextArea)
            area.focus()
            await pilot.pause()
            await pilot.press("ケ", "ア")
            assert area.text == "ケア"
            x, y = area.content_region.x + area.gutter_width, area.content_region.y
            assert app.terminal_cursor_shown and app.cursor_position == Offset(x + 4, y)
            await pilot.press("enter", "a")
            assert app.cursor_position == Offset(x + 1, y + 1)

    asyncio.run(run())
