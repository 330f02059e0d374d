"""The relay's HTTP API (FastAPI). Paths, shapes and error codes come from ``core.wire``.

Every request is made by an office, identified by the TLS client certificate the server required
during the handshake (``protocol.py`` puts it in the scope; ``calling_office`` is the one place that
reads it). An office sees and touches only its own items: another office's item answers exactly as a
missing one does (404), so ids reveal nothing.

Nothing here blocks the event loop: storage and CMS checks run on threads (``def`` routes run on
FastAPI's thread pool; ``async`` ones hand their blocking work to it), uploads go to the writer
thread (``writer.py``).

Logged: item names, office numbers, sizes, digests, ids, times. Never content, never receipts'
contents, never anything from inside a seal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from typing import Callable, List, Optional, Sequence

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from typing_extensions import Annotated

from tui_client.core import route as routing
from tui_client.core import wire
from tui_client.relay import identity
from tui_client.relay.envelope import Refused
from tui_client.relay.settings import SETTINGS_ENV, RelaySettings
from tui_client.relay.storage import (DEFAULT_KEEP_RECEIVED_DAYS, Conflict, Gone, NewItem, NotFound, Storage,
                                      StorageError, open_storage)
from tui_client.relay.writer import ItemWriter

log = logging.getLogger("tsunagi.relay")

_ID = re.compile(r"[0-9a-f]{32}\Z")
_DIGEST = re.compile(r"[0-9a-f]{64}\Z")
_OFFICE = re.compile(r"\d{10}\Z")
_SERVICE = re.compile(r"[0-9A-Z]{2}\Z")
MAX_NAME = 200          # an office's display name, characters
MAX_SERVICES = 50
MAX_RECEIPT = 1024 * 1024

#: Checks a receipt for an item: (receipt DER, item info, recipient certificates DER) → error detail
#: or None when valid.
ReceiptCheck = Callable[[bytes, wire.ItemInfo, Sequence[bytes]], Optional[str]]


class Refusal(Exception):
    """An answer with one of the wire's error codes; ``field`` names the request part that is wrong."""

    def __init__(self, code: str, detail: str, field: Optional[str] = None, findings: Sequence[str] = ()):
        super().__init__(code, detail)
        self.code, self.detail, self.field, self.findings = code, detail, field, tuple(findings)

    def answer(self):
        """(HTTP status, JSON body)."""
        return wire.ERRORS[self.code].status, wire.error_body(self.code, self.detail, self.findings, self.field)


def refuse(code: str, detail: str = "", field: Optional[str] = None, findings: Sequence[str] = ()) -> JSONResponse:
    status, body = Refusal(code, detail, field, findings).answer()
    return JSONResponse(body, status_code=status)


def office_of_scope(scope) -> Optional[str]:
    """The office number of the connection's client certificate, or None (no office certificate)."""
    der = scope.get("extensions", {}).get("tls", {}).get("client_cert")
    return identity.office_of(der) if der else None


async def calling_office(request: Request) -> str:
    """The one check of the caller: every route depends on it (``Office``). ``async``: the decision
    is cached per certificate, a thread hop would cost more than it."""
    office = office_of_scope(request.scope)
    if office is None:
        raise Refusal(wire.AUTH, "no office certificate")
    return office


Office = Annotated[str, Depends(calling_office)]


async def item_id_of(item_id: str) -> str:
    """A well-formed item id; anything else answers as a missing item does."""
    if not _ID.match(item_id):
        raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
    return item_id


ItemId = Annotated[str, Depends(item_id_of)]


async def device_of(device: Annotated[Optional[str], Header(
        alias=wire.H_DEVICE, description=(
            "This PC's device id (8-64 of A-Z a-z 0-9 -). With it every PC of the office gets each "
            "item; without it the first acknowledgement takes the item from every PC's list."))] = None
                    ) -> Optional[str]:
    """The caller's device id (one PC of the office), None when the request names none; a malformed
    one is refused, never ignored (the PC would otherwise silently lose its own list)."""
    if device is None:
        return None
    if not wire.DEVICE_ID.match(device):
        raise Refusal(wire.BAD_PARAMETER, "device id must be 8-64 characters of A-Z a-z 0-9 -", wire.H_DEVICE)
    return device


