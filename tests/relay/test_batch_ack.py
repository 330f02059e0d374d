"""Batch acknowledgement (``POST /v1/mailbox/ack``): one transaction for many receipts, answered per
item as the single acknowledgement answers; its limits; the client's batches and its fallback to
one by one on an older relay. Storage and HTTP tests run on SQLite and PostgreSQL (``database``)."""

from __future__ import annotations

import base64
import json

import pytest

from tui_client import sample_certs
from tui_client.core import receipts, seal, wire
from tui_client.relay.storage import Gone, NewItem, NotFound, open_storage
from tui_client.transport.client import TransportError

from .test_relay_api import _raw

CM, HC = "1370100011", "1370100029"
UPJSK = "UPJSK_202505_{s}_11_{r}_43_2025060209{n:04d}.CSV"


def _item(n: int, recipient: str = CM, sender: str = HC) -> NewItem:
    return NewItem("file", UPJSK.format(s=sender, r=recipient, n=n), "ab" * 32, 5, sender, "11", recipient, "43")


def test_storage_acknowledges_many_in_one_call_with_a_result_per_item(database):
    storage = open_storage(database)
    try:
        stored = storage.put_items([(_item(1), b"one"), (_item(2), b"two"), (_item(3), b"three"),
                                    (_item(4, recipient=HC, sender=CM), b"not yours")])
        (a, _), (b, _), (c, _), (theirs, _) = stored
        first = storage.acknowledge(a, CM, b"receipt-a")          # acknowledged before
        storage.withdraw(c, HC)                                      # withdrawn by the sender
        results = storage.acknowledge_many(CM, [(a, b"again"), (b, b"receipt-b"), (c, b"late"),
                                                ("f" * 32, b"unknown"), (theirs, b"not mine")])
        again, fresh, withdrawn, unknown, other = results
        assert again.state == wire.RECEIVED and again.received_at == first.received_at
        assert fresh.id == b and fresh.state == wire.RECEIVED
        assert isinstance(withdrawn, Gone) and isinstance(unknown, NotFound) and isinstance(other, NotFound)
        assert storage.receipt(a, HC)[1] == b"receipt-a"             # the first receipt stays
        assert storage.receipt(b, HC)[1] == b"receipt-b"
        assert storage.info(theirs).state == wire.WAITING            # another office's item: untouched
        assert [i.id for i in storage.mailbox(CM)] == []
    finally:
        storage.close()


def test_storage_batch_with_a_device_records_each_delivery_and_keeps_content(database):
    storage = open_storage(database)
    try:
        (a, _), (b, _) = storage.put_items([(_item(1), b"one"), (_item(2), b"two")])
        results = storage.acknowledge_many(CM, [(a, b"ra"), (b, b"rb")], device="pc-one-0001", keep_days=31)
        assert [r.state for r in results] == [wire.RECEIVED, wire.RECEIVED]
        assert storage.mailbox(CM, device="pc-one-0001") == []
        assert {i.id for i in storage.mailbox(CM, device="pc-two-0002")} == {a, b}  # kept for the other PC
    finally:
        storage.close()


def _send(home, cm, n: int):
    """n sealed files from home help to the care manager: [(id, receipt the care manager signs)]."""
    out = []
    for i in range(n):
        name = UPJSK.format(s=home.number, r=cm.number, n=i)
        sealed, findings = seal.seal(b"1,2,3\r\n", name, home.keystore, [sample_certs.certificate("cm")])
        assert sealed is not None, findings
        up = home.client.upload(name, bytes(sealed))
        opened, findings = seal.open_sealed(cm.client.download(up.id), name, cm.keystore,
                                            sample_certs.trust_store())
        assert opened is not None, findings
        out.append((up.id, receipts.make_receipt(name, opened.content_digest, cm.keystore)))
    return out


def test_relay_answers_each_item_as_the_single_acknowledgement_does(office_client):
    cm, home = office_client("cm"), office_client("homecare")
    (a, ra), (b, rb), (c, rc), (d, rd) = _send(home, cm, 4)
    cm.client.acknowledge(a, ra)                                     # already acknowledged
    home.client.withdraw(c)                                          # withdrawn
    results = cm.client.acknowledge_many([(a, ra), (b, rb), (c, rc), ("0" * 32, rd), ("not-an-id", rd),
                                          (d, rb)])                  # d with b's receipt: not valid for d
    again, fresh, withdrawn, unknown, malformed, wrong = results
    assert again.state == wire.RECEIVED and fresh.state == wire.RECEIVED and fresh.id == b
    assert isinstance(withdrawn, TransportError) and withdrawn.code == wire.GONE
    assert unknown.code == wire.NOT_FOUND and malformed.code == wire.NOT_FOUND
    assert wrong.code == wire.BAD_RECEIPT and not wrong.retry
    assert home.client.receipt(b) == rb
    assert [i.id for i in cm.client.mailbox()] == [d]                # only the one with a wrong receipt
    # another office cannot acknowledge the care manager's item: answered as a missing one
    other = home.client.acknowledge_many([(d, rd)])[0]
    assert other.code == wire.NOT_FOUND
    assert cm.client.acknowledge_many([(d, rd)])[0].state == wire.RECEIVED


