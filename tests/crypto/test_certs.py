"""Keystores, certificates, trust stores: every bad case comes back as a finding, never a traceback."""

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptohelp import REF, cert, codes, ks, throwaway_ca, throwaway_office, trust  # noqa: F401 (fixtures)
from tui_client import sample_certs
from tui_client.core import certs
from tui_client.sample_certs import generate


# --- the committed demo certificates ---------------------------------------------------------------

def test_committed_certificates_have_the_properties_the_manifest_states():
    assert sample_certs.check_manifest() == []


def test_manifest_lists_every_file_and_is_stable():
    m = sample_certs.manifest()
    assert m["format"] == "tsunagi-sample-certs/1"
    assert "DEMO ONLY" in m["warning"]
    ids = [o["id"] for o in m["offices"]]
    assert len(ids) == len(set(ids))
    for o in m["offices"]:
        assert sample_certs.path(o["keystore"]).is_file()
        assert sample_certs.path(o["certificate"]).is_file()
        assert set(o) >= {"id", "keystore", "password", "certificate", "office_number", "services",
                          "role", "name", "site", "not_before", "not_after", "usable", "problem", "note"}
        assert all(len(s) == 2 for s in o["services"])
    problems = {o["problem"] for o in m["offices"]}
    assert problems >= {"expired", "not_yet_valid", "revoked", "foreign_ca", "agent_certificate",
                        "expires_soon", "no_private_key", None}
    # two sites sharing one office number, each with its own key
    day = [o for o in m["offices"] if o["office_number"] == "1370100037"]
    assert len(day) == 2 and day[0]["fingerprint"] != day[1]["fingerprint"]
    for name in ("relay_server",):
        assert sample_certs.path(m[name]["certificate"]).is_file()
        assert sample_certs.path(m[name]["key"]).is_file()


def test_expiring_certificate_expires_20_days_after_reference_time(cert):
    c = cert("nurse-expiring")
    assert certs.days_left(c, REF) == 20
    assert codes(certs.check_certificate(c, sample_certs.trust_store(), REF)) == ["W-CERT-012"]


def test_generator_output_passes_its_own_check(tmp_path):
    """The script makes what is committed: same recipe, same checked properties."""
    import shutil

    shutil.copy(sample_certs.path("recipe.json"), tmp_path / "recipe.json")
    m = generate.generate(tmp_path)
    assert sample_certs.check_manifest(tmp_path) == []
    committed = sample_certs.manifest()
    strip = ("not_before", "not_after", "serial", "fingerprint")
    assert ([{k: v for k, v in o.items() if k not in strip} for o in m["offices"]]
            == [{k: v for k, v in o.items() if k not in strip} for o in committed["offices"]])


def test_office_certificates_can_be_tls_client_certificates(cert):
    from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

    from tui_client.core import chain

    # read with asn1crypto: cryptography 43 cannot read these certificates' policy OIDs
    critical, eku = chain.extensions(cert("cm"))[ExtensionOID.EXTENDED_KEY_USAGE.dotted_string]
    assert ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string in {p.dotted for p in eku} and not critical


@pytest.mark.parametrize("office_id, expected", [
    ("cm", []), ("homecare", []), ("day-main", []), ("day-annex", []),
    ("homecare-old", ["W-CERT-011"]),
    ("nurse-expiring", ["W-CERT-012"]),
    ("expired", ["E-CERT-005"]),
    ("not-yet-valid", ["E-CERT-006"]),
    ("revoked", ["E-CERT-007"]),
    ("foreign-ca", ["E-CERT-008"]),
    ("agent", ["E-CERT-009"]),
])
def test_each_demo_certificate_is_judged_as_stated(cert, trust, office_id, expected):
    assert codes(certs.check_certificate(cert(office_id), trust, REF)) == expected


def test_office_number_and_description(ks):
    store = ks("day-annex")
    assert store.office_number == "1370100037"
    info = store.info(REF)
    assert info.kind == "office" and info.site and info.office_name
    assert info.days_left > 1000
    assert json.dumps(info.as_dict(), ensure_ascii=False)
    assert certs.office_number_of(sample_certs.certificate("agent")) is None
    assert certs.certificate_kind(sample_certs.certificate("agent")) == "agent"


# --- loading keystores -----------------------------------------------------------------------------

def test_wrong_password():
    ks, findings = certs.load_keystore(sample_certs.data("cm.p12"), "not-the-password", "cm.p12")
    assert ks is None and codes(findings) == ["E-CERT-002"]
    assert findings[0].file == "cm.p12"


def test_missing_password_is_a_wrong_password():
    assert codes(certs.load_keystore(sample_certs.data("cm.p12"), None)[1]) == ["E-CERT-002"]


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],
    lambda b: b"",
    lambda b: b"PK\x03\x04 this is a zip file, not a keystore",
    lambda b: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
])
def test_damaged_keystore(damage):
    ks, findings = certs.load_keystore(damage(sample_certs.data("cm.p12")), "demo-cm")
    assert ks is None and codes(findings) == ["E-CERT-001"]


def test_keystore_without_key():
    o = sample_certs.office("no-key")
    ks, findings = certs.load_keystore(sample_certs.data(o["keystore"]), o["password"])
    assert ks is None and codes(findings) == ["E-CERT-003"]


