"""新規作成 and 下書き through the app against a real relay on loopback: a message with a PDF and a
JPEG reaches the partner, who saves the attachments byte for byte; an .xlsx renamed .pdf is refused
on the spot in words; a draft saved as you type survives the app being killed (a real SIGKILL of
the app's process); drafts open, send and delete from their tab; leaving with unsaved input asks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, TextArea

from tests import attachfiles as files
from uihelp import settle, table_column
from tui_client.catalog import t
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.confirm import ConfirmScreen
from tui_client.ui.services import Services
from tui_client.ui.settings import AppSettings

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


def _app(office, home):
    return TsunagiApp(Services(office), settings=AppSettings(), home=str(home), poll=False)


@asynccontextmanager
async def _compose_tab(office, home, size=(120, 40)):
    """The app for ``office`` on its 新規作成 tab: (pilot, the ComposeTab)."""
    app = _app(office, home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        yield pilot, app.query_one("#tab-compose")


def _partners(open_office, *demo_ids, known=True):
    """The care manager and the given partners, registered on the relay; ``known``: the care
    manager has looked them up already (they are in its list of partners)."""
    cm = open_office("cm", "cm-pc")
    others = [open_office(d, f"{d}-pc") for d in demo_ids]
    for o in others:
        assert not o.register()
    if known:
        cm.partners([o.number for o in others])
    return cm, others


async def _pick(pilot, key: str, path: Path) -> None:
    """Pick ``path`` with the file picker, typed into its path field as a user can."""
    await pilot.press(key)
    await settle(pilot)
    field = pilot.app.screen.query_one("#picker-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


async def _type(pilot, widget_id: str, text: str) -> None:
    pilot.app.query_one(widget_id).focus()
    await pilot.press(*text)
    await settle(pilot)


async def _saved(pilot, compose) -> None:
    """Wait (bounded) until the autosave caught up with the last edit."""
    for _ in range(100):
        if compose.edits and not compose.unsaved:
            return
        await pilot.pause(0.1)
        await settle(pilot)
    raise AssertionError(f"autosave did not catch up: edits {compose.edits}, saved {compose.saved_edit}")


async def _choose_by_number(pilot, number: str) -> None:
    await _type(pilot, "#compose-to", number)
    await pilot.press("enter")
    await settle(pilot)


async def test_message_with_pdf_and_jpeg_reaches_the_partner_who_saves_them_unchanged(open_office, tmp_path):
    cm, (hc,) = _partners(open_office, "homecare", known=False)
    pdf, jpeg = tmp_path / "会議録.pdf", tmp_path / "skin.jpg"
    pdf.write_bytes(files.pdf())
    jpeg.write_bytes(files.image("JPEG"))
    async with _compose_tab(cm, tmp_path / "cm-pc") as (pilot, compose):
        app = pilot.app
        await _choose_by_number(pilot, hc.number)            # not known yet: asked of the directory
        assert compose.recipient is not None and compose.recipient.office == hc.number
        assert compose.recipient.service == "11"
        await _type(pilot, "#compose-subject", "June plan")
        app.query_one("#compose-text", TextArea).insert("会議の記録と皮膚の写真を送ります。")
        await _pick(pilot, "ctrl+t", pdf)
        await _pick(pilot, "ctrl+t", jpeg)
        assert [(a.name, a.kind, a.errors) for a in compose.attachments] == [("会議録.pdf", "pdf", 0),
                                                                             ("skin.jpg", "jpeg", 0)]
        assert set(table_column(app.query_one("#compose-files", DataTable), 0)) == {t("compose.verdict.ok")}

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert hc.number in question and "つなぎ訪問介護ステーション" in question
        assert "添付ファイル 2件" in question and "会議録.pdf" in question and "June plan" in question
        await pilot.press("y")
        await settle(pilot)
        assert compose.recipient is None and compose.attachments == [] and not compose.sending
        assert cm.drafts().total == 0                                 # sent: the draft is gone
        assert [i.subject for i in cm.outbox().items] == ["June plan"]

    got = hc.receive()
    assert len(got.received) == 1, got.findings
    item = got.received[0]
    assert item.subject == "June plan" and item.attachments == ("会議録.pdf", "skin.jpg")
    assert "皮膚の写真" in hc.preview(item.name).text
    out = tmp_path / "saved"
    written, findings = hc.export_received(item, out)
    assert findings == []
    stem = item.name.rsplit(".", 1)[0]
    assert (out / f"{stem}_会議録.pdf").read_bytes() == pdf.read_bytes()
    assert (out / f"{stem}_skin.jpg").read_bytes() == jpeg.read_bytes()


async def test_excel_renamed_pdf_is_refused_on_screen_in_words(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    fake = tmp_path / "請求書.pdf"
    fake.write_bytes(files.ooxml("xl"))
    async with _compose_tab(cm, tmp_path / "cm-pc", (80, 24)) as (pilot, compose):
        app = pilot.app
        await _pick(pilot, "ctrl+t", fake)
        [picked] = compose.attachments
        assert picked.kind == "excel" and picked.errors == 2
        assert table_column(app.query_one("#compose-files", DataTable), 0) == [t("compose.verdict.error")]
        detail = str(app.query_one("#compose-detail").render())
        assert "Excel のファイルは送れません" in detail and "PDF に印刷" in detail and "「.pdf」" in detail
        await pilot.press("ctrl+s")                     # no recipient, no subject, a refused file
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and cm.db.outbox_count(None) == 0


DRIVER = r'''
import asyncio, sys
sys.path.insert(0, sys.argv[3])
from uihelp import settle
from tui_client import office as office_mod
from tui_client.ui.app import TsunagiApp
from tui_client.ui.services import Services
from tui_client.ui.settings import AppSettings

async def main(home, number):
    office, _ = office_mod.Office.open(number, home=home)
    app = TsunagiApp(Services(office), settings=AppSettings(), home=home, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        compose = app.query_one("#tab-compose")
        app.query_one("#compose-subject").focus()
        await pilot.press(*"crash test")
        app.query_one("#compose-text").insert("消えてはいけない本文")
        for _ in range(200):
            await pilot.pause(0.05)
            if compose.edits and not compose.unsaved:
                break
        print("SAVED", compose.saved_seq, compose.draft_id, flush=True)
        await asyncio.sleep(3600)        # killed here: no clean exit, no save-on-exit path

asyncio.run(main(sys.argv[1], sys.argv[2]))
'''


async def test_a_draft_survives_the_app_being_killed(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    home, number = str(tmp_path / "cm-pc"), cm.number
    cm.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, home, number, str(ROOT / "tests" / "ui")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline()             # blocks until the driver saw its draft saved
        assert line.startswith("SAVED "), proc.stderr.read() if proc.poll() is not None else line
        _, seq, draft_id = line.split()
        assert int(seq) > 0 and draft_id
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    from tui_client import office as office_mod

    again, _ = office_mod.Office.open(number, home=home)
    try:
        app = _app(again, home)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            drafts = app.query_one("#tab-drafts")
            assert [(d.id, d.subject, d.text) for d in drafts.items] == [(draft_id, "crash test", "消えてはいけない本文")]
            assert table_column(app.query_one("#drafts-table", DataTable), 1) == ["crash test"]
            await pilot.press("enter")                  # open it in 新規作成
            await settle(pilot)
            compose = app.query_one("#tab-compose")
            assert app.active_tab() == "compose" and compose.draft_id == draft_id
            assert app.query_one("#compose-text", TextArea).text == "消えてはいけない本文"
            assert not compose.unsaved                  # opening is not an edit
    finally:
        again.close()


async def test_drafts_tab_sends_and_deletes_after_asking(open_office, tmp_path):
    from tui_client.office.models import Draft, DraftFile

    cm, (hc,) = _partners(open_office, "homecare")
    keep, _ = cm.save_draft(Draft(subject="消す下書き"))
    send, _ = cm.save_draft(Draft(recipient=hc.number, recipient_service="11", subject="送る下書き",
                                  text="本文", attachments=(DraftFile("memo.txt", "メモ".encode("utf-8")),)))
    app = _app(cm, tmp_path / "cm-pc")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        drafts = app.query_one("#tab-drafts")
        assert [d.id for d in drafts.items] == [send, keep]
        assert "つなぎ訪問介護ステーション" in table_column(app.query_one("#drafts-table", DataTable), 2)[0]
        app.query_one("#drafts-table").focus()
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "送る下書き" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert [d.id for d in drafts.items] == [keep]
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "消す下書き" in app.screen.question
        await pilot.press("n")                          # asked, and refused: it stays
        await settle(pilot)
        assert [d.id for d in drafts.items] == [keep]
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert drafts.items == [] and cm.drafts().total == 0
    got = hc.receive()
    assert [i.subject for i in got.received] == ["送る下書き"] and got.received[0].attachments == ("memo.txt",)


async def test_leaving_with_unsaved_input_asks_first_and_saves(open_office, tmp_path):
    cm = open_office("cm", "cm-pc")
    async with _compose_tab(cm, tmp_path / "cm-pc", (80, 24)) as (pilot, compose):
        app = pilot.app
        compose.autosave_delay = 3600                # the autosave must not win the race here
        compose.query_one("#compose-subject", Input).value = "途中"
        await pilot.pause()
        assert compose.unsaved                       # typed, the pause before the autosave not over
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.active_tab() == "compose"
        await pilot.press("n")                       # stay
        await settle(pilot)
        assert app.active_tab() == "compose"
        compose.query_one("#compose-subject", Input).value = "途中まで"
        await pilot.pause()
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("y")                       # save, then go
        await settle(pilot)
        assert app.active_tab() == "home" and not compose.unsaved
        assert [d.subject for d in cm.drafts().items] == ["途中まで"]
        await pilot.press("f5")
        await settle(pilot)
        compose.query_one("#compose-subject", Input).value = "終わる前"
        await pilot.pause()
        await pilot.press("ctrl+q")                  # quitting asks too
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("y")
        await settle(pilot)
        assert [d.subject for d in cm.drafts().items] == ["終わる前"]
        assert not app.is_running


async def test_apply_note_fills_the_form_and_the_template_travels(open_office, tmp_path):
    cm, (hc,) = _partners(open_office, "homecare")
    async with _compose_tab(cm, tmp_path / "cm-pc") as (pilot, compose):
        await _type(pilot, "#compose-to", "訪問介護")        # by name / service type among known partners
        await pilot.press("enter")
        await settle(pilot)
        assert compose.recipient.office == hc.number
        compose.apply_note("8月のご利用について", "Aさんは8月のご利用がありませんでした。",
                           [("利用なし.pdf", files.pdf())], "no-use")
        await settle(pilot)
        await _saved(pilot, compose)
        saved = cm.draft(compose.draft_id)
        assert saved.template == "no-use" and saved.attachments[0].name == "利用なし.pdf"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    got = hc.receive()
    from tui_client.core import wire

    msg = wire.decode_message(hc.db.archive_content("received", got.received[0].name))
    assert msg.template == "no-use" and msg.subject == "8月のご利用について"


def test_compose_and_drafts_keys_do_not_clash_and_have_labels():
    from tui_client.catalog import TEXT
    from tui_client.ui import actions
    import tui_client.ui.screens.compose  # noqa: F401 - registers its actions
    import tui_client.ui.screens.drafts  # noqa: F401

    assert actions.keys_clash(["compose", "drafts"]) == []
    mine = actions.actions_for("compose") + actions.actions_for("drafts")
    assert len(mine) == 10 and all(a.label_key in TEXT for a in mine)
    # a text field never swallows a compose key: none is a plain letter
    assert all(k.startswith(("ctrl+", "delete")) for a in actions.actions_for("compose") for k in a.key.split(","))


def test_an_office_with_several_sites_offers_one_line_per_site_and_search_finds_them():
    from tui_client.office.models import Partner
    from tui_client.ui.services import match_recipients, recipients_of

    known = recipients_of([Partner("1370100037", "つなぎデイサービス", ("15", "78"), True),
                           Partner("1370100029", "つなぎ訪問介護ステーション", ("11",), True)])
    assert [(r.office, r.service, r.service_name) for r in known] == [
        ("1370100037", "15", "通所介護"), ("1370100037", "78", "地域密着型通所介護"), ("1370100029", "11", "訪問介護")]
    assert [r.service for r in match_recipients(known, "デイ")] == ["15", "78"]
    assert [r.service for r in match_recipients(known, "0029")] == ["11"]
    assert [r.service for r in match_recipients(known, "地域密着")] == ["78"]
    assert len(match_recipients(known, "")) == 3


async def test_csv_files_are_checked_against_the_chosen_recipient_and_go_with_the_message(
        open_office, month_export, tmp_path):
    cm, (hc, day) = _partners(open_office, "homecare", "day-main")
    folder, month, _ = month_export({"cm": cm, "homecare": hc, "day-main": day})
    to_hc = next(n for n, _ in month if n.startswith("UPPLAN_") and f"_{hc.number}_11_" in n)
    serial = to_hc.rsplit("_", 1)[1]
    bundle = sorted(n for n, _ in month if n.endswith("_" + serial))     # 第6表 travels with 第7表 and 補足
    to_day = next(n for n, _ in month if n.startswith("UPPLAN_") and f"_{day.number}_15_" in n)
    async with _compose_tab(cm, tmp_path / "cm-pc") as (pilot, compose):
        app = pilot.app
        await _choose_by_number(pilot, hc.number)          # one known site: chosen at once
        assert compose.recipient.office == hc.number
        await _pick(pilot, "ctrl+l", folder / to_hc)
        assert {fs.code for fs in compose.files[0].findings} == {"E-BND-001"}   # the rest of its bundle
        for name in bundle[1:] if bundle[0] == to_hc else [n for n in bundle if n != to_hc]:
            await _pick(pilot, "ctrl+l", folder / name)
        await _pick(pilot, "ctrl+l", folder / to_day)
        verdicts = dict(zip(table_column(app.query_one("#compose-files", DataTable), 2),
                            table_column(app.query_one("#compose-files", DataTable), 0)))
        assert len(bundle) == 3 and set(verdicts) == set(bundle) | {to_day}
        assert verdicts[to_day] == t("compose.verdict.error")
        assert {verdicts[n] for n in bundle} == {t("compose.verdict.ok")}, [f.findings for f in compose.files]
        wrong = next(f for f in compose.files if f.name == to_day)
        assert "E-DRAFT-007" in [fs.code for fs in wrong.findings]
        table = app.query_one("#compose-files", DataTable)
        table.focus()
        table.move_cursor(row=3)
        await settle(pilot)
        detail = str(app.query_one("#compose-detail").render())
        assert f"{day.number}/15" in detail and "宛先を選び直して" in detail
        await pilot.press("delete")                        # take the wrong one out
        await settle(pilot)
        assert sorted(f.name for f in compose.files) == bundle
        await _type(pilot, "#compose-subject", "plan")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "CSVファイル 3件" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert cm.drafts().total == 0
    got = hc.receive()
    assert sorted(i.name for i in got.received if i.kind == "file") == bundle
    assert [i.subject for i in got.received if i.kind != "file"] == ["plan"]


async def test_a_template_note_with_its_pdf_is_composed_sent_and_received(open_office, tmp_path):
    """限度額超過 from the care manager: the template modal fills subject and text, attaches the
    one-page PDF, and the provider receives a message carrying the template's id and the PDF."""
    from textual.widgets import Checkbox

    from tui_client.core import wire
    from tui_client.ui.screens.notes import NoteScreen

    cm, (hc,) = _partners(open_office, "homecare")
    async with _compose_tab(cm, tmp_path / "cm-pc") as (pilot, compose):
        app = pilot.app
        await _choose_by_number(pilot, hc.number)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        note_screen = app.screen
        await pilot.press("down", "enter")                     # the second template: 限度額超過
        await settle(pilot)
        assert note_screen.template.id == "over_limit"
        for text in ("山田花子", "1234567890", "202505", "11", hc.number, "16765", "18000", "1235"):
            await pilot.press(*text, "tab")
        note_screen.query_one("#notes-pdf", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        for _ in range(100):                                    # the PDF is made in a worker
            if compose.attachments:
                break
            await pilot.pause(0.05)
            await settle(pilot)
        assert not isinstance(app.screen, NoteScreen)
        assert compose.template == "over_limit"
        assert "1,235単位" in app.query_one("#compose-text", TextArea).text
        assert [(a.kind, a.errors) for a in compose.attachments] == [("pdf", 0)]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [i.subject for i in cm.outbox().items] and cm.drafts().total == 0

    got = hc.receive()
    assert len(got.received) == 1, got.findings
    msg = wire.decode_message(hc.db.archive_content("received", got.received[0].name))
    assert msg.template == "over_limit" and "10割" in msg.text
    assert len(msg.attachments) == 1 and msg.attachments[0].data.startswith(b"%PDF")
