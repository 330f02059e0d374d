"""The store process (``writer.py``): the answers it gives a worker, and what happens when it dies
or the relay that started it dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time

import pytest

from tui_client import sample_certs
from tui_client.core import seal, wire
from tui_client.relay.envelope import Refused
from tui_client.relay.storage import Conflict, NewItem, StorageError, open_storage
from tui_client.relay.writer import StoreClient, StoreProcess, serve
from tui_client.transport.client import TransportError

pytestmark = pytest.mark.skipif(not StoreProcess.supported(), reason="no Unix sockets: a writer thread instead")

CM, HC = "1370100011", "1370100029"


def _name(serial: int) -> str:
    return f"UPPLAN_202505_{CM}_43_{HC}_11_2025042510{serial:04d}.CSV"


def _sealed(text: bytes = b"1,2,3\r\n") -> bytes:
    ks, _ = sample_certs.keystore("cm")
    data, findings = seal.seal(text, _name(0), ks, [sample_certs.certificate("homecare")])
    assert data is not None, findings
    return bytes(data)


def _item(serial: int, content: bytes) -> NewItem:
    return NewItem("file", _name(serial), wire.digest(content), len(content), CM, "43", HC, "11")


def test_a_worker_gets_each_answer_of_a_group_in_any_order(database, tmp_path):
    storage = open_storage(database)
    path = str(tmp_path / "store.sock")
    parent_r, parent_w = os.pipe()
    ready = threading.Event()
    thread = threading.Thread(target=serve, args=(path, storage),
                              kwargs={"max_body": 1 << 20, "parent_fd": parent_r, "ready": ready.set}, daemon=True)
    thread.start()
    assert ready.wait(10)
    a, b = _sealed(b"a\r\n"), _sealed(b"b\r\n")

    async def main():
        client = StoreClient(path)
        first = await asyncio.gather(
            client.put(_item(1, a), a),
            client.put(_item(2, b), b),
            client.put(_item(3, a), a[:-1]),                                   # cut short
            client.put(_item(4, b"plain"), b"plain"),                          # not sealed
            return_exceptions=True)
        again = await asyncio.gather(client.put(_item(1, a), a), client.put(_item(1, b), b),
                                     return_exceptions=True)
        return first, again

    try:
        (one, two, cut, plain), (dup, conflict) = asyncio.run(main())
        assert one[1] is False and two[1] is False and one[0] != two[0]
        assert isinstance(cut, Refused) and cut.code == wire.BAD_DIGEST
        assert isinstance(plain, Refused) and plain.code == wire.NOT_SEALED
        assert dup == (one[0], True)
        assert isinstance(conflict, Conflict) and conflict.args == (one[0],)
        assert storage.download(one[0], HC)[1] == a and storage.stored_content_count() == 2
    finally:
        os.close(parent_w)                       # end of file: the loop returns
        thread.join(10)
        os.close(parent_r)
        storage.close()
    assert not thread.is_alive()


def test_no_store_process_means_retry_later_not_a_crash(tmp_path):
    async def main():
        return await asyncio.gather(StoreClient(str(tmp_path / "none.sock")).put(_item(1, b"x"), b"x"),
                                    return_exceptions=True)

    (outcome,) = asyncio.run(main())
    assert isinstance(outcome, StorageError)


def _store_pids(relay_pid: int) -> list:
    out = subprocess.run(["pgrep", "-P", str(relay_pid), "-f", "tui_client.relay.writer"],
                         capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def _wait(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_a_killed_store_process_is_started_again_and_uploads_resume(relay, office_client):
    cm = office_client("cm")
    content = _sealed()
    first = cm.client.upload(_name(1), content)
    (old,) = _wait(lambda: _store_pids(relay.proc.pid))
    os.kill(old, signal.SIGKILL)
    new = _wait(lambda: [p for p in _store_pids(relay.proc.pid) if p != old])
    assert new, "the relay did not start its store process again"
    for _ in range(100):          # uploads in the gap are refused as "retry later", never lost
        try:
            second = cm.client.upload(_name(2), content)
            break
        except TransportError as exc:
            assert exc.retry, exc
            time.sleep(0.1)
    else:
        pytest.fail("uploads did not resume")
    assert cm.client.upload(_name(1), content).id == first.id      # what was stored before is still there
    assert not second.duplicate


def test_the_store_process_goes_when_the_relay_dies(relay):
    (pid,) = _wait(lambda: _store_pids(relay.proc.pid))
    os.kill(relay.proc.pid, signal.SIGKILL)        # only the relay, not its process group
    relay.proc.wait(10)
    gone = _wait(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid), timeout=20)
    assert gone, "the store process outlived its relay"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True
