"""Every PC of one office gets each item: the relay records a delivery per device id, keeps the
content of received items ``keep_received_days`` for the office's other PCs, and behaves exactly as
before for a client that names no device. Storage on both backends; the HTTP face against a real
relay on loopback."""

from datetime import datetime, timedelta, timezone

import pytest

from tui_client.core import wire
from tui_client.relay.storage import Gone, NewItem, open_storage

CM, HC = "1370100011", "1370100029"
PC1, PC2, PC3 = "pc-one-0001", "pc-two-0002", "pc-three-0003"


def _item(serial: int) -> NewItem:
    name = f"UPPLAN_202505_{CM}_43_{HC}_11_2025042510{serial:04d}.CSV"
    return NewItem("file", name, f"{serial:064x}", 7, CM, "43", HC, "11")


@pytest.fixture
def storage(database):
    s = open_storage(database, durable=False)
    yield s
    s.close()


def _ids(items):
    return [i.id for i in items]


def _content(storage, item_id):
    try:
        return storage.download(item_id, HC)[1]
    except Gone:
        return None


def test_each_device_gets_the_item_and_the_first_ack_is_the_receipt(storage):
    item_id, _ = storage.put_item(_item(1), b"sealed1")
    assert _ids(storage.mailbox(HC, device=PC1)) == [item_id]
    assert _ids(storage.mailbox(HC, device=PC2)) == [item_id]

    first = storage.acknowledge(item_id, HC, b"receipt-pc1", PC1)
    assert first.state == wire.RECEIVED and first.received_at
    assert storage.mailbox(HC, device=PC1) == []          # PC 1 has it
    listed = storage.mailbox(HC, device=PC2)              # PC 2 still gets it, marked received
    assert _ids(listed) == [item_id] and listed[0].state == wire.RECEIVED
    assert listed[0].received_at == first.received_at
    assert _content(storage, item_id) == b"sealed1"       # kept for PC 2

    second = storage.acknowledge(item_id, HC, b"receipt-pc2", PC2)
    assert second.received_at == first.received_at        # the sender's 受信済み time stays PC 1's
    assert storage.receipt(item_id, CM)[1] == b"receipt-pc1"
    assert storage.mailbox(HC, device=PC2) == []
    assert storage.mailbox(HC, device=PC1) == []
    # a device that never listed it still gets it while the content is kept
    assert _ids(storage.mailbox(HC, device=PC3)) == [item_id]
    # acknowledging again is harmless and changes nothing
    assert storage.acknowledge(item_id, HC, b"again", PC1).received_at == first.received_at
    assert [i.state for i in storage.sent(CM)] == [wire.RECEIVED]


def test_lists_keep_the_order_of_arrival_and_a_site_sees_its_own(storage):
    ids = [storage.put_item(_item(n), b"x")[0] for n in (3, 1, 2)]
    other = NewItem("file", f"UPPLAN_202505_{CM}_43_{HC}_15_20250425109999.CSV", "ee" * 32, 1, CM, "43", HC, "15")
    other_id, _ = storage.put_item(other, b"y")
    assert _ids(storage.mailbox(HC, device=PC1)) == _ids(storage.mailbox(HC)) == ids + [other_id]
    assert _ids(storage.mailbox(HC, "11", device=PC1)) == ids


def test_withdrawn_items_are_never_listed(storage):
    item_id, _ = storage.put_item(_item(1), b"sealed")
    assert storage.withdraw(item_id, CM).state == wire.WITHDRAWN
    assert storage.mailbox(HC, device=PC1) == [] and storage.mailbox(HC) == []
    with pytest.raises(Gone):
        storage.acknowledge(item_id, HC, b"receipt", PC1)
    assert storage.mailbox(HC, device=PC1) == []


def test_without_a_device_the_first_ack_deletes_the_content_as_before(storage):
    item_id, _ = storage.put_item(_item(1), b"sealed")
    assert _ids(storage.mailbox(HC)) == [item_id]
    info = storage.acknowledge(item_id, HC, b"receipt")
    assert info.state == wire.RECEIVED
    assert storage.mailbox(HC) == [] and storage.mailbox(HC, device=PC2) == []
    assert _content(storage, item_id) is None
    assert storage.stored_content_count() == 0