Device = Annotated[Optional[str], Depends(device_of)]


def _errors(*codes: str) -> dict:
    out: dict = {}
    for c in codes:
        status = wire.ERRORS[c].status
        out.setdefault(status, {"model": wire.ErrorBody, "description": ", ".join(
            x for x in codes if wire.ERRORS[x].status == status)})
    return out


_BINARY = {"schema": {"type": "string", "format": "binary"}}


# --- who is on the system, who waits for what ---------------------------------------------

class DirectoryCache:
    """Who is on the system, cached for a few seconds: every upload asks, registrations are rare.
    Several relay processes each keep their own; a new office is routable everywhere within ``ttl``."""

    def __init__(self, storage: Storage, ttl: float = 5.0):
        self.storage = storage
        self.ttl = ttl
        self._entries: dict = {}

    async def services(self, office: str) -> Optional[List[str]]:
        """The office's registered service codes ([] = none registered), or None when not on the
        system. A miss asks the storage on a thread."""
        now = time.monotonic()
        hit = self._entries.get(office)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = await run_in_threadpool(self._lookup, office)
        if len(self._entries) > 100_000:
            self._entries.clear()
        self._entries[office] = (now, value)
        return value

    def _lookup(self, office: str) -> Optional[List[str]]:
        return self.storage.services(office) if self.storage.is_registered(office) else None

    def forget(self, office: str) -> None:
        self._entries.pop(office, None)


class Arrivals:
    """Wakes mailbox requests that wait (``?wait=``) when an item for their office is stored by this
    process. Items stored by another relay process are seen by the waiting request's own re-check
    (every second), so several processes need nothing shared but the database."""

    def __init__(self):
        self._events: dict = {}

    def notify(self, office: str) -> None:
        event = self._events.pop(office, None)
        if event is not None:
            event.set()

    async def wait(self, office: str, timeout: float) -> None:
        event = self._events.get(office)
        if event is None:
            event = self._events[office] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass


_NOT_BARE = re.compile(r"[/\\\x00-\x1f\x7f]")


def bare_name_problem(name: str) -> Optional[str]:
    """Why ``name`` is not a bare file name, or None. The filename grammar reads the last path part
    only, so ``../UPPLAN_…`` would otherwise be stored as ``UPPLAN_…``: a name is refused instead of
    being changed."""
    if not name:
        return "name missing"
    bad = _NOT_BARE.search(name)
    if bad is None:
        return None
    if bad.group() in "/\\":
        return "name must be a bare file name, without a folder part"
    return "name must not contain control characters"


async def accept_upload(writer: ItemWriter, directory: DirectoryCache, office: Optional[str], name: str,
                        declared: str, length: Optional[str], chunks, max_item_bytes: int):
    """The upload operation, whatever carries it: (HTTP status, JSON body).

    Checks, in order: the caller's certificate, the name (a bare name; the filename grammar or a
    message name), that the caller is the sender in the name, the size, the form of the digest
    header, the recipient (and its site); then the writer checks the digest and the envelope and
    stores idempotently on name + digest. Answers only after what it acknowledges is on disk."""
    try:
        return await _accept(writer, directory, office, name, declared, length, chunks, max_item_bytes)
    except Refusal as r:
        return r.answer()


