"""Office certificates: PKCS#12 keystores, office numbers, validity, chains and revocation.

Every office proves who it is with a certificate issued per office number (in the national system the
介護保険証明書, delivered as PKCS#12 and valid for a few years). This module reads keystores and
certificates and checks them against a trust store (root certificates + CRLs). It is pure: bytes in,
values and findings out. It never touches files, the network, the clock (except ``at=None`` meaning
"now") or a user interface, and it never raises on what a user gave it.

Where the office number sits (see docs/certificates.md): the subject's commonName holds the 10-digit
office number, the organization holds the office name and the organizationalUnit the site. A
certificate policy OID tells an office certificate from an agent's (代理人) certificate.

Public API (for the transport and the relay):

* ``load_keystore(data, password, name="") -> (Keystore | None, [Finding])``
* ``load_certificate(data, name="") -> (Certificate | None, [Finding])``  PEM or DER
* ``load_trust_store(roots_pem, crls=(), name="") -> (TrustStore | None, [Finding])``
* ``office_number_of(cert) -> str | None`` and ``certificate_kind(cert) -> "office" | "agent" | "other"``
* ``describe(cert, at=None) -> CertInfo``  (office number, validity, issuer, days left …)
* ``check_certificate(cert, trust=None, at=None, ...) -> [Finding]``  dates, kind, key, chain, CRL
* ``current_certificates(certs, at=None) -> [Certificate]``  rollover: the newest valid one per site
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tui_client.core import chain as _chain
from tui_client.core.findings import Finding, make

#: Certificate policy marking an office certificate (our demo CA; a real CA's OID is added here).
OFFICE_POLICY_OIDS = frozenset({"2.25.160094813568271163878755740625404536856.1"})
#: Certificate policy marking an agent's (代理人) certificate: it proves a company, not an office.
AGENT_POLICY_OIDS = frozenset({"2.25.160094813568271163878755740625404536856.2"})

#: Renewal warnings (days before expiry), most urgent first: code for "at most N days left".
EXPIRY_WARNINGS = ((7, "W-CERT-013"), (30, "W-CERT-012"), (90, "W-CERT-011"))

MIN_RSA_BITS = 2048

_OFFICE_NUMBER = re.compile(r"[0-9]{10}\Z")

Certificate = x509.Certificate


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def as_utc(at: Optional[_dt.datetime] = None) -> _dt.datetime:
    """``at`` as an aware UTC datetime; None means now, naive means UTC (as in cryptography)."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:  # naive means UTC, as in cryptography
        return at.replace(tzinfo=_dt.timezone.utc)
    return at.astimezone(_dt.timezone.utc)


def _not_before(cert: Certificate) -> _dt.datetime:
    return cert.not_valid_before_utc


def _not_after(cert: Certificate) -> _dt.datetime:
    return cert.not_valid_after_utc


def _attr(name: x509.Name, oid) -> str:
    for a in name.get_attributes_for_oid(oid):
        return str(a.value)
    return ""


def subject_problem(cert: Certificate) -> str:
    """What is wrong with the subject as an office's name, or "" when nothing is: "unreadable"
    (not valid DER or a string that is not in its declared encoding, e.g. a UTF8String that is not
    UTF-8; ``cryptography`` raises on reading such a subject), "no_cn" or "two_cns" (which office
    signed would be a guess). A certificate from someone else is input: this never raises."""
    try:
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        [str(a.value) for a in names]
    except (ValueError, TypeError, UnicodeError):
        return "unreadable"
    if not names:
        return "no_cn"
    return "two_cns" if len(names) > 1 else ""


@functools.lru_cache(maxsize=512)  # a certificate never changes; sealing asks per file
def office_number_of(cert: Certificate) -> Optional[str]:
    """The 10-digit office number in the subject's commonName, or None when there is none."""
    cn = _attr(cert.subject, NameOID.COMMON_NAME).strip()
    return cn if _OFFICE_NUMBER.match(cn) else None


def _policies(cert: Certificate) -> set:
    try:   # asn1crypto reads policy OIDs of any size (cryptography 43 cannot read ours: see core/chain)
        found = _chain.extensions(cert).get(x509.oid.ExtensionOID.CERTIFICATE_POLICIES.dotted_string)
        return set() if found is None else {p["policy_identifier"].dotted for p in found[1]}
    except (ValueError, TypeError):
        return set()


@functools.lru_cache(maxsize=512)  # a certificate never changes; sealing asks per file
def certificate_kind(cert: Certificate) -> str:
    """``"agent"`` for an agent's certificate, ``"office"`` for one naming an office, else ``"other"``."""
    policies = _policies(cert)
    if policies & AGENT_POLICY_OIDS:
        return "agent"
    if office_number_of(cert) is not None:
        return "office"
    return "other"


