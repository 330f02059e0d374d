"""The novice's month in guided mode (issue 17, "Reach"): a care manager sends 30 users' plans to 8
providers and receives and saves the 8 providers' 実績, keyboard only, counting the keys pressed.
Targets: <= 8 keys to send, <= 4 to receive and save.

Real parts throughout: a test-only training CA (``training.certs.issue_offices``) issues the care
manager's and the 8 providers' certificates and the relay's TLS certificate; the relay is a real
``tsunagi relay`` on loopback started with ``--cert/--key/--ca`` (as the training sandbox starts its
own); each office is set up on its own "PC" (home folder) and opened through ``Office``; the month's
files are ``core.samples``' for those offices. What was pressed is checked against what happened:
every provider got exactly its files, every 実績 is in the import folder, byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from guidedhelp import guided_app, step_key, walking
from tests.relay.conftest import RelayProcess
from tui_client import office as office_mod
from tui_client.core import samples
from tui_client.training import certs
from tui_client.ui.services import Services

pytestmark = pytest.mark.anyio

MONTH = "202505"
USERS = 30
#: 8 providers: (service type, name); the numbers are made from their place (``_number``). No 福祉用具
#: (17): ``samples.benefit_rows`` writes no TAIS code, so its 第7表 would (rightly) stay home.
PROVIDERS = (("11", "つなぎ訪問介護（練習）"), ("15", "ひまわりデイ（練習）"), ("13", "あおぞら訪問看護（練習）"),
             ("11", "たすけ訪問介護（練習）"), ("78", "こもれび地域デイ（練習）"), ("11", "やまびこヘルパー（練習）"),
             ("15", "さくらデイサービス（練習）"), ("13", "みなと訪問看護（練習）"))
CARE_MANAGER = ("1370400011", "43", "つなぎ居宅介護支援（練習）")


def _number(i: int) -> str:
    return f"13704{i + 1:03d}29"


def served_by(i: int) -> List[int]:
    """Users of provider ``i``: every user has two providers (``u % 8`` and ``(u + 3) % 8``)."""
    return [u for u in range(USERS) if i in (u % len(PROVIDERS), (u + 3) % len(PROVIDERS))]


class Town:
    """The care manager and 8 providers, each on its own PC, on one relay of a test-only CA."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        ca_folder = tmp_path / "ca"
        server = certs.relay_server_files(ca_folder)
        self.ca_file = str(server["ca"])
        self.relay = RelayProcess(str(tmp_path / "relay.sqlite3"), tmp_path, extra=(
            "--cert", str(server["cert"]), "--key", str(server["key"]), "--ca", self.ca_file)).start()
        wanted = [certs.OfficeToIssue("cm", "cm", CARE_MANAGER[0], CARE_MANAGER[2], (CARE_MANAGER[1],))]
        wanted += [certs.OfficeToIssue(f"p{i}", f"p{i}", _number(i), name, (svc,))
                   for i, (svc, name) in enumerate(PROVIDERS)]
        self.issued = certs.issue_offices(ca_folder, tmp_path / "keystores", wanted)
        self.offices: Dict[str, office_mod.Office] = {}
        for entry in self.issued.values():
            self.offices[entry.role] = self._open(entry)

    def _open(self, entry) -> office_mod.Office:
        home = str(self.tmp / f"{entry.role}-pc")
        office_mod.save_settings(office_mod.OfficeSettings(
            office=entry.number, relay_url=self.relay.url, keystore_file=entry.keystore, ca_file=self.ca_file,
            services=list(entry.services), name=entry.name), home)
        o, findings = office_mod.Office.open(entry.number, password=entry.password, home=home)
        assert o is not None, findings
        assert not o.register()
        return o

    @property
    def cm(self) -> office_mod.Office:
        return self.offices["cm"]

    def providers(self) -> List[office_mod.Office]:
        return [self.offices[f"p{i}"] for i in range(len(PROVIDERS))]

    def close(self) -> None:
        for o in self.offices.values():
            o.close()
        self.relay.stop()

    def month(self) -> Tuple[Dict[str, List[samples.NamedFile]], Dict[str, samples.NamedFile]]:
        """({provider number: the care manager's files for it}, {provider number: its 実績})."""
        def so(o):
            return samples.SampleOffice(o.number, o.settings.services[0], o.settings.name)

        people = samples.users(USERS, seed=3)
        cm = so(self.cm)
        plans, actuals = {}, {}
        for i, p in enumerate(self.providers()):
            mine = [people[u] for u in served_by(i)]
            plans[p.number] = (samples.plan_bundle(so(p), mine, sender=cm, providers=[so(p)],
                                                   serial=f"2025032810{i:02d}00")
                               + samples.use_bundle(MONTH, so(p), mine, sender=cm, providers=[so(p)],
                                                    serial=f"2025042510{i:02d}00"))
            actuals[p.number] = samples.actuals_file(MONTH, so(p), mine, care_manager=cm)
        return plans, actuals


@pytest.fixture
def town(tmp_path):
    t = Town(tmp_path)
    yield t
    t.close()


async def test_novice_sends_30_users_plans_to_8_providers_and_saves_their_actuals(town, tmp_path):
    plans, actuals = town.month()
    export, imported = tmp_path / "export", tmp_path / "import"
    export.mkdir()
    imported.mkdir()
    for files in plans.values():
        for name, data in files:
            (export / name).write_bytes(data)
    n_files = sum(len(f) for f in plans.values())
    app = guided_app(Services(town.cm), tmp_path / "cm-pc", export_folder=str(export), import_folder=str(imported))
    async with walking(app, (80, 24)) as keys:
        await keys("2")                                    # 今月のファイルを送る
        await keys("enter")                                # the export folder, remembered: 次へ
        await keys("enter")                                # checked: every file can go
        assert app.screen.run.scratch["summary"].files == n_files
        await keys("enter")                                # summary → confirm
        assert step_key(app) == "confirm"
        question = str(app.screen.query_one("#guided-question").render())
        assert f"ほか{len(PROVIDERS) - 1}事業所" in question and f"{n_files}件" in question
        assert f"{USERS}人分" in question, question
        await keys("enter")                                # 送る
        assert step_key(app) == "result"
        assert app.screen.run.scratch["result"].sent == n_files
        await keys("enter")                                # 終わる
        assert step_key(app) == "menu"
        send_keys = keys.count

        for p in town.providers():                         # every provider got its own files, and only those
            got = p.receive()
            assert sorted(i.name for i in got.received) == sorted(n for n, _ in plans[p.number]), got.findings
            report = p.send([actuals[p.number]])
            assert report.sent, report.findings

        keys.count = 0
        await keys("3")                                    # 届いたファイルを保存
        assert step_key(app) == "count" and app.screen.run.values["new_count"] == len(PROVIDERS)
        await keys("enter")                                # the import folder, remembered: 保存する
        await keys("enter")
        assert step_key(app) == "save"
        await keys("enter")                                # 終わる
        assert step_key(app) == "menu"
        receive_keys = keys.count
    assert send_keys <= 8 and receive_keys <= 4, (send_keys, receive_keys)
    assert (send_keys, receive_keys) == (6, 4)             # the figures the issue's closing note reports
    saved = {p.name: p.read_bytes() for p in imported.iterdir()}
    assert saved == dict(actuals.values())
