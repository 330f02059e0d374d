"""Idempotent resend by content, against a real relay: an item is its name plus the SHA-256 of its
plain content. Re-running a batch after the relay went away mid-run sends the rest and puts nothing on
the error shelf (before: the delivered files were sealed again, the relay answered 409 "same name,
other content" and they landed on the shelf); a genuinely different file under a name the relay
still holds is a clear conflict. Exit codes follow docs: 1 = something still waiting."""

from __future__ import annotations

import threading

from relay.conftest import open_demo_office as _open
from tui_client import sample_certs
from tui_client.core import samples

CM, HC = "1370100011", "1370100029"



def _files(count: int):
    cmo, hc = samples.SampleOffice(CM, "43", "cm"), samples.SampleOffice(HC, "11", "hc")
    out = []
    for unit in range(count // 3):
        out += samples.use_bundle("202505", hc, samples.users(2, seed=unit), sender=cmo, providers=[hc],
                                  serial=f"2025042510{unit:02d}00")
    return out


def test_rerunning_a_batch_after_the_relay_went_away_mid_run_shelves_nothing(relay, tmp_path):
    from tui_client.cli.send import exit_code

    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files = _files(30)
    killed = []

    def progress(stage, name, done, total):
        if stage == "sent" and done == 10 and not killed:     # the relay goes away mid-run
            killed.append(name)
            relay.kill()

    cm.client.retries = 0
    first = cm.send(files, progress=progress)
    assert killed and first.sent and first.waiting and not first.shelved, first.findings
    assert exit_code(first) == 1                               # nothing lost: waiting, not an error
    delivered = set(first.sent)

    relay.start(same_port=True)
    again = cm.send(files)                                     # the user runs the same batch again
    assert again.shelved == [] and cm.error_shelf().total == 0, again.findings
    assert set(again.already_sent) == delivered                # recognised, never sealed again
    assert set(again.sent) | set(again.duplicates) | delivered == {n for n, _ in files}
    assert exit_code(again) == 0

    third = cm.send(files)                                     # and once more: everything is known
    assert sorted(third.already_sent) == sorted(n for n, _ in files) and not third.sent
    got = hc.receive()
    assert len(got.received) == 30 and not got.findings, got.findings
    cm.close()
    hc.close()


def test_the_same_name_with_other_content_is_a_conflict_said_before_sealing(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm, hc = _open("cm", relay, home), _open("homecare", relay, home)
    files = _files(3)
    assert len(cm.send(files).sent) == 3
    again = cm.send(files)
    assert sorted(again.already_sent) == sorted(n for n, _ in files) and not again.sent, again.findings
    cmo, hco = samples.SampleOffice(CM, "43", "cm"), samples.SampleOffice(HC, "11", "hc")
    other = samples.use_bundle("202505", hco, samples.users(2, seed=99), sender=cmo, providers=[hco],
                               serial="20250425100000")            # the same names, other people
    assert [n for n, _ in other] == [n for n, _ in files] and other != files
    report = cm.send(other)
    codes = [f.code for f in report.findings]
    assert codes.count("E-SEND-010") == 3 and not report.sent and cm.error_shelf().total == 0, codes
    from tui_client.catalog import finding_message

    message, fix = finding_message(report.findings[0])
    assert "取り下げ" in fix and message
    # Received or not, the relay keeps the name: still a conflict, and nothing lands on the shelf.
    assert len(hc.receive().received) == 3
    cm.sent_status()
    late = cm.send(other)
    assert [f.code for f in late.findings].count("E-SEND-010") == 3 and cm.error_shelf().total == 0
    cm.close()
    hc.close()


def test_a_409_for_an_item_whose_content_was_already_sent_counts_as_sent(relay, tmp_path):
    """An outbox item sealed again for a file the relay already holds (the sent record exists):
    the relay's "same name, other content" means it is delivered, not refused."""
    from tui_client.core import seal

    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    files = _files(3)
    assert len(cm.send(files).sent) == 3
    name, data = files[0]
    sealed, _ = seal.seal(data, name, cm.keystore, [sample_certs.certificate("homecare")],
                          recipient_office=HC)
    import hashlib

    cm.outbox_queue.enqueue(name, bytes(sealed), plaintext=data, kind="file", recipient=HC,
                            content_sha256=hashlib.sha256(data).hexdigest())
    report = cm.flush()
    assert report.already_sent == [name] and not report.shelved and cm.waiting() == [], report.findings
    cm.close()


def test_progress_comes_from_the_calling_thread_and_cancel_stops_between_items(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = _open("cm", relay, home)
    files = _files(30)
    caller = threading.get_ident()
    threads, cancel = set(), threading.Event()

    def progress(stage, name, done, total):
        threads.add(threading.get_ident())
        if stage == "sealed" and done == 12:
            cancel.set()

    report = cm.send(files, progress=progress, cancel=cancel)
    assert threads == {caller}
    assert report.cancelled and len(report.sent) + len(report.waiting) == len(report.queued) < 30
    rest = cm.send(files)                                      # nothing lost, nothing doubled
    assert set(rest.already_sent) == set(report.sent) and not rest.shelved
    assert len(rest.already_sent) + len(rest.sent) + len(rest.duplicates) == 30
    cm.close()


def test_send_without_files_flushes_the_outbox_and_says_waiting_with_exit_1(relay, tmp_path):
    """`tsunagi send` with no files used to answer "no files" (exit 4) while items waited."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = tmp_path / "pcs"
    cm = _open("cm", relay, str(home))
    _open("homecare", relay, str(home)).close()
    from tui_client.transport.clientdb import Batch

    batch = Batch(cm.db)
    for name, data in _files(6):
        assert cm.queue(name, data, batch=batch) == []
    batch.commit()
    cm.close()
    env = dict(os.environ, TSUNAGI_HOME=str(home), PYTHONPATH=str(Path(__file__).resolve().parents[2]))

    def tsunagi(*args):
        return subprocess.run([sys.executable, "-m", "tui_client", *args], capture_output=True, text=True,
                              encoding="utf-8", env=env, cwd=str(tmp_path), timeout=120)

    relay.kill()
    r = tsunagi("send", "--office", CM)
    assert r.returncode == 1 and "送信待ち" in r.stdout, r.stdout + r.stderr
    relay.start(same_port=True)
    r = tsunagi("send", "--office", CM)
    assert r.returncode == 0 and "送信しました（6件）" in r.stdout, r.stdout + r.stderr
    r = tsunagi("send", "--office", CM)
    assert r.returncode == 0, r.stdout + r.stderr
