"""A tutor corrects a grade or a comment (/grades): the work they reviewed lately, newest first (a
substitute: what they graded in the group while it is theirs); the chosen one is graded again
(points, or a formative score, then the comment, which may be kept). A grade given on a day a
substitute has the group is the substitute's to correct while the substitution lasts: the group's
own tutor is told so, as on the attendance sheet, and corrects it once the group is theirs again.

The feedback row is changed in place and marked corrected; the values it held go to the audit
(`feedback.corrected`, with the old points, score, mark and comment), so nothing is lost. The pupil
and, for scored work, each parent are told of the change through the outbox. Every confirmation
repeats what was recorded (`recorded`), in grading and in correcting alike.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import and_, col, or_, select

from assessment import marks
from handlers import conversation, grades, substitutes
from handlers.audit import audit
from handlers.context import Turn
from handlers.family import guardians_of
from handlers.groups import local_today, substitute_of, tutor_groups
from handlers.refusals import not_allowed, tutors_only
from handlers.types import Choice, Reply
from locales import T, Text, subject_name
from models.clock import to_local
from models.homework import Feedback, Homework, Submission
from models.people import Person
from models.school import TutoringGroup
from outbox.write import enqueue

PREFIX = "fix:"
FLOW = "rv_fix"
LATEST = 10
MAX_COMMENT = 4000
NONE = "—"

Reviewed = tuple[Feedback, Submission, Homework, TutoringGroup]


def recorded(feedback: Feedback) -> Text:
    """What a grade holds, as the confirmations and the family's messages repeat it."""
    if feedback.points is not None and feedback.max_points:
        return T(
            "grade.result.points",
            points=grades.format_points(feedback.points),
            max=feedback.max_points,
            percent=grades.format_points(marks.percentage(feedback.points, feedback.max_points)),
            mark=feedback.mark,
        )
    if feedback.formative_score is not None:
        return T("grade.result.score", score=feedback.formative_score)
    return T("grade.result.none")


def start(turn: Turn) -> list[Reply]:
    """/grades: the latest work this tutor reviewed, to correct one."""
    if not tutor_groups(turn):
        return tutors_only(turn, "review")
    reviewed = _reviewed(turn)
    if not reviewed:
        return [Reply(T("fix.none"))]
    return [
        Reply(
            T("fix.ask"),
            choices=tuple(
                Choice(
                    f"{PREFIX}pick:{feedback.id}",
                    T(
                        "fix.choice",
                        pupil=_name(turn, submission.pupil_id),
                        title=homework.title,
                        result=recorded(feedback),
                    ),
                )
                for feedback, submission, homework, _group in reviewed
            ),
        )
    ]


def _reviewed(turn: Turn, feedback_id: int | None = None) -> list[Reviewed]:
    """The work of the tutor's own groups, and the work they graded themselves in a group they
    substitute for today (a substitute corrects their own slip while the group is theirs)."""
    me = turn.person_id()
    substituting = [group.id for group in tutor_groups(turn) if group.tutor_id != me]
    statement = (
        select(Feedback, Submission, Homework, TutoringGroup)
        .join(Submission, col(Submission.id) == Feedback.submission_id)
        .join(Homework, col(Homework.id) == Submission.homework_id)
        .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
        .where(
            or_(
                TutoringGroup.tutor_id == me,
                and_(col(TutoringGroup.id).in_(substituting), Feedback.tutor_id == me),
            )
        )
    )
    if feedback_id is not None:
        statement = statement.where(Feedback.id == feedback_id)
    rows = turn.session.exec(
        statement.order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc()).limit(LATEST)
    )
    return list(rows.all())


def _name(turn: Turn, person_id: int) -> str:
    person = turn.session.get(Person, person_id)
    return person.full_name if person else NONE


def on_choice(turn: Turn) -> list[Reply]:
    action, _, argument = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    if action == "pick" and argument.isdigit():
        picked = _reviewed(turn, int(argument))
        if not picked:
            return not_allowed()
        return _substitutes_grade(turn, picked[0]) or _ask_first(turn, picked[0])
    under_way = _under_way(turn)
    if isinstance(under_way, list):
        return under_way
    step, data, reviewed = under_way
    if action == "score" and step == "score":
        if argument != "skip" and not (argument.isdigit() and grades.valid_formative_score(int(argument))):
            return [_score_question(turn, reviewed)]
        data["score"] = None if argument == "skip" else int(argument)
        return _ask_comment(turn, reviewed, data)
    if action == "keep" and step == "comment":
        return _apply(turn, reviewed, data, reviewed[0].text)
    return [Reply(T("common.not_understood"))]


def _under_way(turn: Turn) -> tuple[str, dict[str, Any], Reviewed] | list[Reply]:
    """The correction under way (its step, data and work), or the replies saying there is none."""
    state = conversation.load(turn)
    if state.flow != FLOW or conversation.is_stale(turn, state.updated_at):
        conversation.clear(turn)
        return [Reply(T("review.expired"))]
    data = {k: v for k, v in state.data.items() if k != "offered"}
    found = _reviewed(turn, int(data.get("feedback_id") or 0))
    refused = _substitutes_grade(turn, found[0]) if found else not_allowed()
    if refused:
        conversation.clear(turn)
        return refused
    return state.step, data, found[0]


