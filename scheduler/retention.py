"""Retention: what the consent text promises (`consent.request`: kept RETENTION_DAYS, a school year
and the time to sum it up, then deleted), done each night.

* homework submissions and their photos older than RETENTION_DAYS, with their feedback (grades)
  and the tutor's PDFs of them; a Kazpost item keeps its row but loses the link;
* attendance of lessons older than that;
* messages (the outbox's rows, which carry names and grades in their text) and their delivery
  attempts older than that, once they are done with.

A stored page file is deleted only when no remaining page names it (files are content-addressed, so
two submissions may share one). Each purge leaves one audit row with the counts, never names.
Consent decisions are kept until the family asks for erasure (/forget), as the text says.
Expired dashboard sign-in codes and sessions are deleted each night (signing in removes them too;
this catches a quiet dashboard). A family's data export (/mydata) is deleted as it is sent; one that
never went is deleted within the hour by `sweep_exports`, every ten minutes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict, astuple, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from models.clock import utcnow
from models.dashboard import purge_expired_sign_ins
from models.enums import NotificationStatus
from models.homework import Feedback, Submission, SubmissionPage
from models.journal import AuditLog
from models.outbox import DeliveryAttempt, Notification
from models.postal import PostalItem
from models.timetable import Attendance
from settings import Settings

log = logging.getLogger("ustaz.retention")

RETENTION_JOB = "retention-purge"
EXPORTS_JOB = "exports-sweep"
BATCH = 500
EXPORTS = "exports"  # the media subfolder handlers/privacy.py writes data exports to
EXPORT_LIFETIME = timedelta(minutes=50)  # with a sweep every ten minutes: gone within the hour
EXPORT_SWEEP = timedelta(minutes=10)
# A message still to be sent is never purged, however old.
DONE = (
    NotificationStatus.SENT.value,
    NotificationStatus.FAILED.value,
    NotificationStatus.CANCELLED.value,
    NotificationStatus.NO_CHANNEL.value,
)


@dataclass(frozen=True)
class Purged:
    submissions: int
    pages: int
    files: int
    attendance: int = 0
    messages: int = 0


def purge(engine: Engine, settings: Settings, now: datetime | None = None) -> Purged:
    """Delete what is older than `now - RETENTION_DAYS`: submissions with their pages, feedback and
    files, attendance, and messages done with."""
    moment = now or utcnow()
    sweep_exports(settings, moment)
    with Session(engine) as session, session.begin():
        purge_expired_sign_ins(session, moment)
    cutoff = moment - timedelta(days=settings.retention_days)
    attendance, messages = _purge_records(engine, cutoff)
    work = _purge_work(engine, settings.media_dir, cutoff)
    purged = Purged(work.submissions, work.pages, work.files, attendance, messages)
    if purged != Purged(0, 0, 0):
        with Session(engine) as session, session.begin():
            session.add(
                AuditLog(
                    action="retention.purged",
                    entity="submission",
                    detail={"before": cutoff.isoformat(timespec="seconds")} | asdict(purged),
                )
            )
        log.info(
            "retention: %d submissions, %d pages, %d files, %d attendance marks, %d messages purged",
            *astuple(purged),
        )
    return purged


def _purge_records(engine: Engine, cutoff: datetime) -> tuple[int, int]:
    """Attendance of lessons before `cutoff`, and messages made before it and done with."""
    with Session(engine) as session, session.begin():
        connection = session.connection()
        attendance = connection.execute(
            delete(Attendance).where(col(Attendance.on_date) < cutoff.date())
        ).rowcount
        old = select(Notification.id).where(
            col(Notification.created_at) < cutoff, col(Notification.status).in_(DONE)
        )
        connection.execute(delete(DeliveryAttempt).where(col(DeliveryAttempt.notification_id).in_(old)))
        messages = connection.execute(
            delete(Notification).where(
                col(Notification.created_at) < cutoff, col(Notification.status).in_(DONE)
            )
        ).rowcount
    return attendance, messages


def _purge_work(engine: Engine, media_dir: Path, cutoff: datetime) -> Purged:
    """Submissions before `cutoff` with their pages, feedback, photo files and the tutor's PDFs."""
    submissions = pages = 0
    paths: set[str] = set()
    purged_ids: list[int] = []
    with Session(engine) as session, session.begin():
        while ids := list(
            session.exec(
                select(Submission.id).where(col(Submission.submitted_at) < cutoff).limit(BATCH)
            ).all()
        ):
            paths.update(
                session.exec(
                    select(SubmissionPage.path).where(col(SubmissionPage.submission_id).in_(ids))
                ).all()
            )
            pages += (
                session.connection()
                .execute(delete(SubmissionPage).where(col(SubmissionPage.submission_id).in_(ids)))
                .rowcount
            )
            session.execute(delete(Feedback).where(col(Feedback.submission_id).in_(ids)))
            session.execute(
                update(PostalItem).where(col(PostalItem.submission_id).in_(ids)).values(submission_id=None)
            )
            session.execute(delete(Submission).where(col(Submission.id).in_(ids)))
            submissions += len(ids)
            purged_ids.extend(i for i in ids if i is not None)
        if not submissions:
            return Purged(0, 0, 0)
        still_named = set(
            session.exec(select(SubmissionPage.path).where(col(SubmissionPage.path).in_(paths))).all()
        )
        doomed = sorted(paths - still_named)
    files = sum(1 for name in doomed if _unlink(Path(name)))
    for submission_id in purged_ids:
        for pdf in (media_dir / "pdf").glob(f"submission-{submission_id}-*.pdf"):
            _unlink(pdf)
    return Purged(submissions, pages, files)


def sweep_exports(settings: Settings, now: datetime | None = None) -> int:
    """Delete data exports that were never sent (a sent one is gone already); returns how many."""
    folder = settings.media_dir / EXPORTS
    if not folder.is_dir():
        return 0
    before = ((now or utcnow()) - EXPORT_LIFETIME).timestamp()
    old = [path for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < before]
    return sum(1 for path in old if _unlink(path))


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def add_job(
    scheduler: AsyncIOScheduler,
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
    leading: Callable[[], bool] = lambda: True,
) -> None:
    """Purge every night at 03:30 local time (only while this process leads); sweep unsent data
    exports every ten minutes."""

    async def nightly() -> None:
        if not leading():
            return
        try:
            await asyncio.to_thread(purge, engine, settings, clock())
        except Exception:
            log.exception("retention: purge failed")

    async def exports() -> None:
        try:
            await asyncio.to_thread(sweep_exports, settings, clock())
        except OSError:
            log.exception("retention: data exports not swept")

    scheduler.add_job(
        nightly,
        CronTrigger(hour=3, minute=30, timezone=settings.tz_name),
        id=RETENTION_JOB,
        replace_existing=True,
    )
    scheduler.add_job(
        exports,
        IntervalTrigger(seconds=int(EXPORT_SWEEP.total_seconds()), timezone=settings.tz_name),
        id=EXPORTS_JOB,
        replace_existing=True,
    )
