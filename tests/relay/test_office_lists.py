"""What a screen asks `Office` for, as typed models, against a real relay: the inbox with 新着 →
確認済み → 保存済み, the outbox in every state, the error shelf (discard, requeue), withdrawing, the
archive searched by user and month, the preview, certificate days left, relay reachable, partners."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from relay.conftest import open_demo_office as _open
from tui_client import sample_certs
from tui_client.core import samples
from tui_client.office.models import (ArchiveRecord, Direction, InboxItem, InboxState, ListQuery, OutboxItem,
                                      OutboxState, Page, Preview)

CM, HC = "1370100011", "1370100029"



def _bundle(seed=3, serial="20250425100000", month="202505"):
    cmo, hco = samples.SampleOffice(CM, "43", "cm"), samples.SampleOffice(HC, "11", "hc")
    people = samples.users(2, seed=seed)
    return samples.use_bundle(month, hco, people, sender=cmo, providers=[hco], serial=serial), people


def test_inbox_states_preview_and_saving_keep_the_received_order(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files, people = _bundle()
    assert len(cm.send(files).sent) == 3
    got = hc.receive()
    assert all(isinstance(i, InboxItem) for i in got.received)
    page = hc.inbox()
    assert isinstance(page, Page) and page.total == 3 and not page.has_more
    assert [i.state for i in page.items] == [InboxState.NEW] * 3
    assert [i.seq for i in page.items] == sorted(i.seq for i in page.items)
    first = page.items[0]
    assert first.sender.office == CM and first.sender.name == cm.settings.name   # names from the directory
    assert first.month == "202505" and first.file_kind and first.bundle == "20250425100000"

    preview = hc.preview(first.key)
    assert isinstance(preview, Preview) and preview.item.state == InboxState.SEEN and preview.records
    assert all(isinstance(label, str) for label, _ in preview.records[0])
    assert hc.inbox(ListQuery(state="seen")).total == 1

    out = tmp_path / "care-software"
    names = [i.name for i in reversed(page.items)]            # asked in another order
    paths, findings = hc.save_received(names, out)
    assert not findings and [p.name for p in paths] == [i.name for i in page.items]   # received order
    assert {i.state for i in hc.inbox().items} == {InboxState.SAVED}
    assert all(i.saved_to == str(out) for i in hc.inbox().items)
    assert hc.inbox(ListQuery(limit=2)).has_more and len(hc.inbox(ListQuery(offset=2)).items) == 1

    hits = hc.archive(ListQuery(user=people[0].insured))
    assert hits.total >= 1 and all(isinstance(r, ArchiveRecord) for r in hits.items)
    assert all(r.direction == Direction.RECEIVED for r in hits.items)
    assert hc.archive(ListQuery(month="202506")).total == 0
    assert hc.archive(ListQuery(month="202505", direction="received")).total == 3
    assert cm.archive(ListQuery(direction="sent")).total == 3
    cm.close()
    hc.close()


def test_outbox_states_error_shelf_withdraw_and_discard(relay, tmp_path):
    from tui_client.core import seal

    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files, _ = _bundle()
    later, _ = _bundle(seed=4, serial="20250425110000")
    assert len(cm.send(files).sent) == 3
    assert len(hc.receive().received) == 3
    cm.sent_status()
    assert len(cm.send(later).sent) == 3
    name = "UPPLAN_202505_1370100011_43_1399999999_11_20250425103000.CSV"      # not on the system
    sealed, _ = seal.seal(b"x", name, cm.keystore, [sample_certs.certificate("homecare")],
                          recipient_office="1370100029")
    cm.outbox_queue.enqueue(name, bytes(sealed))
    cm.flush()

    states = {i.name: i.state for i in cm.outbox(ListQuery(limit=100)).items}
    assert all(isinstance(i, OutboxItem) for i in cm.outbox().items)
    assert [states[n] for n, _ in files] == [OutboxState.RECEIVED] * 3
    assert [states[n] for n, _ in later] == [OutboxState.SENT] * 3
    assert states[name] == OutboxState.ERROR
    shelf = cm.error_shelf()
    assert [i.name for i in shelf.items] == [name] and shelf.items[0].error.code == "E-RELAY-004"

    assert cm.withdraw(later[0][0]) == []
    assert cm.outbox(ListQuery(state="withdrawn")).items[0].name == later[0][0]
    assert [f.code for f in cm.withdraw(files[0][0])] == ["E-RELAY-015"]        # already received
    assert [f.code for f in cm.withdraw("nothing.CSV")] == ["E-SEND-011"]
    assert cm.discard(name) and cm.error_shelf().total == 0 and not cm.discard(name)
    assert cm.outbox(ListQuery(state="received")).total == 3
    cm.close()
    hc.close()


def test_certificate_days_left_relay_reachable_and_partners(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    assert hc.register() == []
    status = cm.certificate_status()
    assert status.office == CM and status.days_left > 0
    soon = status.not_after - timedelta(days=20)
    assert cm.certificate_status(now=soon).warning == "30"
    assert cm.certificate_status(now=status.not_after - timedelta(days=3)).warning == "7"
    assert cm.certificate_status(now=status.not_after + timedelta(days=1)).warning == "expired"
    assert cm.relay_status().reachable
    partners, findings = cm.partners([HC])
    assert not findings and partners[0].office == HC and partners[0].name == hc.settings.name
    assert partners[0].on_system and "11" in partners[0].services
    relay.kill()
    cm.close()                                     # a new connection to a relay that is gone
    cm.client.retries = 0
    down = cm.relay_status()
    assert not down.reachable and down.problem.code.startswith("E-NET-")
    assert [p.name for p in cm.partners()[0]] == [hc.settings.name]           # from the copy kept here
    assert datetime.now(timezone.utc) < status.not_after
    cm.close()
    hc.close()


def test_status_searches_the_archive_and_discards_from_the_shelf(relay, tmp_path, run_cli, monkeypatch):
    from tui_client.core import seal

    home = str(tmp_path / "pcs")
    monkeypatch.setenv("TSUNAGI_HOME", home)
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files, people = _bundle()
    assert len(cm.send(files).sent) == 3
    assert len(hc.receive().received) == 3
    name = "UPPLAN_202505_1370100011_43_1399999999_11_20250425103000.CSV"      # not on the system
    sealed, _ = seal.seal(b"x", name, cm.keystore, [sample_certs.certificate("homecare")],
                          recipient_office="1370100029")
    cm.outbox_queue.enqueue(name, bytes(sealed))
    cm.flush()
    cm.close()
    hc.close()
    code, out, err = run_cli("status", "--office", HC, "--month", "202505", "--user", people[1].insured)
    assert code == 0 and "保管: " in out and "受信済み" not in err, out + err
    shown = [line.strip() for line in out.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert shown and all(n in [f for f, _ in files] for n in shown)
    code, out, _ = run_cli("status", "--office", HC, "--month", "209912")
    assert code == 0 and "条件に合うものはありません" in out
    code, out, _ = run_cli("status", "--office", CM, "--offline")
    assert code == 2 and "エラーの棚: 1件" in out
    code, out, _ = run_cli("status", "--office", CM, "--offline", "--discard", name)
    assert code == 0 and "エラーの棚: 0件" in out and "送信済み: 3件" in out, out


def test_lists_may_be_read_from_another_thread_while_a_send_runs(relay, tmp_path):
    """What the app does: a worker thread sends while the screen's thread lists the outbox."""
    import threading

    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    _open("homecare", relay, home).close()
    files = [f for unit in range(6) for f in _bundle(seed=unit, serial=f"2025042511{unit:02d}00")[0]]
    result, errors = [], []

    def worker():
        try:
            result.append(cm.send(files))
        except BaseException as exc:      # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    seen = []
    while t.is_alive() or not seen:
        page = cm.outbox(ListQuery(limit=100))
        seen.append(page.total)
        assert len({i.name for i in page.items}) == len(page.items)      # never an item twice
        cm.certificate_status()
    t.join()
    assert not errors and len(result[0].sent) == 18, (errors, result and result[0].findings)
    assert cm.outbox(ListQuery(state="sent")).total == 18
    cm.close()
