"""The core must import without Textual, requests or a web framework (ARCHITECTURE.md)."""

import subprocess
import sys

FORBIDDEN = ("textual", "requests", "fastapi", "uvicorn", "starlette", "rich",
             "tui_client.ui", "tui_client.relay", "tui_client.transport", "tui_client.cli")


def test_core_imports_nothing_from_faces_or_network():
    code = (
        "import sys, pkgutil, importlib, tui_client.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'tui_client.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(out.split())
    bad = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert bad == []
    assert "tui_client.core.spec.filenames" in loaded
