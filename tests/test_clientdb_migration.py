"""An office's old on-disk spool (the pack/.entry format) is imported into the office database on first
open, losing nothing: every item, its state, its receipt and its payload. The old spool is written here
by the old code itself (tests/legacy_store.py, the store module as it was), and the old folders are
renamed ``*.migrated``, not deleted."""

import base64
import importlib.util
import sys
from pathlib import Path

from tui_client.core import samples
from tui_client.transport.clientdb import open_db
from tui_client.transport.queue import Inbox, Outbox

_spec = importlib.util.spec_from_file_location("legacy_store", Path(__file__).with_name("legacy_store.py"))
legacy = importlib.util.module_from_spec(_spec)
sys.modules["legacy_store"] = legacy            # dataclasses look their module up while it loads
_spec.loader.exec_module(legacy)

CM, HC = "1370100011", "1370100029"


def _name(n: int, prefix="UPPLAN") -> str:
    return f"{prefix}_202505_{CM}_43_{HC}_11_2025042510{n:04d}.CSV"


def _outbox_record(name, sealed, plain, **extra):
    import hashlib

    return {"name": name, "digest": hashlib.sha256(sealed).hexdigest(), "size": len(sealed),
            "queued_at": "2025-04-25T01:00:00Z", "attempts": 0, "last_error": None, "kind": "file",
            "recipient": HC, "recipient_service": "11",
            "content_sha256": hashlib.sha256(plain).hexdigest(), "state": "queued", **extra}


def build_old_spool(root: Path) -> dict:
    """A spool with every kind of entry, as the old Shelf/Batch wrote them (files and packs)."""
    outbox, errors, inbox = (legacy.Shelf(root / n) for n in ("outbox", "errors", "inbox"))
    sent, received = legacy.Shelf(root / "archive" / "sent"), legacy.Shelf(root / "archive" / "received")
    want = {"outbox": [], "errors": [], "sent": {}, "received": {}}
    for n in range(2):                                          # waiting, one file each
        name, sealed, plain = _name(n), b"SEALED-%d" % n, b"plain %d\r\n" % n
        outbox.put(name, _outbox_record(name, sealed, plain), sealed + plain)
        want["outbox"].append((name, sealed, plain))
    batch = legacy.Batch()                                      # waiting, in one pack
    for n in range(2, 5):
        name, sealed, plain = _name(n), b"SEALED-%d" % n, b"plain %d\r\n" % n
        batch.put(outbox, name, _outbox_record(name, sealed, plain), sealed + plain)
        want["outbox"].append((name, sealed, plain))
    batch.commit()
    name, sealed, plain = _name(9), b"SEALED-9", b"refused"
    errors.put(name, _outbox_record(name, sealed, plain, attempts=1,
                                    last_error={"code": "E-RELAY-004", "findings": [], "at": "x"}), sealed + plain)
    want["errors"].append((name, sealed, plain))
    info = {"id": "id-down", "kind": "file", "name": _name(20), "digest": "0" * 64, "size": 7, "sender": HC,
            "sender_service": "11", "recipient": CM, "recipient_service": "43", "state": "waiting",
            "created_at": "2025-05-01T00:00:00Z"}
    inbox.put("id-down", {"info": info, "state": "downloaded"}, b"SEALED-IN")
    stored_info = dict(info, id="id-stored", name=_name(21))
    inbox.put("id-stored", {"info": stored_info, "state": "stored",
                            "receipt": base64.b64encode(b"RECEIPT-IN").decode()}, b"")
    batch = legacy.Batch()
    for n in range(30, 32):
        name = _name(n)
        rec = dict(_outbox_record(name, b"S", b"sent %d" % n), relay_id=f"r{n}", sent_at="2025-04-25T02:00:00Z",
                   duplicate=False, state="received" if n == 30 else "waiting")
        if n == 30:
            rec.update(receipt=base64.b64encode(b"RECEIPT-30").decode(), receipt_received_at="2025-04-26T00:00:00Z")
        batch.put(sent, name, rec, b"sent %d" % n)
        want["sent"][name] = (b"sent %d" % n, rec["state"], b"RECEIPT-30" if n == 30 else None)
    batch.commit()
    people = samples.users(2, seed=5)
    plan = [f for f in samples.use_bundle("202505", samples.SampleOffice(CM, "43", "cm"), people,
                                          sender=samples.SampleOffice(HC, "11", "hc"),
                                          providers=[samples.SampleOffice(HC, "11", "hc")])
            if f[0].startswith("UPHOSOKU")]
    for k, (name, data) in enumerate(plan[:1] + [(_name(40, "UPJSK"), b"jsk")]):
        rec = {"id": f"rid{k}", "name": name, "kind": "file", "sender": HC, "sender_service": "11",
               "recipient": CM, "recipient_service": "43", "received_at": "2025-05-02T00:00:00Z",
               "signer_office": HC, "content_sha256": "x", "findings": ["W-ROW-001"] if k else []}
        if k == 0:
            rec["exported"] = "/somewhere"
        received.put(name, rec, data)
        want["received"][name] = (data, "saved" if k == 0 else "new")
    want["people"] = people
    return want


