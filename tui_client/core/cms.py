"""CMS (RFC 5652) SignedData and EnvelopedData, written and read with few copies of the content.

Why not only ``cryptography``'s PKCS7 builders: they have no public way to *verify* a signature, and
they take and return whole byte strings, copying a 20 MB file several times (a Python process peaked
at 3-4x openssl). Here the small parts (signed attributes, recipient infos, certificates) are encoded
by hand and decoded by a small DER reader in their usual forms, by ``asn1crypto`` in any other; the
content itself is only hashed and encrypted chunk by chunk into
one preallocated buffer, and every cryptographic operation is ``cryptography``'s public primitives
(SHA-2, RSA PKCS#1 v1.5, AES-CBC). The output is plain DER that `openssl cms` reads and writes
(tests/crypto/test_interop.py); reading also accepts BER (indefinite lengths, chunked strings).

Layout of a sealed file: ContentInfo(EnvelopedData, AES-256-CBC, one RSA key-transport recipient
per certificate) whose content is the DER of ContentInfo(SignedData, SHA-256, signer certificate
included, signed attributes contentType / signingTime / messageDigest) carrying the file.

This module knows nothing of office numbers, trust stores or findings: it reports what it found as
``CmsError(reason)`` with a short reason key; ``core.seal`` and ``core.receipts`` turn those into
findings. It must never read files, use the network or shell out to openssl.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tui_client.core import chain as _chain

# --- DER building blocks ------------------------------------------------------------------------

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
#: AuthEnvelopedData (RFC 5083): what current openssl writes for ``cms -encrypt -aes-256-gcm``
OID_AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_RSA = "1.2.840.113549.1.1.1"
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"

_CHUNK = 1 << 20  # encrypt/decrypt 1 MiB at a time: bounded temporaries, few Python round trips

#: asn1crypto algorithm names we accept when reading
_DIGESTS = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_AES_CBC = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32}
_AES_GCM = {"aes128_gcm": 16, "aes192_gcm": 24, "aes256_gcm": 32}


class CmsError(Exception):
    """What went wrong reading CMS; ``reason`` is one of REASONS (mapped to finding codes by callers)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


#: damaged: not CMS or broken structure; wrong_type: CMS but not what was expected (e.g. not signed);
#: not_for_us: no recipient matches our certificates; tampered: decryption, padding or digest fails;
#: bad_signature: the signature does not match the certificate; unknown_signer: no certificate for
#: the signer; unsupported: an algorithm we do not accept (3DES, SHA-1, RSA-PSS, ...).
REASONS = ("damaged", "wrong_type", "not_for_us", "tampered", "bad_signature", "unknown_signer",
           "unsupported")


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _hdr(tag: int, length: int) -> bytes:
    return bytes([tag]) + _length(length)


def _tlv(tag: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return _hdr(tag, len(body)) + body


@functools.lru_cache(maxsize=None)
def _oid(dotted: str) -> bytes:
    """DER of an object identifier (a handful of constants: computed once each)."""
    from asn1crypto import core

    return core.ObjectIdentifier(dotted).dump()


def _int(n: int) -> bytes:
    """DER INTEGER: minimal two's complement."""
    if n >= 0:
        return _tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))
    from asn1crypto import core

    return core.Integer(n).dump()


_NULL = b"\x05\x00"
_SEQ, _SET, _OCTETS, _CTX0, _CTX0_PRIM = 0x30, 0x31, 0x04, 0xA0, 0x80


@functools.lru_cache(maxsize=64)
def _issuer_and_serial(cert: x509.Certificate) -> bytes:
    return _tlv(_SEQ, cert.issuer.public_bytes(), _int(cert.serial_number))


@functools.lru_cache(maxsize=64)
def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# --- signing --------------------------------------------------------------------------------------

def _signed_attributes(digest: bytes, signing_time: _dt.datetime) -> bytes:
    """The DER SET OF attributes that is signed (sorted, as DER requires): content type, signing
    time (UTCTime 1950-2049, else GeneralizedTime, RFC 5652 §11.3) and message digest."""
    if signing_time.tzinfo is None:
        signing_time = signing_time.replace(tzinfo=_dt.timezone.utc)
    when = signing_time.astimezone(_dt.timezone.utc)
    if 1950 <= when.year < 2050:
        time_der = _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    else:
        time_der = _tlv(0x18, f"{when.year:04d}{when.strftime('%m%d%H%M%S')}Z".encode("ascii"))
    attrs = [
        _tlv(_SEQ, _oid(OID_CONTENT_TYPE), _tlv(_SET, _oid(OID_DATA))),
        _tlv(_SEQ, _oid(OID_SIGNING_TIME), _tlv(_SET, time_der)),
        _tlv(_SEQ, _oid(OID_MESSAGE_DIGEST), _tlv(_SET, _tlv(_OCTETS, digest))),
    ]
    return _tlv(_SET, *sorted(attrs))


