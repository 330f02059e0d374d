"""The chain check's two paths give the same answers: cryptography's own verifier with extension
policies (45+) and core/chain's own check (what cryptography 43 and 44 run, e.g. Debian 13's
python3-cryptography on a 32-bit PC). One matrix of good and bad certificates goes through both on
whatever cryptography is installed; where the new API is missing, the fallback alone must give the
stated answers (tests/ci.sh runs this folder again at the floor)."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cryptohelp import REF, trust  # noqa: F401 - trust is a fixture
from tui_client import sample_certs
from tui_client.core import chain

AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
CLIENT, SERVER, EMAIL = (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH,
                         ExtendedKeyUsageOID.EMAIL_PROTECTION)
ANY_EKU = x509.ObjectIdentifier("2.5.29.37.0")
PRIVATE_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1")
EE_KU = dict(digital_signature=True, content_commitment=True, key_encipherment=True, data_encipherment=False,
             key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
CA_KU = dict(EE_KU, digital_signature=False, content_commitment=False, key_encipherment=False,
             key_cert_sign=True, crl_sign=True)


@pytest.fixture(scope="module")
def keys():
    return {"rsa": rsa.generate_private_key(65537, 2048), "rsa2": rsa.generate_private_key(65537, 2048),
            "rsa1024": rsa.generate_private_key(65537, 1024), "p256": ec.generate_private_key(ec.SECP256R1()),
            "p224": ec.generate_private_key(ec.SECP224R1())}


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make(subject, key, issuer=None, *, ca=False, pathlen=None, bc=True, bc_critical=True, ku="default",
         eku=(CLIENT, EMAIL), eku_critical=False, aki="key", san=None, extra=(), days=(-30, 365),
         digest=hashes.SHA256(), pss_salt=None):
    """A certificate for ``subject`` (issuer: (name, key) or None for self-signed) with one thing
    changed from a good office or CA certificate at a time."""
    issuer_name, issuer_key = issuer or (subject, key)
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer_name))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(AT + dt.timedelta(days=days[0])).not_valid_after(AT + dt.timedelta(days=days[1]))
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if bc:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=bc_critical)
    if ku == "default":
        ku = CA_KU if ca else EE_KU
    if ku:
        b = b.add_extension(x509.KeyUsage(**ku), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=eku_critical)
    if aki == "key":
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            critical=False)
    elif aki == "issuer-and-serial":
        kid = x509.SubjectKeyIdentifier.from_public_key(issuer_key.public_key()).digest
        b = b.add_extension(x509.AuthorityKeyIdentifier(kid, [x509.DirectoryName(name(issuer_name))], 1),
                            critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    for ext, critical in extra:
        b = b.add_extension(ext, critical=critical)
    if pss_salt is not None:
        return b.sign(issuer_key, digest, rsa_padding=padding.PSS(padding.MGF1(digest), pss_salt))
    return b.sign(issuer_key, digest)


ROOT = "Matrix root CA"


def root(keys, **kw):
    return make(ROOT, keys["rsa"], ca=True, **kw)


def leaf(keys, issuer=ROOT, issuer_key="rsa", **kw):
    return make("1370100011", keys["rsa2"], (issuer, keys[issuer_key]), **kw)


def only_leaf(**kw):
    """A case: the good root, and a leaf with ``kw`` changed."""
    return lambda k: (leaf(k, **kw), [root(k)], [])


def only_root(**kw):
    """A case: a root with ``kw`` changed, and a good leaf under it."""
    return lambda k: (leaf(k), [root(k, **kw)], [])


def weak_root(key_name):
    """A case: a root with another (weak or not permitted) key, and a good leaf under it."""
    def case(k):
        ca = make("Other root", k[key_name], ca=True)
        return leaf(k, issuer="Other root", issuer_key=key_name), [ca], []
    return case


def with_intermediate(root_pathlen=None, give_intermediate=True, **inter_kw):
    """A case: root -> P-256 intermediate (``inter_kw`` changed) -> good leaf."""
    def case(k):
        inter = make("Matrix intermediate CA", k["p256"], (ROOT, k["rsa"]), **{"ca": True, "pathlen": 0, **inter_kw})
        ee = make("1370100011", k["rsa2"], ("Matrix intermediate CA", k["p256"]))
        return ee, [root(k, pathlen=root_pathlen)], [inter] if give_intermediate else []
    return case


def foreign_signature(k):
    """Same issuer name as the trusted root, signed by another key."""
    return make("1370100011", k["rsa2"], (ROOT, k["rsa2"])), [root(k)], []


def leaf_is_the_root(k):
    return root(k), [root(k)], []


#: case -> (build(keys) -> (leaf, roots, intermediates), accepted at AT)
MATRIX = {
    "good office certificate": (only_leaf(), True),
    "good, with a subjectAltName": (only_leaf(san="office.example"), True),
    "good, no extendedKeyUsage": (only_leaf(eku=()), True),
    "good, no keyUsage": (only_leaf(ku=None), True),
    "good, no basicConstraints": (only_leaf(bc=False), True),
    "good, basicConstraints not critical": (only_leaf(bc_critical=False), True),
    "good, unknown non-critical extension": (only_leaf(extra=[(x509.UnrecognizedExtension(PRIVATE_OID, b"\x05\x00"),
                                                                False)]), True),
    "good, weak leaf key (judged by E-CERT-015, not by the chain)": (
        lambda k: (make("1370100011", k["rsa1024"], (ROOT, k["rsa"])), [root(k)], []), True),
    "good, RSA-PSS signature": (only_leaf(pss_salt=padding.PSS.DIGEST_LENGTH), True),
    "good, SHA-384": (only_leaf(digest=hashes.SHA384()), True),
    "good, under a P-256 intermediate": (with_intermediate(), True),
    "good, root and intermediate allow anyExtendedKeyUsage": (
        with_intermediate(eku=(ANY_EKU,)), True),
    "good, CA with clientAuth EKU": (only_root(eku=(CLIENT,)), True),
    "good, CA authorityKeyIdentifier with issuer and serial": (only_root(aki="issuer-and-serial"), True),
    "good, intermediate without authorityKeyIdentifier": (with_intermediate(aki=None), True),
    "expired": (only_leaf(days=(-400, -1)), False),
    "not yet valid": (only_leaf(days=(1, 400)), False),
    "root expired": (only_root(days=(-4000, -1)), False),
    "root not yet valid": (only_root(days=(1, 4000)), False),
    "issuer not trusted": (lambda k: (leaf(k, issuer="Unknown CA"), [root(k)], []), False),
    "wrong CA key (forged issuer name)": (foreign_signature, False),
    "leaf keyUsage asserts keyCertSign": (only_leaf(ku=dict(EE_KU, key_cert_sign=True)), False),
    "leaf extendedKeyUsage without clientAuth": (only_leaf(eku=(SERVER, EMAIL)), False),
    "leaf extendedKeyUsage only anyExtendedKeyUsage": (only_leaf(eku=(ANY_EKU,)), False),
    "leaf extendedKeyUsage critical": (only_leaf(eku_critical=True), False),
    "leaf is a CA (basicConstraints cA)": (only_leaf(ca=True), False),
    "leaf is the trusted root itself": (leaf_is_the_root, False),
    "leaf without authorityKeyIdentifier": (only_leaf(aki=None), False),
    "leaf with an unknown critical extension": (only_leaf(extra=[(x509.UnrecognizedExtension(PRIVATE_OID,
                                                                                              b"\x05\x00"), True)]),
                                                False),
    "leaf with critical certificatePolicies": (only_leaf(extra=[(x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier("1.2.392.1"), None)]), True)]), False),
    "leaf with nameConstraints": (only_leaf(extra=[(x509.NameConstraints([x509.DNSName("example.jp")], None),
                                                    True)]), False),
    "leaf signed with SHA-224 (not permitted)": (only_leaf(digest=hashes.SHA224()), False),
    "leaf signed with RSA-PSS, salt not the digest length": (only_leaf(pss_salt=20), False),
    "root basicConstraints not critical": (only_root(bc_critical=False), False),
    "root without basicConstraints": (only_root(bc=False), False),
    "root not a CA (cA false)": (lambda k: (leaf(k), [make(ROOT, k["rsa"], ku=CA_KU)], []), False),
    "root keyUsage without keyCertSign": (only_root(ku=dict(CA_KU, key_cert_sign=False)), False),
    "root without keyUsage": (only_root(ku=None), False),
    "root extendedKeyUsage serverAuth only": (only_root(eku=(SERVER,)), False),
    "root extendedKeyUsage critical": (only_root(eku=(CLIENT,), eku_critical=True), False),
    "root with an unknown critical extension": (only_root(extra=[(x509.UnrecognizedExtension(PRIVATE_OID,
                                                                                             b"\x05\x00"), True)]),
                                                False),
    "root with a 1024-bit RSA key": (weak_root("rsa1024"), False),
    "root with a P-224 key": (weak_root("p224"), False),
    "root pathLen 0 above an intermediate": (with_intermediate(root_pathlen=0), False),
    "intermediate not given": (with_intermediate(give_intermediate=False), False),
    "intermediate not a CA": (with_intermediate(ca=False, pathlen=None), False),
    "intermediate expired": (with_intermediate(days=(-400, -1)), False),
}


def _both(build, keys, at=AT):
    ee, roots, inters = build(keys)
    fallback = chain.verify_fallback(ee, roots, inters, at)
    new = chain.verify_with_policies(ee, roots, inters, at) if chain.has_extension_policies() else "n/a"
    return fallback, new


@pytest.mark.parametrize("case", list(MATRIX))
def test_both_paths_give_the_stated_answer(case, keys):
    build, accepted = MATRIX[case]
    fallback, new = _both(build, keys)
    assert (fallback is not None) == accepted
    if new != "n/a":   # cryptography 45+: its own verifier must say the same, with the same chain
        assert (new is not None) == accepted
        assert new == fallback


@pytest.mark.parametrize("office_id", [o["id"] for o in sample_certs.manifest()["offices"]])
@pytest.mark.parametrize("when", ["reference time", "inside its own window"])
def test_both_paths_agree_on_every_demo_certificate(office_id, when, trust):
    cert = sample_certs.certificate(office_id)
    at = REF if when == "reference time" else cert.not_valid_before_utc + dt.timedelta(hours=1)
    fallback = chain.verify_fallback(cert, trust.roots, [], at)
    if chain.has_extension_policies():
        assert chain.verify_with_policies(cert, trust.roots, [], at) == fallback
    problem = sample_certs.office(office_id)["problem"]
    chained = when != "reference time" or problem not in ("expired", "not_yet_valid")
    assert (fallback is not None) == (chained and problem != "foreign_ca")


def test_the_fallback_refuses_a_name_constrained_ca_where_the_new_api_may_not(keys):
    """The one deliberate difference, on the strict side (see core/chain.py)."""
    constrained = lambda k: (leaf(k), [root(k, extra=[(x509.NameConstraints([x509.DNSName("example.jp")], None),
                                                       True)])], [])
    fallback, _ = _both(constrained, keys)
    assert fallback is None


def test_verify_chain_uses_the_new_api_where_there_is_one(keys, monkeypatch):
    calls = []
    monkeypatch.setattr(chain, "verify_with_policies", lambda *a: calls.append("policies"))
    monkeypatch.setattr(chain, "verify_fallback", lambda *a: calls.append("fallback"))
    ee, roots, inters = only_leaf()(keys)
    chain.verify_chain(ee, roots, inters, AT)
    assert calls == ["policies" if chain.has_extension_policies() else "fallback"]
    assert chain.verify_chain(ee, [], inters, AT) is None and len(calls) == 1   # no roots: nothing trusted


def test_a_chain_verified_once_is_reused_only_inside_its_certificates_windows(keys):
    # certs._verify_chain keeps a verified chain (a receive checks one sender's chain per item):
    # a time after the root's end must be verified again, and refused.
    from tui_client.core import certs

    ca = root(keys, days=(-30, 100))                      # the root ends before the leaf
    ee = leaf(keys)
    store = certs.TrustStore((ca,))
    certs._CHAINS.clear()
    assert certs._verify_chain(ee, store, AT, []) == [ee, ca]
    assert certs._CHAINS                                   # kept
    assert certs._verify_chain(ee, store, AT + dt.timedelta(days=50), []) == [ee, ca]   # reused
    assert certs._verify_chain(ee, store, AT + dt.timedelta(days=200), []) is None     # root expired
    certs._CHAINS.clear()
