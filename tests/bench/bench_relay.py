"""Relay upload throughput vs a bare uvicorn endpoint, paired runs (paired.py), same TLS set-up.

    python tests/bench/bench_relay.py                      # workers 1 and 2, 5 runs of 5 s per side, SQLite
    python tests/bench/bench_relay.py --workers 2 --database postgresql://user@127.0.0.1:5432/db
    python tests/bench/bench_relay.py --against floor      # floor vs bare, then relay vs floor

Both servers: uvicorn with uvloop + httptools, TLS with a required client certificate (demo CA),
access log off. The relay runs exactly as `tsunagi relay` (its own protocol class that also sets
TCP_NODELAY, logging at the default level); the baseline is tests/bench/bare_app.py under
`python -m uvicorn`. The load: 50 keep-alive TLS connections, each POSTing a real 20 KB sealed item
(CMS EnvelopedData from the demo care manager to the demo home-help office) under a fresh valid
filename, for ``--duration`` seconds after a 2 s warm-up. Target: relay ≥ 0.5× the baseline's
requests/s (median of the per-run ratios), p99 ≤ 200 ms, 0 errors. The relay is durable (a 201 follows the disk sync of what it
acknowledges), as `tsunagi relay` runs. ``--against floor`` adds tests/bench/floor_app.py: the bare
endpoint plus the relay's own durable write (its writer thread and ``Storage.put_items``) and
nothing else, served like the bare endpoint; floor / bare is the most any relay with this storage
can reach. Also printed: each server's CPU time per request, which the
neighbours' load on a shared machine moves far less than requests/s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from paired import add_arguments, emit, run_paired  # noqa: E402

CM, HC = "1370100011", "1370100029"


def upload_requests(sealed_path: str, host: str):
    """make_request(i) for the load generator: a POST of the sealed item under the i-th name."""
    import hashlib

    body = Path(sealed_path).read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    base = datetime(2025, 4, 25, 0, 0, 0)
    head_tail = (f"Host: {host}\r\nContent-Type: application/pkcs7-mime\r\nX-Tsunagi-SHA256: {digest}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n").encode("ascii")

    def make(i: int) -> bytes:
        serial = (base + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S")
        name = f"UPPLAN_202505_{CM}_43_{HC}_11_{serial}.CSV"
        return f"POST /v1/items?name={name} HTTP/1.1\r\n".encode("ascii") + head_tail + body

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)  # let every worker start accepting
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def material(tmp: Path):
    """Demo CA, relay server cert/key, the care manager's client cert/key (PEM), a 20 KB sealed item."""
    from cryptography.hazmat.primitives import serialization

    from tui_client import sample_certs
    from tui_client.core import seal

    m = sample_certs.manifest()
    ks, _ = sample_certs.keystore("cm")
    cert = tmp / "cm.pem"
    key = tmp / "cm.key"
    cert.write_bytes(ks.certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(ks.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    content = (b"2025,05,20KB sample row for the relay benchmark," * 600)[:20 * 1024 - 2600]
    name = f"UPPLAN_202505_{CM}_43_{HC}_11_20250425000000.CSV"
    sealed, findings = seal.seal(content, name, ks, [sample_certs.certificate("homecare")])
    assert sealed is not None, findings
    sealed_path = tmp / "item.p7m"
    sealed_path.write_bytes(bytes(sealed))
    return {"ca": str(sample_certs.path(m["ca"]["certificate"])),
            "server_cert": str(sample_certs.path(m["relay_server"]["certificate"])),
            "server_key": str(sample_certs.path(m["relay_server"]["key"])),
            "cert": str(cert), "key": str(key), "sealed": str(sealed_path), "size": len(bytes(sealed))}


def _uvicorn(app: str, mat, workers: int, port: int, env=None, python_args=()):
    """``python -m uvicorn`` with the relay's TLS, loop and HTTP set-up, for the bare and floor apps."""
    cmd = [sys.executable, *python_args, "-m", "uvicorn", app, "--app-dir", str(HERE), "--host", "127.0.0.1",
           "--port", str(port), "--ssl-certfile", mat["server_cert"], "--ssl-keyfile", mat["server_key"],
           "--ssl-ca-certs", mat["ca"], "--ssl-cert-reqs", "2", "--loop", "uvloop", "--http", "httptools",
           "--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    return subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)


def start_bare(mat, workers: int, port: int, python_args=()):
    return _uvicorn("bare_app:app", mat, workers, port, python_args=python_args)


def start_floor(mat, workers: int, port: int, database: str, python_args=()):
    """floor_app.py: the bare endpoint plus the relay's own durable write (writer thread, put_items)."""
    from tui_client.relay.storage import open_storage

    open_storage(database).close()  # the schema, once, before the workers start (as `tsunagi relay`)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return _uvicorn("floor_app:app", mat, workers, port,
                    env=dict(os.environ, TSUNAGI_FLOOR_DATABASE=database, PYTHONPATH=path), python_args=python_args)


def start_relay(mat, workers: int, port: int, database: str, home: Path, log_level: str, python_args=()):
    cmd = [sys.executable, *python_args, "-m", "tui_client", "relay", "--host", "127.0.0.1", "--port", str(port),
           "--database", database, "--demo-offices", "--workers", str(workers), "--log-level", log_level]
    env = dict(os.environ, TSUNAGI_HOME=str(home))
    log = open(home / f"relay-{port}.log", "wb")
    return subprocess.Popen(cmd, start_new_session=True, stdout=log, stderr=subprocess.STDOUT, env=env)


def group_cpu_seconds(pgid: int) -> Tuple[float, float]:
    """CPU time (user + system) of every live process in a process group (Linux; 0 elsewhere): (all
    threads, the main threads only). The servers start in sessions of their own, so this is the
    server and its workers; a worker's main thread runs its event loop, the relay's writer thread
    (and SQLite, and for the relay the log records' handler) is another."""
    total = main = 0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # fields after the name: state, ppid, pgrp, …, utime (11), stime (12)
                continue
            total += int(fields[11]) + int(fields[12])
            own = (entry / "task" / entry.name / "stat").read_text().rsplit(")", 1)[1].split()
            main += int(own[11]) + int(own[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / tick, main / tick


def measure(kind: str, mat, workers: int, args, tmp: Path, python_args=(), at_start=None) -> dict:
    """One run of one server under the load; ``python_args`` go before ``-m`` (profile_relay.py:
    cProfile), ``at_start(proc)`` is called when the counted window starts (profile_relay.py: perf)."""
    import loadgen

    port = free_port()
    if kind == "bare":
        proc = start_bare(mat, workers, port, python_args)
    else:
        database = args.database or str(tmp / f"{kind}-{workers}-{port}.sqlite3")
        if database.startswith("postgresql://"):
            import psycopg

            with psycopg.connect(database, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS items, offices, office_services, certificates, deliveries")
        if kind == "floor":
            proc = start_floor(mat, workers, port, database, python_args)
        else:
            proc = start_relay(mat, workers, port, database, tmp, args.log_level, python_args)
    import threading

    try:
        wait_port(port, proc)
        cpu = {}
        # Server CPU per request: counted from the end of the warm-up to the end of the run. On a
        # shared machine requests/s swing with the neighbours' load; CPU per request much less.
        def window_starts():
            cpu["start"] = group_cpu_seconds(proc.pid)
            if at_start is not None:
                at_start(proc)

        timer = threading.Timer(2.0, window_starts)
        timer.start()
        result = loadgen.run("127.0.0.1", port, ca=mat["ca"], cert=mat["cert"], key=mat["key"],
                             clients=args.clients, processes=args.processes, duration=args.duration,
                             factory=("bench_relay", "upload_requests", (mat["sealed"], f"127.0.0.1:{port}")))
        timer.join()
        used, loop = (now - then for now, then in zip(group_cpu_seconds(proc.pid), cpu.get("start", (0.0, 0.0))))
        per = 1e6 / result["ok"] if result["ok"] else float("nan")
        result.update(cpu_us=used * per, loop_us=loop * per, other_us=(used - loop) * per)
    finally:
        stop(proc)
    result.update(server=kind, workers=workers, pid=proc.pid)
    return result


def _note(runs: dict, a: str, b: str) -> str:
    """Side b's latency and both sides' errors and server CPU per request (all threads; the main
    threads, i.e. the event loops; the other threads, i.e. the writer and SQLite), medians."""
    def med(kind, key):
        return statistics.median(x[key] for x in runs[kind])

    errors = sum(x["errors"] for x in runs[a] + runs[b])
    cpu = ", ".join(f"{k} {med(k, 'cpu_us'):.0f} µs (loop {med(k, 'loop_us'):.0f}, other threads "
                    f"{med(k, 'other_us'):.0f})" for k in (a, b))
    note = (f"{b} p50 {med(b, 'p50_ms'):.1f} ms, p99 {med(b, 'p99_ms'):.1f} ms (target ≤ 200), errors {errors}; "
            f"server CPU per request {cpu}")
    return note + (" — p99 or errors NOT met" if med(b, "p99_ms") > 200 or errors else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--processes", type=int, default=1, help="load generator processes")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per side per run")
    ap.add_argument("--database", default="", help="relay database URL (default: a fresh SQLite file)")
    ap.add_argument("--against", choices=("bare", "floor"), default="bare",
                    help="bare: relay vs the bare endpoint; floor: floor_app.py (bare + the relay's durable "
                         "write) vs bare, then relay vs floor")
    ap.add_argument("--log-level", default="info", help="relay log level (default: the relay's default)")
    add_arguments(ap)
    ap.add_argument("--dir", default=str(Path.home() / ".cache"),
                    help="where the relay's SQLite file goes (default ~/.cache, like the real state folder "
                         "under the home directory; /tmp on the reference box writes files several times slower)")
    args = ap.parse_args()
    results = []
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tsunagi-bench-", dir=args.dir) as t:
        tmp = Path(t)
        mat = material(tmp)
        print(f"item {mat['size']} bytes sealed, {args.clients} connections, {args.duration:.0f} s per side, "
              f"generator processes {args.processes}, relay database {args.database or 'SQLite under ' + args.dir}")
        for w in [int(x) for x in args.workers.split(",")]:
            runs = {"bare": [], "floor": [], "relay": []}

            def side(kind):
                def run() -> float:
                    r = measure(kind, mat, w, args, tmp)
                    runs[kind].append(r)
                    return r["rps"]
                return run

            label = f"{w} worker{'s' if w > 1 else ''}"
            if args.against == "floor":
                # The floor's share of the bare endpoint bounds the relay's: the relay would need
                # 0.5 / (floor / bare) of the floor to reach 0.5x of bare (more than 1x: unreachable).
                f = run_paired(f"floor (bare + durable write) uploads, {label} (req/s)", side("bare"),
                               side("floor"), runs=args.runs, target=0.5, higher_is_better=True, unit="req/s",
                               command="python tests/bench/bench_relay.py --against floor",
                               a_label="bare endpoint", b_label="floor")
                f.note = _note(runs, "bare", "floor")
                results.append(f)
                r = run_paired(f"relay vs floor uploads, {label} (req/s)", side("floor"), side("relay"),
                               runs=args.runs, target=round(0.5 / f.median, 2), higher_is_better=True,
                               unit="req/s", command="python tests/bench/bench_relay.py --against floor",
                               a_label="floor", b_label="relay")
                r.note = _note(runs, "floor", "relay") + "; target = 0.5 / (floor / bare)"
            else:
                r = run_paired(f"relay uploads, {label} (req/s)", side("bare"), side("relay"),
                               runs=args.runs, target=0.5, higher_is_better=True, unit="req/s",
                               command="python tests/bench/bench_relay.py", a_label="bare endpoint",
                               b_label="relay")
                r.note = _note(runs, "bare", "relay")
            results.append(r)
    return 0 if emit(results, args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
