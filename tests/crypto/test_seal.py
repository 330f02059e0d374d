"""seal() and open_sealed(): round trips, rollover, two sites, and every way a sealed file goes bad."""

import datetime as dt
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptohelp import NAME, NAME_DAY, cert, codes, ks, throwaway_ca, throwaway_office, trust  # noqa: F401
from tui_client.core import certs, cms, seal

CONTENT = b"1,1370100011,43,1370100029,11,202505\r\n" * 200


@pytest.fixture(scope="module")
def sealed(ks, cert, trust):
    data, findings = seal.seal(CONTENT, NAME, ks("cm"), [cert("homecare")], trust=trust)
    assert findings == []
    return bytes(data)


def test_round_trip(sealed, ks, trust):
    opened, findings = seal.open_sealed(sealed, NAME, ks("homecare"), trust)
    assert findings == []
    assert bytes(opened.content) == CONTENT
    assert opened.signer_office == "1370100011"
    assert opened.content_digest == hashlib.sha256(CONTENT).hexdigest()
    assert abs(opened.signed_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)


def test_the_relay_sees_no_plain_content(sealed):
    assert b"1370100029,11" not in sealed


def test_empty_and_odd_sizes_round_trip(ks, cert, trust):
    for size in (0, 1, 15, 16, 17, 1 << 20, (1 << 20) + 5):
        content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        data, f = seal.seal(content, NAME, ks("cm"), [cert("homecare")], trust=trust)
        opened, f2 = seal.open_sealed(data, NAME, ks("homecare"), trust)
        assert f == f2 == [] and bytes(opened.content) == content


def test_memoryview_and_bytearray_input(ks, cert, trust):
    data, _ = seal.seal(memoryview(bytearray(CONTENT)), NAME, ks("cm"), [cert("homecare")], trust=trust)
    opened, f = seal.open_sealed(bytearray(data), NAME, ks("homecare"), trust)
    assert f == [] and opened.content == CONTENT


# --- rollover and sites ----------------------------------------------------------------------------

def test_rollover_encrypts_to_the_newest_certificate_only(ks, cert, trust):
    data, f = seal.seal(CONTENT, NAME, ks("cm"), [cert("homecare-old"), cert("homecare")], trust=trust)
    assert f == []
    assert seal.open_sealed(data, NAME, ks("homecare"), trust)[1] == []
    assert codes(seal.open_sealed(data, NAME, ks("homecare-old"), trust)[1]) == ["E-SEAL-004"]
    # a recipient keeps the previous keystore after renewing: both are tried
    opened, f = seal.open_sealed(data, NAME, [ks("homecare-old"), ks("homecare")], trust)
    assert f == [] and opened.content == CONTENT


def test_files_signed_with_a_previous_certificate_still_verify(ks, cert, trust):
    back = "UPPLAN_202505_1370100029_11_1370100011_43_20250428120000.CSV"
    data, f = seal.seal(CONTENT, back, ks("homecare-old"), [cert("cm")], trust=trust)
    assert f == []
    opened, f = seal.open_sealed(data, back, ks("cm"), trust)
    assert f == [] and opened.signer_certificate == cert("homecare-old")


def test_two_sites_sharing_an_office_number_both_open_the_file(ks, cert, trust):
    data, f = seal.seal(CONTENT, NAME_DAY, ks("cm"), [cert("day-main"), cert("day-annex")], trust=trust)
    assert f == []
    for site in ("day-main", "day-annex"):
        opened, f = seal.open_sealed(data, NAME_DAY, ks(site), trust)
        assert f == [] and opened.content == CONTENT


# --- refusing to seal ------------------------------------------------------------------------------

def test_no_usable_recipient_certificate(ks, cert, trust):
    name = "UPPLAN_202505_1370100011_43_1370100052_11_20250428120000.CSV"
    data, f = seal.seal(CONTENT, name, ks("cm"), [cert("expired")], trust=trust)
    assert data is None and codes(f) == ["E-CERT-005", "E-SEAL-001"]
    assert f[0].param("role") == "recipient"
    revoked = "UPPLAN_202505_1370100011_43_1370100078_17_20250428120000.CSV"
    data, f = seal.seal(CONTENT, revoked, ks("cm"), [cert("revoked")], trust=trust)
    assert data is None and codes(f) == ["E-CERT-007", "E-SEAL-001"]


