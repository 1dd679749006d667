"""A school year so far, made up and written in bulk into any store that holds a roster (the sample
school, or `sandbox.world`'s district): parents' consent, attendance on every lesson held, a homework
a week per group handed in on time, late or not at all, graded with a formative score, reasons
families gave for half the absences and the tutors' decisions on them, the entry
diagnostic in the first week, and a message a week to every parent with its delivery — Telegram,
WhatsApp (refused outside the 24 hours and then carried by SMS), a landline that takes nothing,
STOP, and families on post whom only Kazpost reaches.

    .venv/bin/python -m sandbox.term data/ustaz.sqlite3   # fill the sandbox's store up to today

Deterministic for a seed and a day; the dashboard's screenshots and benchmark use it.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlmodel import col

from assessment.marks import mark_for
from models import (
    Attendance,
    ChannelIdentity,
    Consent,
    DeliveryAttempt,
    Feedback,
    GroupMember,
    Guardianship,
    Homework,
    Lesson,
    Notification,
    Submission,
    TutoringGroup,
)
from models.enums import HomeworkKind, Problem, WorkLabel
from models.store import make_engine, session_scope
from monitoring.periods import academic_year, first_year_of
from monitoring.reports import teaching_days

ZONE = ZoneInfo("Asia/Almaty")
CHUNK = 5_000
ENTRY_POINTS = 20
REPORTED = 0.5  # of absences, the share a family gives a reason for
PROBLEMS = tuple(problem.value for problem in Problem)
COMMENTS = ("Жақсы, 3-есепті тексеріңіз.", "Өте жақсы!", "Формулаға назар аударыңыз.", "Молодец, аккуратно.")


@dataclass(frozen=True)
class GroupPlan:
    group_id: int
    tutor_id: int | None
    members: list[int]
    lessons: list[tuple[int, int, int]]  # (lesson id, weekday, minutes)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


def _write(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _write_returning(session: Any, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids += [
            int(i)
            for i in session.execute(
                insert(model).returning(col(model.id), sort_by_parameter_order=True),
                rows[start : start + CHUNK],
            ).scalars()
        ]
    return ids


def fill_term(engine: Engine, today: date, seed: int = 1) -> None:
    """Everything that happened from the first day of the school year to yesterday."""
    rng = random.Random(seed)
    first_day = academic_year(first_year_of(today)).quarters[0][0]
    spans = teaching_days(first_day, today - timedelta(days=1))
    days = [first_day + timedelta(days=n) for n in range((today - first_day).days)]
    taught = [d for d in days if any(low <= d <= high for low, high in spans)]
    with session_scope(engine) as session:
        plans = _plans(session)
        parents: dict[int, list[int]] = defaultdict(list)
        for guardian, pupil in session.execute(
            select(col(Guardianship.guardian_id), col(Guardianship.pupil_id))
        ).all():
            parents[pupil].append(guardian)
        pupils = sorted({p for plan in plans for p in plan.members} | set(parents))
        ability = {p: rng.uniform(0.62, 0.99) for p in pupils}
        consenting = {p for p in pupils if rng.random() < 0.9}
        _consent(session, rng, consenting, parents, first_day)
        _attendance(session, rng, plans, taught, ability)
        _homework(session, rng, plans, taught, today, ability, consenting)
        _messages(session, rng, parents, pupils, taught, today)


def _plans(session: Any) -> list[GroupPlan]:
    members: dict[int, list[int]] = defaultdict(list)
    for group, pupil in session.execute(select(col(GroupMember.group_id), col(GroupMember.pupil_id))).all():
        members[group].append(pupil)
    lessons: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for lesson, group, weekday, minutes in session.execute(
        select(col(Lesson.id), col(Lesson.group_id), col(Lesson.weekday), col(Lesson.minutes)).where(
            col(Lesson.active).is_(True)
        )
    ).all():
        lessons[group].append((lesson, weekday, minutes))
    return [
        GroupPlan(group, tutor, members[group], sorted(lessons[group], key=lambda item: item[1]))
        for group, tutor in session.execute(select(col(TutoringGroup.id), col(TutoringGroup.tutor_id))).all()
    ]


def _consent(
    session: Any, rng: random.Random, consenting: set[int], parents: dict[int, list[int]], first: date
) -> None:
    rows = [
        {
            "guardian_id": parents[pupil][0],
            "pupil_id": pupil,
            "scope": "programme",
            "text_version": "v1",
            "given": True,
            "decided_at": _at(first + timedelta(days=rng.randint(0, 20)), 19),
            "channel": "telegram",
        }
        for pupil in sorted(consenting)
        if parents.get(pupil)
    ]
    _write(session, Consent, rows)


def _attendance(
    session: Any, rng: random.Random, plans: list[GroupPlan], taught: list[date], ability: dict[int, float]
) -> None:
    told = random.Random(len(plans))  # a stream of its own: the marks stay as they were without it
    rows = []
    for plan in plans:
        for lesson, weekday, _minutes in plan.lessons:
            for day in taught:
                if day.weekday() != weekday:
                    continue
                for pupil in plan.members:
                    roll = rng.random() * (0.6 + ability[pupil])
                    status = "absent" if roll < 0.09 else "late" if roll < 0.15 else "present"
                    rows.append(
                        {
                            "lesson_id": lesson,
                            "on_date": day,
                            "pupil_id": pupil,
                            "status": status,
                            "marked_by": plan.tutor_id,
                            "marked_at": _at(day, 17),
                            **_reported(told, status, pupil, plan.tutor_id, day),
                        }
                    )
    _write(session, Attendance, rows)


def _reported(told: random.Random, status: str, pupil: int, tutor: int | None, day: date) -> dict[str, Any]:
    """What a family reported of an absence (about half do, the pupil themselves here) and the
    tutor's decision: mostly excused, some not, some not decided yet."""
    if status != "absent" or told.random() >= REPORTED:
        return {"reason": None, "reported_by": None, "reported_at": None, "excused": None, "excused_by": None}
    excused = told.choice((True, True, True, False, None))
    return {
        "reason": told.choice(PROBLEMS),
        "reported_by": pupil,
        "reported_at": _at(day, 8),
        "excused": excused,
        "excused_by": tutor if excused is not None else None,
    }


