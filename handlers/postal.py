"""The responsible teacher marks a Kazpost round in the chat (/post).

/post lists the teacher's open rounds whose notice has gone out, each item still to mark with
"received" and "missing"; a received item of a homework can get its scanned pages ("attach scan",
then photos). The scan becomes the pupil's `Submission` (channel `post`), so it enters the tutor's
review queue like any photo submission. A missing item tells the family through the outbox and is
carried into the next round when that round opens. When every item is marked, the round closes.
What a mark does is `scheduler.postal_marks`, shared with the dashboard's delivery page.

The rounds themselves (items, notices, the collection list) are opened by the scheduler.
"""

from __future__ import annotations

import logging

from sqlmodel import col, select

from handlers import conversation
from handlers.attachments import store_uploads
from handlers.audit import audit
from handlers.context import Turn
from handlers.refusals import not_allowed, not_understood
from handlers.submissions import add_pages
from handlers.types import Choice, Reply
from locales import N, T
from models.enums import PostalItemStatus, SubmissionStatus
from models.homework import Submission
from models.postal import PostalItem, PostalRound
from models.store import stored_id
from scheduler import postal_marks

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
        waiting = [
            i
            for i in postal_marks.items(turn.session, stored_id(round_))
            if i.status == PostalItemStatus.PENDING
        ]
        params = postal_marks.round_params(turn.session, round_)
        replies.append(Reply(T("postal.round.header", **params, pending=len(waiting))))
        for item in waiting:
            replies.append(Reply(postal_marks.label(turn.session, item), choices=_mark_choices(item)))
    return replies


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
    if action in postal_marks.MARKS:
        return _mark(turn, item, round_, postal_marks.MARKS[action])
    if action == "scan":
        if item.homework_id is None:
            return [Reply(T("postal.scan.no_homework"))]
        conversation.enter(turn, FLOW_SCAN, "pages", item_id=item.id)
        return [Reply(T("postal.scan.ask", item=postal_marks.label(turn.session, item)))]
    return not_understood()


def _mark(turn: Turn, item: PostalItem, round_: PostalRound, status: PostalItemStatus) -> list[Reply]:
    marked = postal_marks.mark(
        turn.session, item, round_, status, now=turn.now, actor_id=_teacher_id(turn), where="chat"
    )
    scan: tuple[Choice, ...] = ()
    if status == PostalItemStatus.RECEIVED and item.homework_id:
        scan = (Choice(f"{PREFIX}scan:{item.id}", T("postal.choice.scan")),)
    replies = [Reply(marked.text, choices=scan)]
    if marked.closed:
        replies.append(Reply(T("postal.round.closed", **postal_marks.round_params(turn.session, round_))))
    return replies


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
    return [
        Reply(N("postal.scan.stored", "pages", item=postal_marks.label(turn.session, item), pages=number)),
        *refused,
    ]
