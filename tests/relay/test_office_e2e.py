"""End to end through the façade on loopback: a care manager sends a month's bundle, the provider
receives, opens, validates, stores and acknowledges, the sender sees the signed receipt, and the
relay keeps no content. Same with PostgreSQL (the ``database`` fixture)."""

from __future__ import annotations

from tui_client import office as office_mod
from tui_client.core import wire
from tui_client.relay.storage import open_storage


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
    assert sorted(r["name"] for r in got.received) == sorted(n for n, _ in files), got.findings
    for name, data in files:
        assert home_care.received_archive.payload(name) == data     # byte for byte, on disk
    assert home_care.inbox.shelf.keys() == []                        # acknowledged, so removed

    status, findings = cm.sent_status()
    assert not findings
    assert {r["state"] for r in status} == {wire.RECEIVED}
    assert all(r.get("receipt") for r in status)

    store = open_storage(relay.database)
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
    assert got.received[0]["attachments"] == ["memo.txt", "photo.jpg"]
    assert got.received[0]["kind"] == wire.KIND_MESSAGE
    bad = cm.send_message(day.number, "s", "t", attachments=[("virus.exe", b"MZ")])
    assert [f.code for f in bad.findings] == ["E-SEND-005"]