def test_sender_keystore_is_not_the_filenames_sender(ks, cert, trust):
    data, f = seal.seal(CONTENT, NAME, ks("homecare"), [cert("homecare")], trust=trust)
    assert data is None and "E-SEAL-002" in codes(f)


def test_recipient_certificate_of_another_office(ks, cert, trust):
    data, f = seal.seal(CONTENT, NAME, ks("cm"), [cert("day-main"), cert("homecare")], trust=trust)
    assert data is None and codes(f) == ["E-SEAL-013"]


def test_expired_sender_cannot_seal(ks, cert, trust):
    from tui_client import sample_certs

    expired, _ = sample_certs.keystore("expired")
    name = "UPPLAN_202505_1370100052_11_1370100011_43_20250428120000.CSV"
    data, f = seal.seal(CONTENT, name, expired, [cert("cm")], trust=trust)
    assert data is None and codes(f) == ["E-CERT-005"] and f[0].param("role") == "sender"


def test_bad_filename_gives_name_findings(ks, cert, trust):
    data, f = seal.seal(CONTENT, "report.pdf", ks("cm"), [cert("homecare")], trust=trust)
    assert data is None and codes(f)[0].startswith("E-NAME-")
    data, f = seal.seal(CONTENT, "message-0001.bin", ks("cm"), [cert("homecare")], trust=trust,
                        sender_office="1370100011", recipient_office="1370100029")
    assert f == []
    opened, f = seal.open_sealed(data, "message-0001.bin", ks("homecare"), trust,
                                 expected_sender_office="1370100011")
    assert f == [] and opened.content == CONTENT


# --- refusing to open ------------------------------------------------------------------------------

def test_wrong_recipient(sealed, ks, trust):
    opened, f = seal.open_sealed(sealed, NAME, ks("day-main"), trust)
    assert opened is None and codes(f) == ["E-SEAL-004"]


@pytest.mark.parametrize("where", [0.5, -1, -20])
def test_tampered_ciphertext(sealed, ks, trust, where):
    data = bytearray(sealed)
    i = int(len(data) * where) if where > 0 else len(data) + where
    data[i] ^= 0x01
    opened, f = seal.open_sealed(bytes(data), NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-005"]


def test_truncated_or_garbage(sealed, ks, trust):
    for data in (sealed[:-100], sealed[:10], b"", b"hello", b"\x30\x80" + b"\x00" * 10):
        opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust)
        assert opened is None and codes(f) == ["E-SEAL-003"], data[:20]


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_findings_not_exceptions(data):
    from tui_client import sample_certs

    store, _ = sample_certs.keystore("homecare")
    opened, f = seal.open_sealed(data, NAME, store, sample_certs.trust_store())
    assert opened is None and codes(f)[0].startswith("E-SEAL-")


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_is_refused(pos, flip):
    from tui_client import sample_certs

    cm, _ = sample_certs.keystore("cm")
    hc, _ = sample_certs.keystore("homecare")
    trust = sample_certs.trust_store()
    global _SEALED_ONCE
    try:
        base = _SEALED_ONCE
    except NameError:
        base = _SEALED_ONCE = bytes(seal.seal(CONTENT, NAME, cm, [sample_certs.certificate("homecare")],
                                              trust=trust)[0])
    data = bytearray(base)
    data[pos % len(data)] ^= flip
    opened, f = seal.open_sealed(bytes(data), NAME, hc, trust)
    # a change in an unused corner (e.g. the recipient's issuer name) may only cost the match
    assert opened is None or opened.content == CONTENT
    assert all(c.startswith(("E-SEAL-", "E-CERT-")) for c in codes(f))