def fingerprint(cert: Certificate) -> str:
    """SHA-256 fingerprint, upper-case hex with colons (as Windows and openssl show it)."""
    digest = cert.fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def days_left(cert: Certificate, at: Optional[_dt.datetime] = None) -> int:
    """Whole days until the certificate expires (negative once expired)."""
    delta = _not_after(cert) - as_utc(at)
    return delta.days


@dataclass(frozen=True)
class CertInfo:
    """What a person wants to know about a certificate, as plain values."""

    office_number: Optional[str]
    office_name: str
    site: str
    kind: str
    subject: str
    issuer: str
    serial: str
    not_before: _dt.datetime
    not_after: _dt.datetime
    days_left: int
    fingerprint: str

    def as_dict(self) -> dict:
        return {
            "office_number": self.office_number,
            "office_name": self.office_name,
            "site": self.site,
            "kind": self.kind,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left,
            "fingerprint": self.fingerprint,
        }


def describe(cert: Certificate, at: Optional[_dt.datetime] = None) -> CertInfo:
    return CertInfo(
        office_number=office_number_of(cert),
        office_name=_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        site=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        kind=certificate_kind(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=f"{cert.serial_number:X}",
        not_before=_not_before(cert),
        not_after=_not_after(cert),
        days_left=days_left(cert, at),
        fingerprint=fingerprint(cert),
    )


@dataclass(frozen=True)
class Keystore:
    """An office's private key and certificate, loaded from a PKCS#12 file.

    ``chain`` holds the other certificates the file carried (intermediate or root CAs).
    """

    key: object
    certificate: Certificate
    chain: Tuple[Certificate, ...] = ()
    name: str = ""

    @property
    def office_number(self) -> Optional[str]:
        return office_number_of(self.certificate)

    def info(self, at: Optional[_dt.datetime] = None) -> CertInfo:
        return describe(self.certificate, at)


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def _looks_like_pkcs12(data: bytes) -> bool:
    """True when the bytes parse as a PKCS#12 structure (so a failure to open means a wrong password)."""
    try:
        from asn1crypto import pkcs12 as a_pkcs12

        pfx = a_pkcs12.Pfx.load(bytes(data))
        pfx["version"].native  # noqa: B018 - forces parsing
        auth_safe = pfx["auth_safe"]
        auth_safe["content"].native  # noqa: B018
        return auth_safe["content_type"].native in ("data", "signed_data")
    except Exception:  # any parse failure means "not a PKCS#12 file"; nothing here is a program error
        return False


def load_keystore(data: bytes, password: Union[str, bytes, None],
                  name: str = "") -> Tuple[Optional[Keystore], List[Finding]]:
    """Open a PKCS#12 keystore (.p12/.pfx).

    Findings: E-CERT-001 damaged or not a keystore, E-CERT-002 wrong password, E-CERT-003 no private
    key, E-CERT-004 no certificate or the key does not belong to the certificate.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    if password == b"":
        password = None
    try:
        loaded = pkcs12.load_pkcs12(bytes(data), password)
    except (ValueError, TypeError):
        if _looks_like_pkcs12(data):
            return None, [make("E-CERT-002", name)]
        return None, [make("E-CERT-001", name)]
    except Exception:  # e.g. UnsupportedAlgorithm: the file uses something we cannot open
        return None, [make("E-CERT-001", name)]
    if loaded.key is None:
        return None, [make("E-CERT-003", name)]
    if loaded.cert is None:
        return None, [make("E-CERT-004", name)]
    cert = loaded.cert.certificate
    if _spki(loaded.key.public_key()) != _spki(cert.public_key()):
        return None, [make("E-CERT-004", name)]
    chain = tuple(c.certificate for c in loaded.additional_certs)
    return Keystore(loaded.key, cert, chain, name), []


def load_certificates(data: bytes, name: str = "") -> Tuple[List[Certificate], List[Finding]]:
    """All certificates in PEM (one or many) or DER bytes. E-CERT-017 when none can be read."""
    data = bytes(data)
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except (ValueError, TypeError):
        return [], [make("E-CERT-017", name)]
    if not certs:
        return [], [make("E-CERT-017", name)]
    return list(certs), []


def load_certificate(data: bytes, name: str = "") -> Tuple[Optional[Certificate], List[Finding]]:
    """The first certificate in PEM or DER bytes (E-CERT-017 when unreadable)."""
    certs, findings = load_certificates(data, name)
    return (certs[0] if certs else None), findings


@dataclass(frozen=True)
class TrustStore:
    """Root certificates we trust, intermediate CAs we may need, and the CAs' revocation lists."""

    roots: Tuple[Certificate, ...]
    crls: Tuple[x509.CertificateRevocationList, ...] = ()
    intermediates: Tuple[Certificate, ...] = field(default=())


def load_trust_store(roots_pem: bytes, crls: Iterable[bytes] = (), name: str = "",
                     intermediates_pem: bytes = b"") -> Tuple[Optional[TrustStore], List[Finding]]:
    """Build a trust store from PEM root certificates and PEM/DER CRLs.

    A CRL that cannot be read, or whose signature does not come from one of the roots or
    intermediates, is refused (E-CERT-016); trusting a forged CRL would hide a revocation.
    """
    roots, findings = load_certificates(roots_pem, name)
    if findings:
        return None, findings
    inter: List[Certificate] = []
    if intermediates_pem:
        inter, f = load_certificates(intermediates_pem, name)
        if f:
            return None, f
    cas = roots + inter
    loaded = []
    for raw in crls:
        raw = bytes(raw)
        try:
            crl = (x509.load_pem_x509_crl(raw) if b"-----BEGIN" in raw else x509.load_der_x509_crl(raw))
        except (ValueError, TypeError):
            return None, [make("E-CERT-016", name)]
        issuer = next((c for c in cas if c.subject == crl.issuer), None)
        if issuer is None or not _crl_signed_by(crl, issuer):
            return None, [make("E-CERT-016", name)]
        loaded.append(crl)
    return TrustStore(tuple(roots), tuple(loaded), tuple(inter)), []


def _crl_signed_by(crl, issuer: Certificate) -> bool:
    try:
        return bool(crl.is_signature_valid(issuer.public_key()))
    except (TypeError, ValueError):
        return False


#: Answers of ``_crl_signed_by`` for the trust store's CRLs, which every received item's signer is
#: checked against: (id of the CRL, issuer) -> (the CRL, kept so its id stays its own; the answer).
#: A CRL object never changes, nor does its signature's validity. Bounded (emptied when full).
_CRL_SIGNED: dict = {}
_CRL_SIGNED_MAX = 64


def _crl_signed_by_cached(crl, issuer: Certificate) -> bool:
    key = (id(crl), issuer)
    hit = _CRL_SIGNED.get(key)
    if hit is not None and hit[0] is crl:
        return hit[1]
    ok = _crl_signed_by(crl, issuer)
    if len(_CRL_SIGNED) >= _CRL_SIGNED_MAX:
        _CRL_SIGNED.clear()
    _CRL_SIGNED[key] = (crl, ok)
    return ok


@functools.lru_cache(maxsize=512)  # a certificate never changes; sealing asks per file
def _key_ok(cert: Certificate) -> bool:
    try:
        key = cert.public_key()
    except Exception:  # an unknown key algorithm
        return False
    return isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS


def expiry_findings(cert: Certificate, at: Optional[_dt.datetime] = None, name: str = "",
                    **params) -> List[Finding]:
    """Renewal warnings at 90, 30 and 7 days before expiry (only the most urgent one)."""
    left = days_left(cert, at)
    if left < 0:
        return []
    for limit, code in EXPIRY_WARNINGS:
        if left <= limit:
            return [make(code, name, value=_not_after(cert).date().isoformat(), days=left, **params)]
    return []


def time_findings(cert: Certificate, at: Optional[_dt.datetime] = None, name: str = "",
                  **params) -> List[Finding]:
    """E-CERT-006 not yet valid, E-CERT-005 expired (at ``at``)."""
    at = as_utc(at)
    if at < _not_before(cert):
        return [make("E-CERT-006", name, value=_not_before(cert).date().isoformat(), **params)]
    if at > _not_after(cert):
        return [make("E-CERT-005", name, value=_not_after(cert).date().isoformat(), **params)]
    return []


#: Chains verified already: (leaf, intermediates, roots) -> the verified chain. The verifier uses
#: the time only against the validity windows, so a chain verified once holds at any time inside all
#: of its certificates' windows: a receive verifies the chain of a sender once, not once per item
#: (each item's signature is still checked). Refusals are never kept. Bounded (emptied when full).
_CHAINS: dict = {}
_CHAINS_MAX = 64


def _verify_chain(cert: Certificate, trust: TrustStore, at: _dt.datetime,
                  intermediates: Sequence[Certificate]) -> Optional[List[Certificate]]:
    """The verified chain (leaf first) or None: RFC 5280 path validation (see core/chain.py)."""
    others = tuple(intermediates) + tuple(trust.intermediates)
    key = (cert, others, tuple(trust.roots))
    chain = _CHAINS.get(key)
    if chain is not None and all(_not_before(c) <= at <= _not_after(c) for c in chain):
        return list(chain)
    chain = _chain.verify_chain(cert, trust.roots, list(others), at)
    if chain is not None:
        if len(_CHAINS) >= _CHAINS_MAX:
            _CHAINS.clear()
        _CHAINS[key] = tuple(chain)
    return chain


def check_certificate(cert: Certificate, trust: Optional[TrustStore] = None,
                      at: Optional[_dt.datetime] = None, *,
                      intermediates: Sequence[Certificate] = (), name: str = "",
                      check_time: bool = True, expiry_warnings: bool = True,
                      **params) -> List[Finding]:
    """Everything that makes an office certificate unusable at ``at`` (default: now).

    E-CERT-009 not an office certificate (agent), E-CERT-010 no office number, E-CERT-015 key too
    weak or not RSA, E-CERT-006 / E-CERT-005 not yet valid / expired, E-CERT-008 not issued by a
    trusted CA, E-CERT-007 revoked, W-CERT-014 the CRL is out of date, W-CERT-011..013 renewal due.
    With ``trust=None`` only the certificate itself is looked at. ``params`` (e.g. ``role``) are
    added to every finding.
    """
    at = as_utc(at)
    params.setdefault("role", "own")
    findings: List[Finding] = []
    office = office_number_of(cert) or ""
    kind = certificate_kind(cert)
    if kind == "agent":
        findings.append(make("E-CERT-009", name, value=_attr(cert.subject, NameOID.COMMON_NAME), **params))
    elif kind != "office":
        findings.append(make("E-CERT-010", name, value=_attr(cert.subject, NameOID.COMMON_NAME), **params))
    if not _key_ok(cert):
        findings.append(make("E-CERT-015", name, value=office, **params))
    timed = time_findings(cert, at, name, **params) if check_time else []
    findings += timed
    if trust is not None:
        # Judge the issuer on its own: inside the certificate's window, so an expired certificate
        # from a foreign CA is reported as both, not just as expired.
        when = min(max(at, _not_before(cert)), _not_after(cert))
        chain = _verify_chain(cert, trust, when, intermediates)
        if chain is None:
            findings.append(make("E-CERT-008", name, value=cert.issuer.rfc4514_string(), **params))
        else:
            findings += _revocation_findings(cert, chain, trust, at, name, **params)
    if check_time and expiry_warnings and not timed:
        findings += expiry_findings(cert, at, name, **params)
    return findings


def _revocation_findings(cert: Certificate, chain: List[Certificate], trust: TrustStore,
                         at: _dt.datetime, name: str, **params) -> List[Finding]:
    findings: List[Finding] = []
    issuer = chain[1] if len(chain) > 1 else None
    for crl in trust.crls:
        if crl.issuer != cert.issuer or issuer is None or not _crl_signed_by_cached(crl, issuer):
            continue
        revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if revoked is not None:
            when = revoked.revocation_date_utc
            findings.append(make("E-CERT-007", name, value=when.date().isoformat(), **params))
        next_update = crl.next_update_utc
        if next_update is not None and next_update < at:
            findings.append(make("W-CERT-014", name, value=next_update.date().isoformat(), **params))
    return findings


def is_usable(cert: Certificate, trust: Optional[TrustStore] = None,
              at: Optional[_dt.datetime] = None) -> bool:
    return not any(f.blocks_sending for f in check_certificate(cert, trust, at, expiry_warnings=False))


@functools.lru_cache(maxsize=512)  # a certificate never changes; sealing asks per file
def site_key(cert: Certificate) -> Tuple[str, str, str]:
    """Certificates of one site share this; a renewed certificate keeps its site's key."""
    return (office_number_of(cert) or "", _attr(cert.subject, NameOID.ORGANIZATION_NAME),
            _attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME))


def current_certificates(certs: Iterable[Certificate], at: Optional[_dt.datetime] = None,
                         trust: Optional[TrustStore] = None) -> List[Certificate]:
    """Rollover: of a partner's certificates, the newest usable one for each site.

    Two sites sharing one office number each keep their own key, so both get the file; an office
    that renewed its certificate gets it only under the new one.
    """
    at = as_utc(at)
    best = {}
    for cert in certs:
        if not is_usable(cert, trust, at):
            continue
        key = site_key(cert)
        if key not in best or _not_before(cert) > _not_before(best[key]):
            best[key] = cert
    return list(best.values())


def sha256_hex(data) -> str:
    return hashlib.sha256(data).hexdigest()
