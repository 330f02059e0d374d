"""`tsunagi setup` for a real office, and a certificate renewal: items sealed to the old certificate
before the renewal still open afterwards, with only the new password."""

from __future__ import annotations

import json
import os

from relay.test_cli_transport import tsunagi
from tui_client import config
from tui_client import office as office_mod
from tui_client import sample_certs
from tui_client.core import seal

HC = "1370100029"
CA = str(sample_certs.path("demo-ca.cert.pem"))
CRL = str(sample_certs.path("demo-ca.crl.pem"))


def _keystore(demo_id):
    entry = sample_certs.office(demo_id)
    return str(sample_certs.path(entry["keystore"])), entry["password"]


def _setup(home, demo_id, relay, *extra, env_password=None):
    ks, password = _keystore(demo_id)
    os.environ["TSUNAGI_TEST_PW"] = env_password if env_password is not None else password
    return tsunagi(home, "setup", ks, "--relay", relay.url, "--ca", CA, "--crl", CRL, "--service", "11",
                   "--name", "訪問介護テスト", "--password-env", "TSUNAGI_TEST_PW", *extra)


def test_setup_saves_no_password_and_puts_the_office_on_the_directory(relay, tmp_path):
    r = _setup(tmp_path, "homecare", relay)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"事業所 {HC}（訪問介護テスト）を設定しました。" in r.stdout
    assert "中継サーバーに登録しました" in r.stdout
    assert all(len(line.encode("cp932", "replace")) <= 80 for line in r.stdout.splitlines())
    saved = config.paths(str(tmp_path)).office(HC).settings_file.read_text(encoding="utf-8")
    assert _keystore("homecare")[1] not in saved and json.loads(saved)["services"] == ["11"]
    cm = _demo_office(tmp_path / "cm", relay)
    try:
        entries, findings = cm.directory([HC])
        assert not findings and entries[HC].on_system and entries[HC].name == "訪問介護テスト"
    finally:
        cm.close()


def test_a_wrong_password_or_a_bad_service_code_is_refused(relay, tmp_path):
    r = _setup(tmp_path, "homecare", relay, env_password="wrong")
    assert r.returncode == 3 and "E-CERT-002" in r.stderr
    r = tsunagi(tmp_path, "setup", _keystore("homecare")[0], "--relay", relay.url, "--ca", CA,
                "--service", "111", "--password-env", "TSUNAGI_TEST_PW")
    assert r.returncode == 4 and "111" in r.stderr
    assert office_mod.configured_offices(str(tmp_path)) == []


def _demo_office(home, relay):
    office_mod.setup_demo_office("cm", relay.url, str(home))
    cm, findings = office_mod.Office.open("1370100011", home=str(home))
    assert cm is not None, findings
    return cm


def _bundle_for_homecare():
    from tui_client.core import samples

    cm = samples.SampleOffice("1370100011", "43", "cm")
    hc = samples.SampleOffice(HC, "11", "hc")
    return samples.use_bundle("202505", hc, samples.users(2), sender=cm, providers=[hc],
                              serial="20250425103000")


def _plan_for_homecare():
    return next((n, d) for n, d in _bundle_for_homecare() if n.startswith("UPPLAN_"))


