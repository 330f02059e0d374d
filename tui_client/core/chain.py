"""Certificate path validation (for ``certs.check_certificate``) on every supported cryptography.

On 45 and newer, ``verify_with_policies``: cryptography's own RFC 5280 / CA-Browser-Forum path
validation (``PolicyBuilder(...).extension_policies(...).build_client_verifier()``) with one change
to the Web PKI defaults: an end-entity certificate need not carry a subjectAltName (office
certificates name the office in the subject). cryptography 43 (Debian 13's ``python3-cryptography``,
the one a 32-bit office PC can have) has the verifier but no extension policies, and its default
end-entity policy refuses every certificate without a subjectAltName, so it cannot be used there.

There ``verify_fallback`` builds and checks the path itself with the same rules, taken from
cryptography's verifier (``cryptography-x509-verification``: ``policy/mod.rs``,
``policy/extension.rs``, ``lib.rs``):

* every certificate (leaf, intermediates, the trust anchor): X.509 v3, the outer and inner signature
  algorithms identical, a non-negative serial of 1..21 octets, a non-empty issuer, validity dates
  encoded as RFC 5280 says (UTCTime before 2050) and the validation time inside them;
* the leaf (end entity): authorityKeyIdentifier present and not critical; basicConstraints, if
  present, not a CA; keyUsage, if present, without keyCertSign; extendedKeyUsage, if present, not
  critical and holding clientAuth; no nameConstraints;
* each issuer (CA): basicConstraints present, critical, cA asserted and its pathLenConstraint not
  exceeded at its depth; keyUsage present with keyCertSign; extendedKeyUsage, if present, not
  critical and holding clientAuth or anyExtendedKeyUsage; authorityKeyIdentifier (in any form: the
  verifier no longer checks it), subjectKeyIdentifier and authorityInformationAccess, if present,
  not critical; a public key of RSA (2048 bits or more) or P-256/384/521; and the child's signature
  made with one of the permitted algorithms and verifying under the issuer's key;
* any other critical extension refuses the certificate; so does a malformed or repeated extension
  (extensions are read with asn1crypto: cryptography 43 cannot read our certificate policy OIDs);
* path building as cryptography does it: the leaf first checked as an end entity, then issuers
  whose subject is the child's issuer, trust anchors before intermediates, depth counted per
  issuer (at most 8), the first path that ends at a trust anchor wins.

One deliberate difference, on the strict side: a CA carrying nameConstraints is refused here
(cryptography evaluates the constraints against the leaf's subjectAltNames; office certificates have
none, and no office CA uses name constraints). ``tests/crypto/test_chain_paths.py`` runs one matrix
of good and bad certificates through both paths and requires the same answers.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Dict, List, Optional, Sequence, Tuple

from asn1crypto import x509 as a_x509
from asn1crypto.core import Void
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

#: cryptography's DEFAULT_MAX_CHAIN_DEPTH
MAX_DEPTH = 8
#: cryptography's WEBPKI_MINIMUM_RSA_MODULUS (bits, counted over the modulus' DER octets)
MIN_RSA_MODULUS_BITS = 2048
#: an upper bound on issuer candidates tried for one leaf (cryptography bounds signature checks too)
MAX_CANDIDATES = 64

_RSA = b"0\r\x06\t*\x86H\x86\xf7\r\x01\x01"
#: DER AlgorithmIdentifiers of permitted subject public keys (CA/B 7.1.3.1): RSA, P-256, P-384, P-521
SPKI_ALGORITHMS = frozenset({
    _RSA + b"\x01\x05\x00",
    b"0\x13\x06\x07*\x86H\xce=\x02\x01\x06\x08*\x86H\xce=\x03\x01\x07",
    b'0\x10\x06\x07*\x86H\xce=\x02\x01\x06\x05+\x81\x04\x00"',
    b"0\x10\x06\x07*\x86H\xce=\x02\x01\x06\x05+\x81\x04\x00#",
})


def _pss(n: int, salt: bytes) -> bytes:
    sha = b"0\r\x06\t`\x86H\x01e\x03\x04\x02" + bytes([n]) + b"\x05\x00"
    return (b"0A\x06\t*\x86H\x86\xf7\r\x01\x01\n04\xa0\x0f" + sha + b"\xa1\x1c0\x1a\x06\t*\x86H\x86\xf7\r"
            b"\x01\x01\x08" + sha + b"\xa2\x03\x02\x01" + salt)


#: DER AlgorithmIdentifiers of permitted signatures (CA/B 7.1.3.2): RSA PKCS#1 v1.5 and PSS with
#: SHA-256/384/512, ECDSA with SHA-256/384/512
SIGNATURE_ALGORITHMS = frozenset({
    _RSA + b"\x0b\x05\x00", _RSA + b"\x0c\x05\x00", _RSA + b"\r\x05\x00",
    _pss(1, b" "), _pss(2, b"0"), _pss(3, b"@"),
    b"0\n\x06\x08*\x86H\xce=\x04\x03\x02", b"0\n\x06\x08*\x86H\xce=\x04\x03\x03",
    b"0\n\x06\x08*\x86H\xce=\x04\x03\x04",
})

_CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string
_ANY_EKU = "2.5.29.37.0"
_AIA, _AKI, _SKI, _KU, _SAN, _BC, _NC, _EKU = (o.dotted_string for o in (
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.KEY_USAGE, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.EXTENDED_KEY_USAGE))

# Extension rules: OID -> (presence, criticality); presence "required" | "optional" | "forbidden",
# criticality "critical" | "agnostic" | "non-critical". The value checks are in _permits_ca/_permits_ee.
_CA_RULES = {
    _AIA: ("optional", "non-critical"), _AKI: ("optional", "non-critical"),
    _SKI: ("optional", "non-critical"), _KU: ("required", "agnostic"), _SAN: ("optional", "agnostic"),
    _BC: ("required", "critical"),
    _NC: ("forbidden", "agnostic"),   # the one stricter rule (see above)
    _EKU: ("optional", "non-critical"),
}
_EE_RULES = {
    _AIA: ("optional", "non-critical"), _AKI: ("required", "non-critical"),
    _SKI: ("optional", "agnostic"), _KU: ("optional", "agnostic"),
    _SAN: ("optional", "agnostic"),   # relaxed, as verify_with_policies relaxes it
    _BC: ("optional", "agnostic"), _NC: ("forbidden", "agnostic"), _EKU: ("optional", "non-critical"),
}


class _Refused(Exception):
    """The certificate does not meet the policy (the reason is for debugging only)."""


@functools.lru_cache(maxsize=256)  # a certificate never changes; sealing checks the same few often
def _raw(cert: x509.Certificate) -> a_x509.Certificate:
    return a_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@functools.lru_cache(maxsize=256)
def extensions(cert: x509.Certificate) -> Dict[str, Tuple[bool, object]]:
    """The certificate's extensions, dotted OID -> (critical, parsed asn1crypto value).

    Read with asn1crypto, not ``cert.extensions``: cryptography 43 refuses the whole extension list
    when one certificate policy OID has an arc above 64 bits (our ``2.25.<UUID>`` policies).
    ValueError when an extension is repeated."""
    exts = _raw(cert)["tbs_certificate"]["extensions"]
    found: Dict[str, Tuple[bool, object]] = {}
    for ext in ([] if isinstance(exts, Void) else exts):
        oid = ext["extn_id"].dotted
        if oid in found:
            raise ValueError(f"repeated extension {oid}")
        found[oid] = (bool(ext["critical"].native), ext["extn_value"].parsed)
    return found


def _permits_basic(cert: x509.Certificate, at: _dt.datetime) -> None:
    raw = _raw(cert)
    tbs = raw["tbs_certificate"]
    if tbs["version"].native != "v3":
        raise _Refused("not an X.509 v3 certificate")
    if raw["signature_algorithm"].dump() != tbs["signature"].dump():
        raise _Refused("signatureAlgorithm differs from the TBS signature algorithm")
    serial = tbs["serial_number"].contents
    if not 1 <= len(serial) <= 21:
        raise _Refused("serial number not between 1 and 20 octets")
    if serial[0] & 0x80:
        raise _Refused("negative serial number")
    if len(tbs["issuer"].chosen) == 0:
        raise _Refused("empty issuer")
    for name in ("not_before", "not_after"):
        t = tbs["validity"][name]
        if t.name == "general_time" and 1950 <= t.chosen.native.year < 2050:
            raise _Refused("validity date before 2050 not in UTCTime")
    if not tbs["validity"]["not_before"].native <= at <= tbs["validity"]["not_after"].native:
        raise _Refused("not valid at the validation time")


def _extensions(cert: x509.Certificate, rules: dict) -> dict:
    """The values of the extensions the rules name, after the presence and criticality rules."""
    try:
        found = extensions(cert)
        values = {oid: value.native for oid, (_, value) in found.items() if oid in rules}  # parses them
    except (ValueError, TypeError) as exc:
        raise _Refused(f"bad extensions: {exc}") from exc
    for oid, (critical, _) in found.items():
        if oid not in rules:
            if critical:
                raise _Refused(f"unaccounted-for critical extension {oid}")
            continue
        presence, criticality = rules[oid]
        if presence == "forbidden":
            raise _Refused(f"prohibited extension {oid}")
        if (criticality == "critical" and not critical) or (criticality == "non-critical" and critical):
            raise _Refused(f"extension {oid} has the wrong criticality")
    for oid, (presence, _) in rules.items():
        if presence == "required" and oid not in found:
            raise _Refused(f"missing extension {oid}")
    return values


def _ekus(cert: x509.Certificate) -> Optional[set]:
    found = extensions(cert).get(_EKU)
    return None if found is None else {purpose.dotted for purpose in found[1]}


def _permits_ee(cert: x509.Certificate, at: _dt.datetime) -> None:
    _permits_basic(cert, at)
    values = _extensions(cert, _EE_RULES)
    if (values.get(_BC) or {}).get("ca"):
        raise _Refused("basicConstraints.cA asserted in an end-entity certificate")
    if "key_cert_sign" in (values.get(_KU) or ()):
        raise _Refused("end-entity keyUsage asserts keyCertSign")
    ekus = _ekus(cert)
    if ekus is not None and _CLIENT_AUTH not in ekus:
        raise _Refused("extendedKeyUsage lacks clientAuth")


def _permits_ca(cert: x509.Certificate, depth: int, at: _dt.datetime) -> None:
    _permits_basic(cert, at)
    values = _extensions(cert, _CA_RULES)
    bc = values[_BC]
    if not bc["ca"]:
        raise _Refused("basicConstraints.cA not asserted in a CA certificate")
    if bc["path_len_constraint"] is not None and depth > bc["path_len_constraint"]:
        raise _Refused("path length constraint violated")
    if "key_cert_sign" not in values[_KU]:
        raise _Refused("CA keyUsage lacks keyCertSign")
    ekus = _ekus(cert)
    if ekus is not None and not ekus & {_CLIENT_AUTH, _ANY_EKU}:
        raise _Refused("CA extendedKeyUsage lacks clientAuth")


def _valid_issuer(issuer: x509.Certificate, child: x509.Certificate, depth: int, at: _dt.datetime) -> None:
    _permits_ca(issuer, depth, at)
    spki = _raw(issuer)["tbs_certificate"]["subject_public_key_info"]
    if spki["algorithm"].dump() not in SPKI_ALGORITHMS:
        raise _Refused("issuer public key algorithm not permitted")
    if _raw(child)["signature_algorithm"].dump() not in SIGNATURE_ALGORITHMS:
        raise _Refused("signature algorithm not permitted")
    try:
        issuer.public_key()
        if spki["algorithm"]["algorithm"].native == "rsa":
            if len(spki["public_key"].parsed["modulus"].contents) * 8 < MIN_RSA_MODULUS_BITS:
                raise _Refused("issuer RSA key too weak")
        child.verify_directly_issued_by(issuer)
    except _Refused:
        raise
    except Exception as exc:  # InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm
        raise _Refused(f"signature does not verify: {exc!r}") from exc


@functools.lru_cache(maxsize=1)
def has_extension_policies() -> bool:
    """True when the installed cryptography (45+) can be told the extension policies itself."""
    from cryptography.x509 import verification

    return hasattr(verification, "ExtensionPolicy")


def verify_chain(leaf: x509.Certificate, roots: Sequence[x509.Certificate],
                 intermediates: Sequence[x509.Certificate], at: _dt.datetime) -> Optional[List[x509.Certificate]]:
    """The verified chain (leaf first, trust anchor last) or None, by whichever path this
    cryptography allows; ``at`` an aware datetime."""
    if not roots:
        return None
    verify = verify_with_policies if has_extension_policies() else verify_fallback
    return verify(leaf, roots, intermediates, at)


def verify_with_policies(leaf: x509.Certificate, roots: Sequence[x509.Certificate],
                         intermediates: Sequence[x509.Certificate],
                         at: _dt.datetime) -> Optional[List[x509.Certificate]]:
    """cryptography's own RFC 5280 path validation (45+), Web PKI rules but no SAN needed."""
    from cryptography.x509.verification import (Criticality, ExtensionPolicy, PolicyBuilder, Store,
                                                VerificationError)

    try:
        # Office certificates name the office in the subject, not in a subjectAltName, so the
        # Web PKI rule "an end-entity certificate must have a SAN" is relaxed; the rest stays.
        ee = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        verifier = (PolicyBuilder().store(Store(list(roots))).time(at)
                    .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
                    .build_client_verifier())
        verified = verifier.verify(leaf, list(intermediates))
    except (VerificationError, ValueError, TypeError):
        return None
    return list(verified.chain)


