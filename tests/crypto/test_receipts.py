"""Signed receipts (受信済み): made by the recipient, verified by the sender; replays refused."""

import datetime as dt
import hashlib

import pytest

from cryptohelp import NAME, cert, codes, ks, trust  # noqa: F401 (fixtures)
from tui_client import sample_certs
from tui_client.core import cms, receipts, seal

CONTENT = b"1,2,3\r\n" * 50
DIGEST = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture(scope="module")
def receipt(ks):
    return receipts.make_receipt(NAME, CONTENT, ks("homecare"))


def test_full_cycle_seal_open_receipt(ks, cert, trust):
    sealed, _ = seal.seal(CONTENT, NAME, ks("cm"), [cert("homecare")], trust=trust)
    opened, f = seal.open_sealed(sealed, NAME, ks("homecare"), trust)
    r = receipts.make_receipt(NAME, opened.content_digest, ks("homecare"))
    rec, f = receipts.verify_receipt(r, NAME, DIGEST, trust)
    assert f == [] and rec.recipient_office == "1370100029" and rec.content_digest == DIGEST
    assert abs(rec.received_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)


def test_digest_or_content_are_the_same(receipt, trust):
    assert receipts.verify_receipt(receipt, NAME, CONTENT, trust)[1] == []
    assert receipts.verify_receipt(receipt, NAME, DIGEST.upper(), trust)[1] == []


def test_not_a_receipt(trust, ks):
    for data in (b"", b"garbage", cms.sign(b"not json", ks("homecare").key, ks("homecare").certificate),
                 cms.sign(b'{"type": "other"}', ks("homecare").key, ks("homecare").certificate)):
        rec, f = receipts.verify_receipt(data, NAME, DIGEST, trust)
        assert rec is None and codes(f) == ["E-RCPT-001"]


def test_receipt_for_another_file(receipt, trust):
    other = NAME.replace("20250428120000", "20250429120000")
    rec, f = receipts.verify_receipt(receipt, other, DIGEST, trust, expected_office="1370100029")
    assert rec is None and codes(f) == ["E-RCPT-002"]


def test_receipt_for_other_content(receipt, trust):
    rec, f = receipts.verify_receipt(receipt, NAME, hashlib.sha256(b"other").hexdigest(), trust)
    assert rec is None and codes(f) == ["E-RCPT-003"]
    rec, f = receipts.verify_receipt(receipt, NAME, "not a digest", trust)
    assert rec is None and codes(f) == ["E-RCPT-003"]


def test_receipt_signed_by_another_office(ks, trust):
    r = receipts.make_receipt(NAME, CONTENT, ks("day-main"))
    rec, f = receipts.verify_receipt(r, NAME, DIGEST, trust)
    assert rec is None and codes(f) == ["E-RCPT-004"]


def test_replayed_receipt(receipt, trust):
    rec, f = receipts.verify_receipt(receipt, NAME, DIGEST, trust)
    assert f == []
    again, f = receipts.verify_receipt(receipt, NAME, DIGEST, trust, seen={rec.receipt_id})
    assert again is None and codes(f) == ["E-RCPT-005"]
    # the same file sent again later: the old receipt does not cover the new sending
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    again, f = receipts.verify_receipt(receipt, NAME, DIGEST, trust, sent_at=later, at=later)
    assert again is None and codes(f) == ["E-RCPT-005"]


def test_tampered_receipt(receipt, trust):
    data = bytearray(receipt)
    i = data.index(b"1370100029")
    data[i] = ord("2")
    rec, f = receipts.verify_receipt(bytes(data), NAME, DIGEST, trust)
    assert rec is None and codes(f) == ["E-RCPT-006"]


def test_receipt_without_signer_certificate(ks, trust):
    import json

    body = json.dumps({"type": "tsunagi-receipt", "version": 1, "id": "x", "filename": NAME,
                       "sha256": DIGEST, "received_at": "2026-01-01T00:00:00Z",
                       "recipient_office": "1370100029"}).encode()
    data = cms.sign(body, ks("homecare").key, ks("homecare").certificate, include_certificates=False)
    rec, f = receipts.verify_receipt(data, NAME, DIGEST, trust)
    assert rec is None and codes(f) == ["E-RCPT-007"]


def test_receipt_signed_with_an_expired_certificate(trust):
    expired, _ = sample_certs.keystore("expired")
    name = "UPPLAN_202505_1370100011_43_1370100052_11_20250428120000.CSV"
    r = receipts.make_receipt(name, CONTENT, expired)
    rec, f = receipts.verify_receipt(r, name, DIGEST, trust)
    assert rec is None and codes(f) == ["E-RCPT-008"]


def test_receipt_from_a_foreign_ca(trust):
    foreign, _ = sample_certs.keystore("foreign-ca")
    name = "UPPLAN_202505_1370100029_11_1370100011_43_20250428120000.CSV"
    r = receipts.make_receipt(name, CONTENT, foreign)
    rec, f = receipts.verify_receipt(r, name, DIGEST, trust)
    assert rec is None and codes(f) == ["E-CERT-008"]


@pytest.mark.parametrize("kind, reason", [("no_cn", "no_cn"), ("two_cns", "two_cns"), ("not_utf8", "unreadable")])
def test_receipt_whose_signer_has_a_malformed_subject_is_a_finding_not_an_exception(kind, reason):
    """Failed before the fix: a commonName that is not UTF-8 raised ValueError out of
    verify_receipt (cryptography refuses to read the subject); no or two commonNames passed
    unnoticed or as another office's signature."""
    from badcerts import bad_subject_office

    signer, trust_bad, _ = bad_subject_office(kind)
    if kind == "not_utf8":
        with pytest.raises(ValueError):
            signer.certificate.subject        # what the receipt check must not trip over
    r = receipts.make_receipt(NAME, CONTENT, signer)
    rec, f = receipts.verify_receipt(r, NAME, DIGEST, trust_bad)
    assert rec is None and codes(f) == ["E-RCPT-009"] and f[0].value == reason and f[0].file == NAME


def test_bad_digest_argument_is_a_programming_error(ks):
    with pytest.raises(ValueError):
        receipts.make_receipt(NAME, "not-a-digest", ks("homecare"))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=70))
def test_any_bytes_and_any_digest_give_findings_not_exceptions(data, digest):
    trust = sample_certs.trust_store()
    rec, f = receipts.verify_receipt(data, NAME, digest, trust)
    assert rec is None and codes(f)[0].startswith("E-")
