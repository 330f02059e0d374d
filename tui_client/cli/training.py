"""`tsunagi training`: the trainer's sandbox.

    tsunagi training list                    the scenarios (built-in and --scenarios DIR)
    tsunagi training start first-send        a fresh sandbox and the app with the step panel
    tsunagi training reset first-send        the seat's sandbox and progress back to the start
    tsunagi training check my.toml           a trainer's scenario file checked, problems by line
    tsunagi training room                    every seat's step and mistakes (the trainer's view)

Each seat (``--seat``, default "席01") has its own folder under the training folder (``--dir``, default
the training folder in this PC's Tsunagi data): ``world/`` (relay, offices, folders) and ``run.json``
(the step and the mistakes, which ``room`` reads).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ACTIONS = ("list", "start", "reset", "check", "room")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("action", choices=ACTIONS, help=t("training.arg.action"))
    p.add_argument("scenario", nargs="*", help=t("training.arg.scenario"))
    p.add_argument("--dir", help=t("training.arg.dir"))
    p.add_argument("--seat", default="席01", help=t("training.arg.seat"))
    p.add_argument("--scenarios", action="append", default=[], help=t("training.arg.scenarios"))


def training_dir(given=None) -> Path:
    if given:
        return Path(given).expanduser().resolve()
    from tui_client.cli.demo import demo_home

    return demo_home().parent / "training"


def _print_findings(findings) -> None:
    from tui_client.catalog import finding_message

    for f in findings:
        message, fix = finding_message(f)
        print(message, file=sys.stderr)
        print("  → " + fix, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t
    from tui_client.core.findings import make, worst_exit_code
    from tui_client.training import scenario as sc

    base = training_dir(args.dir)
    if args.action == "check":
        worst = 0
        for name in args.scenario:
            found, problems = sc.load(Path(name))
            _print_findings(problems)
            if found is not None:
                print(t("training.check.ok", file=name, steps=len(found.steps)))
            worst = max(worst, worst_exit_code(problems))
        return worst if args.scenario else 4
    scenarios, problems = sc.available([Path(d) for d in args.scenarios])
    _print_findings(problems)
    if args.action == "list":
        print(t("training.list.header"))
        for s in scenarios.values():
            print(t("training.list.line", id=s.id, title=s.title, steps=len(s.steps)))
        return 0
    if args.action == "room":
        return room(base)
    if len(args.scenario) != 1 or args.scenario[0] not in scenarios:
        _print_findings([make("E-TRAIN-016", value=" ".join(args.scenario))])
        return 4
    chosen = scenarios[args.scenario[0]]
    seat = base / args.seat
    shutil.rmtree(seat, ignore_errors=True)
    if args.action == "reset":
        print(t("training.reset.done", title=chosen.title, dir=seat))
        return 0
    from tui_client.ui.training import training_app

    app = training_app(chosen, seat, args.seat)
    app.run()
    return int(app.return_code or 0)


def room(base: Path) -> int:
    """Every seat's scenario, step, state and mistakes, as the trainer sees the room."""
    from tui_client.catalog import t
    from tui_client.core.safetext import printable
    from tui_client.training.run import read_state

    print(t("training.room.header", dir=base))
    states = [(p.parent.name, read_state(p)) for p in sorted(base.glob("*/run.json"))]
    states = [(seat, s) for seat, s in states if s]
    if not states:
        print(t("training.room.none"))
    for seat, s in states:
        state = t("training.room.finished") if s.get("finished") else t("training.room.working")
        mistakes = s.get("mistakes") or []
        print(t("training.room.line", seat=printable(seat), title=printable(str(s.get("title"))),
                step=min(int(s.get("step") or 0) + 1, int(s.get("steps") or 0)), steps=s.get("steps"),
                state=state, mistakes=len(mistakes)))
        if mistakes:
            print(t("training.room.last", say=printable(str(mistakes[-1].get("say")))))
    return 0
