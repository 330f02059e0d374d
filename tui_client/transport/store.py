"""Durable folders on disk: the outbox, the error shelf, the inbox (and the archive's records).

A *shelf* is a folder of entries; an entry is one file ``<key>.entry``: its record (one line of
JSON) and, after the first newline, its payload. It is written atomically (temporary file, fsync,
rename, fsync of the folder), so a crash at any point leaves the old entry or the new one, whole.
One file per entry, not a payload and a record apart: creating files is what costs most on slow
disks and on PCs whose virus scanner looks at every new file (docs/benchmarks.md). Nothing is
deleted until the step after it is safe on disk (the relay confirmed, or the item is stored in the
archive).

Keys are item names or relay ids (letters, digits, ``_``, ``-``, ``.``); anything else is refused.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

_KEY = re.compile(r"[0-9A-Za-z_.\-]{1,200}\Z")
_ORPHAN_AGE = 3600.0


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows cannot open a directory; NTFS renames are journaled
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{time.monotonic_ns()}-{path.name}")
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def check_key(key: str) -> str:
    if not _KEY.match(key) or key.startswith("."):
        raise ValueError(f"unsafe entry key: {key!r}")
    return key


def _write_unsynced(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{time.monotonic_ns()}-{path.name}")
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)
    return tmp


def _entry_bytes(record: dict, payload: bytes) -> bytes:
    head = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")  # one line
    return head + b"\n" + bytes(payload)


def _record(head: bytes) -> dict:
    try:
        rec = json.loads(head.decode("utf-8"))
    except ValueError:  # a damaged record: report it as an entry with no facts, never crash
        return {"damaged": True}
    return rec if isinstance(rec, dict) else {"damaged": True}


class Batch:
    """Many entries made durable with one flush instead of one fsync per file.

    ``put``/``update`` write temporary files; ``commit`` flushes them all to disk (``os.sync()`` where
    it exists, else an fsync per file), renames them into place and flushes the folders. A crash
    before ``commit`` returns leaves each entry whole or absent, exactly as single writes do; only
    after ``commit`` may the caller say "queued" or forget the source.
    A batch of 300 files went from ~11 fsyncs per file to two flushes in all (docs/benchmarks.md).
    """

    def __init__(self):
        self._pending: List[Tuple[Path, Path]] = []   # (temporary, final)

    def put(self, shelf: "Shelf", key: str, record: dict, payload: bytes) -> None:
        path = shelf._path(key)
        self._pending.append((_write_unsynced(path, _entry_bytes(record, payload)), path))

    def commit(self) -> None:
        if not self._pending:
            return
        if hasattr(os, "sync"):
            os.sync()
        else:  # pragma: no cover - Windows: no global flush
            for tmp, _ in self._pending:
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
        folders = []
        for tmp, final in self._pending:
            os.replace(tmp, final)
            if final.parent not in folders:
                folders.append(final.parent)
        for folder in folders:
            fsync_dir(folder)
        self._pending.clear()

    def abandon(self) -> None:
        for tmp, _ in self._pending:
            try:
                tmp.unlink()
            except OSError:
                pass
        self._pending.clear()


class Shelf:
    SUFFIX = ".entry"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.folder / f"{key}{self.SUFFIX}"

    def entry(self, key: str) -> Optional[Tuple[dict, bytes]]:
        """(record, payload) of an entry from one read, or None when there is none."""
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        head, _, payload = data.partition(b"\n")
        return _record(head), payload

    def put(self, key: str, record: dict, payload: bytes) -> None:
        write_atomic(self._path(key), _entry_bytes(record, payload))

    def update(self, key: str, record: dict) -> None:
        self.put(key, record, self.payload(key) or b"")

    def has(self, key: str) -> bool:
        return self._path(key).exists()

    def record(self, key: str) -> Optional[dict]:
        try:
            with open(self._path(key), "rb") as fh:
                return _record(fh.readline())
        except FileNotFoundError:
            return None

    def payload(self, key: str) -> Optional[bytes]:
        entry = self.entry(key)
        return None if entry is None else entry[1]

    def remove(self, key: str, *, sync: bool = True) -> None:
        """``sync=False`` when the caller flushes the folder once after removing many."""
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
        if sync and self.folder.exists():
            fsync_dir(self.folder)

    def move_to(self, key: str, other: "Shelf", record: Optional[dict] = None) -> None:
        """Copy the entry to ``other`` (durably), then remove it here: never in neither place."""
        payload = self.payload(key)
        rec = record if record is not None else (self.record(key) or {})
        other.put(key, rec, payload or b"")
        self.remove(key)

    def keys(self) -> List[str]:
        """Entries, oldest first. Removes temporary files left by a crash."""
        if not self.folder.exists():
            return []
        entries: Dict[str, float] = {}
        now = time.time()
        n = len(self.SUFFIX)
        for p in self.folder.iterdir():
            name = p.name
            if name.startswith(".tmp-"):
                try:
                    if now - p.stat().st_mtime > _ORPHAN_AGE:
                        p.unlink(missing_ok=True)
                except FileNotFoundError:  # another process finished or cleaned it meanwhile
                    pass
                continue
            if name.endswith(self.SUFFIX):
                try:
                    entries[name[:-n]] = p.stat().st_mtime
                except FileNotFoundError:
                    pass
        return sorted(entries, key=lambda k: (entries[k], k))

    def items(self) -> Iterator[Tuple[str, dict]]:
        for key in self.keys():
            rec = self.record(key)
            if rec is not None:
                yield key, rec

    def __len__(self) -> int:
        return len(self.keys())
