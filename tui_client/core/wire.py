"""The relay API's wire format: paths, headers, request and response shapes, error codes.

One module shared by the relay (server) and the transport (client), so the two cannot drift apart.
It is pure: plain dataclasses and dicts, no web framework, no HTTP client, no I/O. The relay turns
these shapes into FastAPI responses and the OpenAPI description; the transport turns HTTP responses
back into them.

What travels:

* an *item* is one sealed (signed + encrypted, CMS EnvelopedData) payload with a name. Two kinds:
  a care-plan file (``kind="file"``, named by the standard's filename grammar, routed by it) and a
  message (``kind="message"``, named ``MSG_…``, see ``core.route``) whose sealed payload is a
  :func:`encode_message` document (text plus attachments).
* The relay never sees plaintext. It stores only what it needs to route: names, office numbers,
  service-type codes, sizes, digests and times.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

API_VERSION = "v1"
PREFIX = "/" + API_VERSION

# --- paths ------------------------------------------------------------------------------------
#: POST sealed bytes (body) with ?name=…; answers ``UploadResult``.
ITEMS = PREFIX + "/items"
#: GET the caller's outgoing items (status, receipt available?).
SENT = PREFIX + "/sent"
#: DELETE an outgoing item not yet received (withdraw, 取り下げ).
SENT_ITEM = PREFIX + "/sent/{item_id}"
#: GET the signed receipt of an outgoing item.
SENT_RECEIPT = PREFIX + "/sent/{item_id}/receipt"
#: GET the caller's inbox (?service=XX narrows to one site's mailbox).
MAILBOX = PREFIX + "/mailbox"
#: GET the sealed bytes of one incoming item.
MAILBOX_ITEM = PREFIX + "/mailbox/{item_id}"
#: POST a signed receipt (body) for one incoming item; the relay then deletes the content (with a
#: device id: keeps it for the office's other PCs for the relay's ``keep_received_days``).
MAILBOX_ACK = PREFIX + "/mailbox/{item_id}/ack"
#: POST several signed receipts at once (``AckBatch`` as JSON): each answered as ``MAILBOX_ACK``
#: would answer it (``AckResults``), the valid ones stored in one transaction. Relays before
#: 2026-12 answer 404/405; clients then acknowledge one by one.
MAILBOX_ACK_BATCH = PREFIX + "/mailbox/ack"
#: GET the directory entry of an office: on the system? which services? which certificates?
DIRECTORY_ENTRY = PREFIX + "/directory/{office}"
#: GET several offices at once: ?offices=a,b,c
DIRECTORY = PREFIX + "/directory"
#: PUT the caller's own entry (its services and current certificate, from the TLS handshake).
DIRECTORY_SELF = PREFIX + "/self"
#: GET liveness (still needs a client certificate; the relay talks to offices only).
HEALTH = PREFIX + "/health"

# --- headers ----------------------------------------------------------------------------------
#: SHA-256 (hex) of the sealed bytes; with the name it is the upload's idempotency key.
H_DIGEST = "X-Tsunagi-SHA256"
#: This PC's device id (``DEVICE_ID`` form), sent on every request: with it, every PC of an office
#: gets each item (the mailbox lists what *this* PC has not acknowledged yet); without it (older
#: clients, scripts), the first acknowledgement takes the item from every PC's list.
H_DEVICE = "X-Tsunagi-Device"
#: A device id: what a relay accepts in ``H_DEVICE``.
DEVICE_ID = re.compile(r"[A-Za-z0-9-]{8,64}\Z")
CONTENT_TYPE_SEALED = "application/pkcs7-mime"
CONTENT_TYPE_RECEIPT = "application/pkcs7-signature"

KIND_FILE = "file"
KIND_MESSAGE = "message"

#: Default upload size limit (bytes of the sealed item). A month of plans for a large office is a
#: few MB; attachments (photos, PDFs) are what push a message up.
DEFAULT_MAX_ITEM_BYTES = 32 * 1024 * 1024
#: Longest a mailbox request may wait for something to arrive (``?wait=`` seconds); a relay may
#: cap it lower. Clients ask for less than their read timeout.
MAX_MAILBOX_WAIT = 60
DEFAULT_MAILBOX_WAIT = 25
#: Limits of one batch acknowledgement (``MAILBOX_ACK_BATCH``): items, and bytes of its JSON body.
MAX_ACK_BATCH_ITEMS = 100
MAX_ACK_BATCH_BYTES = 2 * 1024 * 1024

# --- states -----------------------------------------------------------------------------------
WAITING = "waiting"          # stored, recipient has not downloaded it yet
DOWNLOADED = "downloaded"    # downloaded at least once, no receipt yet
RECEIVED = "received"        # signed receipt stored (first PC's); content deleted or kept for other PCs
WITHDRAWN = "withdrawn"      # sender withdrew it before it was received; content deleted

# --- error codes ------------------------------------------------------------------------------
# Every refusal carries one of these; the client shows the catalogue's Japanese message for it.
# ``retry`` says whether sending the same request later can succeed (the outbox keeps trying) or
# whether the item must go to the error shelf for a person to look at.


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    retry: bool


ERRORS: Dict[str, ErrorCode] = {e.code: e for e in (
    ErrorCode("E-RELAY-001", 401, False),  # no or untrusted client certificate
    ErrorCode("E-RELAY-002", 403, False),  # certificate office ≠ sender in the name
    ErrorCode("E-RELAY-003", 422, False),  # name does not follow the filename grammar
    ErrorCode("E-RELAY-004", 404, False),  # recipient office not on the system
    ErrorCode("E-RELAY-005", 404, False),  # recipient office has no site with that service type
    ErrorCode("E-RELAY-006", 413, False),  # too large
    ErrorCode("E-RELAY-007", 422, False),  # not a CMS EnvelopedData (not sealed)
    ErrorCode("E-RELAY-008", 400, False),  # digest header missing or does not match the body
    ErrorCode("E-RELAY-009", 409, False),  # same name already stored with other content
    ErrorCode("E-RELAY-010", 404, False),  # no such item for this office
    ErrorCode("E-RELAY-011", 422, False),  # receipt invalid (signature, signer, or other item)
    ErrorCode("E-RELAY-012", 410, False),  # content already deleted (received or withdrawn)
    ErrorCode("E-RELAY-013", 503, True),   # storage busy or unavailable
    ErrorCode("E-RELAY-014", 422, False),  # bad request parameters (service code, office list…)
    ErrorCode("E-RELAY-015", 409, False),  # cannot withdraw: already received
    ErrorCode("E-RELAY-016", 500, True),   # internal error
    ErrorCode("E-RELAY-017", 413, False),  # batch acknowledgement: too many items or too large
)}

AUTH = "E-RELAY-001"
SENDER_MISMATCH = "E-RELAY-002"
BAD_NAME = "E-RELAY-003"
UNKNOWN_RECIPIENT = "E-RELAY-004"
UNKNOWN_SERVICE = "E-RELAY-005"
TOO_LARGE = "E-RELAY-006"
NOT_SEALED = "E-RELAY-007"
BAD_DIGEST = "E-RELAY-008"
NAME_CONFLICT = "E-RELAY-009"
NOT_FOUND = "E-RELAY-010"
BAD_RECEIPT = "E-RELAY-011"
GONE = "E-RELAY-012"
UNAVAILABLE = "E-RELAY-013"
BAD_PARAMETER = "E-RELAY-014"
ALREADY_RECEIVED = "E-RELAY-015"
INTERNAL = "E-RELAY-016"
BATCH_TOO_LARGE = "E-RELAY-017"


def error_body(code: str, detail: str = "", findings: Tuple[str, ...] = (), field: Optional[str] = None) -> dict:
    """The JSON body of every refusal. ``detail`` is an English hint for operators (never personal
    data); ``findings`` lists finding codes (e.g. ``E-NAME-003``) when the name was refused;
    ``field`` names the request part that is wrong (``name``, ``services``, a header …), or None."""
    e = ERRORS[code]
    return {"error": {"code": code, "detail": detail, "retry": e.retry, "findings": list(findings),
                      "field": field}}


def parse_error_body(body: object) -> Optional[Tuple[str, str, bool, List[str]]]:
    """(code, detail, retry, findings) from a refusal body, or None if it is not one of ours."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if not isinstance(err, dict) or err.get("code") not in ERRORS:
        return None
    findings = [str(x) for x in err.get("findings") or [] if isinstance(x, str)]
    return err["code"], str(err.get("detail") or ""), bool(err.get("retry")), findings


