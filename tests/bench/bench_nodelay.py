"""The `--workers 2` stall of plain uvicorn (issue #3149) and the relay on the same loop, one run.

    python tests/bench/bench_nodelay.py

Three servers, same TLS set-up and load as bench_relay.py (50 connections, 20 KB sealed items, 5 s):
the bare endpoint under `python -m uvicorn --loop asyncio --http h11` with 1 and with 2 workers, and
the relay with 2 workers with uvloop and httptools made unimportable (what a plain `pip install .`
runs), whose protocol class sets TCP_NODELAY on every accepted socket.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import bench_relay  # noqa: E402
import loadgen  # noqa: E402


def main() -> int:
    base = Path.home() / ".cache"
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tsunagi-bench-", dir=str(base)))
    mat = bench_relay.material(tmp)

    def bare(workers):
        port = bench_relay.free_port()
        cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
               "--port", str(port), "--ssl-certfile", mat["server_cert"], "--ssl-keyfile", mat["server_key"],
               "--ssl-ca-certs", mat["ca"], "--ssl-cert-reqs", "2", "--loop", "asyncio", "--http", "h11",
               "--no-access-log", "--log-level", "warning", "--workers", str(workers)]
        return port, subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)

    def relay(workers):
        port = bench_relay.free_port()
        code = ("import sys; sys.modules['uvloop'] = None; sys.modules['httptools'] = None\n"
                "from tui_client.cli import main\n"
                f"sys.exit(main(['relay', '--port', '{port}', '--database', '{tmp}/relay.sqlite3', "
                f"'--demo-offices', '--workers', '{workers}', '--log-level', 'warning']))")
        return port, subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, TSUNAGI_HOME=str(tmp)),
                                      start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    print("| server | workers | req/s | p50 / p99 ms | errors |")
    print("| --- | --- | --- | --- | --- |")
    try:
        for label, workers, start in (("bare endpoint, asyncio + h11", 1, bare),
                                      ("bare endpoint, asyncio + h11", 2, bare),
                                      ("relay, asyncio + h11, TCP_NODELAY", 2, relay)):
            port, proc = start(workers)
            try:
                bench_relay.wait_port(port, proc)
                r = loadgen.run("127.0.0.1", port, ca=mat["ca"], cert=mat["cert"], key=mat["key"], clients=50,
                                duration=5, factory=("bench_relay", "upload_requests",
                                                     (mat["sealed"], f"127.0.0.1:{port}")))
            finally:
                bench_relay.stop(proc)
            print(f"| {label} | {workers} | {r['rps']:.0f} | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} | {r['errors']} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
