"""`tsunagi note`: a note from a template on the command line, written or printed without sending (the
sending path is in tests/relay/test_notes.py)."""

from __future__ import annotations

import pytest

NIL_ARGS = ["--set", "user_name=山田　花子", "--set", "insured=1234567890", "--set", "month=202505",
            "--set", "service=15", "--set", "provider=2712300037"]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """No office on this "PC" unless a test sets one up: the user's real folders are never read."""
    monkeypatch.setenv("TSUNAGI_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_list_shows_both_templates_and_their_fields(run_cli):
    code, out, _ = run_cli("note", "--list")
    assert code == 0
    assert "利用なし（nil_usage）" in out and "限度額超過（over_limit）" in out
    assert "insured  被保険者番号（被保険者番号）" in out and "reason  理由（文字・空欄可）" in out


def test_the_note_is_printed_and_not_sent_without_send(run_cli):
    code, out, err = run_cli("note", "利用なし", *NIL_ARGS)
    assert code == 0
    assert out.startswith("件名: 【利用なし】山田　花子様 令和7年5月（2025年5月）")
    assert "ご利用がありませんでした。" in out and "送っていません" in err


def test_out_writes_the_text_and_the_pdf(run_cli, tmp_path):
    code, out, _ = run_cli("note", "nil-usage", *NIL_ARGS, "--pdf", "--out", tmp_path / "note.txt")
    assert code == 0
    text = (tmp_path / "note.txt").read_text("utf-8")
    assert text.startswith("【利用なし】山田　花子様") and "通所介護（15）" in text
    pdf = (tmp_path / "note.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) <= 100 * 1024
    assert f"（{len(pdf)} バイト）" in out


def test_out_named_pdf_keeps_the_text_beside_it(run_cli, tmp_path):
    code, _, _ = run_cli("note", "nil-usage", *NIL_ARGS, "--pdf", "--out", tmp_path / "n.pdf")
    assert code == 0
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF-") and (tmp_path / "n.txt").is_file()


def test_a_wrong_value_is_rc_2_with_the_field_and_the_fix_and_nothing_written(run_cli, tmp_path):
    code, out, _ = run_cli("note", "over-limit", "--set", "user_name=山田", "--set", "insured=1234567890",
                           "--set", "month=202505", "--set", "service=11", "--set", "provider=2712300029",
                           "--set", "limit=16765", "--set", "planned=17000", "--set", "over=300",
                           "--out", tmp_path / "x.txt")
    assert code == 2
    assert "E-NOTE-007" in out and "235" in out and "→" in out
    assert not (tmp_path / "x.txt").exists()


def test_missing_fields_are_all_named_at_once(run_cli):
    code, out, _ = run_cli("note", "限度額超過")
    assert code == 2
    assert out.count("E-NOTE-001") == 8 and "区分支給限度基準額" in out


@pytest.mark.parametrize("args,code_in_err", [
    (["note", "なにか"], "E-NOTE-012"),
    (["note", "利用なし", "--set", "month"], "E-NOTE-014"),
])
def test_usage_errors_are_rc_4_with_a_message(run_cli, args, code_in_err):
    code, out, err = run_cli(*args)
    assert code == 4 and code_in_err in err and "Traceback" not in out + err


def test_send_needs_a_recipient(run_cli):
    code, _, err = run_cli("note", "利用なし", *NIL_ARGS, "--send")
    assert code == 4 and "--to" in err


def test_a_file_that_cannot_be_written_is_rc_3(run_cli, tmp_path):
    code, _, err = run_cli("note", "利用なし", *NIL_ARGS, "--out", tmp_path / "no" / "such" / "dir.txt")
    assert code == 3 and "E-NOTE-015" in err


def test_the_offices_own_templates_are_used_and_broken_ones_said(run_cli, home):
    from tui_client import config, sample_certs
    from tui_client import office as office_mod

    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", str(home))
    folder = config.paths(str(home)).office(sample_certs.office("cm")["office_number"]).root / "templates"
    folder.mkdir(parents=True)
    (folder / "visit.toml").write_text(
        'id = "visit"\ntitle = "訪問日の変更"\nsubject = "{user_name}様"\nbody = "{user_name}様の訪問日を変えます。"\n'
        '[[fields]]\nname = "user_name"\nlabel = "利用者氏名"\nkind = "text"\n', encoding="utf-8")
    (folder / "bad.toml").write_text('id = "bad"\ntitle = "x"\n[[fields]]\nname = "a"\nkind = "colour"\n'
                                     'label = "a"\n', encoding="utf-8")
    code, out, _ = run_cli("note", "--list")
    assert f"この事業所のひな形のフォルダ: {folder}" in out and "訪問日の変更（visit）" in out
    code, out, err = run_cli("note", "訪問日の変更", "--set", "user_name=田中　トミ")
    assert code == 0 and "田中　トミ様の訪問日を変えます。" in out
    assert "E-TPL-004" in err and "bad.toml" in err and "5行目" in err
