"""The relay's HTTP API (FastAPI). Paths, shapes and error codes come from ``core.wire``.

Every request is made by an office, identified by the TLS client certificate the server required
during the handshake (``protocol.py`` puts it in the scope). An office sees and touches only its own
items: another office's item answers exactly as a missing one does (404), so ids reveal nothing.

Logged: item names, office numbers, sizes, digests, ids, times. Never content, never receipts'
contents, never anything from inside a seal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from typing import Callable, List, Optional, Sequence

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from tui_client.core import route as routing
from tui_client.core import wire
from tui_client.relay import identity
from tui_client.relay.envelope import Refused
from tui_client.relay.settings import SETTINGS_ENV, RelaySettings
from tui_client.relay.writer import ItemWriter, LoopWriter
from tui_client.relay.storage import Conflict, Gone, NewItem, NotFound, Storage, StorageError, open_storage

log = logging.getLogger("tsunagi.relay")

_ID = re.compile(r"[0-9a-f]{32}\Z")
_DIGEST = re.compile(r"[0-9a-f]{64}\Z")
_OFFICE = re.compile(r"\d{10}\Z")
_SERVICE = re.compile(r"[0-9A-Z]{2}\Z")

#: Checks a receipt for an item: (receipt DER, item info, recipient certificates DER) → error detail
#: or None when valid.
ReceiptCheck = Callable[[bytes, wire.ItemInfo, Sequence[bytes]], Optional[str]]


# --- OpenAPI models (mirrors of core.wire shapes, for the description only) -------------------

class ErrorDetail(BaseModel):
    code: str
    detail: str
    retry: bool
    findings: List[str]


class ErrorBody(BaseModel):
    error: ErrorDetail


class UploadResultModel(BaseModel):
    id: str
    duplicate: bool


class ItemInfoModel(BaseModel):
    id: str
    kind: str
    name: str
    digest: str
    size: int
    sender: str
    sender_service: Optional[str] = None
    recipient: str
    recipient_service: Optional[str] = None
    state: str
    created_at: str
    downloaded_at: Optional[str] = None
    received_at: Optional[str] = None


class ItemList(BaseModel):
    items: List[ItemInfoModel]


class DirectoryEntryModel(BaseModel):
    office: str
    on_system: bool
    services: List[str]
    certificates: List[str]
    name: str


class DirectoryList(BaseModel):
    offices: List[DirectoryEntryModel]


class SelfRegistrationModel(BaseModel):
    services: List[str] = []
    name: str = ""


class Health(BaseModel):
    ok: bool
    office: str


def _errors(*codes: str) -> dict:
    out: dict = {}
    for c in codes:
        status = wire.ERRORS[c].status
        out.setdefault(status, {"model": ErrorBody, "description": ", ".join(
            x for x in codes if wire.ERRORS[x].status == status)})
    return out


_BINARY = {"schema": {"type": "string", "format": "binary"}}


def refuse(code: str, detail: str = "", findings: Sequence[str] = ()) -> JSONResponse:
    return JSONResponse(wire.error_body(code, detail, tuple(findings)), status_code=wire.ERRORS[code].status)


# --- who is on the system, who waits for what ---------------------------------------------

class DirectoryCache:
    """Who is on the system, cached for a few seconds: every upload asks, registrations are rare.
    Several relay processes each keep their own; a new office is routable everywhere within ``ttl``."""

    def __init__(self, storage: Storage, ttl: float = 5.0):
        self.storage = storage
        self.ttl = ttl
        self._entries: dict = {}

    def services(self, office: str) -> Optional[List[str]]:
        """The office's registered service codes ([] = none registered), or None when not on the system."""
        import time

        now = time.monotonic()
        hit = self._entries.get(office)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = self.storage.services(office) if self.storage.is_registered(office) else None
        if len(self._entries) > 100_000:
            self._entries.clear()
        self._entries[office] = (now, value)
        return value

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