def test_batch_limits_are_refused_with_their_own_code(office_client):
    cm = office_client("cm")
    receipt = base64.b64encode(b"x").decode()
    many = {"items": [{"id": "0" * 32, "receipt": receipt}] * (wire.MAX_ACK_BATCH_ITEMS + 1)}
    status, body = _raw(cm, "POST", wire.MAILBOX_ACK_BATCH, json.dumps(many).encode(),
                        {"Content-Type": "application/json"})
    assert status == 413 and body["error"]["code"] == wire.BATCH_TOO_LARGE and body["error"]["field"] == "items"
    big = {"items": [{"id": "0" * 32, "receipt": "A" * (wire.MAX_ACK_BATCH_BYTES + 4)}]}
    status, body = _raw(cm, "POST", wire.MAILBOX_ACK_BATCH, json.dumps(big).encode(),
                        {"Content-Type": "application/json"})
    assert status == 413 and body["error"]["code"] == wire.BATCH_TOO_LARGE and body["error"]["field"] == "body"
    for bad in (b"not json", b'{"items": [{"id": 1}]}', b"[]"):
        status, body = _raw(cm, "POST", wire.MAILBOX_ACK_BATCH, bad, {"Content-Type": "application/json"})
        assert status == 422 and body["error"]["code"] == wire.BAD_PARAMETER
    status, body = _raw(cm, "POST", wire.MAILBOX_ACK_BATCH, b'{"items": [{"id": "%s", "receipt": "@@"}]}' % (
        b"0" * 32), {"Content-Type": "application/json"})
    assert status == 200 and body["items"][0]["error"]["code"] == wire.BAD_RECEIPT
    from tui_client.catalog import explain

    assert explain(wire.BATCH_TOO_LARGE) is not None          # the client has words for it


class _Counting:
    """ASGI wrapper counting requests per (method, path); ``old=True`` answers the batch route as a
    relay from before it did (405, FastAPI's body)."""

    def __init__(self, app, old: bool):
        self.app, self.old, self.seen = app, old, []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
            if self.old and scope["path"] == wire.MAILBOX_ACK_BATCH:
                body = b'{"detail":"Method Not Allowed"}'
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@pytest.mark.parametrize("old", [False, True], ids=["batch", "older-relay"])
def test_client_batches_and_falls_back_to_one_by_one_on_an_older_relay(tmp_path, old):
    from .conftest import DemoOffice
    from .inthread import InThreadRelay

    wrapped = []

    def wrap(app):
        wrapped.append(_Counting(app, old))
        return wrapped[0]

    with InThreadRelay(open_storage(str(tmp_path / "relay.sqlite3")), wrap=wrap) as relay:
        cm, home = DemoOffice("cm", relay.url), DemoOffice("homecare", relay.url)
        try:
            sent = _send(home, cm, 3)
            unknown = [(f"{i:032x}", sent[0][1]) for i in range(wire.MAX_ACK_BATCH_ITEMS)]
            results = cm.client.acknowledge_many(sent + unknown)
            assert [r.state for r in results[:3]] == [wire.RECEIVED] * 3
            assert all(isinstance(r, TransportError) and r.code == wire.NOT_FOUND for r in results[3:])
            assert cm.client.mailbox() == []
            batch_calls = [s for s in wrapped[0].seen if s == ("POST", wire.MAILBOX_ACK_BATCH)]
            single_calls = [s for s in wrapped[0].seen if s[0] == "POST" and s[1].endswith("/ack")
                            and s[1] != wire.MAILBOX_ACK_BATCH]
            if old:   # asked once, then one by one (and not asked again for the second run)
                assert len(batch_calls) == 1 and len(single_calls) == 103
            else:     # 103 items: two batches, no single acknowledgement
                assert len(batch_calls) == 2 and single_calls == []
        finally:
            cm.close()
            home.close()
