"""Retention: homework submissions and their photos older than RETENTION_DAYS (a school year and a
margin) are purged each night, with their feedback; a Kazpost item keeps its row but loses the link.

A stored page file is deleted only when no remaining page names it (files are content-addressed, so
two submissions may share one). Each purge leaves one audit row with the counts, never names.
A family's data export (/mydata) is removed once it is a day old, and expired dashboard sign-in
codes and sessions are deleted (signing in removes them too; this catches a quiet dashboard).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from models.clock import utcnow
from models.dashboard import purge_expired_sign_ins
from models.homework import Feedback, Submission, SubmissionPage
from models.journal import AuditLog
from models.postal import PostalItem
from settings import Settings

log = logging.getLogger("ustaz.retention")

RETENTION_JOB = "retention-purge"
BATCH = 500
EXPORTS = "exports"  # the media subfolder handlers/privacy.py writes data exports to
EXPORT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Purged:
    submissions: int
    pages: int
    files: int


def purge(engine: Engine, settings: Settings, now: datetime | None = None) -> Purged:
    """Delete submissions made before `now - RETENTION_DAYS`, their pages, feedback and files."""
    moment = now or utcnow()
    _remove_old_exports(settings.media_dir / EXPORTS, moment - EXPORT_LIFETIME)
    with Session(engine) as session, session.begin():
        purge_expired_sign_ins(session, moment)
    cutoff = moment - timedelta(days=settings.retention_days)
    submissions = pages = 0
    paths: set[str] = set()
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
        if not submissions:
            return Purged(0, 0, 0)
        still_named = set(
            session.exec(select(SubmissionPage.path).where(col(SubmissionPage.path).in_(paths))).all()
        )
        doomed = sorted(paths - still_named)
        session.add(
            AuditLog(
                action="retention.purged",
                entity="submission",
                detail={
                    "before": cutoff.isoformat(timespec="seconds"),
                    "submissions": submissions,
                    "pages": pages,
                    "files": len(doomed),
                },
            )
        )
    files = sum(1 for name in doomed if _unlink(Path(name)))
    log.info("retention: %d submissions, %d pages, %d files purged", submissions, pages, files)
    return Purged(submissions, pages, files)


def _remove_old_exports(folder: Path, before: datetime) -> None:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < before.timestamp():
            _unlink(path)


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
    """Purge every night at 03:30 local time (only while this process leads)."""

    async def nightly() -> None:
        if not leading():
            return
        try:
            await asyncio.to_thread(purge, engine, settings, clock())
        except Exception:
            log.exception("retention: purge failed")

    scheduler.add_job(
        nightly,
        CronTrigger(hour=3, minute=30, timezone=settings.tz_name),
        id=RETENTION_JOB,
        replace_existing=True,
    )