async def _accept(writer, directory, office, name, declared, length, chunks, max_item_bytes):
    if office is None:
        raise Refusal(wire.AUTH, "no office certificate")
    problem = bare_name_problem(name)
    if problem:
        raise Refusal(wire.BAD_NAME, problem, "name")
    r, findings = routing.route(name)
    if r is None:
        raise Refusal(wire.BAD_NAME, "name does not follow the filename grammar", "name",
                      [f.code for f in findings if f.blocks_sending])
    if r.sender != office:
        raise Refusal(wire.SENDER_MISMATCH, "certificate office is not the sender in the name", "name")
    if length is not None and length.isdigit() and int(length) > max_item_bytes:
        raise _too_large(max_item_bytes)
    declared = declared.lower()
    if not _DIGEST.match(declared):
        raise Refusal(wire.BAD_DIGEST, "digest header missing or not a SHA-256 in hex", wire.H_DIGEST)
    parts = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_item_bytes:
            raise _too_large(max_item_bytes)
        parts.append(chunk)
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    services = await directory.services(r.recipient)
    if services is None:
        raise Refusal(wire.UNKNOWN_RECIPIENT, "recipient office is not on the system", "name")
    if r.recipient_service and services and r.recipient_service not in services:
        raise Refusal(wire.UNKNOWN_SERVICE, "recipient office has no site with that service type", "name")
    item = NewItem(r.kind, r.name, declared, size, r.sender, r.sender_service, r.recipient, r.recipient_service)
    try:
        item_id, duplicate = await writer.put(item, body)
    except Refused as exc:
        raise Refusal(exc.code, exc.detail, wire.H_DIGEST if exc.code == wire.BAD_DIGEST else "body")
    except Conflict:
        raise Refusal(wire.NAME_CONFLICT, "name already stored with other content", "name")
    return (200 if duplicate else 201), _upload_answer(item_id, duplicate)


async def _capped_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (BATCH_TOO_LARGE) as soon as it is announced or read past ``limit``."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise Refusal(wire.BATCH_TOO_LARGE, f"body: at most {limit} bytes", "body")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal(wire.BATCH_TOO_LARGE, f"body: at most {limit} bytes", "body")
        parts.append(chunk)
    return b"".join(parts)


def _ack_entries(body: bytes) -> List[tuple]:
    """(item id, receipt bytes or None when not base64) of a batch acknowledgement's JSON body;
    a body of another shape is refused as a whole (BAD_PARAMETER), too many items BATCH_TOO_LARGE."""
    import base64
    import binascii

    try:
        doc = json.loads(body)
    except ValueError:
        raise Refusal(wire.BAD_PARAMETER, "body is not JSON", "body")
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("receipt"), str) for e in items):
        raise Refusal(wire.BAD_PARAMETER, 'body must be {"items": [{"id", "receipt"}, …]}', "items")
    if len(items) > wire.MAX_ACK_BATCH_ITEMS:
        raise Refusal(wire.BATCH_TOO_LARGE, f"at most {wire.MAX_ACK_BATCH_ITEMS} items", "items")
    out = []
    for e in items:
        try:
            receipt = base64.b64decode(e["receipt"], validate=True)
        except (binascii.Error, ValueError):
            receipt = None
        out.append((e["id"], receipt))
    return out


def _too_large(limit: int) -> Refusal:
    return Refusal(wire.TOO_LARGE, f"limit {limit} bytes", "body")


def _upload_answer(item_id: str, duplicate: bool) -> str:
    """``wire.UploadResult(item_id, duplicate).to_json()`` as JSON text, written out directly (an id
    is 32 hex digits: nothing to escape); the JSON encoder costs more than the rest of the answer."""
    return f'{{"id":"{item_id}","duplicate":{"true" if duplicate else "false"}}}'


def _payload(body) -> bytes:
    """The bytes of what ``accept_upload`` answered: JSON text as it is, a refusal's dict encoded."""
    if isinstance(body, str):
        return body.encode("ascii")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _name_parameter(qs: bytes) -> str:
    """The ``name`` query parameter, as the documented route reads it ("" when absent). Plain
    ``name=…`` (what clients send) without parsing; anything else as ``parse_qs`` reads it."""
    if qs.startswith(b"name=") and not any(c in qs for c in (b"&", b"%", b"+")):
        return qs[5:].decode("latin-1")
    if not qs:
        return ""
    from urllib.parse import parse_qs

    try:
        return parse_qs(qs.decode("latin-1"), keep_blank_values=True).get("name", [""])[0]
    except ValueError:
        return ""


async def _body_chunks(receive):
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        more = message.get("more_body", False)


