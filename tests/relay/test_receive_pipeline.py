"""Receive as a pipeline (transport.queue.Inbox.receive): many items over several groups, downloads
overlapping the opening; an interrupted receive loses nothing; every item is acknowledged once.

A real relay on a thread of this process (real TLS, the relay's own app), wrapped only to record
which ids each acknowledgement carried; real offices, real files, real archives."""

from __future__ import annotations

import json
import threading

import pytest

from tui_client import office as office_mod
from tui_client import sample_certs
from tui_client.core import samples, wire
from tui_client.relay.storage import open_storage
from tui_client.transport import queue as queue_mod

from .inthread import InThreadRelay


class AckLog:
    """ASGI wrapper: the item ids of every acknowledgement that the relay answered 200, in order.
    ``fail_batches``: that many batch acknowledgements are answered 503 (storage busy) instead."""

    def __init__(self, app):
        self.app = app
        self.ids = []
        self.fail_batches = 0

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST" or not path.endswith("/ack"):
            return await self.app(scope, receive, send)
        if path == wire.MAILBOX_ACK_BATCH and self.fail_batches > 0:
            self.fail_batches -= 1
            body = json.dumps(wire.error_body(wire.UNAVAILABLE, "busy")).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        parts, status = [], []

        async def recv():
            message = await receive()
            parts.append(message.get("body", b""))
            return message

        async def snd(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, recv, snd)
        if status == [200]:
            if path == wire.MAILBOX_ACK_BATCH:
                self.ids += [e["id"] for e in json.loads(b"".join(parts))["items"]]
            else:
                self.ids.append(path.split("/")[-2])


@pytest.fixture
def setup(tmp_path):
    """(relay, ack log, care manager, home help): two demo offices on one in-thread relay."""
    logs = []
    relay = InThreadRelay(open_storage(str(tmp_path / "relay.sqlite3")),
                          wrap=lambda app: logs.append(AckLog(app)) or logs[0])
    with relay:
        home = str(tmp_path / "pcs")
        opened = []
        for demo_id in ("cm", "homecare"):
            office_mod.setup_demo_office(demo_id, relay.url, home)
            o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
            assert o is not None, findings
            opened.append(o)
        try:
            yield relay, logs[0], opened[0], opened[1]
        finally:
            for o in opened:
                o.close()


def _send(cm, hc, units: int, first: int = 0) -> set:
    """``units`` bundles of 3 files from the care manager to home help; their names."""
    from datetime import datetime, timedelta

    c = samples.SampleOffice(cm.number, "43", "cm")
    h = samples.SampleOffice(hc.number, "11", "hc")
    people = samples.users(4, seed=3)
    files = []
    for u in range(first, first + units):
        serial = (datetime(2025, 4, 1) + timedelta(seconds=u)).strftime("%Y%m%d%H%M%S")
        files += samples.use_bundle("202505", h, people, sender=c, providers=[h], serial=serial)
    report = cm.send(files)
    assert len(report.sent) == len(files), report.findings[:3]
    return {f[0] for f in files}


def _downloaders():
    return [t for t in threading.enumerate() if t.name == "tsunagi-download"]


def test_many_items_over_several_groups_arrive_once_each(setup):
    relay, acks, cm, hc = setup
    names = _send(cm, hc, 45)                                  # 135 files: three groups
    searches = []
    real_search = hc.db.archive_search

    def counting(**kw):
        searches.append(kw)
        return real_search(**kw)

    hc.db.archive_search = counting
    report = hc.receive()
    assert {i.name for i in report.received} == names and not report.findings
    assert hc.db.inbox_keys() == [] and hc.client.mailbox() == []
    assert sorted(acks.ids) == sorted(set(acks.ids)) and len(acks.ids) == len(names)
    assert {n for n, _ in hc.db.archive_list("received")} == names
    # superseded versions are looked up once per version key, not once per received item
    assert len(searches) <= 3
    assert _downloaders() == []


def test_an_interrupted_receive_loses_nothing_and_the_next_one_finishes(setup, monkeypatch):
    relay, acks, cm, hc = setup
    names = _send(cm, hc, 40)                                  # 120 files
    seen = []
    real = type(hc)._open_and_check

    def breaks_at_70(self, info, sealed, report):
        if len(seen) == 70:
            raise RuntimeError("power cut while opening")      # a crash of the receiving side
        seen.append(info.name)
        return real(self, info, sealed, report)

    monkeypatch.setattr(type(hc), "_open_and_check", breaks_at_70)
    with pytest.raises(RuntimeError):
        hc.receive()
    assert _downloaders() == []                                # the downloader stopped with it
    first = set(acks.ids)
    assert len(first) == 50                                    # the first group, stored and acknowledged
    stored = {n for n, _ in hc.db.archive_list("received")}
    acked_names = {i.name for i in relay.storage.sent(cm.number) if i.id in first}
    assert acked_names <= stored                               # nothing acknowledged that is not archived
    monkeypatch.setattr(type(hc), "_open_and_check", real)
    report = hc.receive()
    assert not report.findings
    assert {n for n, _ in hc.db.archive_list("received")} == names
    assert hc.db.inbox_keys() == [] and hc.client.mailbox() == []
    assert len(acks.ids) == len(set(acks.ids)) == len(names)   # each acknowledged once


def test_cancel_stops_both_sides_and_what_was_downloaded_waits_in_the_inbox(setup, monkeypatch):
    relay, acks, cm, hc = setup
    names = _send(cm, hc, 40)
    cancel = threading.Event()
    real = type(hc)._open_and_check
    opened = []

    def cancels_at_10(self, info, sealed, report):
        opened.append(info.name)
        if len(opened) == 10:
            cancel.set()
        return real(self, info, sealed, report)

    monkeypatch.setattr(type(hc), "_open_and_check", cancels_at_10)
    report = hc.receive(cancel=cancel)
    assert report.cancelled and _downloaders() == []
    assert len(acks.ids) == len(report.received) == 10         # the ten opened, stored, acknowledged
    waiting = {wire.ItemInfo.from_json(r["info"]).name for _, r, _ in hc.db.inbox_list()}
    on_relay = {i.name for i in hc.client.mailbox()}
    assert waiting <= on_relay and names == on_relay | {i.name for i in report.received}
    monkeypatch.setattr(type(hc), "_open_and_check", real)
    rest = hc.receive()
    assert {i.name for i in rest.received} | {i.name for i in report.received} == names
    assert len(acks.ids) == len(set(acks.ids)) == len(names)


def test_a_refused_acknowledgement_is_sent_again_next_time_without_opening_again(setup, monkeypatch):
    relay, acks, cm, hc = setup
    names = _send(cm, hc, 20)                                  # 60 files: two groups
    acks.fail_batches = 10 ** 6                                # the relay is busy for this receive
    monkeypatch.setattr(hc.client, "retries", 0)
    report = hc.receive()
    assert report.findings and acks.ids == []
    assert {n for n, _ in hc.db.archive_list("received")} == names   # stored, receipts noted
    states = {r.get("state") for _, r, _ in hc.db.inbox_list()}
    assert states == {queue_mod.STORED}
    acks.fail_batches = 0
    opened = []
    real = type(hc)._open_and_check
    monkeypatch.setattr(type(hc), "_open_and_check",
                        lambda self, info, sealed, report: opened.append(info) or real(self, info, sealed, report))
    again = hc.receive()
    assert not again.findings and opened == []                 # only acknowledged, not opened again
    assert hc.db.inbox_keys() == [] and hc.client.mailbox() == []
    assert sorted(acks.ids) == sorted(set(acks.ids)) and len(acks.ids) == len(names)
