"""Benchmark: `tsunagi seal` and `tsunagi open` of a 20 MB file as whole processes, the way a user
runs them, against `openssl cms` as whole processes; paired runs (``paired.py``).

    python tests/bench/bench_seal.py [--mb 20] [--runs 5] [--json FILE]

Both sides unlock the same PKCS#12 keystore the office has (`sample_certs/cm.p12`, `homecare.p12`,
PBES2/PBKDF2 50,000 iterations, AES-256): ours with `--from cm.p12 --password …`, openssl with
`-inkey cm.p12 -keyform P12 -passin pass:…`. Steps compared:

  seal:  tsunagi seal FILE --from cm.p12 --to homecare.cert.pem --demo-trust
         vs  openssl cms -sign -md sha256 -nodetach  then  openssl cms -encrypt -aes256
  open:  tsunagi open FILE.p7m --keystore homecare.p12 --demo-trust
         vs  openssl cms -decrypt  then  openssl cms -verify -CAfile demo-ca.cert.pem

openssl's two steps are two processes through a file: time is their sum, peak their maximum. Each
measured process runs under a small wrapper whose only child it is; peak RSS is the wrapper's
getrusage(RUSAGE_CHILDREN). Python children may write bytecode (a warm-up run of each side first),
as an installed package has its .pyc files. Targets: time ≤ 1.5×, peak memory ≤ 2× openssl.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from paired import Paired, add_arguments, emit, run_paired  # noqa: E402

NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250428120000.CSV"
WRAPPER = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': p.returncode, 'wall': wall, 'peak_kib': ru.ru_maxrss, 'err': p.stderr[-2000:]}))\n"
)


def run_measured(cmd, env) -> dict:
    """One whole process under the wrapper: its wall time (s) and peak RSS (KiB)."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)], capture_output=True, text=True,
                          check=True, env=env, cwd=str(ROOT))
    r = json.loads(proc.stdout)
    if r["rc"] not in (0, 1):  # 1 = warnings only (e.g. the demo CA's notes)
        raise RuntimeError(f"{cmd[:3]} failed ({r['rc']}): {r['err']}")
    return r


def side(cmds, env, peaks: list):
    """A side: the commands run one after another; the sum of their wall times. Peak kept in ``peaks``."""
    def run() -> float:
        rs = [run_measured(c, env) for c in cmds]
        peaks.append(max(r["peak_kib"] for r in rs))
        return sum(r["wall"] for r in rs)
    return run


def make_content(path: Path, mb: int) -> None:
    line = b"1,1370100011,43,1370100029,11,202505,0001234567,20250501,1111,0930,1030,1,\"demo row\"\r\n"
    with open(path, "wb") as fh:
        remaining = mb * 1024 * 1024
        block = line * (65536 // len(line))
        while remaining > 0:
            fh.write(block[:remaining])
            remaining -= len(block)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=20)
    add_arguments(ap)
    args = ap.parse_args(argv)
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl not found", file=sys.stderr)
        return 3
    sys.path.insert(0, str(ROOT))
    from tui_client import sample_certs

    manifest = {o["id"]: o for o in sample_certs.manifest()["offices"]}
    p12 = {k: str(sample_certs.path(manifest[k]["keystore"])) for k in ("cm", "homecare")}
    pw = {k: manifest[k]["password"] for k in ("cm", "homecare")}
    cert = {k: str(sample_certs.path(manifest[k]["certificate"])) for k in ("cm", "homecare")}
    ca = str(sample_certs.path(sample_certs.manifest()["ca"]["certificate"]))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    py = [sys.executable, "-m", "tui_client"]
    cmd = "python tests/bench/bench_seal.py"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / NAME
        make_content(src, args.mb)
        ours_seal = [py + ["seal", src, "--from", p12["cm"], "--password", pw["cm"], "--to", cert["homecare"],
                           "--demo-trust", "-o", tmp / "t.p7m"]]
        ours_open = [py + ["open", tmp / "t.p7m", "--keystore", p12["homecare"], "--password", pw["homecare"],
                           "--demo-trust", "--name", NAME, "-o", tmp / "t.out"]]
        ossl_seal = [[openssl, "cms", "-sign", "-binary", "-in", src, "-signer", cert["cm"], "-inkey", p12["cm"],
                      "-keyform", "P12", "-passin", f"pass:{pw['cm']}", "-outform", "DER", "-nodetach",
                      "-md", "sha256", "-out", tmp / "s.der"],
                     [openssl, "cms", "-encrypt", "-binary", "-inform", "DER", "-in", tmp / "s.der",
                      "-outform", "DER", "-aes256", "-out", tmp / "o.p7m", cert["homecare"]]]
        ossl_open = [[openssl, "cms", "-decrypt", "-inform", "DER", "-in", tmp / "o.p7m", "-recip",
                      cert["homecare"], "-inkey", p12["homecare"], "-keyform", "P12", "-passin",
                      f"pass:{pw['homecare']}", "-binary", "-out", tmp / "d.der"],
                     [openssl, "cms", "-verify", "-inform", "DER", "-in", tmp / "d.der", "-CAfile", ca,
                      "-binary", "-out", tmp / "o.out"]]
        results = []
        for step, ossl, ours in (("seal", ossl_seal, ours_seal), ("open", ossl_open, ours_open)):
            peaks_o, peaks_t = [], []
            r = run_paired(f"{step} {args.mb} MB, whole process (time)", side(ossl, env, peaks_o),
                           side(ours, env, peaks_t), runs=args.runs, target=1.5, command=cmd,
                           a_label="openssl", b_label="tsunagi", warmup=1)
            results.append(r)
            results.append(Paired(f"{step} {args.mb} MB, whole process (peak memory)", cmd, "openssl", "tsunagi",
                                  2.0, unit="KiB", pairs=list(zip(peaks_o[1:], peaks_t[1:]))))
        assert (tmp / "t.out").read_bytes() == src.read_bytes()
        assert (tmp / "o.out").read_bytes() == src.read_bytes()
    return 0 if emit(results, args.json) else 1


if __name__ == "__main__":
    sys.exit(main())
