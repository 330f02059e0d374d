"""Uploads are stored in groups (one transaction per group): the answers and the atomicity of a
group, on both backends, and the writer thread that forms the groups."""

import asyncio

import pytest

from tui_client.relay.app import ItemWriter
from tui_client.relay.storage import Conflict, NewItem, open_storage

CM, HC = "1370100011", "1370100029"


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


def test_the_writer_groups_concurrent_uploads_and_answers_each(database):
    storage = open_storage(database)
    counting = CountingStorage(storage)
    writer = ItemWriter(counting)

    async def main():
        items = [_item(i) for i in range(100)]
        first = await asyncio.gather(*(writer.put(it, b"x%d" % i) for i, it in enumerate(items)))
        again = await asyncio.gather(*(writer.put(it, b"x%d" % i) for i, it in enumerate(items[:10])))
        return first, again

    try:
        first, again = asyncio.run(main())
        assert len({i for i, _ in first}) == 100 and not any(d for _, d in first)
        assert again == [(i, True) for i, _ in first[:10]]
        assert sum(counting.groups) == 110
        assert max(counting.groups) > 1, counting.groups  # 100 waiting uploads were not stored one by one
        assert storage.stored_content_count() == 100
    finally:
        storage.close()


def test_a_failed_group_answers_every_upload_in_it_and_the_writer_goes_on(tmp_path):
    storage = open_storage(str(tmp_path / "relay.sqlite3"))
    writer = ItemWriter(storage)

    async def main():
        broken = NewItem(None, _item(1).name, "ab" * 32, 5, CM, "43", HC, "11")
        outcomes = await asyncio.gather(writer.put(broken, b"x"), return_exceptions=True)
        later = await writer.put(_item(2), b"y")
        return outcomes, later

    try:
        outcomes, later = asyncio.run(main())
        assert isinstance(outcomes[0], Exception)
        assert later[1] is False and storage.stored_content_count() == 1
    finally:
        storage.close()
