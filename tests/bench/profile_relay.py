"""Where a server's time goes under bench_relay.py's load: one run, one worker, and a profile of it.

    python tests/bench/profile_relay.py relay --perf       # perf record of the whole server process
    python tests/bench/profile_relay.py relay --cprofile   # cProfile of the event-loop thread
    python tests/bench/profile_relay.py floor --perf       # the same for floor_app.py (or bare)
    python tests/bench/profile_relay.py storage            # the storage path alone, in-process

``--perf``: ``perf record -e cpu-clock`` (a software clock: this VM has no hardware counters) of the
server process for the counted window; prints the samples by thread (the main thread is the event
loop, the others the writer thread and SQLite) and shared object, and each thread's top symbols.
``--cprofile``: the server runs under cProfile (``profiled``), which profiles the main thread only (the
event loop), and writes its stats when uvicorn stops; prints the top entries by own time. cProfile
roughly doubles the CPU per call, so read its shares, not its times. Both print the run's CPU per
request as bench_relay.py counts it.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from bench_relay import material, measure  # noqa: E402


def _perf_report(data: Path, pid: int, top: int) -> None:
    def report(*extra, limit="1") -> str:
        return subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--percent-limit", limit, *extra],
                              capture_output=True, text=True).stdout

    print(f"-- perf: samples by thread (main thread = tid {pid}, the event loop) and shared object")
    print("\n".join(l for l in report("--sort", "pid,dso").splitlines() if l.strip() and not l.startswith("#")))
    tids = sorted({int(l.split()[1].split(":")[0]) for l in report("--sort", "pid").splitlines()
                   if l.strip() and not l.startswith("#") and l.split()[1].split(":")[0].isdigit()})
    for tid in tids:
        print(f"-- perf: top symbols of thread {tid}{' (event loop)' if tid == pid else ''}, % of all samples")
        lines = [l for l in report("--tid", str(tid), "--sort", "dso,sym", limit="0.3").splitlines()
                 if l.strip() and not l.startswith("#")]
        print("\n".join(lines[:top]))


def profiled(out: str, argv: list) -> None:
    """``profile_relay.py --profiled OUT -m MODULE ARGS…``: run MODULE as ``python -m`` would, under
    cProfile (this thread only: the server's event loop), and write the stats when it ends. Not
    ``python -m cProfile``: uvicorn re-raises the SIGTERM it stopped on, which would kill the process
    before cProfile writes; here SIGTERM ends it with SystemExit."""
    import cProfile
    import runpy
    import signal

    module = argv[1]
    sys.argv = [module] + argv[2:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    import time

    profile = cProfile.Profile(time.thread_time)  # this thread's CPU time: idle waits in epoll do not count
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(out)


def in_process(mat, tmp: Path, groups: int, size: int) -> None:
    """CPU per upload of the storage path alone, in this process, no HTTP and no threads: the floor's
    write (``put_items``) and the relay's writer work (``store_group``: SHA-256, envelope, the log
    record, then ``put_items``), each on a fresh durable SQLite file, ``groups`` groups of ``size``."""
    import logging
    import time

    from bench_relay import CM, HC  # the offices of the load's names
    from tui_client.core import wire
    from tui_client.relay.storage import NewItem, open_storage
    from tui_client.relay.writer import store_group

    body = Path(mat["sealed"]).read_bytes()
    digest = wire.digest(body)
    logging.basicConfig(level=logging.INFO, stream=open(tmp / "log.txt", "w"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")

    def items(start: int):
        return [(NewItem("file", f"UPPLAN_202505_{CM}_43_{HC}_11_{start + i:014d}.CSV", digest, len(body),
                         CM, "43", HC, "11"), body) for i in range(size)]

    for label, work in (("put_items (the floor's write)", lambda s, g: s.put_items(g)),
                        ("store_group (the relay's writer: checks, log record, put_items)", store_group)):
        storage = open_storage(str(tmp / f"{label.split()[0]}.sqlite3"))
        work(storage, items(10 ** 9))  # warm: the file, the connection, the statements
        t0, c0 = time.perf_counter(), time.thread_time()
        for g in range(groups):
            work(storage, items(g * size))
        n = groups * size
        print(f"{label}: {(time.thread_time() - c0) / n * 1e6:.0f} µs CPU per upload "
              f"({(time.perf_counter() - t0) / n * 1e6:.0f} µs wall), groups of {size}")
        storage.close()


def main() -> int:
    if sys.argv[1:2] == ["--profiled"]:
        profiled(sys.argv[2], sys.argv[3:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("server", choices=("relay", "floor", "bare", "storage"),
                    help="storage: no server, the storage path in this process (in_process)")
    how = ap.add_mutually_exclusive_group(required=False)
    how.add_argument("--perf", action="store_true")
    how.add_argument("--cprofile", action="store_true")
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--groups", type=int, default=100, help="storage: groups stored")
    ap.add_argument("--group-size", type=int, default=32, help="storage: uploads per group")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--dir", default=str(Path.home() / ".cache"))
    args = ap.parse_args()
    args.processes, args.database = 1, ""
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tsunagi-profile-", dir=args.dir) as t:
        tmp = Path(t)
        mat = material(tmp)
        stats = tmp / "loop.pstats"
        data = tmp / "perf.data"
        recorder = []

        def start_perf(proc) -> None:
            recorder.append(subprocess.Popen(
                ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-p", str(proc.pid), "-o", str(data),
                 "--", "sleep", str(max(1.0, args.duration - 0.5))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        if args.server == "storage":
            in_process(mat, tmp, args.groups, args.group_size)
            return 0
        if not (args.perf or args.cprofile):
            ap.error("relay, floor and bare need --perf or --cprofile")
        python_args = (__file__, "--profiled", str(stats)) if args.cprofile else ()
        result = measure(args.server, mat, 1, args, tmp, python_args=python_args,
                         at_start=start_perf if args.perf else None)
        print(f"{args.server}: {result['rps']:,.0f} req/s, errors {result['errors']}; server CPU per request "
              f"{result['cpu_us']:.0f} µs (event loop {result['loop_us']:.0f}, other threads {result['other_us']:.0f})"
              f"{' (under cProfile)' if args.cprofile else ''}")
        if args.perf:
            pid = result["pid"]
            recorder[0].wait()
            _perf_report(data, pid, args.top)
        elif stats.exists():
            print(f"-- cProfile of the event-loop thread, top {args.top} by own time")
            pstats.Stats(str(stats)).sort_stats("tottime").print_stats(args.top)
        else:
            print("cProfile wrote no stats (the server did not stop cleanly)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
