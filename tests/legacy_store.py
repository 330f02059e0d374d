"""FROZEN COPY of tui_client/transport/store.py as it was before the SQLite store (commit 80867a0), kept
only to write old-format spools for the migration test. Do not use it elsewhere.

Durable folders on disk: the outbox, the error shelf, the inbox (and the archive's records).

A *shelf* is a folder of entries. An entry has a key, a record (a JSON object) and a payload
(bytes). It lives in one of two kinds of file:

- ``<key>.entry``: one entry, its record (one line of JSON) and, after the first newline, its
  payload. ``Shelf.put`` writes one atomically (temporary file, fsync, rename, fsync of the folder).
- ``<time>-<pid>-<n>.pack``: many entries written together by a :class:`Batch` (a chunk of a send,
  the relay ids of a confirmed chunk). A pack is never changed in place: removing some of its entries
  writes a new pack with the rest over it, atomically.

Creating files is what costs most: on slow disks, on PCs whose virus scanner looks at every new file,
and on this project's reference box, where ext4's inode allocator made a creation cost 40–800 µs
(docs/benchmarks.md). A send of 300 files used to create 900 files; with packs it creates a few per
chunk of 50.

Which copy counts: an ``.entry`` beats any pack, and a newer pack beats an older one. ``put`` and
``update`` write an ``.entry``; a batch, on commit, removes the other copies of the keys it wrote
(their ``.entry`` files, their places in older packs), so the last write wins in both directions and
a key lives in at most one pack. ``remove`` removes every copy.

A crash at any point leaves each entry old or new, whole; nothing is deleted until the step after it
is safe on disk (the relay confirmed, or the item is stored in the archive). Two processes working on
the same outbox at once may upload an item twice, which the relay answers with the same id.

Keys are item names or relay ids (letters, digits, ``_``, ``-``, ``.``); anything else is refused.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

_KEY = re.compile(r"[0-9A-Za-z_.\-]{1,200}\Z")
_ORPHAN_AGE = 3600.0
_PACK_MAGIC = b"TSUNAGI-PACK 1\n"
_MAX_HEADER = 1 << 20
_pack_seq = itertools.count()


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows cannot open a directory; NTFS renames are journaled
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_name(folder: Path, name: str) -> Path:
    return folder / f".tmp-{os.getpid()}-{time.monotonic_ns()}-{name}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _create(path: Path, mode: int = 0o600) -> int:
    """A new file (never an existing one), open for writing bytes."""
    return os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new one, whole.
    ``sync_folder=False`` when the caller flushes the folder itself."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path.parent, path.name)
    fd = _create(tmp, mode)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_folder:
        fsync_dir(path.parent)


def check_key(key: str) -> str:
    if not _KEY.match(key) or key.startswith("."):
        raise ValueError(f"unsafe entry key: {key!r}")
    return key


def _entry_bytes(record: dict, payload: bytes) -> bytes:
    head = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")  # one line
    return head + b"\n" + bytes(payload)


def _record(head: bytes) -> dict:
    try:
        rec = json.loads(head.decode("utf-8"))
    except ValueError:  # a damaged record: report it as an entry with no facts, never crash
        return {"damaged": True}
    return rec if isinstance(rec, dict) else {"damaged": True}


# -- packs
def _pack_entry(key: str, record: dict, payload: bytes) -> bytes:
    """One entry of a pack: a header line naming the key and the payload's size, then the payload."""
    return _entry_bytes({"key": key, "size": len(payload), "record": record}, payload)


@dataclass(frozen=True)
class _Slot:
    """Where one entry of a pack sits."""
    key: str
    record: dict
    offset: int
    size: int


def _read_slots(fh: BinaryIO) -> List[_Slot]:
    """The entries of a pack, walking the headers. A damaged or cut-off pack yields the entries
    before the damage (packs are written whole and renamed, so only a failing disk cuts one)."""
    if fh.read(len(_PACK_MAGIC)) != _PACK_MAGIC:
        return []
    slots: List[_Slot] = []
    end = fh.seek(0, io.SEEK_END)
    pos = fh.seek(len(_PACK_MAGIC))
    while pos < end:
        line = fh.readline(_MAX_HEADER)
        try:
            head = json.loads(line.decode("utf-8"))
            key, size, record = check_key(head["key"]), int(head["size"]), head["record"]
        except (ValueError, KeyError, TypeError):
            break
        offset = pos + len(line)
        if size < 0 or offset + size > end or not isinstance(record, dict):
            break
        slots.append(_Slot(key, record, offset, size))
        pos = fh.seek(offset + size)
    return slots


def _pack_time(name: str, st: os.stat_result) -> int:
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else st.st_mtime_ns


@dataclass
class _Pack:
    name: str
    stamp: Tuple[int, int]           # size, mtime: a rewritten pack is read again
    time: int
    slots: List[_Slot]