def test_expired_at_signing_time(ks, cert, trust):
    from tui_client import sample_certs

    expired, _ = sample_certs.keystore("expired")
    name = "UPPLAN_202505_1370100052_11_1370100029_11_20250428120000.CSV"
    data = cms.envelope_signed(CONTENT, expired.key, expired.certificate, [cert("homecare")])
    opened, f = seal.open_sealed(data, name, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-007"]


def test_archived_file_opens_after_the_signer_certificate_expired(ks, cert, trust):
    # signed while valid; opened three years later
    data, f = seal.seal(CONTENT, NAME, ks("cm"), [cert("homecare")], trust=trust)
    later = cert("cm").not_valid_after_utc + dt.timedelta(days=30)
    opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust, at=later)
    assert f == [] and opened.content == CONTENT


def test_signing_time_in_the_future(ks, cert, trust):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    data = cms.envelope_signed(CONTENT, ks("cm").key, ks("cm").certificate, [cert("homecare")],
                               signing_time=future)
    opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-011"]


def test_signer_is_not_the_filenames_sender(ks, cert, trust):
    # homecare seals a file whose name says it comes from the care manager
    data, f = seal.seal(CONTENT, NAME, ks("homecare"), [cert("homecare")], trust=trust,
                        sender_office="1370100029")
    assert f == []
    opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-008"]


def test_swapped_signer_certificate(ks, cert, trust):
    """Signed with the care manager's key, but presenting the day-care office's certificate."""
    name = "UPPLAN_202505_1370100037_15_1370100029_11_20250428120000.CSV"
    data = cms.envelope_signed(CONTENT, ks("cm").key, cert("day-main"), [cert("homecare")])
    opened, f = seal.open_sealed(data, name, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-010"]


def test_unknown_signer_and_the_directory_fallback(ks, cert, trust):
    data = cms.envelope_signed(CONTENT, ks("cm").key, cert("cm"), [cert("homecare")],
                               include_certificates=False)
    opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-006"]
    opened, f = seal.open_sealed(data, NAME, ks("homecare"), trust, extra_certs=[cert("cm")])
    assert f == [] and opened.content == CONTENT


@pytest.mark.parametrize("signer, expected", [
    ("revoked", "E-CERT-007"), ("foreign-ca", "E-CERT-008"), ("agent", "E-CERT-009"),
])
def test_bad_signer_certificates(ks, cert, trust, signer, expected):
    from tui_client import sample_certs

    o = sample_certs.office(signer)
    store, _ = sample_certs.keystore(signer)
    sender = o["office_number"] or "1370100011"
    name = f"UPPLAN_202505_{sender}_43_1370100029_11_20250428120000.CSV"
    data = cms.envelope_signed(CONTENT, store.key, store.certificate, [cert("homecare")])
    opened, f = seal.open_sealed(data, name, ks("homecare"), trust)
    assert opened is None and expected in codes(f)
    assert [x for x in f if x.code == expected][0].param("role") == "signer"


def test_not_signed(ks, cert, trust):
    from cryptography.hazmat.primitives.serialization import pkcs7

    plain = pkcs7.PKCS7EnvelopeBuilder().set_data(b"plain text, no signature").add_recipient(
        cert("homecare")).encrypt(pkcs7.serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    opened, f = seal.open_sealed(plain, NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-009"]


def test_signed_only_is_not_a_sealed_file(ks, trust):
    signed = cms.sign(CONTENT, ks("cm").key, ks("cm").certificate)
    opened, f = seal.open_sealed(signed, NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-009"]


def test_throwaway_pki_with_an_intermediate_free_chain():
    ca = throwaway_ca()
    a = throwaway_office(ca, "1370100011")
    b = throwaway_office(ca, "1370100029")
    store, _ = certs.load_trust_store(__import__("tui_client.sample_certs.generate", fromlist=["pem"]).pem(ca.cert))
    data, f = seal.seal(CONTENT, NAME, a, [b.certificate], trust=store)
    assert f == []
    opened, f = seal.open_sealed(data, NAME, b, store)
    assert f == [] and opened.content == CONTENT
