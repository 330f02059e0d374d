"""Office settings: what a PC needs to act for an office, saved as ``office.json`` (never a password),
set up for a real office (``setup_office``, with certificate renewal) or a DEMO one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from tui_client import config
from tui_client.core.findings import Finding, has_errors, make

#: Retention the office settings may ask for (years); the settings screen refuses anything else
#: (ui/settings.py) and the archive falls back to the default for a hand-edited bad value.
RETENTION_DEFAULT, RETENTION_MIN, RETENTION_MAX = 5, 1, 100


@dataclass
class OfficeSettings:
    """What an office's PC needs to take part. The keystore password is never stored, except for a
    DEMO keystore, whose password is public (``demo_id`` names it in sample_certs)."""

    office: str
    relay_url: str
    keystore_file: str
    ca_file: str
    crl_files: List[str] = field(default_factory=list)
    services: List[str] = field(default_factory=list)
    name: str = ""
    demo_id: str = ""
    #: Keystores of this office's earlier certificates (newest first), re-encrypted with the current
    #: password at renewal: items sealed to an old certificate before the renewal still open.
    previous_keystores: List[str] = field(default_factory=list)
    #: How long the archive (保管庫) keeps exchanged records, in years from the exchange; older ones
    #: are deleted only when a person asks (``Office.retention_plan`` / ``apply_retention``).
    retention_years: int = RETENTION_DEFAULT

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict) -> "OfficeSettings":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def save_settings(settings: OfficeSettings, home: Optional[str] = None) -> Path:
    from tui_client.transport.store import write_atomic

    p = config.paths(home).office(settings.office).settings_file
    write_atomic(p, json.dumps(settings.to_json(), ensure_ascii=False, indent=1).encode("utf-8"))
    return p


def configured_offices(home: Optional[str] = None) -> List[str]:
    root = config.paths(home).data / "offices"
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "office.json").exists())


def load_settings(office: Optional[str] = None,
                  home: Optional[str] = None) -> Tuple[Optional[OfficeSettings], List[Finding]]:
    offices = configured_offices(home)
    if office is None:
        if len(offices) != 1:
            return None, [make("E-CFG-001", value=",".join(offices))]
        office = offices[0]
    p = config.paths(home).office(office).settings_file
    try:
        return OfficeSettings.from_json(json.loads(p.read_text(encoding="utf-8"))), []
    except FileNotFoundError:
        return None, [make("E-CFG-001", str(p), value=office)]
    except (OSError, ValueError, TypeError) as exc:
        return None, [make("E-CFG-002", str(p), reason=type(exc).__name__)]


def setup_office(keystore_file: str, password: Optional[str], relay_url: str, ca_file: str, *,
                 crl_files: Sequence[str] = (), services: Sequence[str] = (), name: str = "",
                 home: Optional[str] = None,
                 previous_password: Optional[str] = None) -> Tuple[Optional[OfficeSettings], List[Finding]]:
    """Set up this PC for a real office: the keystore must open with the password, name an office
    and pass the trust store's checks; then the settings (never the password) are saved. The
    keystore stays where the user keeps it.

    Renewal: when this office is already set up with another certificate, its keystore (opened with
    ``previous_password``, or the new password when that is not given) is copied into the office's
    folder re-encrypted with the new password, with the earlier ones, so items sealed to the old
    certificate still open and only the current password is ever asked for. If the old keystore
    cannot be opened the renewal still goes ahead, with W-CFG-004."""
    from tui_client.core import certs

    try:
        raw = Path(keystore_file).read_bytes()
        roots = Path(ca_file).read_bytes()
        crls = [Path(c).read_bytes() for c in crl_files]
    except OSError as exc:
        return None, [make("E-CFG-002", keystore_file, reason=exc.strerror or type(exc).__name__)]
    ks, findings = certs.load_keystore(raw, password, Path(keystore_file).name)
    if ks is None:
        return None, findings
    trust, f2 = certs.load_trust_store(roots, crls, Path(ca_file).name)
    if trust is None:
        return None, findings + f2
    findings += certs.check_certificate(ks.certificate, trust, intermediates=ks.chain,
                                        name=Path(keystore_file).name)
    if has_errors(findings) or ks.office_number is None:
        return None, findings
    earlier, f3 = _carry_over_previous(ks, password, previous_password, home)
    settings = OfficeSettings(office=ks.office_number, relay_url=relay_url,
                              keystore_file=str(Path(keystore_file).resolve()),
                              ca_file=str(Path(ca_file).resolve()),
                              crl_files=[str(Path(c).resolve()) for c in crl_files],
                              services=list(services), name=name, previous_keystores=earlier)
    save_settings(settings, home)
    return settings, findings + f3


#: How many earlier certificates an office keeps keys for (a certificate lasts years; items wait days).
MAX_PREVIOUS_KEYSTORES = 3


def _carry_over_previous(new, password: Optional[str], previous_password: Optional[str],
                         home: Optional[str]) -> Tuple[List[str], List[Finding]]:
    """The previous-keystore files for the settings being saved for ``new``'s office."""
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, pkcs12

    from tui_client.core import certs
    from tui_client.transport.store import write_atomic

    old_settings, _ = load_settings(new.office_number, home)
    if old_settings is None:       # a first set-up: nothing to carry over
        return [], []
    old_password = previous_password if previous_password is not None else password
    if old_settings.demo_id and previous_password is None:
        from tui_client import sample_certs

        old_password = sample_certs.office(old_settings.demo_id)["password"]
    wanted = [old_settings.keystore_file, *old_settings.previous_keystores]
    folder = config.paths(home).office(new.office_number).keystore
    kept: List[str] = []
    findings: List[Finding] = []
    for path in wanted:
        if len(kept) >= MAX_PREVIOUS_KEYSTORES:
            break
        try:
            raw = Path(path).read_bytes()
        except OSError:
            continue
        ks, _ = certs.load_keystore(raw, old_password, Path(path).name)
        if ks is None:  # earlier copies were re-encrypted with the previous current password
            ks, _ = certs.load_keystore(raw, password, Path(path).name)
        if ks is None:
            findings.append(make("W-CFG-004", Path(path).name, value=Path(path).name))
            continue
        if ks.certificate == new.certificate or ks.office_number != new.office_number:
            continue
        fp = certs.fingerprint(ks.certificate).replace(":", "").lower()[:16]
        target = folder / f"previous-{fp}.p12"
        if str(target) not in kept:
            enc = BestAvailableEncryption(password.encode("utf-8")) if password else NoEncryption()
            write_atomic(target, pkcs12.serialize_key_and_certificates(
                f"previous-{fp}".encode("ascii"), ks.key, ks.certificate, list(ks.chain), enc))
            kept.append(str(target))
    return kept, findings


