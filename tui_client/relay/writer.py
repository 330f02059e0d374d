"""Where uploads are checked and stored: in groups, one transaction (``store_group``) each, on a
thread of its own, and each upload is answered only after its group has committed — that is, after
its content and its row are on disk (SQLite: ``fdatasync`` of the content, then a commit with
``synchronous=FULL``; PostgreSQL: its commit). The event loop never waits for a disk: it keeps
reading the next requests, which join the next group, so one sync covers many uploads.

``await writer.put(item, content)`` → (id, duplicate), or raises Refused (wrong digest, not
sealed), Conflict (name stored with other content) or StorageError.

Several workers (processes) each have their own writer; SQLite orders their commits with a lock
file (``SQLiteStorage._transaction``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Optional, Sequence, Tuple

from tui_client.relay.envelope import Refused, check_sealed
from tui_client.relay.storage import NewItem, Storage, StorageError

log = logging.getLogger("tsunagi.relay")

#: A group is at most this many uploads: one transaction, one append.
GROUP_ITEMS = 64


class ItemWriter:
    """Checks and stores uploads in groups, on a thread of its own: every upload that arrives while
    one group is being written (and synced) joins the next, and a group is one transaction (one
    commit, one sync). An upload is answered only after its group has committed."""

    def __init__(self, storage: Storage, arrivals=None, max_group: int = GROUP_ITEMS, store=None):
        """``store(storage, group)`` → one result per upload (default ``store_group``: the checks,
        then ``put_items``); tests/bench/floor_app.py passes the storage write alone."""
        import queue

        self.storage = storage
        self.arrivals = arrivals
        self.max_group = max_group
        self.store = store or store_group
        self._queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    async def put(self, item: NewItem, content: bytes):
        """(id, duplicate), or raises Refused (digest or envelope wrong), Conflict or StorageError."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((item, content, future, loop))
        if self._thread is None:
            self._start()
        return _outcome(await future, item, self.arrivals)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="relay-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        import queue

        while True:
            group = [self._queue.get()]
            while len(group) < self.max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            results = self.store(self.storage, [(item, content) for item, content, _, _ in group])
            by_loop: dict = {}
            for (_, _, future, loop), result in zip(group, results):
                by_loop.setdefault(loop, []).append((future, result))
            for loop, pairs in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, pairs)
                except RuntimeError:  # that event loop has closed: nobody is waiting any more
                    pass


def store_group(storage: Storage, group: Sequence[Tuple[NewItem, bytes]]) -> list:
    """Check and store a group of uploads in one transaction: for each, (id, duplicate) or the
    exception to raise for it (Refused, Conflict, StorageError). Logs one record for the group."""
    results: list = [check_sealed(item.digest, content) for item, content in group]
    results = [Refused(*r) if r else None for r in results]
    todo = [i for i, r in enumerate(results) if r is None]
    if todo:
        try:
            stored = storage.put_items([group[i] for i in todo])
        except Exception as exc:  # StorageError, or a bug: every upload of the group gets it
            if not isinstance(exc, StorageError):
                log.exception("storing uploads failed")
            stored = [exc] * len(todo)
        for i, r in zip(todo, stored):
            results[i] = r
    if log.isEnabledFor(logging.INFO):
        lines = [f"  upload id={r[0]} name={item.name} size={item.size} sha256={item.digest[:16]} dup={r[1]}"
                 for (item, _), r in zip(group, results) if not isinstance(r, Exception)]
        if lines:  # one record per group, a line per upload: records cost more than their lines
            log.info("stored %d upload(s)\n%s", len(lines), "\n".join(lines))
    return results


def _outcome(result, item: NewItem, arrivals):
    """What a writer's ``put`` returns for one upload: (id, duplicate), or the exception raised; a new
    item wakes its recipient's waiting mailbox requests in this process."""
    if isinstance(result, Exception):
        raise result
    if arrivals is not None and not result[1]:
        arrivals.notify(item.recipient)
    return result


def _settle(pairs) -> None:
    for future, result in pairs:
        if not future.done():
            future.set_result(result)
