"""Signed receipts (受信済み): proof that the recipient office opened and validated a file.

After a recipient has opened a sealed file, verified it and validated its content, it signs a small
receipt naming the file, the SHA-256 of the content it got and the time. The relay passes the
receipt back; the sender verifies it and shows 受信済み with the time. Only then may the relay delete
the content. The official system gives offices no such evidence.

Format: CMS SignedData (DER, signer certificate included, see ``core.cms``) whose content is UTF-8
JSON with sorted keys: ``{"type": "tsunagi-receipt", "version": 1, "id", "filename", "sha256",
"received_at", "recipient_office"}``. Receipts hold no personal data, so they are signed, not
encrypted.

Public API (pure):

* ``make_receipt(filename, content_or_digest, recipient, at=None) -> bytes``
  ``content_or_digest``: the content (bytes-like) or its SHA-256 as a 64-character hex string.
* ``verify_receipt(data, filename, expected_digest, trust, *, expected_office=None, seen=(),
  sent_at=None, at=None) -> (Receipt | None, [Finding])``
  ``seen``: ids of receipts already accepted (a receipt shown twice is a replay);
  ``sent_at``: when this file was sent (a receipt older than that is a replay from an earlier
  sending of the same file). ``expected_office`` defaults to the filename's recipient.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Container, List, Optional, Tuple, Union

from tui_client.core import certs as _certs
from tui_client.core import cms as _cms
from tui_client.core.findings import Finding, has_errors, make

RECEIPT_TYPE = "tsunagi-receipt"
RECEIPT_VERSION = 1
CLOCK_SKEW = _dt.timedelta(minutes=10)
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

_CODES = {
    "damaged": "E-RCPT-001",
    "wrong_type": "E-RCPT-001",
    "unsupported": "E-RCPT-001",
    "not_for_us": "E-RCPT-001",
    "tampered": "E-RCPT-006",
    "bad_signature": "E-RCPT-006",
    "unknown_signer": "E-RCPT-007",
}


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    filename: str
    content_digest: str
    received_at: _dt.datetime
    recipient_office: Optional[str]
    signer_certificate: object


def _digest_of(content_or_digest: Union[str, bytes, bytearray, memoryview]) -> str:
    if isinstance(content_or_digest, str):
        digest = content_or_digest.strip().lower()
        if not _HEX64.match(digest):
            raise ValueError("a digest must be 64 hex characters (SHA-256)")
        return digest
    return hashlib.sha256(content_or_digest).hexdigest()


def _iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_receipt(filename: str, content_or_digest, recipient: _certs.Keystore,
                 at: Optional[_dt.datetime] = None) -> bytes:
    """A receipt for ``filename`` signed by ``recipient`` (the office that received it)."""
    at = _certs.as_utc(at).replace(microsecond=0)
    body = {
        "type": RECEIPT_TYPE,
        "version": RECEIPT_VERSION,
        "id": uuid.uuid4().hex,
        "filename": filename,
        "sha256": _digest_of(content_or_digest),
        "received_at": _iso(at),
        "recipient_office": recipient.office_number,
    }
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _cms.sign(payload, recipient.key, recipient.certificate, recipient.chain, signing_time=at)


def _unreadable(cert) -> str:
    """"unreadable" when a chain certificate's subject cannot be read (a CA has no office CN)."""
    try:
        cert.subject.rfc4514_string()
    except (ValueError, TypeError, UnicodeError):
        return "unreadable"
    return ""


def verify_receipt(data, filename: str, expected_digest, trust: _certs.TrustStore, *,
                   expected_office: Optional[str] = None, seen: Container[str] = (),
                   sent_at: Optional[_dt.datetime] = None,
                   at: Optional[_dt.datetime] = None,
                   signed: Optional[_cms.Signed] = None) -> Tuple[Optional[Receipt], List[Finding]]:
    """Check a receipt against the file it should cover.

    Findings: E-RCPT-001 not a receipt (damaged), E-RCPT-002 for another file, E-RCPT-003 the
    recipient got other content, E-RCPT-004 signed by another office, E-RCPT-005 replayed,
    E-RCPT-006 signature broken, E-RCPT-007 unknown signer, E-RCPT-008 signer's certificate not
    valid when it signed, E-RCPT-009 a certificate in it whose subject is malformed (unreadable, no
    commonName or two: ``value`` says which), and the signer's chain problems (E-CERT-…,
    role=signer). Never raises on the receipt's bytes or the certificates in it. ``signed``: what
    ``cms.verify(data)`` gave for these very bytes, when the caller has verified them already
    (its digest and signature are then not checked a second time; the rest is).
    """
    at = _certs.as_utc(at)
    try:
        digest = _digest_of(expected_digest)
    except ValueError:  # a malformed expected digest can match no receipt
        digest = ""
    if expected_office is None:
        from tui_client.core.spec.filenames import parse_filename

        parsed, _ = parse_filename(filename)
        expected_office = parsed.recipient if parsed is not None else None
    try:
        if signed is None:
            signed = _cms.verify(bytes(data))
    except _cms.CmsError as exc:
        return None, [make(_CODES[exc.reason], filename, value=exc.detail)]
    try:
        body = json.loads(bytes(signed.content).decode("utf-8"))
        if body.get("type") != RECEIPT_TYPE or body.get("version") != RECEIPT_VERSION:
            raise ValueError("type")
        received_at = _dt.datetime.strptime(body["received_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=_dt.timezone.utc)
        receipt = Receipt(str(body["id"]), str(body["filename"]), str(body["sha256"]), received_at,
                          body.get("recipient_office"), signed.signer)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, [make("E-RCPT-001", filename, value="content")]

    findings: List[Finding] = []
    signer = signed.signer
    # Someone else's certificates are input: one whose subject cannot be read or names no single
    # office is a finding, before anything below reads the subject (cryptography raises on it).
    for cert in (signer, *signed.certificates):
        problem = _certs.subject_problem(cert) if cert is signer else _unreadable(cert)
        if problem:
            return None, [make("E-RCPT-009", filename, value=problem)]
    when = min(received_at, at)
    if _certs.time_findings(signer, when) or received_at > at + CLOCK_SKEW:
        findings.append(make("E-RCPT-008", filename, value=_iso(received_at)))
    findings += _certs.check_certificate(signer, trust, when, intermediates=signed.certificates,
                                         name=filename, role="signer", check_time=False)
    if receipt.filename != filename:
        findings.append(make("E-RCPT-002", filename, value=receipt.filename))
    if receipt.content_digest != digest:
        findings.append(make("E-RCPT-003", filename, value=receipt.content_digest[:16]))
    office = _certs.office_number_of(signer)
    if expected_office is not None and (office != expected_office or receipt.recipient_office != office):
        findings.append(make("E-RCPT-004", filename, value=office or "", expected=expected_office))
    if receipt.receipt_id in seen or (sent_at is not None
                                      and received_at < _certs.as_utc(sent_at) - CLOCK_SKEW):
        findings.append(make("E-RCPT-005", filename, value=_iso(received_at)))
    if has_errors(findings):
        return None, findings
    return receipt, findings
