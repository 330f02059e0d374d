"""`tsunagi demo`: practise the whole exchange with no configuration.

Without options it opens the app as the demo care manager (``ui/demo.py``: the other demo offices
work in the background). ``--script`` keeps the scripted run of the command line, described here:
it starts a local relay on a free loopback port (SQLite, DEMO certificates), sets up the demo offices of
``sample_certs`` (a care manager and two providers), writes a month of realistic sample files, and runs
the month as the command line would: the care manager checks and sends its bundles (routing plan,
progress bar), the providers receive, verify, store and acknowledge, send their 実績 back, and the care
manager sees the signed receipts. Everything lives in a demo folder that is recreated on each run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

DEMO_OFFICES = ("cm", "homecare", "day-main")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--script", action="store_true", help=t("cli.arg.demo_script"))
    p.add_argument("--keep", action="store_true", help=t("net.arg.demo_keep"))
    p.add_argument("--month", default="202505", help=t("cli.arg.month"))


def demo_home() -> Path:
    from tui_client import config

    base = os.environ.get(config.HOME_ENV)
    if base:
        return Path(base).expanduser().resolve() / "demo"
    import platformdirs

    return Path(platformdirs.user_data_dir(config.APP, appauthor=False)) / "demo"


def start_relay(home: Path, timeout: float = 60.0, options: Sequence[str] = ("--demo-offices",)):
    """A relay child process on a free loopback port; returns (process, url) or (None, "").
    ``options``: more `tsunagi relay` options (the demo's offices by default; the training sandbox
    passes its own certificates)."""
    import socket

    from tui_client.cli.relay import free_port

    logs = home / "state"
    logs.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        port = free_port()
        log = open(logs / "relay.log", "ab")
        env = dict(os.environ, TSUNAGI_HOME=str(home))
        proc = subprocess.Popen([sys.executable, "-m", "tui_client", "relay", "--port", str(port),
                                 "--database", str(logs / "relay.sqlite3"), *options,
                                 "--log-level", "warning"],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(home))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return proc, f"https://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        stop_relay(proc)
    return None, ""


def stop_relay(proc) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def month_files(offices: dict, month: str):
    """(care manager's files, {provider id: its 実績 file}) addressed to the demo offices."""
    from tui_client.core import samples

    def so(o, svc_index=0):
        return samples.SampleOffice(o.number, o.settings.services[svc_index], o.settings.name)

    cm = so(offices["cm"])
    providers = {k: so(offices[k]) for k in DEMO_OFFICES[1:]}
    people = samples.users(6, seed=1)
    files = []
    for i, p in enumerate(providers.values()):
        files += samples.plan_bundle(p, people, sender=cm, providers=list(providers.values()),
                                     serial=f"2025032810{i:02d}00")
        files += samples.use_bundle(month, p, people, sender=cm, providers=list(providers.values()),
                                    serial=f"2025042510{i:02d}00")
    actuals = {k: samples.actuals_file(month, p, people, care_manager=cm) for k, p in providers.items()}
    return files, actuals


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(t("relay.missing_extra"), file=sys.stderr)
        return 3
    if not getattr(args, "script", False) and sys.stdin.isatty() and sys.stdout.isatty():
        return run_app(args)      # without a terminal (a pipe, CI) the scripted run is the demo
    return run_script(args)


def run_app(args: argparse.Namespace) -> int:
    """The app as the demo care manager; the relay and the other offices stop when it closes."""
    from tui_client.ui.app import demo_app

    app = demo_app(args.month)
    app.run()
    return int(app.return_code or 0)


def run_script(args: argparse.Namespace) -> int:
    from tui_client.catalog import t
    from tui_client import office as office_mod
    from tui_client import sample_certs
    from tui_client.cli.batch import Progress, render_plan
    from tui_client.cli.receive import print_received
    from tui_client.cli.send import exit_code, print_findings, print_report

    home = demo_home()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    print(t("demo.title"))
    proc, url = start_relay(home)
    if proc is None:
        print(t("demo.relay_failed"), file=sys.stderr)
        return 3
    worst = 0
    opened = {}
    try:
        print(t("demo.relay", url=url))
        for demo_id in DEMO_OFFICES:
            office_mod.setup_demo_office(demo_id, url, str(home))
            o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=str(home))
            if o is None:
                print_findings(findings, sys.stderr)
                return 3
            opened[demo_id] = o
        print(t("demo.offices"))
        for o in opened.values():  # one office a line: three names do not fit 80 columns
            print(f"  {o.number}  {o.settings.name}")
        files, actuals = month_files(opened, args.month)
        folder = home / "files" / opened["cm"].number
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (folder / name).write_bytes(data)

        cm = opened["cm"]
        providers = [opened[k] for k in DEMO_OFFICES[1:]]
        print()
        print(t("demo.step_send", sender=cm.number, recipient="、".join(p.number for p in providers)))
        prepared = cm.prepare(files)
        render_plan(prepared, sys.stdout)
        report = cm.send(files, prepared=prepared, progress=Progress(sys.stdout))
        print_report(report)
        worst = max(worst, exit_code(report))

        for k, p in zip(DEMO_OFFICES[1:], providers):
            print()
            print(t("demo.step_receive", recipient=p.number))
            got = p.receive()
            print_received(got)
            print_findings(got.findings)
            rep = p.send([actuals[k]])
            print_report(rep)
            worst = max(worst, exit_code(rep))

        print()
        print(t("demo.step_receipts", sender=cm.number))
        got = cm.receive()
        print_received(got)
        status, findings = cm.sent_status()
        print_findings(got.findings + findings)
        states = {}
        for rec in status:
            states[rec.get("state")] = states.get(rec.get("state"), 0) + 1
        print("  " + "、".join(f"{t('net.state.' + str(s))}: {n}" for s, n in sorted(states.items())))
        print()
        print(t("demo.done", home=str(home)))
        if args.keep:
            print(t("demo.keep", home=str(home)))
            try:
                while proc.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        return worst
    finally:
        for o in opened.values():
            o.close()
        stop_relay(proc)
