"""Notice of new arrivals: a mailbox request may wait (``?wait=``) and is answered as soon as an item
for the caller's office arrives; `tsunagi receive --watch` receives items as they come; `tsunagi
status` says how many wait on the relay."""

from __future__ import annotations

import threading
import time

import pytest

from relay.conftest import DemoOffice, RelayProcess
from relay.test_cli_transport import tsunagi
from tui_client import office as office_mod
from tui_client import sample_certs
from tui_client.core import seal, wire
from tui_client.transport.client import TransportError


def _upload_later(sender: DemoOffice, recipient_id: str, name: str, delay: float) -> threading.Thread:
    def go():
        time.sleep(delay)
        sealed, _ = seal.seal(b"1,2,3\r\n", name, sender.keystore, [sample_certs.certificate(recipient_id)])
        sender.client.upload(name, bytes(sealed))

    th = threading.Thread(target=go)
    th.start()
    return th


@pytest.fixture
def patient_relay(database, tmp_path):
    r = RelayProcess(database, tmp_path, extra=["--max-wait", "20"]).start()
    yield r
    r.stop()


def test_a_waiting_mailbox_request_is_answered_when_an_item_arrives(patient_relay):
    cm, hc, day = (DemoOffice(i, patient_relay.url) for i in ("cm", "homecare", "day-main"))
    try:
        # Something for another office does not wake the care manager's request.
        other = _upload_later(hc, "day-main", f"UPJSK_202505_{hc.number}_11_{day.number}_15_20250602093000.CSV",
                              0.2)
        mine = _upload_later(hc, "cm", f"UPJSK_202505_{hc.number}_11_{cm.number}_43_20250602093001.CSV", 1.0)
        t0 = time.monotonic()
        items = cm.client.mailbox(wait=15)
        waited = time.monotonic() - t0
        other.join()
        mine.join()
        assert [i.name for i in items] == [f"UPJSK_202505_{hc.number}_11_{cm.number}_43_20250602093001.CSV"]
        assert 0.9 <= waited < 14, waited       # woke by the arrival, long before the wait was over
        t0 = time.monotonic()
        assert len(cm.client.mailbox(wait=15)) == 1 and time.monotonic() - t0 < 14   # not empty: at once
    finally:
        for o in (cm, hc, day):
            o.close()


def test_a_wait_ends_empty_at_the_relays_cap_and_bad_waits_are_refused(relay):
    cm = DemoOffice("cm", relay.url)             # this relay caps waits at 0.5 s (conftest)
    try:
        t0 = time.monotonic()
        assert cm.client.mailbox(wait=30) == []
        assert time.monotonic() - t0 < 10
        for bad in ("-1", "61", "soon"):
            with pytest.raises(TransportError) as exc:
                cm.client._request("GET", wire.MAILBOX, params={"wait": bad})
            assert exc.value.code == wire.BAD_PARAMETER
    finally:
        cm.close()


def test_receive_watch_takes_what_arrives_while_it_waits(patient_relay, tmp_path):
    """The item is uploaded once the command says it is waiting (not after a fixed delay: a loaded
    machine may take longer than any delay to start the command)."""
    import os
    import subprocess
    import sys

    home = tmp_path / "pcs"
    office_mod.setup_demo_office("cm", patient_relay.url, str(home))
    hc = DemoOffice("homecare", patient_relay.url)
    env = dict(os.environ, TSUNAGI_HOME=str(home), PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "tui_client", "receive", "--office", "1370100011",
                             "--watch", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env=env, cwd=str(tmp_path))
    lines = []
    try:
        for line in proc.stdout:                  # bounded: the command ends after 20 s of watching
            lines.append(line)
            if "新しく届くのを待っています" in line and sum("新しく届く" in x for x in lines) == 1:
                _upload_later(hc, "cm", f"UPJSK_202505_{hc.number}_11_1370100011_43_20250602093000.CSV", 0).join()
            if "受け取り 1件" in line:
                break
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        hc.close()
    stdout = "".join(lines) + out
    assert "新しく届くのを待っています" in stdout, stdout + err
    assert "UPJSK_202505_1370100029_11_1370100011_43_20250602093000.CSV" in stdout
    assert stdout.count("受け取り 1件") == 1 and "受け取り 0件" in stdout, stdout
    assert "Traceback" not in err


def test_status_says_what_waits_on_the_relay(relay, tmp_path):
    home = tmp_path / "pcs"
    office_mod.setup_demo_office("cm", relay.url, str(home))
    hc = DemoOffice("homecare", relay.url)
    try:
        _upload_later(hc, "cm", f"UPJSK_202505_{hc.number}_11_1370100011_43_20250602093000.CSV", 0).join()
    finally:
        hc.close()
    r = tsunagi(home, "status", "--office", "1370100011")
    assert "まだ受け取っていないもの: 1件" in r.stdout, r.stdout + r.stderr
    r = tsunagi(home, "status", "--office", "1370100011", "--offline")
    assert "まだ受け取っていないもの" not in r.stdout