def _substitutes_grade(turn: Turn, reviewed: Reviewed) -> list[Reply]:
    """The refusal for the group's own tutor of a grade given on a day of the substitution that
    holds today (the substitute corrects it meanwhile); nothing otherwise."""
    feedback, _submission, _homework, group = reviewed
    if turn.person_id() != group.tutor_id:
        return []
    graded_on = to_local(feedback.created_at, turn.config.time_zone).date()
    found, today = substitute_of(turn, group, graded_on), substitute_of(turn, group, local_today(turn))
    if found is None or today is None or found.id != today.id:
        return []
    return substitutes.refusal(turn, group, graded_on, "substitute.grade_theirs")


def on_text(turn: Turn) -> list[Reply]:
    found = _under_way(turn)
    if isinstance(found, list):
        return found
    step, data, reviewed = found
    text = turn.inbound.text.strip()
    homework = reviewed[2]
    if step == "points":
        points = grades.parse_points(text, homework.max_points or 0)
        if points is None:
            return [Reply(T("review.points_invalid", max=homework.max_points))]
        data["points"] = points
        return _ask_comment(turn, reviewed, data)
    if step == "score":
        score = grades.parse_formative_score(text)
        if score is None:
            return [_score_question(turn, reviewed)]
        data["score"] = score
        return _ask_comment(turn, reviewed, data)
    return _apply(turn, reviewed, data, "" if text == "-" else text[:MAX_COMMENT])


def _ask_first(turn: Turn, reviewed: Reviewed) -> list[Reply]:
    feedback, submission, homework, _group = reviewed
    data: dict[str, Any] = {"feedback_id": feedback.id}
    pupil = _name(turn, submission.pupil_id)
    if homework.out_of and not feedback.redo:
        conversation.enter(turn, FLOW, "points", **data)
        return [Reply(T("fix.ask_points", pupil=pupil, was=recorded(feedback), max=homework.max_points))]
    if homework.scored and not feedback.redo:
        conversation.enter(turn, FLOW, "score", **data)
        return [_score_question(turn, reviewed)]
    return _ask_comment(turn, reviewed, data)


def _score_question(turn: Turn, reviewed: Reviewed) -> Reply:
    feedback, submission, _homework, _group = reviewed
    choices = [
        Choice(f"{PREFIX}score:{score}", T("review.choice.score", score=score))
        for score in range(grades.FORMATIVE_MIN, grades.FORMATIVE_MAX + 1)
    ]
    choices.append(Choice(f"{PREFIX}score:skip", T("review.choice.skip_score")))
    text = T("fix.ask_score", pupil=_name(turn, submission.pupil_id), was=recorded(feedback))
    return Reply(text, choices=tuple(choices))


def _ask_comment(turn: Turn, reviewed: Reviewed, data: dict[str, Any]) -> list[Reply]:
    conversation.enter(turn, FLOW, "comment", **data)
    feedback = reviewed[0]
    return [
        Reply(
            T("fix.ask_comment", was=feedback.text or NONE),
            choices=(Choice(f"{PREFIX}keep", T("fix.choice.keep")),),
        )
    ]


def _apply(turn: Turn, reviewed: Reviewed, data: dict[str, Any], comment: str) -> list[Reply]:
    feedback, submission, homework, group = reviewed
    before = {
        "points": feedback.points,
        "formative_score": feedback.formative_score,
        "mark": feedback.mark,
        "text": feedback.text,
    }
    was = recorded(feedback)
    if data.get("points") is not None and homework.max_points:
        feedback.points = float(data["points"])
        feedback.max_points = homework.max_points
        feedback.mark = marks.mark_for(feedback.points, homework.max_points)
    elif "score" in data:
        feedback.formative_score = data["score"]
    feedback.text, feedback.corrected_at = comment, turn.now
    turn.session.add(feedback)
    turn.session.flush()
    conversation.clear(turn)
    audit(turn, "feedback.corrected", "feedback", feedback.id, submission_id=submission.id, before=before)
    now = recorded(feedback)
    pupil = _name(turn, submission.pupil_id)
    common = {"subject": subject_name(group.subject), "title": homework.title, "was": was, "now": now}
    version = int(turn.now.timestamp())
    enqueue(
        turn.session,
        kind="feedback",
        text=T("fix.notify.pupil", **common, comment=comment or NONE),
        idempotency_key=f"correction:{feedback.id}:{version}:{submission.pupil_id}:",
        person_id=submission.pupil_id,
    )
    if homework.scored:
        for guardian in guardians_of(turn.session, submission.pupil_id):
            enqueue(
                turn.session,
                kind="grade",
                text=T("fix.notify.guardian", **common, pupil=pupil, comment=comment or NONE),
                idempotency_key=f"correction:{feedback.id}:{version}:{guardian.id}:",
                person_id=guardian.id,
                about_pupil_id=submission.pupil_id,
            )
    return [Reply(T("fix.done", pupil=pupil, title=homework.title, result=now, comment=comment or NONE))]
