"""The responsible teacher marks a Kazpost round in the chat (/post).

/post lists the teacher's open rounds whose notice has gone out, each item still to mark with
"received" and "missing"; a received item of a homework can get its scanned pages ("attach scan",
then photos). The scan becomes the pupil's `Submission` (channel `post`), so it enters the tutor's
review queue like any photo submission. A missing item tells the family through the outbox and is
carried into the next round when that round opens. When every item is marked, the round closes.

The rounds themselves (items, notices, the collection list) are opened by the scheduler.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from handlers import conversation
from handlers.attachments import store_uploads
from handlers.audit import audit
from handlers.context import Turn
from handlers.refusals import not_allowed, not_understood
from handlers.submissions import add_pages
from handlers.types import Choice, Reply
from locales import N, T, Text, subject_name
from models.enums import PostalItemStatus, SubmissionStatus
from models.homework import Homework, Submission
from models.people import Guardianship, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import SchoolClass, TutoringGroup
from models.store import stored_id
from outbox.write import enqueue

log = logging.getLogger(__name__)

PREFIX = "post:"
FLOW_SCAN = "post_scan"
POST_CHANNEL = "post"


def start(turn: Turn) -> list[Reply]:
    """/post: the open rounds, each item still to mark with its buttons."""
    conversation.clear(turn)
    return overview(turn)


def on_choice(turn: Turn) -> list[Reply]:
    return _on_choice(turn, (turn.inbound.choice or "").removeprefix(PREFIX))


def on_scan(turn: Turn) -> list[Reply]:
    """Photos after "attach scan": the item's scanned pages."""
    return _scan(turn, int(conversation.load(turn).data.get("item_id") or 0))


def _teacher_id(turn: Turn) -> int | None:
    return turn.person.id if turn.person is not None else None


def open_rounds(turn: Turn) -> list[PostalRound]:
    """The teacher's rounds not yet closed (a round exists once its notice has gone out)."""
    return list(
        turn.session.exec(
            select(PostalRound)
            .where(PostalRound.teacher_id == _teacher_id(turn), col(PostalRound.closed_at).is_(None))
            .order_by(col(PostalRound.collection_date), col(PostalRound.id))
        ).all()
    )


def overview(turn: Turn) -> list[Reply]:
    rounds = open_rounds(turn)
    if not rounds:
        return [Reply(T("postal.none"))]
    replies: list[Reply] = []
    for round_ in rounds:
        items = _items(turn, stored_id(round_))
        waiting = [i for i in items if i.status == PostalItemStatus.PENDING]
        replies.append(Reply(T("postal.round.header", **_round_params(turn, round_), pending=len(waiting))))
        for item in waiting:
            replies.append(Reply(_label(turn, item), choices=_mark_choices(item)))
    return replies


def _items(turn: Turn, round_id: int) -> list[PostalItem]:
    return list(
        turn.session.exec(
            select(PostalItem).where(PostalItem.round_id == round_id).order_by(col(PostalItem.id))
        ).all()
    )


def _round_params(turn: Turn, round_: PostalRound) -> dict[str, object]:
    school_class = turn.session.get(SchoolClass, round_.class_id)
    return {
        "class_name": school_class.name if school_class else "",
        "date": round_.collection_date.strftime("%d.%m.%Y"),
    }


def _label(turn: Turn, item: PostalItem) -> Text:
    pupil = turn.session.get(Person, item.pupil_id)
    name = pupil.full_name if pupil else ""
    homework = turn.session.get(Homework, item.homework_id) if item.homework_id else None
    group = turn.session.get(TutoringGroup, homework.group_id) if homework else None
    if homework is None or group is None:
        return T("postal.item_general", pupil=name)
    return T("postal.item", pupil=name, subject=subject_name(group.subject), title=homework.title)


def _mark_choices(item: PostalItem) -> tuple[Choice, ...]:
    return (
        Choice(f"{PREFIX}received:{item.id}", T("postal.choice.received")),
        Choice(f"{PREFIX}missing:{item.id}", T("postal.choice.missing")),
    )


def _own_item(turn: Turn, raw_id: str) -> tuple[PostalItem, PostalRound] | None:
    if not raw_id.isdigit():
        return None
    item = turn.session.get(PostalItem, int(raw_id))
    round_ = turn.session.get(PostalRound, item.round_id) if item else None
    if item is None or round_ is None or round_.teacher_id != _teacher_id(turn):
        return None
    return item, round_


