"""Notes from templates (利用なし, 限度額超過, an office's own): the templates this office can use, a
filled note sent as a message (with its PDF attached when asked), and the notes the month's files
call for.

An office's own templates are TOML files in ``<office folder>/templates/`` (``templates_folder``;
docs/templates.md); the built-ins come with the program and cannot be replaced. A note travels as an
ordinary message (``send_message``) carrying the template's id, so the recipient's inbox knows it
for what it is. Suggestions read the archive on this PC only (no network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tui_client.core import templates as tpl
from tui_client.core.findings import Finding, make
from tui_client.office.models import ListQuery
from tui_client.office.results import NamedFile, SendReport


@dataclass(frozen=True)
class Suggestion:
    """A note the month's files call for: which template, to whom, and the values to fill it."""

    template_id: str
    recipient: str
    recipient_service: Optional[str]
    values: Dict[str, str] = field(default_factory=dict)
    source: str = ""            # the file the values come from


def note_file_name(note: tpl.Note) -> str:
    """The PDF's name: template, month and user, so a month's notes saved in one folder never clash."""
    parts = [note.template_id] + [note.values.get(k, "") for k in ("month", "insured")]
    return "_".join(p for p in parts if p) + ".pdf"


def note_pdf(note: tpl.Note) -> Tuple[Optional[NamedFile], List[Finding]]:
    """The note's one-page PDF as an attachment (name, bytes), or a finding when it cannot be made."""
    try:
        return (note_file_name(note), tpl.render_pdf(note)), []
    except ImportError as exc:          # reportlab missing from a broken install
        return None, [make("E-NOTE-013", reason=str(exc))]


def _bundles(files: Sequence[NamedFile]) -> Dict[tuple, List[NamedFile]]:
    from tui_client.core.spec.filenames import parse_filename

    out: Dict[tuple, List[NamedFile]] = {}
    for name, data in files:
        parsed, _ = parse_filename(name)
        if parsed is not None:
            out.setdefault(parsed.bundle_key, []).append((name, data))
    return out


def _latest_per_sender(files: Sequence[NamedFile]) -> List[NamedFile]:
    """A newer file of the same kind, month and parties replaces the older one (the ファイル連番 says
    which is newer): only the newest counts."""
    from tui_client.core.spec.filenames import parse_filename

    best: Dict[tuple, Tuple[str, NamedFile]] = {}
    for name, data in files:
        p, _ = parse_filename(name)
        if p is None:
            continue
        key = (p.prefix, p.month, p.sender, p.sender_service, p.recipient, p.recipient_service)
        if key not in best or p.serial > best[key][0]:
            best[key] = (p.serial, (name, data))
    return [f for _, f in best.values()]


class NotesPart:
    @property
    def templates_folder(self) -> Path:
        """Where this office keeps its own templates (created by whoever adds the first one)."""
        return Path(self.paths.root) / "templates"

    def templates(self) -> Tuple[List[tpl.Template], List[Finding]]:
        """The built-in templates and this office's own, with a finding for each file that is wrong."""
        return tpl.load_templates([self.templates_folder])

    def send_note(self, recipient: str, note: tpl.Note, *, pdf: bool = False,
                  recipient_service: Optional[str] = None) -> SendReport:
        """Send a filled note as a message carrying its template's id; with ``pdf`` the one-page PDF
        of the same text goes with it as an attachment."""
        attachments: List[NamedFile] = []
        if pdf:
            made, findings = note_pdf(note)
            if made is None:
                return SendReport(findings=findings)
            attachments.append(made)
        return self.send_message(recipient, note.subject, note.text, recipient_service=recipient_service,
                                 attachments=attachments, template=note.template_id)

    # -- suggestions from the archive
    def _archived(self, direction: str, kind: str, month: str) -> List[NamedFile]:
        page = self.archive(ListQuery(direction=direction, kind=kind, month=month, limit=-1))
        out = []
        for rec in page.items:
            data = self.db.archive_content(direction, rec.name)
            if data:
                out.append((rec.name, data))
        return out

    def nil_usage_suggestions(self, month: str) -> List[Suggestion]:
        """For a provider: the users and services the care managers' 第6表 予定 of ``month`` (received
        here, the newest of each) plan for this office, for which this office sent no 実績. Each is
        a 利用なし note to the care manager who sent the plan."""
        from tui_client.core.spec.filenames import parse_filename

        plans = _latest_per_sender(self._archived("received", "UPPLAN", month))
        actuals = self._archived("sent", "UPJSK", month)
        companions = _bundles(self._archived("received", "UPHOSOKU", month))
        out = []
        for name, data in plans:
            p, _ = parse_filename(name)
            for values in tpl.nil_usage_candidates(data, name, actuals, companions=companions.get(p.bundle_key, [])):
                out.append(Suggestion(tpl.NIL_USAGE, p.sender, p.sender_service, values, name))
        return out

    def over_limit_suggestions(self, files: Sequence[NamedFile] = (), month: str = "") -> List[Suggestion]:
        """For a care manager: the users over the 区分支給限度基準額 in the 第7表 of ``files`` (the plan
        being sent), or, without files, in the 第7表 sent for ``month``. Each is a 限度額超過 note to
        the provider the 第7表 goes to. The 利用者補足 of the same bundle gives names and limits."""
        from tui_client.core.spec.filenames import parse_filename

        if not files:
            files = self._archived("sent", "UPSIKYU", month) + self._archived("sent", "UPHOSOKU", month)
        out = []
        for key, members in _bundles(list(files)).items():
            companions = [(n, d) for n, d in members if parse_filename(n)[0].prefix == "UPHOSOKU"]
            for name, data in _latest_per_sender([(n, d) for n, d in members
                                                  if parse_filename(n)[0].prefix == "UPSIKYU"]):
                p, _ = parse_filename(name)
                for values in tpl.over_limit_candidates(data, name, companions=companions):
                    out.append(Suggestion(tpl.OVER_LIMIT, p.recipient, p.recipient_service, values, name))
        return out
