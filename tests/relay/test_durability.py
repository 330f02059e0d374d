"""The relay keeps what it acknowledged: a 201 never leaves before the disk syncs that cover it.

A real relay on a thread of this process (real TLS, real uploads from the office client) with its
SQLite storage as ``tsunagi relay`` opens it. What makes bytes durable is recorded in one list, in
the order it happens: each SQLite ``COMMIT`` with the connection's ``synchronous`` level (FULL:
SQLite syncs the WAL, which holds the sealed contents too, before COMMIT returns), each stored
group's ids, and each answer's status and id as the relay hands it to the server. Every 201 must
come after the synced commit of its group. (Contents live in the rows: the content files of earlier
relays, synced separately, are gone; see docs/benchmarks.md.)"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tui_client import sample_certs
from tui_client.core import seal
from tui_client.relay.storage import SQLiteStorage, open_storage

from .conftest import DemoOffice
from .inthread import InThreadRelay

FULL = 2  # PRAGMA synchronous


def test_sqlite_relays_are_durable_by_default(tmp_path):
    storage = open_storage(str(tmp_path / "relay.sqlite3"))
    try:
        assert storage._conn().execute("PRAGMA synchronous").fetchone()[0] == FULL
        assert storage._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        storage.close()


def _recording(events: list, monkeypatch, storage):
    """Record the commits and stored groups of ``storage`` into ``events``."""
    real_execute = SQLiteStorage._execute

    def execute(self, sql, params=(), *, fetch=True):
        level = self._conn().execute("PRAGMA synchronous").fetchone()[0] if sql == "COMMIT" else None
        out = real_execute(self, sql, params, fetch=fetch)
        if sql == "COMMIT":
            events.append(("commit", level))
        return out

    monkeypatch.setattr(SQLiteStorage, "_execute", execute)
    real_put = storage.put_items

    def put_items(batch):
        events.append(("group",))
        results = real_put(batch)
        events.append(("stored", {r[0] for r in results if not isinstance(r, Exception)}))
        return results

    storage.put_items = put_items


def _answers(events: list):
    """ASGI wrapper recording each upload answer (status, id) when the app sends it."""

    def wrap(app):
        async def recorded(scope, receive, send):
            state = {}

            async def sending(message):
                if message["type"] == "http.response.start":
                    state["status"] = message["status"]
                    state["at"] = len(events)
                    events.append(("answer", message["status"], None))
                elif message["type"] == "http.response.body" and "at" in state and scope["method"] == "POST":
                    body = json.loads(message.get("body") or b"{}")
                    events[state["at"]] = ("answer", state["status"], body.get("id"))
                await send(message)

            await app(scope, receive, sending)

        return recorded

    return wrap


def test_no_201_before_the_synced_commit_that_covers_it(tmp_path, monkeypatch):
    events: list = []
    storage = open_storage(str(tmp_path / "relay.sqlite3"))   # as `tsunagi relay` opens it
    _recording(events, monkeypatch, storage)
    with InThreadRelay(storage, wrap=_answers(events)) as relay:
        cm = DemoOffice("cm", relay.url)
        home = sample_certs.certificate("homecare")
        hc_number = sample_certs.office("homecare")["office_number"]
        names = [f"UPPLAN_202505_{cm.number}_43_{hc_number}_11_2025042510{i:04d}.CSV" for i in range(24)]
        sealed = {}
        for n in names:
            data, findings = seal.seal(b"1,2,3\r\n", n, cm.keystore, [home])
            assert data is not None, findings
            sealed[n] = bytes(data)
        clients = [DemoOffice("cm", relay.url) for _ in range(4)]
        try:
            with ThreadPoolExecutor(4) as pool:  # concurrent uploads: groups of several
                ids = list(pool.map(lambda i: clients[i % 4].client.upload(names[i], sealed[names[i]]).id,
                                    range(len(names))))
        finally:
            for c in clients + [cm]:
                c.close()

    answered = [(i, e[2]) for i, e in enumerate(events) if e[0] == "answer" and e[1] == 201]
    assert sorted(a for _, a in answered) == sorted(ids) and len(set(ids)) == len(names)
    groups = [i for i, e in enumerate(events) if e[0] == "group"]
    for at, item_id in answered:
        stored = [i for i, e in enumerate(events) if e[0] == "stored" and item_id in e[1]]
        assert stored and stored[0] < at, f"201 for {item_id} before its group was stored"
        begin = max(g for g in groups if g < stored[0])
        inside = events[begin:stored[0]]
        commits = [k for k, e in enumerate(inside) if e[0] == "commit"]
        assert commits and inside[commits[-1]][1] == FULL, "the group's commit did not sync (synchronous < FULL)"
