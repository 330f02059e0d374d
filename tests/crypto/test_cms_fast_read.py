"""The CMS reader reads the usual forms of a SignerInfo, a key-transport recipient and the content's
cipher with its own DER reader (asn1crypto cost more than the RSA operation on each item); anything
else goes to asn1crypto. Where the own reader answers, it must say exactly what asn1crypto says:
checked here on what we seal, on openssl's files (fixtures and live variants), and on signing
times across both time types."""

import datetime as dt

import pytest
from asn1crypto import cms as acms
from asn1crypto import core as acore
from cryptohelp import FIXTURES, NAME, cert, ks, openssl, trust  # noqa: F401 (fixtures)

from tui_client.core import cms, seal


def _parts(sealed: bytes, keystore):
    """(buffer, recipient-info nodes, content-cipher node or None, signer-info node, signed buffer)."""
    buf = memoryview(sealed).cast("B")
    ctype, ed = cms._content_info(buf, len(buf))
    kids = [k for k in cms._children(buf, ed) if k.tag not in (0x02, 0xA0)]
    ris = [n for n in cms._children(buf, kids[0]) if n.tag == 0x30]
    cipher = cms._children(buf, kids[1])[1] if ctype == cms.OID_ENVELOPED_DATA else None
    signed = memoryview(bytes(cms.decrypt(sealed, [(keystore.key, keystore.certificate)]))).cast("B")
    _, sd = cms._content_info(signed, len(signed))
    sis = [n for n in cms._children(signed, sd) if n.tag == 0x31][-1]
    return buf, ris, cipher, cms._children(signed, sis)[0], signed


def _same_as_asn1crypto(buf, ris, cipher, si, signed):
    """Every answer of the own reader equals asn1crypto's; returns which parts it answered."""
    answered = []
    for node in ris:
        fast = cms._key_transport(buf, node)
        if fast is not None:
            full = acms.KeyTransRecipientInfo.load(cms._whole(buf, node))
            assert fast == (cms._sid_of(full["rid"]), full["key_encryption_algorithm"]["algorithm"].native,
                            full["encrypted_key"].native)
            answered.append("recipient")
    if cipher is not None and cms._content_cipher(buf, cipher) is not None:
        from asn1crypto import algos

        alg = algos.EncryptionAlgorithm.load(cms._whole(buf, cipher))
        assert cms._content_cipher(buf, cipher) == (alg["algorithm"].native, alg["parameters"].native, None)
        answered.append("cipher")
    fast = cms._signer_read(signed, si)
    if fast is not None:
        assert fast == cms._signer_asn1(cms._whole(signed, si))
        answered.append("signer")
    return answered


def test_what_we_seal_is_read_without_asn1crypto_and_as_asn1crypto_reads_it(ks, cert, trust):  # noqa: F811
    sealed, findings = seal.seal(b"a,b\r\n", NAME, ks("cm"), [cert("homecare")], trust=trust)
    assert findings == []
    parts = _parts(bytes(sealed), ks("homecare"))
    assert _same_as_asn1crypto(*parts) == ["recipient"] * len(parts[1]) + ["cipher", "signer"]


@pytest.mark.parametrize("fixture", ["openssl-aes256.p7m", "openssl-aes128.p7m", "openssl-aes256gcm.p7m",
                                     "openssl-sha1.p7m", "openssl-nocerts.p7m"])
def test_openssl_fixtures_read_as_asn1crypto_reads_them(ks, fixture):  # noqa: F811
    answered = _same_as_asn1crypto(*_parts((FIXTURES / fixture).read_bytes(), ks("homecare")))
    assert "recipient" in answered
    if fixture != "openssl-sha1.p7m":        # SHA-1 is not among the usual forms: asn1crypto reads it
        assert "signer" in answered


@pytest.mark.parametrize("sign_opts, enc_opts", [
    (["-stream"], ["-stream"]),          # BER: indefinite lengths go to asn1crypto
    (["-keyid"], ["-keyid"]),            # subjectKeyIdentifier instead of issuer and serial
    (["-md", "sha512"], ["-aes192"]),
    (["-noattr"], []),                   # no signed attributes: refused, by asn1crypto's reading
])
def test_live_openssl_variants_read_as_asn1crypto_reads_them(openssl, ks, tmp_path, sign_opts, enc_opts):  # noqa: F811
    from test_interop import openssl_sealed

    sealed = openssl_sealed(openssl, ks, tmp_path, b"x,y\r\n" * 300, sign_opts, enc_opts)
    answered = _same_as_asn1crypto(*_parts(sealed, ks("homecare")))
    if "-stream" not in sign_opts and "-noattr" not in sign_opts:
        assert "signer" in answered
    if "-noattr" in sign_opts:
        assert "signer" not in answered


_TIMES = [dt.datetime(y, m, d, h, mi, s, tzinfo=dt.timezone.utc) for y, m, d, h, mi, s in [
    (1950, 1, 1, 0, 0, 0), (1999, 12, 31, 23, 59, 59), (2000, 1, 1, 0, 0, 0), (2025, 2, 28, 12, 30, 5),
    (2028, 2, 29, 1, 2, 3), (2049, 12, 31, 23, 59, 59), (2050, 1, 1, 0, 0, 0), (1949, 6, 1, 8, 0, 0),
    (2100, 3, 1, 0, 0, 0), (1000, 1, 1, 0, 0, 0)]]


@pytest.mark.parametrize("kind, when", [("generalized_time", t) for t in _TIMES]
                         + [("utc_time", t) for t in _TIMES if 1950 <= t.year < 2050], ids=str)
def test_signing_times_read_as_asn1crypto_reads_them(kind, when):
    der = acms.Time({kind: when}).dump()
    node = cms._read(memoryview(der), 0, len(der))
    ours = cms._attribute_value(memoryview(der), cms.OID_SIGNING_TIME, [node])
    assert ours == acore.load(der).native == when


@pytest.mark.parametrize("text", [b"250101000000+0900", b"2501010000Z", b"20250101000000.5Z", b"25013100000Z",
                                  b"251301000000Z", b"2502300000000Z"])
def test_unusual_or_impossible_times_are_left_to_asn1crypto(text):
    der = bytes([0x17 if len(text) <= 13 else 0x18, len(text)]) + text
    node = cms._read(memoryview(der), 0, len(der))
    assert cms._attribute_value(memoryview(der), cms.OID_SIGNING_TIME, [node]) is None
