"""Snapshots of the inbox tab and the preview at 80x24 and 120x40 (fixed data, clock and zone).

Regenerate after an intended change with ``pytest tests/ui/test_inbox_snapshots.py --snapshot-update``
and look at the SVGs before committing them."""

import os

import pytest

from inboxhelp import InboxApp, received_office
from tui_client.core import samples

SIZES = [(80, 24), (120, 40)]
THEMES = ["textual-dark", "ansi-dark"]     # the default and the 16-colour theme


# The time zone is fixed for every tests/ui test by conftest's autouse fixture.


@pytest.fixture
def office(tmp_path):
    o = received_office(str(tmp_path / "pc"), samples.sample_month())
    yield o
    o.close()


async def _loaded(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _app(office, theme):
    app = InboxApp(office)
    app.theme = theme
    return app


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_inbox_list(snap_compare, office, size, theme):
    async def run_before(pilot):
        await _loaded(pilot)
        table = pilot.app.query_one("#inbox-table")
        table.focus()
        await pilot.press("down", "down", "down", "down", "space", "up")
        await _loaded(pilot)
    assert snap_compare(_app(office, theme), terminal_size=size, run_before=run_before)


def _opened(office, theme, downs: int):
    """The app with the item ``downs`` rows below the first opened in the preview."""
    async def run_before(pilot):
        await _loaded(pilot)
        pilot.app.query_one("#inbox-table").focus()
        await pilot.press(*["down"] * downs, "enter")
        await _loaded(pilot)
        await _loaded(pilot)
    return _app(office, theme), run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_preview_day_grid(snap_compare, office, size, theme):
    app, run_before = _opened(office, theme, 4)                  # 第6表 予定
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_preview_fields(snap_compare, office, size, theme):
    app, run_before = _opened(office, theme, 3)                  # 利用者補足 (plan set)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
