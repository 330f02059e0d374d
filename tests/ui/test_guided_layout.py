"""Guided mode as the user sees it: every step of every task wholly on screen at 40x12 (a user who
doubles the font) and at 80x24, and pinned as snapshots in the contrast theme with fixed data and clock
(``fixed.py``). The behaviour against a real relay is in test_guided.py."""

from __future__ import annotations

import pytest

from guidedhelp import WALKS, FixedGuided, guided_app, not_fully_shown, open_task, press, step_key
from uihelp import settle

pytestmark = pytest.mark.anyio

SIZES = [(40, 12), (80, 24)]
IDS = lambda s: f"{s[0]}x{s[1]}"  # noqa: E731


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("task", list(WALKS))
async def test_every_step_is_wholly_on_screen(tmp_path, task, size):
    app = guided_app(FixedGuided(), tmp_path)
    seen = []
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert not_fully_shown(app.screen) == [], "menu"
        assert app.theme == "tsunagi-contrast"
        await open_task(pilot, task)
        seen.append(step_key(app))
        assert not_fully_shown(app.screen) == [], seen
        for key in WALKS[task][1]:
            await press(pilot, key)
            if step_key(app) not in seen[-1:]:
                seen.append(step_key(app))
            assert not_fully_shown(app.screen) == [], seen
    assert seen == WALKS[task][2]


def _walk(task, n):
    async def run_before(pilot):
        await open_task(pilot, task)
        for key in WALKS[task][1][:n]:
            await press(pilot, key)
        await settle(pilot)
    return run_before


SHOTS = [(task, n) for task, (_, keys, _) in WALKS.items() for n in range(len(keys) + 1)]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("task,n", SHOTS, ids=[f"{t}-{n + 1}" for t, n in SHOTS])
def test_step_snapshot(snap_compare, tmp_path, task, n, size):
    assert snap_compare(guided_app(FixedGuided(), tmp_path), terminal_size=size, run_before=_walk(task, n))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_menu_snapshot(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await settle(pilot)
    assert snap_compare(guided_app(FixedGuided(), tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_first_start_question_snapshot(snap_compare, tmp_path, size):
    from tui_client.ui.app import TsunagiApp
    from tui_client.ui.settings import AppSettings

    app = TsunagiApp(FixedGuided(), settings=AppSettings(), home=str(tmp_path), poll=False, offer_guided=True)

    async def run_before(pilot):
        await settle(pilot)
        assert not_fully_shown(pilot.app.screen) == []
    assert snap_compare(app, terminal_size=size, run_before=run_before)
