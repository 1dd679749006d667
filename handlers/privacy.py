"""A family's own data: a parent asks for everything stored about their child (/mydata, a JSON file)
or for its erasure (/forget). Erasure is a request the coordinator of the child's school confirms
(/confirm_forget <id>) before anything is deleted.

The export is sent once and deleted as it goes (`Reply.media_once`); one never sent is deleted
within the hour (`scheduler.retention`).

A request is an audit row (`privacy.forget_requested`, entity = the pupil); its id is the request
number. The coordinator's message names the child's class and roster id, never the name. Confirming
erases the pupil's work, attendance, consents, links, chat identities and the messages about them,
blanks the person row (kept so that audit rows still point somewhere), takes the name out of
messages to others that carried it (a tutor's list of who has not handed in), deletes the files
that showed the child (pages, the tutor's PDFs, Kazpost lists), and tells the parent through the
outbox. Once the turn commits, the database files keep no copy either
(`models.store.release_erased`). Logs and audit rows carry ids only.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, cast, delete, event, update
from sqlmodel import Session, col, select

from handlers import privacy_sms, privacy_words
from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.threads import store as threads
from handlers.types import Choice, Reply
from locales import T
from models.enums import Channel, Role
from models.homework import Feedback, Homework, Submission, SubmissionPage
from models.journal import AuditLog, Conversation
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Consent, Guardianship, Invite, Membership, Person
from models.postal import PostalItem
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.store import release_erased, stored_id
from models.timetable import Attendance
from outbox.write import enqueue

log = logging.getLogger("ustaz.privacy")

PREFIX = "pv:"
EXPORTS = "exports"  # under the media folder; scheduler/retention.py removes files an hour old
ERASED = "—"  # what an erased child's name becomes in messages to others
REQUESTED = "privacy.forget_requested"
CONFIRMED = "privacy.forget_confirmed"


def my_data(turn: Turn) -> list[Reply]:
    """/mydata: everything stored about the parent's children, as a file; on WhatsApp first in words
    (`handlers.privacy_words`); by SMS, which carries no file, counted in words
    (`handlers.privacy_sms`)."""
    children = _children(turn)
    if not children:
        return [Reply(T("privacy.no_children"))]
    stored = [(child, everything(turn.session, child)) for child in children]
    if turn.identity.channel == Channel.SMS:
        return [privacy_sms.summary(stored)]
    if turn.identity.channel == Channel.WHATSAPP:
        return [privacy_words.told(stored, turn.config.time_zone), export(turn, stored)]
    return [export(turn, stored)]


def forget(turn: Turn) -> list[Reply]:
    """/forget: an erasure request for the child, or the question which child."""
    children = _children(turn)
    if not children:
        return [Reply(T("privacy.no_children"))]
    if len(children) == 1:
        return request(turn, children[0])
    choices = tuple(
        Choice(f"{PREFIX}forget:{c.id}", T("privacy.choice.pupil", name=c.full_name)) for c in children
    )
    return [Reply(T("privacy.forget_which"), choices=choices)]


def on_choice(turn: Turn) -> list[Reply]:
    """The child chosen for erasure."""
    children = _children(turn)
    if not children:
        return [Reply(T("privacy.no_children"))]
    choice = turn.inbound.choice or ""
    chosen = next((c for c in children if choice == f"{PREFIX}forget:{c.id}"), None)
    return request(turn, chosen) if chosen else not_allowed()


def _children(turn: Turn) -> list[Person]:
    return list(
        turn.session.exec(
            select(Person)
            .join(Guardianship, col(Guardianship.pupil_id) == col(Person.id))
            .where(Guardianship.guardian_id == turn.person_id())
            .order_by(col(Person.id))
        ).all()
    )


# -- export ---------------------------------------------------------------------------------------


def export(turn: Turn, stored: list[tuple[Person, dict[str, Any]]]) -> Reply:
    """Write everything stored about the children (`everything`, each) to one JSON file and send it
    as a document."""
    children = [child for child, _ in stored]
    data = {"exported_at": _iso(turn.now), "pupils": [found for _, found in stored]}
    folder = turn.config.media_dir / EXPORTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ustaz-data-{secrets.token_hex(12)}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_text), encoding="utf-8")
    log.info(
        "privacy: export for guardian %s, %d pupils", turn.person.id if turn.person else None, len(children)
    )
    return Reply(T("privacy.export_ready", count=len(children)), media_path=str(path), media_once=True)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date | time) else str(value)


def _row(model: Any, *skip: str) -> dict[str, Any]:
    """A row's columns (dates and times become ISO text when the file is written)."""
    return dict(model.model_dump(exclude=set(skip)))


