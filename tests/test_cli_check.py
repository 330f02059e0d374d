"""`tsunagi check` / `explain` / `sample`: exit codes, text and JSON output, never a traceback."""

import json

import pytest

from tui_client.core import samples
from tui_client.core.defects import DEFECTS


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / name).write_bytes(data)
    return folder


def test_clean_folder_exits_0(tmp_path, run_cli):
    folder = write(tmp_path / "out", samples.sample_month())
    code, out, err = run_cli("check", folder)
    assert code == 0, out
    assert "すべて送れます" in out and err == ""


def test_warnings_only_exit_1(tmp_path, run_cli):
    folder = write(tmp_path / "w", samples.use_bundle("202505", samples.HOME_HELP, samples.users(2)))
    name = next(p for p in folder.iterdir() if p.name.startswith("UPPLAN"))
    name.write_bytes(b"\xef\xbb\xbf" + DEFECTS["W-ENC-002"]()[0][1][3:])
    code, out, _ = run_cli("check", folder)
    assert code == 1, out
    assert "△ 注意 W-ENC-002" in out


def test_errors_exit_2_and_name_the_place_and_the_fix(tmp_path, run_cli):
    folder = write(tmp_path / "e", DEFECTS["E-FLD-004"]())
    code, out, _ = run_cli("check", folder)
    assert code == 2
    assert "× エラー E-FLD-004  1行目・10列目（J列） サービス利用日" in out
    assert "→ YYYYMMDD" in out
    assert "エラーのあるファイルは送れません" in out


@pytest.mark.parametrize("what", ["missing", "empty_dir", "pdf"])
def test_unusable_input_exits_3(tmp_path, run_cli, what):
    if what == "missing":
        target = tmp_path / "nothing.csv"
        expected = "E-FILE-004"
    elif what == "empty_dir":
        target = tmp_path / "empty"
        target.mkdir()
        expected = "E-FILE-005"
    else:
        target = write(tmp_path / "p", DEFECTS["E-FILE-001"]())
        expected = "E-FILE-001"
    code, out, err = run_cli("check", target)
    assert code == 3
    assert expected in out and "Traceback" not in out + err


def test_json_output_carries_codes_and_messages(tmp_path, run_cli):
    folder = write(tmp_path / "j", DEFECTS["E-ROW-020"]())
    code, out, _ = run_cli("check", "--json", folder)
    doc = json.loads(out)
    assert code == doc["exit_code"] == 2
    (entry,) = doc["files"]
    codes = {f["code"] for f in entry["findings"]}
    assert "E-ROW-020" in codes
    f = next(f for f in entry["findings"] if f["code"] == "E-ROW-020")
    assert f["severity"] == "error" and f["found"] == "78" and "78" in f["fix"]
    assert entry["kind"] == "UPPLAN" and entry["recipient"] == samples.DAY_CARE.number


def test_usage_error_exits_4(run_cli):
    code, _, err = run_cli("check")
    assert code == 4


def test_explain_known_and_unknown(run_cli):
    code, out, _ = run_cli("explain", "e-name-004")
    assert code == 0 and "E-NAME-004" in out and "直し方" in out and "〈値〉" in out
    code, _, err = run_cli("explain", "E-NOPE-999")
    assert code == 3 and "E-NOPE-999" in err
    code, out, _ = run_cli("explain")
    assert code == 0 and "E-FLD-001" in out and "W-BND-009" in out


def test_sample_writes_valid_files_and_defects(tmp_path, run_cli):
    code, out, _ = run_cli("sample", tmp_path / "s", "--defects")
    assert code == 0
    code, out, _ = run_cli("check", tmp_path / "s")
    # the valid files pass; the defects/ folder inside is named as not checked (a warning)
    assert code == 1 and "W-FILE-009" in out and "defects" in out and "× エラー" not in out
    defect_dirs = sorted(p.name for p in (tmp_path / "s" / "defects").iterdir())
    assert defect_dirs == sorted(DEFECTS)


def test_real_entry_point_in_a_c_locale_prints_japanese_without_crashing(tmp_path, tsunagi_subprocess):
    import os
    write(tmp_path / "x", DEFECTS["E-FLD-001"]())
    env = {**os.environ, "LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": ""}
    env.pop("PYTHONUTF8", None)
    proc = tsunagi_subprocess("check", tmp_path / "x", env=env)
    assert proc.returncode == 2, proc.stderr
    assert "E-FLD-001" in proc.stdout and "Traceback" not in proc.stderr