def test_an_old_client_still_sees_only_items_nobody_received(storage):
    kept, _ = storage.put_item(_item(1), b"one")
    waiting, _ = storage.put_item(_item(2), b"two")
    storage.acknowledge(kept, HC, b"receipt", PC1)
    assert _ids(storage.mailbox(HC)) == [waiting]
    assert _ids(storage.mailbox(HC, device=PC2)) == [kept, waiting]


def test_keep_zero_days_deletes_at_the_first_ack(storage):
    item_id, _ = storage.put_item(_item(1), b"sealed")
    storage.acknowledge(item_id, HC, b"receipt", PC1, keep_days=0)
    assert storage.mailbox(HC, device=PC2) == []
    assert _content(storage, item_id) is None
    # PC 2 had downloaded it before: its acknowledgement is still accepted and recorded
    assert storage.acknowledge(item_id, HC, b"receipt-2", PC2, keep_days=0).state == wire.RECEIVED


def test_kept_content_is_purged_after_the_days(storage):
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    old, _ = storage.put_item(_item(1), b"old")
    new, _ = storage.put_item(_item(2), b"new")
    waiting, _ = storage.put_item(_item(3), b"waiting")
    storage.acknowledge(old, HC, b"r", PC1, keep_days=31, when=t0)
    storage.acknowledge(new, HC, b"r", PC1, keep_days=31, when=t0 + timedelta(days=10))

    assert storage.purge_received(31, when=t0 + timedelta(days=31) - timedelta(seconds=1)) == 0
    assert _ids(storage.mailbox(HC, device=PC2)) == [old, new, waiting]

    assert storage.purge_received(31, when=t0 + timedelta(days=31, seconds=1)) == 1
    assert _ids(storage.mailbox(HC, device=PC2)) == [new, waiting]
    assert _content(storage, old) is None and _content(storage, new) == b"new"
    assert storage.purge_received(31, when=t0 + timedelta(days=31, seconds=1)) == 0   # nothing twice
    # an acknowledgement purges too (of what was kept long enough), never a waiting item
    storage.acknowledge(new, HC, b"r", PC2, keep_days=31, when=t0 + timedelta(days=42))
    assert _ids(storage.mailbox(HC, device=PC3)) == [waiting]
    assert _content(storage, waiting) == b"waiting"
    assert storage.receipt(old, CM)[1] == b"r"                  # the receipt stays for the sender


def test_the_mailbox_and_the_purge_use_their_indexes(tmp_path):
    """Polling and purging cost what they return, not the office's history: SQLite's plan of the
    very statements the storage runs."""
    s = open_storage(str(tmp_path / "relay.sqlite3"), durable=False)
    ran = []
    real = s._execute

    def recording(sql, params=(), *, fetch=True):
        ran.append((sql, params))
        return real(sql, params, fetch=fetch)

    try:
        s._execute = recording
        s.mailbox(HC, device=PC1)
        s.purge_received(31)
        s._execute = real
        (listing, purge) = [real("EXPLAIN QUERY PLAN " + sql, params)[0] for sql, params in ran]
        listing, purge = (" ".join(str(r[-1]) for r in rows) for rows in (listing, purge))
        assert "items_held" in listing and "TEMP B-TREE" not in listing, listing
        assert "items_kept" in purge, purge
    finally:
        s.close()


# --- over HTTPS: a real relay on loopback --------------------------------------------------------

def _refusal(fn):
    from tui_client.transport.client import TransportError

    with pytest.raises(TransportError) as exc:
        fn()
    return exc.value


