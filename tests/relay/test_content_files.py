"""SQLite keeps sealed contents in content files beside the database: what is on disk before and
after receipts and withdrawals, what a crash leaves, and databases from before content files."""

import os
import sqlite3

import pytest

from tui_client.core import wire
from tui_client.relay import contentfiles
from tui_client.relay.storage import Gone, NewItem, StorageError, open_storage

CM, HC = "1370100011", "1370100029"

pytestmark = pytest.mark.skipif(not contentfiles.ContentFiles.available(), reason="no fcntl: contents in rows")


def _put(storage, serial: int, content: bytes):
    name = f"UPPLAN_202505_{CM}_43_{HC}_11_2025042510{serial:04d}.CSV"
    item = NewItem("file", name, wire.digest(content), len(content), CM, "43", HC, "11")
    return storage.put_item(item, content)[0]


def _files(db) -> list:
    folder = str(db) + ".content"
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _on_disk(db) -> bytes:
    folder = str(db) + ".content"
    return b"".join(open(os.path.join(folder, n), "rb").read() for n in _files(db))


def test_contents_live_in_a_file_not_in_the_database_and_read_back(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        a, b = b"SEALED-A" * 100, b"SEALED-B" * 50
        ida, idb = _put(storage, 1, a), _put(storage, 2, b)
        assert storage.download(ida, HC)[1] == a and storage.download(idb, HC)[1] == b
        assert storage.stored_content_count() == 2
        assert len(_files(db)) == 1 and a in _on_disk(db) and b in _on_disk(db)
        assert a not in db.read_bytes()
    finally:
        storage.close()


def test_a_receipt_zeroes_the_content_at_once_and_the_last_one_removes_the_file(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        a, b = b"SEALED-A" * 100, b"SEALED-B" * 50
        ida, idb = _put(storage, 1, a), _put(storage, 2, b)
        storage.acknowledge(ida, HC, b"receipt-a")
        assert a not in _on_disk(db) and b in _on_disk(db)
        with pytest.raises(Gone):
            storage.download(ida, HC)
        storage.withdraw(idb, CM)
        assert b not in _on_disk(db)
        storage.close()  # the writer lets go of its file: nothing in it is used any more
        assert _files(db) == []
        assert storage.stored_content_count() == 0
    finally:
        storage.close()


def test_a_file_is_kept_while_an_item_in_it_waits_and_its_writer_has_moved_on(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        ida = _put(storage, 1, b"A" * 1000)
        storage.files.max_bytes = 1          # the next upload goes to a new file
        idb = _put(storage, 2, b"B" * 1000)
        assert len(_files(db)) == 2
        storage.acknowledge(idb, HC, b"r")   # b's file is still being written: kept
        assert len(_files(db)) == 2
        storage.acknowledge(ida, HC, b"r")   # a's file: no writer, nothing waiting: removed
        assert len(_files(db)) == 1
    finally:
        storage.close()


def test_bytes_a_crash_left_without_a_row_go_when_the_relay_starts_again(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    _put(storage, 1, b"kept" * 10)
    storage.close()
    folder = str(db) + ".content"
    # What a SIGKILL between the append and the commit leaves: a file no row points at, and a
    # temporary file from the moment a new file was being made.
    open(os.path.join(folder, "20250101000000-1-000000000000.content"), "wb").write(b"orphan" * 10)
    open(os.path.join(folder, "20250101000000-1-111111111111.content.tmp"), "wb").write(b"")
    again = open_storage(str(db))
    try:
        names = _files(db)
        assert len(names) == 1 and b"orphan" not in _on_disk(db) and b"kept" in _on_disk(db)
    finally:
        again.close()


def test_a_duplicate_or_a_refused_group_keeps_no_bytes(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        content = b"SAME" * 100
        first = _put(storage, 1, content)
        assert _put(storage, 1, content) == first                 # duplicate: same id
        assert _on_disk(db).count(content) == 1                   # its second copy was zeroed
        broken = NewItem(None, "UPPLAN_202505_1370100011_43_1370100029_11_20250425109999.CSV",
                         wire.digest(b"OTHER"), 5, CM, "43", HC, "11")
        with pytest.raises(Exception):
            storage.put_items([(broken, b"OTHER" * 40)])
        assert b"OTHER" * 40 not in _on_disk(db)
    finally:
        storage.close()


def test_a_damaged_content_file_is_a_storage_error_not_wrong_bytes(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        item = _put(storage, 1, b"GOOD" * 100)
        path = os.path.join(str(db) + ".content", _files(db)[0])
        with open(path, "r+b") as fh:
            fh.write(b"EVIL")
        with pytest.raises(StorageError):
            storage.download(item, HC)
        os.truncate(path, 10)
        with pytest.raises(StorageError):
            storage.download(item, HC)
    finally:
        storage.close()


_FIRST_RELEASE_ITEMS = """CREATE TABLE items (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL UNIQUE, digest TEXT NOT NULL,
    size INTEGER NOT NULL, sender TEXT NOT NULL, sender_service TEXT NOT NULL, recipient TEXT NOT NULL,
    recipient_service TEXT NOT NULL, created_at TEXT NOT NULL, downloaded_at TEXT, received_at TEXT,
    withdrawn_at TEXT, content BLOB, receipt BLOB)"""


def test_a_database_from_before_content_files_is_upgraded_and_its_rows_still_served(tmp_path):
    db = tmp_path / "relay.sqlite3"
    conn = sqlite3.connect(str(db))   # as the first release made it: contents in rows, no file columns
    conn.execute(_FIRST_RELEASE_ITEMS)
    old = b"OLD-ROW" * 10
    conn.execute("INSERT INTO items VALUES ('0123456789abcdef0123456789abcdef', 'file', "
                 "'UPPLAN_202505_1370100011_43_1370100029_11_20250425100000.CSV', ?, ?, ?, '43', ?, '11', "
                 "'2025-04-25T00:00:00.000000Z', NULL, NULL, NULL, ?, NULL)",
                 (wire.digest(old), len(old), CM, HC, old))
    conn.commit()
    conn.close()
    storage = open_storage(str(db))
    try:
        old_id = "0123456789abcdef0123456789abcdef"
        assert storage.download(old_id, HC)[1] == old
        new_id = _put(storage, 2, b"NEW" * 10)
        assert storage.download(new_id, HC)[1] == b"NEW" * 10
        assert storage.stored_content_count() == 2
        storage.acknowledge(old_id, HC, b"r")
        assert storage.stored_content_count() == 1
    finally:
        storage.close()


def test_direct_writes_end_each_group_on_a_block_boundary_and_read_back(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        a, b = b"SEALED-A" * 700, b"SEALED-B" * 10          # 5,600 and 80 bytes: neither a block
        ida = _put(storage, 1, a)
        if not storage.files.direct:
            pytest.skip("this file system takes no O_DIRECT writes: plain appends (tested below)")
        idb = _put(storage, 2, b)
        data = _on_disk(db)
        assert len(data) == 3 * 4096                        # a: two blocks, b: one, zero-padded
        assert data[:len(a)] == a and data[2 * 4096:2 * 4096 + len(b)] == b
        assert data[len(a):2 * 4096] == bytes(2 * 4096 - len(a))
        assert storage.download(ida, HC)[1] == a and storage.download(idb, HC)[1] == b
    finally:
        storage.close()


def test_where_direct_writes_are_refused_plain_appends_store_the_same(tmp_path, monkeypatch):
    """Some file systems accept O_DIRECT at open and refuse the write (EINVAL): the upload is
    stored all the same, and every later one is appended without padding."""
    import errno
    import fcntl

    refused = []
    real_pwrite = os.pwrite

    def pwrite_refusing_direct(fd, data, offset):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(contentfiles.os, "pwrite", pwrite_refusing_direct)
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        a, b = b"SEALED-A" * 700, b"SEALED-B" * 10
        ida, idb = _put(storage, 1, a), _put(storage, 2, b)
        assert storage.files.direct is False
        assert storage.download(ida, HC)[1] == a and storage.download(idb, HC)[1] == b
        assert len(_on_disk(db)) == len(a) + len(b)        # no padding: plain appends
        assert refused or not getattr(os, "O_DIRECT", 0)
    finally:
        storage.close()
