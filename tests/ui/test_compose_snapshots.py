"""What 新規作成 and 下書き draw, pinned at 80x24 and 120x40 in the default and the ANSI theme, with
fixed data (``fixed.py`` plus drafts) and cursor blink off. The compose form shows a chosen
recipient, a template's text, one attachment that passes and an .xlsx renamed .pdf, refused in
words; the drafts list shows three drafts. Update with ``--snapshot-update`` after a deliberate change."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import TextArea

from fixed import CM, DAY, HOMECARE, T0, FixedServices
from test_snapshots import SIZES, THEMES, _still
from tests import attachfiles as files
from uihelp import settle
from tui_client.office.models import Draft, DraftFile, Page
from tui_client.ui.app import TsunagiApp
from tui_client.ui.settings import AppSettings


def fixed_drafts():
    from datetime import timedelta

    return (
        Draft("d3", HOMECARE.office, "11", "6月分の提供票について", "いつもお世話になっております。\n6月分を送ります。",
              attachments=(DraftFile("会議録.pdf", size=2400),), files=(DraftFile("UPPLAN.CSV", size=1200),),
              seq=3, updated_seq=9, updated_at=T0 + timedelta(hours=3), recipient_name=HOMECARE.name),
        Draft("d2", DAY.office, "15", "8月のご利用について", "Aさんは8月のご利用がありませんでした。", template="no-use",
              seq=2, updated_seq=7, updated_at=T0 + timedelta(hours=2), recipient_name=DAY.name),
        Draft("d1", "", "", "", "書きかけ", seq=1, updated_seq=2, updated_at=T0),
    )


class DraftServices(FixedServices):
    def __init__(self):
        super().__init__()
        self.saved = []

    def drafts(self, query=None):
        items = fixed_drafts()
        return Page(items, len(items))

    def draft(self, draft_id):
        return next((d for d in fixed_drafts() if d.id == draft_id), None)

    def save_draft(self, draft):
        self.saved.append(draft)
        return draft.id or "d9", 10 + len(self.saved), ()

    def check_files(self, files_, recipient):
        return []


def _app(theme, tmp_path):
    settings = AppSettings(export_folder="/demo/export", import_folder="/demo/import", theme=theme)
    return TsunagiApp(DraftServices(), settings=settings, home=str(tmp_path), poll=False)


async def _compose_filled(pilot):
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    compose = pilot.app.query_one("#tab-compose")
    compose.autosave_delay = 3600                    # saved below, on purpose: a fixed state
    pilot.app.query_one("#compose-to").focus()
    await pilot.press(*HOMECARE.office, "enter")
    await settle(pilot)
    compose.apply_note("6月分の提供票について", "いつもお世話になっております。\n6月分の提供票と会議録を送ります。",
                       [("会議録.pdf", files.pdf()), ("請求書.pdf", files.ooxml("xl"))], "")
    await settle(pilot)
    pilot.app.query_one("#compose-files").focus()
    await pilot.press("down")
    await pilot.press("ctrl+b")
    await settle(pilot)
    for w in pilot.app.screen.query(TextArea):
        w.cursor_blink = False
    await _still(pilot)


async def _drafts(pilot):
    await settle(pilot)
    await pilot.press("f6")
    await settle(pilot)
    await _still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_compose(snap_compare, tmp_path, theme, size):
    assert snap_compare(_app(theme, tmp_path), terminal_size=size, run_before=_compose_filled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_drafts(snap_compare, tmp_path, theme, size):
    assert snap_compare(_app(theme, tmp_path), terminal_size=size, run_before=_drafts)
