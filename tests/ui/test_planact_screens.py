"""Pilot tests of 予定と実績 and 変更点 (state assertions) on real demo offices holding planted files:
the screens show exactly the planted differences and edits, the export reads back as cp932, and the
inbox marks the replaced version 差し替え済み and opens both screens."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from inboxhelp import InboxApp
from uihelp import settle as settle_workers
from planactapp import care_manager_office, provider_office
from tests.planacthelp import MONTH, as_set, diff_set, people
from tui_client.catalog import t
from tui_client.core.planactual import DiffKind
from tui_client.ui.screens.changes import ChangesScreen
from tui_client.ui.screens.picker import FolderPicker
from tui_client.ui.screens.planactual import PlanActualScreen, PlanActualView

pytestmark = pytest.mark.anyio


@pytest.fixture
def cm_office(tmp_path):
    o, expected = care_manager_office(str(tmp_path / "cm"))
    yield o, expected
    o.close()


@pytest.fixture
def hc_office(tmp_path):
    o, old, new, expected = provider_office(str(tmp_path / "hc"))
    yield o, old, new, expected
    o.close()


async def settle(pilot, until) -> None:
    """Wait on the workers (not the folder picker's tree loader) until ``until()`` holds (bounded)."""
    for _ in range(100):
        await settle_workers(pilot)
        if until():
            return
    raise AssertionError("the screen did not reach the expected state")


async def _open(pilot, screen, loads=1):
    pilot.app.push_screen(screen)
    await settle(pilot, lambda: screen.loads >= loads)
    return screen


async def test_plan_vs_actual_shows_exactly_the_planted_differences(cm_office):
    office, expected = cm_office
    partner = office.plan_vs_actual(MONTH).providers[0][0]
    async with InboxApp(office).run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, PlanActualScreen(MONTH, partner))
        c = screen.comparison
        assert c is not None and diff_set(c) == expected
        view = screen.query_one(PlanActualView)
        text = "\n".join(view.text_lines(116))
        assert t("planact.counts", planned_only=3, actual_only=3, count=3, no_actuals=3) in text
        assert f"{people()[0].name}（1/6）" in text
        first = c.users[0]
        for d in first.differences():                       # every difference in words, with its mark
            assert f"{d.day}日（" in text and t(d.kind.label_key) in text
        assert t("planact.mark.planned_only") in text and t("planact.mark.count") in text
        await pilot.press("n", "n", "n")
        assert view.index == 3
        assert t("planact.user.no_actuals", planned=c.users[3].services[0].planned_total) in \
            "\n".join(view.text_lines(116))
        await pilot.press("p")
        assert view.index == 2


async def test_month_in_wareki_one_user_and_a_bad_month(cm_office):
    office, _ = cm_office
    async with InboxApp(office).run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, PlanActualScreen(), loads=0)
        assert screen.comparison is None
        await pilot.click("#planact-month")
        await pilot.press(*"R7.13", "enter")
        await settle(pilot, lambda: screen.loads >= 1)
        assert "R7.13" in str(screen.query_one("#planact-status").render())
        screen.query_one("#planact-month").value = "令和7年5月"
        screen.query_one("#planact-user").value = people()[4].insured
        screen.query_one("#planact-user").focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.loads >= 2)
        c = screen.comparison
        assert c.month.month == MONTH and [u.insured for u in c.users] == [people()[4].insured]
        assert c.users[0].no_actuals and c.counts()[DiffKind.NO_ACTUALS] == 1


async def test_export_through_the_folder_picker_reads_back_as_cp932(cm_office, tmp_path):
    office, expected = cm_office
    out = tmp_path / "out"
    out.mkdir()
    async with InboxApp(office).run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, PlanActualScreen(MONTH))
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(pilot.app.screen, FolderPicker))
        pilot.app.screen.query_one("#picker-path").value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: screen.loads >= 2)
        files = list(out.iterdir())
        assert [f.name for f in files] == [f"{t('planact.title')}_{MONTH}_{screen.comparison.providers[0][0]}.csv"]
        assert str(files[0]) in str(screen.query_one("#planact-status").render())
        rows = list(csv.reader(io.StringIO(files[0].read_bytes().decode("cp932"), newline="")))
        diffs = {(r[2], int(r[8][6:]) if r[8] else 0) for r in rows[1:] if r[0] == t("planact.csv.row.diff")}
        assert diffs == set().union(*expected.values())


async def test_inbox_marks_the_replaced_version_and_opens_the_change_view(hc_office):
    office, old, new, expected = hc_office
    async with InboxApp(office).run_test(size=(80, 24)) as pilot:
        tab = pilot.app.query_one("#tab-inbox")
        await settle(pilot, lambda: tab.loads >= 1)
        table = pilot.app.query_one("#inbox-table")
        states = {it.name: str(table.get_row(it.key)[1]).strip() for it in tab.page.items}
        assert states[old] == t("inbox.state.superseded")
        assert states[new] == t("inbox.state.new")
        assert sum(s == t("inbox.state.superseded") for s in states.values()) == 3     # the whole old set
        table.focus()
        table.move_cursor(row=[it.name for it in tab.page.items].index(new))
        await pilot.press("d")
        screen = pilot.app.screen
        assert isinstance(screen, ChangesScreen)
        await settle(pilot, lambda: screen.loads >= 1)
        assert as_set(screen.changes.changes) == expected
        rows = [screen.query_one("#changes-table").get_row_at(r) for r in range(4)]
        assert {r[0] for r in rows} == {t(f"changes.kind.{k}") for k, *_ in expected}
        assert screen.query_one("#changes-table").row_count == 4
        await pilot.press("escape")
        # on the first version there is nothing it replaced: said in words
        table.move_cursor(row=[it.name for it in tab.page.items].index(old))
        await pilot.press("d")
        screen = pilot.app.screen
        await settle(pilot, lambda: screen.loads >= 1)
        assert screen.changes is None
        assert t("changes.no_previous") in str(screen.query_one("#changes-summary").render())
        await pilot.press("escape")
        await pilot.press("y")                               # 予定と実績 for the item's month and partner
        screen = pilot.app.screen
        assert isinstance(screen, PlanActualScreen)
        await settle(pilot, lambda: screen.loads >= 1)
        assert screen.comparison.month.month == MONTH
        assert screen.query_one("#planact-partner").value == screen.comparison.providers[0][0] or \
            screen.query_one("#planact-partner").value


def test_palette_and_keys_come_from_the_registry():
    from tui_client.ui import actions

    assert actions.get("app.planact").palette
    assert actions.get("inbox.changes").scope == "inbox"
    assert actions.keys_clash() == []