async def accept_upload(writer: ItemWriter | LoopWriter, directory: DirectoryCache, client_cert: Optional[bytes], name: str,
                        declared: str, length: Optional[str], chunks, max_item_bytes: int):
    """The upload operation, whatever carries it: (HTTP status, JSON body).

    Checks, in order: the caller's certificate, the name (filename grammar or message name), that the
    caller is the sender in the name, the size, the form of the digest header, the recipient (and
    its site); then the writer checks the digest and the envelope and stores idempotently on name +
    digest."""
    office = identity.office_of(client_cert) if client_cert else None
    if office is None:
        return _refusal(wire.AUTH, "no office certificate")
    r, findings = routing.route(name)
    if r is None:
        return _refusal(wire.BAD_NAME, "name does not follow the filename grammar",
                        [f.code for f in findings if f.blocks_sending])
    if r.sender != office:
        return _refusal(wire.SENDER_MISMATCH, "certificate office is not the sender in the name")
    if length is not None and length.isdigit() and int(length) > max_item_bytes:
        return _refusal(wire.TOO_LARGE, f"limit {max_item_bytes} bytes")
    declared = declared.lower()
    if not _DIGEST.match(declared):
        return _refusal(wire.BAD_DIGEST, "digest header missing or not the body's SHA-256")
    parts = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_item_bytes:
            return _refusal(wire.TOO_LARGE, f"limit {max_item_bytes} bytes")
        parts.append(chunk)
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    services = directory.services(r.recipient)
    if services is None:
        return _refusal(wire.UNKNOWN_RECIPIENT, "recipient office is not on the system")
    if r.recipient_service and services and r.recipient_service not in services:
        return _refusal(wire.UNKNOWN_SERVICE, "recipient office has no site with that service type")
    item = NewItem(r.kind, r.name, declared, size, r.sender, r.sender_service, r.recipient, r.recipient_service)
    try:
        item_id, duplicate = await writer.put(item, body)
    except Refused as exc:
        return _refusal(exc.code, exc.detail)
    except Conflict:
        return _refusal(wire.NAME_CONFLICT, "name already stored with other content")
    return (200 if duplicate else 201), _upload_answer(item_id, duplicate)


def _upload_answer(item_id: str, duplicate: bool) -> str:
    """``wire.UploadResult(item_id, duplicate).to_json()`` as JSON text, written out directly (an id
    is 32 hex digits: nothing to escape)."""
    return f'{{"id":"{item_id}","duplicate":{"true" if duplicate else "false"}}}'


def _payload(body) -> bytes:
    """The bytes of what ``accept_upload`` answered: JSON text as it is, a refusal's dict encoded."""
    if isinstance(body, str):
        return body.encode("ascii")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _name_parameter(qs: bytes) -> str:
    """The ``name`` query parameter. Plain ``name=…`` (what clients send) without parsing; anything
    else as ``urllib.parse.parse_qs`` reads it."""
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


def _refusal(code: str, detail: str, findings: Sequence[str] = ()):
    return wire.ERRORS[code].status, wire.error_body(code, detail, tuple(findings))


