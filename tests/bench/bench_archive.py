"""Benchmark: a 10,000-item archive in the office database, listed page by page and searched.

    PYTHONPATH=. python tests/bench/bench_archive.py [--items 10000] [--dir ~/.cache]   # median of 20 runs per query

Fills an office database with received and sent records (real sample CSVs, users indexed by
core.people), then times: the first page, a page deep in the list, the total count, a search by
被保険者番号 (trigram index), by a two-character surname (substring scan of the index), by month and
partner, and by free text. Not a test: speed goals live here, not in assertions of the suite."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def fill(db, items: int) -> list:
    from tui_client.core import samples
    from tui_client.core.people import users_text

    cmo = samples.SampleOffice("1370100011", "43", "cm")
    partners = [samples.SampleOffice(f"13701000{n:02d}", "11", f"p{n}") for n in range(29, 39)]
    people = samples.users(60, seed=1)
    t0 = time.perf_counter()
    done, unit = 0, 0
    with db.transaction():
        while done < items:
            prov = partners[unit % len(partners)]
            month = f"2025{unit % 12 + 1:02d}"
            group = people[(unit * 3) % 57:(unit * 3) % 57 + 3]
            files = samples.use_bundle(month, prov, group, sender=cmo, providers=[prov],
                                       serial=f"{20200101000000 + unit:014d}")
            for name, data in files:
                direction = "sent" if done % 2 else "received"
                rec = {"name": name, "kind": "file", "recipient": prov.number, "sender": cmo.number,
                       "sent_at": "2025-05-01T00:00:00Z", "received_at": "2025-05-01T00:00:00Z",
                       "content_sha256": "", "state": "received", "size": len(data)}
                if direction == "received":
                    rec["sender"] = prov.number
                db.archive_put(direction, name, rec, data, users=users_text(name, data), state="new")
                done += 1
                if done >= items:
                    break
            unit += 1
    return [time.perf_counter() - t0, people]


def timed(label, fn, repeat=20):
    """``repeat`` runs of one query: the median, min and max (no baseline and no target here, so no
    ratio: the figures are watched, not judged; best-of-N is gone as in the other benchmarks)."""
    import statistics

    runs = [_once(fn) for _ in range(repeat)]
    rows, total = fn()
    med = statistics.median(runs)
    print(f"  | {label} | {med * 1000:.2f} ms | {min(runs) * 1000:.2f}–{max(runs) * 1000:.2f} ms | "
          f"{len(rows)} shown of {total} |")
    return med


def _once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--dir", default=str(Path.home() / ".cache"))
    args = ap.parse_args()
    from tui_client.transport.clientdb import ClientDB

    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tsunagi-archive-", dir=args.dir) as t:
        db = ClientDB(Path(t) / "office.sqlite3")
        fill_time, people = fill(db, args.items)
        size = (Path(t) / "office.sqlite3").stat().st_size
        print(f"{db.archive_count()} archive records filled in {fill_time:.1f} s (one transaction), "
              f"database {size / 1e6:.1f} MB")
        print("  | query | median | min–max | matches |\n  | --- | --- | --- | --- |")
        p = people[4]
        timed("first page (50)", lambda: db.archive_search(limit=50))
        timed("page 150 (offset 7,450)", lambda: db.archive_search(offset=7450, limit=50))
        timed("received only, month 202503", lambda: db.archive_search(direction="received", month="202503"))
        timed("partner 1370100033, month 202507", lambda: db.archive_search(partner="1370100033", month="202507"))
        timed(f"user by 被保険者番号 {p.insured}", lambda: db.archive_search(user=p.insured))
        surname = p.name.split("\u3000")[0]
        timed(f"user by surname {surname} ({len(surname)} chars)", lambda: db.archive_search(user=surname))
        timed(f"user by full name {p.name}", lambda: db.archive_search(user=p.name))
        timed("free text UPSIKYU_202507", lambda: db.archive_search(text="UPSIKYU_202507"))
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
