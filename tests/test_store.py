"""The durable shelves under the outbox, error shelf, inbox and archive: one file per entry."""

import os
import time

from tui_client.transport.store import Batch, Shelf


def test_an_entry_is_one_file_holding_record_and_payload(tmp_path):
    shelf = Shelf(tmp_path / "outbox")
    payload = b"\x00\x01\n\r\n" + bytes(range(256)) * 10      # binary, with newlines in it
    shelf.put("UPPLAN_x.CSV", {"name": "UPPLAN_x.CSV", "件名": "六月"}, payload)
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["UPPLAN_x.CSV.entry"]
    assert shelf.record("UPPLAN_x.CSV") == {"name": "UPPLAN_x.CSV", "件名": "六月"}
    assert shelf.payload("UPPLAN_x.CSV") == payload
    shelf.update("UPPLAN_x.CSV", {"name": "UPPLAN_x.CSV", "state": "waiting"})
    assert shelf.record("UPPLAN_x.CSV")["state"] == "waiting" and shelf.payload("UPPLAN_x.CSV") == payload
    other = Shelf(tmp_path / "errors")
    shelf.move_to("UPPLAN_x.CSV", other)
    assert not shelf.has("UPPLAN_x.CSV") and other.payload("UPPLAN_x.CSV") == payload
    assert other.entry("UPPLAN_x.CSV") == ({"name": "UPPLAN_x.CSV", "state": "waiting"}, payload)
    assert shelf.record("missing") is None and shelf.payload("missing") is None and shelf.entry("missing") is None


def test_a_damaged_record_is_reported_not_raised(tmp_path):
    shelf = Shelf(tmp_path)
    (tmp_path / "a.entry").write_bytes(b"{not json\npayload")
    (tmp_path / "b.entry").write_bytes(b"[1, 2]\npayload")
    assert shelf.record("a") == {"damaged": True} and shelf.record("b") == {"damaged": True}
    assert shelf.payload("a") == b"payload" and shelf.entry("b") == ({"damaged": True}, b"payload")
    assert sorted(k for k, _ in shelf.items()) == ["a", "b"]


def test_a_batch_is_invisible_until_it_commits_and_leaves_nothing_when_abandoned(tmp_path):
    shelf = Shelf(tmp_path)
    batch = Batch()
    batch.put(shelf, "one", {"n": 1}, b"1")
    batch.put(shelf, "two", {"n": 2}, b"2")
    assert shelf.keys() == [] and not shelf.has("one")
    batch.commit()
    assert sorted(shelf.keys()) == ["one", "two"] and shelf.payload("two") == b"2"
    again = Batch()
    again.put(shelf, "one", {"n": 10}, b"10")
    again.put(shelf, "three", {"n": 3}, b"3")
    again.abandon()
    assert shelf.record("one") == {"n": 1} and sorted(os.listdir(tmp_path)) == ["one.entry", "two.entry"]


def test_temporary_files_left_by_a_crash_are_cleared_once_old(tmp_path):
    shelf = Shelf(tmp_path)
    shelf.put("kept", {}, b"")
    old = tmp_path / ".tmp-1-2-lost.entry"
    young = tmp_path / ".tmp-1-3-inflight.entry"
    old.write_bytes(b"x")
    young.write_bytes(b"x")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert shelf.keys() == ["kept"]
    assert not old.exists() and young.exists()
