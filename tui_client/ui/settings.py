"""The app's settings: one strict schema, every problem reported at once (file, key, what to do).

``AppSettings`` lives in ``config/app.json`` under ``config.paths()`` (platformdirs, or
``TSUNAGI_HOME``). The relay URL and the archive's retention belong to the office (``office.json``);
the settings screen edits them there through ``save_office``. Secrets are never stored here (the keystore password is asked
for when the app opens). Pure apart from ``load``/``save``; no Textual.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

from tui_client import config

THEMES = ("textual-dark", "ansi-dark", "tsunagi-contrast", "textual-light")
MIN_POLL, MAX_POLL = 5, 3600


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the settings: where (file, key) and a catalogue key for what to do."""

    file: str
    key: str
    code: str          # catalogue key settings.problem.<…>
    value: str = ""


@dataclass
class AppSettings:
    export_folder: str = ""       # where the care software writes the files to send (一括送信)
    import_folder: str = ""       # where received files are saved for the care software to import
    hook_command: str = ""        # run on arrivals with TSUNAGI_COUNT / TSUNAGI_KINDS only
    theme: str = THEMES[0]
    poll_interval: int = 30       # seconds between asking the relay for arrivals
    guided: Optional[bool] = None  # かんたん操作: None until the first start has asked once


def settings_file(home: Optional[str] = None) -> Path:
    return config.paths(home).config / "app.json"


def validate(raw: object, file: str = "", relay_url: Optional[str] = None,
             retention_years: Optional[str] = None) -> Tuple[AppSettings, List[Problem]]:
    """Check every key; return the settings with bad values replaced by defaults, and ALL problems.
    ``relay_url`` and ``retention_years``, when given, are the office's (``office.json``) and are
    checked in the same pass, so the screen shows every problem at once."""
    problems: List[Problem] = []
    defaults = AppSettings()
    if not isinstance(raw, dict):
        return defaults, [Problem(file, "", "settings.problem.not_object")]
    known = {f.name for f in fields(AppSettings)}
    for key in raw:
        if key not in known:
            problems.append(Problem(file, str(key), "settings.problem.unknown_key"))
    values = asdict(defaults)
    for key in ("export_folder", "import_folder", "hook_command", "theme"):
        if key in raw:
            if not isinstance(raw[key], str):
                problems.append(Problem(file, key, "settings.problem.not_text", repr(raw[key])[:40]))
            else:
                values[key] = raw[key].strip()
    for key in ("export_folder", "import_folder"):
        v = values[key]
        if v and not Path(v).expanduser().is_dir():
            problems.append(Problem(file, key, "settings.problem.no_folder", v))
    if values["theme"] not in THEMES:
        problems.append(Problem(file, "theme", "settings.problem.theme", values["theme"]))
        values["theme"] = defaults.theme
    if values["hook_command"]:
        try:
            argv = shlex.split(values["hook_command"])
        except ValueError:
            argv = []
        if not argv:
            problems.append(Problem(file, "hook_command", "settings.problem.hook", values["hook_command"]))
            values["hook_command"] = ""
    if "poll_interval" in raw:
        n, bad = _whole_number(raw["poll_interval"], MIN_POLL, MAX_POLL, file, "poll_interval",
                               "settings.problem.poll_range")
        problems += bad
        if n is not None:
            values["poll_interval"] = n
    if "guided" in raw:
        if raw["guided"] is None or isinstance(raw["guided"], bool):
            values["guided"] = raw["guided"]
        else:
            problems.append(Problem(file, "guided", "settings.problem.not_bool", repr(raw["guided"])[:20]))
    if relay_url is not None:
        problems += check_relay_url(relay_url, file="office.json")
    if retention_years is not None:
        problems += check_retention_years(retention_years)[1]
    return AppSettings(**values), problems


def _whole_number(value: object, low: int, high: int, file: str, key: str,
                  range_code: str) -> Tuple[Optional[int], List[Problem]]:
    """``value`` (typed text or a JSON number) as a whole number in ``low``..``high``, or the problem."""
    try:
        n = int(str(value).strip())
    except ValueError:
        n = None
    if n is None or isinstance(value, bool):
        return None, [Problem(file, key, "settings.problem.not_number", str(value)[:20])]
    if not low <= n <= high:
        return None, [Problem(file, key, range_code, str(n))]
    return n, []


def check_retention_years(value: object, file: str = "office.json") -> Tuple[Optional[int], List[Problem]]:
    """The archive's retention (an office setting, ``office.json``): whole years, 1 to 100."""
    from tui_client.office.settings import RETENTION_MAX, RETENTION_MIN

    return _whole_number(value, RETENTION_MIN, RETENTION_MAX, file, "retention_years",
                         "settings.problem.retention_range")


def check_relay_url(url: str, file: str = "office.json") -> List[Problem]:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        return [Problem(file, "relay_url", "settings.problem.relay_url", url)]
    try:
        parts.port
    except ValueError:
        return [Problem(file, "relay_url", "settings.problem.relay_url", url)]
    return []


def load(home: Optional[str] = None) -> Tuple[AppSettings, List[Problem]]:
    p = settings_file(home)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppSettings(), []
    except (OSError, ValueError):
        return AppSettings(), [Problem(str(p), "", "settings.problem.unreadable")]
    return validate(raw, str(p))


def save(settings: AppSettings, home: Optional[str] = None) -> List[Problem]:
    """Write the settings; a full disk or a read-only folder is a problem, not a crash."""
    p = settings_file(home)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        return [Problem(str(p), "", "settings.problem.write", exc.strerror or type(exc).__name__)]
    return []


def save_office(office_settings, home: Optional[str] = None, *, relay_url: Optional[str] = None,
                retention_years: Optional[object] = None) -> List[Problem]:
    """Write the office's own settings the screen edits (relay URL, archive retention) to
    ``office.json``, only when every given value is right."""
    problems = check_relay_url(relay_url) if relay_url is not None else []
    years = None
    if retention_years is not None:
        years, bad = check_retention_years(retention_years)
        problems += bad
    if problems:
        return problems
    from tui_client.office import save_settings

    if relay_url is not None:
        office_settings.relay_url = relay_url.strip()
    if years is not None:
        office_settings.retention_years = years
    try:
        save_settings(office_settings, home)
    except OSError as exc:
        return [Problem("office.json", "relay_url" if relay_url is not None else "retention_years",
                        "settings.problem.write", exc.strerror or "")]
    return []
