"""Who is calling, and is a receipt really the recipient's: the relay's certificate decisions.

The TLS handshake already proved the caller holds the key of a certificate issued by the relay's
trusted CA and not expired (the server requires a client certificate). Here the relay also insists
that it is an *office* certificate (an agent's certificate is refused, as by the national relay),
checks revocation against the CA's CRL when one is configured, and reads the office number from it.
Decisions are cached per certificate, so a busy connection pays for this once.
"""

from __future__ import annotations

import base64
import threading
from typing import Dict, Optional, Sequence

_trust = None
_cache: Dict[bytes, Optional[str]] = {}
_lock = threading.Lock()
_CACHE_MAX = 10_000


def configure(trust_store) -> None:
    """Use this ``core.certs.TrustStore`` (CA + CRLs) for chain and revocation checks."""
    global _trust
    with _lock:
        _trust = trust_store
        _cache.clear()


def _decide(der: bytes) -> Optional[str]:
    from tui_client.core import certs

    cert, findings = certs.load_certificate(der)
    if cert is None:
        return None
    if certs.certificate_kind(cert) != "office":
        return None
    if _trust is not None:
        problems = certs.check_certificate(cert, _trust)
        if any(f.blocks_sending for f in problems):
            return None
    return certs.office_number_of(cert)


def office_of(der: bytes) -> Optional[str]:
    """The office number of a client certificate (DER), or None when it is not acceptable."""
    try:
        return _cache[der]
    except KeyError:
        pass
    office = _decide(der)
    with _lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[der] = office
    return office


def pem_to_der(pem: str) -> bytes:
    lines = [ln.strip() for ln in pem.strip().splitlines() if ln.strip() and not ln.startswith("-----")]
    return base64.b64decode("".join(lines))


def der_to_pem(der: bytes) -> str:
    b64 = base64.b64encode(der).decode("ascii")
    body = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def check_receipt(receipt: bytes, info, recipient_certs: Sequence[bytes]) -> Optional[str]:
    """None when ``receipt`` is a valid signed receipt by the item's recipient office for this very
    item name; otherwise an English reason (for the refusal and the operator log).

    The receipt covers the SHA-256 of the *opened* content, which the relay never sees; the sender
    checks that part. The relay checks the signature, the signer's chain (and CRL when configured),
    that the signer is the recipient office and that the receipt names this item.
    """
    import json

    from tui_client.core import cms, receipts

    if not receipt:
        return "empty receipt"
    try:
        signed = cms.verify(bytes(receipt))
        claimed = str(json.loads(bytes(signed.content).decode("utf-8"))["sha256"])
    except Exception:  # any parse failure: not a receipt
        return "not a signed receipt"
    if len(claimed) != 64 or any(c not in "0123456789abcdef" for c in claimed):
        return "not a signed receipt"
    trust = _trust
    if trust is None:
        return "relay has no trust store configured"
    rec, findings = receipts.verify_receipt(receipt, info.name, claimed, trust,
                                            expected_office=info.recipient, signed=signed)
    if rec is None:
        return "receipt refused: " + ",".join(sorted({f.code for f in findings if f.blocks_sending}))
    return None
