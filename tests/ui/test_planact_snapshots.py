"""Snapshots of 予定と実績 and 変更点 at 80x24 and 120x40, default and 16-colour theme (fixed data: the
planted files of tests/planacthelp.py, fixed times; the time zone is fixed by conftest).

Regenerate after an intended change with ``--snapshot-update`` and look at the SVGs first."""

import pytest

from inboxhelp import InboxApp
from planactapp import care_manager_office, provider_office
from tests.planacthelp import MONTH
from tui_client.ui.screens.changes import ChangesScreen
from tui_client.ui.screens.planactual import PlanActualScreen
from uihelp import settle

SIZES = [(80, 24), (120, 40)]
THEMES = ["textual-dark", "ansi-dark"]


def _app(office, theme):
    app = InboxApp(office)
    app.theme = theme
    return app


def _snap(snap_compare, office, screen, size, theme):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.push_screen(screen)
        await settle(pilot)
        await settle(pilot)
    try:
        return snap_compare(_app(office, theme), terminal_size=size, run_before=run_before)
    finally:
        office.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_plan_vs_actual(snap_compare, tmp_path, size, theme):
    office, _ = care_manager_office(str(tmp_path / "cm"))
    assert _snap(snap_compare, office, PlanActualScreen(MONTH), size, theme)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_changes(snap_compare, tmp_path, size, theme):
    office, _, new, _ = provider_office(str(tmp_path / "hc"))
    assert _snap(snap_compare, office, ChangesScreen(new), size, theme)
