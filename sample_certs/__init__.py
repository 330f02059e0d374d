"""DEMO certificates for training rooms, tests and `tsunagi demo` (keys and passwords are public).

Installed as package data, so it works after a plain ``pip install .``:

* ``manifest()`` — the parsed manifest.json (demo offices, passwords, office numbers, services, what
  is wrong with the bad ones); ``office(id)`` — one entry of it.
* ``path(name)`` / ``data(name)`` — a file of this folder (e.g. ``"cm.p12"``, ``"demo-ca.cert.pem"``).
* ``keystore(id)`` — the loaded keystore of a demo office (``(Keystore | None, findings)``).
* ``trust_store()`` — the demo CA and its CRL, as a ``certs.TrustStore``.
* ``reference_time()`` — when the certificates were made; the manifest's properties hold then.

Regenerate with ``python -m tui_client.sample_certs.generate`` (see that module).
"""

from __future__ import annotations

import datetime as _dt
import json
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    return HERE / name


def data(name: str) -> bytes:
    return path(name).read_bytes()


def _read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def manifest() -> dict:
    return _read_manifest(HERE)


def office(office_id: str) -> dict:
    for entry in manifest()["offices"]:
        if entry["id"] == office_id:
            return entry
    raise KeyError(office_id)


def reference_time(m: Optional[dict] = None) -> _dt.datetime:
    text = (m or manifest())["reference_time"]
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


def keystore(office_id: str):
    from tui_client.core import certs

    entry = office(office_id)
    return certs.load_keystore(data(entry["keystore"]), entry["password"], entry["keystore"])


def certificate(office_id: str):
    from cryptography import x509

    return x509.load_pem_x509_certificate(data(office(office_id)["certificate"]))


def trust_store(folder: Path = HERE):
    from tui_client.core import certs

    m = _read_manifest(folder)
    store, findings = certs.load_trust_store((folder / m["ca"]["certificate"]).read_bytes(),
                                             [(folder / m["ca"]["crl"]).read_bytes()], m["ca"]["crl"])
    if findings:
        raise ValueError(f"demo trust store unreadable: {findings}")
    return store


#: problem in the manifest → the finding code check_certificate must give at reference_time
EXPECTED = {
    None: None,
    "expires_soon": "W-CERT-012",
    "expired": "E-CERT-005",
    "not_yet_valid": "E-CERT-006",
    "revoked": "E-CERT-007",
    "foreign_ca": "E-CERT-008",
    "agent_certificate": "E-CERT-009",
    "no_private_key": "E-CERT-003",
}


def check_manifest(folder: Path = HERE) -> List[str]:
    """Problems with the files in ``folder`` against its manifest (empty list: all as stated)."""
    from cryptography import x509

    from tui_client.core import certs

    m = _read_manifest(folder)
    at = reference_time(m)
    trust = trust_store(folder)
    problems: List[str] = []
    for o in m["offices"]:
        raw = (folder / o["keystore"]).read_bytes()
        ks, findings = certs.load_keystore(raw, o["password"], o["keystore"])
        cert = x509.load_pem_x509_certificate((folder / o["certificate"]).read_bytes())
        codes = [f.code for f in findings]
        if o["problem"] == "no_private_key":
            if codes != ["E-CERT-003"]:
                problems.append(f"{o['id']}: expected E-CERT-003 when loading, got {codes}")
        elif ks is None:
            problems.append(f"{o['id']}: keystore does not open with its password: {codes}")
            continue
        elif ks.certificate != cert:
            problems.append(f"{o['id']}: keystore and {o['certificate']} hold different certificates")
        if certs.office_number_of(cert) != o["office_number"]:
            problems.append(f"{o['id']}: office number {certs.office_number_of(cert)} != {o['office_number']}")
        if cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ") != o["not_after"]:
            problems.append(f"{o['id']}: not_after differs from the manifest")
        if f"{cert.serial_number:X}" != o["serial"]:
            problems.append(f"{o['id']}: serial differs from the manifest")
        checked = [f.code for f in certs.check_certificate(cert, trust, at)]
        expected = EXPECTED[o["problem"]]
        if o["problem"] == "no_private_key":
            expected = None
        if expected is None and any(c.startswith("E-") for c in checked):
            problems.append(f"{o['id']}: expected a usable certificate, got {checked}")
        if expected is not None and expected not in checked:
            problems.append(f"{o['id']}: expected {expected}, got {checked}")
        if o["usable"] != (not any(c.startswith("E-") for c in checked + codes)):
            problems.append(f"{o['id']}: 'usable' does not match the checks ({checked + codes})")
    rs = m["relay_server"]
    chain = x509.load_pem_x509_certificates((folder / rs["certificate"]).read_bytes())
    from cryptography.x509.verification import DNSName, PolicyBuilder, Store

    try:
        PolicyBuilder().store(Store(list(trust.roots))).time(at).build_server_verifier(
            DNSName("localhost")).verify(chain[0], chain[1:])
    except Exception as exc:  # report, do not crash the check
        problems.append(f"relay-server: does not verify for localhost: {exc}")
    return problems
