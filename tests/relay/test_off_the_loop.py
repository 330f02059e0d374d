"""The relay's event loop never waits for storage or CMS checks: they run on threads. A real relay
on a thread of this process; every storage call and receipt check records whether it ran inside the
event loop (a running loop in its thread) or off it."""

from __future__ import annotations

import asyncio

from tui_client import sample_certs
from tui_client.core import receipts, seal
from tui_client.relay import identity
from tui_client.relay.storage import open_storage

from .conftest import DemoOffice
from .inthread import InThreadRelay


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _watched(storage, calls: list, names):
    for name in names:
        real = getattr(storage, name)

        def watched(*a, _real=real, _name=name, **kw):
            calls.append((_name, _in_loop()))
            return _real(*a, **kw)

        setattr(storage, name, watched)


def test_acknowledge_and_the_upload_lookups_run_off_the_event_loop(tmp_path, trust):
    calls: list = []
    storage = open_storage(str(tmp_path / "relay.sqlite3"))

    def check(receipt, info, certs):
        calls.append(("check_receipt", _in_loop()))
        return identity.check_receipt(receipt, info, certs)

    with InThreadRelay(storage, receipt_check=check) as relay:
        _watched(storage, calls, ["incoming_info", "certificates", "acknowledge_many", "is_registered", "services",
                                  "put_items", "mailbox", "download"])
        cm, home = DemoOffice("cm", relay.url), DemoOffice("homecare", relay.url)
        try:
            name = f"UPPLAN_202505_{cm.number}_43_{home.number}_11_20250425100000.CSV"
            sealed, findings = seal.seal(b"1,2,3\r\n", name, cm.keystore, [sample_certs.certificate("homecare")])
            assert sealed is not None, findings
            up = cm.client.upload(name, bytes(sealed))
            assert [i.id for i in home.client.mailbox()] == [up.id]
            data = home.client.download(up.id)
            opened, findings = seal.open_sealed(data, name, home.keystore, trust)
            assert opened is not None, findings
            rec = receipts.make_receipt(name, opened.content_digest, home.keystore)
            assert home.client.acknowledge(up.id, rec).state == "received"
            assert home.client.acknowledge_many([(up.id, rec)])[0].state == "received"  # the batch route too
        finally:
            cm.close()
            home.close()
    seen = {n for n, _ in calls}
    assert {"incoming_info", "certificates", "acknowledge_many", "check_receipt", "is_registered",
            "put_items"} <= seen, seen
    assert [n for n, in_loop in calls if in_loop] == []
