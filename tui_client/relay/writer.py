"""Where uploads are checked and stored: in groups, away from the event loop that reads requests.

Two writers with one interface, ``await writer.put(item, content)`` → (id, duplicate), or raises
Refused (wrong digest, not sealed), Conflict (name stored with other content) or StorageError:

- ``ItemWriter``: a thread in the relay process. Used by the app on its own (tests, Windows).
- The store process (``StoreProcess`` starts it, ``StoreClient`` talks to it from each uvicorn
  worker over a Unix socket): what ``tsunagi relay`` runs. Hashing, the envelope check and SQLite
  then have a process and a GIL of their own; a thread in the event loop's process waits for the
  GIL after every call into C, and the event loop waits for it in turn (docs/benchmarks.md).
  All workers of a relay share the one store process, so SQLite has one writer.

Both store what waits in one transaction (``store_group``) and answer each upload only after it.
Imports neither FastAPI nor uvicorn: the store process starts light.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
import threading
from typing import Optional, Sequence, Tuple

from tui_client.relay.envelope import Refused, check_sealed
from tui_client.relay.storage import Conflict, NewItem, Storage, StorageError

log = logging.getLogger("tsunagi.relay")

#: A group is at most this many uploads (the store process also stops at GROUP_BYTES): one
#: transaction, one append.
GROUP_ITEMS = 64
GROUP_BYTES = 32 << 20


class ItemWriter:
    """Checks and stores uploads in groups, on a thread of its own: every upload that arrives while
    one group is being written joins the next, and a group is one transaction (one commit), so the
    event loop keeps reading requests meanwhile. An upload is answered only after its group has
    committed. (``tsunagi relay`` uses the store process instead, ``StoreProcess`` below: the same
    work without sharing the event loop's GIL.)"""

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



# --- the store process --------------------------------------------------------------------------
#
# Frames on the Unix socket. Request: "!II" (head length, body length), head = JSON
# [seq, kind, name, digest, size, sender, sender_service, recipient, recipient_service], body =
# the sealed bytes. Answer: "!I" (length), JSON [seq, "ok", id, duplicate] | [seq, "refused", code,
# detail] | [seq, "conflict", id] | [seq, "unavailable", detail].

_REQUEST = struct.Struct("!II")
_ANSWER = struct.Struct("!I")
_MAX_HEAD = 64 * 1024


def encode_request(seq: int, item: NewItem, content: bytes) -> list:
    head = json.dumps([seq, item.kind, item.name, item.digest, item.size, item.sender, item.sender_service,
                       item.recipient, item.recipient_service], separators=(",", ":")).encode("utf-8")
    return [_REQUEST.pack(len(head), len(content)), head, content]


def decode_requests(buf: bytearray, max_body: int) -> Tuple[list, int]:
    """Complete requests at the start of ``buf``: ([(seq, item, body)], bytes used). ValueError when
    the stream is not ours (a length out of range, a head that is not our JSON)."""
    out = []
    pos = 0
    n = len(buf)
    while n - pos >= _REQUEST.size:
        head_len, body_len = _REQUEST.unpack_from(buf, pos)
        if head_len > _MAX_HEAD or body_len > max_body:
            raise ValueError("frame too large")
        end = pos + _REQUEST.size + head_len + body_len
        if end > n:
            break
        h = pos + _REQUEST.size
        seq, *fields = json.loads(bytes(buf[h:h + head_len]))
        out.append((seq, NewItem(*fields), bytes(buf[h + head_len:end])))
        pos = end
    return out, pos


def encode_answer(seq: int, result) -> bytes:
    if isinstance(result, Refused):
        obj = [seq, "refused", result.code, result.detail]
    elif isinstance(result, Conflict):
        obj = [seq, "conflict", result.args[0] if result.args else ""]
    elif isinstance(result, Exception):
        obj = [seq, "unavailable", "storage busy or unavailable"]
    else:
        obj = [seq, "ok", result[0], bool(result[1])]
    payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return _ANSWER.pack(len(payload)) + payload


def decode_answer(obj: list):
    kind = obj[1]
    if kind == "ok":
        return (obj[2], obj[3])
    if kind == "refused":
        return Refused(obj[2], obj[3])
    if kind == "conflict":
        return Conflict(obj[2])
    return StorageError(obj[2] if len(obj) > 2 else "store process unavailable")


class _StoreConnection(asyncio.Protocol):
    """One worker's connection to the store process: requests go out in order, answers come back
    by sequence number. A lost connection fails every upload still waiting (they retry)."""

    def __init__(self):
        self.transport = None
        self.buf = bytearray()
        self.waiting: dict = {}
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        pos = 0
        while len(buf) - pos >= _ANSWER.size:
            (n,) = _ANSWER.unpack_from(buf, pos)
            if len(buf) - pos - _ANSWER.size < n:
                break
            start = pos + _ANSWER.size
            obj = json.loads(bytes(buf[start:start + n]))
            pos = start + n
            future = self.waiting.pop(obj[0], None)
            if future is not None and not future.done():
                future.set_result(decode_answer(obj))
        if pos:
            del buf[:pos]

    def connection_lost(self, exc) -> None:
        self.closed = True
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_result(StorageError("store process went away"))


class StoreClient:
    """The store process, as a uvicorn worker's event loop sees it. Connects on first use and again
    after the connection is lost; uploads while it cannot be reached are answered "retry later"."""

    def __init__(self, path: str, arrivals=None):
        self.path = path
        self.arrivals = arrivals
        self._conn: Optional[_StoreConnection] = None
        self._connecting: Optional[asyncio.Future] = None
        self._seq = 0

    async def _connection(self) -> _StoreConnection:
        conn = self._conn
        if conn is not None and not conn.closed:
            return conn
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done() and self._connecting is connecting:
                self._connecting = None

    async def _connect(self) -> _StoreConnection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(loop.create_unix_connection(_StoreConnection, self.path), 10)
        except (OSError, asyncio.TimeoutError) as exc:
            raise StorageError(f"store process unreachable: {type(exc).__name__}") from exc
        self._conn = conn
        return conn

    async def put(self, item: NewItem, content: bytes):
        conn = await self._connection()
        self._seq += 1
        seq = self._seq
        future = asyncio.get_running_loop().create_future()
        conn.waiting[seq] = future
        conn.transport.writelines(encode_request(seq, item, content))
        return _outcome(await future, item, self.arrivals)


class _Peer:
    __slots__ = ("sock", "inbuf", "outbuf")

    def __init__(self, sock):
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()


def serve(path: str, storage: Storage, *, max_body: int, parent_fd: Optional[int] = None,
          ready=None) -> None:
    """The store process's loop: accept workers on ``path``, read every request waiting, check and
    store them a group at a time, answer. Returns when ``parent_fd`` reaches end of file (the relay
    that started it has gone)."""
    import selectors
    import socket

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(128)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    if parent_fd is not None:
        sel.register(parent_fd, selectors.EVENT_READ, "parent")
    scratch = memoryview(bytearray(1 << 20))  # one buffer for every read
    if ready is not None:
        ready()
    try:
        while True:
            pending = []
            for key, mask in sel.select():
                if key.data is None:
                    _accept(listener, sel)
                elif key.data == "parent":
                    if not os.read(parent_fd, 4096):
                        return
                else:
                    peer = key.data
                    if mask & selectors.EVENT_WRITE:
                        _flush(peer, sel)
                    if mask & selectors.EVENT_READ:
                        _read(peer, sel, pending, max_body, scratch)
            for start in _groups(pending):
                group = pending[start[0]:start[1]]
                results = store_group(storage, [(item, body) for _, _, item, body in group])
                for (peer, seq, _, _), result in zip(group, results):
                    peer.outbuf += encode_answer(seq, result)
            for peer in {p for p, _, _, _ in pending}:
                _flush(peer, sel)
    finally:
        sel.close()
        listener.close()


def _groups(pending: list):
    start = 0
    size = 0
    for i, (_, _, _, body) in enumerate(pending):
        if i > start and (i - start >= GROUP_ITEMS or size + len(body) > GROUP_BYTES):
            yield start, i
            start, size = i, 0
        size += len(body)
    if start < len(pending):
        yield start, len(pending)


def _accept(listener, sel) -> None:
    import selectors

    while True:
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            log.warning("store process: a worker could not connect")
            return
        sock.setblocking(False)
        peer = _Peer(sock)
        sel.register(sock, selectors.EVENT_READ, peer)


def _read(peer: _Peer, sel, pending: list, max_body: int, scratch: memoryview) -> None:
    while True:
        try:
            n = peer.sock.recv_into(scratch)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            n = 0
        if not n:
            _drop(peer, sel)
            return
        peer.inbuf += scratch[:n]
        if n < len(scratch):
            break
    try:
        requests, used = decode_requests(peer.inbuf, max_body)
    except (ValueError, TypeError) as exc:
        log.warning("store process: dropped a connection that sent %s", type(exc).__name__)
        _drop(peer, sel)
        return
    if used:
        del peer.inbuf[:used]
    pending.extend((peer, seq, item, body) for seq, item, body in requests)


def _flush(peer: _Peer, sel) -> None:
    import selectors

    if peer.sock.fileno() < 0:
        return
    while peer.outbuf:
        try:
            n = peer.sock.send(peer.outbuf)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            _drop(peer, sel)
            return
        del peer.outbuf[:n]
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if peer.outbuf else 0)
    sel.modify(peer.sock, events, peer)


