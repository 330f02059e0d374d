"""The floor for bench_relay.py (``--against floor``): bare_app.py plus exactly the durable work the
relay does per upload, and nothing else.

Per upload: read the whole body, queue it for the relay's own writer thread (``ItemWriter``: group
commit, answered after the commit) and store it with the relay's own ``Storage.put_items`` (SQLite
WAL with ``synchronous=FULL``, the content in the row; or PostgreSQL), then answer 201 with the
relay's JSON. Left out: everything that is not the durable write — client-certificate identity,
the filename grammar (routing), the directory lookup, the SHA-256 and envelope checks
(``store_group``), the per-group log record, mailbox wake-ups, FastAPI. The name is the ``name=``
query parameter as sent; the routing facts are the benchmark's fixed offices.

The database URL comes from ``TSUNAGI_FLOOR_DATABASE`` (the schema must exist: bench_relay.py
creates it before the workers start, as ``tsunagi relay`` does). ``TSUNAGI_FLOOR_WRITE=0`` (an
experiment, docs/benchmarks.md) keeps the writer thread and its hand-off but stores nothing: what
the hand-off alone costs the event loop.
"""

import os

from tui_client.relay.storage import NewItem, open_storage
from tui_client.relay.writer import ItemWriter

CM, HC = "1370100011", "1370100029"
JSON = [(b"content-type", b"application/json")]


def _store(storage, group):
    """The writer's group store without the checks: the storage write alone."""
    if os.environ.get("TSUNAGI_FLOOR_WRITE") == "0":
        return [("0" * 32, False)] * len(group)
    try:
        return storage.put_items(group)
    except Exception as exc:  # StorageError (or a bug): every upload of the group gets it, as in store_group
        return [exc] * len(group)


_writer = None


def _the_writer() -> ItemWriter:
    global _writer
    if _writer is None:  # in the worker process (uvicorn imports the module there)
        _writer = ItemWriter(open_storage(os.environ["TSUNAGI_FLOOR_DATABASE"]), store=_store)
    return _writer


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    parts = []
    more = True
    while more:
        message = await receive()
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(parts)
    name = scope["query_string"][5:].decode("latin-1")  # b"name=…"
    digest = dict(scope["headers"]).get(b"x-tsunagi-sha256", b"").decode("latin-1")
    item = NewItem("file", name, digest, len(body), CM, "43", HC, "11")
    try:
        item_id, duplicate = await _the_writer().put(item, body)
        status = 200 if duplicate else 201
        payload = f'{{"id":"{item_id}","duplicate":{"true" if duplicate else "false"}}}'.encode("ascii")
    except Exception:  # StorageError, Conflict: the benchmark counts it as an error
        status, payload = 503, b'{"code":"unavailable"}'
    await send({"type": "http.response.start", "status": status,
                "headers": JSON + [(b"content-length", str(len(payload)).encode("ascii"))]})
    await send({"type": "http.response.body", "body": payload})
