"""Certificates for the sandbox: a training CA of its own, and per seat the demo offices under office
numbers of that seat, so that the seats of a classroom share one relay without sharing a mailbox.

DEMO ONLY, like ``sample_certs``: the CA key, the keystores and their passwords are kept in the training
folder in the clear; they are for practice and are trusted by nothing but the sandbox. What is issued:
- per role (``cm``, ``homecare``, ``day-main``) a current certificate, valid three years;
- for ``homecare`` also its previous certificate (``homecare-old``), which expired yesterday, for the
  renewal scenario: the trainee starts on it and the renewed keystore is the current one.

Office numbers: the demo office's number with digits 5–7 replaced by ``200 + seat`` (seat 1 of the demo
care manager 1370100011 is 1370201011), so no seat's offices are the demo's or another seat's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

#: role → the demo office it copies (name, services) from sample_certs
ROLES = ("cm", "homecare", "day-main")
MANIFEST = "seat-certificates.json"
CA_FILE = "training-ca.cert.pem"
MAX_SEATS = 799


@dataclass(frozen=True)
class SeatOffice:
    role: str
    number: str
    keystore: str
    password: str
    name: str
    services: tuple


def seat_number(number: str, seat: int) -> str:
    if not 1 <= seat <= MAX_SEATS:
        raise ValueError(f"seat must be 1..{MAX_SEATS}")
    return number[:4] + f"{200 + seat:03d}" + number[7:]


def _ca(folder: Path, now: dt.datetime):
    """The training CA in ``folder`` (made once, then reused by every seat of the room)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from tui_client.sample_certs import generate as g

    key_file, cert_file = folder / "training-ca.key.pem", folder / CA_FILE
    if key_file.exists() and cert_file.exists():
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        return g.CA(key, x509.load_pem_x509_certificate(cert_file.read_bytes()))
    folder.mkdir(parents=True, exist_ok=True)
    ca = g.new_ca("Tsunagi TRAINING CA (NOT FOR REAL DATA)", now - dt.timedelta(days=4000),
                  now + dt.timedelta(days=3650))
    key_file.write_bytes(ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    cert_file.write_bytes(g.pem(ca.cert))
    return ca


def relay_server_files(ca_folder: Path, now: Optional[dt.datetime] = None) -> Dict[str, Path]:
    """The relay's TLS certificate (chain) and key, issued by the training CA: {"cert", "key", "ca"}."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    from tui_client.sample_certs import generate as g

    now = now or dt.datetime.now(dt.timezone.utc)
    ca = _ca(ca_folder, now)
    cert_file, key_file = ca_folder / "relay-server.cert.pem", ca_folder / "relay-server.key.pem"
    if not (cert_file.exists() and key_file.exists()):
        key, cert = g.issue(ca, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]),
                            now - dt.timedelta(days=1), now + dt.timedelta(days=3650), kind="server",
                            hosts=["localhost", "127.0.0.1", "::1"])
        cert_file.write_bytes(g.pem(cert) + g.pem(ca.cert))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return {"cert": cert_file, "key": key_file, "ca": ca_folder / CA_FILE}


def issue_seat(ca_folder: Path, seat_folder: Path, seat: int,
               now: Optional[dt.datetime] = None) -> Dict[str, SeatOffice]:
    """Keystores for one seat's offices (made once; read back after): role → SeatOffice. The
    ``homecare-old`` entry is the expired previous certificate of the seat's ``homecare``."""
    existing = read_seat(seat_folder)
    if existing:
        return existing
    from tui_client import sample_certs

    now = now or dt.datetime.now(dt.timezone.utc)
    day = dt.timedelta(days=1)
    plan = [(r, r, now - day, now + 1095 * day) for r in ROLES]
    plan.append(("homecare-old", "homecare", now - 1096 * day, now - day))
    offices = []
    for entry_id, role, not_before, not_after in plan:
        demo = sample_certs.office(role)
        offices.append(OfficeToIssue(entry_id, role, seat_number(demo["office_number"], seat), demo["name"],
                                     tuple(demo.get("services") or ()), demo.get("site") or "", not_before,
                                     not_after))
    out = issue_offices(ca_folder, seat_folder, offices, now)
    doc = {k: {**v.__dict__, "services": list(v.services)} for k, v in out.items()}
    (seat_folder / MANIFEST).write_text(json.dumps({"seat": seat, "offices": doc}, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    return out


@dataclass(frozen=True)
class OfficeToIssue:
    """One office certificate to issue: ``entry_id`` names its keystore file, ``role`` its password."""

    entry_id: str
    role: str
    number: str
    name: str
    services: tuple = ()
    site: str = ""
    not_before: Optional[dt.datetime] = None       # default: yesterday
    not_after: Optional[dt.datetime] = None        # default: three years on


def issue_offices(ca_folder: Path, folder: Path, offices: Sequence[OfficeToIssue],
                  now: Optional[dt.datetime] = None) -> Dict[str, SeatOffice]:
    """Keystores in ``folder`` for ``offices``, issued by the training CA in ``ca_folder`` (made if
    missing): entry id → SeatOffice. A seat's offices, or any other town of practice offices (the
    novice run's care manager and eight providers)."""
    from tui_client.sample_certs import generate as g

    now = now or dt.datetime.now(dt.timezone.utc)
    ca = _ca(ca_folder, now)
    folder.mkdir(parents=True, exist_ok=True)
    out: Dict[str, SeatOffice] = {}
    for o in offices:
        key, cert = g.issue(ca, g.office_name(o.number, o.name, o.site), o.not_before or now - dt.timedelta(days=1),
                            o.not_after or now + dt.timedelta(days=1095))
        password = f"renshu-{o.role}"
        path = folder / f"{o.entry_id}.p12"
        path.write_bytes(g.keystore_bytes(key, cert, password, ca.cert, o.entry_id))
        out[o.entry_id] = SeatOffice(o.role, o.number, str(path), password, o.name, tuple(o.services))
    return out


def read_seat(seat_folder: Path) -> Dict[str, SeatOffice]:
    try:
        doc = json.loads((Path(seat_folder) / MANIFEST).read_text(encoding="utf-8"))
        return {k: SeatOffice(v["role"], v["number"], v["keystore"], v["password"], v["name"],
                              tuple(v["services"])) for k, v in doc["offices"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
