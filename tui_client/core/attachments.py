"""Attachments of a message: what a file is (by its content, never by its name) and whether it may go.

Offices attach PDFs (a scanned certificate, meeting notes), photos (JPEG, PNG, GIF) and plain text.
Word, Excel and PowerPoint files are refused (the recipient may not have the program, and macros
travel with them: print to PDF instead), and so are programs, ZIP archives and anything else. The
name's extension decides nothing: an ``.xlsx`` renamed ``.pdf`` is still Excel and refused as Excel,
and a JPEG named ``.png`` is a mismatch the sender must fix (the recipient's viewer goes by the name).

Limits: ``MAX_FILE_BYTES`` per attachment and ``MAX_MESSAGE_BYTES`` for all of one message's
attachments together, chosen so that a whole message still fits the relay's item limit
(``wire.DEFAULT_MAX_ITEM_BYTES``) after sealing: the payload is JSON with the files in base64
(4/3 of their size) and the CMS envelope adds signatures and certificates (``SEAL_HEADROOM``).

Pure: bytes in, values and findings out; no I/O (``zipfile`` only reads the bytes given), never
raises on what a user gave it. Japanese words live in the catalogue (codes ``E-ATT-…``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, has_errors, make
from tui_client.core.safetext import is_printable, printable

MiB = 1024 * 1024
#: One attachment at most (a scanned multi-page PDF or a phone photo fits easily).
MAX_FILE_BYTES = 10 * MiB
#: All attachments of one message together.
MAX_MESSAGE_BYTES = 20 * MiB
#: What sealing adds beyond the payload (SignedData + EnvelopedData headers, the signer's
#: certificate chain, one RecipientInfo per recipient certificate, padding), generously.
SEAL_HEADROOM = 256 * 1024

#: Kinds that may be attached: (media type, the extensions a name of that kind may end with).
ALLOWED = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "gif": ("image/gif", (".gif",)),
    "txt": ("text/plain", (".txt",)),
}

#: Refused kinds → their finding code (the catalogue says why and what to do instead).
REFUSED = {
    "word": "E-ATT-001",
    "excel": "E-ATT-002",
    "powerpoint": "E-ATT-003",
    "office": "E-ATT-004",
    "program": "E-ATT-005",
    "zip": "E-ATT-006",
    "unknown": "E-ATT-007",
    "empty": "E-ATT-008",
}

#: How a kind is named in a message (format names, the same in Japanese).
LABELS = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "txt": "TXT", "word": "Word",
          "excel": "Excel", "powerpoint": "PowerPoint", "office": "Office", "program": "EXE",
          "zip": "ZIP", "unknown": "?", "empty": "?"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
             b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\x00asm")
#: Byte values a text file never holds (NUL and the C0 controls but TAB, LF, FF, CR; ESC included:
#: it would start a terminal escape sequence in a viewer), and DEL.
_BINARY = frozenset(range(0x00, 0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}


def _ole2_kind(data: bytes) -> str:
    """Word / Excel / PowerPoint inside an OLE2 compound file, by its stream names (UTF-16LE)."""
    for needle, kind in (("WordDocument", "word"), ("Workbook", "excel"), ("Book", "excel"),
                         ("PowerPoint Document", "powerpoint")):
        if needle.encode("utf-16-le") in data:
            return kind
    return "office"


def _zip_kind(data: bytes) -> str:
    """An OOXML document (Word, Excel, PowerPoint), an OpenDocument, or a plain ZIP archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        names = []
    if not names:          # a damaged or truncated archive: the local headers still name the parts
        head = data[: 4 * MiB]
        names = [n.decode("latin-1") for n in (b"[Content_Types].xml", b"word/", b"xl/", b"ppt/", b"mimetype")
                 if n in head]
    for prefix, kind in (("word/", "word"), ("xl/", "excel"), ("ppt/", "powerpoint")):
        if any(n.startswith(prefix) for n in names):
            return kind
    if "[Content_Types].xml" in names or "mimetype" in names:
        return "office"
    return "zip"


