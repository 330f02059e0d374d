"""The office database (transport/clientdb.py) under the outbox, error shelf, inbox and archive:
order by sequence, atomic groups, payloads by digest, threads and processes, search and paging.

The old file store ordered by file mtimes; its ordering test failed on a loaded machine (two
entries written within one clock tick). Nothing here reads a clock."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tui_client.transport.clientdb import Batch, ClientDB, open_db
from tui_client.transport.queue import Outbox

ROOT = Path(__file__).resolve().parent.parent
NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250425{:06d}.CSV"


def _db(tmp_path) -> ClientDB:
    return ClientDB(tmp_path / "office.sqlite3")


def test_the_database_is_wal_with_full_sync_and_foreign_keys(tmp_path):
    db = _db(tmp_path)
    assert db._read("PRAGMA journal_mode")[0][0] == "wal"
    assert db._read("PRAGMA synchronous")[0][0] == 2          # FULL
    assert db._read("PRAGMA foreign_keys")[0][0] == 1
    db.close()


def test_order_is_the_order_of_queuing_not_a_clock_or_a_name(tmp_path):
    """Items queued in one instant (and named against the order) list in the order they were queued."""
    db = _db(tmp_path)
    box = Outbox(db)
    names = [NAME.format(n) for n in (9, 3, 7, 1, 5, 2, 8)]
    for name in names:
        box.enqueue(name, b"sealed " + name.encode(), plaintext=b"plain", queued_at="2025-01-01T00:00:00Z")
    assert [n for n, _ in box.pending()] == names
    seqs = [rec["seq"] for _, rec in box.pending()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    db.close()


def test_an_entry_keeps_record_and_payload_and_a_requeue_keeps_them(tmp_path):
    db = _db(tmp_path)
    box = Outbox(db)
    sealed = b"\x00\x01\n\r\n" + bytes(range(256)) * 10      # binary, with newlines in it
    box.enqueue("a.CSV", sealed, plaintext="六月".encode("utf-8"), 件名="六月")
    rec, got, plain = db.outbox_entry("a.CSV")
    assert got == sealed and plain == "六月".encode("utf-8") and rec["件名"] == "六月"
    db.outbox_update("a.CSV", dict(rec, attempts=3), state="error")
    assert [n for n, _ in box.shelved()] == ["a.CSV"] and box.pending() == []
    assert box.requeue("a.CSV") and db.outbox_entry("a.CSV")[1] == sealed
    assert box.pending()[0][1]["attempts"] == 0
    assert not box.requeue("a.CSV")                            # not on the shelf any more
    assert db.outbox_record("missing") is None and db.outbox_entry("missing") is None
    db.close()


def test_re_queuing_a_waiting_name_keeps_the_first_sealed_bytes(tmp_path):
    db = _db(tmp_path)
    box = Outbox(db)
    box.enqueue("a.CSV", b"first")
    box.enqueue("a.CSV", b"second")
    assert db.outbox_entry("a.CSV")[1] == b"first" and db.outbox_count() == 1
    db.close()


def test_a_damaged_record_is_reported_not_raised(tmp_path):
    db = _db(tmp_path)
    Outbox(db).enqueue("a.CSV", b"x")
    with db.transaction() as c:
        c.execute("UPDATE outbox SET record = '{not json' WHERE name = 'a.CSV'")
    rec = db.outbox_record("a.CSV")
    assert rec["damaged"] is True and db.outbox_entry("a.CSV")[1] == b"x"
    db.close()


def test_a_batch_is_invisible_until_it_commits_and_leaves_nothing_when_abandoned(tmp_path):
    db = _db(tmp_path)
    box = Outbox(db)
    batch = Batch(db)
    box.enqueue("one", b"1", batch=batch)
    box.enqueue("two", b"2", batch=batch)
    assert box.pending() == []
    batch.commit()
    assert [n for n, _ in box.pending()] == ["one", "two"]
    again = Batch(db)
    box.enqueue("three", b"3", batch=again)
    again.abandon()
    again.commit()
    assert [n for n, _ in box.pending()] == ["one", "two"]
    db.close()


def test_a_failure_inside_a_group_leaves_the_store_as_it_was(tmp_path):
    db = _db(tmp_path)
    box = Outbox(db)
    box.enqueue("kept", b"k")
    blobs = db._read("SELECT count(*) FROM blobs")[0][0]

    class Crash(Exception):
        pass

    with pytest.raises(Crash):
        with db.transaction():
            box.enqueue("lost-1", b"1")
            box.enqueue("lost-2", b"2")
            raise Crash()
    assert [n for n, _ in box.pending()] == ["kept"]
    assert db._read("SELECT count(*) FROM blobs")[0][0] == blobs   # no payload left behind either
    db.close()


def test_confirming_moves_the_plaintext_and_the_envelope_to_the_sent_archive(tmp_path):
    db = _db(tmp_path)
    Outbox(db).enqueue("a.CSV", b"sealed", plaintext=b"plain", content_sha256="d" * 64, recipient="1370100029")
    rec = db.outbox_record("a.CSV")
    db.confirm_sent([("a.CSV", dict(rec, relay_id="r1", sent_at="2025-05-01T00:00:00Z", state="waiting"))])
    assert db.outbox_count(None) == 0
    assert db.archive_content("sent", "a.CSV") == b"plain"
    assert db.archive_record("sent", "a.CSV")["relay_id"] == "r1"
    # the sealed copy moves to the archive as evidence (one blob each, no copy left in the outbox)
    assert db._read("SELECT count(*) FROM blobs")[0][0] == 2
    assert db.archive_evidence(db.archive_record("sent", "a.CSV")["seq"])["envelope"] == b"sealed"
    assert db.sent_with_content("a.CSV", "d" * 64) is not None
    assert db.sent_with_content("a.CSV", "e" * 64) is None
    db.close()


def test_threads_share_one_store_safely(tmp_path):
    db = _db(tmp_path)
    box = Outbox(db)

    def worker(k):
        for i in range(50):
            box.enqueue(f"t{k}-{i:03d}", f"{k}-{i}".encode())
            db.outbox_list()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = [n for n, _ in box.pending()]
    assert len(names) == 200 == len(set(names))
    for k in range(4):                                        # each thread's items in its own order
        mine = [n for n in names if n.startswith(f"t{k}-")]
        assert mine == sorted(mine)
    db.close()


_WRITER = """
import sys
from tui_client.transport.clientdb import ClientDB
from tui_client.transport.queue import Outbox
db = ClientDB(sys.argv[1])
box = Outbox(db)
for i in range(150):
    box.enqueue(f"p{sys.argv[2]}-{i:03d}", b"x" * 1000 + str(i).encode())
