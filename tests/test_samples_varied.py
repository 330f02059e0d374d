"""The benchmark data generators: varied files stay valid, and vary; the paired-runs harness."""

import csv
import io
import sys
from pathlib import Path

from tui_client.core.samples import varied_plan
from tui_client.core.validate import validate_file

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))

import paired  # noqa: E402


def test_varied_plan_is_valid_and_differs_row_by_row():
    name, data = varied_plan(3000)
    report = validate_file(data, name)
    assert report.records == 3000
    assert report.findings == []
    columns = list(zip(*csv.reader(io.StringIO(data.decode("cp932"), newline=""))))
    distinct = {i: len(set(c)) for i, c in enumerate(columns)}
    assert distinct[2] > 50      # 被保険者番号: many users
    assert distinct[6] > 20      # プラン担当者名: an author per user
    assert distinct[7] > 50      # 単位数 drawn per row
    assert distinct[11] > 50     # サービス開始時刻
    assert distinct[19] >= 6     # several providers


def test_varied_plan_is_deterministic_and_exact_in_size():
    assert varied_plan(10_001) == varied_plan(10_001)  # crosses the 10,000-record render chunk
    name, data = varied_plan(10_001)
    assert validate_file(data, name).records == 10_001


def test_paired_runs_alternate_and_judge_the_median():
    calls = []

    def side(label, values):
        it = iter(values)

        def run():
            calls.append(label)
            return next(it)
        return run

    r = paired.run_paired("x", side("A", [1.0] * 5), side("B", [2.0, 1.0, 3.0, 2.5, 1.5]), runs=5,
                          target=2.0, progress=False)
    assert calls == ["A", "B", "B", "A", "A", "B", "B", "A", "A", "B"]
    assert (r.median, r.low, r.high) == (2.0, 1.0, 3.0)
    assert r.met
    r.target = 1.9
    assert not r.met
    up = paired.Paired("y", "", "a", "b", 0.5, higher_is_better=True, pairs=[(10.0, 4.0), (10.0, 6.0), (10.0, 5.0)])
    assert up.median == 0.5 and up.met
