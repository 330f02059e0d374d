"""One trainee's way through a scenario: which step, what went wrong, written where a trainer sees it.

``ScenarioRun.poll(seat)`` asks the current step's mistakes and then its ``until`` check; a check that
holds moves the run on (one step per poll, so every step's ``done`` words are shown). A mistake is
reported once per step. The run's state is a small JSON file in the seat's folder, written after every
change (atomically), so the app can be closed and opened again where the trainee left off, and the
classroom view (``tsunagi training room``) can show every seat's step and mistakes. Steps advance by an
explicit counter, never by the clock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from tui_client.training import checks
from tui_client.training.scenario import Scenario, Step

STATE_FORMAT = "tsunagi-training-run/1"


@dataclass
class Event:
    """What a poll changed: ``mistakes`` newly seen, ``advanced`` when a step was done."""

    mistakes: List[str] = field(default_factory=list)
    advanced: bool = False
    done_words: str = ""


@dataclass
class ScenarioRun:
    scenario: Scenario
    state_file: Optional[Path] = None
    seat_name: str = ""
    index: int = 0                       # the current step (== len(steps) when finished)
    mistakes: List[dict] = field(default_factory=list)     # {"step": n, "say": …}, in order
    polls: int = 0

    @property
    def finished(self) -> bool:
        return self.index >= len(self.scenario.steps)

    @property
    def step(self) -> Optional[Step]:
        return None if self.finished else self.scenario.steps[self.index]

    @property
    def counter(self) -> str:
        """"2/5": the step the trainee is on, of how many."""
        total = len(self.scenario.steps)
        return f"{min(self.index + 1, total)}/{total}"

    def poll(self, seat: checks.Seat) -> Event:
        event = Event()
        step = self.step
        if step is None:
            return event
        self.polls += 1
        shown = {m["say"] for m in self.mistakes if m["step"] == self.index}
        for m in step.mistakes:
            if m.say not in shown and checks.safe(m.when, seat, m.args):
                self.mistakes.append({"step": self.index, "say": m.say})
                event.mistakes.append(m.say)
        if checks.safe(step.until, seat, step.args):
            self.index += 1
            event.advanced = True
            event.done_words = step.done
        if event.mistakes or event.advanced:
            self.save()
        return event

    def restart(self) -> None:
        self.index = 0
        self.mistakes = []
        self.save()

    # -- the state file
    def to_json(self) -> dict:
        return {"format": STATE_FORMAT, "scenario": self.scenario.id, "title": self.scenario.title,
                "seat": self.seat_name, "step": self.index, "steps": len(self.scenario.steps),
                "finished": self.finished, "mistakes": self.mistakes}

    def save(self) -> None:
        if self.state_file is None:
            return
        path = Path(self.state_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def resume(cls, scenario: Scenario, state_file: Path, seat_name: str = "") -> "ScenarioRun":
        """The run saved in ``state_file`` if it is of this scenario, else a new one."""
        run = cls(scenario, state_file, seat_name)
        state = read_state(state_file)
        if state and state.get("scenario") == scenario.id:
            run.index = max(0, min(int(state.get("step") or 0), len(scenario.steps)))
            run.mistakes = [m for m in state.get("mistakes") or [] if isinstance(m, dict)]
        return run


def read_state(path: Path) -> Optional[dict]:
    """A seat's saved run, or None when there is none or it cannot be read (never raises)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == STATE_FORMAT else None
