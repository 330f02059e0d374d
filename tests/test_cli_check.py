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
    assert run_cli("check", tmp_path / "s")[0] == 0
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
    from conftest import ROOT

    code, out, _ = run_cli("explain", "--markdown")
    assert code == 0
    doc = (ROOT / "docs" / "finding-codes.md").read_text(encoding="utf-8")
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