def _is_text(data: bytes) -> bool:
    if any(b in _BINARY for b in data):
        return False
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    for encoding in ("utf-8", "cp932"):
        try:
            body.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(data: bytes) -> str:
    """What ``data`` is, by content: a key of ``ALLOWED`` or of ``REFUSED``."""
    if not data:
        return "empty"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(_OLE2):
        return _ole2_kind(data)
    if data.startswith(_ZIP):
        return _zip_kind(data)
    if data.startswith(_PROGRAMS):
        return "program"
    if _is_text(data):
        return "txt"
    return "unknown"


def size_label(n: int) -> str:
    """A size as people read it: 1.5 MB, 820 KB (decimal-looking units of 1024, one decimal)."""
    if n >= MiB:
        return f"{n / MiB:.1f} MB"
    return f"{max(1, round(n / 1024))} KB" if n else "0 KB"


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


@dataclass(frozen=True)
class CheckedAttachment:
    """One file as it would be attached: the name it goes under (safe on any disk), the name as
    shown to a person (control and bidi characters spelled out), its kind and its findings."""

    name: str
    shown: str
    kind: str
    size: int
    findings: Tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def media_type(self) -> Optional[str]:
        return ALLOWED[self.kind][0] if self.kind in ALLOWED else None


def check_attachment(name: str, data: bytes) -> CheckedAttachment:
    """Check one attachment: its kind by content, a name that agrees with it, its size."""
    # no path parts, reserved or control characters, and no bidi override or zero-width trick either
    safe = wire.safe_file_name("".join(ch if is_printable(ch) else "_" for ch in name))
    shown = printable(name.replace("\\", "/").rsplit("/", 1)[-1] or name)
    kind = sniff(data)
    ext = extension(safe)
    findings: List[Finding] = []
    if kind in REFUSED:
        findings.append(make(REFUSED[kind], shown, value=shown, ext=ext or "-"))
        # "an .xlsx renamed .pdf": say also that the name pretends to be something it is not
        if ext and any(ext in exts for _, exts in ALLOWED.values()) and kind not in ("unknown", "empty"):
            findings.append(make("E-ATT-014", shown, value=shown, ext=ext, actual=LABELS[kind]))
    else:
        exts = ALLOWED[kind][1]
        if ext not in exts:
            findings.append(make("E-ATT-011", shown, value=shown, ext=ext or "-", actual=LABELS[kind],
                                 expected=exts[0]))
    if len(data) > MAX_FILE_BYTES:
        findings.append(make("E-ATT-009", shown, value=shown, size=size_label(len(data)),
                             limit=size_label(MAX_FILE_BYTES)))
    return CheckedAttachment(safe, shown, kind, len(data), tuple(findings))


def sealed_estimate(attachment_bytes: int, text_bytes: int = 0) -> int:
    """A generous bound on the sealed size of a message carrying that much: base64 of the files,
    the text as UTF-8 in JSON (escapes at most double it), and the envelope's headroom."""
    return 4 * ((attachment_bytes + 2) // 3) + 2 * text_bytes + SEAL_HEADROOM


def check_attachments(items: Sequence[Tuple[str, bytes]], text: str = "",
                      max_item_bytes: int = wire.DEFAULT_MAX_ITEM_BYTES
                      ) -> Tuple[List[CheckedAttachment], List[Finding]]:
    """Check every attachment of a message, and the message as a whole: (each file's check, the
    findings of the message as a whole: total size, relay item limit, the same name twice)."""
    checked = [check_attachment(n, d) for n, d in items]
    whole: List[Finding] = []
    total = sum(c.size for c in checked)
    if total > MAX_MESSAGE_BYTES:
        whole.append(make("E-ATT-010", size=size_label(total), limit=size_label(MAX_MESSAGE_BYTES)))
    elif sealed_estimate(total, len(text.encode("utf-8"))) > max_item_bytes:
        whole.append(make("E-ATT-012", size=size_label(total)))
    seen = set()
    for c in checked:
        if c.name.casefold() in seen:
            whole.append(make("E-ATT-013", c.shown, value=c.shown))
        seen.add(c.name.casefold())
    return checked, whole


__all__ = ["MAX_FILE_BYTES", "MAX_MESSAGE_BYTES", "SEAL_HEADROOM", "ALLOWED", "REFUSED", "CheckedAttachment",
           "sniff", "check_attachment", "check_attachments", "sealed_estimate", "size_label"]
