"""The trainer's sandbox in the real app: a fresh relay and demo offices (``TrainingWorld``), the real
screens, and the step panel that waits for the trainee to do each step, checks it on the real Office,
explains a mistake, and moves on. Waits are on the run's own counters (polls answered, step index),
bounded by a number of rounds, never on the clock."""

from __future__ import annotations

import pytest

from uihelp import settle
from tui_client.training.run import read_state
from tui_client.training.scenario import available
from tui_client.ui.training import training_app

pytestmark = pytest.mark.anyio

SCENARIOS, _ = available()


async def _until(pilot, condition, rounds: int = 600, *, poll_relay: bool = False) -> None:
    """Let the panel ask its checks until ``condition()`` holds (each round: one answered poll).
    ``poll_relay``: also do what the app's poll timer does (these tests turn the timer off)."""
    app = pilot.app
    for _ in range(rounds):
        await settle(pilot)      # a poll of the panel's own timer is answered before we look
        if condition():
            return
        before = app.polls
        if poll_relay:
            app.refresh_now()
            await settle(pilot)
        app._ask()
        await settle(pilot)
        while app.polls == before:
            await pilot.pause(0.05)
    raise AssertionError(f"stuck at step {app.run.counter}: {app.run.step.do if app.run.step else ''}")


async def _opened(pilot) -> None:
    app = pilot.app
    for _ in range(400):
        await settle(pilot)
        if app.world._thread is not None:            # the world's open() ran to its end
            await settle(pilot)
            return
        await pilot.pause(0.05)
    raise AssertionError("the sandbox did not open")


