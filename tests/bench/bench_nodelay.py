"""The `--workers 2` stall of plain uvicorn (issue #3149) and the relay on the same loop, paired runs.

    python tests/bench/bench_nodelay.py            # 5 paired runs of 5 s per side

Two servers, same TLS set-up and load as bench_relay.py (50 connections, 20 KB sealed items):
the bare endpoint under `python -m uvicorn --loop asyncio --http h11` with 2 workers, and
the relay with 2 workers with uvloop and httptools made unimportable (what a plain `pip install .`
runs), whose protocol class sets TCP_NODELAY on every accepted socket. Target: the relay, doing
real work, at least the bare endpoint's requests/s (≥ 1.0×): the stall is gone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import bench_relay  # noqa: E402
import loadgen  # noqa: E402
from paired import add_arguments, emit, run_paired  # noqa: E402


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

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=5.0)
    add_arguments(ap)
    args = ap.parse_args()

    def side(start, workers, runs):
        def run() -> float:
            port, proc = start(workers)
            try:
                bench_relay.wait_port(port, proc)
                r = loadgen.run("127.0.0.1", port, ca=mat["ca"], cert=mat["cert"], key=mat["key"], clients=50,
                                duration=args.duration, factory=("bench_relay", "upload_requests",
                                                                 (mat["sealed"], f"127.0.0.1:{port}")))
            finally:
                bench_relay.stop(proc)
            runs.append(r)
            return r["rps"]
        return run

    bare_runs, relay_runs = [], []
    try:
        result = run_paired("asyncio + h11, 2 workers: relay (TCP_NODELAY) vs bare uvicorn (req/s)",
                            side(bare, 2, bare_runs), side(relay, 2, relay_runs), runs=args.runs, target=1.0,
                            higher_is_better=True, unit="req/s", command="python tests/bench/bench_nodelay.py",
                            a_label="bare endpoint", b_label="relay")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    result.note = (f"p50 bare {med(r['p50_ms'] for r in bare_runs):.1f} ms (the ~44 ms stall of uvicorn #3149) vs "
                   f"relay {med(r['p50_ms'] for r in relay_runs):.1f} ms; errors "
                   f"{sum(r['errors'] for r in bare_runs + relay_runs)}")
    return 0 if emit([result], args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
