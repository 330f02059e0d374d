"""Benchmark: seal and open a 20 MB file with Tsunagi vs `openssl cms`, one run, time and peak RSS.

    python tests/bench/bench_seal.py [--mb 20] [--repeat 1] [--json]

Not collected by pytest (the name is bench_*.py). Every measured step runs in its own child process;
the child's peak RSS comes from getrusage(RUSAGE_CHILDREN) in a small wrapper process whose only
child is the measured command, so the wrapper's own memory is not counted. Wall time is the whole
child process (interpreter start and imports included, as a user would feel it); for Tsunagi the
in-process time of seal()/open_sealed() alone is reported too. One run by default; --repeat N
runs every step N times and reports the median time and the largest peak (small machines are noisy).

Steps compared:
  seal:  tsunagi seal()                vs  openssl cms -sign | openssl cms -encrypt -aes256
  open:  tsunagi open_sealed()          vs  openssl cms -decrypt | openssl cms -verify
  (and, for reference, cryptography's PKCS7SignatureBuilder + PKCS7EnvelopeBuilder seal)
openssl's two steps run one after the other through a file; time is their sum, peak their maximum.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250428120000.CSV"

# Both sides read the key the same way: openssl gets an unencrypted PEM key, so ours loads that file too
# (unlocking the office's PKCS#12 keystore costs ~50 ms of deliberate key derivation, on either side).
PEM_KEYSTORE = """
def pem_keystore(key_file, cert_file):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from tui_client.core.certs import Keystore
    key = load_pem_private_key(open(key_file, "rb").read(), None)
    return Keystore(key, x509.load_pem_x509_certificate(open(cert_file, "rb").read()))
"""

CHILD_SEAL = PEM_KEYSTORE + """
import sys, time
t0 = time.perf_counter()
from tui_client import sample_certs
from tui_client.core import seal
src, dst, name = sys.argv[1:4]
cm = pem_keystore(*sys.argv[4:6])  # the same key and certificate files openssl is given
trust = sample_certs.trust_store()
rcpt = sample_certs.certificate("homecare")
with open(src, "rb") as fh:
    content = fh.read()
t1 = time.perf_counter()
sealed, findings = seal.seal(content, name, cm, [rcpt], trust=trust)
t2 = time.perf_counter()
assert sealed is not None, findings
with open(dst, "wb") as fh:
    fh.write(sealed)
print(t2 - t1)
"""

CHILD_OPEN = PEM_KEYSTORE + """
import sys, time
from tui_client import sample_certs
from tui_client.core import seal
src, dst, name = sys.argv[1:4]
hc = pem_keystore(*sys.argv[4:6])  # the same key and certificate files openssl is given
trust = sample_certs.trust_store()
with open(src, "rb") as fh:
    data = fh.read()
t1 = time.perf_counter()
opened, findings = seal.open_sealed(data, name, hc, trust)
t2 = time.perf_counter()
assert opened is not None, findings
del data
with open(dst, "wb") as fh:
    fh.write(opened.content)
print(t2 - t1)
"""

CHILD_BUILDERS = """
import sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from tui_client import sample_certs
src, dst = sys.argv[1:3]
cm, _ = sample_certs.keystore("cm")
rcpt = sample_certs.certificate("homecare")
with open(src, "rb") as fh:
    content = fh.read()
t1 = time.perf_counter()
signed = (pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cm.certificate, cm.key, hashes.SHA256())
          .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