def _open_previous(settings: OfficeSettings, password: Optional[str]) -> Tuple[list, List[Finding]]:
    """Earlier keystores, opened with the current password; one that does not open is reported
    (W-CFG-005) and left out: only items sealed to that certificate are affected."""
    from tui_client.core import certs

    out, findings = [], []
    for path in settings.previous_keystores:
        try:
            ks, _ = certs.load_keystore(Path(path).read_bytes(), password, Path(path).name)
        except OSError:
            ks = None
        if ks is None:
            findings.append(make("W-CFG-005", Path(path).name, value=Path(path).name))
        else:
            out.append(ks)
    return out, findings


def device_id(paths: "config.OfficePaths") -> str:
    """This PC's device id for the office, made once (random) and kept in the office's folder on
    this PC: the relay lists each item to every PC of the office until that PC has acknowledged it,
    and tells PCs apart by this id (the keystore, which they share, cannot). Two programs starting
    at once on one PC agree on one id (the file is created exclusively). A file that does not hold
    a valid id (edited by hand) is replaced: the PC then gets the items the relay still keeps once
    more, which its archive takes as the same items. Raises OSError when the folder cannot be
    written."""
    import os
    import uuid

    from tui_client.core import wire

    path = paths.device_file
    for _ in range(3):  # bounded: a damaged file is replaced once, a racing creator read back
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            text = None
        except (UnicodeDecodeError, ValueError):
            text = ""
        if text and wire.DEVICE_ID.match(text):
            return text
        new = str(uuid.uuid4())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{new}")
        tmp.write_text(new + "\n", encoding="ascii")
        try:
            if text is None:
                os.link(tmp, path)      # fails if another program made it meanwhile: read theirs
            else:
                os.replace(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    raise OSError(0, "device id could not be kept", str(path))


def setup_demo_office(demo_id: str, relay_url: str, home: Optional[str] = None) -> OfficeSettings:
    """Settings for a DEMO office from sample_certs (its public password is looked up, never saved)."""
    from tui_client import sample_certs

    entry = sample_certs.office(demo_id)
    m = sample_certs.manifest()
    settings = OfficeSettings(office=entry["office_number"], relay_url=relay_url,
                              keystore_file=str(sample_certs.path(entry["keystore"])),
                              ca_file=str(sample_certs.path(m["ca"]["certificate"])),
                              crl_files=[str(sample_certs.path(m["ca"]["crl"]))],
                              services=list(entry.get("services") or []), name=entry.get("name") or "",
                              demo_id=demo_id)
    save_settings(settings, home)
    return settings