def test_two_pcs_of_one_office_each_receive_over_the_relay(office_client, trust):
    """Two PCs of the care manager's office (one keystore, two device ids) each list, download and
    acknowledge the partner's file with a checked receipt; the sender sees the first PC's receipt;
    an old client (no device id) of the same office saw it only until the first acknowledgement."""
    from tui_client import sample_certs
    from tui_client.core import receipts, seal

    home = office_client("homecare")
    pc1, pc2, old = office_client("cm", PC1), office_client("cm", PC2), office_client("cm")
    name = f"UPJSK_202505_{home.number}_11_{pc1.number}_43_20250602093000.CSV"
    sealed, findings = seal.seal(b"1,2,3\r\n", name, home.keystore, [sample_certs.certificate("cm")])
    assert sealed is not None, findings
    up = home.client.upload(name, bytes(sealed))
    assert [i.id for i in old.client.mailbox()] == [up.id]

    def receive(pc):
        data = pc.client.download(up.id)
        opened, findings = seal.open_sealed(data, name, pc.keystore, trust)
        assert opened is not None, findings
        return pc.client.acknowledge(up.id, receipts.make_receipt(name, opened.content_digest, pc.keystore))

    first = receive(pc1)
    assert first.state == wire.RECEIVED
    assert pc1.client.mailbox() == [] and old.client.mailbox() == []
    listed = pc2.client.mailbox()
    assert [(i.id, i.state, i.received_at) for i in listed] == [(up.id, wire.RECEIVED, first.received_at)]
    # a receipt that is not for this item is refused, even though the item is received already
    wrong = receipts.make_receipt(name.replace("093000", "093001"), "00" * 32, pc2.keystore)
    assert _refusal(lambda: pc2.client.acknowledge(up.id, wrong)).code == wire.BAD_RECEIPT
    assert _refusal(lambda: pc2.client.acknowledge(up.id, b"not a receipt")).code == wire.BAD_RECEIPT
    assert [i.id for i in pc2.client.mailbox()] == [up.id]
    assert receive(pc2).received_at == first.received_at
    assert pc2.client.mailbox() == []
    (sent,) = home.client.sent()
    assert sent.state == wire.RECEIVED and sent.received_at == first.received_at


@pytest.mark.parametrize("device", ["short", "has space here", "x" * 65, "bad_underscore"])
def test_a_malformed_device_id_is_refused_with_its_field(office_client, device):
    pc = office_client("cm", device)
    err = _refusal(pc.client.mailbox)
    assert (err.code, err.retry) == (wire.BAD_PARAMETER, False)
    # the answer names the header (read back from the body, as any client would)
    resp = pc.client.session.get(pc.client.base_url + wire.MAILBOX, timeout=10)
    assert resp.status_code == 422 and wire.error_field(resp.json()) == wire.H_DEVICE


def test_a_pc_keeps_its_device_id_and_another_pc_has_its_own(tmp_path):
    from tui_client import config
    from tui_client.office.settings import device_id

    pc1, pc2 = config.paths(str(tmp_path / "pc1")).office(HC), config.paths(str(tmp_path / "pc2")).office(HC)
    first = device_id(pc1)
    assert wire.DEVICE_ID.match(first)
    assert device_id(pc1) == first                  # made once, read back afterwards
    assert device_id(pc2) != first
    pc1.device_file.write_text("bad id!\n")         # edited by hand: replaced by a valid one
    again = device_id(pc1)
    assert wire.DEVICE_ID.match(again) and again != first and device_id(pc1) == again
    assert sorted(p.name for p in pc1.root.iterdir()) == ["device-id"]   # no temporary file left


def test_a_relay_run_with_keep_zero_days_gives_each_item_to_the_first_pc_only(database, tmp_path):
    """``tsunagi relay --keep-received-days 0`` (the setting reaches the relay's workers): the first
    PC's receipt deletes the content, so the office's other PC gets nothing, as before."""
    from tui_client.core import samples

    from .conftest import RelayProcess, open_demo_office

    relay = RelayProcess(database, tmp_path, extra=["--keep-received-days", "0"]).start()
    opened = []
    try:
        pc1, pc2, cm = (open_demo_office(demo, relay, str(tmp_path / pc))
                        for demo, pc in (("homecare", "pc1"), ("homecare", "pc2"), ("cm", "cm")))
        opened += [pc1, pc2, cm]
        hc = samples.SampleOffice(HC, "11", "hc")
        files = samples.use_bundle("202505", hc, samples.users(1), sender=samples.SampleOffice(CM, "43", "cm"),
                                   providers=[hc])
        assert len(cm.send(files).sent) == len(files)
        assert len(pc1.receive().received) == len(files)
        assert pc2.receive().received == [] and pc2.client.mailbox() == []
        store = open_storage(database)
        assert store.stored_content_count() == 0
        store.close()
    finally:
        for o in opened:
            o.close()
        relay.stop()
