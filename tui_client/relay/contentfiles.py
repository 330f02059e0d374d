"""Sealed contents of a SQLite relay, kept in append-only files beside the database.

Why: a 20 KB blob in a SQLite row is written twice (to the WAL, then at the checkpoint) and costs
more than everything else an upload does (docs/benchmarks.md). Here a group of uploads is one
append to the writer's current *content file*, and each row holds only (file, offset); its size and
digest are in the row already. PostgreSQL keeps contents in its rows (several hosts share it).

Rules that keep this safe with several writers, processes and crashes:

- A content file is appended to by one writer (the thread that stores a worker's uploads), which
  holds an exclusive ``flock`` on it for as long as it may still append. A file is created under a
  temporary name, locked, then renamed, so nobody can find it unlocked before its writer is done.
- Contents are written (and with ``durable``, ``fdatasync``-ed) before the rows pointing at them are
  committed: a crash in between leaves bytes no row points at, never a row without its content.
- Deleting an item's content (a receipt, a withdrawal) overwrites its bytes with zeros at once. A file
  that no writer holds and no row points at is removed: after such a deletion, when its writer moves
  on to a new file, and when the relay starts (which also clears what a crash left behind).

Where the OS and file system allow it (Linux, ext4/xfs/btrfs), contents are written with ``O_DIRECT``
through one reused, aligned buffer: they go to the disk without filling the page cache, which a relay
never reads them back from soon enough to be worth it (a recipient downloads minutes or hours later),
and copying a 20 KB upload into fresh page-cache memory was a third of the time spent storing it on
the reference box (docs/benchmarks.md). Each group then ends on a 4 KiB boundary: the gap is zeros
no row points at. Where ``O_DIRECT`` is refused, ordinary buffered appends are used; readers cannot tell.

Only where ``fcntl`` exists (Linux, macOS, BSD); elsewhere the relay keeps contents in the database.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
import time
from typing import Callable, List, Optional, Sequence, Tuple

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: contents stay in the database
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".content"
_TMP = ".tmp"
_O_DIRECT = getattr(os, "O_DIRECT", 0)
_ALIGN = 4096           # offsets and lengths of direct writes: covers 512-byte and 4 KiB sectors
_CHUNK = 1 << 20        # the aligned buffer a direct write goes through
_ZEROS = bytes(_ALIGN)


class ContentError(OSError):
    """A content file could not be written or read (disk full, removed, damaged)."""


class ContentFiles:
    """The content files of one database, in ``folder``. Each thread that calls ``append`` has a
    current file of its own; every other method may be called from any thread or process."""

    #: A writer moves on to a new file after this many bytes or seconds, so old files can go.
    max_bytes = 64 << 20
    max_age = 3600.0

    def __init__(self, folder: str, *, durable: bool = False):
        self.folder = folder
        self.durable = durable
        #: Write with O_DIRECT; turned off for good the first time the file system refuses it.
        self.direct = bool(_O_DIRECT)
        os.makedirs(folder, exist_ok=True)
        self._local = threading.local()

    @staticmethod
    def available() -> bool:
        return fcntl is not None

    def path(self, name: str) -> str:
        if os.sep in name or "/" in name or not name.endswith(SUFFIX):
            raise ContentError(f"not a content file name: {name!r}")
        return os.path.join(self.folder, name)

    # -- writing (the thread that stores uploads)
    def append(self, contents: Sequence[bytes], still_used: Callable[[str], bool]) -> Tuple[str, List[int]]:
        """Append contents to this thread's current file: (file name, offset of each). On an error
        nothing that was written counts, and the caller stores no row pointing at it."""
        fd, name, size, direct = self._current(still_used)
        offsets = []
        at = size
        for c in contents:
            offsets.append(at)
            at += len(c)
        try:
            if direct:
                at = _write_direct(fd, contents, size, self._buffer())
            else:
                _write_all(fd, contents)
            if self.durable:
                os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
        except OSError as exc:
            self.close(still_used)  # a half-written tail stays unreferenced; start afresh
            if direct and exc.errno == errno.EINVAL:  # this file system takes no direct writes after all
                self.direct = False
                return self.append(contents, still_used)
            raise ContentError(exc.errno, exc.strerror) from exc
        self._local.current = (fd, name, at, direct)
        return name, offsets

    def _buffer(self) -> memoryview:
        buf = getattr(self._local, "buffer", None)
        if buf is None:
            buf = self._local.buffer = memoryview(mmap.mmap(-1, _CHUNK))  # page-aligned, reused
        return buf

    def _current(self, still_used) -> Tuple[int, str, int, bool]:
        current = getattr(self._local, "current", None)
        if current is not None:
            size = current[2]
            if size < self.max_bytes and time.monotonic() - self._local.opened < self.max_age:
                return current
            self.close(still_used)
        name = f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{os.urandom(6).hex()}{SUFFIX}"
        final = os.path.join(self.folder, name)
        tmp = final + _TMP
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        direct = self.direct
        try:
            try:
                fd = os.open(tmp, flags | (_O_DIRECT if direct else os.O_APPEND), 0o600)
            except OSError as exc:
                if not (direct and exc.errno == errno.EINVAL):
                    raise
                self.direct = direct = False  # e.g. tmpfs: no direct I/O here
                fd = os.open(tmp, flags | os.O_APPEND, 0o600)
        except OSError as exc:
            raise ContentError(exc.errno, exc.strerror) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(tmp, final)
        except OSError as exc:
            os.close(fd)
            raise ContentError(exc.errno, exc.strerror) from exc
        self._local.current = (fd, name, 0, direct)
        self._local.opened = time.monotonic()
        return self._local.current

    def close(self, still_used: Optional[Callable[[str], bool]] = None) -> None:
        """Stop appending from this thread (its file is removed when nothing in it is used)."""
        current = getattr(self._local, "current", None)
        self._local.current = None
        if current is not None:
            os.close(current[0])  # releases the lock
            if still_used is not None:
                self.collect(current[1], still_used)

    # -- reading and deleting (any thread or process)
    def read(self, name: str, offset: int, size: int) -> bytes:
        try:
            fd = os.open(self.path(name), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise ContentError(exc.errno, exc.strerror) from exc
        try:
            data = os.pread(fd, size, offset)
        finally:
            os.close(fd)
        if len(data) != size:
            raise ContentError(f"content file {name} is shorter than its items")
        return data

    def erase(self, name: str, offset: int, size: int) -> None:
        """Overwrite one item's bytes with zeros (best effort: a missing file has nothing to erase)."""
        try:
            fd = os.open(self.path(name), os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        try:
            zeros = bytes(min(size, 1 << 20))
            done = 0
            while done < size:
                n = os.pwrite(fd, zeros[:size - done], offset + done)
                if n <= 0:
                    break
                done += n
        except OSError:
            pass
        finally:
            os.close(fd)

    def collect(self, name: str, still_used: Callable[[str], bool]) -> bool:
        """Remove the file when no writer holds it and ``still_used(name)`` is false. True if removed."""
        return _unlink_if_free(self.path(name), lambda: still_used(name))

    def sweep(self, still_used: Callable[[str], bool]) -> int:
        """At start-up: remove every file nobody holds or uses, and temporary files a crash left."""
        try:
            listing = sorted(os.listdir(self.folder))
        except OSError:
            return 0
        removed = 0
        for n in listing:
            if n.endswith(SUFFIX):
                removed += self.collect(n, still_used)
            elif n.endswith(SUFFIX + _TMP):
                removed += _unlink_if_free(os.path.join(self.folder, n), lambda: False)
        return removed


def _unlink_if_free(path: str, still_used: Callable[[], bool]) -> bool:
    """Remove ``path`` if no one holds its lock (a writer appending) and ``still_used()`` is false."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if still_used():
            return False
        os.unlink(path)
        return True
    except OSError:  # locked by a writer, or gone meanwhile
        return False
    finally:
        os.close(fd)


def _write_direct(fd: int, contents: Sequence[bytes], at: int, buf: memoryview) -> int:
    """Write ``contents`` at ``at`` (aligned) through ``buf``, zero-padded to the next aligned
    offset, which is returned. A short write (a full disk) is an error: the caller starts afresh."""
    fill = 0

    def flush(n: int) -> None:
        nonlocal at
        if os.pwrite(fd, buf[:n], at) != n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        at += n

    for c in contents:
        c = memoryview(c)
        while c:
            n = min(len(c), _CHUNK - fill)
            buf[fill:fill + n] = c[:n]
            fill += n
            c = c[n:]
            if fill == _CHUNK:
                flush(_CHUNK)
                fill = 0
    if fill:
        end = -(-fill // _ALIGN) * _ALIGN
        buf[fill:end] = _ZEROS[:end - fill]
        flush(end)
    return at


def _write_all(fd: int, contents: Sequence[bytes]) -> None:
    """All of ``contents`` in as few system calls as the OS allows (writev, then what is left)."""
    pending = [memoryview(c) for c in contents if len(c)]
    while pending:
        batch = pending[:512]
        n = os.writev(fd, batch) if hasattr(os, "writev") else os.write(fd, batch[0])
        if n <= 0:
            raise OSError(5, "write returned nothing")
        while n and pending:
            head = pending[0]
            if n >= len(head):
                n -= len(head)
                pending.pop(0)
            else:
                pending[0] = head[n:]
                n = 0
