"""Receiving 300 files vs downloading the same bytes, paired runs (paired.py). Target (issue 18):
receive ≤ 2.5× the plain download, as the median of the per-run ratios.

    python tests/bench/bench_receive.py            # 300 files, --runs 5

Receive (`Office.receive`, what `tsunagi receive` does): list, download into the inbox, open and
verify each item, validate it, store it in the archive, sign a receipt, acknowledge, clear the inbox.
Baseline: the same items listed and downloaded one after another with `RelayClient.download`, the
floor any client pays to move those bytes (they are not acknowledged, so they are still there for
the receive that follows). Both against one local relay (SQLite, demo certificates). Also printed:
what one file creation costs in the folder used.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

from paired import add_arguments, emit, run_paired  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    add_arguments(ap)
    ap.add_argument("--dir", default=str(Path.home() / ".cache"), help="where the office folders go")
    args = ap.parse_args()
    from bench_batch import bundles, demo_offices, file_create_cost

    units = args.files // 3
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    serials = iter(range(10_000))
    with tempfile.TemporaryDirectory(prefix="tsunagi-bench-", dir=args.dir) as t:
        relay, cm, hc = demo_offices(Path(t))
        try:
            def queue() -> int:
                """Send a fresh set to the home-help office: what the next side will fetch."""
                files = bundles(cm.number, hc.number, units, first_serial=next(serials) * units)
                sent = cm.send(files)
                assert len(sent.sent) == len(files), sent.findings[:3]
                return len(files)

            def download_only() -> float:
                # the download side fetches the items and acknowledges nothing; the relay then drops
                # them the way a receive would (below, untimed), so the next side starts from the same state
                n = queue()
                t0 = time.perf_counter()
                listed = hc.client.mailbox()
                for i in listed:
                    hc.client.download(i.id)
                elapsed = time.perf_counter() - t0
                assert len(listed) == n
                report = hc.receive()
                assert len(report.received) == n, report.findings[:3]
                return elapsed

            def receive() -> float:
                n = queue()
                t0 = time.perf_counter()
                report = hc.receive()
                elapsed = time.perf_counter() - t0
                assert len(report.received) == n and not hc.db.inbox_keys(), report.findings[:3]
                return elapsed

            result = run_paired(f"receive {args.files} files", download_only, receive, runs=args.runs,
                                target=2.5, command="python tests/bench/bench_receive.py",
                                a_label="download only", b_label="receive")
            cm.close()
            hc.close()
        finally:
            relay.stop()
        cost = file_create_cost(Path(args.dir))
    result.note = f"file create + write + rename in {args.dir}: {cost:.0f} µs"
    return 0 if emit([result], args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