class FastUpload:
    """The relay as served: ``POST /v1/items`` (the hot path) is answered here, in front of FastAPI,
    whose request, response and middleware machinery cost more per upload than everything the relay
    checks (docs/benchmarks.md); every other request goes on to the FastAPI app. Same function and
    same answers as the documented route."""

    def __init__(self, app: FastAPI):
        self.app = app
        self.writer: ItemWriter | LoopWriter = app.state.writer
        self.directory: DirectoryCache = app.state.directory
        self.max_item_bytes: int = app.state.max_item_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != wire.ITEMS or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        name = _name_parameter(scope.get("query_string") or b"")
        declared = ""
        length = None
        for k, v in scope["headers"]:
            if k == b"x-tsunagi-sha256":
                declared = v.decode("latin-1")
            elif k == b"content-length":
                length = v.decode("latin-1")
        cert = scope.get("extensions", {}).get("tls", {}).get("client_cert")

        try:
            status, body = await accept_upload(self.writer, self.directory, cert, name, declared, length,
                                               _body_chunks(receive), self.max_item_bytes)
        except StorageError:
            status, body = _refusal(wire.UNAVAILABLE, "storage busy or unavailable; retry later")
        except Exception:  # a bug: logged, answered as the FastAPI app would
            log.exception("internal error on upload")
            status, body = _refusal(wire.INTERNAL, "internal error")
        payload = _payload(body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": payload})




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
    return FastUpload(create_app(storage, max_item_bytes=settings.max_item_bytes, max_wait=settings.max_wait))


def create_app(storage: Storage, *, max_item_bytes: int = wire.DEFAULT_MAX_ITEM_BYTES,
               receipt_check: Optional[ReceiptCheck] = None,
               max_wait: float = float(wire.DEFAULT_MAILBOX_WAIT)) -> FastAPI:
    check_receipt = receipt_check or identity.check_receipt
    app = FastAPI(
        title="Tsunagi relay",
        version=wire.API_VERSION,
        description=(
            "Routes sealed care-plan files and messages between offices. Every request needs a TLS "
            "client certificate of an office (the relay's trusted CA); the office number in it is the "
            "caller. Refusals carry a stable error code (E-RELAY-…) and say whether a retry can help."),
    )
    app.state.storage = storage
    dir_cache = DirectoryCache(storage)
    arrivals = Arrivals()
    writer = (LoopWriter if storage.quick_writes else ItemWriter)(storage, arrivals)
    app.state.writer, app.state.directory, app.state.max_item_bytes = writer, dir_cache, max_item_bytes

    def caller(request: Request) -> Optional[str]:
        tls = request.scope.get("extensions", {}).get("tls", {})
        der = tls.get("client_cert")
        return identity.office_of(der) if der else None

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        where = ",".join(".".join(str(x) for x in e.get("loc", ())) for e in exc.errors()[:5])
        return refuse(wire.BAD_PARAMETER, f"invalid request: {where}")

    @app.exception_handler(StorageError)
    async def _storage_error(request: Request, exc: StorageError):
        log.warning("storage unavailable: %s", type(exc).__name__)
        return refuse(wire.UNAVAILABLE, "storage busy or unavailable; retry later")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):  # pragma: no cover - a bug, logged
        log.exception("internal error on %s %s", request.method, request.url.path)
        return refuse(wire.INTERNAL, "internal error")

    @app.post(wire.ITEMS, status_code=201, response_model=UploadResultModel,
              summary="Upload a sealed item (care-plan file or message)",
              responses={200: {"model": UploadResultModel, "description": "already stored (same name and digest)"},
                         **_errors(wire.AUTH, wire.SENDER_MISMATCH, wire.BAD_NAME, wire.UNKNOWN_RECIPIENT,
                                   wire.UNKNOWN_SERVICE, wire.TOO_LARGE, wire.NOT_SEALED, wire.BAD_DIGEST,
                                   wire.NAME_CONFLICT, wire.UNAVAILABLE)},
              openapi_extra={"requestBody": {"required": True,
                                             "content": {wire.CONTENT_TYPE_SEALED: _BINARY}},
                             "parameters": [
                                 {"name": "name", "in": "query", "required": True, "schema": {"type": "string"},
                                  "description": "The item's name: a care-plan filename or MSG_… name"},
                                 {"name": wire.H_DIGEST, "in": "header", "required": True,
                                  "schema": {"type": "string"},
                                  "description": "SHA-256 (hex) of the body; with the name, the idempotency key"}]})
    async def upload(request: Request):
        # Served by FastUpload in front of this app; this route documents the operation and serves
        # it when the app is used on its own. Both run accept_upload().
        tls = request.scope.get("extensions", {}).get("tls", {})
        status, body = await accept_upload(
            writer, dir_cache, tls.get("client_cert"), request.query_params.get("name", ""),
            request.headers.get(wire.H_DIGEST, ""), request.headers.get("content-length"),
            request.stream(), max_item_bytes)
        return Response(_payload(body), status_code=status, media_type="application/json")

    def _bad_id(item_id: str) -> Optional[JSONResponse]:
        return None if _ID.match(item_id) else refuse(wire.NOT_FOUND, "no such item")

    def _office_and_item(request: Request, item_id: str):
        """The calling office and a well-formed item id, or the refusal to answer with instead."""
        office = caller(request)
        if office is None:
            return None, refuse(wire.AUTH, "no office certificate")
        return office, _bad_id(item_id)

    @app.get(wire.MAILBOX, response_model=ItemList, summary="Items waiting for the caller's office",
             description=("With `wait` (seconds), an empty mailbox is answered when something arrives or "
                          "when the wait is over, whichever is first: a client learns of new items at "
                          "once without asking again and again. The relay may cap the wait."),
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    async def mailbox(request: Request, service: Optional[str] = None,
                      wait: float = Query(0, ge=0, le=wire.MAX_MAILBOX_WAIT)):
        from starlette.concurrency import run_in_threadpool

        office = caller(request)
        if office is None:
            return refuse(wire.AUTH, "no office certificate")
        if service is not None and not _SERVICE.match(service):
            return refuse(wire.BAD_PARAMETER, "service must be a 2-character service-type code")
        items = await run_in_threadpool(storage.mailbox, office, service)
        if not items and wait > 0:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + min(wait, max_wait)
            while not items and loop.time() < deadline:
                await arrivals.wait(office, min(1.0, deadline - loop.time()))
                items = await run_in_threadpool(storage.mailbox, office, service)
        return JSONResponse({"items": [i.to_json() for i in items]})

    @app.get(wire.MAILBOX_ITEM, summary="Download one sealed item",
             responses={200: {"content": {wire.CONTENT_TYPE_SEALED: _BINARY}, "description": "sealed item"},
                        **_errors(wire.AUTH, wire.NOT_FOUND, wire.GONE, wire.UNAVAILABLE)})
    def download(request: Request, item_id: str):
        office, refusal = _office_and_item(request, item_id)
        if refusal is not None:
            return refusal
        try:
            info, content = storage.download(item_id, office)
        except NotFound:
            return refuse(wire.NOT_FOUND, "no such item")
        except Gone:
            return refuse(wire.GONE, "content deleted (received or withdrawn)")
        log.info("download id=%s name=%s by=%s", item_id, info.name, office)
        return Response(content, media_type=wire.CONTENT_TYPE_SEALED,
                        headers={wire.H_DIGEST: info.digest, "X-Tsunagi-Name": info.name})

    @app.post(wire.MAILBOX_ACK, response_model=ItemInfoModel,
              summary="Acknowledge an item with a signed receipt; the relay then deletes its content",
              openapi_extra={"requestBody": {"required": True,
                                             "content": {wire.CONTENT_TYPE_RECEIPT: _BINARY}}},
              responses=_errors(wire.AUTH, wire.NOT_FOUND, wire.BAD_RECEIPT, wire.GONE, wire.UNAVAILABLE))
    async def acknowledge(request: Request, item_id: str):
        office, refusal = _office_and_item(request, item_id)
        if refusal is not None:
            return refusal
        receipt = await request.body()
        try:
            info = storage.incoming_info(item_id, office)
        except NotFound:
            return refuse(wire.NOT_FOUND, "no such item")
        if info.state == wire.RECEIVED:
            return JSONResponse(info.to_json())
        if info.state == wire.WITHDRAWN:
            return refuse(wire.GONE, "withdrawn by the sender")
        if len(receipt) > 1024 * 1024:
            return refuse(wire.BAD_RECEIPT, "receipt too large")
        problem = check_receipt(receipt, info, storage.certificates(office))
        if problem:
            return refuse(wire.BAD_RECEIPT, problem)
        try:
            info = storage.acknowledge(item_id, office, receipt)
        except (NotFound, Gone):
            return refuse(wire.GONE, "withdrawn by the sender")
        log.info("received id=%s name=%s by=%s", item_id, info.name, office)
        return JSONResponse(info.to_json())

    @app.get(wire.SENT, response_model=ItemList, summary="The caller's outgoing items and their state",
             responses=_errors(wire.AUTH, wire.UNAVAILABLE))
    def sent(request: Request, since: Optional[str] = None):
        office = caller(request)
        if office is None:
            return refuse(wire.AUTH, "no office certificate")
        return JSONResponse({"items": [i.to_json() for i in storage.sent(office, since)]})

    @app.get(wire.SENT_RECEIPT, summary="The recipient's signed receipt for an outgoing item",
             responses={200: {"content": {wire.CONTENT_TYPE_RECEIPT: _BINARY}, "description": "signed receipt"},
                        **_errors(wire.AUTH, wire.NOT_FOUND, wire.UNAVAILABLE)})
    def sent_receipt(request: Request, item_id: str):
        office, refusal = _office_and_item(request, item_id)
        if refusal is not None:
            return refusal
        try:
            info, receipt = storage.receipt(item_id, office)
        except NotFound:
            return refuse(wire.NOT_FOUND, "no such item")
        if receipt is None:
            return refuse(wire.NOT_FOUND, "not received yet")
        return Response(receipt, media_type=wire.CONTENT_TYPE_RECEIPT)

    @app.delete(wire.SENT_ITEM, response_model=ItemInfoModel,
                summary="Withdraw an outgoing item the recipient has not received yet",
                responses=_errors(wire.AUTH, wire.NOT_FOUND, wire.ALREADY_RECEIVED, wire.UNAVAILABLE))
    def withdraw(request: Request, item_id: str):
        office, refusal = _office_and_item(request, item_id)
        if refusal is not None:
            return refusal
        try:
            info = storage.withdraw(item_id, office)
        except NotFound:
            return refuse(wire.NOT_FOUND, "no such item")
        if info.state == wire.RECEIVED:
            return refuse(wire.ALREADY_RECEIVED, "already received")
        log.info("withdrawn id=%s name=%s", item_id, info.name)
        return JSONResponse(info.to_json())

    def _entry(office: str) -> dict:
        on, name, services, certs = storage.office_entry(office)
        return wire.DirectoryEntry(office, on, services, [identity.der_to_pem(c) for c in certs], name).to_json()

    @app.get(wire.DIRECTORY_ENTRY, response_model=DirectoryEntryModel,
             summary="Is an office on the system; its sites and certificates",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def directory_entry(request: Request, office: str):
        if caller(request) is None:
            return refuse(wire.AUTH, "no office certificate")
        if not _OFFICE.match(office):
            return refuse(wire.BAD_PARAMETER, "office must be a 10-digit office number")
        return JSONResponse(_entry(office))

    @app.get(wire.DIRECTORY, response_model=DirectoryList, summary="Several offices at once (?offices=a,b)",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def directory(request: Request, offices: str = ""):
        if caller(request) is None:
            return refuse(wire.AUTH, "no office certificate")
        wanted = [o for o in offices.split(",") if o]
        if len(wanted) > 500 or not all(_OFFICE.match(o) for o in wanted):
            return refuse(wire.BAD_PARAMETER, "offices must be up to 500 comma-separated office numbers")
        return JSONResponse({"offices": [_entry(o) for o in dict.fromkeys(wanted)]})

    @app.put(wire.DIRECTORY_SELF, response_model=DirectoryEntryModel,
             summary="Put the caller's office on the system: its sites and current certificate",
             responses=_errors(wire.AUTH, wire.BAD_PARAMETER, wire.UNAVAILABLE))
    def register_self(request: Request, body: SelfRegistrationModel):
        tls = request.scope.get("extensions", {}).get("tls", {})
        der = tls.get("client_cert")
        office = identity.office_of(der) if der else None
        if office is None:
            return refuse(wire.AUTH, "no office certificate")
        if len(body.services) > 50 or not all(_SERVICE.match(s) for s in body.services) or len(body.name) > 200:
            return refuse(wire.BAD_PARAMETER, "services must be 2-character service-type codes")
        storage.register_office(office, body.services, body.name, der)
        dir_cache.forget(office)
        log.info("registered office=%s services=%s", office, ",".join(body.services))
        return JSONResponse(_entry(office))

    @app.get(wire.HEALTH, response_model=Health, summary="Liveness; echoes the caller's office",
             responses=_errors(wire.AUTH))
    def health(request: Request):
        office = caller(request)
        if office is None:
            return refuse(wire.AUTH, "no office certificate")
        return JSONResponse({"ok": True, "office": office})

    return app
