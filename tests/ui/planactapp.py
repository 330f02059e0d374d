"""Offices for the plan-vs-actual and change-view screen tests: real demo offices whose client
store holds the planted files of ``tests/planacthelp.py``, archived as sending and receiving archive
them (fixed times), hosted by the inbox tests' small app. Imported by basename (tests/ui is not a
package)."""

from __future__ import annotations

import hashlib

from inboxhelp import T0, received_office
from tests.planacthelp import bundle, demo_parties, edited, people, planted
from tui_client.core.spec.filenames import parse_filename


def _sent(office, files):
    for n, (name, data) in enumerate(files):
        p, _ = parse_filename(name)
        rec = {"name": name, "kind": "file", "recipient": p.recipient, "recipient_service": p.recipient_service,
               "sent_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ"), "content_sha256": hashlib.sha256(data).hexdigest(),
               "size": len(data), "relay_id": f"sent-{n:03d}", "state": "received"}
        office.db.archive_put("sent", name, rec, data, state="received")


def care_manager_office(home: str):
    """The demo care manager: the planted 第6表 set sent to home help, its 実績 received back."""
    cm, hc, day = demo_parties()
    plan, actual, expected = planted(cm, hc, day)
    office = received_office(home, [actual], demo_id="cm")
    _sent(office, bundle(plan, people(), hc, cm))
    return office, expected


def provider_office(home: str):
    """Demo home help: two versions of a month's 第6表 set received (the second replaces the first)."""
    cm, hc, day = demo_parties()
    old, new, expected = edited(cm, hc, day)
    us = people()
    office = received_office(home, bundle(old, us[:5], hc, cm) + bundle(new, us[1:], hc, cm), demo_id="homecare")
    return office, old[0], new[0], expected