def _drop(peer: _Peer, sel) -> None:
    if peer.sock.fileno() >= 0:
        sel.unregister(peer.sock)
        peer.sock.close()
    peer.outbuf.clear()


class StoreProcess:
    """Starts the store process for ``tsunagi relay`` and keeps it running: a process that exits
    is started again. Its socket is in a folder only this user can enter."""

    def __init__(self):
        import tempfile

        self.folder = tempfile.mkdtemp(prefix="tsunagi-store-")
        self.path = os.path.join(self.folder, "store.sock")
        self.proc = None
        self._stopping = threading.Event()
        self._watcher: Optional[threading.Thread] = None

    @staticmethod
    def supported() -> bool:
        import socket

        return os.name == "posix" and hasattr(socket, "AF_UNIX")

    def start(self, timeout: float = 60.0) -> "StoreProcess":
        self._spawn(timeout)
        self._watcher = threading.Thread(target=self._watch, name="store-watch", daemon=True)
        self._watcher.start()
        return self

    def _spawn(self, timeout: float) -> None:
        import subprocess
        import sys

        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        # Settings (with the database URL, which may hold a password) come from the environment.
        proc = subprocess.Popen([sys.executable, "-m", "tui_client.relay.writer", self.path],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = _readline(proc.stdout, timeout)
        if ready.strip() != b"ready":
            proc.kill()
            proc.wait()
            raise RuntimeError("the relay's store process did not start (see the log above)")
        self.proc = proc

    def _watch(self) -> None:
        import time

        while not self._stopping.is_set():
            proc = self.proc
            code = proc.wait()
            if self._stopping.is_set():
                return
            log.error("store process exited (code %s); starting it again", code)
            time.sleep(1.0)
            try:
                self._spawn(60.0)
            except Exception:  # logged; tried again after the next second
                log.exception("store process did not start again")

    def stop(self) -> None:
        import shutil
        import subprocess

        self._stopping.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.stdin.close()  # end of file: the store process finishes its group and exits
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _readline(stream, timeout: float) -> bytes:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if not sel.select(timeout):
            return b""
    return stream.readline()


def main(argv: Sequence[str]) -> int:
    """``python -m tui_client.relay.writer SOCKET``: the store process (started by StoreProcess)."""
    import sys

    from tui_client.relay.settings import SETTINGS_ENV, RelaySettings
    from tui_client.relay.server import _setup_logging
    from tui_client.relay.storage import open_storage

    import signal

    # A Ctrl-C or a SIGTERM to the relay's process group reaches this process too: it goes on
    # storing what the workers still send and stops when the relay closes its stdin (or dies).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _setup_logging(os.environ.get("TSUNAGI_RELAY_LOG_LEVEL", "info"))
    settings = RelaySettings.from_env(os.environ[SETTINGS_ENV])
    storage = open_storage(settings.database)

    def ready() -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()

    try:
        serve(argv[0], storage, max_body=settings.max_item_bytes, parent_fd=sys.stdin.fileno(), ready=ready)
    finally:
        storage.close()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
