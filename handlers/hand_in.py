"""A pupil hands homework in as photos; /replace (or the receipt's button) sets it aside before review.

Each photo is checked and stored as our own normalised JPEG first, then attached to the pupil's
current submission for the homework it belongs to: the only open one, the one chosen when several
are open (photos wait, stored, in the conversation state until the answer), or the one the previous
photos went to when they come as one album or within `ALBUM_WINDOW`. The pupil gets a receipt at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers import conversation, photo_check
from handlers.attachments import store_uploads
from handlers.audit import audit
from handlers.context import Turn
from handlers.groups import pupil_group_ids
from handlers.homework import PREFIX, due_text
from handlers.refusals import not_allowed, not_understood
from handlers.submissions import add_pages, current_submission, photo_from_json, photo_json
from handlers.types import Choice, Reply
from locales import T, subject_name
from models.clock import to_local
from models.consent_rules import has_consent
from models.enums import SubmissionStatus
from models.homework import Homework, Submission
from models.school import TutoringGroup
from models.store import stored_id
from outbox.write import cancel, homework_key_prefix
from photos.pipeline import StoredPhoto

log = logging.getLogger(__name__)

FLOW_PICK = "hw_pick"
FLOW_SUBMIT = "hw_submit"
PICK = f"{PREFIX}pick:"
REPLACE = f"{PREFIX}replace:"
LATE_DAYS = 14  # late work is accepted this long after the deadline
# Photos sent one by one within this window belong to the same submission.
ALBUM_WINDOW = timedelta(minutes=3)

_MINE = select(Submission.homework_id).where(Submission.pupil_id == bindparam("pupil"))
_OPEN_HOMEWORK = (
    select(Homework)
    .where(
        col(Homework.group_id).in_(bindparam("groups", expanding=True)),
        col(Homework.id).not_in(_MINE.where(Submission.status == SubmissionStatus.GRADED)),
        (col(Homework.due_at) > bindparam("since"))
        | col(Homework.id).in_(_MINE.where(Submission.status == SubmissionStatus.RETURNED)),
    )
    .order_by(col(Homework.due_at), col(Homework.id))
)


def is_ready_pupil(turn: Turn) -> bool:
    """A pupil of some group with consent in force; the router answers those without consent."""
    return bool(
        turn.person is not None
        and turn.person.id is not None
        and pupil_group_ids(turn)
        and has_consent(turn.session, turn.person.id)
    )


def open_homeworks(turn: Turn) -> list[Homework]:
    """Homework of the pupil's groups not yet graded for them, earliest due first.

    Late work is accepted for LATE_DAYS after the deadline, and work returned for a redo until it is
    graded, so old homework does not crowd the question "which homework is this for?" for ever.
    """
    groups = pupil_group_ids(turn)
    if not groups:
        return []
    since = turn.now - timedelta(days=LATE_DAYS)
    params = {"groups": groups, "pupil": turn.person_id(), "since": since}
    return list(turn.session.exec(_OPEN_HOMEWORK, params=params).all())


def submit(turn: Turn) -> list[Reply] | None:
    """Photos from a pupil: stored and attached, or held while the pupil says which homework they are
    for, or whether to send a page a tutor could not read (`photo_check`); None when no homework is
    open, so they go on as a message (`handlers.threads`)."""
    if not is_ready_pupil(turn):
        return None
    state = conversation.load(turn)
    picking = state.flow == FLOW_PICK and not conversation.is_stale(turn, state.updated_at)
    if not picking and photo_check.held(turn) is None and not open_homeworks(turn):
        return None  # no homework to hand in: the photos are a message to a teacher (handlers.threads)
    stored, refused = store_uploads(turn, turn.inbound.uploads, "pages")
    if not stored:
        return refused
    album = turn.inbound.album_id
    held = photo_check.held(turn)
    if held is not None and album and album == held.album:
        photo_check.hold_more(turn, stored)  # the rest of an album whose question is asked already
        return refused
    # Photos sent while a page waits for "send it anyway?" are the page taken again.
    if not picking and open_homeworks(turn) and photo_check.unreadable(stored):
        return [photo_check.ask(turn, stored), *refused]
    return hand_in(turn, stored, refused)


def on_check(turn: Turn) -> list[Reply] | None:
    """The answer to "send it anyway?": the held photos handed in, or dropped for new ones."""
    if not is_ready_pupil(turn):
        return None if turn.person is not None and pupil_group_ids(turn) else not_allowed()
    value = turn.inbound.choice or ""
    held = photo_check.held(turn)
    if held is None:
        return [Reply(T("homework.expired"))]
    if value == photo_check.RETAKE:
        conversation.clear(turn)
        return [Reply(T("photo_check.send_new"))]
    if value != photo_check.SEND:
        return not_understood()
    audit(turn, "submission.unreadable_sent", "person", turn.person_id(), reason=held.reason)
    return hand_in(turn, held.photos, [])


def check_again(turn: Turn) -> list[Reply] | None:
    """Text while a page waits for "send it anyway?": the question again."""
    held = photo_check.held(turn) if is_ready_pupil(turn) else None
    return None if held is None else [photo_check.ask(turn, held.photos)]


def hand_in(turn: Turn, stored: list[StoredPhoto], refused: list[Reply]) -> list[Reply]:
    """Checked photos attached to the homework they are for, or held while the pupil says which."""
    state = conversation.load(turn)
    album = turn.inbound.album_id
    if state.flow == FLOW_PICK and not conversation.is_stale(turn, state.updated_at):
        pending = [*list(state.data.get("pending") or []), *(photo_json(p) for p in stored)]
        if album and album == state.data.get("album"):
            # The rest of an album whose question is already asked (and its choices stay offered).
            offered = state.data.get("offered") or []
            conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album, offered=offered)
            return refused
        conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album)
        return [_pick_question(turn, pending), *refused]
    open_ = open_homeworks(turn)
    if not open_:
        return [Reply(T("homework.no_open")), *refused]
    homework = _continuing(turn, dict(state.data) if state.flow == FLOW_SUBMIT else {}, open_)
    if homework is None and len(open_) == 1:
        homework = open_[0]
    if homework is None:
        pending = [photo_json(p) for p in stored]
        conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album)
        return [_pick_question(turn, pending), *refused]
    return [_attach(turn, homework, stored), *refused]


def ask_again(turn: Turn) -> list[Reply] | None:
    """Text while the photos wait for "which homework?": the question again."""
    if not is_ready_pupil(turn):
        return None
    return [_pick_question(turn, list(conversation.load(turn).data.get("pending") or []))]


def _continuing(turn: Turn, data: dict[str, Any], open_: list[Homework]) -> Homework | None:
    """The homework the previous photos went to, when these are of the same album or close in time."""
    homework = next((h for h in open_ if h.id == data.get("homework_id")), None)
    if homework is None:
        return None
    album = turn.inbound.album_id
    same_album = bool(album) and album == data.get("album")
    at = data.get("at")
    recent = bool(at) and turn.now - datetime.fromisoformat(str(at)) <= ALBUM_WINDOW
    return homework if same_album or recent else None


def _pick_question(turn: Turn, pending: list[Any]) -> Reply:
    choices = []
    for homework in open_homeworks(turn):
        group = turn.session.get(TutoringGroup, homework.group_id)
        if group is None:
            continue  # its group is gone (a roster import removed it): nothing to hand in to
        label = T(
            "homework.choice.homework",
            subject=subject_name(group.subject),
            title=homework.title,
            due=due_text(turn, homework),
        )
        choices.append(Choice(f"{PICK}{homework.id}", label))
    if not choices:  # everything was graded or closed meanwhile: nothing to ask about
        conversation.clear(turn)
        return Reply(T("homework.no_open"))
    return Reply(T("homework.ask_which", pages=len(pending)), choices=tuple(choices))


def on_pick(turn: Turn) -> list[Reply] | None:
    """The homework the waiting photos are for."""
    raw_id = (turn.inbound.choice or "").removeprefix(PICK)
    if not is_ready_pupil(turn):
        return None if turn.person is not None and pupil_group_ids(turn) else not_allowed()
    homework = next((h for h in open_homeworks(turn) if str(h.id) == raw_id), None)
    if homework is None:
        return not_allowed()
    state = conversation.load(turn)
    pending = list(state.data.get("pending") or []) if state.flow == FLOW_PICK else []
    if not pending:
        return [Reply(T("homework.expired"))]
    return [_attach(turn, homework, [photo_from_json(item) for item in pending])]


def _attach(turn: Turn, homework: Homework, photos: list[StoredPhoto]) -> Reply:
    pupil_id, homework_id = turn.person_id(), stored_id(homework)
    late = turn.now > homework.due_at
    submission = current_submission(turn, homework_id, pupil_id)
    if submission is None:
        submission = Submission(
            homework_id=homework_id,
            pupil_id=pupil_id,
            status=SubmissionStatus.SUBMITTED,
            submitted_at=turn.now,
            late=late,
            channel=turn.identity.channel,
        )
        turn.session.add(submission)
        turn.session.flush()
    elif late and not submission.late:
        submission.late = True
        turn.session.add(submission)
    submission_id = stored_id(submission)
    pages = add_pages(turn.session, submission_id, photos)
    turn.session.flush()
    cancel(turn.session, homework_key_prefix(homework_id, pupil_id))
    conversation.enter(
        turn,
        FLOW_SUBMIT,
        "pages",
        homework_id=homework_id,
        submission_id=submission_id,
        album=turn.inbound.album_id,
        at=turn.now.isoformat(),
    )
    log.info("submission %s: %s page(s) added, %s in all", submission_id, len(photos), pages)
    params = {
        "title": homework.title,
        "pages": pages,
        "time": to_local(turn.now, turn.config.time_zone).strftime("%H:%M"),
        "hash": ", ".join(photo.sha256[:8] for photo in photos),
    }
    text = T("homework.receipt_late", **params) if submission.late else T("homework.receipt", **params)
    return Reply(text, choices=(Choice(f"{REPLACE}{submission_id}", T("homework.choice.replace")),))


def replace_latest(turn: Turn) -> list[Reply] | None:
    """/replace: the pupil's latest submission waiting for review is set aside."""
    return _replace(turn, None)