def signed_data_parts(content_length: int, digest: bytes, key, cert: x509.Certificate,
                      chain: Sequence[x509.Certificate] = (),
                      signing_time: Optional[_dt.datetime] = None,
                      include_certificates: bool = True) -> Tuple[bytes, bytes]:
    """``(prefix, suffix)`` such that ``prefix + content + suffix`` is ContentInfo(SignedData) DER.

    ``digest`` is the SHA-256 of the content; the content itself is never needed here, so a caller
    can hash and encrypt it in place.
    """
    if signing_time is None:
        signing_time = _dt.datetime.now(_dt.timezone.utc)
    attrs = _signed_attributes(digest, signing_time)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(attrs, padding.PKCS1v15(), hashes.SHA256())
        sig_alg = _tlv(_SEQ, _oid(OID_RSA), _NULL)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(attrs, ec.ECDSA(hashes.SHA256()))
        sig_alg = _tlv(_SEQ, _oid("1.2.840.10045.4.3.2"))
    else:
        raise TypeError("only RSA and EC signing keys are supported")
    sha256 = _tlv(_SEQ, _oid(OID_SHA256))
    signer_info = _tlv(_SEQ, _int(1), _issuer_and_serial(cert), sha256,
                       _tlv(_CTX0, attrs[2:] if attrs[1] < 0x80 else attrs[2 + (attrs[1] & 0x7F):]),
                       sig_alg, _tlv(_OCTETS, signature))
    certs = _tlv(_CTX0, *[_der(c) for c in [cert, *chain]]) if include_certificates else b""
    tail = certs + _tlv(_SET, signer_info)

    octets_hdr = _hdr(_OCTETS, content_length)
    explicit_len = len(octets_hdr) + content_length
    encap_body_len = len(_oid(OID_DATA)) + len(_hdr(_CTX0, explicit_len)) + explicit_len
    head_fields = _int(1) + _tlv(_SET, sha256)
    encap_hdr = _hdr(_SEQ, encap_body_len)
    sd_len = len(head_fields) + len(encap_hdr) + encap_body_len + len(tail)
    sd_hdr = _hdr(_SEQ, sd_len)
    ci_body_len = len(_oid(OID_SIGNED_DATA)) + len(_hdr(_CTX0, len(sd_hdr) + sd_len)) + len(sd_hdr) + sd_len
    prefix = b"".join([
        _hdr(_SEQ, ci_body_len), _oid(OID_SIGNED_DATA), _hdr(_CTX0, len(sd_hdr) + sd_len), sd_hdr,
        head_fields, encap_hdr, _oid(OID_DATA), _hdr(_CTX0, explicit_len), octets_hdr,
    ])
    return prefix, tail


def sign(content, key, cert: x509.Certificate, chain: Sequence[x509.Certificate] = (),
         signing_time: Optional[_dt.datetime] = None, include_certificates: bool = True) -> bytes:
    """ContentInfo(SignedData) DER with the content attached (for small things such as receipts)."""
    digest = hashlib.sha256(content).digest()
    prefix, suffix = signed_data_parts(len(content), digest, key, cert, chain, signing_time,
                                       include_certificates)
    return prefix + bytes(content) + suffix


# --- encrypting -----------------------------------------------------------------------------------

