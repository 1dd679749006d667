"""What a family on post gets on paper at a Kazpost collection: a pack per pupil.

A pack holds what reached the family by no other channel since the class's previous round: the
homework the pupil's groups were set (task, deadline, how it is graded, the day to hand it in at a
collection), the material their tutors posted to the groups, the work returned for redo and the
grades given, each subject's quarter mark so far (as the round opens, in the quarter of the school's
calendar; none in the summer) — each line as the family's own record reads it (`record.lines`, the
same words as /homework, /grades and the weekly digest) — and the announcements no channel could
carry (the rows the outbox ended as `no_channel`). The window runs from the opening of the class's
previous round (the first round: one interval back) to the opening of this one, so each thing goes
in exactly one pack.

`round_packs` builds them when a round opens (`scheduler.postal`); `postal_pack_pdf` prints them,
one page or more per pupil with a return address label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from assessment.texts import lines_so_far
from locales import Text, subject_name
from models.enums import NotificationStatus
from models.homework import Homework
from models.outbox import Broadcast, Notification
from models.people import Person
from models.postal import PostalRound, PostalSchedule
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from outbox.write import stored_text
from record import lines
from record.work import State, grades, works

# The messages worth a sheet of paper: announcements. Reminders and lesson links are of a moment
# that has passed by the collection; a new homework's notice is the pack's task itself, and a
# tutor's comments and grades are the pack's record lines (so a corrected grade prints as corrected).
PAPER_KINDS = ("broadcast",)


class Family(Protocol):
    """A pupil on post, their guardians and the address the post goes to (`scheduler.postal`'s)."""

    @property
    def pupil(self) -> Person: ...

    @property
    def guardians(self) -> list[Person]: ...

    @property
    def address(self) -> str: ...


@dataclass(frozen=True)
class Task:
    subject: Text | str
    text: str
    due: datetime  # in the school's time zone
    hand_in_on: date  # the collection the work goes back with
    kind: str
    label: str | None
    max_points: int | None
    scored: bool
    attachment: str | None


@dataclass(frozen=True)
class Material:
    subject: Text | str
    text: str
    posted: date
    attachment: str | None


@dataclass(frozen=True)
class Message:
    on: date
    text: Text


@dataclass(frozen=True)
class Pack:
    pupil_id: int
    pupil: str
    address: str
    locale: str  # the family's: the first guardian's, else the pupil's
    tasks: list[Task] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    returned: list[Text] = field(default_factory=list)  # work returned for redo, as /homework reads it
    grades: list[Text] = field(default_factory=list)  # grades given, as /grades reads them
    quarter: list[Text] = field(default_factory=list)  # the quarter marks so far, as /grades opens
    messages: list[Message] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tasks or self.materials or self.returned or self.grades or self.messages)


def window(session: Session, round_: PostalRound, schedule: PostalSchedule) -> tuple[datetime, datetime]:
    """[since, until): from the opening of the class's previous round to this one's."""
    previous = session.exec(
        select(PostalRound.created_at)
        .where(
            PostalRound.class_id == round_.class_id, col(PostalRound.collection_date) < round_.collection_date
        )
        .order_by(col(PostalRound.collection_date).desc())
    ).first()
    return previous or round_.created_at - timedelta(days=schedule.interval_days), round_.created_at


def round_packs(
    session: Session,
    round_: PostalRound,
    schedule: PostalSchedule,
    families: Sequence[Family],
    zone: ZoneInfo,
) -> list[Pack]:
    """A pack for each family on post of the round's class, in the order of the collection list."""
    since, until = window(session, round_, schedule)
    return [
        _pack(session, family, schedule, round_.collection_date, since, until, zone) for family in families
    ]


def _pack(
    session: Session,
    family: Family,
    schedule: PostalSchedule,
    day: date,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
) -> Pack:
    pupil_id = stored_id(family.pupil)
    groups = {
        g.id: g
        for g in session.exec(
            select(TutoringGroup)
            .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
            .where(GroupMember.pupil_id == pupil_id)
        ).all()
    }
    homework = session.exec(
        select(Homework)
        .where(col(Homework.group_id).in_(list(groups)))
        .where(col(Homework.created_at) >= since, col(Homework.created_at) < until)
        .order_by(col(Homework.due_at), col(Homework.id))
    ).all()
    posts = session.exec(
        select(Broadcast)
        .where(col(Broadcast.group_id).in_(list(groups)), col(Broadcast.class_id).is_(None))
        .where(col(Broadcast.cancelled_at).is_(None))
        .where(col(Broadcast.created_at) >= since, col(Broadcast.created_at) < until)
        .order_by(col(Broadcast.created_at), col(Broadcast.id))
    ).all()
    after = day + timedelta(days=1)
    return Pack(
        pupil_id=pupil_id,
        pupil=family.pupil.full_name,
        address=family.address,
        locale=(family.guardians[0] if family.guardians else family.pupil).locale,
        tasks=[
            Task(
                subject=subject_name(groups[h.group_id].subject),
                text=h.text,
                due=h.due_at.astimezone(zone),
                hand_in_on=schedule.collection_on_or_after(max(h.due_at.astimezone(zone).date(), after)),
                kind=h.kind,
                label=h.label,
                max_points=h.max_points,
                scored=h.scored,
                attachment=h.attachment_path,
            )
            for h in homework
        ],
        materials=[
            Material(
                subject=subject_name(groups[p.group_id].subject) if p.group_id in groups else "",
                text=p.text,
                posted=p.created_at.astimezone(zone).date(),
                attachment=p.attachment_path,
            )
            for p in posts
        ],
        returned=_returned(session, pupil_id, since, until, zone),
        grades=[lines.grade(item, zone) for item in grades(session, [pupil_id], since=since, until=until)],
        quarter=lines_so_far(session, [pupil_id], until, zone).get(pupil_id, []),
        messages=_unreached(session, family, {p.id for p in posts}, since, until, zone),
    )


def _returned(
    session: Session, pupil_id: int, since: datetime, until: datetime, zone: ZoneInfo
) -> list[Text]:
    """Work the tutor returned for redo within the window, still waiting for the pupil's new pages."""
    found = works(session, [pupil_id], until).get(pupil_id, [])
    return [
        lines.work(item, zone)
        for item in found
        if item.state == State.REDO
        and item.feedback is not None
        and since <= item.feedback.created_at < until
    ]


def _unreached(
    session: Session, family: Family, posts: set[int | None], since: datetime, until: datetime, zone: ZoneInfo
) -> list[Message]:
    """The family's messages no channel carried, once each (a parent and the pupil may both have been
    sent one announcement), leaving out the group posts already in the pack as material."""
    people = [stored_id(p) for p in (family.pupil, *family.guardians)]
    rows = session.exec(
        select(Notification)
        .where(
            col(Notification.person_id).in_(people),
            Notification.status == NotificationStatus.NO_CHANNEL.value,
            col(Notification.kind).in_(PAPER_KINDS),
            col(Notification.created_at) >= since,
            col(Notification.created_at) < until,
        )
        .order_by(col(Notification.created_at), col(Notification.id))
    ).all()
    seen: set[str] = set()
    messages = []
    for row in rows:
        once = repr((row.key, sorted(row.params.items()), row.broadcast_id))
        if row.broadcast_id in posts or once in seen:
            continue
        seen.add(once)
        messages.append(Message(row.created_at.astimezone(zone).date(), stored_text(row)))
    return messages
