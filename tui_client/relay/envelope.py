"""Is an upload what it says it is: its SHA-256 and the shape of a sealed item (CMS EnvelopedData).

Used where uploads are stored (``writer.store_group``), once per group. Imports neither FastAPI nor
asn1crypto until needed.
"""

from __future__ import annotations

from typing import Optional, Tuple

from tui_client.core import wire


class Refused(Exception):
    """An upload the relay will not store: ``code`` (a ``wire`` error code) and ``detail``."""

    def __init__(self, code: str, detail: str):
        super().__init__(code, detail)
        self.code, self.detail = code, detail


def check_sealed(digest: str, body: bytes) -> Optional[Tuple[str, str]]:
    """None when ``body`` has SHA-256 ``digest`` (hex, lower case) and is a sealed item; otherwise the
    refusal (error code, detail) the uploader gets."""
    if wire.digest(body) != digest:
        return wire.BAD_DIGEST, "digest header missing or not the body's SHA-256"
    if not is_enveloped_data(body):
        return wire.NOT_SEALED, "body is not a CMS EnvelopedData"
    return None


def is_enveloped_data(data: bytes) -> bool:
    """True when the bytes are one CMS ContentInfo holding EnvelopedData (a sealed item).

    A DER walk over the few outer headers (microseconds, the relay's hot path) checks the shape:
    ContentInfo { envelopedData OID, [0] { version, [originatorInfo], recipientInfos SET (non-empty),
    encryptedContentInfo { contentType, algorithm, [encryptedContent] } } } with every length inside
    its parent and nothing after the end. BER input (indefinite lengths, e.g. from a streaming
    ``openssl cms``) falls back to a full asn1crypto parse.
    """
    try:
        return _der_enveloped(data)
    except _Indefinite:
        return _asn1_enveloped(data)


class _Indefinite(Exception):
    pass


_OID_ENVELOPED = bytes.fromhex("2a864886f70d010703")


def _tlv(buf: bytes, pos: int, end: int):
    """(tag, value start, value end) of the TLV at ``pos``; ValueError when it does not fit."""
    if pos + 2 > end:
        raise ValueError("short")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high tag")
    n = buf[pos + 1]
    pos += 2
    if n < 0x80:
        length = n
    elif n == 0x80:
        raise _Indefinite()
    else:
        k = n & 0x7F
        if k > 4 or pos + k > end:
            raise ValueError("length")
        length = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + length > end:
        raise ValueError("overflow")
    return tag, pos, pos + length


def _der_enveloped(data: bytes) -> bool:
    try:
        end = len(data)
        tag, p, e = _tlv(data, 0, end)
        if tag != 0x30 or e != end:
            return False
        tag, op, oe = _tlv(data, p, e)
        if tag != 0x06 or data[op:oe] != _OID_ENVELOPED:
            return False
        tag, p0, e0 = _tlv(data, oe, e)
        if tag != 0xA0 or e0 != e:
            return False
        tag, p1, e1 = _tlv(data, p0, e0)       # EnvelopedData
        if tag != 0x30 or e1 != e0:
            return False
        tag, vp, ve = _tlv(data, p1, e1)       # version
        if tag != 0x02:
            return False
        tag, np_, ne = _tlv(data, ve, e1)
        if tag == 0xA0:                        # originatorInfo
            tag, np_, ne = _tlv(data, ne, e1)
        if tag != 0x31 or ne == np_:           # recipientInfos, non-empty
            return False
        pos = np_
        while pos < ne:                        # every recipient info fits
            _, _, pos = _tlv(data, pos, ne)
        tag, cp, ce = _tlv(data, ne, e1)       # encryptedContentInfo
        if tag != 0x30:
            return False
        tag, _, a = _tlv(data, cp, ce)         # contentType
        if tag != 0x06:
            return False
        tag, _, b = _tlv(data, a, ce)          # contentEncryptionAlgorithm
        if tag != 0x30:
            return False
        if b < ce:
            tag, _, c = _tlv(data, b, ce)      # [0] encryptedContent
            if tag not in (0x80, 0xA0) or c != ce:
                return False
        pos = ce
        while pos < e1:                        # [1] unprotectedAttrs, if any
            tag, _, pos = _tlv(data, pos, e1)
            if tag != 0xA1:
                return False
        return True
    except ValueError:
        return False


def _asn1_enveloped(data: bytes) -> bool:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "enveloped_data":
            return False
        env = info["content"]
        env["recipient_infos"].native  # noqa: B018 - forces parsing of the recipients
        return env["encrypted_content_info"]["content_type"].native is not None
    except Exception:  # asn1crypto raises ValueError, TypeError, KeyError … on malformed input
        return False