def envelope_signed(content, key, cert: x509.Certificate, recipients: Sequence[x509.Certificate],
                    chain: Sequence[x509.Certificate] = (),
                    signing_time: Optional[_dt.datetime] = None,
                    include_certificates: bool = True) -> bytearray:
    """Sign ``content`` and encrypt the signed message to every recipient: the sealed DER.

    Memory: the content is read in place (hashed, then encrypted in 1 MiB steps) and the result is
    written into one buffer of its final size, so the peak is about content + result.
    """
    if not recipients:
        raise ValueError("no recipients")
    view = memoryview(content).cast("B")
    digest = hashlib.sha256(view).digest()
    prefix, suffix = signed_data_parts(len(view), digest, key, cert, chain, signing_time,
                                       include_certificates)
    plain_len = len(prefix) + len(view) + len(suffix)
    pad = 16 - plain_len % 16
    ct_len = plain_len + pad

    cek, iv = os.urandom(32), os.urandom(16)
    ris = sorted(
        _tlv(_SEQ, _int(0), _issuer_and_serial(r), _tlv(_SEQ, _oid(OID_RSA), _NULL),
             _tlv(_OCTETS, r.public_key().encrypt(cek, padding.PKCS1v15())))
        for r in recipients)
    eci_head = _oid(OID_DATA) + _tlv(_SEQ, _oid(OID_AES256_CBC), _tlv(_OCTETS, iv)) + _hdr(_CTX0_PRIM, ct_len)
    eci_len = len(eci_head) + ct_len
    ed_body = _int(0) + _tlv(_SET, *ris)
    ed_len = len(ed_body) + len(_hdr(_SEQ, eci_len)) + eci_len
    ci_inner = len(_hdr(_SEQ, ed_len)) + ed_len
    head = b"".join([
        _hdr(_SEQ, len(_oid(OID_ENVELOPED_DATA)) + len(_hdr(_CTX0, ci_inner)) + ci_inner),
        _oid(OID_ENVELOPED_DATA), _hdr(_CTX0, ci_inner), _hdr(_SEQ, ed_len), ed_body,
        _hdr(_SEQ, eci_len), eci_head,
    ])
    total = len(head) + ct_len
    out = bytearray(total + 16)  # update_into wants a block of slack; trimmed below
    out[: len(head)] = head
    enc = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    pos = len(head)
    with memoryview(out) as mv:
        for part in (memoryview(prefix), view, memoryview(suffix), memoryview(bytes([pad]) * pad)):
            for i in range(0, len(part), _CHUNK):
                pos += enc.update_into(part[i:i + _CHUNK], mv[pos:])
        tail = enc.finalize()
    if tail or pos != total:  # CBC without padding mode returns everything from update_into
        raise AssertionError("ciphertext length mismatch")
    del out[total:]
    return out


# --- reading (BER/DER) ----------------------------------------------------------------------------

@dataclass
class _Node:
    tag: int
    head: int           # position of the tag byte
    start: int          # first content byte
    end: int            # one past the last content byte (for indefinite: before the 00 00)
    next: int           # first byte after this element

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)


def _read(buf, pos: int, limit: int) -> _Node:
    if pos + 2 > limit:
        raise CmsError("damaged", "truncated")
    head = pos
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise CmsError("damaged", "long tag")
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        end = pos + first
    elif first == 0x80:
        if not tag & 0x20:
            raise CmsError("damaged", "indefinite primitive")
        p = pos
        while True:
            if p + 2 > limit:
                raise CmsError("damaged", "unterminated")
            if buf[p] == 0 and buf[p + 1] == 0:
                return _Node(tag, head, pos, p, p + 2)
            p = _read(buf, p, limit).next
    else:
        n = first & 0x7F
        if n > 8 or pos + n > limit:
            raise CmsError("damaged", "length")
        end = pos + n
        length = int.from_bytes(bytes(buf[pos:end]), "big")
        pos = end
        end = pos + length
    if end > limit:
        raise CmsError("damaged", "truncated")
    return _Node(tag, head, pos, end, end)


def _children(buf, node: _Node) -> List[_Node]:
    out, p = [], node.start
    while p < node.end:
        child = _read(buf, p, node.end)
        out.append(child)
        p = child.next
    return out


def _expect(node: _Node, tag: int) -> _Node:
    if node.tag != tag:
        raise CmsError("damaged", f"tag {node.tag:#x} where {tag:#x} expected")
    return node


def _oid_of(buf, node: _Node) -> str:
    _expect(node, 0x06)
    return _dotted(_whole(buf, node))


@functools.lru_cache(maxsize=256)
def _dotted(der: bytes) -> str:
    """The dotted form of an object identifier's DER (the same few in every file: decoded once each)."""
    from asn1crypto import core

    return core.ObjectIdentifier.load(der).dotted