def error_field(body: object) -> Optional[str]:
    """The ``field`` a refusal names (None when it names none or is not one of ours)."""
    err = body.get("error") if isinstance(body, dict) else None
    field_ = err.get("field") if isinstance(err, dict) else None
    return field_ if isinstance(field_, str) else None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- shapes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class UploadResult:
    id: str
    duplicate: bool            # True: this name + digest was stored before; nothing new was stored

    def to_json(self) -> dict:
        return {"id": self.id, "duplicate": self.duplicate}  # every upload: no asdict() deep copy

    @classmethod
    def from_json(cls, d: dict) -> "UploadResult":
        return cls(str(d["id"]), bool(d.get("duplicate", False)))


@dataclass(frozen=True)
class ItemInfo:
    """What the relay knows about an item: routing facts only. The one definition: the relay's
    storage builds it, its routes answer with it (and their OpenAPI description is made from it),
    the client reads it back with ``from_json``."""

    id: str
    kind: str
    name: str
    digest: str
    size: int
    sender: str
    sender_service: Optional[str]
    recipient: str
    recipient_service: Optional[str]
    state: str
    created_at: str
    downloaded_at: Optional[str] = None
    received_at: Optional[str] = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "ItemInfo":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DirectoryEntry:
    office: str
    on_system: bool
    services: List[str] = field(default_factory=list)
    #: PEM certificates, newest first (several during a certificate rollover).
    certificates: List[str] = field(default_factory=list)
    name: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "DirectoryEntry":
        return cls(str(d["office"]), bool(d.get("on_system")), list(d.get("services") or []),
                   list(d.get("certificates") or []), str(d.get("name") or ""))


