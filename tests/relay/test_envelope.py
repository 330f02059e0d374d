"""The relay's envelope check: a quick DER walk that must agree with a full parse on what matters."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_client import sample_certs
from tui_client.core import seal
from tui_client.relay.envelope import _asn1_enveloped, is_enveloped_data

NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250425103000.CSV"


@pytest.fixture(scope="module")
def sealed():
    ks, _ = sample_certs.keystore("cm")
    data, findings = seal.seal(b"a,b\r\n" * 100, NAME, ks, [sample_certs.certificate("homecare")])
    return bytes(data)


def test_sealed_items_pass_and_damaged_ones_do_not(sealed):
    assert is_enveloped_data(sealed) and _asn1_enveloped(sealed)
    assert not is_enveloped_data(sealed[:-1])
    assert not is_enveloped_data(sealed + b"\x00")
    assert not is_enveloped_data(b"")
    assert not is_enveloped_data(b"UPPLAN,plain,csv\r\n")
    signed_only = seal._cms.sign(b"x", *_key_cert())
    assert not is_enveloped_data(bytes(signed_only))


def _key_cert():
    ks, _ = sample_certs.keystore("cm")
    return ks.key, ks.certificate


def test_ber_from_openssl_streaming_falls_back_to_a_full_parse(tmp_path):
    (tmp_path / "in.txt").write_bytes(b"hello")
    cert = sample_certs.path("homecare.cert.pem")
    r = subprocess.run(["openssl", "cms", "-encrypt", "-stream", "-aes256", "-binary", "-outform", "DER",
                        "-in", str(tmp_path / "in.txt"), "-out", str(tmp_path / "out.der"), str(cert)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("openssl cms not available: " + r.stderr.decode(errors="replace")[:200])
    data = (tmp_path / "out.der").read_bytes()
    assert is_enveloped_data(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=2000), st.integers(0, 255))
def test_any_bytes_never_raise(sealed, junk, pos, byte):
    assert is_enveloped_data(junk) in (True, False)
    mutated = bytearray(sealed)
    mutated[pos % len(mutated)] = byte
    assert is_enveloped_data(bytes(mutated)) in (True, False)
