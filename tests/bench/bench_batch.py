"""A batch of 300 files through the whole pipeline vs uploading the same bytes, paired runs (paired.py).

    python tests/bench/bench_batch.py            # 300 files (100 sending units of 3), --runs 5

Pipeline (what `tsunagi batch --yes` does, timed in-process on the office façade): validate every
file and the bundle rules, route, look up recipients in the relay's directory, seal (sign + encrypt),
write to the outbox and the sent archive with fsync, upload with the idempotency key, record the
relay's id and clear the outbox. Baseline: the same number of items of the same sizes, already
sealed, uploaded one after another on the same kind of TLS connection (RelayClient.upload) — the
floor any client pays to move those bytes. Both against one local relay (SQLite, demo certs).
Target: pipeline ≤ 2× the baseline, as the median of the per-run ratios.
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


def bundles(cm_number: str, hc_number: str, units: int, first_serial: int):
    from datetime import datetime, timedelta

    from tui_client.core import samples

    cm = samples.SampleOffice(cm_number, "43", "cm")
    hc = samples.SampleOffice(hc_number, "11", "hc")
    people = samples.users(6, seed=2)
    base = datetime(2025, 4, 1)
    files = []
    for u in range(units):
        serial = (base + timedelta(seconds=first_serial + u)).strftime("%Y%m%d%H%M%S")
        files += samples.use_bundle("202505", hc, people, sender=cm, providers=[hc], serial=serial)
    return files


def file_create_cost(folder: Path, n: int = 300) -> float:
    """µs to create, write (4 KB) and rename one file in ``folder``: the pipeline makes several per
    item, so this disk figure decides much of the result and is printed with it."""
    import os

    with tempfile.TemporaryDirectory(prefix="probe-", dir=str(folder)) as d:
        t0 = time.perf_counter()
        for i in range(n):
            tmp = os.path.join(d, f".tmp-{i}")
            with open(tmp, "wb") as fh:
                fh.write(b"x" * 4096)
            os.replace(tmp, os.path.join(d, f"f{i}"))
        return (time.perf_counter() - t0) / n * 1e6


def demo_offices(tmp: Path):
    """A local relay (SQLite under ``tmp``) and the demo care manager and home-help offices on it,
    each on a warm connection: (relay, care manager, home help)."""
    from relay.conftest import RelayProcess

    from tui_client import office as office_mod

    relay = RelayProcess(str(tmp / "relay.sqlite3"), tmp).start()
    try:
        home = str(tmp / "pcs")
        offices = []
        for demo_id, number in (("cm", "1370100011"), ("homecare", "1370100029")):
            office_mod.setup_demo_office(demo_id, relay.url, home)
            office, findings = office_mod.Office.open(number, home=home)
            assert office is not None, findings
            office.client.health()    # connect once: measurements start on a warm connection
            offices.append(office)
    except BaseException:
        relay.stop()
        raise
    return relay, offices[0], offices[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    add_arguments(ap)
    ap.add_argument("--dir", default=str(Path.home() / ".cache"),
                    help="where the office's folders go (default ~/.cache, like the real data folder "
                         "under the home directory; /tmp on the reference box creates files ~7x slower)")
    args = ap.parse_args()
    from tui_client import sample_certs
    from tui_client.core import seal

    units = args.files // 3
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    serials = iter(range(10_000))  # every side of every run sends under serials of its own
    with tempfile.TemporaryDirectory(prefix="tsunagi-bench-", dir=args.dir) as t:
        relay, cm, hc = demo_offices(Path(t))
        try:
            hc_cert = sample_certs.certificate("homecare")

            def upload_only() -> float:
                files = bundles(cm.number, "1370100029", units, first_serial=next(serials) * units)
                sealed = [(n, bytes(seal.seal(d, n, cm.keystore, [hc_cert])[0])) for n, d in files]
                t0 = time.perf_counter()
                for n, s in sealed:
                    cm.client.upload(n, s)
                return time.perf_counter() - t0

            def pipeline() -> float:
                files = bundles(cm.number, "1370100029", units, first_serial=next(serials) * units)
                cm._cert_cache.clear()
                t0 = time.perf_counter()
                report = cm.send(files)
                elapsed = time.perf_counter() - t0
                assert len(report.sent) == len(files), report.findings[:3]
                return elapsed

            result = run_paired(f"batch of {args.files} files", upload_only, pipeline, runs=args.runs, target=2.0,
                                command="python tests/bench/bench_batch.py", a_label="upload only",
                                b_label="pipeline")
            cm.close()
            hc.close()
        finally:
            relay.stop()
    size = sum(len(d) for _, d in bundles(cm.number, "1370100029", units, first_serial=0))
    result.note = (f"{args.files} files, {size / 1024:.0f} KiB plaintext; file create + write + rename in "
                   f"{args.dir}: {file_create_cost(Path(args.dir)):.0f} µs")
    return 0 if emit([result], args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
