"""`tsunagi cert show|check`, `seal`, `open`, `receipt verify`: output in Japanese, exit codes as in
`tsunagi check` (0 clean, 1 warnings, 2 errors, 3 unusable input, 4 usage)."""

import json
import shutil

import pytest

from cryptohelp import FIXTURES, NAME
from tui_client import sample_certs

P = sample_certs.path


def pw(office_id):
    return sample_certs.office(office_id)["password"]


def test_cert_show_clean(run_cli):
    code, out, err = run_cli("cert", "show", P("cm.p12"), "--password", pw("cm"), "--demo-trust")
    assert code == 0
    assert "1370100011" in out and "事業所の証明書" in out and "使えます" in out


def test_cert_show_pem_json(run_cli):
    code, out, _ = run_cli("cert", "show", P("day-annex.cert.pem"), "--json", "--demo-trust")
    doc = json.loads(out)
    assert code == 0 and doc["files"][0]["certificate"]["office_number"] == "1370100037"


def test_cert_check_warning_exit_1(run_cli):
    code, out, _ = run_cli("cert", "check", P("nurse-expiring.cert.pem"), "--demo-trust")
    assert code == 1 and "W-CERT-012" in out and "日" in out


def test_cert_check_at_a_given_time(run_cli):
    code, out, _ = run_cli("cert", "check", P("cm.cert.pem"), "--at", "2029-11-20T00:00:00Z")
    assert code == 1 and "W-CERT-013" in out


@pytest.mark.parametrize("office_id, expected", [
    ("expired", "E-CERT-005"), ("not-yet-valid", "E-CERT-006"), ("revoked", "E-CERT-007"),
    ("foreign-ca", "E-CERT-008"), ("agent", "E-CERT-009"),
])
def test_cert_check_errors_exit_2(run_cli, office_id, expected):
    code, out, _ = run_cli("cert", "check", P(office_id + ".p12"), "--password", pw(office_id), "--demo-trust")
    assert code == 2 and expected in out


def test_cert_check_with_explicit_trust_and_crl(run_cli):
    code, out, _ = run_cli("cert", "check", P("revoked.cert.pem"), "--trust", P("demo-ca.cert.pem"),
                           "--crl", P("demo-ca.crl.pem"))
    assert code == 2 and "E-CERT-007" in out


def test_wrong_password_and_missing_file_exit_3(run_cli, monkeypatch):
    code, out, _ = run_cli("cert", "show", P("cm.p12"), "--password", "nope")
    assert code == 3 and "E-CERT-002" in out and "パスワード" in out
    monkeypatch.setenv("TSUNAGI_PW", pw("cm"))
    assert run_cli("cert", "show", P("cm.p12"), "--password-env", "TSUNAGI_PW")[0] == 0
    code, _, err = run_cli("cert", "show", "/nonexistent/x.p12", "--password", "x")
    assert code == 3 and "見つかりません" in err
    code, out, _ = run_cli("cert", "show", P("no-key.p12"), "--password", pw("no-key"))
    assert code == 3 and "E-CERT-003" in out


def test_usage_error_exit_4(run_cli):
    assert run_cli("cert")[0] == 4
    assert run_cli("open", "x.p7m")[0] == 4  # --keystore missing


def test_seal_open_receipt_round_trip(run_cli, tmp_path):
    src = tmp_path / NAME
    src.write_bytes(b"1,2,3\r\n" * 100)
    code, out, _ = run_cli("seal", src, "--from", P("cm.p12"), "--password", pw("cm"),
                           "--to", P("homecare.cert.pem"), "--to", P("homecare-old.cert.pem"), "--demo-trust")
    assert code == 0 and "封をしました" in out
    sealed = tmp_path / (NAME + ".p7m")
    assert sealed.is_file()
    outdir = tmp_path / "received"
    outdir.mkdir()
    shutil.copy(sealed, outdir / sealed.name)
    code, out, _ = run_cli("open", outdir / sealed.name, "--keystore", P("homecare.p12"),
                           "--password", pw("homecare"), "--demo-trust", "--receipt", tmp_path / "r.p7s")
    assert code == 0 and "1370100011" in out
    assert (outdir / NAME).read_bytes() == src.read_bytes()
    code, out, _ = run_cli("receipt", "verify", tmp_path / "r.p7s", "--file", src, "--demo-trust")
    assert code == 0 and "受信済み" in out
    src.write_bytes(b"changed")
    code, out, _ = run_cli("receipt", "verify", tmp_path / "r.p7s", "--file", src, "--demo-trust")
    assert code == 2 and "E-RCPT-003" in out


@pytest.mark.parametrize("kind", ["no_cn", "two_cns", "not_utf8"])
def test_receipt_verify_of_a_signer_with_a_malformed_subject_exits_2_with_its_code(run_cli, tmp_path, kind):
    from badcerts import bad_subject_office
    from tui_client.core import receipts

    signer, _, ca_pem = bad_subject_office(kind)
    src = tmp_path / NAME
    src.write_bytes(b"1,2,3\r\n" * 10)
    (tmp_path / "r.p7s").write_bytes(receipts.make_receipt(NAME, src.read_bytes(), signer))
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    code, out, err = run_cli("receipt", "verify", tmp_path / "r.p7s", "--file", src, "--trust", tmp_path / "ca.pem")
    assert code == 2 and "E-RCPT-009" in out and "Traceback" not in err


def test_open_refuses_with_exit_2_or_3(run_cli, tmp_path):
    fixture = tmp_path / (NAME + ".p7m")
    shutil.copy(FIXTURES / "openssl-des3.p7m", fixture)
    code, out, _ = run_cli("open", fixture, "--keystore", P("homecare.p12"), "--password", pw("homecare"),
                           "--demo-trust", "-o", tmp_path / "out")
    assert code == 2 and "E-SEAL-012" in out and not (tmp_path / "out").exists()
    fixture.write_bytes(b"garbage")
    code, out, _ = run_cli("open", fixture, "--keystore", P("homecare.p12"), "--password", pw("homecare"),
                           "--demo-trust")
    assert code == 3 and "E-SEAL-003" in out


def test_seal_refuses_expired_recipient(run_cli, tmp_path):
    src = tmp_path / "UPPLAN_202505_1370100011_43_1370100052_11_20250428120000.CSV"
    src.write_bytes(b"x")
    code, out, _ = run_cli("seal", src, "--from", P("cm.p12"), "--password", pw("cm"),
                           "--to", P("expired.cert.pem"), "--demo-trust")
    assert code == 2 and "E-SEAL-001" in out and "E-CERT-005" in out


def test_explain_knows_the_new_codes(run_cli):
    code, out, _ = run_cli("explain", "E-SEAL-008")
    assert code == 0 and "なりすまし" in out
