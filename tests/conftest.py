import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_cli(capsys):
    """Run `tsunagi ...` in-process; returns (exit code, stdout, stderr)."""
    from tui_client.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def tsunagi_subprocess(tmp_path):
    """Run the real console entry point in a child process (as a user would)."""
    import subprocess

    def run(*args, **kw):
        return subprocess.run([sys.executable, "-m", "tui_client", *map(str, args)],
                              capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, **kw)

    return run
