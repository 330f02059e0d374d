"""The typed results `Office` hands to its two faces (the Textual app and the command line).

This is the contract between the client store (``transport/clientdb.py``), the façade
(``office/``) and the screens (``ui/``): a screen renders these values and never sees a dict from
the spool, a relay response or a CSV row. Pure: dataclasses and enums only, no I/O, no imports from
``transport``, ``relay`` or ``ui`` (so the store may build them and the core tests may import them).

Every state has a catalogue key for its Japanese word (``state.inbox.new`` → 新着, …); code never
inlines the word. Times are aware UTC ``datetime`` values; screens show them in local time.
Order is always by the store's explicit sequence number (``seq``), never by a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Generic, Optional, Tuple, TypeVar

from tui_client.core.findings import FindingCounts

T = TypeVar("T")


class InboxState(str, Enum):
    """A received item on this office's PCs."""

    NEW = "new"            # 新着: received and checked, nobody has opened it yet
    SEEN = "seen"          # 確認済み: someone opened its preview
    SAVED = "saved"        # 保存済み: written to the folder the care software imports from

    @property
    def label_key(self) -> str:
        return f"state.inbox.{self.value}"


class OutboxState(str, Enum):
    """A sent (or to-be-sent) item, from this office's side."""

    WAITING = "waiting"        # 送信待ち: sealed, in the outbox, not yet confirmed by the relay
    SENT = "sent"              # 送信済み: the relay holds it; the recipient has not received it
    RECEIVED = "received"      # 受信済み: a signed receipt came back and was verified
    ERROR = "error"            # エラー: on the error shelf, refused; ``error`` says why
    WITHDRAWN = "withdrawn"    # 取り下げ: withdrawn from the relay before it was received

    @property
    def label_key(self) -> str:
        return f"state.outbox.{self.value}"


class Direction(str, Enum):
    SENT = "sent"
    RECEIVED = "received"


@dataclass(frozen=True)
class Party:
    """One side of an exchange: an office number, the site's service-type code (V4 names) and the
    office's name from the directory ("" while unknown)."""

    office: str
    service: Optional[str] = None
    name: str = ""


@dataclass(frozen=True)
class FindingSummary:
    """A finding as kept with a stored item: its code (message and fix come from the catalogue),
    where it is, and the facts its message needs."""

    code: str
    row: Optional[int] = None
    column: Optional[int] = None
    field: str = ""
    value: str = ""
    params: Tuple[Tuple[str, str], ...] = ()

    @property
    def blocks_sending(self) -> bool:
        return self.code.startswith("E-")


@dataclass(frozen=True)
class InboxItem(FindingCounts):
    """A received item (a care-plan file or a message), as every PC of the office lists it."""

    seq: int                          # the store's order of arrival
    key: str                          # the relay's item id
    name: str                         # the file name as sent
    kind: str                         # wire.KIND_FILE or wire.KIND_MESSAGE
    file_kind: str                    # filename prefix (UPPLAN, UPJSK, …) or "MSG"
    month: Optional[str]              # YYYYMM of the plan month, when the name has one
    sender: Party
    recipient: Party
    received_at: datetime
    state: InboxState
    content_sha256: str
    size: int
    bundle: str = ""                  # ファイル連番 (serial) shared by files sent together
    findings: Tuple[FindingSummary, ...] = ()
    subject: str = ""                 # messages only
    attachments: Tuple[str, ...] = () # messages only: attachment names, made safe
    saved_to: str = ""                # folder it was saved to (state SAVED)
    problem: str = ""                 # could not be opened: finding codes (then state stays NEW)
    # 差し替え済み: the name of a newer received version (same kind, month and partner) that replaced it
    superseded_by: Optional[str] = None


@dataclass(frozen=True)
class OutboxItem:
    """An item this office sent or is sending."""

    seq: int                          # the store's order of queuing
    name: str
    kind: str                         # wire.KIND_FILE or wire.KIND_MESSAGE
    file_kind: str
    month: Optional[str]
    sender: Party
    recipient: Party
    state: OutboxState
    content_sha256: str               # SHA-256 of the plain content: what makes a resend "the same"
    size: int
    queued_at: datetime
    sent_at: Optional[datetime] = None
    received_at: Optional[datetime] = None   # the signed receipt's time (state RECEIVED)
    relay_id: Optional[str] = None
    bundle: str = ""
    attempts: int = 0
    error: Optional[FindingSummary] = None   # state ERROR (or WAITING after a retryable failure)
    subject: str = ""


@dataclass(frozen=True)
class ArchiveRecord:
    """One exchanged item kept as evidence (運営指導): plain file, signed envelope, signed receipt."""

    seq: int
    direction: Direction
    name: str
    kind: str
    file_kind: str
    month: Optional[str]
    partner: Party                    # the other office
    time: datetime                    # sent (confirmed by the relay) or received
    state: str                        # OutboxState or InboxState value
    content_sha256: str
    size: int
    has_envelope: bool = False
    has_receipt: bool = False
    users: Tuple[str, ...] = ()       # 被保険者番号 / names found in the file (for search)
    subject: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``items`` from ``offset``; ``total`` matching the filter."""

    items: Tuple[T, ...]
    total: int
    offset: int = 0
    limit: int = 50

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class ListQuery:
    """Filters and paging shared by every list. Empty fields do not filter.
    ``text`` searches names, subjects, partners' names and users (FTS5 in the archive)."""

    offset: int = 0
    limit: int = 50
    partner: str = ""                 # office number
    month: str = ""                   # YYYYMM
    kind: str = ""                    # file_kind (UPPLAN …) or "MSG"
    state: str = ""                   # a state value
    user: str = ""                    # 被保険者番号 or name (archive)
    direction: str = ""               # archive only: "sent" / "received"
    text: str = ""


@dataclass(frozen=True)
class Partner:
    """An office in the directory, as the screens show it."""

    office: str
    name: str
    services: Tuple[str, ...] = ()
    on_system: bool = False


@dataclass(frozen=True)
class CertificateStatus:
    office: str
    not_after: datetime
    days_left: int
    warning: str = ""                 # "", "90", "30", "7" or "expired": the catalogue words for it


@dataclass(frozen=True)
class RelayStatus:
    url: str
    reachable: bool
    problem: Optional[FindingSummary] = None


@dataclass(frozen=True)
class Preview:
    """A received file ready to read: its findings and its rows parsed by the layout.
    ``fields`` holds, per record, (column label, value) pairs; ``grid`` is filled for 第6表/実績
    (see ``core.preview``); messages fill ``text`` and ``attachments``."""

    item: InboxItem
    findings: Tuple[FindingSummary, ...] = ()
    records: Tuple[Tuple[Tuple[str, str], ...], ...] = ()
    grid: Optional[object] = None
    text: str = ""
    attachments: Tuple[str, ...] = ()
    problem: str = ""


@dataclass
class Progress:
    """What a long task reports to its face, always from the thread that runs the task."""

    stage: str                        # "sealed", "sent", "failed", "received", …
    name: str
    done: int
    total: int
    extra: dict = field(default_factory=dict)