def test_keystore_whose_key_is_not_the_certificates(ks):
    # cryptography and openssl refuse to write a key with a foreign certificate; the nearest a real
    # mix-up gets is a key next to someone else's certificate in the CA bag.
    a, b = ks("cm"), ks("homecare")
    mixed = pkcs12.serialize_key_and_certificates(b"x", a.key, None, [b.certificate],
                                                  serialization.BestAvailableEncryption(b"pw"))
    store, findings = certs.load_keystore(mixed, "pw")
    assert store is None and codes(findings) == ["E-CERT-004"]


def test_keystore_without_certificate(ks):
    only_key = pkcs12.serialize_key_and_certificates(b"x", ks("cm").key, None, None,
                                                     serialization.BestAvailableEncryption(b"pw"))
    store, findings = certs.load_keystore(only_key, b"pw")
    assert store is None and codes(findings) == ["E-CERT-004"]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_as_keystore_give_findings_not_exceptions(data):
    store, findings = certs.load_keystore(data, "pw")
    assert store is None and codes(findings) in (["E-CERT-001"], ["E-CERT-002"])


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_as_certificate_give_findings_not_exceptions(data):
    cert, findings = certs.load_certificate(data)
    assert cert is None and codes(findings) == ["E-CERT-017"]


def test_certificate_pem_and_der():
    pem = sample_certs.data("cm.cert.pem")
    c1, f1 = certs.load_certificate(pem)
    c2, f2 = certs.load_certificate(c1.public_bytes(serialization.Encoding.DER))
    assert f1 == f2 == [] and c1 == c2


# --- expiry warnings at 90, 30 and 7 days ----------------------------------------------------------

@pytest.mark.parametrize("days, expected", [
    (200, []), (91, []), (90, ["W-CERT-011"]), (31, ["W-CERT-011"]), (30, ["W-CERT-012"]),
    (8, ["W-CERT-012"]), (7, ["W-CERT-013"]), (0, ["W-CERT-013"]), (-1, ["E-CERT-005"]),
])
def test_renewal_warnings(cert, trust, days, expected):
    c = cert("cm")
    at = c.not_valid_after_utc - dt.timedelta(days=days, hours=1) if days >= 0 else \
        c.not_valid_after_utc + dt.timedelta(days=1)
    found = certs.check_certificate(c, trust, at)
    assert codes(found) == expected
    if expected and expected[0].startswith("W-"):
        assert found[0].param("days") == str(days)


# --- trust stores and CRLs -------------------------------------------------------------------------

def test_stale_crl_is_a_warning():
    ca = throwaway_ca()
    office = throwaway_office(ca)
    now = dt.datetime.now(dt.timezone.utc)
    crl = generate.crl_bytes(ca, [], now - dt.timedelta(days=10), now - dt.timedelta(days=3))
    store, findings = certs.load_trust_store(generate.pem(ca.cert), [crl])
    assert findings == []
    assert codes(certs.check_certificate(office.certificate, store)) == ["W-CERT-014"]


def test_crl_from_another_ca_is_refused():
    ca, other = throwaway_ca(), throwaway_ca("Other")
    now = dt.datetime.now(dt.timezone.utc)
    crl = generate.crl_bytes(other, [], now, now + dt.timedelta(days=3))
    store, findings = certs.load_trust_store(generate.pem(ca.cert), [crl], "trust.pem")
    assert store is None and codes(findings) == ["E-CERT-016"]


def test_damaged_crl_and_damaged_roots():
    assert codes(certs.load_trust_store(sample_certs.data("demo-ca.cert.pem"), [b"garbage"])[1]) == ["E-CERT-016"]
    assert codes(certs.load_trust_store(b"not a pem")[1]) == ["E-CERT-017"]


def test_revocation_is_checked_without_dates(trust, cert):
    # revoked stays revoked at any time inside its window
    c = cert("revoked")
    assert "E-CERT-007" in codes(certs.check_certificate(c, trust, c.not_valid_after_utc - dt.timedelta(days=1)))


def test_ec_key_is_refused():
    ca = throwaway_ca()
    office = throwaway_office(ca, key=ec.generate_private_key(ec.SECP256R1()))
    store, _ = certs.load_trust_store(generate.pem(ca.cert))
    assert codes(certs.check_certificate(office.certificate, store)) == ["E-CERT-015"]


def test_certificate_without_office_number():
    ca = throwaway_ca()
    office = throwaway_office(ca, office_number="Tsunagi test")
    assert codes(certs.check_certificate(office.certificate)) == ["E-CERT-010"]


# --- rollover --------------------------------------------------------------------------------------

def test_current_certificates_picks_the_newest_per_site(cert, trust):
    chosen = certs.current_certificates([cert("homecare-old"), cert("homecare")], REF, trust)
    assert chosen == [cert("homecare")]
    both_sites = certs.current_certificates([cert("day-main"), cert("day-annex")], REF, trust)
    assert sorted(c.serial_number for c in both_sites) == sorted(
        [cert("day-main").serial_number, cert("day-annex").serial_number])
    assert certs.current_certificates([cert("expired"), cert("revoked"), cert("foreign-ca")], REF, trust) == []


def test_fingerprint_format(cert):
    fp = certs.fingerprint(cert("cm"))
    assert len(fp) == 95 and fp == sample_certs.office("cm")["fingerprint"]
    assert cert("cm").fingerprint(hashes.SHA256()).hex().upper() == fp.replace(":", "")
