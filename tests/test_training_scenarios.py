"""Training scenarios as data: every built-in scenario loads; a trainer's malformed file gets findings
that name the line and the problem; checks look at real folders; a run moves on by its own counter,
reports a mistake once, and leaves a state file the trainer's room view reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui_client.catalog import finding_message
from tui_client.core import samples
from tui_client.training import checks
from tui_client.training.run import ScenarioRun, read_state
from tui_client.training.scenario import BUILT_IN, available, load, parse
from tui_client.training.world import impossible_date
from tui_client.core.validate import validate_file

GOOD = """id = "x"
title = "練習"
role = "cm"
world = ["month"]

[[step]]
do = "F4"
until = "tab"
args = { tab = "batch" }

[[step]]
do = "send"
until = "export_clean"
[[step.mistake]]
when = "tab"
args = { tab = "home" }
say = "ホームではありません"
"""


def test_every_built_in_scenario_loads_and_covers_the_issue_list():
    found, problems = available()
    assert problems == []
    assert {"first-setup", "first-send", "first-receive", "error-fix", "nil-usage", "over-limit",
            "renew-certificate"} <= set(found)
    assert len(list(BUILT_IN.glob("*.toml"))) == len(found)


@pytest.mark.parametrize("text,line,code,words", [
    ('id = "x"\ntitle = \n', 2, "E-TRAIN-001", "読めません"),
    (GOOD.replace('until = "tab"', 'until = "tabb"'), 8, "E-TRAIN-011", "「tabb」はありません"),
    (GOOD.replace("args = { tab = \"batch\" }", "args = { tabb = \"batch\" }"), 9, "E-TRAIN-010", "「tabb」は使えません"),
    (GOOD.replace('until = "export_clean"', 'until = "sent"\nargs = { at_least = "3" }'), 14, "E-TRAIN-010", "数字で"),
    (GOOD.replace('role = "cm"', 'role = "nurse"'), 3, "E-TRAIN-005", "nurse"),
    (GOOD.replace('do = "send"', 'do = "send"\ncolour = 1'), 13, "E-TRAIN-008", "colour"),
    (GOOD.replace('say = "ホームではありません"', ''), 15, "E-TRAIN-012", "when"),
    ('id = "x"\ntitle = "t"\nrole = "cm"\n', 1, "E-TRAIN-007", "手順"),
])
def test_a_malformed_scenario_names_the_line_and_the_problem(text, line, code, words):
    scenario, problems = parse(text, "mine.toml", checks.CHECKS)
    assert scenario is None
    hit = [p for p in problems if p.code == code]
    assert hit, problems
    message, fix = finding_message(hit[0])
    assert hit[0].line == line and f"{line}行目" in message and "mine.toml" in message
    assert words in message + fix and fix


def test_an_unreadable_scenario_file_is_a_finding(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_bytes("id = \"あ\"".encode("cp932"))
    assert [p.code for p in load(bad)[1]] == ["E-TRAIN-014"]
    assert [p.code for p in load(tmp_path / "none.toml")[1]] == ["E-TRAIN-013"]


def test_the_planted_error_is_one_the_check_finds_and_the_original_passes():
    name, data = next(f for f in samples.sample_month() if f[0].startswith("UPPLAN"))
    assert not [f for f in validate_file(data, name).findings if f.blocks_sending]
    bad = [f for f in validate_file(impossible_date(data), name).findings if f.blocks_sending]
    assert [f.code for f in bad] == ["E-FLD-004"] and bad[0].row == 2


def test_a_run_moves_on_reports_a_mistake_once_and_saves_its_state(tmp_path):
    scenario, problems = parse(GOOD, "good.toml", checks.CHECKS)
    assert problems == []
    export = tmp_path / "export"
    export.mkdir()
    name, data = next(f for f in samples.sample_month() if f[0].startswith("UPPLAN"))
    (export / name).write_bytes(impossible_date(data))
    run = ScenarioRun(scenario, tmp_path / "seat" / "run.json", "席02")
    seat = checks.Seat(export_folder=export, tab="home")
    assert not run.poll(seat).advanced and run.counter == "1/2"
    seat.tab = "batch"
    assert run.poll(seat).advanced and run.counter == "2/2"
    seat.tab = "home"
    assert run.poll(seat).mistakes == ["ホームではありません"]
    assert run.poll(seat).mistakes == []                  # once
    (export / name).write_bytes(data)                     # fixed
    assert run.poll(seat).advanced and run.finished
    state = read_state(tmp_path / "seat" / "run.json")
    assert state["finished"] and state["seat"] == "席02" and len(state["mistakes"]) == 1
    again = ScenarioRun.resume(scenario, tmp_path / "seat" / "run.json")
    assert again.finished and again.mistakes == state["mistakes"]


def test_a_check_that_cannot_tell_reads_as_not_yet():
    assert checks.safe("sent", checks.Seat(office=object()), {}) is False
    assert checks.safe("received", checks.Seat(), {"at_least": 1}) is False


def _tsunagi(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tui_client", "training", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, timeout=120)


def test_cli_check_list_and_room(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(GOOD.replace('until = "tab"', 'until = "tabb"'), encoding="utf-8")
    done = _tsunagi("check", str(mine))
    assert done.returncode == 2 and "8行目" in done.stderr and "tabb" in done.stderr
    assert _tsunagi("check", *map(str, sorted(BUILT_IN.glob("*.toml")))).returncode == 0
    listed = _tsunagi("list")
    assert listed.returncode == 0 and "first-send" in listed.stdout and "はじめての送信" in listed.stdout
    assert _tsunagi("start", "no-such", "--dir", str(tmp_path)).returncode == 4

    scenario, _ = parse(GOOD, "good.toml", checks.CHECKS)
    run = ScenarioRun(scenario, tmp_path / "room" / "席03" / "run.json", "席03")
    run.poll(checks.Seat(tab="batch"))
    room = _tsunagi("room", "--dir", str(tmp_path / "room"))
    assert room.returncode == 0 and "席03" in room.stdout and "2/2" in room.stdout


def test_every_check_is_documented_for_trainers():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text(encoding="utf-8")
    assert [name for name in checks.CHECKS if f"| `{name}` |" not in doc] == []


def test_start_refuses_a_seat_the_classroom_does_not_have(tmp_path):
    from tui_client.training import classroom

    classroom.write(classroom.Classroom(tmp_path, "https://127.0.0.1:9", ("席01", "席02")))
    done = _tsunagi("start", "first-send", "--seat", "席09", "--dir", str(tmp_path))
    assert done.returncode == 4 and "席09" in done.stderr and "席01" in done.stderr
    assert classroom.read(tmp_path).seat_number("席02") == 2
