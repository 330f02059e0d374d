"""Benchmark: validating a large 第6表 (UPPLAN) with realistic variety against the floor of merely
reading it, at several sizes.

The floor is ``bytes.decode('cp932')`` + ``csv.reader`` over the same bytes: what any reader of the
file must pay. The data (``samples.varied_plan``) differs row by row as a real export does: many
users under 40 insurers, a plan author per user, 2–4 of a dozen providers per user, visit days,
start and end times, unit and visit counts drawn per row, TAIS codes on rental rows. (The old
``big_plan`` repeats one author, one time and one unit count on every row, which the validator's
check-each-distinct-value-once design makes look cheaper than it is.)

Every run is a fresh child process per side, floor and validate in turns (``paired.py``), each
reporting its own in-process time and peak memory (VmHWM, Linux) with the file already loaded.
Targets (issue 18): validate ≤ 2.5× the floor (median of the paired ratios), peak memory ≤ 1.5×
the floor's, and time per row at 1M rows within 1.2× of that at 100k.

    python tests/bench/bench_validate.py                 # 10k and 100k rows, 5 paired runs each
    python tests/bench/bench_validate.py --full          # and 1M rows (a 160 MB file; ~3 minutes)
    python tests/bench/bench_validate.py --sizes 10000 --runs 2   # smoke test

Not a test: pytest does not collect it. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from paired import Paired, add_arguments, emit, run_paired  # noqa: E402

# Peak memory is VmHWM (Linux): per address space and reset at exec, unlike ru_maxrss, which a child
# inherits from the process that forked it.
CHILD = r"""
import csv, io, json, sys, time
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
path, name, what = sys.argv[1], sys.argv[2], sys.argv[3]
if what == "validate":
    from tui_client.core.validate import validate_file  # import cost is not what we measure
data = open(path, "rb").read()
before = hwm()
t = time.perf_counter()
if what == "floor":
    n = 0
    for _ in csv.reader(io.StringIO(data.decode("cp932"), newline="")):
        n += 1
else:
    report = validate_file(data, name)
    n = report.records
    assert not report.findings, report.findings[:3]
elapsed = time.perf_counter() - t
print(json.dumps({"rows": n, "seconds": elapsed, "peak_kib": hwm(), "before_kib": before}))
"""


def child(path: str, name: str, what: str, rows: int, out: list):
    """A side: one fresh process doing ``what``; its seconds, with the whole result kept in ``out``."""
    def side() -> float:
        proc = subprocess.run([sys.executable, "-c", CHILD, path, name, what], check=True,
                              capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=ROOT))
        r = json.loads(proc.stdout)
        assert r["rows"] == rows, (what, r)
        out.append(r)
        return r["seconds"]
    return side


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="row counts, comma-separated")
    ap.add_argument("--full", action="store_true", help="add 1,000,000 rows")
    add_arguments(ap)
    args = ap.parse_args()
    from tui_client.core.samples import varied_plan

    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.full else [])
    results, per_row = [], {}
    cmd = "python tests/bench/bench_validate.py" + (" --full" if args.full else "")
    for rows in sizes:
        name, data = varied_plan(rows)
        with tempfile.NamedTemporaryFile(suffix=".CSV", delete=False) as fh:
            fh.write(data)
        print(f"file: {name}  {len(data) / 1e6:.1f} MB  {rows} rows", flush=True)
        del data
        floor_runs, val_runs = [], []
        try:
            r = run_paired(f"validate {rows:,} rows (time)", child(fh.name, name, "floor", rows, floor_runs),
                           child(fh.name, name, "validate", rows, val_runs), runs=args.runs, target=2.5,
                           command=cmd, a_label="floor", b_label="validate")
        finally:
            os.unlink(fh.name)
        results.append(r)
        mem = Paired(f"validate {rows:,} rows (peak memory)", cmd, "floor", "validate", 1.5, unit="KiB",
                     pairs=[(f["peak_kib"], v["peak_kib"]) for f, v in zip(floor_runs, val_runs)])
        results.append(mem)
        per_row[rows] = (statistics.median(f["seconds"] for f in floor_runs) / rows,
                         statistics.median(v["seconds"] for v in val_runs) / rows)
        print(f"  {rows:,} rows: time per row floor {per_row[rows][0] * 1e6:.2f} µs, validate "
              f"{per_row[rows][1] * 1e6:.2f} µs; peak floor {mem.side_median(0) / 1024:.0f} MiB, "
              f"validate {mem.side_median(1) / 1024:.0f} MiB", flush=True)
    if 100_000 in per_row and 1_000_000 in per_row:
        big = [r for r in results if r.name.startswith("validate 1,000,000 rows (time)")][0]
        small = [r for r in results if r.name.startswith("validate 100,000 rows (time)")][0]
        # growth of our time per row, paired run by run: 1M run i against 100k run i
        growth = Paired("validate time per row, 1M / 100k", cmd, "100k", "1M", 1.2,
                        pairs=[(s[1] / 100_000, b[1] / 1_000_000) for s, b in zip(small.pairs, big.pairs)])
        floor_growth = statistics.median(b[0] / 1_000_000 / (s[0] / 100_000) for s, b in zip(small.pairs, big.pairs))
        growth.note = f"floor's own growth {floor_growth:.2f}×"
        results.append(growth)
    print("time per row: " + ", ".join(f"{n:,} rows floor {f * 1e6:.2f} µs / validate {v * 1e6:.2f} µs"
                                       for n, (f, v) in per_row.items()))
    return 0 if emit(results, args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
