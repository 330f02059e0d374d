"""Fixtures for the app's tests: a real relay on loopback (``tests/relay``'s RelayProcess, SQLite),
demo offices opened through the real façade (each "PC" its own home folder), a month's real sample
files in an export folder, and the app with a fixed clock and time zone.

Pilot helpers wait on the app's workers (``settle``) instead of sleeping: no test depends on timing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.relay.conftest import RelayProcess
from tui_client import office as office_mod
from tui_client import sample_certs


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    """Times on screen are local time: fix the zone so that what the tests see is the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def relay(tmp_path):
    r = RelayProcess(str(tmp_path / "relay.sqlite3"), tmp_path).start()
    yield r
    r.stop()


@pytest.fixture
def open_office(relay, tmp_path):
    """``open_office(demo_id, pc="pc1")``: a demo office set up on one PC (its own home folder)."""
    opened = []

    def make(demo_id: str, pc: str = "pc1"):
        home = str(tmp_path / pc)
        office_mod.setup_demo_office(demo_id, relay.url, home)
        o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
        assert o is not None, findings
        opened.append(o)
        return o

    yield make
    for o in opened:
        o.close()


@pytest.fixture
def month_export(tmp_path):
    """``month_export(offices)``: the demo month's files for ``{"cm":…, "homecare":…, "day-main":…}``
    written to an export folder; returns (folder, files, actuals)."""

    def make(offices, month="202505"):
        from tui_client.cli.demo import month_files

        files, actuals = month_files(offices, month)
        folder = tmp_path / "export"
        folder.mkdir(exist_ok=True)
        for name, data in files:
            (folder / name).write_bytes(data)
        return folder, files, actuals

    return make


@pytest.fixture
def anyio_backend():
    return "asyncio"
