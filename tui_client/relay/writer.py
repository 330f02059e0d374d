"""Where uploads are checked and stored: in groups, one transaction (``store_group``) each, and
each upload is answered only after its group has committed.

Two writers with one interface, ``await writer.put(item, content)`` → (id, duplicate), or raises
Refused (wrong digest, not sealed), Conflict (name stored with other content) or StorageError:

- ``LoopWriter``: in the event loop's own thread, for storage that waits for neither fsync nor the
  network (``Storage.quick_writes``: SQLite, not durable), which is what ``tsunagi relay`` runs by
  default. Handing uploads to a thread costs a wait for the GIL after every call into C, and to a
  process costs copying them over a socket; both cost more than storing them (docs/benchmarks.md).
- ``ItemWriter``: a thread of its own, for storage that waits (PostgreSQL, durable SQLite): the
  event loop keeps reading requests meanwhile.

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
    one group is being written joins the next, and a group is one transaction (one commit), so the
    event loop keeps reading requests meanwhile. An upload is answered only after its group has
    committed."""

    def __init__(self, storage: Storage, arrivals=None, max_group: int = GROUP_ITEMS):
        import queue

        self.storage = storage
        self.arrivals = arrivals
        self.max_group = max_group
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
            results = store_group(self.storage, [(item, content) for item, content, _, _ in group])
            by_loop: dict = {}
            for (_, _, future, loop), result in zip(group, results):
                by_loop.setdefault(loop, []).append((future, result))
            for loop, pairs in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, pairs)
                except RuntimeError:  # that event loop has closed: nobody is waiting any more
                    pass


class LoopWriter:
    """Checks and stores uploads in the event loop's own thread, in a callback: uploads that arrive
    while it waits form one group; it waits one more turn of the loop for as long as each turn brings
    more, up to ``max_group``, then stores the group (one transaction) and answers each upload; a
    lone upload goes within two turns. For storage that does not wait for fsync or the network
    (``Storage.quick_writes``: SQLite with ``synchronous=NORMAL``, content through O_DIRECT), where
    handing the group to another thread or process costs more than storing it (docs/benchmarks.md).
    """

    def __init__(self, storage: Storage, arrivals=None, max_group: int = GROUP_ITEMS):
        self.storage = storage
        self.arrivals = arrivals
        self.max_group = max_group
        self._pending: list = []
        self._counted = 0  # uploads waiting at the last look

    async def put(self, item: NewItem, content: bytes):
        """(id, duplicate), or raises Refused (digest or envelope wrong), Conflict or StorageError."""
        future = asyncio.get_running_loop().create_future()
        if not self._pending:
            self._counted = 0
            future.get_loop().call_soon(self._store)
        self._pending.append((item, content, future))
        return _outcome(await future, item, self.arrivals)

    def _store(self) -> None:
        waiting = len(self._pending)
        if self._counted < waiting < self.max_group:
            # Uploads came in during the last turn: more may be on their way (the other
            # connections' requests being read), so wait one more turn. When a turn brings none, or
            # the group is full, store: one commit for many.
            self._counted = waiting
            asyncio.get_running_loop().call_soon(self._store)
            return
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self.max_group):
            group = pending[start:start + self.max_group]
            try:
                results = store_group(self.storage, [(item, content) for item, content, _ in group])
            except Exception as exc:  # a bug: the uploads fail, the relay goes on
                log.exception("storing uploads failed")
                results = [StorageError(str(exc))] * len(group)
            _settle([(future, result) for (_, _, future), result in zip(group, results)])


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
