"""The two notes end to end on loopback: filled from the month's real files, sent by one office through a
real relay, received and opened by the partner office with the template's id, its text and its PDF;
and `tsunagi note --send` as a user runs it. SQLite only: the notes ride the message path the relay's
own tests already run on both backends."""

from __future__ import annotations

import pytest

from relay.conftest import open_demo_office
from tui_client import sample_certs
from tui_client.core import samples, wire
from tui_client.core import templates as tpl
from tui_client.core.spec.layouts import LAYOUTS

MONTH = "202505"


@pytest.fixture
def database(tmp_path):
    return str(tmp_path / "relay.sqlite3")


@pytest.fixture
def offices(relay, tmp_path):
    """``offices("cm", "homecare")``: demo offices on this PC against the relay, closed afterwards."""
    opened = []

    def open_(*demo_ids):
        opened.extend(open_demo_office(d, relay, str(tmp_path / "pcs")) for d in demo_ids)
        return opened[-len(demo_ids):]

    yield open_
    for o in opened:
        o.close()


def side(office, service=None):
    """The office as the sample generator addresses files to it."""
    return samples.SampleOffice(office.number, service or office.settings.services[0], office.settings.name)


def received_message(office, report):
    """The one message among what ``office`` just received (files may come with it), opened."""
    messages = [i for i in report.received if i.kind == wire.KIND_MESSAGE]
    assert len(messages) == 1, report
    return messages[0], wire.decode_message(office.db.archive_content("received", messages[0].name))


def template(office, tid):
    templates, findings = office.templates()
    assert findings == []
    return tpl.find_template(templates, tid)


def test_nil_usage_found_filled_sent_and_received_with_its_pdf(offices):
    cm, hc = offices("cm", "homecare")
    cm_side, hc_side = side(cm, "43"), side(hc)
    people = samples.users(4, seed=3)
    bundle = samples.use_bundle(MONTH, hc_side, people, sender=cm_side, providers=[hc_side])
    assert cm.send(bundle).sent
    assert len(hc.receive().received) == 3
    # The provider delivered to the first two users only and sends their 実績.
    actual = samples.actuals_file(MONTH, hc_side, people[:2], care_manager=cm_side)
    assert hc.send([actual]).sent

    suggestions = hc.nil_usage_suggestions(MONTH)
    assert [s.values["insured"] for s in suggestions] == [u.insured for u in people[2:]]
    first = suggestions[0]
    assert (first.template_id, first.recipient, first.recipient_service) == ("nil_usage", cm.number, "43")
    assert first.values["user_name"] == people[2].name

    note, findings = tpl.fill(template(hc, "利用なし"), dict(first.values, reason="入院のため"))
    assert findings == []
    sent = hc.send_note(first.recipient, note, pdf=True, recipient_service=first.recipient_service)
    assert len(sent.sent) == 1 and not sent.findings

    got = cm.receive()
    item, msg = received_message(cm, got)
    assert msg.template == "nil_usage" and item.subject == note.subject
    assert msg.text == note.text and people[2].name in msg.text and "入院のため" in msg.text
    assert [a.name for a in msg.attachments] == [f"nil_usage_{MONTH}_{people[2].insured}.pdf"]
    pdf = msg.attachments[0].data
    assert pdf.startswith(b"%PDF-") and len(pdf) <= 100 * 1024
    assert pdf == tpl.render_pdf(note)                 # byte for byte what was rendered


def over_limit_bundle(cm_side, provider, people, over):
    files = samples.use_bundle(MONTH, provider, people, sender=cm_side, providers=[provider])
    rows = samples.benefit_rows(MONTH, people, [provider], cm_side)
    for r in rows:
        if r["サービスコード"] == "999999" and r["被保険者番号"] in over:
            r["区分支給限度基準を超える単位数"] = str(over[r["被保険者番号"]])
            r["区分支給限度基準内単位数"] = "16765"
    files[1] = (files[1][0], samples.encode(samples.render(LAYOUTS[("UPSIKYU", "V4")], rows)))
    return files


def test_over_limit_found_in_the_plan_being_sent_filled_sent_and_received(offices):
    cm, day = offices("cm", "day-main")
    cm_side, day_side = side(cm, "43"), side(day, "15")
    people = samples.users(3, seed=5)
    files = over_limit_bundle(cm_side, day_side, people, {people[1].insured: 840})

    before = cm.over_limit_suggestions(files)           # the plan being sent, before it leaves
    assert [(s.recipient, s.recipient_service, s.values["insured"], s.values["over"]) for s in before] == [
        (day.number, "15", people[1].insured, "840")]
    assert cm.send(files).sent
    assert cm.over_limit_suggestions(month=MONTH) == before    # and from the sent archive

    note, findings = tpl.fill(template(cm, "限度額超過"), before[0].values)
    assert findings == [] and "840単位" in note.text and "10割" in note.text
    sent = cm.send_note(before[0].recipient, note, recipient_service="15")
    assert len(sent.sent) == 1, sent.findings

    _, msg = received_message(day, day.receive())
    assert msg.template == "over_limit" and msg.text == note.text and msg.attachments == ()


def test_an_offices_own_template_is_offered_and_a_broken_one_is_said(offices):
    cm, = offices("cm")
    folder = cm.templates_folder
    folder.mkdir(parents=True)
    (folder / "meeting.toml").write_text(
        'id = "meeting"\ntitle = "担当者会議"\nsubject = "{user_name}様"\nbody = "{user_name}様の会議です。"\n'
        '[[fields]]\nname = "user_name"\nlabel = "利用者氏名"\nkind = "text"\n', encoding="utf-8")
    (folder / "broken.toml").write_text('id = "broken\n', encoding="utf-8")
    templates, findings = cm.templates()
    assert [t.id for t in templates] == ["nil_usage", "over_limit", "meeting"]
    assert [(f.code, f.line) for f in findings] == [("E-TPL-002", 1)]


def test_tsunagi_note_send_as_a_user_runs_it(offices, tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("TSUNAGI_HOME", str(tmp_path / "pcs"))       # the home the offices are set up in
    cm, _ = offices("cm", "homecare")
    number = sample_certs.office("homecare")["office_number"]
    args = ["note", "nil-usage", "--office", number, "--to", f"{cm.number}:43", "--pdf", "--send",
            "--set", "user_name=佐藤　キヨ", "--set", "insured=1000003001", "--set", f"month={MONTH}",
            "--set", "service=11", "--set", f"provider={number}"]
    code, out, err = run_cli(*args)
    assert code == 0, out + err
    assert "送信しました（1件）" in out and "送信 1件、送信待ち 0件" in out
    code, out, err = run_cli(*[a.replace("1000003001", "10000") for a in args])
    assert code == 2 and "E-NOTE-002" in out and "被保険者番号" in out
    _, msg = received_message(cm, cm.receive())
    assert msg.template == "nil_usage" and "佐藤　キヨ様" in msg.text
    assert len(msg.attachments) == 1 and msg.attachments[0].data.startswith(b"%PDF-")

