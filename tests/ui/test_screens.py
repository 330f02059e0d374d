"""Each screen's behaviour, asserted on state, against a real relay on loopback where the network is
involved: outbox withdraw and resend (with the confirmation), a lost relay shown as a state, the
arrival hook, the set-up form, the unlock screen, settings reporting every problem at once, the
batch folder picker, bad input that must not crash, and the first frame before cryptography."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from uihelp import settle
from tui_client import office as office_mod
from tui_client import sample_certs
from tui_client.catalog import t
from tui_client.office.models import ListQuery, OutboxState
from tui_client.ui.app import TsunagiApp, office_app
from tui_client.ui.services import Services
from tui_client.ui.settings import AppSettings

# async tests run on asyncio through anyio's plugin (a module mark, so node ids are fixed at collection)
pytestmark = pytest.mark.anyio


def _static(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _select(app, name):
    tab = app.query_one("#tab-outbox")
    index = [i.name for i in tab.items].index(name)
    from textual.widgets import DataTable

    app.query_one("#outbox-table", DataTable).move_cursor(row=index)
    return tab


def _one_file(cm, partner, service=None):
    from tui_client.core import samples

    cmo = samples.SampleOffice(cm.number, "43", "cm")
    prov = samples.SampleOffice(partner.number, service or partner.settings.services[0], "p")
    people = samples.users(2, seed=5)
    return samples.use_bundle("202505", prov, people, sender=cmo, providers=[prov])


async def test_withdraw_asks_then_takes_back_a_sent_item(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "hc-pc")
    assert not homecare.register()
    files = _one_file(cm, homecare)
    report = cm.send(files)
    assert len(report.sent) == len(files), report.findings
    name = files[0][0]
    app = TsunagiApp(Services(cm), home=str(tmp_path / "cm-pc"), poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        _select(app, name)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("n")            # the confirmation says no: nothing happens
        await settle(pilot)
        assert {i.state for i in app.query_one("#tab-outbox").items if i.name == name} == {OutboxState.SENT}
        _select(app, name)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        states = {i.name: i.state for i in app.query_one("#tab-outbox").items}
        assert states[name] is OutboxState.WITHDRAWN
    got = homecare.receive()
    assert name not in [i.name for i in got.received]


async def test_error_shelf_item_shows_fix_and_resends_once_the_cause_is_fixed(open_office, tmp_path):
    """The relay refuses a file for a site the partner has not registered (E-RELAY-005): it lands on
    the error shelf with the fix beside it; the partner registers that site; r + y resends it."""
    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "hc-pc")
    assert not homecare.register()
    name, data = _one_file(cm, homecare, service="15")[0]
    assert not [f for f in cm.queue(name, data) if f.blocks_sending]
    cm.flush()
    assert [i.name for i in cm.error_shelf(ListQuery()).items] == [name]

    app = TsunagiApp(Services(cm), home=str(tmp_path / "cm-pc"), poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.query_one("#tab-home")
        assert home.lines[0].mark == "✗" and home.lines[0].target == "outbox"
        await pilot.press("f3")
        await settle(pilot)
        _select(app, name)
        await settle(pilot)
        detail = _static(app, "#outbox-detail")
        assert "E-RELAY-005" in detail and t("outbox.detail.resend_hint") in detail

        homecare.settings.services.append("15")
        assert not homecare.register()
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        states = {i.name: i.state for i in app.query_one("#tab-outbox").items}
        assert states[name] is OutboxState.SENT


async def test_lost_relay_is_a_state_not_a_dialog_per_poll(open_office, relay, tmp_path):
    cm = open_office("cm", "cm-pc")
    app = TsunagiApp(Services(cm), home=str(tmp_path / "cm-pc"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_now()
        await settle(pilot)
        assert app.relay_ok is True
        relay.stop()
        for _ in range(3):
            app.refresh_now()
            await settle(pilot)
        assert app.relay_ok is False
        assert t("status.relay.down") in _static(app, "#status-line")
        assert len(app.screen_stack) == 1                       # no dialog
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors == []
        home = app.query_one("#tab-home")
        assert any(line.text == t("home.relay.down") for line in home.lines)


async def test_arrivals_run_the_hook_with_only_count_and_kinds(open_office, tmp_path):
    from tui_client.cli.demo import month_files

    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "hc-pc")
    day = open_office("day-main", "day-pc")
    _, actuals = month_files({"cm": cm, "homecare": homecare, "day-main": day}, "202505")
    assert not cm.register()
    assert homecare.send([actuals["homecare"]]).sent
    out = tmp_path / "hook.json"
    script = ("import json,os,sys; json.dump({k: v for k, v in os.environ.items() if k.startswith('TSUNAGI_')}, "
              f"open({str(out)!r}, 'w'))")
    hook = f"{sys.executable} -c \"{script}\""
    app = TsunagiApp(Services(cm), settings=AppSettings(hook_command=hook), home=str(tmp_path / "cm-pc"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_now()
        await settle(pilot)
    env = json.loads(out.read_text())
    assert env["TSUNAGI_COUNT"] == "1" and env["TSUNAGI_KINDS"] == "UPJSK"
    for value in env.values():            # no file name, office number or person
        assert "UPJSK_" not in value and cm.number not in value and homecare.number not in value


async def test_setup_form_sets_up_the_office_and_opens_it(relay, tmp_path):
    home = str(tmp_path / "new-pc")
    entry = sample_certs.office("cm")
    app = TsunagiApp(home=home, poll=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        from tui_client.ui.screens.setup import SetupScreen

        assert isinstance(app.screen, SetupScreen)
        checks = {c.key: c.ok for c in app.screen.checks}
        assert checks["keystore"] is False and checks["export_folder"] is False
        ca = str(sample_certs.path(sample_certs.manifest()["ca"]["certificate"]))
        values = {"#setup-keystore": str(sample_certs.path(entry["keystore"])),
                  "#setup-password": entry["password"], "#setup-relay": relay.url, "#setup-ca": ca}
        for selector, value in values.items():
            app.screen.query_one(selector, Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.office is not None and app.office.number == entry["office_number"]
        assert app.screen.query_one("#setup-password", Input).value == ""     # never kept on screen
        checks = {c.key: c.ok for c in app.screen.checks}
        assert checks["relay"] is True and checks["password"] is True and checks["registered"] is True
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, SetupScreen)


async def test_unlock_says_a_wrong_password_in_words_then_opens(relay, tmp_path):
    home = str(tmp_path / "pc")
    entry = sample_certs.office("homecare")
    ca = str(sample_certs.path(sample_certs.manifest()["ca"]["certificate"]))
    settings, findings = office_mod.setup_office(str(sample_certs.path(entry["keystore"])), entry["password"],
                                                 relay.url, ca, home=home)
    assert settings is not None, findings
    app = office_app(home)
    app._poll_enabled = False
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        from tui_client.ui.screens.unlock import UnlockScreen

        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"wrong")
        await pilot.press("enter")
        await settle(pilot)
        assert app.office is None and "✗" in _static(app, "#unlock-problem")
        assert app.screen.query_one("#unlock-password", Input).value == ""
        await pilot.press(*entry["password"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.office is not None and app.office.number == entry["office_number"]
        assert not isinstance(app.screen, UnlockScreen)


async def test_damaged_keystore_is_a_finding_not_a_crash(relay, tmp_path):
    home = str(tmp_path / "pc")
    entry = sample_certs.office("homecare")
    ca = str(sample_certs.path(sample_certs.manifest()["ca"]["certificate"]))
    keystore = tmp_path / "office.p12"
    keystore.write_bytes(sample_certs.path(entry["keystore"]).read_bytes())
    settings, _ = office_mod.setup_office(str(keystore), entry["password"], relay.url, ca, home=home)
    assert settings is not None
    keystore.write_bytes(b"\x30\x82garbage" * 20)
    app = office_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*entry["password"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.office is None
        assert "✗" in _static(app, "#unlock-problem")


async def test_settings_reports_every_problem_at_once_and_saves_nothing(tmp_path):
    from tui_client.ui import settings as settings_mod

    app = TsunagiApp(home=str(tmp_path), poll=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.pop_screen()                      # the set-up check (no office); settings work without one
        await pilot.press("f9")
        await settle(pilot)
        app.screen.query_one("#settings-poll_interval", Input).value = "soon"
        app.screen.query_one("#settings-export_folder", Input).value = str(tmp_path / "missing")
        app.screen.query_one("#settings-hook_command", Input).value = "notify-send 'unclosed"
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = _static(app, "#settings-problems")
        assert text.count("✗") == 3
        for key in ("poll_interval", "export_folder", "hook_command"):
            assert t(f"settings.{key}") in text
        assert not settings_mod.settings_file(str(tmp_path)).exists()
        app.screen.query_one("#settings-poll_interval", Input).value = "60"
        app.screen.query_one("#settings-export_folder", Input).value = str(tmp_path)
        app.screen.query_one("#settings-hook_command", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved, problems = settings_mod.load(str(tmp_path))
    assert problems == [] and saved.poll_interval == 60 and saved.export_folder == str(tmp_path)


def test_settings_file_problems_are_all_reported_with_their_key(tmp_path):
    from tui_client.ui import settings as settings_mod

    raw = {"poll_interval": 1, "theme": "neon", "export_folder": 5, "colour": "red"}
    settings, problems = settings_mod.validate(raw, "app.json", relay_url="http://relay")
    assert sorted(p.key for p in problems) == ["colour", "export_folder", "poll_interval", "relay_url", "theme"]
    assert settings.theme == settings_mod.THEMES[0] and settings.poll_interval == 30
    bad = tmp_path / "config"
    bad.mkdir()
    (bad / "app.json").write_text("{not json")
    loaded, problems = settings_mod.load(str(tmp_path))
    assert loaded == settings_mod.AppSettings() and [p.code for p in problems] == ["settings.problem.unreadable"]


async def test_batch_folder_is_picked_remembered_and_bad_files_stay_with_their_findings(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    homecare = open_office("homecare", "hc-pc")
    assert not homecare.register()
    folder = tmp_path / "export"
    folder.mkdir()
    files = _one_file(cm, homecare)
    for name, data in files:
        (folder / name).write_bytes(data)
    broken = files[0][0].replace("UPPLAN", "UPPLAN").replace(".CSV", "9.CSV")
    (folder / broken).write_bytes(b"\xff\xfe not a care-plan file")
    home = str(tmp_path / "cm-pc")
    app = TsunagiApp(Services(cm), home=home, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        from tui_client.ui.screens.picker import FolderPicker

        assert isinstance(app.screen, FolderPicker)
        path = app.screen.query_one("#picker-path", Input)
        path.value = str(folder)
        path.focus()
        await pilot.press("enter")
        await settle(pilot)
        batch = app.query_one("#tab-batch")
        assert app.settings.export_folder == str(folder)
        assert len(batch.plan.files) == len(files) + 1
        bad = [f for f in batch.plan.files if f.name == broken]
        assert bad and not bad[0].sendable and bad[0].findings
        await pilot.press("s")
        await settle(pilot)
        assert [f.name for f in batch.plan.files if not f.sent] == [broken]
    from tui_client.ui import settings as settings_mod

    assert settings_mod.load(home)[0].export_folder == str(folder)


def test_first_frame_comes_before_cryptography_and_requests(tmp_path):
    """A fresh interpreter: the app draws its first frame while the office is still opening (the
    opener waits); cryptography and requests are not imported by then."""
    code = f"""
