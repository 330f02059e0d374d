"""Uploads are stored in groups (one transaction per group): the answers and the atomicity of a
group, on both backends; the two writers that form the groups; several writers on one SQLite file."""

import asyncio
import functools
import os
import sys
import threading

import pytest

from tui_client import sample_certs
from tui_client.core import seal, wire
from tui_client.relay.writer import ItemWriter
from tui_client.relay.envelope import Refused
from tui_client.relay.storage import Conflict, NewItem, open_storage

CM, HC = "1370100011", "1370100029"


@functools.lru_cache(maxsize=None)
def _sealed(text: bytes = b"1,2,3\r\n") -> bytes:
    """A real sealed item (the writer checks the digest and the envelope before storing)."""
    ks, _ = sample_certs.keystore("cm")
    data, findings = seal.seal(text, f"UPPLAN_202505_{CM}_43_{HC}_11_20250425100000.CSV", ks,
                               [sample_certs.certificate("homecare")])
    assert data is not None, findings
    return bytes(data)


def _upload(serial: int, text: bytes = b"1,2,3\r\n"):
    """(item, content) as the relay hands them to its writer: the item's digest is the content's."""
    content = _sealed(text)
    return _item(serial, wire.digest(content)), content


def _item(serial: int, digest: str = "ab" * 32, kind: str = "file") -> NewItem:
    name = f"UPPLAN_202505_{CM}_43_{HC}_11_2025042510{serial:04d}.CSV"
    return NewItem(kind, name, digest, 5, CM, "43", HC, "11")


class CountingStorage:
    """A real storage that also records the size of every group it was asked to store."""

    def __init__(self, storage):
        self.storage = storage
        self.groups = []

    def put_items(self, batch):
        self.groups.append(len(batch))
        return self.storage.put_items(batch)


def test_a_group_answers_each_item_as_put_item_would(database):
    storage = open_storage(database)
    try:
        a, b = _item(1), _item(2)
        other = _item(1, digest="cd" * 32)
        results = storage.put_items([(a, b"one"), (a, b"one"), (b, b"two"), (other, b"three")])
        (id_a, dup_a), (id_a2, dup_a2), (id_b, dup_b), conflict = results
        assert (dup_a, dup_a2, dup_b) == (False, True, False)
        assert id_a2 == id_a and id_b != id_a
        assert isinstance(conflict, Conflict) and conflict.args == (id_a,)
        assert storage.stored_content_count() == 2
        assert storage.put_item(b, b"two") == (id_b, True)
        with pytest.raises(Conflict):
            storage.put_item(other, b"three")
    finally:
        storage.close()


def test_a_group_that_fails_stores_nothing(database):
    storage = open_storage(database)
    try:
        good = _item(3)
        broken = NewItem(None, _item(4).name, "ab" * 32, 5, CM, "43", HC, "11")  # kind NOT NULL
        with pytest.raises(Exception):
            storage.put_items([(good, b"one"), (broken, b"two")])
        assert storage.stored_content_count() == 0
        assert storage.put_item(good, b"one")[1] is False  # stored now, as new
    finally:
        storage.close()


WRITERS = pytest.mark.parametrize("writer_class", [ItemWriter])


@WRITERS
def test_the_writer_groups_concurrent_uploads_and_answers_each(database, writer_class):
    storage = open_storage(database)
    counting = CountingStorage(storage)
    writer = writer_class(counting)

    async def main():
        uploads = [_upload(i) for i in range(100)]
        first = await asyncio.gather(*(writer.put(it, c) for it, c in uploads))
        again = await asyncio.gather(*(writer.put(it, c) for it, c in uploads[:10]))
        return first, again

    try:
        first, again = asyncio.run(main())
        assert len({i for i, _ in first}) == 100 and not any(d for _, d in first)
        assert again == [(i, True) for i, _ in first[:10]]
        assert sum(counting.groups) == 110
        assert max(counting.groups) > 1, counting.groups  # 100 waiting uploads were not stored one by one
        assert max(counting.groups) <= 64
        assert storage.stored_content_count() == 100
    finally:
        storage.close()


@WRITERS
def test_a_failed_group_answers_every_upload_in_it_and_the_writer_goes_on(tmp_path, writer_class):
    storage = open_storage(str(tmp_path / "relay.sqlite3"))
    writer = writer_class(storage)

    async def main():
        good, content = _upload(2)
        broken = NewItem(None, _item(1).name, good.digest, 5, CM, "43", HC, "11")
        outcomes = await asyncio.gather(writer.put(broken, content), return_exceptions=True)
        later = await writer.put(good, content)
        return outcomes, later

    try:
        outcomes, later = asyncio.run(main())
        assert isinstance(outcomes[0], Exception)
        assert later[1] is False and storage.stored_content_count() == 1
    finally:
        storage.close()