def everything(session: Session, pupil: Person) -> dict[str, Any]:
    """Every row stored about one pupil, as the export file holds it."""
    pid = pupil.id
    submissions = session.exec(select(Submission).where(Submission.pupil_id == pid)).all()
    ids = [s.id for s in submissions]
    pages = session.exec(select(SubmissionPage).where(col(SubmissionPage.submission_id).in_(ids))).all()
    feedback = session.exec(select(Feedback).where(col(Feedback.submission_id).in_(ids))).all()
    homework_ids = {s.homework_id for s in submissions}
    homework = session.exec(select(Homework).where(col(Homework.id).in_(homework_ids))).all()
    groups = session.exec(
        select(TutoringGroup)
        .join(GroupMember, col(GroupMember.group_id) == col(TutoringGroup.id))
        .where(GroupMember.pupil_id == pid)
    ).all()
    about = session.exec(
        select(Notification).where(
            (col(Notification.person_id) == pid) | (col(Notification.about_pupil_id) == pid)
        )
    ).all()
    return {
        "person": _row(pupil),
        "memberships": [_row(m) for m in session.exec(select(Membership).where(Membership.person_id == pid))],
        "groups": [{"id": g.id, "code": g.code, "subject": g.subject} for g in groups],
        "consents": [_row(c) for c in session.exec(select(Consent).where(Consent.pupil_id == pid))],
        "chat_identities": [
            _row(i) for i in session.exec(select(ChannelIdentity).where(ChannelIdentity.person_id == pid))
        ],
        "attendance": [_row(a) for a in session.exec(select(Attendance).where(Attendance.pupil_id == pid))],
        "homework": [{"id": h.id, "text": h.text, "due_at": _iso(h.due_at)} for h in homework],
        "submissions": [_row(s) for s in submissions],
        "pages": [_row(p, "path") for p in pages],
        "feedback": [_row(f) for f in feedback],
        "postal_items": [_row(p) for p in session.exec(select(PostalItem).where(PostalItem.pupil_id == pid))],
        "messages": [_row(n, "params", "idempotency_key") for n in about],
        "threads": threads.export(session, pid or 0),
    }


# -- erasure ----------------------------------------------------------------------------------------


def request(turn: Turn, pupil: Person) -> list[Reply]:
    pupil_id, guardian_id = stored_id(pupil), turn.person_id()
    open_request = _open_request(turn.session, pupil_id)
    if open_request is not None:
        return [Reply(T("privacy.forget_already", id=open_request.id))]
    row = AuditLog(at=turn.now, actor_id=guardian_id, action=REQUESTED, entity="person", entity_id=pupil_id)
    turn.session.add(row)
    turn.session.flush()
    coordinators = _coordinators(turn.session, pupil_id)
    text = T(
        "privacy.forget_for_coordinator",
        id=row.id,
        class_name=_class_name(turn.session, pupil_id) or "—",
        ref=pupil.external_id,
    )
    for coordinator in coordinators:
        enqueue(
            turn.session,
            person_id=coordinator,
            kind="privacy.forget_request",
            text=text,
            idempotency_key=f"{_request_key(row.id)}{coordinator}",
        )
    log.info("privacy: erasure request %s for pupil %s by guardian %s", row.id, pupil_id, guardian_id)
    return [Reply(T("privacy.forget_requested", id=row.id))]