def verify_fallback(leaf: x509.Certificate, roots: Sequence[x509.Certificate],
                    intermediates: Sequence[x509.Certificate],
                    at: _dt.datetime) -> Optional[List[x509.Certificate]]:
    """The same rules, checked here (for cryptography 43 and 44); see the module's docstring."""
    at = at.astimezone(_dt.timezone.utc).replace(microsecond=0)   # the verifier's time has whole seconds
    budget = [MAX_CANDIDATES]

    def build(working: x509.Certificate, depth: int) -> List[x509.Certificate]:
        if working in roots:
            return [working]
        if depth > MAX_DEPTH:
            raise _Refused("chain exceeds the maximum depth")
        wanted = _raw(working)["tbs_certificate"]["issuer"].dump()
        reason: Exception = _Refused("no issuer found")
        for candidate in [*roots, *intermediates]:
            if _raw(candidate)["tbs_certificate"]["subject"].dump() != wanted:
                continue
            budget[0] -= 1
            if budget[0] < 0:
                raise _Refused("too many issuer candidates")
            try:
                _valid_issuer(candidate, working, depth, at)
                return [working, *build(candidate, depth + 1)]
            except _Refused as exc:
                reason = exc
        raise reason

    try:
        _permits_ee(leaf, at)
        return build(leaf, 0)
    except _Refused:
        return None
    except (ValueError, TypeError):  # an unreadable certificate is refused, never a crash
        return None