def _homework(
    session: Any,
    rng: random.Random,
    plans: list[GroupPlan],
    taught: list[date],
    today: date,
    ability: dict[int, float],
    consenting: set[int],
) -> None:
    mondays = sorted({day - timedelta(days=day.weekday()) for day in taught})
    homework_rows, owners = [], []
    for plan in plans:
        for week, monday in enumerate(mondays):
            due_day = monday + timedelta(days=4)
            entry = week == 0
            homework_rows.append(
                {
                    "group_id": plan.group_id,
                    "tutor_id": plan.tutor_id,
                    "text": "Кіріс диагностикасы"
                    if entry
                    else f"{week}-апта: №{3 * week + 1}–{3 * week + 5} есептер",
                    "kind": HomeworkKind.DIAGNOSTIC.value if entry else HomeworkKind.FORMATIVE.value,
                    "label": WorkLabel.ENTRY.value if entry else None,
                    "scored": True,
                    "max_points": ENTRY_POINTS if entry else None,
                    "due_at": _at(due_day, 18),
                    "created_at": _at(monday, 16),
                }
            )
            owners.append((plan, entry, due_day))
    homework_ids = _write_returning(session, Homework, homework_rows)
    submissions, graded = [], []
    for homework_id, (plan, entry, due_day) in zip(homework_ids, owners, strict=True):
        for pupil in plan.members:
            skill = ability[pupil] if pupil in consenting else ability[pupil] * 0.7
            roll = rng.random()
            if due_day >= today and roll > 0.5:
                continue
            if roll > skill + 0.1:
                continue  # not handed in
            late = roll > skill - 0.05
            moment = _at(due_day, 18) + (
                timedelta(hours=rng.randint(2, 40)) if late else -timedelta(hours=rng.randint(2, 60))
            )
            reviewed = _at(due_day + timedelta(days=1), 20)
            done = reviewed.date() < today and rng.random() < 0.93
            submissions.append(
                {
                    "homework_id": homework_id,
                    "pupil_id": pupil,
                    "status": "graded" if done else "submitted",
                    "submitted_at": moment,
                    "late": late,
                    "channel": "telegram",
                }
            )
            graded.append((done, entry, skill, reviewed, plan.tutor_id))
    submission_ids = _write_returning(session, Submission, submissions)
    feedback = []
    for submission_id, (done, entry, skill, reviewed, tutor) in zip(submission_ids, graded, strict=True):
        if not done:
            continue
        if entry:
            points = round(ENTRY_POINTS * min(1.0, max(0.1, rng.gauss(skill - 0.15, 0.12))))
            values = {
                "points": float(points),
                "max_points": ENTRY_POINTS,
                "mark": mark_for(points, ENTRY_POINTS),
            }
        else:
            values = {"formative_score": max(1, min(10, round(rng.gauss(skill * 10, 1.4))))}
        feedback.append(
            {
                "submission_id": submission_id,
                "tutor_id": tutor,
                "text": rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                "redo": False,
                "created_at": reviewed,
                **{"points": None, "max_points": None, "formative_score": None, "mark": None, **values},
            }
        )
    _write(session, Feedback, feedback)


