"""Pages that look like another pupil's page of the same homework, for the tutor's review card.

The photo pipeline keeps each page's perceptual hash (`photos.likeness`); here a submission's pages
are compared with the pages other pupils handed in for the same homework (any version, reviewed or
not), so a copy is found whichever of the two was sent first, and a re-photographed copy as well as
a forwarded file. The card names the other pupil and their page, for the tutor to judge: a shared
worksheet photographed twice is not always copying. Only the tutor sees it; pupils and families are
never told.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.types import Reply
from locales import Lines, T
from models.homework import Submission, SubmissionPage
from models.people import Person
from photos.likeness import same_sheet


@dataclass(frozen=True)
class LookAlike:
    page: int  # the page's number in the submission under review
    pupil: str  # the other pupil's name
    their_page: int


def look_alikes(session: Session, submission: Submission, pages: list[SubmissionPage]) -> list[LookAlike]:
    """Each page of `pages` (the submission's) that looks like another pupil's page, with theirs."""
    hashed = [page for page in pages if page.likeness]
    if not hashed:
        return []
    others = session.exec(
        select(SubmissionPage.number, SubmissionPage.likeness, Person.full_name)
        .join(Submission, col(Submission.id) == SubmissionPage.submission_id)
        .join(Person, col(Person.id) == Submission.pupil_id)
        .where(
            Submission.homework_id == submission.homework_id,
            Submission.pupil_id != submission.pupil_id,
            col(SubmissionPage.likeness).is_not(None),
        )
        .order_by(col(Person.full_name), col(SubmissionPage.number))
    ).all()
    found: list[LookAlike] = []
    for page in hashed:
        for number, likeness, name in others:
            if likeness and page.likeness and same_sheet(page.likeness, likeness):
                found.append(LookAlike(page.number, name, number))
    return found


def warning(found: list[LookAlike]) -> Reply | None:
    """The card's note for the tutor, or None when no page looks like another pupil's."""
    if not found:
        return None
    lines = tuple(T("copies.line", page=a.page, pupil=a.pupil, their_page=a.their_page) for a in found)
    return Reply(T("copies.warning", lines=Lines(lines)))
