"""The demo world behind `tsunagi demo`: an embedded relay on loopback, the DEMO offices of
``sample_certs``, a month of sample files in the care manager's export folder, and the two providers
working in the background: they receive what the care manager sends (answering with signed
receipts), and a few seconds after start each sends this month's 実績 to the care manager.

The app runs as the care manager (``cm``). Nothing here draws or imports Textual: ``DemoWorld.open``
runs in the app's worker, ``stop`` when the app closes. Everything lives in the demo folder, made
afresh on each run. One file in the export folder is deliberately addressed to an office that is
not on the system, so the batch shows a file that stays home with its finding and fix.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

PROVIDERS = ("homecare", "day-main")
#: seconds after the world is up before the providers send their 実績
ACTUALS_AFTER = 4.0
#: an office number no demo office has (the file addressed to it cannot be delivered)
NOBODY = "2712399995"


class DemoWorld:
    def __init__(self, home: Optional[Path] = None, month: str = "202505", *, actuals_after: float = ACTUALS_AFTER):
        from tui_client.cli.demo import demo_home

        self.home = Path(home) if home else demo_home()
        self.month = month
        self.actuals_after = actuals_after
        self.proc = None
        self.url = ""
        self.offices: Dict[str, object] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.export_folder = self.home / "export"
        self.import_folder = self.home / "import"
        self.actuals_sent = threading.Event()
        self.background: Tuple[str, ...] = PROVIDERS     # the offices that work on their own

    # -- start
    def open(self) -> Tuple[Optional[object], tuple]:
        """Start everything; ``(care manager's Office, findings)`` as ``Office.open`` answers."""
        from tui_client import office as office_mod
        from tui_client import sample_certs
        from tui_client.cli.demo import month_files, start_relay
        from tui_client.ui.services import summary

        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.proc, self.url = start_relay(self.home)
        if self.proc is None:
            from tui_client.office.models import FindingSummary

            return None, (FindingSummary("E-NET-001", params=(("url", "127.0.0.1"),)),)
        for demo_id in ("cm", *PROVIDERS):
            office_mod.setup_demo_office(demo_id, self.url, str(self.home))
            o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"],
                                                 home=str(self.home))
            if o is None:
                self.stop()
                return None, tuple(summary(f) for f in findings)
            self.offices[demo_id] = o
        for o in self.offices.values():
            o.register()          # everyone is on the directory before the care manager checks
        files, self.actuals = month_files(self.offices, self.month)
        self.export_folder.mkdir(parents=True, exist_ok=True)
        self.import_folder.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (self.export_folder / name).write_bytes(data)
        self._write_stray(files)
        self._thread = threading.Thread(target=self._providers, name="tsunagi-demo-offices", daemon=True)
        self._thread.start()
        return self.offices["cm"], ()

    def _write_stray(self, files) -> None:
        """One copy of a 利用者補足 file addressed to an office that is not on the system."""
        for name, data in files:
            if name.startswith("UPHOSOKU_"):
                offices = [i for i, part in enumerate(name.split("_")) if len(part) == 10 and part.isdigit()]
                if len(offices) < 2:
                    continue
                parts = name.split("_")
                parts[offices[1]] = NOBODY           # the recipient: sender first, recipient second
                (self.export_folder / "_".join(parts)).write_bytes(data)
                return

    def app_settings(self):
        from tui_client.ui.settings import AppSettings

        return AppSettings(export_folder=str(self.export_folder), import_folder=str(self.import_folder),
                           poll_interval=5)

    # -- the other offices
    def _providers(self) -> None:
        """Receive (with receipts) now and then; send the 実績 once, a few seconds after start.
        Bounded by ``stop``; a failure is retried on the next round, never raised."""
        waited = 0.0
        while not self._stop.is_set():
            for demo_id in self.background:
                o = self.offices.get(demo_id)
                if o is None or self._stop.is_set():
                    continue
                try:
                    o.receive()
                except Exception:  # noqa: BLE001 - the demo keeps going; the relay may be restarting
                    pass
            if not self.actuals_sent.is_set() and waited >= self.actuals_after:
                try:
                    for demo_id in PROVIDERS:
                        if demo_id in self.background:
                            self.offices[demo_id].send([self.actuals[demo_id]])
                    self.actuals_sent.set()
                except Exception:  # noqa: BLE001
                    pass
            self._stop.wait(1.0)
            waited += 1.0

    def stop(self) -> None:
        from tui_client.cli.demo import stop_relay

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for o in self.offices.values():
            try:
                o.close()
            except Exception:  # noqa: BLE001
                pass
        stop_relay(self.proc)
        self.proc = None
