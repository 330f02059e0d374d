"""Where a guided task waits while the user is away: the task id, the step and the values entered so
far, in ``guided.json`` in the app's data folder (``config.paths``). Secrets (the keystore password)
are never written; a damaged or foreign file reads as "nothing to resume", never as a crash.

Pure apart from ``load``/``save``/``clear``; no Textual.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

from tui_client import config

Value = object      # str, int, bool or None: what a step's inputs hold


@dataclass
class Saved:
    task: str
    step: str
    values: Dict[str, Value] = field(default_factory=dict)


def state_file(home: Optional[str] = None) -> Path:
    return config.paths(home).data / "guided.json"


def _plain(values: Dict[str, object]) -> Dict[str, Value]:
    return {str(k): v for k, v in values.items() if v is None or isinstance(v, (str, int, bool))}


def load(home: Optional[str] = None) -> Optional[Saved]:
    try:
        raw = json.loads(state_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("task"), str) or not isinstance(raw.get("step"), str):
        return None
    values = raw.get("values")
    return Saved(raw["task"], raw["step"], _plain(values) if isinstance(values, dict) else {})


def save(saved: Saved, home: Optional[str] = None) -> bool:
    """Write atomically; False when the disk refuses (the task goes on, only resuming is lost)."""
    p = state_file(home)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps({"task": saved.task, "step": saved.step, "values": _plain(saved.values)},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, p)
    except OSError:
        return False
    return True


def clear(home: Optional[str] = None) -> None:
    try:
        state_file(home).unlink()
    except OSError:
        pass