def _request_key(request_id: int | None) -> str:
    return f"privacy:forget:{request_id}:"


def _class_name(session: Session, pupil_id: int) -> str | None:
    return session.exec(
        select(SchoolClass.name)
        .join(Membership, col(Membership.class_id) == col(SchoolClass.id))
        .where(Membership.person_id == pupil_id, Membership.role == Role.PUPIL.value)
    ).first()


def _open_request(session: Session, pupil_id: int) -> AuditLog | None:
    requests = session.exec(
        select(AuditLog).where(AuditLog.action == REQUESTED, AuditLog.entity_id == pupil_id)
    ).all()
    done = set(session.exec(select(AuditLog.entity_id).where(AuditLog.action == CONFIRMED)).all())
    return next((r for r in requests if r.id not in done), None)


def _schools(session: Session, person_id: int) -> set[int]:
    return set(session.exec(select(Membership.school_id).where(Membership.person_id == person_id)).all())


def _coordinators(session: Session, pupil_id: int) -> list[int]:
    return sorted(
        set(
            session.exec(
                select(Membership.person_id).where(
                    Membership.role == Role.COORDINATOR.value,
                    col(Membership.school_id).in_(_schools(session, pupil_id)),
                )
            ).all()
        )
    )


def confirm(turn: Turn) -> list[Reply]:
    """/confirm_forget <id>: the coordinator of the child's school carries out an erasure request."""
    coordinator = turn.person_id()
    raw = turn.inbound.text.split(maxsplit=1)[1:] or [""]
    request_id = int(raw[0].strip().lstrip("#")) if raw[0].strip().lstrip("#").isdigit() else None
    row = turn.session.get(AuditLog, request_id) if request_id else None
    if row is None or row.action != REQUESTED or row.entity_id is None:
        return [Reply(T("privacy.forget_unknown"))]
    if _open_request(turn.session, row.entity_id) is not row:
        return [Reply(T("privacy.forget_unknown"))]
    if coordinator not in _coordinators(turn.session, row.entity_id):
        return not_allowed()
    files = threads.erase(turn.session, row.entity_id) + erase(
        turn.session, row.entity_id, turn.config.media_dir, _request_key(row.id)
    )
    turn.session.add(
        AuditLog(at=turn.now, actor_id=coordinator, action=CONFIRMED, entity="audit_log", entity_id=row.id)
    )
    if row.actor_id is not None:
        enqueue(
            turn.session,
            person_id=row.actor_id,
            kind="privacy.forgotten",
            text=T("privacy.forgotten", id=row.id),
            idempotency_key=f"privacy:forgotten:{row.id}",
        )
    turn.session.flush()
    for path in files:
        _unlink_unless_named(turn.session, path)
    event.listen(turn.session, "after_commit", _release_erased, once=True)
    log.info("privacy: request %s confirmed by coordinator %s", row.id, coordinator)
    return [Reply(T("privacy.forget_done", id=row.id))]


