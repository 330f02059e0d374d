"""What each screen draws, pinned: home, outbox, batch, set-up check, settings and the confirmation,
at 80x24 and 120x40, in the default and the ANSI (16-colour) theme, with fixed data and clock
(``fixed.py``), cursor blink off. Update after a deliberate change with ``--snapshot-update``."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from fixed import FixedServices
from uihelp import settle
from tui_client.ui.app import TsunagiApp
from tui_client.ui.settings import AppSettings

SIZES = [(80, 24), (120, 40)]
THEMES = ["textual-dark", "ansi-dark"]


def _app(theme, tmp_path, *, office=True, export="/demo/export"):
    settings = AppSettings(export_folder=export, import_folder="/demo/import", theme=theme)
    services = FixedServices() if office else None
    return TsunagiApp(services, settings=settings, home=str(tmp_path), poll=False)


async def _still(pilot):
    for w in pilot.app.screen.query(Input):
        w.cursor_blink = False
    await settle(pilot)


def _press_then_still(*keys):
    async def run_before(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await _still(pilot)
    return run_before


SCREENS = {
    "home": (),
    "outbox": ("f3",),
    "batch": ("f4",),
    "withdraw_confirm": ("f3", "down", "down", "w"),
    "settings": ("f9",),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, tmp_path, screen, theme, size):
    assert snap_compare(_app(theme, tmp_path), terminal_size=size, run_before=_press_then_still(*SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_setup_check_without_office(snap_compare, tmp_path, theme, size):
    assert snap_compare(_app(theme, tmp_path, office=False, export=""), terminal_size=size,
                        run_before=_press_then_still())
