"""The commands as a user runs them: tsunagi demo / send / receive / batch / relay (child processes)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tui_client import office as office_mod
from tui_client import sample_certs


def tsunagi(home, *args, input_text=None, timeout=120):
    env = dict(os.environ, TSUNAGI_HOME=str(home), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "tui_client", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=str(home), timeout=timeout,
                          input=input_text)


def test_demo_runs_with_no_configuration(tmp_path):
    from relay.conftest import need_relay_extras

    need_relay_extras()   # `tsunagi demo` starts a local relay (without them it says so: exit 3)
    r = tsunagi(tmp_path, "demo")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "受信済み: 14" in r.stdout
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "demo"]          # nothing written elsewhere


@pytest.fixture
def pcs(relay, tmp_path):
    home = tmp_path / "pcs"
    home.mkdir()
    for demo_id in ("cm", "homecare", "day-main"):
        office_mod.setup_demo_office(demo_id, relay.url, str(home))
    return home


def test_batch_send_receive(pcs, tmp_path):
    from tui_client.cli.demo import month_files

    offices = {}
    for demo_id in ("cm", "homecare", "day-main"):
        o, _ = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=str(pcs))
        offices[demo_id] = o
    files, actuals = month_files(offices, "202505")
    for o in offices.values():
        o.close()
    folder = tmp_path / "export"
    folder.mkdir()
    for name, data in files:
        (folder / name).write_bytes(data)
    cm, hc = "1370100011", "1370100029"

    r = tsunagi(pcs, "batch", folder, "--office", cm, "--dry-run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1370100029/11" in r.stdout and "1370100037/15" in r.stdout

    r = tsunagi(pcs, "batch", folder, "--office", cm, "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "送信 14件" in r.stdout and "14/14" in r.stderr

    r = tsunagi(pcs, "receive", "--office", hc)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1370100011 から受け取りました（7件）:" in r.stdout
    assert len([ln for ln in r.stdout.splitlines() if ln.startswith("  UP")]) == 7

    jsk = tmp_path / actuals["homecare"][0]
    jsk.write_bytes(actuals["homecare"][1])
    r = tsunagi(pcs, "send", jsk, "--office", hc)
    assert r.returncode == 0, r.stdout + r.stderr
    r = tsunagi(pcs, "receive", "--office", cm)
    assert r.returncode == 0 and "受け取りました" in r.stdout, r.stdout + r.stderr
    assert "相手が受け取ったことを確認しました: 7件" in r.stdout


def test_send_errors_are_messages_not_tracebacks(pcs, tmp_path):
    cm = "1370100011"
    r = tsunagi(pcs, "send", tmp_path / "missing.CSV", "--office", cm)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    bad = tmp_path / "UPJSK_202505_1370100029_11_1370100011_43_20250602093000.CSV"
    bad.write_bytes(b"x")
    r = tsunagi(pcs, "send", bad, "--office", cm)                     # not our file, not valid
    assert r.returncode in (2, 3) and "Traceback" not in r.stdout + r.stderr
    assert "E-SEND-003" in r.stdout
    r = tsunagi(pcs, "send", "--office", "1399999999", bad)
    assert r.returncode == 3 and "E-CFG-001" in r.stderr
    r = tsunagi(pcs, "send", "--office", cm, "--message-to", "1370100037:15", "--subject", "s", "--text", "t")
    assert r.returncode == 0, r.stdout + r.stderr


def test_relay_down_keeps_items_waiting(pcs, relay, tmp_path):
    """The relay stops mid-month: the file stays in the outbox and leaves when the relay is back."""
    from tui_client.cli.demo import month_files

    o, _ = office_mod.Office.open("1370100011", home=str(pcs))
    hc, _ = office_mod.Office.open("1370100029", home=str(pcs))
    files, _ = month_files({"cm": o, "homecare": hc, "day-main": hc}, "202505")
    prepared = o.prepare(files[:4])
    relay.kill()
    o._client = None
    o.client.retries = 0
    report = o.send(files[:4], prepared=prepared)
    assert len(report.waiting) == 4 and not report.sent
    assert {f.code for f in report.findings} == {"E-NET-001"}
    assert len(o.waiting()) == 4
    relay.start()
    o.settings.relay_url = relay.url
    o.close()
    report = o.flush()
    assert len(report.sent) == 4 and o.waiting() == []
    o.close()
    hc.close()


def test_relay_without_uvloop_and_httptools(tmp_path):
    """A plain `pip install .` has neither: the relay falls back to asyncio + h11 and still reads
    the client certificate (what `tsunagi demo` relies on)."""
    import socket
    import time

    from relay.conftest import DemoOffice, free_port, need_relay_extras

    need_relay_extras()
    port = free_port()
    code = ("import sys; sys.modules['uvloop'] = None; sys.modules['httptools'] = None\n"
            "from tui_client.cli import main\n"
            f"sys.exit(main(['relay', '--port', '{port}', '--demo-offices', '--log-level', 'warning']))\n")
    env = dict(os.environ, TSUNAGI_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=str(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        office = DemoOffice("cm", f"https://127.0.0.1:{port}")
        assert office.client.health() == {"ok": True, "office": "1370100011"}
        office.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_status_shows_the_error_shelf_and_retry_sends_again(pcs, relay, tmp_path):
    import time

    from tui_client import sample_certs
    from tui_client.core import seal
    from tui_client.relay.storage import open_storage

    cm, _ = office_mod.Office.open("1370100011", home=str(pcs))
    name = "UPPLAN_202505_1370100011_43_1399999999_11_20250425103000.CSV"
    sealed, _ = seal.seal(b"x", name, cm.keystore, [sample_certs.certificate("homecare")],
                          recipient_office="1370100029")
    cm.outbox_queue.enqueue(name, bytes(sealed))
    assert cm.flush().shelved == [name]
    cm.close()
    r = tsunagi(pcs, "status", "--office", "1370100011")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "エラーの棚: 1件" in r.stdout and "E-RELAY-004" in r.stdout

    store = open_storage(relay.database)       # the partner joins the system
    store.register_office("1399999999", ["11"])
    store.close()
    time.sleep(5.2)                              # the relay's directory cache (5 s) forgets the refusal
    r = tsunagi(pcs, "status", "--office", "1370100011", "--retry", name)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "エラーの棚: 0件" in r.stdout and "送信済み: 1件" in r.stdout
    r = tsunagi(pcs, "status", "--office", "1370100011", "--retry", "nothing.CSV")
    assert r.returncode == 4


def test_disk_problems_are_messages_and_lose_nothing(pcs, tmp_path):
    """The office database cannot grow (a full disk: SQLite's own SQLITE_FULL, made here by capping
    the file at its current size). Sending says E-SEND-004 and queues nothing; receiving says
    E-RECV-002, the items stay on the relay (downloaded ones stay in the inbox) and arrive once there
    is room again."""
    cm, _ = office_mod.Office.open("1370100011", home=str(pcs))
    hc, _ = office_mod.Office.open("1370100029", home=str(pcs))

    def disk_full(o):
        pages = o.db._read("PRAGMA page_count")[0][0]
        o.db._read(f"PRAGMA max_page_count = {pages}")

    def room_again(o):
        o.db._read("PRAGMA max_page_count = 1073741823")

    disk_full(cm)
    big = "t" * 200_000                                     # more than the free pages of the file
    rep = cm.send_message("1370100029", "件名", big)
    assert [f.code for f in rep.findings] == ["E-SEND-004"] and not rep.queued and not rep.sent
    assert cm.db.outbox_count(None) == 0
    room_again(cm)
    assert len(cm.send_message("1370100029", "件名", big).sent) == 1

    disk_full(hc)
    got = hc.receive()
    assert "E-RECV-002" in [f.code for f in got.findings] and not got.received
    assert len(hc.client.mailbox()) == 1                  # still on the relay
    room_again(hc)
    hc.inbox_queue.fetch(hc.client)                       # downloaded; then the archive is full
    disk_full(hc)
    got = hc.receive()
    assert "E-RECV-002" in [f.code for f in got.findings] and got.kept and not got.received
    assert len(hc.db.inbox_keys()) == 1 and len(hc.client.mailbox()) == 1
    room_again(hc)
    got = hc.receive()
    assert len(got.received) == 1 and not got.findings, got.findings
    assert hc.db.inbox_keys() == [] and hc.client.mailbox() == []
    cm.close()
    hc.close()
