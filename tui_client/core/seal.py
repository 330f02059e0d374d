"""Sealing: sign a file with the sender's key, then encrypt it to the recipient's certificates.

The relay only ever sees sealed bytes; only the offices at both ends see the content. The format is
CMS (see ``core.cms``): EnvelopedData (AES-256-CBC, RSA key transport) around SignedData (SHA-256,
signer certificate included), DER, readable by `openssl cms`.

Public API (pure: values in, values and findings out; never raises on what a user gave it):

* ``seal(content, filename, sender, recipient_certs, *, at=None, trust=None,
  sender_office=None, recipient_office=None) -> (bytearray | None, [Finding])``
  ``recipient_certs`` may hold all the partner's certificates (old and renewed, several sites);
  the file is encrypted to the newest usable one per site (``certs.current_certificates``).
* ``open_sealed(data, filename, recipient, trust, *, at=None, expected_sender_office=None,
  extra_certs=()) -> (Opened | None, [Finding])``  decrypts (``recipient`` may be a list of
  keystores: the current one and the previous one after a renewal), verifies the signature, the
  signer's chain and CRL at the signing time, and that the signer is the filename's sender office.

The sender and recipient office numbers come from the care-plan filename (``core.spec``). For other
things (messages), pass ``sender_office`` / ``recipient_office`` / ``expected_sender_office``.
``at``: when to judge certificates (default now); the relay's receive time is the best value when
known, because the signing time is the sender's own claim.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from tui_client.core import certs as _certs
from tui_client.core import cms as _cms
from tui_client.core.findings import Finding, has_errors, make

#: How far a signing time may lie in the future (clocks of office PCs drift).
CLOCK_SKEW = _dt.timedelta(minutes=10)

#: cms reasons → finding codes of open_sealed
_OPEN_CODES = {
    "damaged": "E-SEAL-003",
    "wrong_type": "E-SEAL-009",
    "not_for_us": "E-SEAL-004",
    "tampered": "E-SEAL-005",
    "unknown_signer": "E-SEAL-006",
    "bad_signature": "E-SEAL-010",
    "unsupported": "E-SEAL-012",
}


@dataclass
class Opened:
    """A sealed file, opened and verified."""

    content: bytearray                 # the file as the sender wrote it (bytes-like)
    signer_certificate: object
    signer_office: Optional[str]
    signed_at: Optional[_dt.datetime]
    content_digest: str                # SHA-256, hex: what a receipt covers
    certificates: List[object]


def _offices_from_name(filename: str) -> Tuple[Optional[str], Optional[str], List[Finding]]:
    from tui_client.core.spec.filenames import parse_filename

    parsed, findings = parse_filename(filename)
    if parsed is None:
        return None, None, findings
    return parsed.sender, parsed.recipient, []


def seal(content, filename: str, sender: _certs.Keystore, recipient_certs: Iterable, *,
         at: Optional[_dt.datetime] = None, trust: Optional[_certs.TrustStore] = None,
         sender_office: Optional[str] = None,
         recipient_office: Optional[str] = None) -> Tuple[Optional[bytearray], List[Finding]]:
    """Sign ``content`` as ``sender`` and encrypt it to the recipient office's current certificates.

    Findings: the filename's (E-NAME-…) when offices must come from it; the sender's certificate
    problems (E-CERT-…, role=sender); E-SEAL-002 when the keystore is not the filename's sender
    office; E-SEAL-013 for a recipient certificate of another office (skipped); E-SEAL-001 when no
    recipient certificate is usable. Returns the sealed DER (a bytearray) or None.
    """
    findings: List[Finding] = []
    at = _certs.as_utc(at)
    if sender_office is None or recipient_office is None:
        s, r, f = _offices_from_name(filename)
        if f:
            return None, f
        sender_office = sender_office or s
        recipient_office = recipient_office or r

    findings += _certs.check_certificate(sender.certificate, trust, at, intermediates=sender.chain,
                                         name=filename, role="sender", expiry_warnings=False)
    if sender.office_number != sender_office:
        findings.append(make("E-SEAL-002", filename, value=sender.office_number or "",
                             expected=sender_office))
    candidates = []
    for cert in recipient_certs:
        office = _certs.office_number_of(cert)
        if office != recipient_office:
            findings.append(make("E-SEAL-013", filename, value=office or "", expected=recipient_office))
            continue
        candidates.append(cert)
    chosen = _certs.current_certificates(candidates, at, trust)
    if not chosen:
        # say why the last candidate is unusable, so the user learns more than "none"
        detail: List[Finding] = []
        for cert in candidates:
            detail += [f for f in _certs.check_certificate(cert, trust, at, name=filename, role="recipient",
                                                           expiry_warnings=False) if f.blocks_sending]
        findings += _dedupe(detail)
        findings.append(make("E-SEAL-001", filename, value=recipient_office or ""))
    if has_errors(findings):
        return None, findings
    sealed = _cms.envelope_signed(content, sender.key, sender.certificate, chosen, sender.chain)
    return sealed, findings


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen, out = set(), []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def open_sealed(data, filename: str,
                recipient: Union[_certs.Keystore, Sequence[_certs.Keystore]],
                trust: _certs.TrustStore, *, at: Optional[_dt.datetime] = None,
                expected_sender_office: Optional[str] = None,
                extra_certs: Iterable = ()) -> Tuple[Optional[Opened], List[Finding]]:
    """Decrypt and verify a sealed file addressed to ``recipient``.

    Findings: E-SEAL-003 damaged / not a sealed file, E-SEAL-004 not addressed to us, E-SEAL-005
    tampered, E-SEAL-006 unknown signer, E-SEAL-007 signer's certificate not valid at the signing
    time, E-SEAL-008 signer is not the sender office, E-SEAL-009 not signed, E-SEAL-010 signature does
    not match (signer swapped), E-SEAL-011 signing time in the future, E-SEAL-012 unsupported
    algorithm, and the signer's chain problems (E-CERT-007/008/009/010/015, role=signer).
    """
    at = _certs.as_utc(at)
    keystores = [recipient] if isinstance(recipient, _certs.Keystore) else list(recipient)
    if expected_sender_office is None:
        sender, _, f = _offices_from_name(filename)
        if f:
            return None, f
        expected_sender_office = sender
    try:
        plain = _cms.decrypt(data, [(k.key, k.certificate) for k in keystores])
    except _cms.CmsError as exc:
        return None, [make(_OPEN_CODES[exc.reason], filename, value=exc.detail)]
    try:
        signed = _cms.verify(plain, extra_certs, consume=True)
    except _cms.CmsError as exc:
        # the envelope was sound, so what is inside simply is not a signed message
        reason = "wrong_type" if exc.reason == "damaged" else exc.reason
        return None, [make(_OPEN_CODES[reason], filename, value=exc.detail)]

    findings: List[Finding] = []
    signer = signed.signer
    signed_at = signed.signed_at
    if signed_at is not None and signed_at > at + CLOCK_SKEW:
        findings.append(make("E-SEAL-011", filename, value=signed_at.isoformat()))
    when = signed_at if signed_at is not None and signed_at <= at + CLOCK_SKEW else at
    if _certs.time_findings(signer, when):
        findings.append(make("E-SEAL-007", filename, value=(signed_at or at).isoformat(),
                             not_before=signer.not_valid_before_utc.date().isoformat(),
                             not_after=signer.not_valid_after_utc.date().isoformat()))
    others = [c for c in signed.certificates if c != signer]
    findings += _certs.check_certificate(signer, trust, when, intermediates=others, name=filename,
                                         role="signer", check_time=False)
    office = _certs.office_number_of(signer)
    if office is not None and office != expected_sender_office:
        findings.append(make("E-SEAL-008", filename, value=office, expected=expected_sender_office))
    if has_errors(findings):
        return None, findings
    return Opened(signed.content, signer, office, signed_at, signed.digest.hex(),
                  signed.certificates), findings
