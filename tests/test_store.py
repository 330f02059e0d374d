"""The durable shelves under the outbox, error shelf, inbox and archive: one file per entry, or many
entries in one pack written by a batch."""

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
    assert shelf.record("one") == {"n": 1} and shelf.keys() == ["one", "two"]
    assert [p.suffix for p in tmp_path.iterdir()] == [".pack"]          # one file for the batch


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


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_batch_writes_one_pack_per_shelf_and_the_last_write_wins(tmp_path):
    outbox, sent = Shelf(tmp_path / "outbox"), Shelf(tmp_path / "sent")
    outbox.put("a", {"v": "entry"}, b"old")                 # an .entry written before the batch
    batch = Batch()
    for i, key in enumerate(["a", "b", "c"]):
        batch.put(outbox, key, {"i": i}, b"\n" * i + key.encode())
        batch.put(sent, key, {"i": i}, b"plain " + key.encode())
    batch.commit()
    assert len(_files(outbox.folder)) == 1 and _files(outbox.folder)[0].endswith(".pack")
    assert len(_files(sent.folder)) == 1
    assert outbox.entry("a") == ({"i": 0}, b"a")            # the batch came later: its copy counts
    assert outbox.entry("c") == ({"i": 2}, b"\n\nc") and outbox.keys() == ["a", "b", "c"]
    outbox.update("b", {"i": 1, "state": "failed"})         # an .entry beats the pack
    assert outbox.entry("b") == ({"i": 1, "state": "failed"}, b"\nb")
    assert outbox.keys() == ["a", "c", "b"]                 # updated last, so listed last
    assert dict(outbox.items())["b"]["state"] == "failed" and len(outbox) == 3


def test_removing_from_a_pack_rewrites_it_and_an_empty_pack_is_deleted(tmp_path):
    shelf = Shelf(tmp_path)
    batch = Batch()
    for key in ["a", "b", "c"]:
        batch.put(shelf, key, {"k": key}, key.encode() * 1000)
    batch.commit()
    shelf.update("b", {"k": "b", "tries": 1})
    shelf.remove("b")                                       # both copies go: the .entry and the packed one
    assert shelf.keys() == ["a", "c"] and not shelf.has("b") and shelf.entry("b") is None
    other = Shelf(tmp_path)                                 # another process sees the same
    assert other.keys() == ["a", "c"] and other.payload("c") == b"c" * 1000
    shelf.remove_many(["a", "c", "never-there"])
    assert _files(tmp_path) == [] and len(shelf) == 0


def test_a_reader_with_an_old_index_never_reads_a_rewritten_pack_at_old_offsets(tmp_path):
    shelf, other = Shelf(tmp_path), Shelf(tmp_path)
    batch = Batch()
    for key in ["a", "b", "c"]:
        batch.put(shelf, key, {}, key.encode() * 500)
    batch.commit()
    assert other.keys() == ["a", "b", "c"]                 # indexed the first pack
    shelf.remove("a")                                       # rewritten: "c" moved to a new offset
    assert other.payload("c") == b"c" * 500 and other.payload("a") is None


def test_a_batch_that_writes_keys_again_takes_them_out_of_older_packs(tmp_path):
    shelf = Shelf(tmp_path)
    first = Batch()
    first.put(shelf, "a", {"n": 1}, b"a1")
    first.put(shelf, "b", {"n": 1}, b"b1")
    first.commit()
    reader = Shelf(tmp_path)
    assert reader.entry("a") == ({"n": 1}, b"a1")           # indexed the first pack
    second = Batch()
    second.update(shelf, "a", {"n": 2})
    second.commit()
    packs = [Shelf(tmp_path)._scan()[1][i].slots for i in (0, 1)]
    assert [[s.key for s in slots] for slots in packs] == [["b"], ["a"]]   # one copy of each key
    assert reader.entry("a") == ({"n": 2}, b"a1") and reader.record("b") == {"n": 1}
    third = Batch()
    third.update(shelf, "b", {"n": 3})
    third.commit()
    assert len(_files(tmp_path)) == 2                       # the first pack, left empty, is gone
    assert shelf.entry("b") == ({"n": 3}, b"b1") and shelf.keys() == ["a", "b"]


def test_a_damaged_pack_gives_what_it_holds_before_the_damage_and_never_raises(tmp_path):
    shelf = Shelf(tmp_path)
    batch = Batch()
    for key in ["a", "b", "c"]:
        batch.put(shelf, key, {"k": key}, key.encode() * 100)
    batch.commit()
    pack = next(tmp_path.iterdir())
    pack.write_bytes(pack.read_bytes()[:-50])              # the last payload cut short
    (tmp_path / "junk.pack").write_bytes(b"not a pack at all")
    (tmp_path / "bad.pack").write_bytes(b"TSUNAGI-PACK 1\n{not json}\nxx")
    fresh = Shelf(tmp_path)
    assert fresh.keys() == ["a", "b"] and fresh.payload("b") == b"b" * 100 and fresh.entry("c") is None


def test_an_abandoned_or_crashed_batch_leaves_no_entries(tmp_path):
    shelf = Shelf(tmp_path)
    batch = Batch()
    batch.put(shelf, "a", {}, b"x")
    # a crash here leaves only a temporary file, which is not an entry and is cleared once old
    assert shelf.keys() == [] and [p.name.startswith(".tmp-") for p in tmp_path.iterdir()] == [True]
    batch.abandon()
    assert _files(tmp_path) == []
