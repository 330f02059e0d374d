"""Drafts (下書き): messages being written, kept in the office database as they are typed, and sent
from there.

A draft holds the recipient (and the site, for an office with several), the subject, the text, the
attachments and any care-plan CSV files going to the same recipient; files are blobs by SHA-256
like every other payload. ``send_draft`` checks everything first (attachments by content, the
files against the recipient's registered service types), sends the files and the message, and
deletes the draft only once the message is in the outbox: a failure anywhere keeps the draft.
"""

from __future__ import annotations

import secrets
from typing import List, Optional, Tuple

from tui_client.core.findings import Finding, has_errors, make
from tui_client.office.archive import parse_time
from tui_client.office.models import Draft, DraftFile, ListQuery, Page
from tui_client.office.receiving import _now
from tui_client.office.results import SendReport


class DraftsPart:
    def save_draft(self, draft: Draft) -> Tuple[str, int]:
        """Create (``draft.id`` "") or replace a draft: (its id, its new ``updated_seq``)."""
        parts = [(role, f.name, f.data if f.data or not f.sha256 else None, f.sha256)
                 for role, group in (("attachment", draft.attachments), ("file", draft.files)) for f in group]
        draft_id = draft.id or secrets.token_hex(8)
        fields = {"recipient": draft.recipient, "recipient_service": draft.recipient_service,
                  "subject": draft.subject, "text": draft.text, "template": draft.template,
                  "updated_at": _now()}
        _, _, updated = self.db.draft_put(draft_id, fields, parts)
        return draft_id, updated

    def _draft_model(self, fields: dict, parts: List[tuple]) -> Draft:
        groups = {"attachment": [], "file": []}
        for role, name, digest, size, data in parts:
            groups[role].append(DraftFile(name, data or b"", digest, int(size)))
        recipient = str(fields.get("recipient") or "")
        return Draft(id=str(fields["id"]), recipient=recipient,
                     recipient_service=str(fields.get("recipient_service") or ""),
                     subject=str(fields.get("subject") or ""), text=str(fields.get("text") or ""),
                     attachments=tuple(groups["attachment"]), files=tuple(groups["file"]),
                     template=str(fields.get("template") or ""), seq=int(fields.get("seq") or 0),
                     updated_seq=int(fields.get("updated_seq") or 0),
                     updated_at=parse_time(fields.get("updated_at")),
                     recipient_name=self.partner_name(recipient) if recipient else "")

    def drafts(self, query: ListQuery = ListQuery()) -> Page[Draft]:
        """Drafts, the most recently changed first; files listed by name and size, not loaded."""
        rows, total = self.db.draft_list(offset=query.offset, limit=query.limit)
        return Page(tuple(self._draft_model(f, p) for f, p in rows), total, query.offset, query.limit)

    def draft(self, draft_id: str) -> Optional[Draft]:
        """One draft with its files' contents, or None."""
        got = self.db.draft_get(draft_id)
        return self._draft_model(*got) if got is not None else None

    def delete_draft(self, draft_id: str) -> bool:
        return self.db.draft_delete(draft_id)

    def check_draft(self, draft: Draft) -> List[Finding]:
        """What would stop this draft from going: no recipient or subject, attachments refused by
        content or size, care-plan files with errors or for another recipient. No network except
        the directory (the recipient's registered service types)."""
        from tui_client.core.attachments import check_attachments

        findings: List[Finding] = []
        if not draft.recipient:
            findings.append(make("E-DRAFT-003"))
        if not draft.subject.strip():
            findings.append(make("E-DRAFT-004"))
        checked, whole = check_attachments([(a.name, a.data) for a in draft.attachments], draft.text)
        findings += [f for c in checked for f in c.findings] + whole
        if draft.files:
            findings += self.prepare([(f.name, f.data) for f in draft.files]).all_findings()
            findings += [f for f in (other_recipient(x.name, draft.recipient, draft.recipient_service)
                                     for x in draft.files) if f is not None]
        return findings

    def send_draft(self, draft_id: str) -> SendReport:
        """Send a saved draft: its care-plan files, then the message. The draft is deleted once the
        message is queued (in the outbox, on disk); until then it stays, whatever failed."""
        report = SendReport()
        draft = self.draft(draft_id)
        if draft is None:
            report.findings.append(make("E-DRAFT-001", value=draft_id))
            return report
        problems = self.check_draft(draft)
        if has_errors(problems):
            report.findings = problems
            return report
        if draft.files:
            files = self.send([(f.name, f.data) for f in draft.files])
            _merge(report, files)
            if has_errors(files.findings):
                return report
        sent = self.send_message(draft.recipient, draft.subject, draft.text,
                                 recipient_service=draft.recipient_service or None,
                                 attachments=[(a.name, a.data) for a in draft.attachments],
                                 template=draft.template)
        _merge(report, sent)
        if sent.queued:
            self.delete_draft(draft_id)
        return report


def other_recipient(name: str, office: str, service: str = "") -> Optional[Finding]:
    """E-DRAFT-007 when a care-plan file's name addresses another office (or another site of the
    chosen office) than the draft's recipient; None when it matches or the name says nothing."""
    from tui_client.core import route

    r, _ = route.route(name)
    if r is None or not office:
        return None
    if r.recipient == office and not (service and r.recipient_service and r.recipient_service != service):
        return None
    return make("E-DRAFT-007", name, value=name, to=f"{r.recipient}/{r.recipient_service or ''}".rstrip("/"),
                chosen=f"{office}/{service}".rstrip("/"))


def _merge(into: SendReport, part: SendReport) -> None:
    for name in ("queued", "sent", "duplicates", "waiting", "shelved", "already_sent", "findings"):
        getattr(into, name).extend(getattr(part, name))
    into.cancelled = into.cancelled or part.cancelled
