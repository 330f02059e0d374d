"""The evidence archive (保管庫) against a real relay on loopback: a care manager sends a month's
files, the provider receives them; both archives keep the sealed envelope and the signed receipt,
are searched by user, partner, month, kind and state, verified again (and caught when a blob is
tampered with), exported as a folder with a cp932 index.csv, thinned by retention, and fed by the
national client's download folder."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from relay.conftest import open_demo_office as _open
from relay.test_office_lists import _bundle       # the same month of files, one place
from tui_client.office.models import Direction, ListQuery

CM, HC = "1370100011", "1370100029"
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def database(tmp_path):
    """SQLite only: the archive lives on the client; the relay's database does not change it."""
    return str(tmp_path / "relay.sqlite3")


def _exchanged(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    assert hc.register() == []                        # on the system, with its name, before cm sends
    files, people = _bundle()
    assert len(cm.send(files).sent) == 3
    assert len(hc.receive().received) == 3
    cm.sent_status()                                  # the receipts come back: 受信済み
    return cm, hc, files, people


def _tamper(office, seq: int, column: str, near: bytes = b"") -> None:
    """One byte of a kept blob changed, as a hand editing the database file would (in the middle,
    or just after ``near``: a receipt's signed digest)."""
    with office.db.transaction() as c:
        key, data = c.execute(f"SELECT b.sha256, b.data FROM archive a JOIN blobs b ON b.sha256 = a.{column}"
                              " WHERE a.seq = ?", (seq,)).fetchone()
        data = bytearray(data)
        data[data.find(near) + len(near) + 3 if near else len(data) // 2] ^= 0x01
        c.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", (bytes(data), key))


def test_both_archives_keep_the_evidence_find_it_by_user_month_partner_and_verify_it(relay, tmp_path):
    cm, hc, files, people = _exchanged(relay, tmp_path)
    for office, direction in ((cm, Direction.SENT), (hc, Direction.RECEIVED)):
        by_user = office.archive(ListQuery(user=people[0].insured))
        assert by_user.total == 3, direction          # 第6表, 第7表 and 利用者補足 all name the user
        assert {r.direction for r in by_user.items} == {direction}
        by_name = office.archive(ListQuery(user=people[1].name))           # names: 利用者補足 only
        assert [r.file_kind for r in by_name.items] == ["UPHOSOKU"]
        month = office.archive(ListQuery(month="202505"))
        assert month.total == 3 and {r.name for r in month.items} == {n for n, _ in files}
        assert office.archive(ListQuery(month="202506")).total == 0
        assert all(r.has_envelope and r.has_receipt and not r.imported for r in month.items)
        assert all(office.verify_archived(r.seq).ok for r in month.items)
    partner_name = hc.settings.name
    assert cm.archive(ListQuery(partner=partner_name[:4])).total == 3      # partner by name
    assert cm.archive(ListQuery(partner=HC, kind="UPPLAN")).total == 1     # by number and kind, combined
    assert cm.archive(ListQuery(state="received")).total == 3              # 受信済み (receipt verified)
    assert cm.archive(ListQuery(state="sent")).total == 0
    assert hc.archive(ListQuery(state="new", month="202505", user=people[0].insured)).total == 3
    assert hc.archive(ListQuery(state="received")).total == 0              # a sent-side state
    page = hc.archive(ListQuery(month="202505", limit=2, offset=2))
    assert len(page.items) == 1 and page.total == 3 and not page.has_more

    sent, got = cm.archive(ListQuery(limit=1)).items[0], hc.archive(ListQuery(limit=1)).items[0]
    check = cm.verify_archived(sent.seq)
    assert check.envelope_checked and check.receipt_checked and check.findings == ()
    _tamper(cm, sent.seq, "envelope")
    assert [f.code for f in cm.verify_archived(sent.seq).findings] == ["E-ARC-003"]
    _tamper(hc, got.seq, "envelope")
    bad = hc.verify_archived(got.seq)
    assert not bad.ok and [f.code for f in bad.findings] == ["E-ARC-004"]
    other = hc.archive(ListQuery(limit=1, offset=1)).items[0]
    _tamper(hc, other.seq, "receipt_key", near=b'"sha256"')
    assert [f.code for f in hc.verify_archived(other.seq).findings] == ["E-ARC-006"]
    last = hc.archive(ListQuery(limit=1, offset=2)).items[0]
    _tamper(hc, last.seq, "content")
    assert "E-ARC-007" in {f.code for f in hc.verify_archived(last.seq).findings}
    assert [f.code for f in hc.verify_archived(99999).findings] == ["E-ARC-001"]
    cm.close()
    hc.close()


def test_export_of_one_user_is_a_folder_with_a_cp932_index_excel_opens(relay, tmp_path):
    cm, hc, files, people = _exchanged(relay, tmp_path)
    out = tmp_path / "inspection"
    result = hc.export_archive(out, user=people[0].insured)
    assert result.findings == () and result.records == 3
    folder = Path(result.folder)
    assert folder.parent == out and (folder / "index.csv").exists()
    raw = (folder / "index.csv").read_bytes()
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")     # CRLF only
    with open(folder / "index.csv", encoding="cp932", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    assert head[:10] == ["日時", "方向", "相手事業所番号", "相手事業所名", "種類", "サービス提供月", "ファイル名",
                         "利用者", "受領確認日時", "SHA-256"]
    assert len(body) == 3 and all(r[1] == "受信" and r[2] == CM for r in body)
    assert all(people[0].insured in r[7] for r in body)
    assert [r[6].split("_")[0] for r in body if people[0].name in r[7]] == ["UPHOSOKU"]   # names live there
    assert all(r[5] == "令和7年5月（2025年5月）" for r in body)
    contents = dict(files)
    for r in body:
        assert (folder / r[6]).read_bytes() == contents[r[6]]            # the plain file itself
        assert (folder / r[10]).is_file() and (folder / r[11]).is_file()  # envelope and receipt
        assert r[10].startswith("evidence") and r[8]
    again = hc.export_archive(out, month="202505")
    assert again.records == 3 and Path(again.folder) != folder          # never into an existing folder
    assert [f.code for f in hc.export_archive(out).findings] == ["E-ARC-012"]

    # a name cp932 cannot hold: replaced and said, never a crash
    name = "UPPLAN_202507_1370100011_43_1370100029_11_20250625100000.CSV"
    hc.db.archive_put("received", name, {"name": name, "sender": CM, "kind": "file", "received_at":
                      "2025-06-25T01:00:00Z", "content_sha256": "0" * 64}, b"x",
                      users="1000009999 𠮷野太郎", state="new")
    odd = hc.export_archive(out, month="202507")
    assert odd.records == 1 and [f.code for f in odd.findings] == ["W-ARC-010"]
    with open(Path(odd.index), encoding="cp932", newline="") as fh:
        assert list(csv.reader(fh))[1][7] == "1000009999 ?野太郎"
    cm.close()
    hc.close()


def test_retention_plan_lists_exactly_the_old_records_and_deletion_removes_only_them(relay, tmp_path):
    cm, hc, files, _ = _exchanged(relay, tmp_path)
    old = []
    for n, month in enumerate(("201905", "201906", "202001")):
        name = f"UPPLAN_{month}_1370100011_43_1370100029_11_2019052510{n:04d}.CSV"
        hc.db.archive_put("received", name, {"name": name, "sender": CM, "kind": "file",
                          "received_at": f"{month[:4]}-{month[4:]}-20T01:00:00Z"}, b"old %d" % n, state="new",
                          receipt=b"receipt %d" % n)
        old.append(name)
    blobs_before = hc.db._read("SELECT count(*) FROM blobs")[0][0]
    plan = hc.retention_plan(NOW)                      # five years by default: before 2020-06-01
    assert plan.years == 5 and plan.cutoff == datetime(2020, 6, 1, 9, 0, tzinfo=timezone.utc)
    assert plan.count == 3 and plan.months == (("201905", 1), ("201906", 1), ("202001", 1))
    assert plan.partners == ((CM, cm.settings.name, 3),)
    assert hc.retention_plan(NOW, years=7).count == 0
    hc.settings.retention_years = 6                    # the office's setting (office.json)
    assert hc.retention_plan(NOW).years == 6 and hc.retention_plan(NOW).count == 1   # May 2019 only
    hc.settings.retention_years = "ten"                # not a number of years: the default, five
    assert hc.retention_plan(NOW).years == 5
    assert hc.apply_retention(plan) == 3
    assert {r.name for r in hc.archive(ListQuery(limit=-1)).items} == {n for n, _ in files}
    assert hc.db._read("SELECT count(*) FROM blobs")[0][0] == blobs_before - 6   # their contents and receipts
    assert all(hc.verify_archived(r.seq).ok for r in hc.archive().items)     # the rest is whole
    assert hc.retention_plan(NOW).count == 0
    cm.close()
    hc.close()


def test_folder_import_of_the_national_clients_downloads(relay, tmp_path):
    home = str(tmp_path / "pcs")
    hc = _open("homecare", relay, home)
    files, people = _bundle()
    downloads = tmp_path / "national-client"
    downloads.mkdir()
    for name, data in files:
        (downloads / name).write_bytes(data)
    (downloads / "readme.txt").write_bytes(b"not a plan")
    other = files[0][0].replace("1370100029", "1370100037")
    (downloads / other).write_bytes(files[0][1] + b"\r\n")
    result = hc.import_folder(downloads, now=NOW)
    assert sorted(result.imported) == sorted(n for n, _ in files)
    assert sorted(result.refused) == sorted(["readme.txt", other])
    codes = {f.code for f in result.findings}
    assert {"E-IMP-003", "E-IMP-005"} <= codes
    again = hc.import_folder(downloads, now=NOW)
    assert again.imported == () and sorted(again.already) == sorted(n for n, _ in files)
    assert hc.archive().total == 3
    rec = hc.archive(ListQuery(user=people[0].insured)).items[0]
    assert rec.imported and not rec.has_envelope and not rec.has_receipt and rec.partner.office == CM
    check = hc.verify_archived(rec.seq)
    assert check.ok and [f.code for f in check.findings] == ["W-ARC-002"]
    item = hc.inbox_item(hc.inbox(ListQuery(limit=1, offset=1)).items[0].key)   # the inbox finds it by key
    assert item is not None and item.name == hc.inbox(ListQuery(limit=1, offset=1)).items[0].name
    preview = hc.archive_preview(rec.seq)
    assert preview is not None and preview.item.name == rec.name and (preview.records or preview.grid)
    assert [f.code for f in hc.import_folder(tmp_path / "nowhere").findings] == ["E-IMP-001"]
    hc.close()