def _whole(buf, node: _Node) -> bytes:
    """One element's own bytes (header included), copied: only for small elements."""
    return bytes(buf[node.head:node.next])


def _octets(buf, node: _Node):
    """An OCTET STRING's value: a (start, end) range when primitive, else the joined bytes."""
    if node.tag in (_OCTETS, _CTX0_PRIM):
        return (node.start, node.end)
    if node.tag in (0x24, _CTX0):  # constructed (BER): concatenate the pieces
        pieces = []
        for child in _children(buf, node):
            value = _octets(buf, child)
            pieces.append(bytes(buf[value[0]:value[1]]) if isinstance(value, tuple) else value)
        return b"".join(pieces)
    raise CmsError("damaged", "octet string expected")


def _content_info(buf, limit: int) -> Tuple[str, _Node]:
    top = _expect(_read(buf, 0, limit), _SEQ)
    kids = _children(buf, top)
    if len(kids) < 2:
        raise CmsError("damaged", "content info")
    ctype = _oid_of(buf, kids[0])
    wrapper = _expect(kids[1], _CTX0)
    inner = _children(buf, wrapper)
    if len(inner) != 1:
        raise CmsError("damaged", "content")
    return ctype, inner[0]


# --- decrypting -----------------------------------------------------------------------------------

def decrypt(data, recipients: Sequence[Tuple[object, x509.Certificate]]) -> bytearray:
    """The content of a ContentInfo(EnvelopedData) for one of ``recipients`` (key, certificate).

    Also reads AuthEnvelopedData with AES-GCM (RFC 5083/5084), which openssl 3 writes when asked for
    ``-aes-256-gcm``: the tag is checked before the content is returned."""
    from asn1crypto import algos
    from asn1crypto import cms as acms

    buf = memoryview(data).cast("B")
    try:
        ctype, ed = _content_info(buf, len(buf))
    except CmsError:
        raise
    except Exception as exc:  # anything odd in the structure is damage, not a program error
        raise CmsError("damaged", type(exc).__name__) from None
    if ctype not in (OID_ENVELOPED_DATA, OID_AUTH_ENVELOPED_DATA):
        raise CmsError("wrong_type", ctype)
    authenticated = ctype == OID_AUTH_ENVELOPED_DATA
    kids = _children(buf, _expect(ed, _SEQ))
    kids = [k for k in kids if k.tag != 0x02 and k.tag != _CTX0]  # version, originatorInfo
    if len(kids) < 2:
        raise CmsError("damaged", "enveloped data")
    ri_set, eci = _expect(kids[0], _SET), _expect(kids[1], _SEQ)
    aad, mac = b"", None
    if authenticated:
        rest = kids[2:]
        if rest and rest[0].tag == 0xA1:  # authAttrs: authenticated as their DER with a SET tag
            aad = b"\x31" + _whole(buf, rest[0])[1:]
            rest = rest[1:]
        if not rest or rest[0].tag != _OCTETS:
            raise CmsError("damaged", "auth enveloped data")
        mac = bytes(buf[rest[0].start:rest[0].end])

    cek = None
    for ri_node in _children(buf, ri_set):
        if ri_node.tag != _SEQ:  # key agreement, KEK, password recipients: not ours
            continue
        try:
            ktri = _key_transport(buf, ri_node)
            if ktri is None:     # not in the usual form: asn1crypto reads it
                full = acms.KeyTransRecipientInfo.load(_whole(buf, ri_node))
                ktri = (_sid_of(full["rid"]), full["key_encryption_algorithm"]["algorithm"].native,
                        full["encrypted_key"].native)
            sid, alg, encrypted_key = ktri
            for key, cert in recipients:
                if not _sid_matches(sid, cert):
                    continue
                if alg != "rsaes_pkcs1v15":
                    raise CmsError("unsupported", alg)
                try:
                    cek = key.decrypt(encrypted_key, padding.PKCS1v15())
                except ValueError:
                    raise CmsError("tampered", "key transport") from None
                break
        except CmsError:
            raise
        except Exception as exc:
            raise CmsError("damaged", type(exc).__name__) from None
        if cek is not None:
            break
    if cek is None:
        raise CmsError("not_for_us")

    parts = _children(buf, eci)
    if len(parts) < 3:
        raise CmsError("damaged", "encrypted content info")
    try:
        alg_name, iv, gcm = _content_cipher(buf, parts[1]) or (None, None, None)
        if alg_name is None:     # not AES-CBC with its IV: asn1crypto reads it
            alg = algos.EncryptionAlgorithm.load(_whole(buf, parts[1]))
            alg_name = alg["algorithm"].native
            iv = alg["parameters"].native if alg_name in _AES_CBC else None
            gcm = alg["parameters"].native if alg_name in _AES_GCM else None
    except CmsError:
        raise
    except Exception as exc:
        raise CmsError("damaged", type(exc).__name__) from None
    if authenticated:
        if alg_name not in _AES_GCM:
            raise CmsError("unsupported", str(alg_name))
        return _decrypt_gcm(buf, parts[2], cek, _AES_GCM[alg_name], gcm, aad, mac)
    if alg_name not in _AES_CBC:
        raise CmsError("unsupported", str(alg_name))
    if len(cek) != _AES_CBC[alg_name] or not isinstance(iv, bytes) or len(iv) != 16:
        raise CmsError("tampered", "key or iv size")
    value = _octets(buf, parts[2])
    ct = buf[value[0]:value[1]] if isinstance(value, tuple) else memoryview(value)
    if len(ct) == 0 or len(ct) % 16:
        raise CmsError("tampered", "ciphertext length")
    out = bytearray(len(ct) + 16)
    dec = Cipher(algorithms.AES(cek), modes.CBC(iv)).decryptor()
    pos = 0
    with memoryview(out) as mv:
        for i in range(0, len(ct), _CHUNK):
            pos += dec.update_into(ct[i:i + _CHUNK], mv[pos:])
    tail = dec.finalize()
    if tail:
        out[pos:pos + len(tail)] = tail
        pos += len(tail)
    del out[pos:]
    pad = out[-1]
    if not 1 <= pad <= 16 or out[-pad:] != bytes([pad]) * pad:
        raise CmsError("tampered", "padding")
    del out[-pad:]
    return out