def _messages(
    session: Any,
    rng: random.Random,
    parents: dict[int, list[int]],
    pupils: list[int],
    taught: list[date],
    today: date,
) -> None:
    """A message a week to every parent, and how it went: by the first channel that could take it."""
    channels: dict[int, dict[str, tuple[int, bool]]] = defaultdict(dict)
    for person, channel, identity, stopped in session.execute(
        select(
            col(ChannelIdentity.person_id),
            col(ChannelIdentity.channel),
            col(ChannelIdentity.id),
            col(ChannelIdentity.opted_out_at).is_not(None),
        )
    ).all():
        channels[person][channel] = (identity, bool(stopped))
    mondays = sorted({day - timedelta(days=day.weekday()) for day in taught})
    notifications, fates = [], []
    for monday in mondays:
        sent_at = _at(monday + timedelta(days=5), 11)
        if sent_at.date() >= today:
            continue
        for pupil in pupils:
            for parent in parents.get(pupil, []):
                fate = _fate(rng, channels.get(parent, {}))
                notifications.append(
                    {
                        "idempotency_key": f"term:{monday.isoformat()}:{parent}:{pupil}:",
                        "person_id": parent,
                        "about_pupil_id": pupil,
                        "kind": "grade.notice",
                        "key": "notify.grade",
                        "params": {},
                        "status": fate[0],
                        "channel": fate[1],
                        "attempts": len(fate[2]),
                        "due_at": sent_at,
                        "created_at": sent_at,
                        "sent_at": sent_at if fate[0] == "sent" else None,
                        "last_error": fate[3],
                        "urgent": False,
                    }
                )
                fates.append((fate[2], sent_at))
    ids = _write_returning(session, Notification, notifications)
    attempts = [
        {
            "notification_id": nid,
            "channel": channel,
            "identity_id": identity,
            "started_at": at,
            "finished_at": at,
            "outcome": outcome,
            "error": error,
        }
        for nid, (tried, at) in zip(ids, fates, strict=True)
        for channel, identity, outcome, error in tried
    ]
    _write(session, DeliveryAttempt, attempts)


Fate = tuple[str, str | None, list[tuple[str, int, str, str | None]], str | None]


def _fate(rng: random.Random, channels: dict[str, tuple[int, bool]]) -> Fate:
    """(status, the channel that carried it, the attempts, the last error) for one message."""
    if "telegram" in channels:
        return "sent", "telegram", [("telegram", channels["telegram"][0], "delivered", None)], None
    tried: list[tuple[str, int, str, str | None]] = []
    if "whatsapp" in channels:
        if rng.random() < 0.6:
            return "sent", "whatsapp", [("whatsapp", channels["whatsapp"][0], "delivered", None)], None
        tried.append(
            ("whatsapp", channels["whatsapp"][0], "failed", "no template outside the 24-hour window")
        )
    if "sms" in channels:
        identity, stopped = channels["sms"]
        if stopped:
            return "no_channel", "whatsapp" if tried else None, tried, "channels_exhausted"
        if "whatsapp" not in channels:  # a landline: the roster's number takes no messages
            tried.append(("sms", identity, "failed", "undelivered:30006"))
            return "no_channel", "sms", tried, "undelivered:30006"
        tried.append(("sms", identity, "delivered", None))
        return "sent", "sms", tried, None
    return "no_channel", None, tried, "post"


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "data/ustaz.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        fill_term(engine, datetime.now(ZONE).date())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
