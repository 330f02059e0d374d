"""End to end through the façade on loopback: a care manager sends a month's bundle, the provider
receives, opens, validates, stores and acknowledges, the sender sees the signed receipt, and the
relay keeps no content once the days it keeps received items for the office's other PCs are over.
Same with PostgreSQL (the ``database`` fixture)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tui_client import office as office_mod
from tui_client.core import wire
from tui_client.relay.storage import DEFAULT_KEEP_RECEIVED_DAYS, open_storage


def demo_files(cm, provider, month="202505"):
    """A realistic bundle from the lead's sample generator, re-addressed to the demo offices."""
    from tui_client.core import samples

    cmo = samples.SampleOffice(cm.number, "43", "cm")
    prov = samples.SampleOffice(provider.number, provider.settings.services[0], "provider")
    people = samples.users(4, seed=3)
    return samples.use_bundle(month, prov, people, sender=cmo, providers=[prov])


def open_office(demo_id, relay, home):
    office_mod.setup_demo_office(demo_id, relay.url, home)
    from tui_client import sample_certs

    o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
    assert o is not None, findings
    return o


def test_bundle_travels_and_receipt_comes_back(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    home_care = open_office("homecare", relay, home)
    files = demo_files(cm, home_care)
    assert len(files) == 3

    prepared = cm.prepare(files)
    assert not prepared.blocked, prepared.all_findings()
    assert [str(b) for b in prepared.plan.mailboxes()] == [f"{home_care.number}/11"]
    report = cm.send(files, prepared=prepared)
    assert sorted(report.sent) == sorted(n for n, _ in files) and not report.waiting, report.findings
    assert cm.waiting() == []

    got = home_care.receive()
    assert sorted(r.name for r in got.received) == sorted(n for n, _ in files), got.findings
    for name, data in files:
        assert home_care.db.archive_content("received", name) == data     # byte for byte, on disk
    assert home_care.db.inbox_keys() == []                          # acknowledged, so removed

    status, findings = cm.sent_status()
    assert not findings
    assert {r["state"] for r in status} == {wire.RECEIVED}
    assert all(r["has_receipt"] for r in status)
    assert all(cm.db.archive_receipt("sent", r["name"]) for r in status)

    store = open_storage(relay.database)
    # kept for the office's other PCs (docs/relay.md), then nothing: still sealed, never read
    assert store.stored_content_count() == len(files)
    later = datetime.now(timezone.utc) + timedelta(days=DEFAULT_KEEP_RECEIVED_DAYS, minutes=1)
    assert store.purge_received(DEFAULT_KEEP_RECEIVED_DAYS, when=later) == len(files)
    assert store.stored_content_count() == 0                         # the relay keeps no content
    store.close()
    cm.close()
    home_care.close()


def test_message_with_attachment(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    day = open_office("day-main", relay, home)
    rep = cm.send_message(day.number, "subject", "text", recipient_service="15",
                          attachments=[("memo.txt", b"hello"), ("photo.jpg", b"\xff\xd8\xff")])
    assert len(rep.sent) == 1, rep.findings
    got = day.receive()
    assert got.received[0].attachments == ("memo.txt", "photo.jpg")
    assert got.received[0].kind == wire.KIND_MESSAGE and got.received[0].subject == "subject"
    bad = cm.send_message(day.number, "s", "t", attachments=[("virus.exe", b"MZ")])
    assert [f.code for f in bad.findings] == ["E-ATT-005"] and not bad.queued   # by content (core.attachments)


def test_unregistered_recipient_is_refused_clearly_and_lands_on_the_error_shelf(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    name = "UPPLAN_202505_1370100011_43_1399999999_11_20250425103000.CSV"
    prepared = cm.prepare([(name, b"x")])
    assert "E-RELAY-004" in [f.code for f in prepared.findings]      # seen before anything is sent
    # Forced through anyway (say the directory answered before the office left): refused, not retried.
    from tui_client import sample_certs

    from tui_client.core import seal

    sealed, _ = seal.seal(b"x", name, cm.keystore, [sample_certs.certificate("homecare")],
                          recipient_office="1370100029")
    cm.outbox_queue.enqueue(name, bytes(sealed))
    report = cm.flush()
    assert report.shelved == [name] and [f.code for f in report.findings] == ["E-RELAY-004"]
    assert [i.name for i in cm.error_shelf().items] == [name] and cm.waiting() == []
    cm.close()


def test_relay_keeps_and_logs_no_personal_data(database, tmp_path):
    """Names and 被保険者番号 of the people in the files appear nowhere in the relay's database
    or log, not even in the sealed blobs (they are encrypted)."""
    from relay.conftest import RelayProcess

    from tui_client.core import samples

    relay = RelayProcess(database, tmp_path, log_level="info").start()
    try:
        home = str(tmp_path / "pcs")
        cm = open_office("cm", relay, home)
        hc = open_office("homecare", relay, home)
        files = demo_files(cm, hc)
        cm.send(files)
        relay_log_before_receive = (tmp_path / f"relay-{relay.port}.log").read_bytes()
        store = open_storage(relay.database)
        rows, _ = store._run("SELECT * FROM items")
        dump = repr(rows).encode("utf-8") + b"".join(
            bytes(c) for r in rows for c in r if isinstance(c, (bytes, memoryview)))
        store.close()
        hc.receive()
        log = (tmp_path / f"relay-{relay.port}.log").read_bytes()
        assert b"upload id=" in relay_log_before_receive                   # it does log routing facts
        for person in samples.users(4, seed=3):
            for secret in (person.insured, person.name, person.kana):
                for enc in ("utf-8", "cp932"):
                    needle = secret.encode(enc)
                    assert needle not in log and needle not in dump, secret
        cm.close()
        hc.close()
    finally:
        relay.stop()


def test_setup_of_a_real_office_checks_the_keystore_and_never_saves_the_password(relay, tmp_path):
    import json

    from tui_client import config, sample_certs

    home = str(tmp_path / "pc")
    ca = str(sample_certs.path("demo-ca.cert.pem"))
    entry = sample_certs.office("homecare")
    ks_file = str(sample_certs.path(entry["keystore"]))
    settings, findings = office_mod.setup_office(ks_file, "wrong", relay.url, ca, home=home)
    assert settings is None and [f.code for f in findings] == ["E-CERT-002"]
    expired = sample_certs.office("expired")
    settings, findings = office_mod.setup_office(str(sample_certs.path(expired["keystore"])),
                                                 expired["password"], relay.url, ca, home=home)
    assert settings is None and "E-CERT-005" in [f.code for f in findings]
    settings, findings = office_mod.setup_office(ks_file, entry["password"], relay.url, ca, services=["11"],
                                                 home=home)
    assert settings is not None and settings.office == "1370100029"
    saved = config.paths(home).office("1370100029").settings_file.read_text(encoding="utf-8")
    assert entry["password"] not in saved and json.loads(saved)["demo_id"] == ""
    o, findings = office_mod.Office.open("1370100029", entry["password"], home=home)
    assert o is not None, findings
    assert o.receive().findings == []
    o.close()


def test_a_file_addressed_to_a_service_the_recipient_does_not_offer_names_the_right_code(relay, tmp_path):
    """The field case: the care software wrote the wrong service-type code. Before anything is sealed,
    the check names the codes the recipient is registered for (from the relay's directory)."""
    from tui_client.catalog import finding_message
    from tui_client.core import samples

    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    home_care = open_office("homecare", relay, home)        # registered for 11 only
    cmo = samples.SampleOffice(cm.number, "43", "cm")
    wrong = samples.SampleOffice(home_care.number, "13", "provider")
    files = samples.use_bundle("202505", wrong, samples.users(2), sender=cmo, providers=[wrong])

    prepared = cm.prepare(files)
    assert prepared.blocked
    by_code = {}
    for f in prepared.all_findings():
        by_code.setdefault(f.code, []).append(f)
    assert len(by_code["E-NAME-015"]) == 3 and "E-RELAY-005" not in by_code
    f = by_code["E-NAME-015"][0]
    assert f.value == "13" and f.param("offered") == "11"
    assert "11" in finding_message(f)[1]
    cm.close()
    home_care.close()


def test_a_send_commits_by_chunk_and_survives_a_crash_between_upload_and_confirmation(relay, tmp_path):
    """A chunk of a send is one transaction in the office database (no file per item). A crash after
    the relay took the items but before their ids were recorded uploads them again: the relay answers
    with the same ids (same sealed bytes, same idempotency key), nothing doubles."""
    from tui_client.core import samples
    from tui_client.transport.clientdb import Batch

    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    home_care = open_office("homecare", relay, home)
    cmo = samples.SampleOffice(cm.number, "43", "cm")
    hc = samples.SampleOffice(home_care.number, "11", "provider")

    def units(numbers):
        """Three files per sending unit, each unit under its own serial."""
        return [f for unit in numbers for f in samples.use_bundle(
            "202505", hc, samples.users(2, seed=unit), sender=cmo, providers=[hc],
            serial=f"2025042510{unit:02d}00")]

    files = units(range(12))                    # 36 files: chunks of 8, 16 and 12
    report = cm.send(files)
    assert len(report.sent) == 36, report.findings
    assert not (cm.paths.root / "outbox").exists() and not (cm.paths.root / "archive").exists()
    ids = {r["name"]: r["relay_id"] for r in cm.sent_archive_records()}
    assert len(ids) == 36 and {cm.db.archive_content("sent", n) for n, _ in files} == {d for _, d in files}
    assert cm.db.outbox_count(None) == 0

    more = units(range(12, 16))
    batch = Batch(cm.db)
    for name, data in more:
        assert cm.queue(name, data, batch=batch) == []
    batch.commit()

    class Crash(BaseException):
        pass

    def crash(*args, **kwargs):
        raise Crash()

    cm.db.confirm_sent = crash                  # the relay has them; the PC dies before recording it
    with pytest.raises(Crash):
        cm.flush()
    assert len(cm.waiting()) == 12 and len(cm.sent_archive_records()) == 36
    later, _ = office_mod.Office.open(cm.number, home=home)     # the PC after the restart
    flushed = later.flush()
    assert len(flushed.duplicates) == 12 and later.waiting() == [], flushed.findings   # same ids again
    records = later.sent_archive_records()
    assert len(records) == 48 and {r["name"]: r["relay_id"] for r in records if r["name"] in ids} == ids
    got = home_care.receive()
    assert len(got.received) == 48, got.findings                  # each file arrives once
    later.close()
    home_care.close()


def test_an_item_that_failed_while_the_line_was_down_is_sent_once_it_is_back(relay, tmp_path):
    from tui_client.transport.clientdb import Batch

    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    home_care = open_office("homecare", relay, home)
    files = demo_files(cm, home_care)
    batch = Batch(cm.db)
    for name, data in files:
        assert cm.queue(name, data, batch=batch) == []
    batch.commit()
    relay.kill()                                                   # the line is down
    down = cm.flush()
    assert down.waiting and not down.sent
    rec = cm.db.outbox_record(down.waiting[0])
    assert rec["last_error"]["code"] == "E-NET-001"
    relay.start(same_port=True)
    up = cm.flush()
    assert sorted(up.sent) == sorted(n for n, _ in files) and cm.waiting() == [], up.findings
    assert cm.db.outbox_count(None) == 0
    # the plain copies and the envelopes, archived as evidence; nothing left behind in the outbox
    assert cm.db._read("SELECT count(*) FROM blobs")[0][0] == 2 * len(files)
    cm.close()
    home_care.close()


def test_items_stored_but_not_acknowledged_are_only_acknowledged_next_time(relay, tmp_path):
    """The line drops after a group is in the archive: the next receive acknowledges those items
    with the receipts kept for them, and neither opens, stores nor reports them again."""
    from tui_client.transport.client import TransportError

    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    home_care = open_office("homecare", relay, home)
    files = demo_files(cm, home_care)
    assert len(cm.send(files).sent) == 3

    def line_down(*args, **kwargs):
        raise TransportError("E-NET-001", "connection failed", retry=True)

    home_care.client.acknowledge_many = line_down                     # batch and one by one alike
    home_care.client.acknowledge = line_down
    first = home_care.receive()
    assert sorted(r.name for r in first.received) == sorted(n for n, _ in files)
    assert "E-NET-001" in [f.code for f in first.findings]
    noted = home_care.db.inbox_list()
    assert len(noted) == 3 and {r["state"] for _, r, _ in noted} == {"stored"}
    assert all(receipt for _, _, receipt in noted)
    assert all(home_care.db.inbox_payload(k) is None for k, _, _ in noted)   # no sealed copy kept

    del home_care.client.acknowledge, home_care.client.acknowledge_many    # the line is back
    second = home_care.receive()
    assert second.received == [] and not second.findings and home_care.db.inbox_keys() == []
    status, _ = cm.sent_status()
    assert {r["state"] for r in status} == {wire.RECEIVED} and all(r["has_receipt"] for r in status)
    cm.close()
    home_care.close()
