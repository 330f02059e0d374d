"""Certificates with a malformed subject, made in the test with ``cryptography`` (and asn1crypto to
put bytes into the subject that ``cryptography`` itself refuses to write): no commonName, two
commonNames, a commonName that is not UTF-8. Each is properly issued by a throwaway CA, so only
the subject is wrong. Imported by basename from tests/ and tests/crypto (``from badcerts import``).
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from tui_client import sample_certs  # noqa: F401 - makes sample_certs.generate importable
from tui_client.core import certs

#: the recipient office of tests/crypto's NAME
OFFICE = "1370100029"
#: stands in the subject for the bytes that are not UTF-8 (same length, swapped after building)
_PLACEHOLDER = "QQQQ"
_NOT_UTF8 = b"\xff\xfe\xc3\x28"

SUBJECTS = ("no_cn", "two_cns", "not_utf8")


def _name(kind: str) -> x509.Name:
    base = [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bad subject office")]
    if kind == "no_cn":
        return x509.Name(base)
    if kind == "two_cns":
        return x509.Name(base + [x509.NameAttribute(NameOID.COMMON_NAME, OFFICE),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "1370100037")])
    if kind == "not_utf8":
        return x509.Name(base + [x509.NameAttribute(NameOID.COMMON_NAME, _PLACEHOLDER + OFFICE)])
    raise ValueError(kind)


def _resign_with(cert: x509.Certificate, ca, old: bytes, new: bytes) -> x509.Certificate:
    """``cert`` with ``old`` bytes of its to-be-signed part replaced by ``new`` (same length), signed
    again by ``ca``: a well-signed certificate whose content no builder would make."""
    from asn1crypto import x509 as ax

    assert len(old) == len(new)
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(old) == 1
    tbs = tbs.replace(old, new)
    signature = ca.key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    parsed = ax.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    whole = ax.Certificate({"tbs_certificate": ax.TbsCertificate.load(tbs),
                            "signature_algorithm": parsed["signature_algorithm"],
                            "signature_value": signature})
    return x509.load_der_x509_certificate(whole.dump())


class _Keystore(certs.Keystore):
    """The keystore as its owner knows it: the office number comes from the owner's settings, not
    from the subject (which ``cryptography`` may refuse to read), so ``make_receipt`` can sign."""

    @property
    def office_number(self):
        return OFFICE


def bad_subject_office(kind: str):
    """``(keystore, trust store, CA PEM)``: an office keystore whose certificate's subject is
    malformed (``kind`` one of ``SUBJECTS``), a trust store holding only the CA that issued it, and
    that CA's certificate as PEM (for ``--trust`` on the command line)."""
    from tui_client.sample_certs.generate import issue, new_ca

    now = dt.datetime.now(dt.timezone.utc)
    ca = new_ca("Bad subject test CA", now - dt.timedelta(days=30), now + dt.timedelta(days=3650))
    key, cert = issue(ca, _name(kind), now - dt.timedelta(days=1), now + dt.timedelta(days=365))
    if kind == "not_utf8":
        cert = _resign_with(cert, ca, _PLACEHOLDER.encode("ascii"), _NOT_UTF8)
    ca_pem = ca.cert.public_bytes(serialization.Encoding.PEM)
    trust, findings = certs.load_trust_store(ca_pem, [], "bad-ca.pem")
    assert trust is not None, findings
    return _Keystore(key, cert, (ca.cert,), f"bad-{kind}"), trust, ca_pem
