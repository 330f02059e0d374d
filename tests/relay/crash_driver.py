"""A sender or a receiver office, run as a child process by test_crash_safety.py (which SIGKILLs it
and the relay at random moments). Usage: crash_driver.py sender|receiver HOME COUNT

Both only use the office façade, as the CLI does, and loop until their part is done; every failure
(relay gone, connection reset) is simply retried, which is what a user's next click would do.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

from tui_client import office as office_mod

CM, HC = "1370100011", "1370100029"


def names(count: int):
    base = datetime(2025, 4, 25, 9, 0, 0)
    for i in range(count):
        serial = (base + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S")
        yield i, f"UPPLAN_202505_{CM}_43_{HC}_11_{serial}.CSV"


def content(i: int) -> bytes:
    return f"crash-test item {i}\r\n".encode("ascii") * 8


def queue_group(o, group) -> None:
    """Queue a few items: odd groups one by one (a transaction each), even groups in one batch (one
    transaction, as `tsunagi send` and `batch` write them), so a kill hits both kinds of write."""
    from tui_client.transport.clientdb import Batch

    while True:
        todo = [(i, n) for i, n in group
                if not (o.db.archive_record("sent", n) or o.db.outbox_record(n))]
        if not todo:
            return
        batch = Batch(o.db) if group[0][0] // 5 % 2 == 0 else None
        blocked = False
        for i, name in todo:
            f = o.queue(name, content(i), batch=batch)
            blocked = blocked or any(x.blocks_sending for x in f)
        if batch is not None:
            if blocked:
                batch.abandon()
            else:
                batch.commit()
        if blocked:
            time.sleep(0.1)                # directory not reachable yet (relay restarting)


def sender(home: str, count: int) -> None:
    o, findings = office_mod.Office.open(CM, home=home)
    assert o is not None, findings
    o.client.retries, o.client.backoff = 1, 0.05
    group = []
    for i, name in names(count):
        group.append((i, name))
        if i % 5 == 4 or i == count - 1:
            queue_group(o, group)
            group = []
            o.flush()                      # upload as we go, like a user sending every few files
    while o.waiting():
        o.flush()
        if o.waiting():
            time.sleep(0.1)
    print("sender done", flush=True)


def receiver(home: str, count: int) -> None:
    o, findings = office_mod.Office.open(HC, home=home)
    assert o is not None, findings
    o.client.retries, o.client.backoff = 1, 0.05
    log = open(f"{home}/received.log", "a")
    while True:
        report = o.receive()
        for rec in report.received:
            log.write(rec.name + "\n")
            log.flush()
        if o.db.archive_count("received") >= count and not o.db.inbox_keys():
            break
        if not report.received:
            time.sleep(0.1)
    print("receiver done", flush=True)


if __name__ == "__main__":
    role, home, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"sender": sender, "receiver": receiver}[role](home, count)