def test_an_old_spool_is_migrated_whole_on_first_open(tmp_path):
    root = tmp_path / "offices" / CM
    want = build_old_spool(root)
    db = open_db(root / "office.sqlite3", legacy_root=root)

    box = Outbox(db)
    assert [n for n, _ in box.pending()] == [n for n, _, _ in want["outbox"]]      # the old order
    for name, sealed, plain in want["outbox"]:
        rec, got_sealed, got_plain = db.outbox_entry(name)
        assert (got_sealed, got_plain) == (sealed, plain) and rec["digest"] and rec["shelf"] == "waiting"
    [(name, rec)] = box.shelved()
    assert name == want["errors"][0][0] and rec["last_error"]["code"] == "E-RELAY-004"
    assert db.outbox_entry(name)[1:] == want["errors"][0][1:]

    inbox = db.inbox_list()
    assert [(k, r["state"], rc) for k, r, rc in inbox] == [("id-down", "downloaded", None),
                                                          ("id-stored", "stored", b"RECEIPT-IN")]
    assert db.inbox_payload("id-down") == b"SEALED-IN" and Inbox(db).db is db

    for name, (plain, state, receipt) in want["sent"].items():
        rec = db.archive_record("sent", name)
        assert db.archive_content("sent", name) == plain and rec["state"] == state
        assert db.archive_receipt("sent", name) == receipt and "receipt" not in rec
    for name, (data, state) in want["received"].items():
        assert db.archive_content("received", name) == data
        assert db.archive_record("received", name)["archive_state"] == state

    person = want["people"][0]                                  # users were indexed for search
    rows, total = db.archive_search(user=person.insured)
    assert total == 1 and rows[0][1].startswith("UPHOSOKU")

    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [
        "archive.migrated", "errors.migrated", "inbox.migrated", "outbox.migrated"]
    assert (root / "outbox.migrated").iterdir()                 # nothing deleted
    db.close()

    again = open_db(root / "office.sqlite3", legacy_root=root)  # a second open imports nothing
    assert again.outbox_count() == 5 and again.archive_count() == 4
    again.close()


def test_a_migration_interrupted_before_the_renames_imports_nothing_twice(tmp_path):
    root = tmp_path / "office"
    build_old_spool(root)
    from tui_client.transport import legacy as reader

    db = open_db(root / "office.sqlite3")
    counts = reader.migrate(db, root)
    assert counts["outbox"] == 5
    # The crash: the import committed, the folders not renamed; put them back and open again.
    for p in list(root.iterdir()):
        if p.name.endswith(".migrated"):
            p.rename(root / p.name[:-len(".migrated")])
    reader.migrate(db, root)
    assert db.outbox_count() == 5 and db.outbox_count("error") == 1 and len(db.inbox_keys()) == 2
    assert db.archive_count("sent") == 2 and db.archive_count("received") == 2
    db.close()
