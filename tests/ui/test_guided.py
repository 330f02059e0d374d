"""Guided mode against a real relay on loopback (tests/ui/conftest.py fixtures): every task walked with
the keyboard only, Esc going back with the values kept, a closed app resuming at the same step, the
send task really delivering the month's files to the partners, and F12 / the first-start question."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Digits, Input

from guidedhelp import guided_app, step_key, walking
from tui_client import sample_certs
from tui_client.catalog import t
from tui_client.ui import actions
from tui_client.ui.guided import state
from tui_client.ui.guided.engine import GuidedScreen
from tui_client.ui.services import Services

pytestmark = pytest.mark.anyio


def _partners(open_office):
    partners = {"homecare": open_office("homecare", "homecare-pc"), "day-main": open_office("day-main", "day-pc")}
    for p in partners.values():
        assert not p.register()
    return partners


async def test_send_task_delivers_the_month_to_the_partners(open_office, month_export, tmp_path):
    cm = open_office("cm", "cm-pc")
    partners = _partners(open_office)
    folder, files, _ = month_export({"cm": cm, **partners})
    app = guided_app(Services(cm), tmp_path / "cm-pc", export_folder=str(folder), import_folder="")
    async with walking(app, (40, 12)) as keys:
        await keys("2")                                    # 2 今月のファイルを送る
        assert step_key(app) == "folder"
        assert app.screen.query_one(Input).value == str(folder)     # remembered from the settings
        await keys("enter")
        assert step_key(app) == "check"
        assert str(app.screen.query_one(Digits).value) == str(len(files))
        await keys("enter")
        assert step_key(app) == "summary"
        await keys("enter")
        assert step_key(app) == "confirm"
        question = str(app.screen.query_one("#guided-question").render())
        first = min(partners.values(), key=lambda p: p.number)       # recipients in number order
        assert first.number in question and first.settings.name in question and "ほか1事業所" in question
        assert "令和7年5月" in question and f"{len(files)}件" in question and "人分" in question
        await keys("enter")                                # 送る: sends, then shows the result
        assert step_key(app) == "result"
        assert str(app.screen.query_one(Digits).value) == str(len(files))
        await keys("enter")                                # 終わる
        assert step_key(app) == "menu"
        assert keys.count <= 8, keys.count
    for p in partners.values():
        got = p.receive()
        assert len(got.received) == len(files) // 2, got.findings
        assert {i.sender.office for i in got.received} == {cm.number}
    assert state.load(str(tmp_path / "cm-pc")) is None     # done: nothing left to resume


async def test_esc_goes_back_and_keeps_what_was_typed(open_office, month_export, tmp_path):
    cm = open_office("cm", "cm-pc")
    folder, _, _ = month_export({"cm": cm, **_partners(open_office)})
    app = guided_app(Services(cm), tmp_path / "cm-pc", export_folder="")
    async with walking(app, (80, 24)) as keys:
        await keys("2")
        assert app.screen.query_one(Input).value == ""
        await keys("enter")                                 # nothing typed: says so, stays
        assert step_key(app) == "folder"
        assert str(app.screen.query_one("#guided-problem").render()) == t("guided.missing")
        await keys.type(str(folder))
        await keys("enter")
        assert step_key(app) == "check"
        await keys("escape")
        assert step_key(app) == "folder"
        assert app.screen.query_one(Input).value == str(folder)
        await keys("escape")                                # back from the first step: the menu
        assert step_key(app) == "menu"
        assert app.screen.step.choice() == "resume"         # …offering to go on where it was
        await keys("enter")
        assert step_key(app) == "folder" and app.screen.query_one(Input).value == str(folder)
    assert app.settings.export_folder == str(folder)        # a folder once chosen is remembered


async def test_closing_the_app_mid_task_resumes_at_the_same_step(open_office, month_export, tmp_path):
    cm = open_office("cm", "cm-pc")
    folder, files, _ = month_export({"cm": cm, **_partners(open_office)})
    home = tmp_path / "cm-pc"
    app = guided_app(Services(cm), home, export_folder=str(folder))
    async with walking(app, (40, 12)) as keys:
        await keys("2", "enter", "enter")
        assert step_key(app) == "summary"
    saved = state.load(str(home))
    assert saved is not None and (saved.task, saved.step) == ("send", "summary")
    assert saved.values["folder"] == str(folder)

    again = guided_app(Services(cm), home, export_folder=str(folder))
    async with walking(again, (40, 12)) as keys:
        assert isinstance(again.screen, GuidedScreen)
        assert again.screen.step.choice() == "resume"
        await keys("enter")
        assert step_key(again) == "summary"
        assert again.screen.run.scratch["summary"].files == len(files)   # checked again after the restart


async def test_a_half_typed_value_and_never_the_password_survive_a_close(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    home = tmp_path / "cm-pc"
    keystore = str(sample_certs.path(sample_certs.office("cm")["keystore"]))
    app = guided_app(Services(cm), home)
    async with walking(app, (40, 12)) as keys:
        await keys("5", "enter", "enter")                     # 5 証明書を更新する → 証明書ファイル
        assert step_key(app) == "keystore"
        await keys.type(keystore)
        await keys("enter")
        assert step_key(app) == "password"
        await keys.type("secret-password")
    text = state.state_file(str(home)).read_text(encoding="utf-8")
    assert "secret-password" not in text
    saved = state.load(str(home))
    assert (saved.task, saved.step) == ("renew", "password") and saved.values["keystore"] == keystore


async def test_receive_task_saves_the_new_files_in_the_import_folder(open_office, tmp_path):
    from tui_client.cli.demo import month_files

    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "homecare-pc")
    day = open_office("day-main", "day-pc")
    _, actuals = month_files({"cm": cm, "homecare": homecare, "day-main": day}, "202505")
    assert not cm.register()
    assert homecare.send([actuals["homecare"]]).sent
    assert day.send([actuals["day-main"]]).sent
    target = tmp_path / "import"
    target.mkdir()
    app = guided_app(Services(cm), tmp_path / "cm-pc", import_folder=str(target))
    async with walking(app, (40, 12)) as keys:
        await keys("3")                                     # 3 届いたファイルを保存
        assert step_key(app) == "count"
        assert str(app.screen.query_one(Digits).value) == "2"
        await keys("enter")
        assert step_key(app) == "folder" and app.screen.query_one(Input).value == str(target)
        await keys("enter")                                 # 保存する
        assert step_key(app) == "save"
        assert str(app.screen.query_one(Digits).value) == "2"
        assert keys.count <= 4, keys.count
    assert sorted(p.name for p in target.iterdir()) == sorted([actuals["homecare"][0], actuals["day-main"][0]])


async def test_setup_task_sets_up_a_new_pc_step_by_step(relay, tmp_path):
    home = tmp_path / "new-pc"
    entry = sample_certs.office("cm")
    ca = str(sample_certs.path(sample_certs.manifest()["ca"]["certificate"]))
    export, imported = tmp_path / "export", tmp_path / "import"
    export.mkdir()
    imported.mkdir()
    app = guided_app(None, home, export_folder="", import_folder="")
    async with walking(app, (40, 12)) as keys:
        assert isinstance(app.screen, GuidedScreen)
        assert app.screen.step.choice() == "setup"          # no office yet: the set-up comes first
        await keys("enter")
        assert step_key(app) == "check"
        await keys("enter")
        for key, value in (("keystore", str(sample_certs.path(entry["keystore"]))), ("password", entry["password"]),
                           ("relay", relay.url), ("ca", ca)):
            assert step_key(app) == key
            await keys.type(value)
            await keys("enter")
            if key == "password":
                assert entry["password"] not in state.state_file(str(home)).read_text(encoding="utf-8")
        assert step_key(app) == "import"
        assert app.office is not None and app.office.number == entry["office_number"]
        await keys("enter")
        for key, value in (("export_folder", export), ("import_folder", imported)):
            assert step_key(app) == key
            await keys.type(str(value))
            await keys("enter")
        assert step_key(app) == "done"
        done = str(app.screen.step.query(".guided-text").first().render())
        checks = {c.key: c.ok for c in app.screen.step.checks}
        assert checks["relay"] and checks["registered"] and checks["export_folder"] and checks["import_folder"]
        assert (done == t("guided.setup.all_ok")) == all(checks.values())
    assert app.settings.export_folder == str(export) and app.settings.import_folder == str(imported)


async def test_renew_task_shows_the_days_left_and_imports_the_new_keystore(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    entry = sample_certs.office("cm")
    app = guided_app(Services(cm), tmp_path / "cm-pc")
    async with walking(app, (40, 12)) as keys:
        await keys("5")
        assert step_key(app) == "days"
        days = cm.certificate_status().days_left
        assert str(app.screen.query_one(Digits).value) == str(days)
        await keys("enter", "enter")
        assert step_key(app) == "keystore"
        await keys.type(str(sample_certs.path(entry["keystore"])))
        await keys("enter")
        await keys.type(entry["password"])
        await keys("enter")
        assert step_key(app) == "import"
        assert app.office is not None and app.office is not cm and app.office.number == cm.number
        assert str(app.screen.query_one(Digits).value) == str(days)
        await keys("enter")
        assert step_key(app) == "menu"


async def test_f12_switches_guided_mode_and_the_palette_offers_it(tmp_path):
    from fixed import FixedServices
    from tui_client.ui import settings as settings_mod
    from tui_client.ui.app import TsunagiApp
    from tui_client.ui.settings import AppSettings

    app = TsunagiApp(FixedServices(), settings=AppSettings(), home=str(tmp_path), poll=False)
    async with walking(app, (80, 24)) as keys:
        assert "app.guided" in [a.name for a, _ in actions.runnable(app)]
        assert not app.guided_active and app.theme == "textual-dark"
        await keys("f12")
        assert isinstance(app.screen, GuidedScreen) and app.theme == "tsunagi-contrast"
        assert app.has_class("-high-contrast")
        assert settings_mod.load(str(tmp_path))[0].guided is True
        await keys("f12")
        assert not app.guided_active and app.theme == "textual-dark" and not app.has_class("-high-contrast")
        assert settings_mod.load(str(tmp_path))[0].guided is False


async def test_the_first_start_asks_once_and_remembers(tmp_path):
    from tui_client.ui.app import office_app
    from tui_client.ui.guided.ask import AskGuidedScreen

    home = str(tmp_path / "pc")
    app = office_app(home)
    app._poll_enabled = False
    async with walking(app) as keys:
        assert isinstance(app.screen, AskGuidedScreen)
        await keys("enter")                                 # はい
        assert isinstance(app.screen, GuidedScreen)
    assert json.loads((tmp_path / "pc" / "config" / "app.json").read_text(encoding="utf-8"))["guided"] is True
    again = office_app(home)
    async with walking(again):
        assert isinstance(again.screen, GuidedScreen)
        assert not any(isinstance(s, AskGuidedScreen) for s in again.screen_stack)


async def test_note_task_walks_the_template_fields_then_confirms_and_sends(open_office, tmp_path):
    """限度額超過, guided: one field a screen (a required field left empty stays), the summary, Esc back
    with the value kept, the send; the provider receives the note with its template id and PDF."""
    from guidedhelp import not_fully_shown
    from tui_client.core import wire

    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "homecare-pc")
    assert not homecare.register() and not cm.register()
    cm.partners([homecare.number])                                # a partner this office knows
    values = ["山田　花子", "1234567890", "202505", "11", homecare.number, "16765", "18000", "1235"]
    app = guided_app(Services(cm), tmp_path / "cm-pc")
    async with walking(app, (40, 12)) as keys:
        await keys("4")
        assert step_key(app) == "kind" and not_fully_shown(app.screen) == []
        await keys("down", "enter")                               # 限度額超過
        assert step_key(app) == "recipient" and not_fully_shown(app.screen) == []
        await keys("enter")
        assert step_key(app) == "field0" and not_fully_shown(app.screen) == []
        app.screen.query_one(Input).value = ""
        await keys("enter")                                       # a required field left empty: stays
        assert step_key(app) == "field0"
        for i, value in enumerate(values):
            assert step_key(app) == f"field{i}" and not_fully_shown(app.screen) == []
            app.screen.query_one(Input).value = value
            await keys("enter")
        assert step_key(app) == "confirm" and not_fully_shown(app.screen) == []
        question = str(app.screen.query_one("#guided-question").render())
        assert homecare.number in question and "山田　花子" in question
        await keys("escape")                                      # back: the value is still there
        assert step_key(app) == "field7" and app.screen.query_one(Input).value == "1235"
        await keys("enter", "enter")
        assert step_key(app) == "sending"
        assert t("guided.note.sent") in [str(w.render()) for w in app.screen.step.query(".guided-text")]
    got = homecare.receive()
    assert len(got.received) == 1, got.findings
    msg = wire.decode_message(homecare.db.archive_content("received", got.received[0].name))
    assert msg.template == "over_limit" and "山田　花子" in msg.text
    assert [a.data[:4] for a in msg.attachments] == [b"%PDF"]
