"""Paired runs for every benchmark: the baseline (side A) and our code (side B) measured in turns,
and the figure is the median of the per-run ratios B/A, with their min and max.

Why paired: on a shared 2-core machine the load moves from one second to the next. Best-of-N per
side picks each side's luckiest moment on its own (never the same moment), and the first run of a
series is consistently the most favourable. Measured in turns, A B B A A B …, each run's two sides
share the machine's state, so their ratio is what the code costs; the median over >= 5 runs says
what is typical, min and max how far single runs swing. A target is judged on the median.

    from paired import Paired, run_paired
    result = run_paired("validate 100k", floor, ours, runs=5, target=2.5)
    print(result.line())

A side is a callable returning its measured figure (seconds, or requests/s with
``higher_is_better=True``); ``timed(fn)`` makes one that times ``fn()``. ``add_arguments`` gives a
script ``--runs`` and ``--json``; ``emit`` prints the lines and, with ``--json``, appends one JSON
object per result to that file (docs/benchmarks.md's table is made from those).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

MIN_RUNS = 5


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """A side that runs ``fn`` and returns its wall time in seconds."""
    def side() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    return side


def order(runs: int) -> List[bool]:
    """For each run, whether A goes first: A B, B A, A B, … (so neither side always follows the other,
    and each side runs twice in a row in the middle of the series: A B B A A B)."""
    return [i % 2 == 0 for i in range(runs)]


@dataclass
class Paired:
    name: str
    command: str
    a_label: str
    b_label: str
    target: float
    higher_is_better: bool = False
    unit: str = "s"
    pairs: List[Tuple[float, float]] = field(default_factory=list)
    note: str = ""

    @property
    def ratios(self) -> List[float]:
        return [b / a for a, b in self.pairs]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def low(self) -> float:
        return min(self.ratios)

    @property
    def high(self) -> float:
        return max(self.ratios)

    @property
    def met(self) -> bool:
        return self.median >= self.target if self.higher_is_better else self.median <= self.target

    def side_median(self, i: int) -> float:
        return statistics.median(p[i] for p in self.pairs)

    def _fmt(self, v: float) -> str:
        if self.unit == "s":
            if v < 0.001:
                return f"{v * 1e6:.2f} µs"
            return f"{v * 1000:.1f} ms" if v < 10 else f"{v:.2f} s"
        return f"{v:,.0f} {self.unit}"

    def line(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        return (f"{self.name}: {self.b_label} / {self.a_label} median **{self.median:.2f}×** "
                f"(min {self.low:.2f}×, max {self.high:.2f}×, {len(self.pairs)} paired runs; "
                f"{self.a_label} {self._fmt(self.side_median(0))}, {self.b_label} "
                f"{self._fmt(self.side_median(1))} medians) target {sign} {self.target}× "
                f"{'met' if self.met else 'NOT met'}{'; ' + self.note if self.note else ''}")

    def row(self) -> str:
        """One row of docs/benchmarks.md's table."""
        sign = "≥" if self.higher_is_better else "≤"
        return (f"| {self.name} | `{self.command}` | **{self.median:.2f}×** | {self.low:.2f}–{self.high:.2f}× "
                f"| {sign} {self.target}× | {'met' if self.met else '**not met**'} |")

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(ratios=self.ratios, median=self.median, min=self.low, max=self.high, met=self.met)
        return d


def run_paired(name: str, side_a: Callable[[], float], side_b: Callable[[], float], *, runs: int,
               target: float, command: str = "", a_label: str = "baseline", b_label: str = "tsunagi",
               higher_is_better: bool = False, unit: str = "s", warmup: int = 0,
               progress: bool = True) -> Paired:
    """``runs`` paired measurements of the two sides, in the order of ``order``; ``warmup`` unpaired
    runs of each side first (not counted)."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    for _ in range(warmup):
        side_a()
        side_b()
    result = Paired(name, command, a_label, b_label, target, higher_is_better, unit)
    for i, a_first in enumerate(order(runs)):
        if a_first:
            a = side_a()
            b = side_b()
        else:
            b = side_b()
            a = side_a()
        result.pairs.append((a, b))
        if progress:
            print(f"  {name} run {i + 1}/{runs} ({'A B' if a_first else 'B A'}): {a_label} {result._fmt(a)}, "
                  f"{b_label} {result._fmt(b)}, ratio {b / a:.2f}×", flush=True)
    return result


def add_arguments(ap, runs: int = MIN_RUNS) -> None:
    ap.add_argument("--runs", type=int, default=runs,
                    help=f"paired runs (default {runs}; fewer than {MIN_RUNS} only for smoke tests)")
    ap.add_argument("--json", default="", metavar="FILE", help="append each result as one JSON line to FILE")


def emit(results: Sequence[Paired], json_path: Optional[str] = "") -> bool:
    """Print each result's line and table row; append them to ``json_path`` if given. True if every
    target is met."""
    for r in results:
        if len(r.pairs) < MIN_RUNS:
            r.note = (r.note + "; " if r.note else "") + f"only {len(r.pairs)} runs: not a figure"
        print(r.line())
    print("| benchmark | command | median ratio | min–max | target | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(r.row())
    if json_path:
        with open(json_path, "a", encoding="utf-8") as fh:
            for r in results:
                fh.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
    return all(r.met for r in results)
