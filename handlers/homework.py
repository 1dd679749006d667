"""What the two homework flows share: their buttons' prefix, how a deadline reads, and the notice a
pupil gets of new homework.

A tutor sets homework (`set_homework`, /homework); a pupil hands it in as photos (`hand_in`). Both
flows' buttons start with `PREFIX`, so a button sent before an upgrade still finds its flow. The
notice of new homework goes when the tutor sets it, and again to a pupil who could not get it then
(`handlers.catch_up`), under one key per homework and pupil, so nobody gets it twice.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.context import Turn
from handlers.gradings import grading_of, grading_text
from handlers.refusals import not_understood
from handlers.types import Reply
from locales import T, Text, subject_name
from models.clock import to_local
from models.homework import Homework
from models.outbox import Notification
from models.store import stored_id
from outbox.write import enqueue

PREFIX = "hw:"
NOTICE_KIND = "homework.new"


def due_text(turn: Turn, homework: Homework) -> str:
    """The deadline in the school's time zone, as messages show it."""
    return _due(homework, turn.config.time_zone)


def _due(homework: Homework, zone: ZoneInfo) -> str:
    return to_local(homework.due_at, zone).strftime("%d.%m %H:%M")


def unknown_choice(turn: Turn) -> list[Reply]:
    """A homework button of neither flow."""
    return not_understood()


def notice_key(homework_id: int, pupil_id: int) -> str:
    return f"homework-new:{homework_id}:{pupil_id}:"


def tell_pupil(
    session: Session,
    homework: Homework,
    subject: str,
    pupil_id: int,
    zone: ZoneInfo,
    due: Text | str | None = None,
) -> Notification | None:
    """The notice of new homework to one pupil, with its file (None: the consent gate refused);
    `due` is the deadline as the tutor's summary showed it (with the note when the school calendar
    moved it), else the stored deadline."""
    return enqueue(
        session,
        kind=NOTICE_KIND,
        text=T(
            "homework.notify.new",
            subject=subject_name(subject),
            text=homework.text,
            due=_due(homework, zone) if due is None else due,
            grading=grading_text(grading_of(homework), homework.max_points),
        ),
        idempotency_key=notice_key(stored_id(homework), pupil_id),
        person_id=pupil_id,
        media_path=homework.attachment_path,
    )
