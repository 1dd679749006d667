"""A pupil's submission and its pages: the one waiting for review, and the one rule for adding pages,
whether a pupil sends photos or a teacher scans paper work that came by post."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from handlers.context import Turn
from models.enums import SubmissionStatus
from models.homework import Submission, SubmissionPage
from photos.pipeline import StoredPhoto

# A pupil's photo runs these on every page: built once, with the values bound per turn.
_SUBMITTED = (
    select(Submission)
    .where(
        Submission.homework_id == bindparam("homework"),
        Submission.pupil_id == bindparam("pupil"),
        Submission.status == SubmissionStatus.SUBMITTED,
    )
    .order_by(col(Submission.id).desc())
)
_PAGES = select(SubmissionPage.number, SubmissionPage.sha256).where(
    SubmissionPage.submission_id == bindparam("submission")
)


def current_submission(turn: Turn, homework_id: int, pupil_id: int) -> Submission | None:
    """The pupil's submission of this homework that waits for review, if any."""
    return turn.session.exec(_SUBMITTED, params={"homework": homework_id, "pupil": pupil_id}).first()


def add_pages(session: Session, submission_id: int, photos: list[StoredPhoto]) -> int:
    """Number the photos on after the submission's pages and keep them; the number of pages now.

    The same page sent twice (a double tap, a forwarded copy, a sheet scanned again) is kept once:
    a photo whose hash the submission already holds, or one repeated among `photos`, is dropped.
    """
    kept = session.exec(_PAGES, params={"submission": submission_id}).all()
    number = max((page_number for page_number, _ in kept), default=0)
    seen = {sha256 for _, sha256 in kept}
    for photo in photos:
        if photo.sha256 in seen:
            continue
        seen.add(photo.sha256)
        number += 1
        session.add(
            SubmissionPage(
                submission_id=submission_id,
                number=number,
                path=str(photo.path),
                sha256=photo.sha256,
                size=photo.size,
                width=photo.width,
                height=photo.height,
            )
        )
    return number


def photo_json(photo: StoredPhoto) -> dict[str, Any]:
    """A stored page as JSON, to wait in the conversation state for the pupil's answer."""
    return {
        "path": str(photo.path),
        "sha256": photo.sha256,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "unreadable": photo.unreadable,
    }


def photo_from_json(item: dict[str, Any]) -> StoredPhoto:
    return StoredPhoto(
        path=Path(str(item["path"])),
        sha256=str(item["sha256"]),
        size=int(item["size"]),
        width=int(item["width"]),
        height=int(item["height"]),
        unreadable=item.get("unreadable"),
    )