def on_replace(turn: Turn) -> list[Reply] | None:
    """The receipt's button: that submission is set aside."""
    return _replace(turn, (turn.inbound.choice or "").removeprefix(REPLACE))


def _replace(turn: Turn, raw_id: str | None) -> list[Reply] | None:
    """Set the pupil's submission aside before review: the next photos start a new one."""
    if turn.person is None or not pupil_group_ids(turn):
        return not_allowed()
    if not is_ready_pupil(turn):
        return None
    if raw_id is None:
        submission = turn.session.exec(
            select(Submission)
            .where(Submission.pupil_id == turn.person.id, Submission.status == SubmissionStatus.SUBMITTED)
            .order_by(col(Submission.submitted_at).desc(), col(Submission.id).desc())
        ).first()
        if submission is None:
            return [Reply(T("homework.nothing_to_replace"))]
    else:
        found = turn.session.get(Submission, int(raw_id)) if raw_id.isdigit() else None
        if found is None or found.pupil_id != turn.person.id:
            return not_allowed()
        submission = found
    if submission.status != SubmissionStatus.SUBMITTED:
        return [Reply(T("homework.replace_too_late"))]
    submission.status = SubmissionStatus.REPLACED
    turn.session.add(submission)
    homework = turn.session.get(Homework, submission.homework_id)
    title = homework.title if homework is not None else ""
    conversation.enter(
        turn,
        FLOW_SUBMIT,
        "pages",
        homework_id=submission.homework_id,
        submission_id=None,
        album=None,
        at=turn.now.isoformat(),
    )
    audit(turn, "submission.replaced", "submission", submission.id, homework_id=submission.homework_id)
    return [Reply(T("homework.replaced", title=title))]
