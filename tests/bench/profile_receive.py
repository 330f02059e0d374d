"""Receives on top of a growing archive, the last one under pyinstrument: what a receive costs once
the office has months of files (the archive's size must not set the pace).

    PYTHONPATH=. python tests/bench/profile_receive.py [--rounds 16] [--out profile.txt]

Each round sends 300 files (100 units of 3, one month) from the demo care manager and receives them
at the home-help office, printing the receive's time; the last round is profiled (pyinstrument
when installed, ``pip install pyinstrument``; else cProfile, 40 lines by cumulative time). One local relay
(SQLite), office folders under ``~/.cache``. Not a paired benchmark: a profile and a growth curve.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(HERE)]


def _profiler():
    """Start profiling; returns the function that stops it and gives the report's text."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.enable()

        def stop() -> str:
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
            return out.getvalue()
        return stop
    p = Profiler(interval=0.001)
    p.start()

    def stop() -> str:
        p.stop()
        return p.output_text(unicode=True, show_all=False)
    return stop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=16, help="receives before the profiled one")
    ap.add_argument("--out", default="", help="write the profile here (default: print it)")
    args = ap.parse_args()
    from bench_batch import bundles, demo_offices

    base = Path.home() / ".cache"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tsunagi-bench-", dir=str(base)) as t:
        relay, cm, hc = demo_offices(Path(t))
        try:
            profiler = None
            for r in range(args.rounds + 1):
                files = bundles(cm.number, hc.number, 100, first_serial=r * 100)
                sent = cm.send(files)
                assert len(sent.sent) == len(files), sent.findings[:3]
                if r == args.rounds:
                    profiler = _profiler()
                t0 = time.perf_counter()
                report = hc.receive()
                elapsed = time.perf_counter() - t0
                assert len(report.received) == len(files), report.findings[:3]
                print(f"round {r}: {hc.db.archive_count('received') - len(files)} archived before, "
                      f"receive {elapsed * 1000:.0f} ms", flush=True)
            text = profiler()
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
            else:
                print(text)
            cm.close()
            hc.close()
        finally:
            relay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