async def test_first_send_walks_through_the_real_batch_and_outbox(tmp_path):
    app = training_app(SCENARIOS["first-send"], tmp_path / "seat", "席01", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _opened(pilot)
        panel = str(app.query_one("#training-panel").render())
        assert "手順 1/3" in panel and "F4" in panel
        await pilot.press("f4")
        await _until(pilot, lambda: app.run.index == 1)
        assert "手順 2/3" in str(app.query_one("#training-panel").render())
        batch = app.query_one("#tab-batch")
        await settle(pilot)
        assert batch.plan is not None and batch.plan.sendable
        await pilot.press("s")
        await _until(pilot, lambda: app.run.index == 2)
        await pilot.press("f3")
        await _until(pilot, lambda: app.run.finished, poll_relay=True)   # the partners receipt in the background
        assert "おわり" in str(app.query_one("#training-panel").render())
        assert app.run.mistakes == []
    state = read_state(tmp_path / "seat" / "run.json")
    assert state["finished"] and state["seat"] == "席01" and state["steps"] == 3


async def test_error_fix_shows_the_finding_then_the_fixed_export_is_sent(tmp_path):
    app = training_app(SCENARIOS["error-fix"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _opened(pilot)
        await pilot.press("f4")
        await _until(pilot, lambda: app.run.index == 1)
        batch = app.query_one("#tab-batch")
        await settle(pilot)
        blocked = [f for f in batch.plan.files if f.errors]
        assert len(blocked) == 1 and any(x.code == "E-FLD-004" for x in blocked[0].findings)
        await pilot.press("ctrl+e")                          # the care software exports the fixed file
        await _until(pilot, lambda: app.run.index == 2)
        await pilot.press("c")                               # check again, as the step says
        await settle(pilot)
        assert batch.plan is not None and not [f for f in batch.plan.files if f.errors or f.held]
        await pilot.press("s")
        await _until(pilot, lambda: app.run.finished)


async def test_a_mistake_is_explained_once_in_the_panel(tmp_path):
    """first-receive: saving before looking at anything is the step's mistake."""
    app = training_app(SCENARIOS["first-receive"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _opened(pilot)
        await pilot.press("f2")
        await _until(pilot, lambda: app.run.index == 2, poll_relay=True)     # the 実績 arrived
        inbox = app.query_one("#tab-inbox")
        app.refresh_now()
        await settle(pilot)
        inbox.query_one("#inbox-table").focus()
        await pilot.press("s")                               # saved unseen
        await _until(pilot, lambda: app.run.finished)      # saving both also did the last step
        assert len(app.run.mistakes) == 1 and "中身を確かめる前に" in app.run.mistakes[0]["say"]
        panel = str(app.query_one("#training-panel").render())
        assert "ふりかえり" in panel and "中身を確かめる前に" in panel


async def _fill_setup_from_the_handout(pilot, keystore_name: str) -> None:
    """Type what the handout says into the set-up screen, as a trainee would, and run it."""
    from textual.widgets import Input

    from tui_client.ui.screens.setup import SetupScreen

    app = pilot.app
    assert isinstance(app.screen, SetupScreen)
    handout = app.world.handout
    text = (handout / "はじめに.txt").read_text(encoding="utf-8")
    entry = app.world.seat_offices[app.world.trainee]
    assert str(handout / keystore_name) in text and entry.password in text and app.world.url in text
    for field, value in (("keystore", str(handout / keystore_name)), ("password", entry.password),
                         ("relay", app.world.url), ("ca", str(handout / "認証局.pem"))):
        app.screen.query_one(f"#setup-{field}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _setup_screen(pilot) -> None:
    """The sandbox is open and, with no usable office, the app shows the set-up check."""
    from tui_client.ui.screens.setup import SetupScreen

    await _opened(pilot)
    for _ in range(100):                                      # pushed once the world has opened
        if isinstance(pilot.app.screen, SetupScreen):
            return
        await pilot.pause(0.05)
    raise AssertionError("no set-up check")


async def test_first_setup_from_the_handout(tmp_path):
    app = training_app(SCENARIOS["first-setup"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _setup_screen(pilot)
        await _fill_setup_from_the_handout(pilot, "事業所の証明書.p12")
        await _until(pilot, lambda: app.run.index >= 2)
        assert app.office is not None and app.office.number == app.world.seat_offices["cm"].number
        await pilot.press("escape")                           # the set-up check closes now
        await pilot.press("f1")
        await _until(pilot, lambda: app.run.finished)


async def test_an_expired_certificate_is_renewed_with_the_new_keystore(tmp_path):
    app = training_app(SCENARIOS["renew-certificate"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _setup_screen(pilot)
        problem = str(app.screen.query_one("#setup-problem").render())
        assert "期限" in problem                               # the expired certificate, said in words
        await _fill_setup_from_the_handout(pilot, "新しい証明書.p12")
        await _until(pilot, lambda: app.run.finished)
        assert app.office.certificate_status().days_left >= 90


async def test_two_seats_share_the_classroom_relay_and_the_trainer_sees_both(tmp_path):
    """One relay for the room; each seat's offices have their own numbers, so seat 2's partners never
    see seat 1's files; the trainer's view lists both seats with their steps."""
    from tui_client.cli.demo import start_relay, stop_relay
    from tui_client.training import certs, classroom
    from tui_client.ui.training import RoomApp

    room = classroom.prepare(tmp_path, 2)
    server = certs.relay_server_files(tmp_path / "ca")
    proc, url = start_relay(tmp_path / "relay", options=(
        "--cert", str(server["cert"]), "--key", str(server["key"]), "--ca", str(server["ca"])))
    assert proc is not None
    try:
        numbers = []
        for n, seat in enumerate(room.seats, 1):
            app = training_app(SCENARIOS["first-send"], tmp_path / seat, seat, seat=n, relay_url=url,
                               ca_folder=tmp_path / "ca", poll=False)
            async with app.run_test(size=(80, 24)) as pilot:
                await _opened(pilot)
                assert app.world.proc is None and app.world.url == url       # the room's relay
                numbers.append(app.office.number)
                await pilot.press("f4")
                await _until(pilot, lambda: app.run.index == 1)
                if n == 1:
                    await settle(pilot)
                    await pilot.press("s")
                    await _until(pilot, lambda: app.run.index == 2)
                    sent = {i.name for i in app.office.outbox().items}
                    assert sent and all(numbers[0] in name for name in sent)
                else:                                      # seat 2's partners got nothing of seat 1
                    for other in app.world.partners().values():
                        assert other.inbox().total == 0
        assert len(set(numbers)) == 2

        viewer = RoomApp(tmp_path, room.seats, url=url)
        async with viewer.run_test(size=(80, 24)) as pilot:
            for _ in range(100):
                await settle(pilot)
                if viewer.loads:
                    break
            rows = {r.seat: r for r in viewer.rows}
            assert rows["席01"].step == 3 and rows["席02"].step == 2 and not rows["席01"].finished
            table = viewer.query_one("#room-table")
            assert table.row_count == 2 and "2/3" in str(table.get_row_at(1))
    finally:
        stop_relay(proc)


async def _send_note_from_compose(pilot, to: str, downs: int, fields) -> None:
    """新規作成: the recipient by number, Ctrl+O, the template ``downs`` rows down, its fields, send."""
    from textual.widgets import Input

    from tui_client.ui.screens.notes import NoteScreen

    app = pilot.app
    await pilot.press("f5")
    await settle(pilot)
    app.query_one("#compose-to", Input).focus()
    await pilot.press(*to, "enter")
    await settle(pilot)
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(app.screen, NoteScreen)
    await pilot.press(*["down"] * downs, "enter")
    await settle(pilot)
    for text in fields:
        await pilot.press(*text, "tab")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert not isinstance(app.screen, NoteScreen), app.screen.problems
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)


async def test_over_limit_note_through_compose_and_the_template_modal(tmp_path):
    app = training_app(SCENARIOS["over-limit"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _opened(pilot)
        provider = app.world.seat_offices["homecare"].number
        await _send_note_from_compose(pilot, provider, 1, ("山田花子", "1234567890", "202505", "11", provider,
                                                           "16765", "18000", "1235"))
        await _until(pilot, lambda: app.run.finished)          # the provider got the note


async def test_nil_usage_note_from_the_provider_after_the_plan_arrived(tmp_path):
    app = training_app(SCENARIOS["nil-usage"], tmp_path / "seat", poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _opened(pilot)
        assert app.office.number == app.world.seat_offices["homecare"].number     # the provider's PC
        await _until(pilot, lambda: app.run.index == 1, poll_relay=True)        # the 第6表 arrived
        cm = app.world.seat_offices["cm"].number
        me = app.office.number
        await _send_note_from_compose(pilot, cm, 0, ("山田花子", "1234567890", "202505", "11", me))
        await _until(pilot, lambda: app.run.finished)          # the care manager got the note


def test_the_panel_keys_take_no_key_a_screen_uses():
    """The step panel's keys are app-wide: none may be a key some screen or tab binds (Ctrl+T attaches
    in compose, Ctrl+B saves there), or the trainee would lose that key while practising."""
    import importlib
    import pkgutil

    import tui_client.ui.screens as screens
    from tui_client.ui import actions

    for m in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"tui_client.ui.screens.{m.name}")
    ours = {actions.get("training.hint").key, actions.get("training.fix").key}
    taken = {k.strip(): a.name for a in actions.all_actions() if not a.name.startswith("training.")
             for k in a.key.split(",")}
    assert {k: taken[k] for k in ours if k in taken} == {}