def _on_choice(turn: Turn, value: str) -> list[Reply]:
    action, _, raw_id = value.partition(":")
    owned = _own_item(turn, raw_id)
    if owned is None:
        return not_allowed()
    item, round_ = owned
    if action == "received":
        return _mark(turn, item, round_, PostalItemStatus.RECEIVED)
    if action == "missing":
        return _mark(turn, item, round_, PostalItemStatus.MISSING)
    if action == "scan":
        if item.homework_id is None:
            return [Reply(T("postal.scan.no_homework"))]
        conversation.enter(turn, FLOW_SCAN, "pages", item_id=item.id)
        return [Reply(T("postal.scan.ask", item=_label(turn, item)))]
    return not_understood()


def _mark(turn: Turn, item: PostalItem, round_: PostalRound, status: PostalItemStatus) -> list[Reply]:
    item.status, item.marked_at = status.value, turn.now
    turn.session.add(item)
    audit(turn, f"postal.{status.value}", "postal_item", item.id, round_id=round_.id)
    replies: list[Reply]
    if status == PostalItemStatus.RECEIVED:
        scan = (Choice(f"{PREFIX}scan:{item.id}", T("postal.choice.scan")),) if item.homework_id else ()
        replies = [Reply(T("postal.marked.received", item=_label(turn, item)), choices=scan)]
    else:
        next_date = _next_collection(turn, round_)
        _tell_family(turn, item, round_, next_date)
        replies = [Reply(T("postal.marked.missing", item=_label(turn, item), next_date=next_date))]
    turn.session.flush()
    if all(i.status != PostalItemStatus.PENDING for i in _items(turn, stored_id(round_))):
        round_.closed_at = turn.now
        turn.session.add(round_)
        replies.append(Reply(T("postal.round.closed", **_round_params(turn, round_))))
    return replies


def _next_collection(turn: Turn, round_: PostalRound) -> str:
    schedule = turn.session.exec(
        select(PostalSchedule).where(PostalSchedule.class_id == round_.class_id)
    ).first()
    if schedule is None:
        return ""
    return schedule.collection_on_or_after(round_.collection_date + timedelta(days=1)).strftime("%d.%m.%Y")


def _tell_family(turn: Turn, item: PostalItem, round_: PostalRound, next_date: str) -> None:
    """The guardians (else the pupil) learn the work did not come and when it is collected next."""
    guardians = turn.session.exec(
        select(Guardianship.guardian_id).where(Guardianship.pupil_id == item.pupil_id)
    ).all()
    pupil = turn.session.get(Person, item.pupil_id)
    for person_id in list(guardians) or [item.pupil_id]:
        enqueue(
            turn.session,
            person_id=person_id,
            kind="postal.missed",
            text=T(
                "postal.missed",
                pupil=pupil.full_name if pupil else "",
                item=_label(turn, item),
                date=round_.collection_date.strftime("%d.%m.%Y"),
                next_date=next_date,
            ),
            idempotency_key=f"postal:{round_.id}:missed:{item.id}:{person_id}:",
            about_pupil_id=item.pupil_id if person_id != item.pupil_id else None,
        )


def _scan(turn: Turn, item_id: int) -> list[Reply]:
    owned = _own_item(turn, str(item_id))
    if owned is None:
        conversation.clear(turn)
        return not_allowed()
    item, _round = owned
    if item.homework_id is None:
        return [Reply(T("postal.scan.no_homework"))]
    stored, refused = store_uploads(turn, turn.inbound.uploads, "submissions")
    if not stored:
        return refused
    submission = turn.session.get(Submission, item.submission_id) if item.submission_id else None
    if submission is None:
        submission = Submission(
            homework_id=item.homework_id,
            pupil_id=item.pupil_id,
            status=SubmissionStatus.SUBMITTED,
            submitted_at=turn.now,
            channel=POST_CHANNEL,
        )
        turn.session.add(submission)
        turn.session.flush()
        item.submission_id = submission.id
        turn.session.add(item)
    number = add_pages(turn.session, stored_id(submission), stored)
    audit(turn, "postal.scanned", "postal_item", item.id, submission_id=submission.id, pages=number)
    log.info("postal item %s: %s page(s) scanned into submission %s", item.id, len(stored), submission.id)
    return [Reply(N("postal.scan.stored", "pages", item=_label(turn, item), pages=number)), *refused]