@WRITERS
def test_the_writer_refuses_a_wrong_digest_or_an_unsealed_body_and_stores_the_rest(database, writer_class):
    storage = open_storage(database)
    writer = writer_class(storage)
    good, content = _upload(1)
    plain = b"1,2,3\r\n"

    async def main():
        return await asyncio.gather(
            writer.put(good, content),
            writer.put(_item(2, wire.digest(content)), content[:-1]),        # cut short: digest differs
            writer.put(_item(3, wire.digest(plain)), plain),                  # digest right, not sealed
            return_exceptions=True)

    try:
        stored, cut, unsealed = asyncio.run(main())
        assert stored[1] is False
        assert isinstance(cut, Refused) and cut.code == wire.BAD_DIGEST
        assert isinstance(unsealed, Refused) and unsealed.code == wire.NOT_SEALED
        assert storage.stored_content_count() == 1
        assert storage.download(stored[0], HC)[1] == content
    finally:
        storage.close()


def test_a_writer_with_its_own_store_function_stores_groups_with_it(database):
    """``store=`` replaces the checks and the write (tests/bench/floor_app.py passes ``put_items``
    alone): an unsealed body is then stored as it came, and the groups still go through it."""
    storage = open_storage(database)
    groups = []

    def store(s, group):
        groups.append(len(group))
        return s.put_items(group)

    writer = ItemWriter(storage, store=store)
    plain = b"1,2,3\r\n"

    async def main():
        return await asyncio.gather(*(writer.put(_item(i, wire.digest(plain)), plain) for i in range(5)))

    try:
        answers = asyncio.run(main())
        assert [dup for _, dup in answers] == [False] * 5
        assert sum(groups) == 5
        assert storage.download(answers[0][0], HC)[1] == plain
    finally:
        storage.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the lock file needs fcntl")
def test_sqlite_writers_queue_on_the_lock_file_instead_of_failing(tmp_path):
    """Several workers write one SQLite file: a writer that finds another committing waits for it
    (on ``<database>.lock``) and then stores, however long the other takes."""
    import fcntl

    db = str(tmp_path / "relay.sqlite3")
    storage = open_storage(db)
    other = open_storage(db)
    done = threading.Event()
    result = []
    lock = os.open(db + ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker in the middle of its commit
        thread = threading.Thread(target=lambda: (result.append(storage.put_item(*_upload(1))), done.set()))
        thread.start()
        assert not done.wait(0.3), "the writer did not wait for the lock"
        fcntl.flock(lock, fcntl.LOCK_UN)
        assert done.wait(10), "the writer did not go on once the lock was free"
        thread.join(10)
        assert result[0][1] is False

        # Two storages on the same file, each from its own thread, all at once: every upload stored.
        def burst(st, first):
            for i in range(first, first + 40):
                st.put_items([_upload(i)])
        threads = [threading.Thread(target=burst, args=(st, first)) for st, first in ((storage, 10), (other, 50))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert storage.stored_content_count() == 81
    finally:
        os.close(lock)
        storage.close()
        other.close()


def _refuse_service(storage, database: str, service: str) -> None:
    """Make the database refuse to store one service code, as a failing disk or a lost connection
    would refuse a statement in the middle of a registration."""
    if database.startswith("postgresql://"):
        storage._execute("CREATE OR REPLACE FUNCTION refuse_svc() RETURNS trigger LANGUAGE plpgsql AS "
                         f"$$ BEGIN IF NEW.service = '{service}' THEN RAISE EXCEPTION 'refused'; END IF; "
                         "RETURN NEW; END $$", (), fetch=False)
        storage._execute("CREATE TRIGGER refuse_svc BEFORE INSERT ON office_services FOR EACH ROW "
                         "EXECUTE FUNCTION refuse_svc()", (), fetch=False)
    else:
        storage._execute("CREATE TRIGGER refuse_svc BEFORE INSERT ON office_services "
                         f"WHEN NEW.service = '{service}' BEGIN SELECT RAISE(ABORT, 'refused'); END", (),
                         fetch=False)


def test_registering_an_office_is_one_transaction(database):
    """Replacing an office's sites deletes the old ones and inserts the new: a failure half-way must
    leave the office as it was, not without sites (which routes every item to the whole office)."""
    storage = open_storage(database)
    try:
        storage.register_office(HC, ["11", "13"], "old name")
        _refuse_service(storage, database, "99")
        with pytest.raises(Exception):
            storage.register_office(HC, ["11", "15", "99"], "new name")
        assert storage.services(HC) == ["11", "13"]
        assert storage.office_entry(HC)[1] == "old name"
        storage.register_office(HC, ["15"], "new name")
        assert storage.services(HC) == ["15"]
    finally:
        storage.close()