def _decrypt_gcm(buf, content: _Node, cek: bytes, key_size: int, params, aad: bytes,
                 mac: bytes) -> bytearray:
    """AES-GCM content (RFC 5084): GCMParameters = nonce, ICV length (default 12); tag = the mac."""
    try:
        nonce = params["0"] if isinstance(params, dict) else None
        icv_len = int(params.get("1") or 12) if isinstance(params, dict) else 12
    except (TypeError, ValueError):
        raise CmsError("damaged", "gcm parameters") from None
    if len(cek) != key_size or not isinstance(nonce, bytes) or not 8 <= len(nonce) <= 64:
        raise CmsError("tampered", "key or nonce size")
    if not 12 <= icv_len <= 16 or len(mac) != icv_len:
        raise CmsError("tampered", "tag length")
    value = _octets(buf, content)
    ct = buf[value[0]:value[1]] if isinstance(value, tuple) else memoryview(value)
    out = bytearray(len(ct) + 15)
    dec = Cipher(algorithms.AES(cek), modes.GCM(nonce, mac, min_tag_length=icv_len)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    pos = 0
    with memoryview(out) as mv:
        for i in range(0, len(ct), _CHUNK):
            pos += dec.update_into(ct[i:i + _CHUNK], mv[pos:])
    try:
        tail = dec.finalize()
    except Exception:  # InvalidTag: the content or the tag was changed
        raise CmsError("tampered", "gcm tag") from None
    if tail:
        out[pos:pos + len(tail)] = tail
        pos += len(tail)
    del out[pos:]
    return out


#: A recipient's or signer's identifier, read: ("issuer_and_serial", its DER, the issuer's DER,
#: the serial number) or ("ski", the subject key identifier); ("", ...) for any other choice.
_Sid = Tuple


def _sid_of(rid) -> _Sid:
    """The identifier from asn1crypto's RecipientIdentifier / SignerIdentifier."""
    if rid.name == "issuer_and_serial_number":
        value = rid.chosen
        return ("issuer_and_serial", value.dump(), value["issuer"].dump(), value["serial_number"].native)
    if rid.name == "subject_key_identifier":
        return ("ski", rid.chosen.native)
    return ("",)


def _sid_matches(sid: _Sid, cert: x509.Certificate) -> bool:
    if sid[0] == "issuer_and_serial":
        if sid[1] == _issuer_and_serial(cert):   # the DER we write, as read: no decoding
            return True
        return sid[3] == cert.serial_number and sid[2] == cert.issuer.public_bytes()
    if sid[0] == "ski":
        return sid[1] == _ski(cert)
    return False


# --- the usual forms, read without asn1crypto ------------------------------------------------------
# Each reader below takes the one form that tsunagi and openssl write (DER, the algorithms we use)
# and returns None for anything else, which asn1crypto then reads: decoding a SignerInfo or a
# recipient info with asn1crypto cost more than the RSA operation on it. They refuse nothing
# themselves; what they read is checked by the same code as what asn1crypto reads.

_INTEGER, _OID_TAG, _CTX0_SKI = 0x02, 0x06, 0x80
_SIGNATURE_ALGORITHMS = {
    OID_RSA: "rsassa_pkcs1v15", "1.2.840.113549.1.1.11": "sha256_rsa", "1.2.840.113549.1.1.12": "sha384_rsa",
    "1.2.840.113549.1.1.13": "sha512_rsa", "1.2.840.10045.4.3.2": "sha256_ecdsa",
    "1.2.840.10045.4.3.3": "sha384_ecdsa", "1.2.840.10045.4.3.4": "sha512_ecdsa"}
_DIGEST_ALGORITHMS = {OID_SHA256: "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}
#: the signed attributes verification reads (the others are only signed over)
_READ_ATTRIBUTES = (OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME)
_CBC_ALGORITHMS = {"2.16.840.1.101.3.4.1.2": "aes128_cbc", "2.16.840.1.101.3.4.1.22": "aes192_cbc",
                   OID_AES256_CBC: "aes256_cbc"}


def _definite(node: _Node) -> bool:
    return node.end == node.next          # not an indefinite length (BER)


def _algorithm(buf, node: _Node, names: dict) -> Optional[str]:
    """AlgorithmIdentifier with no parameters or NULL, of one of ``names``: its name."""
    if node.tag != _SEQ or not _definite(node):
        return None
    parts = _children(buf, node)
    if not parts or parts[0].tag != _OID_TAG or len(parts) > 2:
        return None
    if len(parts) == 2 and _whole(buf, parts[1]) != _NULL:
        return None
    return names.get(_dotted(_whole(buf, parts[0])))


def _sid_read(buf, node: _Node) -> Optional[_Sid]:
    if node.tag == _SEQ and _definite(node):
        parts = _children(buf, node)
        if len(parts) == 2 and parts[0].tag == _SEQ and parts[1].tag == _INTEGER and _definite(parts[0]) \
                and parts[1].start < parts[1].end:
            serial = int.from_bytes(bytes(buf[parts[1].start:parts[1].end]), "big", signed=True)
            return ("issuer_and_serial", _whole(buf, node), _whole(buf, parts[0]), serial)
    elif node.tag == _CTX0_SKI:
        return ("ski", bytes(buf[node.start:node.end]))
    return None


def _key_transport(buf, node: _Node) -> Optional[Tuple[_Sid, str, bytes]]:
    """KeyTransRecipientInfo (version, rid, RSA PKCS#1 v1.5, encrypted key): (rid, "rsaes_pkcs1v15",
    encrypted key)."""
    if not _definite(node):
        return None
    parts = _children(buf, node)
    if len(parts) != 4 or parts[0].tag != _INTEGER or parts[3].tag != _OCTETS:
        return None
    sid = _sid_read(buf, parts[1])
    if sid is None or _algorithm(buf, parts[2], {OID_RSA: "rsaes_pkcs1v15"}) is None:
        return None
    return sid, "rsaes_pkcs1v15", bytes(buf[parts[3].start:parts[3].end])


def _content_cipher(buf, node: _Node) -> Optional[Tuple[str, bytes, None]]:
    """The content's AES-CBC algorithm with its IV: (name, iv, None)."""
    if node.tag != _SEQ or not _definite(node):
        return None
    parts = _children(buf, node)
    if len(parts) != 2 or parts[0].tag != _OID_TAG or parts[1].tag != _OCTETS:
        return None
    name = _CBC_ALGORITHMS.get(_dotted(_whole(buf, parts[0])))
    return None if name is None else (name, bytes(buf[parts[1].start:parts[1].end]), None)


@dataclass
class _SignerFacts:
    """What verification needs from a SignerInfo. ``attributes``: the signed attributes by type
    (dotted OID) with their values, None when there are none; ``attributes_der``: their DER as
    signed (with the SET tag)."""
    sid: _Sid
    digest: str
    attributes: Optional[dict]
    attributes_der: bytes
    algorithm: str
    signature: bytes


def _signer_read(buf, node: _Node) -> Optional[_SignerFacts]:
    """SignerInfo with signed attributes, each of contentType / messageDigest / signingTime once
    with one value (signingTime as UTCTime or GeneralizedTime in whole seconds, Z)."""
    if not _definite(node):
        return None
    parts = _children(buf, node)
    if len(parts) < 6 or parts[0].tag != _INTEGER or parts[3].tag != _CTX0 or parts[5].tag != _OCTETS:
        return None
    if len(parts) > 7 or (len(parts) == 7 and parts[6].tag != 0xA1):
        return None
    sid, digest = _sid_read(buf, parts[1]), _algorithm(buf, parts[2], _DIGEST_ALGORITHMS)
    algorithm = _algorithm(buf, parts[4], _SIGNATURE_ALGORITHMS)
    if sid is None or digest is None or algorithm is None or not _definite(parts[3]):
        return None
    found: dict = {}
    for attr in _children(buf, parts[3]):
        kids = _children(buf, attr) if attr.tag == _SEQ and _definite(attr) else []
        if len(kids) != 2 or kids[0].tag != _OID_TAG or kids[1].tag != _SET:
            return None
        kind = _dotted(_whole(buf, kids[0]))
        if kind in found:
            return None
        values = _children(buf, kids[1])
        if kind in _READ_ATTRIBUTES:
            value = _attribute_value(buf, kind, values)
            if value is None:
                return None
            found[kind] = value
        else:
            found[kind] = None                 # not read (asn1crypto does not either)
    if not found:
        return None
    attrs_der = bytearray(_whole(buf, parts[3]))
    attrs_der[0] = _SET
    return _SignerFacts(sid, digest, found, bytes(attrs_der), algorithm,
                        bytes(buf[parts[5].start:parts[5].end]))


def _attribute_value(buf, kind: str, values: List[_Node]):
    if len(values) != 1:
        return None
    v = values[0]
    if kind == OID_CONTENT_TYPE:
        return "data" if v.tag == _OID_TAG and _dotted(_whole(buf, v)) == OID_DATA else None
    if kind == OID_MESSAGE_DIGEST:
        return bytes(buf[v.start:v.end]) if v.tag == _OCTETS else None
    text = bytes(buf[v.start:v.end])
    if not text.endswith(b"Z") or not text[:-1].isdigit():
        return None
    if v.tag == 0x17 and len(text) == 13:            # UTCTime YYMMDDHHMMSSZ (RFC 5280: 50-99 is 19xx)
        year = int(text[:2])
        text = (b"19" if year >= 50 else b"20") + text
    elif v.tag != 0x18 or len(text) != 15:           # GeneralizedTime YYYYMMDDHHMMSSZ
        return None
    try:
        return _dt.datetime.strptime(text.decode("ascii"), "%Y%m%d%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return None


def _signer_asn1(der: bytes) -> _SignerFacts:
    """The same facts, read by asn1crypto (any form it reads)."""
    from asn1crypto import cms as acms
    from asn1crypto import core as acore

    si = acms.SignerInfo.load(der)
    digest = si["digest_algorithm"]["algorithm"].native
    attrs = si["signed_attrs"]
    found, attrs_der = None, b""
    if not isinstance(attrs, acore.Void) and len(attrs) > 0:   # absent (not decoded to find out)
        found = {}
        for a in attrs:
            values = a["values"]
            kind = a["type"].dotted
            found[kind] = values[0].native if kind in _READ_ATTRIBUTES else None
        raw = bytearray(attrs.dump())
        raw[0] = _SET
        attrs_der = bytes(raw)
    return _SignerFacts(_sid_of(si["sid"]), digest, found, attrs_der,
                        si["signature_algorithm"]["algorithm"].native, si["signature"].native)


def _ski(cert: x509.Certificate) -> Optional[bytes]:
    try:   # asn1crypto reads it where cryptography 43 cannot (see core/chain.extensions)
        found = _chain.extensions(cert).get(x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string)
        return None if found is None else found[1].native
    except (ValueError, TypeError):
        return None


# --- verifying ------------------------------------------------------------------------------------

@dataclass
class Signed:
    """A verified SignedData: the content and who signed it when (by their own clock)."""

    content: bytearray
    signer: x509.Certificate
    signed_at: Optional[_dt.datetime]
    certificates: List[x509.Certificate]
    digest: bytes  # SHA-256 of the content


def verify(data, extra_certs: Iterable[x509.Certificate] = (), *, consume: bool = False) -> Signed:
    """Check a ContentInfo(SignedData) with attached content: digest and signature (not the chain).

    With ``consume=True`` and a bytearray ``data``, the returned content is ``data`` itself, trimmed
    in place (no copy of a large file).
    """
    try:
        with memoryview(data).cast("B") as buf:
            ctype, sd = _content_info(buf, len(buf))
            if ctype != OID_SIGNED_DATA:
                raise CmsError("wrong_type", ctype)
            kids = _children(buf, _expect(sd, _SEQ))
            if len(kids) < 4:
                raise CmsError("damaged", "signed data")
            encap = _children(buf, _expect(kids[2], _SEQ))
            if not encap or _oid_of(buf, encap[0]) != OID_DATA or len(encap) != 2:
                raise CmsError("wrong_type", "content")
            wrapped = _children(buf, _expect(encap[1], _CTX0))
            if len(wrapped) != 1:
                raise CmsError("damaged", "content")
            content = _octets(buf, wrapped[0])
            certs: List[x509.Certificate] = []
            signer_infos = None
            for node in kids[3:]:
                if node.tag == _CTX0:
                    for c in _children(buf, node):
                        if c.tag == _SEQ:
                            certs.append(x509.load_der_x509_certificate(
                                _whole(buf, c)))
                elif node.tag == _SET:
                    signer_infos = node
            if signer_infos is None:
                raise CmsError("damaged", "no signer infos")
            sis = _children(buf, signer_infos)
            if len(sis) != 1:
                raise CmsError("damaged", f"{len(sis)} signers")
            si = _signer_read(buf, sis[0]) or _signer_asn1(_whole(buf, sis[0]))
            digest_name = si.digest
            if digest_name not in _DIGESTS:
                raise CmsError("unsupported", str(digest_name))
            hash_cls = _DIGESTS[digest_name]
            h = hashlib.new(digest_name)
            if isinstance(content, tuple):
                h.update(buf[content[0]:content[1]])
            else:
                h.update(content)
            computed = h.digest()
            sha256 = computed if digest_name == "sha256" else None
            if sha256 is None:
                sha256 = hashlib.sha256(buf[content[0]:content[1]] if isinstance(content, tuple)
                                        else content).digest()
            found = si.attributes
            if not found:
                raise CmsError("unsupported", "no signed attributes")
            if found.get(OID_MESSAGE_DIGEST) != computed:
                raise CmsError("tampered", "message digest")
            if found.get(OID_CONTENT_TYPE) != "data":
                raise CmsError("tampered", "content type attribute")
            signed_at = found.get(OID_SIGNING_TIME)
            signer = _find_signer(si.sid, certs + list(extra_certs))
            sig_alg = si.algorithm
            if sig_alg not in ("rsassa_pkcs1v15", f"{digest_name}_rsa", "ecdsa", f"{digest_name}_ecdsa"):
                raise CmsError("unsupported", str(sig_alg))
            if not _signature_ok(signer, si.signature, si.attributes_der, hash_cls()):
                raise CmsError("bad_signature")
    except CmsError:
        raise
    except Exception as exc:  # asn1crypto / x509 parse errors on hostile input
        raise CmsError("damaged", type(exc).__name__) from None
    if isinstance(content, tuple):
        if consume and isinstance(data, bytearray):
            del data[content[1]:]
            del data[:content[0]]
            body = data
        else:
            body = bytearray(memoryview(data)[content[0]:content[1]])
    else:
        body = bytearray(content)
    return Signed(body, signer, signed_at, certs, sha256)


def _find_signer(sid: _Sid, certs: Sequence[x509.Certificate]) -> x509.Certificate:
    for cert in certs:
        if _sid_matches(sid, cert):
            return cert
    raise CmsError("unknown_signer")


def _signature_ok(cert: x509.Certificate, signature: bytes, data: bytes, hash_alg) -> bool:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_alg))
        else:
            return False
    except Exception:  # InvalidSignature or a malformed value
        return False
    return True