class FastUpload:
    """The relay as served: ``POST /v1/items`` (the hot path) is answered here, in front of FastAPI;
    every other request goes on to the FastAPI app. FastAPI's request, dependency and response
    machinery doubled the relay's CPU time per upload (docs/benchmarks.md: 850–880 µs against
    450–460 µs, durable). The same ``accept_upload``, hence the same checks and answers, as the
    documented route."""

    def __init__(self, app: FastAPI):
        self.app = app
        self.writer: ItemWriter = app.state.writer
        self.directory: DirectoryCache = app.state.directory
        self.max_item_bytes: int = app.state.max_item_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != wire.ITEMS or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        try:
            status, body = await accept_upload(
                self.writer, self.directory, office_of_scope(scope), _name_parameter(scope.get("query_string", b"")),
                headers.get(_DIGEST_HEADER, b"").decode("latin-1"),
                length.decode("latin-1") if length is not None else None, _body_chunks(receive),
                self.max_item_bytes)
        except StorageError:
            status, body = Refusal(wire.UNAVAILABLE, "storage busy or unavailable; retry later").answer()
        except Exception:  # a bug: logged, answered as the FastAPI app would
            log.exception("internal error on upload")
            status, body = Refusal(wire.INTERNAL, "internal error").answer()
        payload = _payload(body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": payload})


_DIGEST_HEADER = wire.H_DIGEST.lower().encode("ascii")


def seed_offices(storage: Storage, entries: Sequence[dict]) -> None:
    """Put offices on the system: [{"office", "services", "name", "certificates_pem": [...]}]."""
    for entry in entries:
        storage.register_office(entry["office"], entry.get("services") or [], entry.get("name") or "")
        for pem in entry.get("certificates_pem") or []:
            storage.add_certificate(entry["office"], identity.pem_to_der(pem))


def app_from_env() -> FastUpload:
    """uvicorn factory: each worker process builds its app from the settings in the environment."""
    settings = RelaySettings.from_env(os.environ[SETTINGS_ENV])
    storage = open_storage(settings.database)
    return FastUpload(create_app(storage, max_item_bytes=settings.max_item_bytes, max_wait=settings.max_wait,
                                 keep_received_days=settings.keep_received_days))


def create_app(storage: Storage, *, max_item_bytes: int = wire.DEFAULT_MAX_ITEM_BYTES,
               receipt_check: Optional[ReceiptCheck] = None,
               max_wait: float = float(wire.DEFAULT_MAILBOX_WAIT),
               keep_received_days: int = DEFAULT_KEEP_RECEIVED_DAYS) -> FastAPI:
    check_receipt = receipt_check or identity.check_receipt
    app = FastAPI(
        title="Tsunagi relay",
        version=wire.API_VERSION,
        description=(
            "Routes sealed care-plan files and messages between offices. Every request needs a TLS "
            "client certificate of an office (the relay's trusted CA); the office number in it is the "
            "caller. Refusals carry a stable error code (E-RELAY-…), say whether a retry can help, and "
            "name the field that is wrong where there is one. An upload is answered only once it is on "
            "disk."),
    )
    app.state.storage = storage
    dir_cache = DirectoryCache(storage)
    arrivals = Arrivals()
    writer = ItemWriter(storage, arrivals)
    app.state.writer, app.state.directory, app.state.max_item_bytes = writer, dir_cache, max_item_bytes

    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal):
        status, body = exc.answer()
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        where = [".".join(str(x) for x in e.get("loc", ())[1:]) or str(e.get("loc", ("",))[0])
                 for e in errors[:5]]
        return refuse(wire.BAD_PARAMETER, f"invalid request: {', '.join(where)}", where[0] if where else None)

    @app.exception_handler(StorageError)
    async def _storage_error(request: Request, exc: StorageError):
        log.warning("storage unavailable: %s", type(exc).__name__)
        return refuse(wire.UNAVAILABLE, "storage busy or unavailable; retry later")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):  # pragma: no cover - a bug, logged
        log.exception("internal error on %s %s", request.method, request.url.path)
        return refuse(wire.INTERNAL, "internal error")

    @app.post(wire.ITEMS, status_code=201, response_model=wire.UploadResult,
              summary="Upload a sealed item (care-plan file or message)",
              description="Answered once the item is on disk (fsync); the client may then forget it.",
              responses={200: {"model": wire.UploadResult, "description": "already stored (same name and digest)"},
                         **_errors(wire.AUTH, wire.SENDER_MISMATCH, wire.BAD_NAME, wire.UNKNOWN_RECIPIENT,
                                   wire.UNKNOWN_SERVICE, wire.TOO_LARGE, wire.NOT_SEALED, wire.BAD_DIGEST,
                                   wire.NAME_CONFLICT, wire.UNAVAILABLE)},
              openapi_extra={"requestBody": {"required": True,
                                             "content": {wire.CONTENT_TYPE_SEALED: _BINARY}},
                             "parameters": [
                                 {"name": "name", "in": "query", "required": True, "schema": {"type": "string"},
                                  "description": "The item's bare name: a care-plan filename or MSG_… name"},
                                 {"name": wire.H_DIGEST, "in": "header", "required": True,
                                  "schema": {"type": "string"},
                                  "description": "SHA-256 (hex) of the body; with the name, the idempotency key"}]})
    async def upload(request: Request, office: Office):
        # Served by FastUpload in front of this app; this route documents the operation and serves
        # it when the app is used on its own. Both run accept_upload().
        status, body = await accept_upload(
            writer, dir_cache, office, request.query_params.get("name", ""),
            request.headers.get(wire.H_DIGEST, ""), request.headers.get("content-length"),
            request.stream(), max_item_bytes)
        return Response(_payload(body), status_code=status, media_type="application/json")

    @app.get(wire.MAILBOX, response_model=wire.ItemList, summary="Items waiting for the caller's office",
             description=("With a device id: every item this PC has not acknowledged, received by another "
                          "PC of the office or not (then its state is `received`). Without one: items no "
                          "PC has acknowledged. With `wait` (seconds), an empty mailbox is answered when "
                          "something arrives or when the wait is over, whichever is first: a client learns "
                          "of new items at once without asking again and again. The relay may cap the wait."),
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    async def mailbox(office: Office, device: Device, service: Optional[str] = None,
                      wait: float = Query(0, ge=0, le=wire.MAX_MAILBOX_WAIT)):
        if service is not None and not _SERVICE.match(service):
            raise Refusal(wire.BAD_PARAMETER, "service must be a 2-character service-type code", "service")
        items = await run_in_threadpool(storage.mailbox, office, service, device)
        if not items and wait > 0:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + min(wait, max_wait)
            while not items and loop.time() < deadline:
                await arrivals.wait(office, min(1.0, deadline - loop.time()))
                items = await run_in_threadpool(storage.mailbox, office, service, device)
        return wire.ItemList(items)

    @app.get(wire.MAILBOX_ITEM, summary="Download one sealed item",
             responses={200: {"content": {wire.CONTENT_TYPE_SEALED: _BINARY}, "description": "sealed item"},
                        **_errors(wire.AUTH, wire.NOT_FOUND, wire.GONE, wire.BAD_PARAMETER, wire.UNAVAILABLE)})
    def download(office: Office, item_id: ItemId, device: Device):  # device: checked, not needed
        try:
            info, content = storage.download(item_id, office)
        except NotFound:
            raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
        except Gone:
            raise Refusal(wire.GONE, "content deleted (received or withdrawn)")
        log.info("download id=%s name=%s by=%s", item_id, info.name, office)
        return Response(content, media_type=wire.CONTENT_TYPE_SEALED,
                        headers={wire.H_DIGEST: info.digest, "X-Tsunagi-Name": info.name})

    def _check_receipt(office: str, item_id: str, receipt: bytes, device: Optional[str],
                       certificates: Callable[[], Sequence[bytes]]) -> Optional[wire.ItemInfo]:
        """What a receipt for ``item_id`` needs before it is stored: the item's info when there is
        nothing to store (already received, no device named), None when it is to be stored; raises
        Refusal. A PC that names itself (``device``) is checked even when another PC received the
        item first: its delivery is recorded only on a valid receipt of its own."""
        if not _ID.match(item_id):
            raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
        try:
            info = storage.incoming_info(item_id, office)
        except NotFound:
            raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
        if info.state == wire.RECEIVED and not device:
            return info
        if info.state == wire.WITHDRAWN:
            raise Refusal(wire.GONE, "withdrawn by the sender")
        if len(receipt) > MAX_RECEIPT:
            raise Refusal(wire.BAD_RECEIPT, "receipt too large", "body")
        problem = check_receipt(receipt, info, certificates())
        if problem:
            raise Refusal(wire.BAD_RECEIPT, problem, "body")
        return None

    def _acknowledge_many(office: str, entries: Sequence[tuple], device: Optional[str]) -> list:
        """Check each (item id, receipt) and store the valid receipts in one transaction (on a
        thread: storage and CMS signature checks): for each, the ItemInfo or the Refusal the single
        acknowledgement answers. A receipt given as None (not decodable) is a bad receipt."""
        results: list = [None] * len(entries)
        todo: List[int] = []
        certs: list = []

        def certificates() -> Sequence[bytes]:
            if not certs:
                certs.append(storage.certificates(office))
            return certs[0]

        for i, (item_id, receipt) in enumerate(entries):
            try:
                if receipt is None:
                    raise Refusal(wire.BAD_RECEIPT, "receipt is not base64", "receipt")
                results[i] = _check_receipt(office, item_id, receipt, device, certificates)
            except Refusal as r:
                results[i] = r
                continue
            if results[i] is None:
                todo.append(i)
        if todo:
            stored = storage.acknowledge_many(office, [entries[i] for i in todo], device, keep_received_days)
            for i, result in zip(todo, stored):
                if isinstance(result, (NotFound, Gone)):
                    results[i] = Refusal(wire.GONE, "withdrawn by the sender")
                    continue
                results[i] = result
                log.info("received id=%s name=%s by=%s device=%s", result.id, result.name, office, device or "-")
        return results

    @app.post(wire.MAILBOX_ACK, response_model=wire.ItemInfo,
              summary="Acknowledge an item with a signed receipt",
              description=(
                  "The first acknowledgement of the office stores the receipt for the sender and the time "
                  "it was received. Without a device id the content is then deleted. With one, this PC's "
                  "delivery is recorded (later PCs' receipts are checked the same way; the stored receipt "
                  "stays the first) and the content is kept for the office's other PCs as long as the "
                  "relay keeps received items (`--keep-received-days`; 0 deletes it at once)."),
              openapi_extra={"requestBody": {"required": True,
                                             "content": {wire.CONTENT_TYPE_RECEIPT: _BINARY}}},
              responses=_errors(wire.AUTH, wire.NOT_FOUND, wire.BAD_RECEIPT, wire.GONE, wire.BAD_PARAMETER,
                                wire.UNAVAILABLE))
    async def acknowledge(request: Request, office: Office, item_id: ItemId, device: Device):
        receipt = await request.body()
        result = (await run_in_threadpool(_acknowledge_many, office, [(item_id, receipt)], device))[0]
        if isinstance(result, Refusal):
            raise result
        return result

    @app.post(wire.MAILBOX_ACK_BATCH, response_model=wire.AckResults,
              summary="Acknowledge several items at once, each with its signed receipt",
              description=(
                  f"At most {wire.MAX_ACK_BATCH_ITEMS} items and {wire.MAX_ACK_BATCH_BYTES // (1024 * 1024)} MiB "
                  "of JSON; `receipt` is the DER receipt in base64. Each item is checked and answered as "
                  "`POST /v1/mailbox/{item_id}/ack` answers it (`item`, or the refusal as `error`: no such "
                  "item, another office's, withdrawn, receipt not valid); the valid receipts are stored in "
                  "one transaction before the answer. An item already acknowledged is answered as the "
                  "first time. A relay without this route answers 404 or 405: acknowledge one by one."),
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["items"], "properties": {"items": {
                      "type": "array", "maxItems": wire.MAX_ACK_BATCH_ITEMS, "items": {
                          "type": "object", "required": ["id", "receipt"], "properties": {
                              "id": {"type": "string"},
                              "receipt": {"type": "string", "format": "byte"}}}}}}}}}},
              responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.BATCH_TOO_LARGE, wire.UNAVAILABLE))
    async def acknowledge_batch(request: Request, office: Office, device: Device):
        entries = _ack_entries(await _capped_body(request, wire.MAX_ACK_BATCH_BYTES))
        results = await run_in_threadpool(_acknowledge_many, office, entries, device)
        return wire.AckResults([
            wire.AckOutcome(item_id, error=wire.ErrorDetail(**r.answer()[1]["error"]))
            if isinstance(r, Refusal) else wire.AckOutcome(item_id, item=r)
            for (item_id, _), r in zip(entries, results)])

    @app.get(wire.SENT, response_model=wire.ItemList, summary="The caller's outgoing items and their state",
             responses=_errors(wire.AUTH, wire.UNAVAILABLE))
    def sent(office: Office, since: Optional[str] = None):
        return wire.ItemList(storage.sent(office, since))

    @app.get(wire.SENT_RECEIPT, summary="The recipient's signed receipt for an outgoing item",
             responses={200: {"content": {wire.CONTENT_TYPE_RECEIPT: _BINARY}, "description": "signed receipt"},
                        **_errors(wire.AUTH, wire.NOT_FOUND, wire.UNAVAILABLE)})
    def sent_receipt(office: Office, item_id: ItemId):
        try:
            info, receipt = storage.receipt(item_id, office)
        except NotFound:
            raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
        if receipt is None:
            raise Refusal(wire.NOT_FOUND, "not received yet")
        return Response(receipt, media_type=wire.CONTENT_TYPE_RECEIPT)

    @app.delete(wire.SENT_ITEM, response_model=wire.ItemInfo,
                summary="Withdraw an outgoing item the recipient has not received yet",
                responses=_errors(wire.AUTH, wire.NOT_FOUND, wire.ALREADY_RECEIVED, wire.UNAVAILABLE))
    def withdraw(office: Office, item_id: ItemId):
        try:
            info = storage.withdraw(item_id, office)
        except NotFound:
            raise Refusal(wire.NOT_FOUND, "no such item", "item_id")
        if info.state == wire.RECEIVED:
            raise Refusal(wire.ALREADY_RECEIVED, "already received")
        log.info("withdrawn id=%s name=%s", item_id, info.name)
        return info

    def _entry(office: str) -> wire.DirectoryEntry:
        on, name, services, certs = storage.office_entry(office)
        return wire.DirectoryEntry(office, on, services, [identity.der_to_pem(c) for c in certs], name)

    @app.get(wire.DIRECTORY_ENTRY, response_model=wire.DirectoryEntry,
             summary="Is an office on the system; its sites and certificates",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def directory_entry(caller: Office, office: str):
        if not _OFFICE.match(office):
            raise Refusal(wire.BAD_PARAMETER, "office must be a 10-digit office number", "office")
        return _entry(office)

    @app.get(wire.DIRECTORY, response_model=wire.DirectoryList, summary="Several offices at once (?offices=a,b)",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def directory(caller: Office, offices: str = ""):
        wanted = [o for o in offices.split(",") if o]
        if len(wanted) > 500 or not all(_OFFICE.match(o) for o in wanted):
            raise Refusal(wire.BAD_PARAMETER, "offices must be up to 500 comma-separated office numbers", "offices")
        return wire.DirectoryList([_entry(o) for o in dict.fromkeys(wanted)])

    @app.put(wire.DIRECTORY_SELF, response_model=wire.DirectoryEntry,
             summary="Put the caller's office on the system: its sites and current certificate",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def register_self(request: Request, office: Office, body: wire.SelfRegistration):
        if len(body.services) > MAX_SERVICES:
            raise Refusal(wire.BAD_PARAMETER, f"services: at most {MAX_SERVICES}", "services")
        if not all(_SERVICE.match(s) for s in body.services):
            raise Refusal(wire.BAD_PARAMETER, "services must be 2-character service-type codes", "services")
        if len(body.name) > MAX_NAME:
            raise Refusal(wire.BAD_PARAMETER, f"name must be at most {MAX_NAME} characters", "name")
        der = request.scope["extensions"]["tls"]["client_cert"]  # calling_office found it
        storage.register_office(office, body.services, body.name, der)
        dir_cache.forget(office)
        log.info("registered office=%s services=%s", office, ",".join(body.services))
        return _entry(office)

    @app.get(wire.HEALTH, response_model=wire.Health, summary="Liveness; echoes the caller's office",
             responses=_errors(wire.AUTH))
    def health(office: Office):
        return wire.Health(True, office)

    return app
