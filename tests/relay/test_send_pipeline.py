"""The send pipeline (office/sending.py) against a real relay, on SQLite and PostgreSQL: the calling
thread seals and commits while the uploader thread only talks to the relay; relay ids are confirmed
by the calling thread; every way out joins the uploader and leaves whatever was not confirmed in the
outbox as 送信待ち, to go next time under the same idempotency key (the relay answers with the same
id: a duplicate, never a second item)."""

from __future__ import annotations

import threading

import pytest

from relay.conftest import open_demo_office as _open
from tui_client.core import samples

CM, HC = "1370100011", "1370100029"
UPLOADER = "tsunagi-upload"


def _files(count: int, seed: int = 0):
    cmo, hc = samples.SampleOffice(CM, "43", "cm"), samples.SampleOffice(HC, "11", "hc")
    out = []
    for unit in range(count // 3):
        out += samples.use_bundle("202505", hc, samples.users(2, seed=seed + unit), sender=cmo, providers=[hc],
                                  serial=f"2025042{seed % 10}10{unit:02d}00")
    return out


def _no_uploader_left() -> bool:
    return not [t for t in threading.enumerate() if t.name == UPLOADER]


def _waiting(office):
    return office.db.outbox_names("waiting")


def test_the_uploader_thread_never_touches_the_database_and_items_go_in_order(relay, tmp_path, monkeypatch):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files = _files(60)
    threads = set()
    connect = cm.db._connect

    def watched():
        threads.add(threading.current_thread().name)
        return connect()

    monkeypatch.setattr(cm.db, "_connect", watched)
    events = []
    report = cm.send(files, progress=lambda stage, name, done, total: events.append((stage, name)))
    assert len(report.sent) == 60 and not report.waiting and not report.findings, report.findings
    assert UPLOADER not in threads and threads, threads            # the database: calling thread only
    assert _no_uploader_left()
    names = [n for n, _ in files]
    assert [n for stage, n in events if stage == "sent"] == names  # uploaded in the batch's order
    assert [n for stage, n in events if stage == "sealed"] == names
    for name in names:                                             # sealed (and committed) before sent
        assert events.index(("sealed", name)) < events.index(("sent", name))
    assert cm.db.outbox_count(None) == 0 and cm.db.archive_count("sent") == 60
    assert all(cm.db.archive_record("sent", n)["relay_id"] for n in names)
    listed = [i.name for i in hc.client.mailbox()]
    assert listed == names, listed                                 # the relay got them in that order
    cm.close()
    hc.close()


def test_the_relay_going_down_mid_batch_stops_the_uploads_and_leaves_the_rest_queued(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    cm.client.retries = 0
    files = _files(60, seed=3)
    failed = []

    def progress(stage, name, done, total):
        if stage == "sent" and done == 12 and relay.proc.poll() is None:
            relay.kill()
        if stage == "failed":
            failed.append(name)

    report = cm.send(files, progress=progress)
    names = [n for n, _ in files]
    assert len(failed) == 1, failed                 # the first retryable answer stops the uploads
    assert report.sent and report.waiting and not report.shelved, report.findings
    assert report.sent == names[:len(report.sent)]
    assert set(report.sent) | set(report.waiting) == set(names) and not set(report.sent) & set(report.waiting)
    assert report.queued == names                   # everything was sealed and is in the outbox
    assert sorted(_waiting(cm)) == sorted(report.waiting) and cm.db.outbox_count("error") == 0
    assert all(cm.db.archive_record("sent", n)["relay_id"] for n in report.sent)
    assert _no_uploader_left()

    relay.start(same_port=True)
    again = cm.flush()
    assert sorted(again.sent + again.duplicates) == sorted(report.waiting), again.findings
    assert cm.db.outbox_count(None) == 0 and cm.db.archive_count("sent") == 60
    cm.close()


class Crash(BaseException):
    """The process dying at a chosen point (not an Exception: nothing may swallow it)."""


def test_a_crash_between_upload_and_confirm_resends_under_the_same_key_and_the_relay_deduplicates(
        relay, tmp_path, monkeypatch):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files = _files(30, seed=6)
    names = [n for n, _ in files]
    digests = {}
    ids = {}

    def crash(confirmed):
        for name, rec in confirmed:
            ids[name] = rec["relay_id"]
        raise Crash()

    monkeypatch.setattr(cm.db, "confirm_sent", crash)
    with pytest.raises(Crash):
        cm.send(files)
    assert _no_uploader_left()
    assert sorted(ids) == sorted(names)                      # the relay took every one ...
    assert sorted(_waiting(cm)) == sorted(names)             # ... and every one is still 送信待ち here
    assert cm.db.archive_count("sent") == 0
    for name in names:
        digests[name] = cm.db.outbox_record(name)["digest"]
    monkeypatch.undo()

    report = cm.send(files)                                  # the next run: the same items, the same keys
    assert sorted(report.duplicates) == sorted(names) and not report.sent, report.findings
    assert not report.waiting and not report.shelved and cm.db.outbox_count(None) == 0
    for name in names:
        rec = cm.db.archive_record("sent", name)
        assert rec["relay_id"] == ids[name] and rec["digest"] == digests[name]
    got = hc.receive()
    assert sorted(i.name for i in got.received) == sorted(names), got.findings   # once each
    cm.close()
    hc.close()


def test_an_exception_while_sealing_joins_the_uploader_and_loses_nothing_committed(relay, tmp_path, monkeypatch):
    from tui_client.core import seal

    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    files = _files(45, seed=9)
    names = [n for n, _ in files]
    real = seal.seal
    count = [0]

    def failing(*args, **kwargs):
        count[0] += 1
        if count[0] == 30:          # in the third chunk (8 + 16 + …): two chunks were handed over
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(seal, "seal", failing)
    with pytest.raises(KeyboardInterrupt):
        cm.send(files)
    assert _no_uploader_left()
    sent = {n for n, _ in cm.db.archive_list("sent")}
    waiting = set(_waiting(cm))
    assert sent | waiting == set(names[:24]) and not sent & waiting   # both committed chunks, nothing else
    monkeypatch.setattr(seal, "seal", real)

    report = cm.send(files)
    assert sorted(report.sent + report.duplicates) == sorted(set(names) - sent), report.findings
    assert sorted(report.already_sent) == sorted(sent)
    assert cm.db.outbox_count(None) == 0 and cm.db.archive_count("sent") == 45
    cm.close()


def test_a_checked_batch_is_reused_only_for_the_same_bytes(relay, tmp_path, monkeypatch):
    from tui_client import filecheck

    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    files = _files(6, seed=12)
    prepared = cm.prepare(files)
    checks = []
    real = filecheck.check_bytes
    monkeypatch.setattr(filecheck, "check_bytes", lambda *a, **k: checks.append(1) or real(*a, **k))
    changed = [(n, d + b"\r\n") for n, d in files]             # the same names, other bytes
    report = cm.send(changed, prepared=prepared)
    assert checks == [1]                                        # checked again: not the checked bytes
    assert all(cm.db.archive_content("sent", n) == d for n, d in changed) and len(report.sent) == 6
    files = _files(6, seed=15)
    prepared = cm.prepare(files)
    checks.clear()
    report = cm.send(files, prepared=prepared)
    assert checks == [] and len(report.sent) == 6, report.findings   # reused: validated once
    cm.close()


def test_the_ui_batch_validates_once_when_every_checked_file_goes(relay, tmp_path, monkeypatch):
    from tui_client import filecheck
    from tui_client.ui.services import Services

    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    folder = tmp_path / "export"
    folder.mkdir()
    for name, data in _files(6, seed=18):
        (folder / name).write_bytes(data)
    checks = []
    real = filecheck.check_bytes
    monkeypatch.setattr(filecheck, "check_bytes", lambda *a, **k: checks.append(1) or real(*a, **k))
    services = Services(cm)
    plan = services.prepare(str(folder))
    assert len(plan.sendable) == 6 and checks == [1]
    result = services.send(plan)
    assert result.sent == 6 and not result.findings, result.findings
    assert checks == [1]                                        # the plan's check was reused
    assert {n for n, _ in cm.db.archive_list("sent")} == {p.name for p in folder.iterdir()}
    cm.close()
