"""SQLite keeps sealed contents in the item rows. Relays of late 2026-11 kept them in content files
beside the database (``<database>.content/``); a relay opening such a database moves each waiting
item's content back into its row (checked against its digest) and removes the folder. Databases
from the first release (contents in rows, no file columns) are served as they are."""

import os
import sqlite3

from tui_client.core import wire
from tui_client.relay.storage import Gone, NewItem, StorageError, open_storage

import pytest

CM, HC = "1370100011", "1370100029"


def _put(storage, serial: int, content: bytes):
    name = f"UPPLAN_202505_{CM}_43_{HC}_11_2025042510{serial:04d}.CSV"
    item = NewItem("file", name, wire.digest(content), len(content), CM, "43", HC, "11")
    return storage.put_item(item, content)[0]


def _content_file_database(db, items):
    """A database as a late-2026-11 relay left it: rows pointing into a content file.
    ``items``: [(id, content, bytes actually in the file)]."""
    storage = open_storage(str(db))
    storage.close()
    folder = str(db) + ".content"
    os.makedirs(folder)
    name = "20261124000000-1-abcdef.content"
    conn = sqlite3.connect(str(db))
    with open(os.path.join(folder, name), "wb") as fh:
        for serial, (item_id, content, on_disk) in enumerate(items):
            offset = fh.tell()
            fh.write(on_disk + bytes(-len(on_disk) % 4096))
            conn.execute("INSERT INTO items (id, kind, name, digest, size, sender, sender_service, recipient, "
                         "recipient_service, created_at, content_file, content_offset, content_length) "
                         "VALUES (?, 'file', ?, ?, ?, ?, '43', ?, '11', '2026-11-24T00:00:00.000000Z', ?, ?, ?)",
                         (item_id, f"UPPLAN_202505_{CM}_43_{HC}_11_202504251{serial:05d}.CSV",
                          wire.digest(content), len(content), CM, HC, name, offset, len(content)))
    conn.commit()
    conn.close()
    return folder


def test_contents_live_in_the_rows(tmp_path):
    db = tmp_path / "relay.sqlite3"
    storage = open_storage(str(db))
    try:
        a = b"SEALED-A" * 100
        ida = _put(storage, 1, a)
        assert storage.download(ida, HC)[1] == a and storage.stored_content_count() == 1
        storage.acknowledge(ida, HC, b"receipt-a")
        with pytest.raises(Gone):
            storage.download(ida, HC)
        assert storage.stored_content_count() == 0
        assert not os.path.exists(str(db) + ".content")
    finally:
        storage.close()


def test_contents_left_in_content_files_move_into_their_rows(tmp_path):
    db = tmp_path / "relay.sqlite3"
    a, b = b"SEALED-A" * 100, b"SEALED-B" * 50
    folder = _content_file_database(db, [("a" * 32, a, a), ("b" * 32, b, b)])
    storage = open_storage(str(db))
    try:
        assert not os.path.exists(folder)
        assert storage.download("a" * 32, HC)[1] == a and storage.download("b" * 32, HC)[1] == b
        rows = storage._execute("SELECT COUNT(*) FROM items WHERE content_file IS NOT NULL")[0]
        assert rows[0][0] == 0
    finally:
        storage.close()


def test_a_damaged_content_file_is_a_storage_error_not_wrong_bytes_and_is_kept(tmp_path):
    db = tmp_path / "relay.sqlite3"
    a, b = b"SEALED-A" * 100, b"SEALED-B" * 50
    folder = _content_file_database(db, [("a" * 32, a, a), ("b" * 32, b, b"X" + b[1:])])
    storage = open_storage(str(db))
    try:
        assert storage.download("a" * 32, HC)[1] == a
        with pytest.raises(StorageError):
            storage.download("b" * 32, HC)
        assert os.path.isdir(folder)            # kept for an operator: nothing is thrown away
        storage.acknowledge("b" * 32, HC, b"r")  # a receipt still ends the item
        with pytest.raises(Gone):
            storage.download("b" * 32, HC)
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