def test_finding_codes_doc_is_in_sync_with_the_catalogue(run_cli):
    # The repository root from this file, not ``from conftest import ROOT``: tests/ and tests/ui are not
    # packages, so which "conftest" that import finds depends on the order the folders were collected.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code, out, _ = run_cli("explain", "--markdown")
    assert code == 0
    doc = (root / "docs" / "finding-codes.md").read_text(encoding="utf-8")
    assert doc == out, "regenerate: tsunagi explain --markdown > docs/finding-codes.md"


def test_output_cut_short_by_a_pipe_is_not_a_traceback(tmp_path):
    import subprocess
    import sys

    for month in range(1, 13):  # a year of files: far more output than a pipe buffer holds
        write(tmp_path / "many", samples.sample_month(f"2025{month:02d}"))
    proc = subprocess.Popen([sys.executable, "-m", "tui_client", "check", str(tmp_path / "many")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()  # like `| head -c 10`
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) in (0, 141)
    assert "Traceback" not in err


# --- bad input on the command line (issue 14) ------------------------------------------------------

def test_a_name_longer_than_the_file_system_allows_is_a_finding(tmp_path, run_cli):
    code, out, err = run_cli("check", tmp_path / ("A" * 300 + ".CSV"))
    assert code == 3 and "E-FILE-004" in out and "名前が長すぎます" in out
    assert "Traceback" not in out + err


def test_a_device_is_refused_without_reading_it(run_cli):
    code, out, err = run_cli("check", "/dev/zero")
    assert code == 3 and "E-FILE-006" in out and "Traceback" not in out + err


def test_a_fifo_named_csv_does_not_block(tmp_path, run_cli):
    import os

    fifo = tmp_path / "UPPLAN_202505_1370100011_43_1370100029_11_20250428120000.CSV"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would block for ever
    code, out, _ = run_cli("check", fifo)
    assert code == 3 and "E-FILE-006" in out and "名前付きパイプ" in out
    code, out, _ = run_cli("check", tmp_path)  # and found in a folder
    assert code == 3 and "E-FILE-006" in out


def test_a_file_bigger_than_the_relay_accepts_is_refused_unread(tmp_path, run_cli):
    from tui_client.core import wire

    big = tmp_path / "UPPLAN_202505_1370100011_43_1370100029_11_20250428120000.CSV"
    with open(big, "wb") as fh:  # sparse: no disk space used, and nothing of it is read
        fh.truncate(wire.DEFAULT_MAX_ITEM_BYTES + 1)
    code, out, _ = run_cli("check", big)
    assert code == 3 and "E-FILE-007" in out and "中継サーバー" in out and "32.0 MB" in out


def test_read_user_file_limits_and_findings(tmp_path):
    from tui_client.filecheck import read_user_file

    small = tmp_path / "k.pem"
    small.write_bytes(b"x" * 100)
    assert read_user_file(small, 100) == (b"x" * 100, [])
    data, f = read_user_file(small, 99)
    assert data is None and [x.code for x in f] == ["E-FILE-008"] and f[0].unusable
    data, f = read_user_file(tmp_path, 100)
    assert data is None and [x.code for x in f] == ["E-FILE-004"]
    data, f = read_user_file(str(tmp_path / "a\x00b"), 100)
    assert data is None and [x.code for x in f] == ["E-FILE-004"]


def test_subfolders_are_named_as_not_checked(tmp_path, run_cli):
    folder = write(tmp_path / "out", samples.sample_month())
    write(folder / "2025-04", DEFECTS["E-FLD-004"]())  # a defect nobody looked at
    code, out, _ = run_cli("check", folder)
    assert code == 1 and "W-FILE-009" in out and "2025-04" in out
    assert "すべて送れます" not in out


def test_control_characters_in_a_name_are_shown_escaped(tmp_path, run_cli):
    name = "UPPLAN_\x1b[2J\u202eevil\n.CSV"
    folder = write(tmp_path / "ctl", [(name, b"1,2,3\r\n")])
    code, out, _ = run_cli("check", folder)
    assert code >= 2
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out and "<U+202E>" in out and "evil\\x0a" in out
    code, out, _ = run_cli("check", "--json", folder)
    messages = [f["message"] for f in json.loads(out)["files"][0]["findings"]]
    assert messages and not any("\x1b" in m or "\u202e" in m for m in messages)


def test_cert_show_and_open_refuse_devices_and_fifos(tmp_path, run_cli):
    import os

    code, out, err = run_cli("cert", "show", "/dev/zero")
    assert code == 3 and "E-FILE-006" in out + err and "Traceback" not in out + err
    fifo = tmp_path / "x.p7m"
    os.mkfifo(fifo)
    code, out, err = run_cli("open", fifo, "--keystore", "/dev/null", "--demo-trust", "--password", "x")
    assert code == 3 and "E-FILE-006" in out + err
