"""The one-line tab bar and key line of the main screen (ui/widgets/tabbar.py, keybar.py): keys and
clicks switch panes through the same action, the active tab is marked by brackets as well as reverse
video, and the whole bar fits 80 columns with its wide characters."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import ContentSwitcher

from fixed import FixedServices
from uihelp import settle
from tui_client.catalog import t
from tui_client.ui import actions
from tui_client.ui.app import TsunagiApp
from tui_client.ui.widgets.keybar import KeyBar
from tui_client.ui.widgets.tabbar import TabBar

pytestmark = pytest.mark.anyio


def _app(tmp_path):
    return TsunagiApp(FixedServices(), home=str(tmp_path), poll=False)


def _active_label(bar: TabBar) -> str:
    line = bar.render()
    marked = [span for span in line.spans if "reverse" in str(span.style)]
    assert len(marked) == 1
    return line.plain[marked[0].start:marked[0].end]


async def test_keys_switch_panes_and_mark_the_active_tab(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar, panes = app.query_one("#tabs", TabBar), app.query_one("#panes", ContentSwitcher)
        assert app.active_tab() == "home" and panes.current == "pane-home"
        assert _active_label(bar) == "[ホーム F1]"
        assert app.focused is app.query_one("#home-list")         # mounted with its first lines
        await pilot.press("f3")
        await settle(pilot)
        assert app.active_tab() == "outbox" and panes.current == "pane-outbox"
        assert _active_label(bar) == "[送信 F3]"
        assert app.query_one("#pane-outbox").children             # built on first show
        assert app.focused is not None and "pane-outbox" in [a.id for a in app.focused.ancestors]
        assert not app.query_one("#pane-home").display


async def test_a_click_on_a_label_runs_the_tab_key_action(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.query_one("#tabs", TabBar)
        start = next(s for s, _, tab in bar.spans() if tab == "inbox")
        await pilot.click("#tabs", offset=(start + 1, 0))
        await settle(pilot)
        assert app.active_tab() == "inbox"
        assert app.query_one("#panes", ContentSwitcher).current == "pane-inbox"
        assert _active_label(bar) == "[受信 F2]"


async def test_the_bar_fits_80_columns_and_labels_keep_their_place(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.query_one("#tabs", TabBar)
        before = bar.spans()
        assert cell_len(bar.render().plain) <= 80 and len(before) == len(actions.TABS)
        for tab in actions.TABS:
            label = actions.get(f"tab.{tab}").key.upper()
            assert label in bar.render().plain
        await pilot.press("f3")
        await settle(pilot)
        assert bar.spans() == before                               # the same cells, active or not
        line = bar.render().plain
        assert cell_len(line) == before[-1][1] and "[送信 F3]" in line


async def test_the_key_line_lists_the_registry_footer_keys(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = [key for key, _, _ in app.query_one(KeyBar).keys()]
        assert "ctrl+q" in keys and "ctrl+p" in keys
        # footer=False in the registry: the tab keys (the tab bar shows them), set-up, settings
        assert not {"f1", "f2", "f8", "f9"} & set(keys)
        text = app.query_one(KeyBar).render().plain
        assert t("action.quit") in text and cell_len(text) <= 80
