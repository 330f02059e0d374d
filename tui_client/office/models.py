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
    #: When another PC of the office had already received it (its receipt is the one the sender
    #: has); None when this PC was the first, or the relay did not say.
    other_pc_received_at: Optional[datetime] = None
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
    imported: bool = False            # taken from the national client's folder: no envelope, no receipt
    receipt_at: Optional[datetime] = None   # the signed receipt's time, when one is kept


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


# --- drafts (新規作成 / 下書き) ------------------------------------------------------------------

@dataclass(frozen=True)
class DraftFile:
    """A file held by a draft: an attachment, or a care-plan CSV sent along with the message.
    ``data`` is filled when one draft is opened (``Office.draft``), empty in lists; a draft saved
    with ``data`` empty and ``sha256`` set keeps the file it already holds."""

    name: str
    data: bytes = b""
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True)
class Draft:
    """A message being written, saved as it is typed (the office database, so a crash loses
    nothing). ``id`` is "" until first saved; ``seq`` orders creation and ``updated_seq`` the last
    change, both from the store's own counter (never a clock)."""

    id: str = ""
    recipient: str = ""               # office number ("" while not chosen)
    recipient_service: str = ""       # the site's service-type code, for offices with several sites
    subject: str = ""
    text: str = ""
    attachments: Tuple[DraftFile, ...] = ()
    files: Tuple[DraftFile, ...] = ()  # care-plan CSV files to send to the same recipient
    template: str = ""                # a template note's id (wire.Message.template), else ""
    seq: int = 0
    updated_seq: int = 0
    updated_at: Optional[datetime] = None   # when it was last saved, to show (order is updated_seq)
    recipient_name: str = ""          # from the directory, for lists ("" while unknown)

    @property
    def empty(self) -> bool:
        return not (self.recipient or self.subject.strip() or self.text.strip() or self.attachments or self.files)


# --- the evidence archive (保管庫): checking, exporting, retention, folder import -------------------

@dataclass(frozen=True)
class Verification:
    """An archived exchange checked again: the plain file against its recorded SHA-256, the sealed
    envelope (opened and verified for a received item; its digest against the one the relay took for
    a sent item) and the signed receipt (signature, file name and digest). ``ok`` when nothing that
    was kept failed; ``envelope_checked`` / ``receipt_checked`` say what could be checked at all."""

    seq: int
    name: str
    ok: bool
    envelope_checked: bool = False
    receipt_checked: bool = False
    findings: Tuple[FindingSummary, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    """An export of the archive for one user or one month: the folder made, the files in it (plain
    files; envelopes and receipts in the evidence subfolder) and ``index.csv``."""

    folder: str
    records: int = 0
    files: Tuple[str, ...] = ()
    index: str = ""
    findings: Tuple[FindingSummary, ...] = ()


@dataclass(frozen=True)
class RetentionPlan:
    """What deleting records older than the retention period would remove, to show before asking:
    the records (by ``seq``), and how many per month and per partner (office, name, count)."""

    years: int
    cutoff: datetime                  # records exchanged before this go
    seqs: Tuple[int, ...] = ()
    months: Tuple[Tuple[str, int], ...] = ()
    partners: Tuple[Tuple[str, str, int], ...] = ()

    @property
    def count(self) -> int:
        return len(self.seqs)


@dataclass(frozen=True)
class ImportResult:
    """A folder of plain care-plan files (the national client's downloads) taken into the archive
    as received records marked imported; files seen before (same content) are left alone."""

    imported: Tuple[str, ...] = ()
    already: Tuple[str, ...] = ()
    refused: Tuple[str, ...] = ()
    findings: Tuple[FindingSummary, ...] = ()
