"""`tsunagi training`: the trainer's sandbox.

    tsunagi training list                    the scenarios (built-in and --scenarios DIR)
    tsunagi training start first-send        a fresh sandbox and the app with the step panel
    tsunagi training reset first-send        the seat's sandbox and progress back to the start
    tsunagi training check my.toml           a trainer's scenario file checked, problems by line
    tsunagi training room                    every seat's step and mistakes, printed once
    tsunagi training classroom --seats 20    N seats, one relay, and the trainer's live view

Each seat (``--seat``, default "席01") has its own folder under the training folder (``--dir``, default
the training folder in this PC's Tsunagi data): ``world/`` (relay, offices, folders) and ``run.json``
(the step and the mistakes, which ``room`` reads). In a classroom, ``start`` finds the room's
``classroom.json`` and uses its relay and the seat's own office numbers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ACTIONS = ("list", "start", "reset", "check", "room", "classroom")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("action", choices=ACTIONS, help=t("training.arg.action"))
    p.add_argument("scenario", nargs="*", help=t("training.arg.scenario"))
    p.add_argument("--dir", help=t("training.arg.dir"))
    p.add_argument("--seat", default=t("training.seat.name", n=1), help=t("training.arg.seat"))
    p.add_argument("--scenarios", action="append", default=[], help=t("training.arg.scenarios"))
    p.add_argument("--seats", type=int, default=0, help=t("training.arg.seats"))


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
    if args.action == "classroom":
        return classroom(base, args.seats)
    if len(args.scenario) != 1 or args.scenario[0] not in scenarios:
        _print_findings([make("E-TRAIN-016", value=" ".join(args.scenario))])
        return 4
    chosen = scenarios[args.scenario[0]]
    from tui_client.training import classroom as cr

    room_ = cr.read(base)
    number = 1
    if room_ is not None:
        number = room_.seat_number(args.seat)
        if number is None:
            print(t("training.seat.unknown", seat=args.seat, seats="、".join(room_.seats)), file=sys.stderr)
            return 4
    seat = base / args.seat
    shutil.rmtree(seat / "world", ignore_errors=True)     # the seat's certificates are kept
    try:
        (seat / "run.json").unlink()
    except OSError:
        pass
    if args.action == "reset":
        print(t("training.reset.done", title=chosen.title, dir=seat))
        return 0
    from tui_client.ui.training import training_app

    app = training_app(chosen, seat, args.seat, seat=number, relay_url=room_.relay_url if room_ else "",
                       ca_folder=base / "ca" if room_ else None)
    app.run()
    return int(app.return_code or 0)


def room(base: Path) -> int:
    """Every seat's scenario, step, state and mistakes, printed once (for scripts and a quick look)."""
    from tui_client.catalog import t
    from tui_client.core.safetext import printable
    from tui_client.training.classroom import room_rows

    print(t("training.room.header", dir=base))
    rows = [r for r in room_rows(base) if r.steps]
    if not rows:
        print(t("training.room.none"))
    for r in rows:
        state = t("training.room.finished") if r.finished else t("training.room.working")
        print(t("training.room.line", seat=printable(r.seat), title=printable(r.title), step=r.step,
                steps=r.steps, state=state, mistakes=r.mistakes))
        if r.last_mistake:
            print(t("training.room.last", say=printable(r.last_mistake)))
    return 0


def classroom(base: Path, seats: int) -> int:
    """Prepare ``seats`` seats, start the room's one relay, and show the trainer's live view until
    the trainer quits (then the relay stops and seats started later run their own)."""
    from tui_client.catalog import t
    from tui_client.cli.demo import start_relay, stop_relay
    from tui_client.training import certs
    from tui_client.training import classroom as cr

    if not 1 <= seats <= certs.MAX_SEATS:
        print(t("training.arg.seats"), file=sys.stderr)
        return 4
    room_ = cr.prepare(base, seats)
    server = certs.relay_server_files(base / "ca")
    proc, url = start_relay(base / "relay", options=(
        "--cert", str(server["cert"]), "--key", str(server["key"]), "--ca", str(server["ca"]),
        # a seat started again is a new "PC": it must not be handed its earlier attempt's items
        "--keep-received-days", "0"))
    if proc is None:
        print(t("training.classroom.relay_failed", dir=base / "relay" / "state"), file=sys.stderr)
        return 3
    room_ = cr.Classroom(room_.folder, url, room_.seats)
    cr.write(room_)
    print(t("training.classroom.ready", count=seats, url=url))
    print(t("training.classroom.seat_hint", dir=base))

    def stop() -> None:
        cr.end(base)
        stop_relay(proc)

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        try:                                   # no terminal: keep the relay up until interrupted
            proc.wait()
        except KeyboardInterrupt:
            pass
        stop()
        return 0
    from tui_client.ui.training import RoomApp

    RoomApp(base, room_.seats, url=url, background=stop).run()
    return 0
