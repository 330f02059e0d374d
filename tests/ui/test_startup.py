"""Start-up (issue 15): the first frame needs only Textual and our light modules; the engine,
cryptography, requests and the relay load after it, in workers. The timing itself is
tests/bench/bench_ui_start.py's; here the import structure that makes it possible is pinned."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from textual.widgets import Static

from tui_client.catalog import t
from tui_client.ui.app import TsunagiApp

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cryptography", "requests", "sqlite3", "tui_client.office.facade", "tui_client.transport",
         "tui_client.relay", "tui_client.core.wire", "tui_client.core.validate", "textual.widgets._data_table")


def test_the_modules_of_the_first_frame_are_light(tmp_path):
    """What ``tsunagi`` imports up to composing its first frame (the app module, the settings and the
    office's ``office.json``, the home tab), in a fresh interpreter."""
    from tui_client import office as office_mod

    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", str(tmp_path))
    code = ("import json, sys\n"
            "from tui_client.ui import app\n"
            "a = app.office_app(sys.argv[1])\n"
            "app._tab_widget('home')\n"
            "from tui_client.office.models import InboxItem, Page\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         timeout=120, cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    assert "tui_client.office.models" in loaded and "tui_client.office" in loaded


def test_the_status_line_says_the_office_is_opening_until_it_is_open():
    gate = threading.Event()

    def opener():
        assert gate.wait(30)
        return None, ()

    async def run():
        app = TsunagiApp(opener=opener, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            status = app.query_one("#status-line", Static)
            assert t("status.opening") in str(status.render())
            gate.set()
            for _ in range(200):
                if not app._opening:
                    break
                await pilot.pause()
            assert not app._opening
            # nothing opened (the opener found no office): the set-up check takes over
            assert type(app.screen).__name__ == "SetupScreen"

    asyncio.run(run())
