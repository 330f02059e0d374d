"""Attachments are recognised by content, never by the name's extension (core.attachments), and
Office.send_message refuses exactly what the core refuses (so the app and the CLI agree)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import attachfiles as files
from tui_client.catalog import FINDINGS, finding_message
from tui_client.core import attachments as att
from tui_client.core import wire


def codes(checked):
    return [f.code for f in checked.findings]


@pytest.mark.parametrize("name,data,kind", [
    ("scan.pdf", files.pdf(), "pdf"),
    ("photo.jpg", files.image("JPEG"), "jpeg"),
    ("photo.JPEG", files.image("JPEG"), "jpeg"),
    ("skin.png", files.image("PNG"), "png"),
    ("anim.gif", files.image("GIF"), "gif"),
    ("memo.txt", "会議の記録\r\n担当: 山田\r\n".encode("utf-8"), "txt"),
    ("memo-bom.txt", "\ufeff会議の記録".encode("utf-8"), "txt"),
    ("sjis.txt", "会議の記録\r\n".encode("cp932"), "txt"),
])
def test_allowed_kinds_are_recognised_and_pass(name, data, kind):
    c = att.check_attachment(name, data)
    assert c.kind == kind and c.ok and c.findings == () and c.media_type == att.ALLOWED[kind][0]
    assert c.size == len(data)


@pytest.mark.parametrize("name,data,code", [
    ("report.docx", files.ooxml("word"), "E-ATT-001"),
    ("table.xlsx", files.ooxml("xl"), "E-ATT-002"),
    ("slides.pptx", files.ooxml("ppt"), "E-ATT-003"),
    ("old.doc", files.ole2("WordDocument"), "E-ATT-001"),
    ("old.xls", files.ole2("Workbook"), "E-ATT-002"),
    ("old.ppt", files.ole2("PowerPoint Document"), "E-ATT-003"),
    ("other.msg", files.ole2("__substg1.0_"), "E-ATT-004"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "E-ATT-005"),
    ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 9, "E-ATT-005"),
    ("run.sh", b"#!/bin/sh\necho hi\n", "E-ATT-005"),
    ("bundle.zip", files.plain_zip(), "E-ATT-006"),
    ("data.bin", bytes(range(256)), "E-ATT-007"),
    ("escape.txt", b"hello \x1b[2J world", "E-ATT-007"),
    ("empty.txt", b"", "E-ATT-008"),
])
def test_refused_kinds_say_why(name, data, code):
    c = att.check_attachment(name, data)
    assert code in codes(c) and not c.ok and c.media_type is None
    message, fix = finding_message(c.findings[0])
    assert name in message and fix            # says which file, and what to do
    assert "?" not in message + fix, (message, fix)


def test_excel_renamed_pdf_is_refused_as_excel_and_the_name_is_called_out():
    c = att.check_attachment("請求書.pdf", files.ooxml("xl"))
    assert codes(c) == ["E-ATT-002", "E-ATT-014"] and c.kind == "excel"
    message, fix = finding_message(c.findings[0])
    assert "Excel のファイルは送れません" in message and "PDF に印刷" in fix
    mismatch, _ = finding_message(c.findings[1])
    assert "「.pdf」" in mismatch and "Excel" in mismatch and "?" not in mismatch


def test_a_jpeg_named_png_is_a_mismatch_with_the_right_extension_offered():
    c = att.check_attachment("photo.png", files.image("JPEG"))
    assert codes(c) == ["E-ATT-011"] and c.kind == "jpeg"
    message, fix = finding_message(c.findings[0])
    assert "JPEG" in message and "「.jpg」" in fix


def test_a_pdf_without_extension_is_a_mismatch():
    assert codes(att.check_attachment("scan", files.pdf())) == ["E-ATT-011"]


def test_size_limits_are_stated_in_the_message():
    big = b"%PDF-1.4\n" + b"0" * att.MAX_FILE_BYTES
    c = att.check_attachment("big.pdf", big)
    assert codes(c) == ["E-ATT-009"]
    message, _ = finding_message(c.findings[0])
    assert att.size_label(att.MAX_FILE_BYTES) == "10.0 MB" and "10.0 MB" in message
    part = b"%PDF-1.4\n" + b"0" * (att.MAX_FILE_BYTES - 100)
    checked, whole = att.check_attachments([(f"p{i}.pdf", part) for i in range(3)])
    assert all(c.ok for c in checked) and [f.code for f in whole] == ["E-ATT-010"]
    assert "20.0 MB" in finding_message(whole[0])[0]


def test_the_largest_message_allowed_still_fits_the_relay_after_sealing():
    # base64 of every attachment, the text, and the envelope's headroom stay under the item limit
    assert att.sealed_estimate(att.MAX_MESSAGE_BYTES, 64 * 1024) < wire.DEFAULT_MAX_ITEM_BYTES
    # and a smaller relay limit is honoured
    _, whole = att.check_attachments([("a.pdf", files.pdf())], max_item_bytes=1024)
    assert [f.code for f in whole] == ["E-ATT-012"]


def test_names_are_made_safe_to_store_and_to_show():
    c = att.check_attachment("..\\..\\evil\u202egpj.txt", b"hello")
    assert c.name == "evil_gpj.txt" and "/" not in c.name and "\\" not in c.name
    assert "\u202e" not in c.shown and "<U+202E>" in c.shown
    c = att.check_attachment("CON.txt", b"x")
    assert c.name == "_CON.txt"
    _, whole = att.check_attachments([("memo.txt", b"a"), ("MEMO.TXT", b"b")])
    assert [f.code for f in whole] == ["E-ATT-013"]


def test_every_attachment_code_has_a_message_and_a_fix():
    for code in set(att.REFUSED.values()) | {"E-ATT-009", "E-ATT-010", "E-ATT-011", "E-ATT-012", "E-ATT-013", "E-ATT-014"}:
        message, fix = FINDINGS[code]
        assert message and fix


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.text(max_size=30))
def test_any_bytes_and_any_name_give_findings_never_an_exception(data, name):
    c = att.check_attachment(name, data)
    assert c.kind in att.ALLOWED or c.kind in att.REFUSED
    assert c.ok == (c.kind in att.ALLOWED and not c.findings)


def test_send_message_refuses_the_same_way_before_anything_is_sealed(tmp_path):
    from tui_client import office as office_mod
    from tui_client import sample_certs

    home = str(tmp_path / "pc")
    # an address nothing listens on: a refusal must come before any connection is tried
    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", home)
    cm, findings = office_mod.Office.open(sample_certs.office("cm")["office_number"], home=home)
    assert cm is not None, findings
    try:
        for name, data, code in [("請求書.pdf", files.ooxml("xl"), "E-ATT-002"), ("setup.exe", b"MZ\x90", "E-ATT-005"),
                                 ("photo.png", files.image("JPEG"), "E-ATT-011")]:
            core = att.check_attachment(name, data)
            report = cm.send_message("1370100029", "件名", "本文", recipient_service="11",
                                     attachments=[("scan.pdf", files.pdf()), (name, data)])
            assert [f.code for f in report.findings] == [f.code for f in core.findings] and code in codes(core)
            assert report.queued == [] and report.sent == []
        assert cm.db.outbox_count(None) == 0
    finally:
        cm.close()
