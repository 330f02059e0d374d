"""The trainer's sandbox: a relay and the demo offices of one seat, made afresh for a scenario.

``TrainingWorld`` is the demo world (``ui/demo.py``) with the parts a scenario asks for:
- ``month``: this month's files in the trainee's export folder (the care manager's plan, or the
  provider's 実績);
- ``bad-file``: one of them with an error that a hand edit in a spreadsheet really makes (a date that
  does not exist, 32日), and, in the sandbox's "care software" folder, the same file fixed: the
  trainee asks for it with the training panel's key, as they would export again after fixing the plan;
- ``actuals``: the providers send this month's 実績 a few seconds after start;
- ``expiring-certificate``: the trainee's office starts on its previous certificate, which expired
  yesterday (the app opens on the set-up check, which says so), and the renewed keystore waits in the
  handout folder, to be set up there;
- ``no-office``: nothing is set up on the trainee's PC; the handout (``はじめに.txt``) says which
  keystore, password, relay and CA file to type into the set-up screen.

The offices are the demo's under the seat's own numbers, with certificates of the sandbox's training CA
(``training.certs``); the relay is the seat's own, or a classroom's shared one. The partners work in
the background as in the demo: they receive (answering with signed receipts) and,
when the trainee is a provider, the care manager sends this month's plan at start. Nothing here draws.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

from tui_client.catalog import t
from tui_client.training.certs import ROLES
from tui_client.ui.demo import NOBODY, DemoWorld

#: The handout folder inside a seat (what a trainer would hand out on paper), by its catalogue key.
HANDOUT = t("training.file.handout")


class TrainingWorld(DemoWorld):
    """One seat's sandbox. ``relay_url``: the classroom's relay (else the seat starts its own);
    ``ca_folder``: where the training CA lives (shared by a classroom); ``seat``: the seat's number,
    which gives its offices their numbers (``training.certs``)."""

    def __init__(self, home: Path, scenario, month: str = "202505", *, actuals_after: float = 4.0,
                 seat: int = 1, ca_folder: Optional[Path] = None, relay_url: str = ""):
        super().__init__(home, month, actuals_after=actuals_after)
        self.scenario = scenario
        self.parts = set(scenario.world)
        self.trainee = scenario.role
        self.background = tuple(i for i in ROLES if i != self.trainee)
        self.seat = seat
        self.ca_folder = Path(ca_folder) if ca_folder else self.home.parent / "ca"
        self.certs_folder = self.home.parent / "certificates"
        self.given_relay = relay_url
        self.handout = self.home / HANDOUT
        self.software = self.home / t("training.file.software")    # where the "fixed export" comes from
        self.marks: Dict[str, bool] = {}
        self.seat_offices: Dict[str, object] = {}
        self.trainee_findings: tuple = ()               # why the trainee's office did not open
        if "actuals" not in self.parts:
            self.actuals_sent.set()                     # the providers never send their 実績

    # -- start
    def open(self) -> Tuple[Optional[object], tuple]:
        from tui_client.cli.demo import month_files, start_relay
        from tui_client.office.models import FindingSummary
        from tui_client.training import certs

        shutil.rmtree(self.home, ignore_errors=True)
        for folder in (self.home, self.export_folder, self.import_folder, self.handout, self.software):
            folder.mkdir(parents=True, exist_ok=True)
        self.seat_offices = certs.issue_seat(self.ca_folder, self.certs_folder, self.seat)
        server = certs.relay_server_files(self.ca_folder)
        if self.given_relay:
            self.url = self.given_relay
        else:
            self.proc, self.url = start_relay(self.home, options=(
                "--cert", str(server["cert"]), "--key", str(server["key"]), "--ca", str(server["ca"])))
            if self.proc is None:
                return None, (FindingSummary("E-NET-001", params=(("url", "127.0.0.1"),)),)
        self.ca_file = server["ca"]
        opened = self._open_offices()
        if isinstance(opened, tuple):
            return opened
        for o in self.offices.values():
            o.register()
        plan, self.actuals = month_files(self._numbered(), self.month)
        mine = plan if self.trainee == "cm" else [self.actuals[self.trainee]]
        if "month" in self.parts:
            for name, data in mine:
                (self.export_folder / name).write_bytes(data)
        if "bad-file" in self.parts:
            self._plant_bad_file(mine)
        self._write_handout()
        if self.trainee != "cm" and "cm" in self.offices:
            self.offices["cm"].send(plan)                # the provider's month starts with the plan
        self._thread = threading.Thread(target=self._providers, name="tsunagi-training-offices", daemon=True)
        self._thread.start()
        if self.trainee in self.offices:
            return self.offices[self.trainee], ()
        if "no-office" in self.parts:
            return None, ()
        return None, self.trainee_findings

    def _open_offices(self):
        """Set up and open every office of the seat (the trainee's as the scenario wants it)."""
        from tui_client import office as office_mod
        from tui_client.ui.services import summary

        self.trainee_findings = ()
        for role in (*self.background, self.trainee):
            if role == self.trainee and "no-office" in self.parts:
                continue
            entry = self.seat_offices["homecare-old" if role == self.trainee and
                                      "expiring-certificate" in self.parts else role]
            office_mod.save_settings(office_mod.OfficeSettings(
                office=entry.number, relay_url=self.url, keystore_file=entry.keystore, ca_file=str(self.ca_file),
                services=list(entry.services), name=entry.name), str(self.home))
            o, findings = office_mod.Office.open(entry.number, password=entry.password, home=str(self.home))
            if o is None and role == self.trainee:
                # an expired certificate: the app opens on the set-up check, which says so
                self.trainee_findings = tuple(summary(f) for f in findings)
                continue
            if o is None:
                self.stop()
                return None, tuple(summary(f) for f in findings)
            self.offices[role] = o
        return None

    def _numbered(self) -> Dict[str, object]:
        """Every role with its seat's number, services and name, for the month's sample files."""
        from types import SimpleNamespace

        return {role: SimpleNamespace(number=e.number, settings=SimpleNamespace(services=list(e.services), name=e.name))
                for role, e in self.seat_offices.items() if role in ROLES}

    def _write_stray(self, files) -> None:             # the demo's stray file is not part of training
        return None

    def _plant_bad_file(self, files) -> None:
        """Replace the first 第6表 / 実績 with a copy whose first date on its first record is the
        32nd; the fixed file (the original) waits in the care software's folder."""
        for name, data in files:
            if name.startswith(("UPPLAN_", "UPJSK_")):
                (self.export_folder / name).write_bytes(impossible_date(data))
                (self.software / name).write_bytes(data)
                return

    def fix_export(self) -> int:
        """The care software's export after the trainee fixed the plan: the fixed files replace the
        bad ones in the export folder. Returns how many files were replaced."""
        n = 0
        for path in sorted(self.software.glob("*")):
            shutil.copyfile(path, self.export_folder / path.name)
            n += 1
        self.marks["fixed"] = n > 0
        return n

    def _write_handout(self) -> None:
        renewed = "expiring-certificate" in self.parts
        entry = self.seat_offices[self.trainee]
        keystore = self.handout / t("training.file.renewed" if renewed else "training.file.keystore")
        shutil.copyfile(entry.keystore, keystore)
        ca = self.handout / t("training.file.ca")
        shutil.copyfile(self.ca_file, ca)
        text = t("training.handout", keystore=keystore, password=entry.password, relay=self.url, ca=ca,
                 export=self.export_folder, imports=self.import_folder, office=entry.number, name=entry.name)
        (self.handout / t("training.file.readme")).write_text(text, encoding="utf-8")

    # -- the other offices (``DemoWorld._providers`` runs ``self.background``)
    def partners(self) -> Dict[str, object]:
        return {k: v for k, v in self.offices.items() if k != self.trainee}


def impossible_date(data: bytes) -> bytes:
    """The file with the first date (YYYYMMDD) of its first record made the 32nd of its month."""
    lines = data.decode("cp932").split("\r\n")
    cells = lines[1].split(",") if len(lines) > 1 else []
    for i, cell in enumerate(cells):
        value = cell.strip('"')
        if re.fullmatch(r"(19|20)\d{6}", value):
            cells[i] = cell.replace(value, value[:6] + "32")
            lines[1] = ",".join(cells)
            break
    return "\r\n".join(lines).encode("cp932")


__all__ = ["TrainingWorld", "HANDOUT", "NOBODY"]