def _stamp(st: os.stat_result) -> Tuple[int, int]:
    """What tells a pack was written again: a rewrite always drops entries, so its size changes (the
    inode is not used: Windows' directory listing does not give it)."""
    return (st.st_size, st.st_mtime_ns)


class Batch:
    """Many entries made durable together: one pack file per shelf and one flush, instead of a file
    and an fsync per entry.

    ``put``/``update`` append to a temporary pack per shelf; ``commit`` flushes them, renames them
    into place, removes older ``.entry`` copies of the same keys and flushes the folders. A crash
    before ``commit`` returns leaves the shelves as they were; only after ``commit`` may the caller
    say "queued" or forget the source.
    """

    def __init__(self):
        self._open: Dict[Path, Tuple["Shelf", int, Path, List[str]]] = {}

    def put(self, shelf: "Shelf", key: str, record: dict, payload: bytes) -> None:
        check_key(key)
        slot = self._open.get(shelf.folder)
        if slot is None:
            shelf.folder.mkdir(parents=True, exist_ok=True)
            tmp = _tmp_name(shelf.folder, "batch.pack")
            fd = _create(tmp)
            slot = self._open[shelf.folder] = (shelf, fd, tmp, [])
            try:
                _write_all(fd, _PACK_MAGIC)
            except BaseException:
                self.abandon()
                raise
        _write_all(slot[1], _pack_entry(key, record, payload))
        slot[3].append(key)

    def update(self, shelf: "Shelf", key: str, record: dict) -> None:
        """Replace an entry's record, keeping its payload."""
        self.put(shelf, key, record, shelf.payload(key) or b"")

    def commit(self) -> None:
        if not self._open:
            return
        opened = list(self._open.values())
        self._open.clear()
        try:
            for _, fd, _, _ in opened:
                os.fsync(fd)
        finally:
            for _, fd, _, _ in opened:
                os.close(fd)
        for shelf, _, tmp, keys in opened:
            final = shelf.folder / f"{time.time_ns():020d}-{os.getpid()}-{next(_pack_seq)}.pack"
            os.replace(tmp, final)
            # The new pack is now the only copy of these keys (a crash before this line leaves it
            # counting anyway, by the rules above).
            shelf.remove_many(keys, sync=False, keep_pack=final.name)
            fsync_dir(shelf.folder)

    def abandon(self) -> None:
        for _, fd, tmp, _ in self._open.values():
            try:
                os.close(fd)
            except OSError:
                pass
            try:
                tmp.unlink()
            except OSError:
                pass
        self._open.clear()


