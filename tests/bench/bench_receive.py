"""Receiving 300 files vs downloading the same bytes, one run (no target in the issues; a figure to
watch, because a month's files arrive this way on old PCs with slow disks).

    python tests/bench/bench_receive.py            # 300 files, --repeat 3

Receive (`Office.receive`, what `tsunagi receive` does): list, download into the inbox, open and
verify each item, validate it, store it in the archive, sign a receipt, acknowledge, clear the inbox.
Baseline: the same items listed and downloaded one after another with `RelayClient.download`, the
floor any client pays to move those bytes (they are not acknowledged, so they are still there for
the receive that follows). Both against one local relay (SQLite, demo certificates). Also printed:
how many files the receive created (inbox and archive), since file creation and flushing are what
slow disks and virus scanners charge for.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=str(Path.home() / ".cache"), help="where the office folders go")
    args = ap.parse_args()
    from bench_batch import bundles, demo_offices, file_create_cost

    units = args.files // 3
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="tsunagi-bench-", dir=args.dir) as t:
        relay, cm, hc = demo_offices(Path(t))
        try:
            for rep in range(args.repeat):
                files = bundles(cm.number, hc.number, units, first_serial=rep * units)
                sent = cm.send(files)
                assert len(sent.sent) == len(files), sent.findings[:3]
                t0 = time.perf_counter()
                listed = hc.client.mailbox()
                size = sum(len(hc.client.download(i.id)) for i in listed)
                t_base = time.perf_counter() - t0
                assert len(listed) == len(files)
                before = _files(hc)
                t0 = time.perf_counter()
                report = hc.receive()
                t_recv = time.perf_counter() - t0
                assert len(report.received) == len(files) and not hc.db.inbox_keys(), report.findings[:3]
                created = _files(hc) - before
                results.append((t_base, t_recv))
                print(f"run {rep + 1}: download only {t_base:.2f} s, receive {t_recv:.2f} s, ratio "
                      f"{t_recv / t_base:.2f}×, archive files +{created}", flush=True)
            cm.close()
            hc.close()
        finally:
            relay.stop()
        cost = file_create_cost(Path(args.dir))
    best_base = min(r[0] for r in results)
    best_recv = min(r[1] for r in results)
    print(f"office folders under {args.dir} (create + write + rename of a 4 KB file there: {cost:.0f} µs)")
    print(f"{len(files)} files, {size / 1024:.0f} KiB sealed; best of {args.repeat}: download only {best_base:.2f} s, "
          f"receive (download, open, verify, validate, store, receipt, acknowledge) {best_recv:.2f} s, "
          f"ratio **{best_recv / best_base:.2f}×**")
    return 0


def _files(office) -> int:
    """Files now in the office's inbox and received archive."""
    return sum(1 for folder in (office.paths.inbox, office.paths.archive / "received") if folder.exists()
               for _ in folder.iterdir())


if __name__ == "__main__":
    sys.exit(main())
