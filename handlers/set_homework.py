"""A tutor sets homework for one of their groups (/homework).

Group → task text (optionally with a photo or file) → due date and time (the school's time zone; a
day that is not a working day of the group's school moves to the next one, and the summary and the
pupils' notice say so, `handlers.school_days`) →
how it is graded (formative 1–10; summative for a section — БЖБ — or for the term — ТЖБ; the entry or
the final diagnostic, for knowledge growth; no grade) → maximum points for work graded in points →
a summary to confirm. On confirm the homework is stored and every pupil of the group gets a
notification through the outbox (pupils without consent are skipped by the consent gate).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from handlers import conversation, substitutes
from handlers.attachments import store_attachment
from handlers.audit import audit
from handlers.context import Turn
from handlers.date_examples import example_dates
from handlers.dates import parse_due
from handlers.grades import parse_max_points
from handlers.gradings import GRADINGS, chosen, grading_text
from handlers.groups import acts_for, tutor_groups
from handlers.homework import PREFIX, due_text, tell_pupil
from handlers.refusals import not_allowed, tutors_only
from handlers.school_days import remember, shown_deadline, working_deadline
from handlers.types import Choice, Reply
from locales import Lines, T, Text, subject_name
from models.clock import to_local, to_utc
from models.homework import Homework
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from outbox.route import in_a_chat

log = logging.getLogger(__name__)

FLOW = "hw_set"
GROUP = f"{PREFIX}group:"
GRADING = f"{PREFIX}kind:"
CONFIRM = f"{PREFIX}confirm:"


MAX_TEXT = 4000


def start(turn: Turn) -> list[Reply]:
    groups = tutor_groups(turn)
    if not groups:
        return tutors_only(turn, "homework")
    conversation.enter(turn, FLOW, "group")
    return [
        Reply(
            T("homework.ask_group"),
            choices=tuple(
                Choice(
                    f"{GROUP}{g.id}",
                    T("homework.choice.group", group=g.code, subject=subject_name(g.subject)),
                )
                for g in groups
            ),
        )
    ]


def _group(turn: Turn, raw_id: object) -> TutoringGroup | None:
    if turn.person is None or not str(raw_id).isdigit():
        return None
    return turn.session.get(TutoringGroup, int(str(raw_id)))


def _own_group(turn: Turn, raw_id: object) -> TutoringGroup | None:
    """The group, if this person tutors it today (its own tutor, or its substitute)."""
    group = _group(turn, raw_id)
    return group if group is not None and acts_for(turn, group) else None


def on_group(turn: Turn) -> list[Reply]:
    """The group chosen: ask for the task."""
    raw_id = (turn.inbound.choice or "").removeprefix(GROUP)
    group = _own_group(turn, raw_id)
    if group is None:
        return substitutes.refusal(turn, _group(turn, raw_id))
    conversation.enter(turn, FLOW, "text", group_id=group.id)
    return [Reply(T("homework.ask_text", group=group.code, subject=subject_name(group.subject)))]


def on_answer(turn: Turn) -> list[Reply]:
    """Text or a file typed while setting homework: the answer to the step asked."""
    state = conversation.load(turn)
    if conversation.is_stale(turn, state.updated_at):
        conversation.clear(turn)
        return [Reply(T("homework.expired"))]
    step, data = state.step, dict(state.data)
    if step == "group":
        return start(turn)
    group = _own_group(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    text = turn.inbound.text.strip()
    data.pop("offered", None)
    if step == "text":
        return _set_text(turn, data, text)
    if turn.inbound.uploads:
        return _late_attachment(turn, group, step, data)
    if step == "due":
        return _set_due(turn, group, data, text)
    if step == "max":
        max_points = parse_max_points(text)
        if max_points is None:
            return [Reply(T("homework.max_invalid"))]
        data["max_points"] = max_points
        return _summary(turn, group, data)
    if step == "confirm":
        return _summary(turn, group, data)
    return [_grading_question()]


def _set_text(turn: Turn, data: dict[str, Any], text: str) -> list[Reply]:
    refused: list[Reply] = []
    if turn.inbound.uploads:
        path, refused = store_attachment(turn, turn.inbound.uploads[0], "homework")
        if path is not None:
            data["attachment"] = path
    if not text:
        conversation.enter(turn, FLOW, "text", **data)
        if refused:
            return refused
        return [Reply(T("homework.attachment_kept"))]
    if len(text) > MAX_TEXT:
        conversation.enter(turn, FLOW, "text", **data)
        return [Reply(T("homework.text_too_long", limit=MAX_TEXT))]
    data["text"] = text
    conversation.enter(turn, FLOW, "due", **data)
    return [*refused, Reply(T("homework.ask_due", **example_dates(turn)))]


def _late_attachment(turn: Turn, group: TutoringGroup, step: str, data: dict[str, Any]) -> list[Reply]:
    """A file sent after the task text is attached too, and the current question asked again."""
    path, refused = store_attachment(turn, turn.inbound.uploads[0], "homework")
    if path is None:
        return refused
    data["attachment"] = path
    if step == "confirm":
        return _summary(turn, group, data)
    conversation.enter(turn, FLOW, step, **data)
    question = {
        "due": Reply(T("homework.ask_due", **example_dates(turn))),
        "max": Reply(T("homework.ask_max")),
    }
    return [Reply(T("homework.attachment_added")), question.get(step) or _grading_question()]


def _set_due(turn: Turn, group: TutoringGroup, data: dict[str, Any], text: str) -> list[Reply]:
    local_now = to_local(turn.now, turn.config.time_zone).replace(tzinfo=None)
    due_local = parse_due(text, local_now)
    if due_local is None:
        return [Reply(T("homework.due_invalid", **example_dates(turn)))]
    if due_local <= local_now:
        return [Reply(T("homework.due_past"))]
    due_local, shift = working_deadline(turn, group, due_local)
    remember(data, shift)
    data["due"] = to_utc(due_local, turn.config.time_zone).isoformat()
    conversation.enter(turn, FLOW, "kind", **data)
    return [_grading_question()]


def _grading_question() -> Reply:
    return Reply(
        T("homework.ask_grading"),
        choices=tuple(Choice(f"{GRADING}{name}", T(grading.choice)) for name, grading in GRADINGS.items()),
    )


def _flow_data(turn: Turn, *steps: str) -> dict[str, Any] | None:
    state = conversation.load(turn)
    if state.flow != FLOW or state.step not in steps:
        return None
    data = dict(state.data)
    data.pop("offered", None)
    return data


def on_grading(turn: Turn) -> list[Reply]:
    """How the work is graded: summative asks for the maximum points next, the others for confirmation."""
    grading = (turn.inbound.choice or "").removeprefix(GRADING)
    data = _flow_data(turn, "kind", "confirm")
    if not tutor_groups(turn):
        return not_allowed()
    if data is None:
        return [Reply(T("homework.expired"))]
    group = _own_group(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    if grading not in GRADINGS:
        return [_grading_question()]
    data["grading"] = grading
    data.pop("max_points", None)
    if GRADINGS[grading].in_points:
        conversation.enter(turn, FLOW, "max", **data)
        return [Reply(T("homework.ask_max"))]
    return _summary(turn, group, data)


def _grading_text(data: dict[str, Any]) -> Text:
    return grading_text(chosen(data.get("grading")), data.get("max_points"))


def _summary(turn: Turn, group: TutoringGroup, data: dict[str, Any]) -> list[Reply]:
    conversation.enter(turn, FLOW, "confirm", **data)
    due = to_local(datetime.fromisoformat(data["due"]), turn.config.time_zone).strftime("%d.%m.%Y %H:%M")
    attachment = (
        T("homework.summary.attachment") if data.get("attachment") else T("homework.summary.no_attachment")
    )
    return [
        Reply(
            T(
                "homework.summary",
                group=group.code,
                subject=subject_name(group.subject),
                text=data.get("text", ""),
                due=shown_deadline(turn, group, data, due),
                grading=_grading_text(data),
                attachment=attachment,
            ),
            choices=(
                Choice(f"{CONFIRM}yes", T("homework.choice.confirm")),
                Choice(f"{CONFIRM}no", T("homework.choice.cancel")),
            ),
        )
    ]


def on_confirm(turn: Turn) -> list[Reply]:
    """Yes stores the homework and tells the group's pupils; no drops it."""
    yes = (turn.inbound.choice or "").removeprefix(CONFIRM) == "yes"
    if not tutor_groups(turn):
        return not_allowed()
    data = _flow_data(turn, "confirm")
    if data is None:
        return [Reply(T("homework.expired"))]
    group = _own_group(turn, data.get("group_id"))
    if group is None or group.id is None or turn.person is None:
        conversation.clear(turn)
        return not_allowed()
    conversation.clear(turn)
    if not yes:
        return [Reply(T("homework.cancelled"))]
    grading = chosen(data.get("grading"))
    homework = Homework(
        group_id=group.id,
        tutor_id=turn.person.id,
        text=str(data.get("text", "")),
        attachment_path=data.get("attachment"),
        kind=grading.kind,
        label=grading.label,
        scored=grading.scored,
        max_points=data.get("max_points") if grading.in_points else None,
        due_at=datetime.fromisoformat(data["due"]),
        created_at=turn.now,
    )
    turn.session.add(homework)
    turn.session.flush()
    homework_id = stored_id(homework)
    pupils = list(
        turn.session.exec(
            select(GroupMember.pupil_id)
            .where(GroupMember.group_id == group.id)
            .order_by(col(GroupMember.pupil_id))
        ).all()
    )
    due = shown_deadline(turn, group, data, due_text(turn, homework))
    zone = turn.config.time_zone
    told = [
        pupil_id
        for pupil_id in pupils
        if tell_pupil(turn.session, homework, group.subject, pupil_id, zone, due) is not None
    ]
    in_chat = in_a_chat(turn.session, told)
    audit(turn, "homework.created", "homework", homework_id, group_id=group.id, notified=len(told))
    log.info(
        "homework %s set for group %s by %s; %s pupils notified, %s of them in a chat",
        homework_id,
        group.id,
        turn.person.id,
        len(told),
        len(in_chat),
    )
    return [Reply(created_text(group.code, len(pupils), len(in_chat), len(told) - len(in_chat)))]


def created_text(group: str, total: int, reached: int, waiting: int) -> Text:
    """What the tutor is told: how many pupils the notice reaches now, how many get it when they join
    the chat, and how many get nothing until a parent agrees."""
    if reached == total:
        return T("homework.created", group=group, reached=reached, total=total)
    rest: list[Text] = []
    if waiting:
        rest.append(T("homework.created_waiting", count=waiting))
    if total - reached - waiting:
        rest.append(T("homework.created_no_consent", count=total - reached - waiting))
    return T("homework.created_partly", group=group, reached=reached, total=total, rest=Lines(tuple(rest)))
