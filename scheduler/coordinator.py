"""What the coordinator changes in the plan (from the `ustaz` command line): a class's Kazpost
collection day and responsible teacher, and one lesson occurrence moved or cancelled.

Each function writes the change and returns the confirmation as a `Text`; a refusal raises
`Refused` carrying its `Text`. The scheduler does the rest on its next run: a `LessonChange`
withdraws the occurrence's pending reminders and tells the group (`scheduler.jobs`), a schedule
opens its rounds (`scheduler.postal`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import N, T, Text
from models.clock import to_utc, utcnow
from models.people import Person
from models.postal import PostalSchedule
from models.school import School, SchoolClass, TutoringGroup
from models.timetable import Lesson, LessonChange

MAX_INTERVAL_DAYS = 14  # the programme: at least once every two weeks


class Refused(ValueError):
    def __init__(self, text: Text) -> None:
        self.text = text
        super().__init__(text.key)


def set_postal_schedule(
    session: Session,
    *,
    class_name: str,
    teacher: str,
    anchor: date,
    interval_days: int,
    school: str | None = None,
    point: str | None = None,
    today: date | None = None,
) -> Text:
    """Set (or change) the class's collection anchor day, interval and responsible teacher."""
    if not 1 <= interval_days <= MAX_INTERVAL_DAYS:
        raise Refused(T("postal.cli.interval_too_long"))
    classes = select(SchoolClass).where(SchoolClass.name == class_name)
    if school:
        classes = classes.join(School, col(School.id) == SchoolClass.school_id).where(School.code == school)
    found = session.exec(classes).all()
    if len(found) != 1:
        raise Refused(T("postal.cli.unknown_class", class_name=class_name))
    school_class = found[0]
    person = session.exec(select(Person).where(Person.external_id == teacher)).first()
    if person is None or person.id is None or school_class.id is None:
        raise Refused(T("postal.cli.unknown_person", person=teacher))
    schedule = session.exec(select(PostalSchedule).where(PostalSchedule.class_id == school_class.id)).first()
    if schedule is None:
        schedule = PostalSchedule(class_id=school_class.id, teacher_id=person.id, anchor=anchor)
    schedule.teacher_id, schedule.anchor, schedule.interval_days = person.id, anchor, interval_days
    if point is not None:
        schedule.point = point
    session.add(schedule)
    next_day = schedule.collection_on_or_after(today or utcnow().date())
    return N(
        "postal.cli.set",
        "interval",
        class_name=school_class.name,
        teacher=person.external_id,
        interval=interval_days,
        next_date=next_day.strftime("%d.%m.%Y"),
    )


def change_lesson(
    session: Session,
    *,
    group: str,
    on_date: date,
    zone: ZoneInfo,
    at: time | None = None,
    cancelled: bool = False,
    moved_to: datetime | None = None,
    link: str | None = None,
    by: str | None = None,
    now: datetime | None = None,
) -> Text:
    """Cancel one occurrence of a group's lesson, or move it to `moved_to` (local, naive or aware).

    Changing an occurrence again replaces the earlier change (a new version: the reminders of the
    earlier one are withdrawn and the group is told again)."""
    if cancelled == (moved_to is not None):
        raise ValueError("exactly one of cancelled and moved_to")
    found = session.exec(select(TutoringGroup).where(TutoringGroup.code == group)).first()
    if found is None:
        raise Refused(T("notify.cli.unknown_group", group=group))
    lessons = session.exec(
        select(Lesson).where(
            Lesson.group_id == found.id, Lesson.weekday == on_date.weekday(), col(Lesson.active).is_(True)
        )
    ).all()
    lessons = [lesson for lesson in lessons if at is None or lesson.start_time == at]
    lesson = lessons[0] if len(lessons) == 1 else None
    lesson_id = lesson.id if lesson is not None else None
    if lesson is None or lesson_id is None:
        raise Refused(T("notify.cli.no_lesson", group=group, date=on_date.strftime("%d.%m.%Y")))
    author = session.exec(select(Person.id).where(Person.external_id == by)).first() if by else None
    change = session.exec(
        select(LessonChange).where(LessonChange.lesson_id == lesson_id, LessonChange.on_date == on_date)
    ).first()
    if change is None:
        change = LessonChange(lesson_id=lesson_id, on_date=on_date)
    moment = now or utcnow()
    previous = change.changed_at if change.id is not None else None
    change.cancelled = cancelled
    change.moved_to = to_utc(moved_to, zone) if moved_to is not None else None
    change.link = link or change.link
    change.changed_by = author
    # The version of a change is its time in whole seconds: a second change in the same second still
    # needs a new one.
    change.changed_at = max(moment, previous + timedelta(seconds=1)) if previous is not None else moment
    session.add(change)
    params: dict[str, object] = {
        "group": group,
        "date": on_date.strftime("%d.%m.%Y"),
        "time": lesson.start_time.strftime("%H:%M"),
    }
    if cancelled or change.moved_to is None:
        return T("notify.cli.lesson_cancelled", **params)
    local = change.moved_to.astimezone(zone)
    return T(
        "notify.cli.lesson_moved",
        new_date=local.strftime("%d.%m.%Y"),
        new_time=local.strftime("%H:%M"),
        **params,
    )
