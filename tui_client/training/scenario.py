"""Training scenarios as data: a TOML file a trainer writes without touching code.

A scenario names whose PC the trainee sits at (``role``), what the sandbox prepares (``world``) and a
list of steps. Each step says what to do (``do``), which check tells that it is done (``until`` with
its ``args``), a ``hint`` for when the trainee is stuck, and mistakes to explain (``[[step.mistake]]``:
a check that, when it holds before the step is done, shows ``say``). The checks are the names in
``tui_client.training.checks.CHECKS``; the format is documented in ``docs/training.md``.

Loading never raises on a bad file: it returns findings that name the file, the line and the problem
(``E-TRAIN-*`` in the catalogue), so a trainer sees what to fix. This module does no I/O beyond reading
the file it is given and imports neither Textual nor the engine.
"""

from __future__ import annotations

import inspect
import re
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from tui_client.catalog import t
from tui_client.core.findings import Finding, make

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10 (old office PCs)
    import tomli as tomllib

#: Where the scenarios that come with Tsunagi live.
BUILT_IN = Path(__file__).with_name("scenarios")

#: Whose PC the trainee sits at: the demo office ids of ``sample_certs``.
ROLES = ("cm", "homecare")

#: What ``reset`` can prepare (see ``tui_client.training.world``).
WORLD_PARTS = ("month", "bad-file", "actuals", "expiring-certificate", "no-office")

_TOP_KEYS = {"id", "title", "goal", "role", "world", "step"}
_STEP_KEYS = {"do", "until", "args", "hint", "mistake", "done"}
_MISTAKE_KEYS = {"when", "args", "say"}
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,40}\Z")
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Mistake:
    when: str
    args: Mapping[str, object]
    say: str


@dataclass(frozen=True)
class Step:
    do: str
    until: str
    args: Mapping[str, object] = field(default_factory=dict)
    hint: str = ""
    done: str = ""                       # said when the step is done (optional)
    mistakes: Tuple[Mistake, ...] = ()
    line: int = 0                        # where the step starts in its file


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    goal: str
    role: str
    world: Tuple[str, ...]
    steps: Tuple[Step, ...]
    source: str = ""


def _line_finder(text: str) -> Callable[[int, str], int]:
    """``line(step_index, key)``: the line of ``key =`` inside the step's table (1-based), else the
    step's own header line, else 1 — so a finding points where the trainer has to look."""
    lines = text.splitlines()
    headers = [i + 1 for i, s in enumerate(lines) if s.strip() == "[[step]]"]

    def line(step: int, key: str = "") -> int:
        if step < 0 or step >= len(headers):
            start, end = 1, (headers[0] - 1 if headers else len(lines))
        else:
            start, end = headers[step], (headers[step + 1] - 1 if step + 1 < len(headers) else len(lines))
        if key:
            pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
            for n in range(start, end + 1):
                if pattern.match(lines[n - 1]):
                    return n
        return start if step >= 0 and headers else 1
    return line


def _args_problem(check: Callable, args: Mapping[str, object]) -> Optional[str]:
    """Why ``args`` do not fit ``check(seat, **args)`` (in words a trainer reads), or None."""
    params = list(inspect.signature(check).parameters.values())[1:]
    known = {p.name: p for p in params}
    hints = typing.get_type_hints(check)
    unknown = [k for k in args if k not in known]
    if unknown:
        return t("training.args.unknown", keys="、".join(unknown), known="、".join(known) or "―")
    missing = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in args]
    if missing:
        return t("training.args.missing", keys="、".join(missing))
    for key, value in args.items():
        want = hints.get(key)
        if want in (int, str) and (type(value) is not want):
            return t("training.args.type." + want.__name__, name=key)
    return None


