"""Fixed data for the snapshot tests: the app's service layer answering with the same typed values
every time (office models, a fixed clock), so that a snapshot changes only when a screen does.
The behaviour is tested against a real relay in test_cycle.py / test_screens.py; here only what the
screens draw is pinned. Imported by basename (tests/ui is not a package)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from tui_client.office.models import (CertificateStatus, FindingSummary, InboxItem, InboxState, ListQuery,
                                      OutboxItem, OutboxState, Page, Partner, Party, RelayStatus)
from tui_client.ui.services import BatchFile, BatchPlan, HomeSummary, ReceiveResult, Services

T0 = datetime(2025, 5, 28, 1, 0, tzinfo=timezone.utc)
CM = Party("1370100011", "43", "つなぎ居宅介護支援事業所（デモ）")
HOMECARE = Party("1370100029", "11", "つなぎ訪問介護ステーション（デモ）")
DAY = Party("1370100037", "15", "つなぎデイサービス（デモ）")


def _name(prefix, month, recipient, serial):
    return f"{prefix}_{month}_{CM.office}_43_{recipient.office}_{recipient.service}_{serial}.CSV"


class FixedOffice:
    """What the screens read of an office directly: its settings and number."""

    def __init__(self):
        self.settings = SimpleNamespace(office=CM.office, services=["43"], name=CM.name,
                                        relay_url="https://127.0.0.1:8443", keystore_file="/demo/cm.p12",
                                        ca_file="/demo/ca.pem", import_folder="", retention_years=5)
        self.number = CM.office

    def close(self):
        pass


def outbox_items():
    out = []
    states = [(OutboxState.RECEIVED, HOMECARE, "UPPLAN"), (OutboxState.RECEIVED, HOMECARE, "UPSIKYU"),
              (OutboxState.SENT, DAY, "UPPLAN"), (OutboxState.WAITING, DAY, "UPSIKYU"),
              (OutboxState.ERROR, DAY, "UPHOSOKU")]
    for seq, (state, party, kind) in enumerate(states):
        name = _name(kind, "202505", party, f"2025052810{seq:02d}00")
        out.append(OutboxItem(
            seq=seq, name=name, kind="file", file_kind=kind, month="202505", sender=CM, recipient=party,
            state=state, content_sha256="0" * 64, size=1200 + seq, queued_at=T0 + timedelta(minutes=seq),
            sent_at=T0 + timedelta(minutes=seq, seconds=5) if state is not OutboxState.WAITING else None,
            received_at=T0 + timedelta(hours=2, minutes=seq) if state is OutboxState.RECEIVED else None,
            relay_id=f"r{seq}", bundle=f"2025052810{seq:02d}00",
            error=FindingSummary("E-RELAY-005", value=f"{party.office}/{party.service}")
            if state is OutboxState.ERROR else None))
    return tuple(out)


def inbox_items():
    return (InboxItem(seq=1, key="k1", name=f"UPJSK_202505_{HOMECARE.office}_11_{CM.office}_43_20250601090000.CSV",
                      kind="file", file_kind="UPJSK", month="202505", sender=HOMECARE, recipient=CM,
                      received_at=T0 + timedelta(days=4), state=InboxState.NEW, content_sha256="", size=900),)


def batch_plan(folder="/demo/export"):
    files = []
    for i, (kind, party, errors) in enumerate([("UP1KYO", HOMECARE, 0), ("UPPLAN", HOMECARE, 0),
                                               ("UPSIKYU", HOMECARE, 0), ("UPPLAN", DAY, 2),
                                               ("UPSIKYU", DAY, 0)]):
        month = "000000" if kind == "UP1KYO" else "202505"
        serial = f"20250528100{0 if party is HOMECARE else 1}00"
        findings = tuple(FindingSummary("E-ROW-012", row=3 + n, column=15, field="サービスコード", value="99XXXX")
                         for n in range(errors))
        files.append(BatchFile(_name(kind, month, party, serial), kind, None if month == "000000" else month,
                               Party(party.office, party.service), serial, findings, True))
    from tui_client.ui.services import hold_bundles

    return BatchPlan(folder, hold_bundles(files))


class FixedServices(Services):
    def __init__(self):
        super().__init__(FixedOffice())
        self.withdrawn = []

    def identity(self):
        return CM

    def inbox(self, query=ListQuery()):
        items = inbox_items()
        return Page(items[query.offset:query.offset + query.limit], len(items), query.offset, query.limit)

    def outbox(self, query=ListQuery()):
        items = tuple(i for i in outbox_items() if not query.state or i.state.value == query.state)
        return Page(items[query.offset:query.offset + max(query.limit, 0)], len(items), query.offset, query.limit)

    def error_shelf(self, query=ListQuery()):
        return self.outbox(ListQuery(limit=query.limit, state="error"))

    def refresh_outbox(self):
        return ()

    def receive(self, cancel=None):
        return ReceiveResult()

    def relay_status(self):
        return RelayStatus("https://127.0.0.1:8443", True)

    def certificate_status(self, now=None):
        return CertificateStatus(CM.office, T0 + timedelta(days=25), 25, "30")

    def partners(self, network=False):
        return (Partner(HOMECARE.office, HOMECARE.name, ("11",), True), Partner(DAY.office, DAY.name, ("15",), True))

    def prepare(self, folder):
        return batch_plan(folder)

    def home(self, now=None, *, network=True):
        return HomeSummary(new_arrivals=1, new_kinds=("UPJSK",), waiting=1,
                           errors=tuple(i for i in outbox_items() if i.state is OutboxState.ERROR), receipts=2,
                           certificate=self.certificate_status(), relay=self.relay_status(),
                           partners=self.partners())