def erase(session: Session, pupil_id: int, media_dir: Path, request_key: str = "") -> list[str]:
    """Delete everything about the pupil but a blank person row; returns the files to remove (their
    pages, the tutor's PDFs of them, the Kazpost lists that named them)."""
    pupil = session.get(Person, pupil_id)
    name = pupil.full_name if pupil else ""
    submissions = list(session.exec(select(Submission.id).where(Submission.pupil_id == pupil_id)).all())
    paths = list(
        session.exec(
            select(SubmissionPage.path).where(col(SubmissionPage.submission_id).in_(submissions))
        ).all()
    )
    paths += [str(p) for s in submissions for p in (media_dir / "pdf").glob(f"submission-{s}-*.pdf")]
    rounds = set(session.exec(select(PostalItem.round_id).where(PostalItem.pupil_id == pupil_id)).all())
    paths += [
        path
        for round_id in rounds
        for path in session.exec(
            select(Notification.media_path).where(
                col(Notification.idempotency_key).startswith(f"postal:{round_id}:list:", autoescape=True),
                col(Notification.media_path).is_not(None),
            )
        ).all()
        if path
    ]
    about = (col(Notification.person_id) == pupil_id) | (col(Notification.about_pupil_id) == pupil_id)
    if request_key:
        about = about | col(Notification.idempotency_key).startswith(request_key, autoescape=True)
    notifications = list(session.exec(select(Notification.id).where(about)).all())
    identities = list(
        session.exec(select(ChannelIdentity.id).where(ChannelIdentity.person_id == pupil_id)).all()
    )
    statements = [
        delete(Conversation).where(col(Conversation.identity_id).in_(identities)),
        update(Invite)
        .where(col(Invite.used_by_identity_id).in_(identities))
        .values(used_by_identity_id=None),
        update(Notification).where(col(Notification.identity_id).in_(identities)).values(identity_id=None),
        update(DeliveryAttempt)
        .where(col(DeliveryAttempt.identity_id).in_(identities))
        .values(identity_id=None),
        delete(PostalItem).where(col(PostalItem.pupil_id) == pupil_id),
        update(PostalItem).where(col(PostalItem.submission_id).in_(submissions)).values(submission_id=None),
        delete(Feedback).where(col(Feedback.submission_id).in_(submissions)),
        delete(SubmissionPage).where(col(SubmissionPage.submission_id).in_(submissions)),
        delete(Submission).where(col(Submission.pupil_id) == pupil_id),
        delete(Attendance).where(col(Attendance.pupil_id) == pupil_id),
        delete(GroupMember).where(col(GroupMember.pupil_id) == pupil_id),
        delete(Consent).where(col(Consent.pupil_id) == pupil_id),
        delete(Guardianship).where(col(Guardianship.pupil_id) == pupil_id),
        delete(Invite).where(col(Invite.person_id) == pupil_id),
        delete(Conversation).where(col(Conversation.person_id) == pupil_id),
        delete(DeliveryAttempt).where(col(DeliveryAttempt.notification_id).in_(notifications)),
        delete(Notification).where(col(Notification.id).in_(notifications)),
        delete(ChannelIdentity).where(col(ChannelIdentity.person_id) == pupil_id),
        delete(Membership).where(col(Membership.person_id) == pupil_id),
    ]
    for statement in statements:
        session.execute(statement)
    if pupil is not None:
        pupil.external_id = f"erased-{pupil_id}"
        pupil.full_name = ""
        pupil.phone = None
        pupil.postal_address = ""
        pupil.low_income = False
        pupil.by_post = False
        session.add(pupil)
    _forget_name(session, name)
    return paths


def _forget_name(session: Session, name: str) -> None:
    """Messages to other people that named the child (a tutor's list of who has not handed in, a
    teacher's Kazpost list) keep their other words; the name becomes a dash. The parameters are
    JSON, which may hold the name as it is or with its letters escaped: both are looked for."""
    if not name.strip():
        return
    stored = cast(col(Notification.params), String)
    escaped = json.dumps(name)[1:-1]
    found = session.exec(
        select(Notification).where(
            stored.contains(name, autoescape=True) | stored.contains(escaped, autoescape=True)
        )
    ).all()
    for row in found:
        row.params = _without(row.params, name)
        session.add(row)


def _without(value: Any, name: str) -> Any:
    if isinstance(value, str):
        return value.replace(name, ERASED)
    if isinstance(value, dict):
        return {key: _without(item, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, name) for item in value]
    return value


def _release_erased(session: Session) -> None:
    """Once the erasure has committed: no copy left in the database files either."""
    bind = session.get_bind()
    release_erased(bind if isinstance(bind, Engine) else bind.engine)


def _unlink_unless_named(session: Session, path: str) -> None:
    """Remove a file no remaining page or message names (files are content-addressed and may be shared)."""
    named = session.exec(select(SubmissionPage.id).where(SubmissionPage.path == path)).first() is not None
    if not named and not threads.still_named(session, path):
        Path(path).unlink(missing_ok=True)