class Shelf:
    SUFFIX = ".entry"
    PACK_SUFFIX = ".pack"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._packs: Dict[str, _Pack] = {}
        self._index: Dict[str, Tuple[_Pack, _Slot]] = {}     # key → its newest pack copy, as last seen

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.folder / f"{key}{self.SUFFIX}"

    # -- what is there
    def _scan(self) -> Tuple[Dict[str, int], List[_Pack]]:
        """``.entry`` keys with their times, and the packs, oldest first (read again when changed).
        Removes temporary files left by a crash once they are old."""
        entries: Dict[str, int] = {}
        seen: Dict[str, _Pack] = {}
        try:
            listing = os.scandir(self.folder)
        except FileNotFoundError:
            self._packs, self._index = {}, {}
            return entries, []
        now = time.time()
        with listing:
            for de in listing:
                name = de.name
                try:
                    if name.startswith(".tmp-"):
                        if now - de.stat().st_mtime > _ORPHAN_AGE:
                            try:
                                os.unlink(de.path)
                            except PermissionError:   # still open somewhere (Windows): next time
                                pass
                    elif name.endswith(self.SUFFIX):
                        entries[name[:-len(self.SUFFIX)]] = de.stat().st_mtime_ns
                    elif name.endswith(self.PACK_SUFFIX):
                        pack = self._load_pack(name, de.stat())
                        if pack is not None:
                            seen[name] = pack
                except FileNotFoundError:  # another process finished or cleaned it meanwhile
                    continue
        packs = sorted(seen.values(), key=lambda p: (p.time, p.name))
        self._packs = seen
        self._index = {slot.key: (pack, slot) for pack in packs for slot in pack.slots}
        return entries, packs

    def _load_pack(self, name: str, st: os.stat_result) -> Optional[_Pack]:
        cached = self._packs.get(name)
        if cached is not None and cached.stamp == _stamp(st):
            return cached
        try:
            with open(self.folder / name, "rb") as fh:
                stamp = _stamp(os.fstat(fh.fileno()))
                slots = _read_slots(fh)
        except FileNotFoundError:
            return None
        return _Pack(name, stamp, _pack_time(name, st), slots)

    def _find(self, key: str, fresh: bool = False) -> Optional[Tuple[_Pack, _Slot]]:
        """The pack copy of ``key``. From the index as last seen while its pack is unchanged on disk
        (a batch that writes a key again takes it out of older packs, so an unchanged pack still
        holds the newest copy); otherwise after looking at the folder again."""
        if not fresh:
            found = self._index.get(key)
            if found is not None:
                try:
                    if _stamp(os.stat(self.folder / found[0].name)) == found[0].stamp:
                        return found
                except FileNotFoundError:
                    pass
        self._scan()
        return self._index.get(key)

    def _read_slot(self, pack: _Pack, slot: _Slot) -> Optional[bytes]:
        try:
            with open(self.folder / pack.name, "rb") as fh:
                if _stamp(os.fstat(fh.fileno())) != pack.stamp:
                    return None          # rewritten meanwhile: the caller looks again
                fh.seek(slot.offset)
                data = fh.read(slot.size)
        except FileNotFoundError:
            return None
        return data if len(data) == slot.size else None

    # -- one entry
    def entry(self, key: str) -> Optional[Tuple[dict, bytes]]:
        """(record, payload) of an entry, or None when there is none."""
        path = self._path(key)
        for attempt in range(5):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                pass
            else:
                head, _, payload = data.partition(b"\n")
                return _record(head), payload
            found = self._find(key, fresh=attempt > 0)
            if found is None:
                return None
            payload = self._read_slot(*found)
            if payload is not None:
                return found[1].record, payload
        return None

    def put(self, key: str, record: dict, payload: bytes) -> None:
        write_atomic(self._path(key), _entry_bytes(record, payload))

    def update(self, key: str, record: dict) -> None:
        self.put(key, record, self.payload(key) or b"")

    def has(self, key: str) -> bool:
        return self._path(key).exists() or self._find(key) is not None

    def record(self, key: str) -> Optional[dict]:
        try:
            with open(self._path(key), "rb") as fh:
                return _record(fh.readline())
        except FileNotFoundError:
            found = self._find(key)
            return None if found is None else found[1].record

    def payload(self, key: str) -> Optional[bytes]:
        entry = self.entry(key)
        return None if entry is None else entry[1]

    # -- removing
    def remove(self, key: str, *, sync: bool = True) -> None:
        self.remove_many([key], sync=sync)

    def remove_many(self, keys, *, sync: bool = True, keep_pack: str = "") -> None:
        """Remove every copy of these entries: their ``.entry`` files, and their places in packs (a
        pack left empty is deleted; one with others in it is written again without them), except in
        the pack ``keep_pack``. ``sync=False`` when the caller flushes the folder itself."""
        gone = set(keys)
        for key in gone:
            try:
                os.unlink(self._path(key))
            except FileNotFoundError:
                pass
        for pack in self._scan()[1]:
            if pack.name != keep_pack and any(s.key in gone for s in pack.slots):
                self._rewrite(pack, lambda s: s.key not in gone)
        if gone and sync and self.folder.exists():
            fsync_dir(self.folder)

    def _rewrite(self, pack: _Pack, keep) -> None:
        """Write ``pack`` again with only the slots ``keep`` accepts (atomically), or delete it."""
        path = self.folder / pack.name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        slots = _read_slots(io.BytesIO(data))    # the pack as it is now, not as cached
        kept = [s for s in slots if keep(s)]
        if len(kept) == len(slots):
            return
        if not kept:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        out = bytearray(_PACK_MAGIC)
        for s in kept:
            out += _pack_entry(s.key, s.record, data[s.offset:s.offset + s.size])
        write_atomic(path, bytes(out), sync_folder=False)   # callers flush the folder once

    def move_to(self, key: str, other: "Shelf", record: Optional[dict] = None) -> None:
        """Copy the entry to ``other`` (durably), then remove it here: never in neither place."""
        entry = self.entry(key)
        payload = entry[1] if entry else b""
        rec = record if record is not None else (entry[0] if entry else {})
        other.put(key, rec, payload)
        self.remove(key)

    # -- listing
    def _listing(self) -> List[Tuple[int, int, str, Optional[dict]]]:
        """(time, position, key, record or None for an ``.entry``) of the copy that counts."""
        entries, packs = self._scan()
        best: Dict[str, Tuple[int, int, str, Optional[dict]]] = {}
        for pack in packs:
            for i, slot in enumerate(pack.slots):
                if slot.key not in entries:
                    best[slot.key] = (pack.time, i, slot.key, slot.record)
        for key, t in entries.items():
            best[key] = (t, 0, key, None)
        return sorted(best.values(), key=lambda x: x[:3])

    def keys(self) -> List[str]:
        """Entries, oldest first. Removes temporary files left by a crash."""
        return [key for _, _, key, _ in self._listing()]

    def items(self) -> Iterator[Tuple[str, dict]]:
        for _, _, key, rec in self._listing():
            if rec is None:
                rec = self.record(key)
            if rec is not None:
                yield key, rec

    def __len__(self) -> int:
        return len(self._listing())
