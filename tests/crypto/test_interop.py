"""Interop with another tool, both ways: files sealed by `openssl cms` open in Tsunagi (committed
fixtures, made by fixtures/make_fixtures.sh), and files sealed by Tsunagi open and verify in openssl.
Also cross-checked against cryptography's own PKCS7 builders and decrypter."""

import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from cryptohelp import FIXTURES, NAME, cert, codes, ks, openssl, trust  # noqa: F401 (fixtures)
from tui_client import sample_certs
from tui_client.core import seal

PLAIN = (FIXTURES / "plain.csv").read_bytes()


@pytest.mark.parametrize("fixture", ["openssl-aes256.p7m", "openssl-aes128.p7m", "openssl-aes256gcm.p7m"])
def test_openssl_sealed_files_open(ks, trust, fixture):
    opened, f = seal.open_sealed((FIXTURES / fixture).read_bytes(), NAME, ks("homecare"), trust)
    assert f == [] and bytes(opened.content) == PLAIN and opened.signer_office == "1370100011"


@pytest.mark.parametrize("fixture, expected", [
    ("openssl-des3.p7m", "E-SEAL-012"),
    ("openssl-sha1.p7m", "E-SEAL-012"),
    ("openssl-nocerts.p7m", "E-SEAL-006"),
    ("openssl-unsigned.p7m", "E-SEAL-009"),
])
def test_openssl_fixtures_we_refuse(ks, trust, fixture, expected):
    opened, f = seal.open_sealed((FIXTURES / fixture).read_bytes(), NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == [expected]


def test_aes_gcm_envelope_with_a_changed_byte_is_tampered_not_unsigned(ks, trust):
    # AuthEnvelopedData used to be refused as "not signed" (E-SEAL-009); now its tag is checked.
    data = bytearray((FIXTURES / "openssl-aes256gcm.p7m").read_bytes())
    data[-40] ^= 0x01  # inside the encrypted content, before the 16-byte tag
    opened, f = seal.open_sealed(bytes(data), NAME, ks("homecare"), trust)
    assert opened is None and codes(f) == ["E-SEAL-005"]


def test_openssl_nocerts_opens_with_the_directorys_certificate(ks, trust, cert):
    opened, f = seal.open_sealed((FIXTURES / "openssl-nocerts.p7m").read_bytes(), NAME, ks("homecare"),
                                 trust, extra_certs=[cert("cm")])
    assert f == [] and bytes(opened.content) == PLAIN


def _pem_key(store, path):
    path.write_bytes(store.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return path


def test_tsunagi_sealed_file_opens_and_verifies_in_openssl(openssl, ks, cert, trust, tmp_path):
    content = bytes(range(256)) * 400 + b"\r\nend"
    sealed, f = seal.seal(content, NAME, ks("cm"), [cert("homecare")], trust=trust)
    assert f == []
    (tmp_path / "in.p7m").write_bytes(sealed)
    key = _pem_key(ks("homecare"), tmp_path / "hc.key")
    subprocess.run([openssl, "cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "in.p7m"),
                    "-recip", str(sample_certs.path("homecare.cert.pem")), "-inkey", str(key),
                    "-binary", "-out", str(tmp_path / "signed.der")], check=True, capture_output=True)
    r = subprocess.run([openssl, "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "signed.der"),
                        "-CAfile", str(sample_certs.path("demo-ca.cert.pem")), "-binary",
                        "-out", str(tmp_path / "out.bin")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Verification successful" in r.stderr
    assert (tmp_path / "out.bin").read_bytes() == content


def test_openssl_refuses_a_tsunagi_file_whose_signer_we_swapped(openssl, ks, cert, tmp_path):
    from tui_client.core import cms

    sealed = cms.envelope_signed(b"x" * 100, ks("cm").key, cert("day-main"), [cert("homecare")])
    (tmp_path / "in.p7m").write_bytes(sealed)
    key = _pem_key(ks("homecare"), tmp_path / "hc.key")
    subprocess.run([openssl, "cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "in.p7m"),
                    "-recip", str(sample_certs.path("homecare.cert.pem")), "-inkey", str(key),
                    "-binary", "-out", str(tmp_path / "signed.der")], check=True, capture_output=True)
    r = subprocess.run([openssl, "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "signed.der"),
                        "-CAfile", str(sample_certs.path("demo-ca.cert.pem")), "-binary"],
                       capture_output=True)
    assert r.returncode != 0


def test_live_openssl_seal_opens(openssl, ks, trust, tmp_path):
    """Not only the committed fixtures: openssl on this machine, now."""
    key = _pem_key(ks("cm"), tmp_path / "cm.key")
    (tmp_path / "plain").write_bytes(b"a,b\r\n" * 5000)
    subprocess.run([openssl, "cms", "-sign", "-binary", "-in", str(tmp_path / "plain"), "-signer",
                    str(sample_certs.path("cm.cert.pem")), "-inkey", str(key), "-outform", "DER",
                    "-nodetach", "-md", "sha256", "-out", str(tmp_path / "s.der")], check=True)
    subprocess.run([openssl, "cms", "-encrypt", "-binary", "-inform", "DER", "-in", str(tmp_path / "s.der"),
                    "-outform", "DER", "-aes256", "-out", str(tmp_path / "e.der"),
                    str(sample_certs.path("homecare.cert.pem"))], check=True)
    opened, f = seal.open_sealed((tmp_path / "e.der").read_bytes(), NAME, ks("homecare"), trust)
    assert f == [] and opened.content == b"a,b\r\n" * 5000


def test_cryptography_builders_output_opens(ks, cert, trust):
    """cryptography's own SignedData + EnvelopedData (as a third implementation)."""
    content = b"made by PKCS7SignatureBuilder\r\n" * 10
    signed = (pkcs7.PKCS7SignatureBuilder().set_data(content)
              .add_signer(ks("cm").certificate, ks("cm").key, hashes.SHA256())
              .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    envelope = pkcs7.PKCS7EnvelopeBuilder().set_data(signed).add_recipient(cert("homecare"))
    if hasattr(envelope, "set_content_encryption_algorithm"):  # 45+; 43 and 44 write AES-128-CBC
        envelope = envelope.set_content_encryption_algorithm(pkcs7.algorithms.AES256)
    sealed = envelope.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    opened, f = seal.open_sealed(sealed, NAME, ks("homecare"), trust)
    assert f == [] and opened.content == content


@pytest.mark.skipif(not hasattr(pkcs7, "pkcs7_decrypt_der"),
                    reason="cryptography < 45 cannot decrypt CMS (openssl interop above covers it)")
def test_cryptography_decrypts_what_we_seal(ks, cert, trust):
    sealed, _ = seal.seal(b"hello", NAME, ks("cm"), [cert("homecare")], trust=trust)
    inner = pkcs7.pkcs7_decrypt_der(bytes(sealed), cert("homecare"), ks("homecare").key, [])
    assert b"hello" in inner


@pytest.mark.parametrize("sign_opts, enc_opts", [
    (["-stream"], ["-stream"]),          # BER: indefinite lengths, chunked octet strings
    (["-keyid"], ["-keyid"]),            # subjectKeyIdentifier instead of issuer and serial
    (["-md", "sha512"], ["-aes192"]),
])
def test_live_openssl_variants_open(openssl, ks, trust, tmp_path, sign_opts, enc_opts):
    content = b"x,y\r\n" * 3000
    sealed = openssl_sealed(openssl, ks, tmp_path, content, sign_opts, enc_opts)
    opened, f = seal.open_sealed(sealed, NAME, ks("homecare"), trust)
    assert f == [] and opened.content == content


def openssl_sealed(openssl, ks, tmp_path, content: bytes, sign_opts, enc_opts) -> bytes:
    """``content`` signed by the care manager and encrypted to home help by `openssl cms`, with
    these options (AES-256 unless ``enc_opts`` names AES-192)."""
    key = _pem_key(ks("cm"), tmp_path / "cm.key")
    (tmp_path / "plain").write_bytes(content)
    subprocess.run([openssl, "cms", "-sign", "-binary", "-in", str(tmp_path / "plain"), "-signer",
                    str(sample_certs.path("cm.cert.pem")), "-inkey", str(key), "-outform", "DER",
                    "-nodetach", *sign_opts, "-out", str(tmp_path / "s.der")], check=True)
    subprocess.run([openssl, "cms", "-encrypt", "-binary", "-inform", "DER", "-in", str(tmp_path / "s.der"),
                    "-outform", "DER", *(enc_opts if "-aes192" in enc_opts else ["-aes256", *enc_opts]),
                    "-out", str(tmp_path / "e.der"), str(sample_certs.path("homecare.cert.pem"))], check=True)
    return (tmp_path / "e.der").read_bytes()