import asyncio, sys, threading
from tui_client.ui.app import TsunagiApp

gate = threading.Event()
def opener():
    gate.wait(30)
    return None, ()
async def main():
    app = TsunagiApp(opener=opener, home={str(tmp_path)!r}, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        drawn = "ホーム" in str(app.query_one("#tabs").render()) or app.query_one("#tabs") is not None
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("cryptography", "requests", "urllib3"))
        print("HEAVY", heavy, "DRAWN", drawn)
        gate.set()
asyncio.run(main())
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=str(Path(__file__).resolve().parents[2]))
    assert "HEAVY [] DRAWN True" in r.stdout, r.stdout + r.stderr


def test_action_registry_has_no_clashes_and_the_palette_offers_tabs():
    from tui_client.ui import actions
    import tui_client.ui.screens.batch  # noqa: F401 - registers its actions
    import tui_client.ui.screens.home  # noqa: F401
    import tui_client.ui.screens.outbox  # noqa: F401

    assert actions.keys_clash() == []
    labels = {a.name: a.label for a in actions.all_actions()}
    assert labels["tab.batch"] == t("tab.batch") and labels["batch.send"] == t("action.batch.send")
    assert all(b.id for b in actions.bindings_for("outbox"))


async def test_palette_lists_our_actions_for_the_screen_on_show(tmp_path):
    from fixed import FixedServices
    from tui_client.ui import actions

    app = TsunagiApp(FixedServices(), home=str(tmp_path), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        names = {a.name for a, _ in actions.runnable(app)}
        assert {"tab.batch", "outbox.withdraw", "outbox.resend"} <= names
        assert "batch.send" not in names          # not on screen
        await pilot.press("f4")
        await settle(pilot)
        assert "batch.send" in {a.name for a, _ in actions.runnable(app)}


def test_a_bundle_with_an_error_is_held_whole():
    """Failed before the fix: the batch counted a good file of a bundle with an error as sendable
    (the summary said 4 of 5 would go, 3 did)."""
    from fixed import batch_plan

    plan = batch_plan()
    held = [f for f in plan.files if f.held]
    assert [f.file_kind for f in held] == ["UPSIKYU"] and len(plan.sendable) == 3
