"""Benchmark: validating a 100,000-row 第6表 (UPPLAN) against the floor of merely reading it.

The floor is ``bytes.decode('cp932')`` + ``csv.reader`` over the same bytes: what any reader of the
file must pay. Target (issue 4): validation ≤ 2.5× the floor. Both are measured in one run, each in a
fresh child process for peak memory (ru_maxrss), and in-process (best of N) for time.

    python tests/bench/bench_validate.py [--rows 100000] [--repeat 5]

Not a test: pytest does not collect it. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

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
    import tui_client.core.validate  # import cost is not what we measure
data = open(path, "rb").read()
before = hwm()
t = time.perf_counter()
if what == "floor":
    n = 0
    for _ in csv.reader(io.StringIO(data.decode("cp932"), newline="")):
        n += 1
else:
    from tui_client.core.validate import validate_file
    report = validate_file(data, name)
    n = report.records
    assert not report.findings, report.findings[:3]
elapsed = time.perf_counter() - t
peak = hwm()
print(json.dumps({"rows": n, "seconds": elapsed, "peak_kib": peak, "before_kib": before}))
"""


def floor(data: bytes) -> int:
    n = 0
    for _ in csv.reader(io.StringIO(data.decode("cp932"), newline="")):
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from tui_client.core.samples import big_plan
    from tui_client.core.validate import validate_file

    name, data = big_plan(args.rows)
    fields = len(next(csv.reader(io.StringIO(data[:4096].decode("cp932", "replace")))))
    print(f"file: {name}  {len(data) / 1e6:.1f} MB  {args.rows} rows x {fields} fields")

    t_floor, t_val = [], []
    for _ in range(args.repeat):  # interleaved, so load on the machine hits both alike
        t = time.perf_counter()
        floor(data)
        t_floor.append(time.perf_counter() - t)
        t = time.perf_counter()
        report = validate_file(data, name)
        t_val.append(time.perf_counter() - t)
    assert report.records == args.rows and not report.findings
    best_floor, best_val = min(t_floor), min(t_val)
    print(f"time   floor {best_floor * 1000:7.1f} ms   validate {best_val * 1000:7.1f} ms   "
          f"ratio {best_val / best_floor:.2f}x  (best of {args.repeat}; target <= 2.5x)")

    with tempfile.NamedTemporaryFile(suffix=".CSV", delete=False) as fh:
        fh.write(data)
    try:
        mem = {}
        for what in ("floor", "validate"):
            out = subprocess.run([sys.executable, "-c", CHILD, fh.name, name, what], check=True,
                                 capture_output=True, text=True).stdout
            mem[what] = json.loads(out)
    finally:
        os.unlink(fh.name)
    f, v = mem["floor"], mem["validate"]
    print(f"memory peak RSS  floor {f['peak_kib'] / 1024:6.1f} MiB   validate {v['peak_kib'] / 1024:6.1f} MiB   "
          f"(process with the file loaded: {f['before_kib'] / 1024:.1f} / {v['before_kib'] / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