db.close()
"""


def test_two_processes_on_one_office_database_lose_nothing(tmp_path):
    path = tmp_path / "office.sqlite3"
    ClientDB(path).close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(k)], env=env) for k in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    db = ClientDB(path)
    assert db.outbox_count() == 300
    assert db._read("PRAGMA integrity_check")[0][0] == "ok"
    db.close()


def test_a_closed_store_opens_again_when_used(tmp_path):
    db = _db(tmp_path)
    Outbox(db).enqueue("a", b"1")
    db.close()
    assert db.outbox_count() == 1
    db.close()


# --- the archive: search and paging

def _archive(db, n, *, users="", month="202505", partner="1370100029", subject=""):
    name = f"UPPLAN_{month}_1370100011_43_{partner}_11_20250425{n:06d}.CSV"
    db.archive_put("received", name, {"name": name, "sender": partner, "kind": "file",
                                      "received_at": "2025-05-01T00:00:00Z", "subject": subject},
                   b"content %d" % n, users=users, state="new")
    return name


def test_archive_search_by_user_month_partner_kind_and_text_with_paging(tmp_path):
    db = _db(tmp_path)
    names = [_archive(db, i, users=f"{1000000000 + i} 山田\u3000花子" if i % 2 else f"{1000000000 + i} 佐藤\u3000一郎",
                      month="202505" if i < 6 else "202506", partner="1370100029" if i % 3 else "1370100037")
             for i in range(10)]
    rows, total = db.archive_search(user="山田")                     # two characters: substring scan
    assert total == 5 and [r[1] for r in rows] == names[1::2]
    rows, total = db.archive_search(user="1000000004")               # trigram index
    assert total == 1 and rows[0][1] == names[4]
    rows, total = db.archive_search(month="202506", partner="1370100037")
    assert [r[1] for r in rows] == [names[6], names[9]] and total == 2
    assert db.archive_search(kind="UPPLAN")[1] == 10 and db.archive_search(kind="UPJSK")[1] == 0
    rows, total = db.archive_search(text="20250425000007")
    assert [r[1] for r in rows] == [names[7]]
    page1, total = db.archive_search(limit=4)
    page3, _ = db.archive_search(limit=4, offset=8)
    assert total == 10 and [r[1] for r in page1] == names[:4] and [r[1] for r in page3] == names[8:]
    rows, _ = db.archive_search(text='"; DROP TABLE archive; --')    # quotes are data, not syntax
    assert rows == [] and db.archive_count() == 10
    db.close()


def test_storing_a_received_item_again_keeps_its_state_and_its_place(tmp_path):
    db = _db(tmp_path)
    name = _archive(db, 1)
    seq = db.archive_record("received", name)["seq"]
    db.archive_update("received", name, state="seen")
    db.inbox_put("r1", {"info": {}}, b"sealed")
    db.store_received([("r1", name, {"name": name, "sender": "1370100029"}, b"content 1", b"receipt", "")])
    rec = db.archive_record("received", name)
    assert rec["seq"] == seq and rec["archive_state"] == "seen"
    db.close()


def test_open_db_without_an_old_spool_changes_nothing_else(tmp_path):
    db = open_db(tmp_path / "office.sqlite3", legacy_root=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("office.sqlite3")) == []
    db.close()


def test_a_database_from_before_the_evidence_columns_gets_them_empty(tmp_path):
    import sqlite3

    from tui_client.transport import clientdb

    path = tmp_path / "office.sqlite3"
    old = sqlite3.connect(str(path))
    old.executescript(clientdb._SCHEMA)          # the tables as they were: no envelope, no receipt_key
    old.execute("INSERT INTO archive(direction, name, record, receipt) VALUES ('sent', 'a.CSV', '{}', x'52')")
    old.commit()
    old.close()
    db = open_db(path)
    columns = {row[1] for row in db._read("PRAGMA table_info(archive)")}
    assert {"envelope", "receipt_key"} <= columns
    assert db._read("SELECT envelope, receipt_key FROM archive")[0] == (None, None)
    assert db.archive_receipt("sent", "a.CSV") == b"R"                # the inline receipt still reads
    rows, total = db.archive_search()
    assert total == 1 and rows[0][3] is True and rows[0][2]["has_envelope"] is False
    db.close()
    assert open_db(path).archive_count() == 1                          # opening again adds nothing twice


def test_a_new_receipt_replaces_the_kept_one_and_the_old_blob_goes(tmp_path):
    db = _db(tmp_path)
    name = _archive(db, 1)
    db.archive_update("received", name, receipt=b"first receipt")
    db.archive_update("received", name, receipt=b"second receipt")
    assert db.archive_receipt("received", name) == b"second receipt"
    assert db._read("SELECT count(*) FROM blobs WHERE data = ?", (b"first receipt",))[0][0] == 0
    seq = db.archive_record("received", name)["seq"]
    assert db.archive_delete([seq]) == 1 and db.archive_delete([seq]) == 0
    assert db._read("SELECT count(*) FROM blobs")[0][0] == 0 and db.archive_search()[1] == 0
    db.close()


def test_releasing_a_blob_reads_no_table_whole(tmp_path):
    """Every column that refers to a blob has an index: deleting a blob no one uses asks each of
    them (our NOT EXISTS and SQLite's own foreign-key check). Without the indexes each receive
    and send read the whole archive once per item, and slowed as the archive grew."""
    import sqlite3

    from tui_client.transport import clientdb

    path = tmp_path / "office.sqlite3"
    old = sqlite3.connect(str(path))
    old.executescript(clientdb._SCHEMA)          # a database from before the indexes
    old.close()
    db = open_db(path)
    refs = [(t, row[3]) for t in ("outbox", "inbox", "archive", "draft_blobs")
            for row in db._read(f"PRAGMA foreign_key_list({t})") if row[2] == "blobs"]
    assert {("archive", "content"), ("archive", "envelope"), ("archive", "receipt_key"),
            ("outbox", "sealed"), ("outbox", "plain"), ("inbox", "sealed"), ("draft_blobs", "sha256")} <= set(refs)
    plan = []
    with db.transaction() as c:
        c.execute("INSERT INTO blobs(sha256, data) VALUES ('k', x'00')")
        plan = [r[3] for r in c.execute("EXPLAIN QUERY PLAN DELETE FROM blobs WHERE sha256 = 'k'")]
        plan += [r[3] for r in c.execute("EXPLAIN QUERY PLAN SELECT 1 FROM blobs WHERE sha256 = ?1"
                                          " AND NOT EXISTS (SELECT 1 FROM outbox WHERE sealed = ?1 OR plain = ?1)"
                                          " AND NOT EXISTS (SELECT 1 FROM inbox WHERE sealed = ?1)"
                                          " AND NOT EXISTS (SELECT 1 FROM archive WHERE content = ?1)", ("k",))]
        db._release(c, ["k"])
    assert plan and not [p for p in plan if p.startswith("SCAN")], plan
    for table, column in refs:                    # the foreign-key checks of the DELETE, one per column
        assert any(p.startswith("SEARCH " + table) and f"({column}=?)" in p for p in plan), (table, column, plan)
    assert db._read("SELECT count(*) FROM blobs")[0][0] == 0
    db.close()
