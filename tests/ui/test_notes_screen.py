"""The note modal (ui/screens/notes.py) alone: pick a template, a bad field is refused with its message
beside it, a good fill hands back the Note (and the PDF choice); a suggestion opens the form filled in;
the office's own templates are read in a worker. Snapshots at 80x24 and 120x40 in both themes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.app import App
from textual.widgets import Checkbox, Input, OptionList, Static

from fixed import FixedServices
from uihelp import settle
from tui_client.core.templates import load_templates
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.notes import NoteChoice, NoteScreen
from tui_client.ui.settings import AppSettings

BUILTINS = load_templates()[0]
SIZES = [(80, 24), (120, 40)]
# async tests run on asyncio through anyio's plugin (a module mark, as in test_screens.py)
pytestmark = pytest.mark.anyio
THEMES = ["textual-dark", "ansi-dark"]


class Host(App):
    """A bare app that opens the modal and keeps what it hands back."""

    def __init__(self, screen: NoteScreen, services=None):
        super().__init__()
        self.note_screen = screen
        self.services = services
        self.results = []

    def on_mount(self) -> None:
        self.push_screen(self.note_screen, self.results.append)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def help_text(screen, name: str) -> str:
    return str(screen.query_one(f"#note-help-{name}", Static).render())


async def test_pick_fill_refuse_fix_and_get_the_note_back():
    app = Host(NoteScreen(BUILTINS))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.note_screen
        assert [o.id for o in screen.query_one(OptionList)._options] == ["nil_usage", "over_limit"]
        await pilot.press("enter")                                       # 利用なし
        await settle(pilot)
        assert screen.template.id == "nil_usage"
        assert isinstance(app.focused, Input) and app.focused.id == "note-user_name"
        for text in ("山田花子", "123", "202505", "15", "2712300037"):
            await type_text(pilot, text)
            await pilot.press("tab")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [] and app.screen is screen                # refused, still open
        assert set(screen.problems) == {"insured"}
        assert "✗" in help_text(screen, "insured") and "被保険者番号の形ではありません" in help_text(screen, "insured")
        assert "→" in help_text(screen, "insured") and "10桁" in help_text(screen, "insured")
        assert app.focused.id == "note-insured"                          # the keyboard is on the bad field
        assert "1 か所" in str(screen.query_one("#notes-problem", Static).render())

        app.focused.value = ""
        await type_text(pilot, "1234567890")
        screen.query_one("#notes-pdf", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert len(app.results) == 1
    choice = app.results[0]
    assert isinstance(choice, NoteChoice) and choice.pdf is True
    assert choice.note.template_id == "nil_usage" and choice.note.values["insured"] == "1234567890"
    assert "山田花子様（被保険者番号 1234567890）" in choice.note.text


async def test_over_limit_figures_that_do_not_agree_are_refused_beside_the_figure():
    values = {"user_name": "髙橋　一郎", "insured": "1000005001", "month": "202505", "service": "15",
              "provider": "1370100037", "limit": "16765", "planned": "17605", "over": "800"}
    app = Host(NoteScreen(BUILTINS, template_id="over_limit", values=values))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.note_screen
        assert screen.query_one("#note-planned", Input).value == "17605"    # opened filled in
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(screen.problems) == {"over"} and "840" in help_text(screen, "over")
        field = screen.query_one("#note-over", Input)
        field.value = "840"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert [r.note.values["over"] for r in app.results] == ["840"] and app.results[0].pdf is False
    assert "840単位" in app.results[0].note.text


async def test_back_keeps_what_was_typed_and_escape_closes_without_a_note():
    app = Host(NoteScreen(BUILTINS))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "佐藤")
        app.note_screen._back()
        await settle(pilot)
        assert app.note_screen.template is None and app.note_screen.query_one(OptionList).display
        await pilot.press("enter")
        await settle(pilot)
        assert app.note_screen.query_one("#note-user_name", Input).value == "佐藤"
        await pilot.press("escape")
        await settle(pilot)
    assert app.results == [None]


async def test_the_offices_own_templates_are_read_in_a_worker_and_a_broken_one_is_said(tmp_path):
    (tmp_path / "visit.toml").write_text(
        'id = "visit"\ntitle = "訪問日の変更"\nsubject = "{user_name}様"\nbody = "{user_name}様の訪問日を変えます。"\n'
        '[[fields]]\nname = "user_name"\nlabel = "利用者氏名"\nkind = "text"\n', encoding="utf-8")
    (tmp_path / "bad.toml").write_text('id = "bad\n', encoding="utf-8")
    services = SimpleNamespace(templates=lambda: load_templates([tmp_path]))
    app = Host(NoteScreen(), services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.note_screen
        assert [tp.id for tp in screen.templates] == ["nil_usage", "over_limit", "visit"]
        assert "読み込めなかったひな形: 1件" in str(screen.query_one("#notes-hint", Static).render())
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        await type_text(pilot, "田中")
        await pilot.press("enter")                       # Enter on the last field makes the note
        await settle(pilot)
    assert app.results[0].note.text == "田中様の訪問日を変えます。\n"


# --- what it draws --------------------------------------------------------------------------------

def _app(theme, tmp_path):
    settings = AppSettings(export_folder="/demo/export", import_folder="/demo/import", theme=theme)
    return TsunagiApp(FixedServices(), settings=settings, home=str(tmp_path), poll=False)


def _open_then(*keys, values=None, template_id=""):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.push_screen(NoteScreen(BUILTINS, template_id=template_id, values=values or {}))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for w in pilot.app.screen.query(Input):
            w.cursor_blink = False
        await settle(pilot)
    return run_before


SCENES = {
    "list": _open_then(),
    "refused": _open_then("ctrl+s", template_id="over_limit",
                          values={"user_name": "髙橋　一郎", "insured": "123", "month": "202505"}),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("scene", list(SCENES))
def test_note_screen(snap_compare, tmp_path, scene, theme, size):
    assert snap_compare(_app(theme, tmp_path), terminal_size=size, run_before=SCENES[scene])


def test_the_modal_keys_come_from_the_registry_without_clashes():
    from tui_client.catalog import t
    from tui_client.ui import actions

    assert actions.keys_clash() == []
    assert [b.key for b in NoteScreen.BINDINGS] == ["ctrl+s", "escape"]
    assert actions.get("notes.fill").label == t("action.notes.fill")
