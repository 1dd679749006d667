"""`import_roster`: read, validate everything, then apply the difference in one transaction.

A file with any error writes nothing; a dry run goes through the same steps (so its counts are the
real ones) and rolls back. An upload may be limited to the uploader's schools (`only_schools`, see
`roster.scope`); what reaches beyond them is reported like any other row error. The audit
row carries ids and counts, never names or phone numbers. A file that is the roster last applied,
with nothing changed in the store since (`roster.memory`), writes only its audit row: the very same
bytes are not even read again (their findings are the ones remembered), another file of the same
roster is checked as always.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from locales import T
from models import AuditLog, RosterMemory
from models.clock import utcnow
from models.invariants import InvariantViolation
from models.upkeep import after_import
from roster.apply import Applier, read_facts
from roster.memory import file_digest, hold, recall, recall_file, remember, remember_file, remembered_notes
from roster.parsed import Roster
from roster.reader import read_roster
from roster.report import ImportReport, RowError, landline_notes
from roster.rules import check
from roster.schema import GROUPS
from roster.scope import outside_schools
from roster.untouched import Others, after_apply, before_apply
from roster.validate import programme_rules, sort_errors, validate

log = logging.getLogger(__name__)

AUDIT_ACTION = "roster.import"
RECORD_ACTION = "roster.record"


def import_roster(
    engine: Engine,
    path: Path,
    *,
    dry_run: bool,
    invite_ttl: timedelta,
    now: datetime | None = None,
    only_schools: frozenset[str] | None = None,
    actor_id: int | None = None,
) -> ImportReport:
    """Import a roster file (.xlsx or .csv, see `roster.schema`) into the store.

    `only_schools`: the codes of the schools the uploader may change (None: no limit, as from the
    command line). `actor_id`: who uploaded it (the dashboard's signed-in coordinator), named in
    the audit rows."""
    with _collector_paused():
        return _import(engine, path, dry_run, invite_ttl, now or utcnow(), only_schools, actor_id)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a roster is read, checked and applied: a file of 12,000
    pupils makes a million small objects (cells, rows, parsed rows), none of them in a cycle, and the
    collector walked them all again and again — a third of the time of reading and checking."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _import(
    engine: Engine,
    path: Path,
    dry_run: bool,
    invite_ttl: timedelta,
    moment: datetime,
    only_schools: frozenset[str] | None,
    actor_id: int | None,
) -> ImportReport:
    report = ImportReport(file=path.name, dry_run=dry_run)
    detail = _file_detail(path)
    file = file_digest(detail["format"], detail["sha256"])
    with Session(engine, expire_on_commit=False) as session:
        same_bytes = recall_file(session, file, only_schools)
        if same_bytes is not None:
            notes = remembered_notes(same_bytes, path.name)
            return _unchanged(session, report, detail, same_bytes, notes, moment, actor_id)
        raw = read_roster(path)
        facts = read_facts(session)
        roster, errors = validate(raw, facts)
        broken, warnings = check(raw.file, roster, programme_rules(roster, facts), errors)
        errors = sort_errors(errors + broken)
        if only_schools is not None:
            errors = sort_errors(errors + outside_schools(session, raw.file, roster, only_schools))
        if errors:
            report.errors = errors
            log.info("roster import refused: %d errors", len(errors))
            return report
        notes = sort_errors(warnings + landline_notes(raw.file, roster.people.values()))
        known = recall(session, roster, file)
        if known.remembered is not None:
            if not dry_run:
                remember_file(session, known.remembered, file, notes)
            return _unchanged(session, report, detail, known.remembered, notes, moment, actor_id)
        others = Others([])
        if not dry_run:
            others = before_apply(session, known.scope, hold(session), roster.groups)
        applier = Applier(session, roster, moment, invite_ttl)
        try:
            applier.run()
            applier.check_store_rules()
            if dry_run:
                session.rollback()
            else:
                counts = applier.changes.counts
                version = remember(session, known, applier.school_ids(), counts, notes)
                after_apply(session, others, counts, applier.school_ids(), applier.people.values(), version)
                session.add(_audit(detail, applier, moment, actor_id))
                session.add_all(_record_audits(applier, moment, actor_id))
                session.commit()
        except InvariantViolation as exc:
            session.rollback()
            report.errors = [_store_rule_error(path.name, exc, roster, applier)]
            log.info("roster import refused by store rule %s", exc.code)
            return report
        except IntegrityError:
            session.rollback()
            report.errors = [RowError(path.name, "", 0, "", T("roster.error.store_conflict"))]
            log.warning("roster import refused: integrity error", exc_info=True)
            return report
    report.changes = applier.changes.counts
    report.notes = notes
    if not dry_run:
        report.invites = applier.invites
        after_import(engine)  # planner statistics: bulk writes change the tables' shape the most
    log.info(
        "roster import %s: %s",
        "checked" if dry_run else "applied",
        {kind: c for kind, c in report.changes.items() if c["created"] + c["updated"] + c["removed"]},
    )
    return report


def _unchanged(
    session: Session,
    report: ImportReport,
    detail: dict[str, str],
    memory: RosterMemory,
    notes: list[RowError],
    moment: datetime,
    actor_id: int | None,
) -> ImportReport:
    """The file is the roster last applied and nothing has changed the store since: only the audit
    row is written ("nothing changed"), and the report counts the rows as unchanged."""
    report.unchanged = True
    report.changes = memory.counts
    report.notes = notes
    if not report.dry_run:
        schools = memory.school_ids
        session.add(
            AuditLog(
                at=moment,
                actor_id=actor_id,
                action=AUDIT_ACTION,
                entity="school",
                entity_id=schools[0] if len(schools) == 1 else None,
                detail={**detail, "school_ids": schools, "nothing_changed": True},
            )
        )
        session.commit()
    log.info("roster import %s: nothing changed", "checked" if report.dry_run else "applied")
    return report


def _file_detail(path: Path) -> dict[str, str]:
    """The file as the audit names it (its format and bytes' digest, never its rows); an unreadable
    file's digest is empty (the reader reports why)."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    return {
        "format": path.suffix.lower().lstrip("."),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _record_audits(applier: Applier, moment: datetime, actor_id: int | None) -> list[AuditLog]:
    """One row per record of the store the import changed: which record, and what (numbers masked,
    names and addresses only "changed"), so "who changed this parent's phone, and when" has an answer."""
    return [
        AuditLog(
            at=moment,
            actor_id=actor_id,
            action=RECORD_ACTION,
            entity=change.entity,
            entity_id=change.entity_id,
            detail={"change": change.change, "fields": change.fields},
        )
        for change in applier.record_changes
    ]


def _audit(detail: dict[str, str], applier: Applier, moment: datetime, actor_id: int | None) -> AuditLog:
    schools = sorted(applier.school_ids())
    return AuditLog(
        at=moment,
        actor_id=actor_id,
        action=AUDIT_ACTION,
        entity="school",
        entity_id=schools[0] if len(schools) == 1 else None,
        detail={
            **detail,
            "school_ids": schools,
            "changes": applier.changes.counts,
            "invites": len(applier.invites),
            "invited_person_ids": sorted(applier.pid(i.external_id) for i in applier.invites),
        },
    )


def _store_rule_error(file: str, exc: InvariantViolation, roster: Roster, applier: Applier) -> RowError:
    params = exc.params
    if exc.code == "group_size":
        group = roster.groups.get(str(params.get("group")))
        row = group.at.row if group else 0
        reason = T("roster.error.group_size", size=params["size"], min=params["min"], max=params["max"])
        return RowError(file, GROUPS, row, "pupils", reason)
    if exc.code == "too_many_subjects":
        pupil = next((i for i, p in applier.people.items() if p == params.get("pupil")), "?")
        reason = T("roster.error.too_many_subjects", id=pupil, max=params["max"])
        return RowError(file, GROUPS, 0, "pupils", reason)
    return RowError(file, "", 0, "", T("roster.error.store_rule", rule=exc.code))