def parse(text: str, source: str, checks: Mapping[str, Callable]) -> Tuple[Optional[Scenario], List[Finding]]:
    """A scenario from TOML text, or None with findings naming ``source``, the line and the problem."""
    where = _line_finder(text)

    def problem(code: str, line: int, **params) -> Finding:
        return make(code, source, line=line, **params)

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _AT_LINE.search(str(exc))
        line = int(m.group(1)) if m else len(text.splitlines()) or 1
        return None, [problem("E-TRAIN-001", line, reason=_AT_LINE.sub("", str(exc)).strip())]

    found: List[Finding] = []
    for key in sorted(set(doc) - _TOP_KEYS):
        found.append(problem("E-TRAIN-002", where(-1, key), key=key))
    for key in ("id", "title", "role"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            found.append(problem("E-TRAIN-003", where(-1, key), key=key))
    sid = doc.get("id") if isinstance(doc.get("id"), str) else ""
    if sid and not _ID.match(sid):
        found.append(problem("E-TRAIN-004", where(-1, "id"), value=sid))
    role = doc.get("role")
    if isinstance(role, str) and role and role not in ROLES:
        found.append(problem("E-TRAIN-005", where(-1, "role"), value=role, choices="、".join(ROLES)))
    world = doc.get("world", [])
    if not isinstance(world, list) or any(w not in WORLD_PARTS for w in world):
        bad = world if not isinstance(world, list) else [w for w in world if w not in WORLD_PARTS]
        found.append(problem("E-TRAIN-006", where(-1, "world"), value=bad, choices="、".join(WORLD_PARTS)))
        world = []
    raw_steps = doc.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        found.append(problem("E-TRAIN-007", 1))
        raw_steps = []

    steps: List[Step] = []
    for i, raw in enumerate(raw_steps):
        step, problems = _step(i, raw, checks, where, problem)
        found += problems
        if step is not None:
            steps.append(step)
    if found:
        return None, found
    return Scenario(sid, doc["title"], str(doc.get("goal") or ""), role, tuple(world), tuple(steps), source), []


def _step(i: int, raw: object, checks, where, problem) -> Tuple[Optional[Step], List[Finding]]:
    found: List[Finding] = []
    n = i + 1
    if not isinstance(raw, dict):
        return None, [problem("E-TRAIN-007", where(i))]
    for key in sorted(set(raw) - _STEP_KEYS):
        found.append(problem("E-TRAIN-008", where(i, key), step=n, key=key))
    for key in ("do", "until"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            found.append(problem("E-TRAIN-009", where(i), step=n, key=key))
    args = raw.get("args", {})
    if not isinstance(args, dict):
        found.append(problem("E-TRAIN-010", where(i, "args"), step=n, reason="args = { … }"))
        args = {}
    until = raw.get("until")
    if isinstance(until, str) and until:
        if until not in checks:
            found.append(problem("E-TRAIN-011", where(i, "until"), step=n, value=until,
                                 choices="、".join(sorted(checks))))
        else:
            reason = _args_problem(checks[until], args)
            if reason:
                found.append(problem("E-TRAIN-010", where(i, "args"), step=n, reason=reason))
    mistakes: List[Mistake] = []
    raw_mistakes = raw.get("mistake", [])
    if not isinstance(raw_mistakes, list):
        raw_mistakes = [raw_mistakes]
    for m in raw_mistakes:
        if not isinstance(m, dict) or not isinstance(m.get("when"), str) or not isinstance(m.get("say"), str):
            found.append(problem("E-TRAIN-012", where(i, "when"), step=n))
            continue
        for key in sorted(set(m) - _MISTAKE_KEYS):
            found.append(problem("E-TRAIN-008", where(i, key), step=n, key=key))
        margs = m.get("args", {})
        if m["when"] not in checks:
            found.append(problem("E-TRAIN-011", where(i, "when"), step=n, value=m["when"],
                                 choices="、".join(sorted(checks))))
        elif not isinstance(margs, dict) or _args_problem(checks[m["when"]], margs):
            reason = _args_problem(checks[m["when"]], margs) if isinstance(margs, dict) else "args = { … }"
            found.append(problem("E-TRAIN-010", where(i, "when"), step=n, reason=reason))
        else:
            mistakes.append(Mistake(m["when"], dict(margs), m["say"]))
    if found:
        return None, found
    return Step(raw["do"], until, dict(args), str(raw.get("hint") or ""), str(raw.get("done") or ""),
                tuple(mistakes), where(i)), []


def load(path: Path, checks: Optional[Mapping[str, Callable]] = None) -> Tuple[Optional[Scenario], List[Finding]]:
    """A scenario file; an unreadable or non-UTF-8 file is a finding, not an exception."""
    if checks is None:
        from tui_client.training.checks import CHECKS as checks
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return None, [make("E-TRAIN-013", str(path), reason=exc.strerror or type(exc).__name__)]
    except UnicodeDecodeError:
        return None, [make("E-TRAIN-014", str(path))]
    return parse(text, str(path), checks)


def available(extra: Sequence[Path] = ()) -> Tuple[Dict[str, Scenario], List[Finding]]:
    """The built-in scenarios plus those in ``extra`` folders, by id (a later folder's scenario with
    the same id as a built-in one replaces it, and says so)."""
    found: List[Finding] = []
    out: Dict[str, Scenario] = {}
    for folder in (BUILT_IN, *extra):
        for path in sorted(Path(folder).glob("*.toml")):
            sc, problems = load(path)
            found += problems
            if sc is None:
                continue
            if sc.id in out:
                found.append(make("W-TRAIN-015", str(path), value=sc.id, earlier=out[sc.id].source))
            out[sc.id] = sc
    return out, found
