"""What an import says back: row errors, counts of changes per kind, invites issued; and its text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from locales import T, Text
from roster.parsed import PersonRow

CHANGE_KINDS = ("created", "updated", "removed", "unchanged")


@dataclass(frozen=True)
class RowError:
    """A row the importer refuses: where it is (row 1 is the header; 0 means the whole file/sheet)."""

    file: str
    sheet: str
    row: int
    field: str
    reason: Text


class IssuedInvite(NamedTuple):
    external_id: str
    role: str
    code: str
    name: str = ""


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    # What goes through but the coordinator should know (a landline: no messages reach it).
    notes: list[RowError] = field(default_factory=list)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    invites: list[IssuedInvite] = field(default_factory=list)
    # The file is the roster last applied and the store is as that left it: nothing was compared.
    unchanged: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> int:
        """Rows created, updated or removed (0 when a file is imported again unchanged)."""
        return sum(c["created"] + c["updated"] + c["removed"] for c in self.changes.values())

    def count(self, kind: str, what: str) -> int:
        return self.changes.get(kind, {}).get(what, 0)


class Changes:
    """Counts per kind of row: created / updated / removed / unchanged."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, kind: str, what: str, n: int = 1) -> None:
        if what not in CHANGE_KINDS:
            raise ValueError(f"{what!r} is not one of {CHANGE_KINDS}")
        bucket = self.counts.setdefault(kind, dict.fromkeys(CHANGE_KINDS, 0))
        bucket[what] += n


KIND_NAMES: dict[str, Text] = {
    "programme": T("roster.kind.programme"),
    "school": T("roster.kind.school"),
    "class": T("roster.kind.class"),
    "person": T("roster.kind.person"),
    "membership": T("roster.kind.membership"),
    "guardianship": T("roster.kind.guardianship"),
    "channel": T("roster.kind.channel"),
    "group": T("roster.kind.group"),
    "group_member": T("roster.kind.group_member"),
    "lesson": T("roster.kind.lesson"),
    "calendar": T("roster.kind.calendar"),
    "invite": T("roster.kind.invite"),
}


def report_texts(report: ImportReport) -> list[Text]:
    if not report.ok:
        head = T("roster.report.failed", file=report.file, errors=len(report.errors))
    elif report.unchanged:
        head = T("roster.report.unchanged", file=report.file)
    elif report.dry_run:
        head = T("roster.report.dry_run", file=report.file, changes=report.changed)
    else:
        head = T("roster.report.done", file=report.file, changes=report.changed)
    texts = [head]
    for error in report.errors:
        texts.append(
            T(
                "roster.report.error_line",
                sheet=error.sheet or "-",
                row=error.row,
                field=error.field or "-",
                reason=error.reason,
            )
        )
    if report.ok:
        for kind, counts in report.changes.items():
            texts.append(
                T(
                    "roster.report.kind_line",
                    kind=KIND_NAMES.get(kind, kind),
                    created=counts["created"],
                    updated=counts["updated"],
                    removed=counts["removed"],
                    unchanged=counts["unchanged"],
                )
            )
        if report.invites:
            texts.append(T("roster.report.invites", count=len(report.invites)))
            texts += [
                T(
                    "roster.report.invite_line",
                    code=invite.code,
                    name=invite.name,
                    role=T(f"invites.role.{invite.role}"),
                    id=invite.external_id,
                )
                for invite in report.invites
            ]
        for note in report.notes:
            texts.append(
                T(
                    "roster.report.note_line",
                    sheet=note.sheet,
                    row=note.row,
                    field=note.field,
                    reason=note.reason,
                )
            )
    return texts


def landline_notes(file: str, people: Iterable[PersonRow]) -> list[RowError]:
    """A person whose phone is a landline: imported, but no WhatsApp or SMS will reach them, so their
    messages go to the class teacher's call or paper list."""
    return [
        RowError(file, row.at.sheet, row.at.row, "phone", T("roster.note.landline", phone=row.phone))
        for row in people
        if row.phone and not row.mobile
    ]


def format_report(report: ImportReport, locale: str) -> list[str]:
    """The report as lines of text in `locale` (kk, ru or en)."""
    return [text.render(locale) for text in report_texts(report)]
