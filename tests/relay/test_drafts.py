"""Drafts in the office database (Office.save_draft / drafts / draft / delete_draft / send_draft)
against a real relay on loopback: saved whole with their files as blobs, ordered by the store's own
counter, sent from the store, and deleted only once the message is queued."""

from __future__ import annotations

from tests import attachfiles as files
from tests.relay.conftest import open_demo_office
from tui_client.core import wire
from tui_client.office.models import Draft, DraftFile


def _blobs(office) -> int:
    return office.db._read("SELECT count(*) FROM blobs")[0][0]


def test_draft_saved_listed_opened_replaced_and_deleted(relay, tmp_path):
    cm = open_demo_office("cm", relay, str(tmp_path / "pc"))
    try:
        base = _blobs(cm)
        pdf = files.pdf()
        first, s1 = cm.save_draft(Draft(recipient="1370100029", recipient_service="11", subject="6月分",
                                        text="よろしく", attachments=(DraftFile("scan.pdf", pdf),)))
        other, s2 = cm.save_draft(Draft(subject="別の下書き"))
        assert first != other and s2 > s1 and _blobs(cm) == base + 1
        # the same draft saved again (as typing goes on) keeps its id and its file by digest
        kept = cm.draft(first)
        assert kept.attachments[0].data == pdf and kept.subject == "6月分" and kept.recipient_service == "11"
        same, s3 = cm.save_draft(Draft(id=first, recipient="1370100029", recipient_service="11",
                                       subject="6月分の提供票", text="よろしくお願いします",
                                       attachments=(DraftFile("scan.pdf", sha256=kept.attachments[0].sha256),)))
        assert same == first and s3 > s2
        page = cm.drafts()
        assert [d.id for d in page.items] == [first, other] and page.total == 2      # last changed first
        assert page.items[0].attachments[0].data == b"" and page.items[0].attachments[0].size == len(pdf)
        assert cm.draft(first).attachments[0].data == pdf and cm.draft(first).text == "よろしくお願いします"
        assert cm.delete_draft(first) and cm.draft(first) is None and not cm.delete_draft(first)
        assert _blobs(cm) == base          # the PDF's blob went with its last reference
        assert [d.id for d in cm.drafts().items] == [other]
    finally:
        cm.close()


def test_send_draft_sends_and_only_then_deletes(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_demo_office("cm", relay, home)
    hc = open_demo_office("homecare", relay, home)
    try:
        assert not hc.register()
        jpeg = files.image("JPEG")
        bad, _ = cm.save_draft(Draft(recipient=hc.number, recipient_service="11", subject="写真",
                                     attachments=(DraftFile("写真.pdf", files.ooxml("xl")),)))
        report = cm.send_draft(bad)
        assert {"E-ATT-002", "E-ATT-014"} <= {f.code for f in report.findings} and not report.queued
        assert cm.draft(bad) is not None and cm.db.outbox_count(None) == 0      # refused: nothing lost
        good, _ = cm.save_draft(Draft(recipient=hc.number, recipient_service="11", subject="写真",
                                      text="皮膚の様子です", template="",
                                      attachments=(DraftFile("写真.jpg", jpeg),)))
        report = cm.send_draft(good)
        assert len(report.sent) == 1 and cm.draft(good) is None, report.findings
        got = hc.receive()
        msg = wire.decode_message(hc.db.archive_content("received", got.received[0].name))
        assert msg.subject == "写真" and msg.attachments[0].data == jpeg
        assert [d.id for d in cm.drafts().items] == [bad]
        assert cm.send_draft("nothing").findings[0].code == "E-DRAFT-001"
        other = "UPPLAN_202505_1370100011_43_1370100037_15_20250425100100.CSV"
        wrong, _ = cm.save_draft(Draft(recipient=hc.number, recipient_service="11", subject="予定",
                                       files=(DraftFile(other, b"x"),)))
        report = cm.send_draft(wrong)
        assert "E-DRAFT-007" in {f.code for f in report.findings} and cm.draft(wrong) is not None
        assert not report.queued
        empty, _ = cm.save_draft(Draft(text="宛先なし"))
        assert {f.code for f in cm.send_draft(empty).findings} == {"E-DRAFT-003", "E-DRAFT-004"}
    finally:
        cm.close()
        hc.close()