sealed = (pkcs7.PKCS7EnvelopeBuilder().set_data(signed).add_recipient(rcpt)
          .set_content_encryption_algorithm(pkcs7.algorithms.AES256)
          .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
t2 = time.perf_counter()
with open(dst, "wb") as fh:
    fh.write(sealed)
print(t2 - t1)
"""


REPEAT = 1


def measure(cmd, cwd=None) -> dict:
    """``cmd`` run REPEAT times: median wall time, largest peak RSS (MiB), median stdout number."""
    import statistics

    runs = [_measure_once(cmd, cwd) for _ in range(REPEAT)]
    out = dict(runs[0])
    out["wall"] = statistics.median(r["wall"] for r in runs)
    out["peak_mib"] = max(r["peak_mib"] for r in runs)
    if runs[0]["out"].strip():
        out["out"] = str(statistics.median(float(r["out"]) for r in runs))
    return out


def _measure_once(cmd, cwd=None) -> dict:
    """Run ``cmd`` under a wrapper process; its wall time, peak RSS (MiB) and stdout."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'wall': wall, 'peak_kib': ru.ru_maxrss,"
        " 'out': p.stdout, 'err': p.stderr[-2000:]}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, *map(str, cmd)], capture_output=True, text=True,
                          cwd=cwd, check=True)
    result = json.loads(proc.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{cmd[0]} failed: {result['err']}")
    result["peak_mib"] = result["peak_kib"] / 1024  # Linux reports KiB
    return result


def make_content(path: Path, mb: int) -> None:
    line = b"1,1370100011,43,1370100029,11,202505,0001234567,20250501,1111,0930,1030,1,\"demo row\"\r\n"
    with open(path, "wb") as fh:
        remaining = mb * 1024 * 1024
        block = line * (65536 // len(line))
        while remaining > 0:
            fh.write(block[:remaining])
            remaining -= len(block)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    global REPEAT
    REPEAT = max(1, args.repeat)
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl not found", file=sys.stderr)
        return 3
    sys.path.insert(0, str(ROOT))
    from cryptography.hazmat.primitives import serialization

    from tui_client import sample_certs

    env_py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / NAME
        make_content(src, args.mb)
        for office in ("cm", "homecare"):
            store, _ = sample_certs.keystore(office)
            (tmp / f"{office}.key").write_bytes(store.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        cm_cert = sample_certs.path("cm.cert.pem")
        hc_cert = sample_certs.path("homecare.cert.pem")
        ca = sample_certs.path("demo-ca.cert.pem")

        ours_seal = measure([env_py, "-c", CHILD_SEAL, src, tmp / "t.p7m", NAME, tmp / "cm.key", cm_cert], cwd=ROOT)
        ours_open = measure([env_py, "-c", CHILD_OPEN, tmp / "t.p7m", tmp / "t.out", NAME, tmp / "homecare.key",
                             hc_cert], cwd=ROOT)
        assert (tmp / "t.out").read_bytes() == src.read_bytes()
        builders = measure([env_py, "-c", CHILD_BUILDERS, src, tmp / "b.p7m"], cwd=ROOT)

        sign = measure([openssl, "cms", "-sign", "-binary", "-in", src, "-signer", cm_cert, "-inkey",
                        tmp / "cm.key", "-outform", "DER", "-nodetach", "-md", "sha256", "-out", tmp / "s.der"])
        enc = measure([openssl, "cms", "-encrypt", "-binary", "-inform", "DER", "-in", tmp / "s.der",
                       "-outform", "DER", "-aes256", "-out", tmp / "o.p7m", hc_cert])
        dec = measure([openssl, "cms", "-decrypt", "-inform", "DER", "-in", tmp / "o.p7m", "-recip", hc_cert,
                       "-inkey", tmp / "homecare.key", "-binary", "-out", tmp / "d.der"])
        ver = measure([openssl, "cms", "-verify", "-inform", "DER", "-in", tmp / "d.der", "-CAfile", ca,
                       "-binary", "-out", tmp / "o.out"])
        assert (tmp / "o.out").read_bytes() == src.read_bytes()

    ossl_seal = {"wall": sign["wall"] + enc["wall"], "peak_mib": max(sign["peak_mib"], enc["peak_mib"])}
    ossl_open = {"wall": dec["wall"] + ver["wall"], "peak_mib": max(dec["peak_mib"], ver["peak_mib"])}
    import cryptography

    rows = {
        "size_mb": args.mb,
        "repeat": REPEAT,
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
        "openssl": subprocess.run([openssl, "version"], capture_output=True, text=True).stdout.strip(),
        "seal": {
            "tsunagi_wall_s": ours_seal["wall"], "tsunagi_inprocess_s": float(ours_seal["out"]),
            "tsunagi_peak_mib": ours_seal["peak_mib"],
            "openssl_wall_s": ossl_seal["wall"], "openssl_peak_mib": ossl_seal["peak_mib"],
            "time_ratio": ours_seal["wall"] / ossl_seal["wall"],
            "peak_ratio": ours_seal["peak_mib"] / ossl_seal["peak_mib"],
        },
        "open": {
            "tsunagi_wall_s": ours_open["wall"], "tsunagi_inprocess_s": float(ours_open["out"]),
            "tsunagi_peak_mib": ours_open["peak_mib"],
            "openssl_wall_s": ossl_open["wall"], "openssl_peak_mib": ossl_open["peak_mib"],
            "time_ratio": ours_open["wall"] / ossl_open["wall"],
            "peak_ratio": ours_open["peak_mib"] / ossl_open["peak_mib"],
        },
        "reference_cryptography_builders_seal": {
            "wall_s": builders["wall"], "inprocess_s": float(builders["out"]), "peak_mib": builders["peak_mib"],
        },
        "openssl_steps": {k: {"wall_s": v["wall"], "peak_mib": v["peak_mib"]}
                          for k, v in (("sign", sign), ("encrypt", enc), ("decrypt", dec), ("verify", ver))},
    }
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.mb} MB file, {REPEAT} run(s); Python {rows['python']}, cryptography {rows['cryptography']}, {rows['openssl']}")
    print(f"{'step':6} {'tsunagi s':>10} {'(in-proc)':>10} {'openssl s':>10} {'ratio':>6}   "
          f"{'tsunagi MiB':>11} {'openssl MiB':>11} {'ratio':>6}")
    for step in ("seal", "open"):
        r = rows[step]
        print(f"{step:6} {r['tsunagi_wall_s']:10.3f} {r['tsunagi_inprocess_s']:10.3f} {r['openssl_wall_s']:10.3f} "
              f"{r['time_ratio']:6.2f}   {r['tsunagi_peak_mib']:11.1f} {r['openssl_peak_mib']:11.1f} "
              f"{r['peak_ratio']:6.2f}")
    b = rows["reference_cryptography_builders_seal"]
    print(f"reference: cryptography PKCS7 builders seal {b['wall_s']:.3f} s (in-proc {b['inprocess_s']:.3f} s), "
          f"peak {b['peak_mib']:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
