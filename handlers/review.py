"""The tutor's review (/review): submissions of their groups waiting for feedback, oldest first.

Each is shown with its pages (one reply per page, as media), a note when a page looks like another
pupil's page of the same homework (`handlers.copies`), and four buttons: all pages as one PDF,
grade, return for redo, next. Grading asks for points (summative) or a formative score of 1–10
(which may be skipped), then a comment; the feedback is stored, the submission is graded, and the
pupil and (for scored work) each guardian get a message through the outbox. Returning for redo
stores the comment as feedback and lets the pupil's next photos start a new submission.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from assessment import marks
from handlers import conversation, grades, substitutes
from handlers.audit import audit
from handlers.context import Turn
from handlers.copies import look_alikes, warning
from handlers.corrections import recorded
from handlers.family import guardians_of
from handlers.groups import acts_for, tutor_groups
from handlers.refusals import not_allowed, not_understood, tutors_only
from handlers.types import Choice, Reply
from locales import N, T, Text, subject_name
from models.enums import SubmissionStatus
from models.homework import Feedback, Homework, Submission, SubmissionPage
from models.people import Person
from models.school import TutoringGroup
from models.store import stored_id
from outbox.write import enqueue
from photos.pipeline import pages_to_pdf

log = logging.getLogger(__name__)

PREFIX = "rv:"
FLOW_GRADE = "rv_grade"
FLOW_REDO = "rv_redo"
NO_COMMENT = "-"
MAX_COMMENT = 4000


def start(turn: Turn) -> list[Reply]:
    """/review: the first submission waiting."""
    if not tutor_groups(turn):
        return tutors_only(turn, "review")
    conversation.clear(turn)
    return show_next(turn, None)


def on_choice(turn: Turn) -> list[Reply]:
    if not tutor_groups(turn):
        return not_allowed()
    return _on_choice(turn, (turn.inbound.choice or "").removeprefix(PREFIX))


def on_text(turn: Turn) -> list[Reply]:
    """Points, a score or a comment typed while grading or returning work."""
    if not tutor_groups(turn):
        conversation.clear(turn)
        return not_allowed()
    state = conversation.load(turn)
    if conversation.is_stale(turn, state.updated_at):
        conversation.clear(turn)
        return [Reply(T("review.expired"))]
    return _on_text(turn, state.flow, state.step, turn.inbound.text.strip())


# ---------------------------------------------------------------- the queue


Work = tuple[Submission, Homework, TutoringGroup]


def queue(turn: Turn) -> list[Work]:
    """Submitted, not yet graded work of the tutor's groups (their own, and those they substitute
    for today), oldest first."""
    group_ids = [group.id for group in tutor_groups(turn)]
    return list(
        turn.session.exec(
            select(Submission, Homework, TutoringGroup)
            .join(Homework, col(Homework.id) == Submission.homework_id)
            .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
            .where(col(TutoringGroup.id).in_(group_ids), Submission.status == SubmissionStatus.SUBMITTED)
            .order_by(col(Submission.submitted_at), col(Submission.id))
        ).all()
    )


def _owned(turn: Turn, raw_id: object) -> Work | None:
    """The submission, if it belongs to a group this tutor has (their own, or one they substitute
    for today)."""
    if turn.person is None or not str(raw_id).isdigit():
        return None
    submission = turn.session.get(Submission, int(str(raw_id)))
    if submission is None:
        return None
    homework = turn.session.get(Homework, submission.homework_id)
    group = turn.session.get(TutoringGroup, homework.group_id) if homework else None
    if homework is None or group is None:
        return None
    if group.tutor_id != turn.person.id and not acts_for(turn, group):
        return None
    return submission, homework, group


def _pages(turn: Turn, submission_id: int) -> list[SubmissionPage]:
    return list(
        turn.session.exec(
            select(SubmissionPage)
            .where(SubmissionPage.submission_id == submission_id)
            .order_by(col(SubmissionPage.number))
        ).all()
    )


def _pupil_name(turn: Turn, pupil_id: int) -> str:
    pupil = turn.session.get(Person, pupil_id)
    return pupil.full_name if pupil else "—"


def _actions(submission_id: int, *, pdf: bool = True) -> tuple[Choice, ...]:
    choices = [
        Choice(f"{PREFIX}grade:{submission_id}", T("review.choice.grade")),
        Choice(f"{PREFIX}redo:{submission_id}", T("review.choice.redo")),
        Choice(f"{PREFIX}next:{submission_id}", T("review.choice.next")),
    ]
    if pdf:
        choices.insert(0, Choice(f"{PREFIX}pdf:{submission_id}", T("review.choice.pdf")))
    return tuple(choices)


def show(turn: Turn, work: Work, position: int, total: int) -> list[Reply]:
    submission, homework, group = work
    submission_id = stored_id(submission)
    pages = _pages(turn, submission_id)
    params: dict[str, Any] = {
        "position": position,
        "total": total,
        "pupil": _pupil_name(turn, submission.pupil_id),
        "group": group.code,
        "subject": subject_name(group.subject),
        "title": homework.title,
        "pages": len(pages),
        "time": submission.submitted_at.astimezone(turn.config.time_zone).strftime("%d.%m %H:%M"),
    }
    header = T("review.item_late", **params) if submission.late else T("review.item", **params)
    replies = [Reply(header)]
    copied = warning(look_alikes(turn.session, submission, pages))
    if copied is not None:
        replies.append(copied)
    replies += [
        Reply(T("review.page", number=page.number, pages=len(pages)), media_path=page.path) for page in pages
    ]
    last = replies[-1]
    replies[-1] = Reply(last.text, choices=_actions(submission_id), media_path=last.media_path)
    return replies


def show_next(turn: Turn, after_id: int | None) -> list[Reply]:
    """The first submission of the queue, or the one after `after_id`."""
    waiting = queue(turn)
    if not waiting:
        return [Reply(T("review.empty"))]
    index = 0
    if after_id is not None:
        ids = [submission.id for submission, _, _ in waiting]
        if after_id in ids:
            index = ids.index(after_id) + 1
        if index >= len(waiting):
            return [Reply(T("review.end", total=len(waiting)))]
    return show(turn, waiting[index], index + 1, len(waiting))


# ---------------------------------------------------------------- actions


def _on_choice(turn: Turn, value: str) -> list[Reply]:
    action, _, argument = value.partition(":")
    if action == "score":
        return _score(turn, argument)
    owned = _owned(turn, argument)
    if owned is None:
        log.info(
            "review: refused %s on submission %s for person %s",
            action,
            argument,
            turn.person and turn.person.id,
        )
        return not_allowed()
    submission, homework, group = owned
    if action == "next":
        conversation.clear(turn)
        return show_next(turn, stored_id(submission))
    if action == "pdf":
        return [_pdf(turn, submission)]
    if not acts_for(turn, group):
        return substitutes.refusal(turn, group)  # its own tutor reads; the substitute grades
    if submission.status != SubmissionStatus.SUBMITTED:
        return _no_longer_waiting(turn, submission)
    if action == "grade":
        return _start_grading(turn, submission, homework)
    if action == "redo":
        conversation.enter(turn, FLOW_REDO, "comment", submission_id=submission.id)
        return [Reply(T("review.ask_redo_comment", pupil=_pupil_name(turn, submission.pupil_id)))]
    return not_understood()


def _no_longer_waiting(turn: Turn, submission: Submission) -> list[Reply]:
    """Reviewed already, or set aside by the pupil (whose new version joins the queue)."""
    conversation.clear(turn)
    if submission.status == SubmissionStatus.REPLACED:
        notice = Reply(T("review.replaced_meanwhile", pupil=_pupil_name(turn, submission.pupil_id)))
    else:
        notice = Reply(T("review.already_done"))
    return [notice, *show_next(turn, None)]


def _pdf(turn: Turn, submission: Submission) -> Reply:
    submission_id = stored_id(submission)
    pages = _pages(turn, submission_id)
    if not pages:
        return Reply(T("review.no_pages"), choices=_actions(submission_id, pdf=False))
    fingerprint = hashlib.sha256("".join(p.sha256 for p in pages).encode()).hexdigest()[:16]
    path = turn.config.media_dir / "pdf" / f"submission-{submission_id}-{fingerprint}.pdf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(pages_to_pdf([Path(p.path) for p in pages]))
        part.replace(path)
    return Reply(
        N("review.pdf", "pages", pupil=_pupil_name(turn, submission.pupil_id), pages=len(pages)),
        media_path=str(path),
        choices=_actions(submission_id, pdf=False),
    )


def _start_grading(turn: Turn, submission: Submission, homework: Homework) -> list[Reply]:
    pupil = _pupil_name(turn, submission.pupil_id)
    if homework.out_of:
        conversation.enter(turn, FLOW_GRADE, "points", submission_id=submission.id)
        return [Reply(T("review.ask_points", pupil=pupil, max=homework.max_points))]
    if homework.scored:
        conversation.enter(turn, FLOW_GRADE, "score", submission_id=submission.id)
        return [_score_question(pupil)]
    conversation.enter(turn, FLOW_GRADE, "comment", submission_id=submission.id)
    return [Reply(T("review.ask_comment", pupil=pupil))]


def _score_question(pupil: str) -> Reply:
    """Scores 1–10 as choices in order, so a typed "7" is the seventh choice, score 7."""
    choices = [
        Choice(f"{PREFIX}score:{score}", T("review.choice.score", score=score))
        for score in range(grades.FORMATIVE_MIN, grades.FORMATIVE_MAX + 1)
    ]
    choices.append(Choice(f"{PREFIX}score:skip", T("review.choice.skip_score")))
    return Reply(T("review.ask_score", pupil=pupil), choices=tuple(choices))


def _flow_submission(turn: Turn, flow: str, step: str) -> tuple[dict[str, Any], Work] | None:
    state = conversation.load(turn)
    if state.flow != flow or state.step != step:
        return None
    data = dict(state.data)
    data.pop("offered", None)
    owned = _owned(turn, data.get("submission_id"))
    if owned is None:
        return None
    return data, owned


def _score(turn: Turn, raw: str) -> list[Reply]:
    found = _flow_submission(turn, FLOW_GRADE, "score")
    if found is None:
        return [Reply(T("review.expired"))]
    data, (submission, _homework, _group) = found
    if submission.status != SubmissionStatus.SUBMITTED:
        return _no_longer_waiting(turn, submission)
    if raw != "skip":
        if not raw.isdigit() or not grades.valid_formative_score(int(raw)):
            return [_score_question(_pupil_name(turn, submission.pupil_id))]
        data["score"] = int(raw)
    conversation.enter(turn, FLOW_GRADE, "comment", **data)
    return [Reply(T("review.ask_comment", pupil=_pupil_name(turn, submission.pupil_id)))]


def _on_text(turn: Turn, flow: str, step: str, text: str) -> list[Reply]:
    found = _flow_submission(turn, flow, step)
    if found is None:
        conversation.clear(turn)
        return not_allowed()
    data, work = found
    submission, homework, _group = work
    if submission.status != SubmissionStatus.SUBMITTED:
        return _no_longer_waiting(turn, submission)
    if step == "points":
        max_points = homework.max_points or 0
        points = grades.parse_points(text, max_points)
        if points is None:
            return [Reply(T("review.points_invalid", max=max_points))]
        data["points"] = points
        conversation.enter(turn, FLOW_GRADE, "comment", **data)
        return [Reply(T("review.ask_comment", pupil=_pupil_name(turn, submission.pupil_id)))]
    if step == "score":
        score = grades.parse_formative_score(text)
        if score is None:
            return [_score_question(_pupil_name(turn, submission.pupil_id))]
        return _score(turn, str(score))
    comment = "" if text == NO_COMMENT else text[:MAX_COMMENT]
    if flow == FLOW_REDO:
        return _return_for_redo(turn, work, comment)
    return _grade(turn, work, data, comment)


def _grade(turn: Turn, work: Work, data: dict[str, Any], comment: str) -> list[Reply]:
    submission, homework, group = work
    raw_points = data.get("points")
    feedback = Feedback(
        submission_id=stored_id(submission), tutor_id=turn.person_id(), text=comment, created_at=turn.now
    )
    out_of = homework.out_of
    if out_of and raw_points is not None:
        points = float(raw_points)
        feedback.points = points
        feedback.max_points = out_of
        feedback.mark = marks.mark_for(points, out_of)
    elif data.get("score") is not None:
        feedback.formative_score = int(data["score"])
    submission.status = SubmissionStatus.GRADED
    turn.session.add_all([feedback, submission])
    turn.session.flush()
    shown_comment = comment or "—"
    common: dict[str, Any] = {
        "subject": subject_name(group.subject),
        "title": homework.title,
        "comment": shown_comment,
    }
    to_guardian: Text | None = None
    if feedback.mark is not None and feedback.points is not None and feedback.max_points:
        scores = {
            "points": grades.format_points(feedback.points),
            "max": feedback.max_points,
            "percent": grades.format_points(marks.percentage(feedback.points, feedback.max_points)),
            "mark": feedback.mark,
        }
        to_pupil = T("review.notify.feedback_points", **common, **scores)
        to_guardian = T(
            "review.notify.grade_points", pupil=_pupil_name(turn, submission.pupil_id), **common, **scores
        )
    elif feedback.formative_score is not None:
        to_pupil = T("review.notify.feedback_score", **common, score=feedback.formative_score)
        to_guardian = T(
            "review.notify.grade_score",
            pupil=_pupil_name(turn, submission.pupil_id),
            **common,
            score=feedback.formative_score,
        )
    else:
        to_pupil = T("review.notify.feedback", **common)
    enqueue(
        turn.session,
        kind="feedback",
        text=to_pupil,
        idempotency_key=f"feedback:{feedback.id}:{submission.pupil_id}:",
        person_id=submission.pupil_id,
    )
    if to_guardian is not None:
        for guardian in guardians_of(turn.session, submission.pupil_id):
            enqueue(
                turn.session,
                kind="grade",
                text=to_guardian,
                idempotency_key=f"grade:{feedback.id}:{guardian.id}:",
                person_id=guardian.id,
                about_pupil_id=submission.pupil_id,
            )
    conversation.clear(turn)
    audit(turn, "submission.graded", "submission", submission.id, feedback_id=feedback.id, mark=feedback.mark)
    log.info("submission %s graded by %s (feedback %s)", submission.id, turn.person_id(), feedback.id)
    done = Reply(
        T(
            "review.graded_as",
            pupil=_pupil_name(turn, submission.pupil_id),
            result=recorded(feedback),
            comment=shown_comment,
        )
    )
    return [done, *show_next(turn, None)]


def _return_for_redo(turn: Turn, work: Work, comment: str) -> list[Reply]:
    submission, homework, group = work
    feedback = Feedback(
        submission_id=stored_id(submission),
        tutor_id=turn.person_id(),
        text=comment,
        redo=True,
        created_at=turn.now,
    )
    submission.status = SubmissionStatus.RETURNED
    turn.session.add_all([feedback, submission])
    turn.session.flush()
    enqueue(
        turn.session,
        kind="feedback",
        text=T(
            "review.notify.redo",
            subject=subject_name(group.subject),
            title=homework.title,
            comment=comment or "—",
        ),
        idempotency_key=f"redo:{feedback.id}:{submission.pupil_id}:",
        person_id=submission.pupil_id,
    )
    conversation.clear(turn)
    audit(turn, "submission.returned", "submission", submission.id, feedback_id=feedback.id)
    log.info("submission %s returned for redo by %s", submission.id, turn.person_id())
    done = Reply(
        T("review.returned_with", pupil=_pupil_name(turn, submission.pupil_id), comment=comment or "—")
    )
    return [done, *show_next(turn, None)]