def test_after_a_renewal_items_sealed_to_the_old_certificate_still_open(relay, tmp_path):
    old_ks, old_pw = _keystore("homecare-old")
    new_ks, new_pw = _keystore("homecare")
    pc = tmp_path / "hc-pc"
    pc.mkdir()
    r = _setup(pc, "homecare-old", relay)
    assert r.returncode in (0, 1), r.stdout + r.stderr

    # The care manager seals a plan to the certificate it knew: the old one.
    cm = _demo_office(tmp_path / "cm", relay)
    name, content = _plan_for_homecare()
    sealed, findings = seal.seal(content, name, cm.keystore, [sample_certs.certificate("homecare-old")])
    assert sealed is not None, findings
    cm.client.upload(name, bytes(sealed))

    # Another PC of the office set up with only the new certificate cannot open it: it stays there.
    other = tmp_path / "hc-other"
    other.mkdir()
    office_mod.setup_office(new_ks, new_pw, relay.url, CA, services=["11"], home=str(other))
    o, _ = office_mod.Office.open(HC, new_pw, home=str(other))
    report = o.receive()
    o.close()
    assert report.received == [] and "E-RECV-001" in [f.code for f in report.findings]

    # The renewal on the first PC keeps the old key, re-encrypted with the new password.
    os.environ["TSUNAGI_OLD_PW"] = old_pw
    r = _setup(pc, "homecare", relay, "--previous-password-env", "TSUNAGI_OLD_PW")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "以前の証明書の鍵: 1件" in r.stdout
    settings, _ = office_mod.load_settings(HC, str(pc))
    assert len(settings.previous_keystores) == 1
    saved = open(settings.previous_keystores[0], "rb").read()
    assert old_pw.encode() not in saved
    o, findings = office_mod.Office.open(HC, new_pw, home=str(pc))      # the new password only
    assert o is not None and findings == [], findings
    report = o.receive()
    o.close()
    assert [x.name for x in report.received] == [name], report.findings
    assert [i.state for i in cm.client.sent()] == ["received"]   # the relay accepted the receipt
    cm.close()


def test_a_renewal_without_the_old_password_goes_ahead_with_a_warning(relay, tmp_path):
    _setup(tmp_path, "homecare-old", relay)
    r = _setup(tmp_path, "homecare", relay)       # the new password does not open the old keystore
    assert r.returncode == 1, r.stdout + r.stderr
    assert "W-CFG-004" in r.stdout and "以前の証明書の鍵" not in r.stdout
    settings, _ = office_mod.load_settings(HC, str(tmp_path))
    assert settings.keystore_file.endswith(_keystore("homecare")[0].rsplit("/", 1)[-1])
    assert settings.previous_keystores == []


def test_setup_with_the_relay_down_saves_the_settings_and_says_registration_comes_later(tmp_path):
    from relay.conftest import free_port

    os.environ["TSUNAGI_TEST_PW"] = _keystore("homecare")[1]
    r = tsunagi(tmp_path, "setup", _keystore("homecare")[0], "--relay", f"https://127.0.0.1:{free_port()}",
                "--ca", CA, "--password-env", "TSUNAGI_TEST_PW")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "登録はまだです（E-NET-001）" in r.stdout and "自動で登録します" in r.stdout
    assert office_mod.configured_offices(str(tmp_path)) == [HC]


def test_a_damaged_earlier_key_is_reported_when_receiving_and_the_rest_still_arrives(relay, tmp_path):
    old_ks, old_pw = _keystore("homecare-old")
    new_ks, new_pw = _keystore("homecare")
    home = str(tmp_path / "pc")
    assert office_mod.setup_office(old_ks, old_pw, relay.url, CA, services=["11"], home=home)[0]
    settings, _ = office_mod.setup_office(new_ks, new_pw, relay.url, CA, services=["11"], home=home,
                                          previous_password=old_pw)
    assert len(settings.previous_keystores) == 1
    with open(settings.previous_keystores[0], "r+b") as fh:
        fh.write(b"damaged")
    cm = _demo_office(tmp_path / "cm", relay)
    files = _bundle_for_homecare()
    assert len(cm.send(files).sent) == len(files)          # sealed to the current certificate
    cm.close()
    o, findings = office_mod.Office.open(HC, new_pw, home=home)
    assert o is not None and findings == []                # opening does not touch earlier keys
    report = o.receive()
    o.close()
    assert sorted(x.name for x in report.received) == sorted(n for n, _ in files)
    assert [f.code for f in report.findings if f.code.startswith("W-CFG")] == ["W-CFG-005"]
