"""Families' threads waiting for an answer, for the dashboard: who waits, since when, how long, with
whom — within the reader's scope (the pupils the threads are about), the longest waiting first.
What was written is not shown here: it stays between the family and the staff member."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE, T
from models.threads import Thread, ThreadMessage
from monitoring.scope import Scope, class_of, names
from monitoring.table import Table

HOUR = 3600


def threads_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    table = Table("threads", ("since", "hours", "family", "pupil", "class", "with", "role", "messages"))
    threads = session.exec(
        select(Thread)
        .where(col(Thread.waiting_since).is_not(None), col(Thread.pupil_id).in_(scope.pupil_ids))
        .order_by(col(Thread.waiting_since), col(Thread.id))
    ).all()
    if not threads:
        return table
    people = names(
        session,
        {t.family_id for t in threads} | {t.pupil_id for t in threads} | {t.staff_id for t in threads},
    )
    classes = class_of(session, scope)
    counts = dict(
        session.exec(
            select(ThreadMessage.thread_id, func.count())
            .where(col(ThreadMessage.thread_id).in_([t.id for t in threads]))
            .group_by(col(ThreadMessage.thread_id))
        ).all()
    )
    for thread in threads:
        since = thread.waiting_since or now
        family = people.get(thread.family_id, "")
        table.rows.append(
            (
                since.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                int((now - since).total_seconds() // HOUR),
                family if thread.family_id != thread.pupil_id else T("web.threads.the_pupil"),
                people.get(thread.pupil_id, ""),
                classes.get(thread.pupil_id, ""),
                people.get(thread.staff_id, ""),
                T(f"web.topic.{thread.topic}"),
                counts.get(thread.id, 0),
            )
        )
        table.pupils.append(thread.pupil_id)
    return table