@dataclass(frozen=True)
class SelfRegistration:
    """PUT body of ``DIRECTORY_SELF``: the caller's sites (service-type codes) and display name.
    The certificate is taken from the TLS handshake, never from the body."""

    services: List[str] = field(default_factory=list)
    name: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ItemList:
    """GET ``MAILBOX`` / ``SENT``."""

    items: List[ItemInfo]


@dataclass(frozen=True)
class DirectoryList:
    """GET ``DIRECTORY``."""

    offices: List[DirectoryEntry]


@dataclass(frozen=True)
class Health:
    ok: bool
    office: str


@dataclass(frozen=True)
class ErrorDetail:
    """The inside of every refusal (``error_body``)."""

    code: str
    detail: str
    retry: bool
    findings: List[str]
    field: Optional[str] = None


@dataclass(frozen=True)
class ErrorBody:
    error: ErrorDetail


@dataclass(frozen=True)
class AckEntry:
    """One item of a batch acknowledgement: its id and its signed receipt (DER, base64)."""

    id: str
    receipt: str

    @classmethod
    def of(cls, item_id: str, receipt: bytes) -> "AckEntry":
        return cls(item_id, base64.b64encode(receipt).decode("ascii"))


@dataclass(frozen=True)
class AckBatch:
    """POST body of ``MAILBOX_ACK_BATCH``: at most ``MAX_ACK_BATCH_ITEMS`` items."""

    items: List[AckEntry]

    def to_json(self) -> dict:
        return {"items": [{"id": e.id, "receipt": e.receipt} for e in self.items]}


@dataclass(frozen=True)
class AckOutcome:
    """The answer for one item of a batch: ``item`` as the single acknowledgement answers it, or
    ``error`` (the refusal it would get: unknown, another office's, withdrawn, bad receipt…)."""

    id: str
    item: Optional[ItemInfo] = None
    error: Optional[ErrorDetail] = None

    @classmethod
    def from_json(cls, d: dict) -> "AckOutcome":
        item = d.get("item")
        err = d.get("error")
        error = None
        if isinstance(err, dict) and err.get("code") in ERRORS:
            error = ErrorDetail(str(err["code"]), str(err.get("detail") or ""), bool(err.get("retry")),
                                [str(x) for x in err.get("findings") or []], err.get("field"))
        return cls(str(d.get("id")), ItemInfo.from_json(item) if isinstance(item, dict) else None, error)


@dataclass(frozen=True)
class AckResults:
    """Answer of ``MAILBOX_ACK_BATCH``: one outcome per item, in the request's order."""

    items: List[AckOutcome]


# --- message payload (inside the seal; the relay never reads it) ------------------------------

#: Attachment types a message may carry (the national relay's list).
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".txt": "text/plain",
}

MESSAGE_FORMAT = "tsunagi-message/1"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?\Z", re.IGNORECASE)


def safe_file_name(name: str, default: str = "attachment", limit: int = 120) -> str:
    """A name from another office (an attachment's) made safe to write in a folder on Windows or
    Linux: its last path part only, no control or reserved characters, no device names (CON …), no
    leading dots or trailing dots and spaces, at most ``limit`` characters with the extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip().lstrip(".").rstrip(". ")
    if not base:
        return default
    if _DEVICE.match(base):
        base = "_" + base
    if len(base) > limit:
        stem, dot, ext = base.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        base = base[: limit - len(ext)] + ext
    return base


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes

    @property
    def media_type(self) -> Optional[str]:
        dot = self.name.rfind(".")
        return ATTACHMENT_TYPES.get(self.name[dot:].lower()) if dot >= 0 else None


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    attachments: Tuple[Attachment, ...] = ()
    #: A template's id when the message is a standard note (利用なし, 限度額超過 …), else "".
    template: str = ""


def encode_message(msg: Message) -> bytes:
    doc = {
        "format": MESSAGE_FORMAT,
        "subject": msg.subject,
        "text": msg.text,
        "template": msg.template,
        "attachments": [{"name": a.name, "type": a.media_type,
                         "data": base64.b64encode(a.data).decode("ascii")} for a in msg.attachments],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def decode_message(data: bytes) -> Optional[Message]:
    """The message in a decrypted payload, or None when it is not a well-formed message."""
    try:
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != MESSAGE_FORMAT:
            return None
        atts = tuple(Attachment(str(a["name"]), base64.b64decode(a["data"], validate=True))
                     for a in doc.get("attachments") or [])
        return Message(str(doc.get("subject") or ""), str(doc.get("text") or ""), atts,
                       str(doc.get("template") or ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
