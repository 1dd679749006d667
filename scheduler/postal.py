"""Kazpost rounds: paper work of families without internet, collected every N days per class.

Each class with a `PostalSchedule` has a collection day every `interval_days` (default 14, the
programme's "at least once every two weeks") from its anchor date. One that falls on a Sunday or a
day off of the school's calendar (`schoolyear`) moves to the next working day, and the notices say
so. `notice_days` before the (moved) day (default 2, at `notice_time` local), `derive_rounds` opens
the round once:

* the round's items: for each pupil of the class whose family is "by post" (a `post` channel
  identity or the roster's by-post mark in the family, or no other channel at all), the items
  marked missing in an earlier round and not yet carried (`carried_from_id`), then each homework
  of the pupil's groups due by the collection day, not submitted and not yet in a round; a pupil
  with none gets one item for paper work in general;
* the notice to each family (the guardians, else the pupil): what to prepare, the date and the
  point, through any channel the family has — SMS included (`postal.` kinds skip the `post`
  identity in routing instead of ending there);
* the collection list to the responsible teacher: a message, a printable PDF and an XLSX;
* the paper packs (`scheduler.postal_packs`): what each family on post was sent since the previous
  round and no channel carried — homework, the tutors' material, comments and grades — as one
  printable PDF with a return address label per pupil, to the responsible teacher and the class
  teacher, who hand them out at the collection.

Keys: `postal:{round_id}:notice:{person_id}:`, `postal:{round_id}:list:{teacher_id}:{part}:`,
`postal:{round_id}:packs:{person_id}:`.
A round is opened once (unique per class and day), so a re-derivation after a restart writes
nothing new. Marking items received or missing is `scheduler.postal_marks`, from the teacher's
/post (`handlers.postal`) or the dashboard's delivery page (`bots.web.postal_marks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import N, T, Text, subject_name, translate
from locales.collation import sort_key
from locales.shorten import shorten
from models.clock import to_utc, utcnow
from models.enums import Channel, PostalItemStatus, Role
from models.homework import Homework, Submission
from models.outbox import Notification
from models.people import ChannelIdentity, Guardianship, Membership, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import GroupMember, School, SchoolClass, TutoringGroup
from models.store import stored_id
from outbox.write import enqueue
from scheduler.postal_pack_pdf import Round, packs_pdf
from scheduler.postal_packs import Pack, round_packs
from scheduler.postal_sheets import Sheet, pdf_bytes, xlsx_bytes
from schoolyear import Calendars, Shift, class_grades, moved_date
from settings import Settings

TITLE_CHARS = 60


@dataclass(frozen=True)
class PostalOptions:
    """The school's time zone, the notice's lead and the lists' folder come from the settings
    (`from_settings`); the notice goes at `notice_time` local time."""

    zone: ZoneInfo
    notice_days: int
    out_dir: Path
    notice_time: time = time(10, 0)

    @classmethod
    def from_settings(cls, settings: Settings) -> PostalOptions:
        return cls(
            zone=settings.zone,
            notice_days=settings.postal_notice_days,
            out_dir=settings.data_dir / "postal",
        )


@dataclass(frozen=True)
class Family:
    pupil: Person
    guardians: list[Person]
    address: str


def derive_rounds(
    session: Session, options: PostalOptions, now: datetime | None = None, calendars: Calendars | None = None
) -> int:
    """Open every round whose notice time has come; returns the notifications written."""
    moment = now or utcnow()
    calendars = calendars or Calendars(session)
    today = moment.astimezone(options.zone).date()
    written = 0
    for schedule in session.exec(select(PostalSchedule).order_by(col(PostalSchedule.id))).all():
        school_class = session.get(SchoolClass, schedule.class_id)
        calendar = calendars.of(school_class.school_id if school_class is not None else None)
        grades = class_grades(session, schedule.class_id)
        # The collection day before today's may have moved past today (a holiday week): look at both.
        planned = dict.fromkeys(
            schedule.collection_on_or_after(day)
            for day in (today - timedelta(days=schedule.interval_days), today)
        )
        for nominal in planned:
            day = calendar.next_working_day(nominal, grades)
            opens = to_utc(
                datetime.combine(day - timedelta(days=options.notice_days), options.notice_time), options.zone
            )
            if day < today or moment < opens:
                continue
            if _round_exists(session, schedule.class_id, day) or _round_exists(
                session, schedule.class_id, nominal
            ):
                continue
            shift = calendar.shift(nominal, grades)
            written += open_round(session, schedule, day, moment, options, shift)
    return written


def _round_exists(session: Session, class_id: int, day: date) -> bool:
    found = session.exec(
        select(PostalRound.id).where(PostalRound.class_id == class_id, PostalRound.collection_date == day)
    ).first()
    return found is not None


def open_round(
    session: Session,
    schedule: PostalSchedule,
    day: date,
    now: datetime,
    opts: PostalOptions,
    shift: Shift | None = None,
) -> int:
    """Create the round, its items, the families' notices and the teacher's list; `shift` says the
    day was moved off a Sunday or a holiday, and the messages say so."""
    round_ = PostalRound(
        class_id=schedule.class_id, teacher_id=schedule.teacher_id, collection_date=day, created_at=now
    )
    session.add(round_)
    session.flush()
    families = by_post_families(session, schedule.class_id)
    for family in families:
        _fill(session, round_, family, day, opts.zone)
    session.flush()
    point = _point(session, schedule)
    written = 0
    when = moved_date(day.strftime("%d.%m.%Y"), shift)
    for family in families:
        written += _notify_family(session, round_, family, point, now, when)
    written += _send_list(session, round_, families, point, now, opts, when)
    written += _send_packs(session, round_, schedule, families, point, now, opts)
    return written


# -- who is by post --------------------------------------------------------------------------------


def by_post_families(session: Session, class_id: int) -> list[Family]:
    pupils = session.exec(
        select(Person)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(Membership.class_id == class_id, Membership.role == Role.PUPIL.value)
        .order_by(col(Person.full_name), col(Person.id))
    ).all()
    families: list[Family] = []
    unique = {pupil.id: pupil for pupil in pupils}  # a pupil with two class memberships comes once
    for pupil in unique.values():
        guardians = list(
            session.exec(
                select(Person)
                .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
                .where(Guardianship.pupil_id == pupil.id)
                .order_by(col(Person.id))
            ).all()
        )
        members = [pupil, *guardians]
        identities = session.exec(
            select(ChannelIdentity).where(col(ChannelIdentity.person_id).in_([p.id for p in members]))
        ).all()
        posts = [i for i in identities if i.channel == Channel.POST]
        others = [
            i
            for i in identities
            if i.channel != Channel.POST and i.blocked_at is None and i.opted_out_at is None
        ]
        if not posts and others and not any(p.by_post for p in members):
            continue
        address = next(
            (a for a in [*(i.address for i in posts), *(p.postal_address for p in members)] if a), ""
        )
        families.append(Family(pupil, guardians, address))
    return families


def _point(session: Session, schedule: PostalSchedule) -> str:
    if schedule.point:
        return schedule.point
    school = session.exec(
        select(School)
        .join(SchoolClass, col(SchoolClass.school_id) == School.id)
        .where(SchoolClass.id == schedule.class_id)
    ).first()
    return school.postal_point if school is not None else ""


# -- items -----------------------------------------------------------------------------------------


def _fill(session: Session, round_: PostalRound, family: Family, day: date, zone: ZoneInfo) -> None:
    pupil_id, round_id = stored_id(family.pupil), stored_id(round_)
    carried = session.exec(
        select(PostalItem)
        .join(PostalRound, col(PostalRound.id) == PostalItem.round_id)
        .where(
            PostalRound.class_id == round_.class_id,
            PostalItem.pupil_id == pupil_id,
            PostalItem.status == PostalItemStatus.MISSING.value,
            col(PostalItem.round_id) != round_id,
        )
    ).all()
    already = set(
        session.exec(select(PostalItem.carried_from_id).where(PostalItem.pupil_id == pupil_id)).all()
    )
    taken: set[int | None] = set()
    for item in carried:
        if item.id in already:
            continue
        session.add(
            PostalItem(
                round_id=round_id, pupil_id=pupil_id, homework_id=item.homework_id, carried_from_id=item.id
            )
        )
        taken.add(item.homework_id)
    for homework in pending_homework(
        session, pupil_id, to_utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
    ):
        if homework.id not in taken:
            session.add(PostalItem(round_id=round_id, pupil_id=pupil_id, homework_id=homework.id))
            taken.add(homework.id)
    if not taken:
        session.add(PostalItem(round_id=round_id, pupil_id=pupil_id, homework_id=None))


def pending_homework(session: Session, pupil_id: int, due_before: datetime) -> list[Homework]:
    """Homework of the pupil's groups due before the moment, not submitted, not yet in any round."""
    submitted = select(Submission.homework_id).where(
        Submission.pupil_id == pupil_id, Submission.status != "replaced"
    )
    in_rounds = select(PostalItem.homework_id).where(
        PostalItem.pupil_id == pupil_id, col(PostalItem.homework_id).is_not(None)
    )
    return list(
        session.exec(
            select(Homework)
            .join(GroupMember, col(GroupMember.group_id) == Homework.group_id)
            .where(
                GroupMember.pupil_id == pupil_id,
                col(Homework.due_at) < due_before,
                col(Homework.id).not_in(submitted),
                col(Homework.id).not_in(in_rounds),
            )
            .order_by(col(Homework.due_at), col(Homework.id))
        ).all()
    )


def items_of(session: Session, round_id: int, pupil_id: int | None = None) -> list[PostalItem]:
    statement = select(PostalItem).where(PostalItem.round_id == round_id)
    if pupil_id is not None:
        statement = statement.where(PostalItem.pupil_id == pupil_id)
    return list(session.exec(statement.order_by(col(PostalItem.pupil_id), col(PostalItem.id))).all())


def work_title(session: Session, item: PostalItem, locale: str) -> str:
    """What the item is, in `locale`: "Subject: the homework's first words", or paper work in general."""
    if item.homework_id is None:
        return translate(locale, "postal.work.general")
    homework = session.get(Homework, item.homework_id)
    group = session.get(TutoringGroup, homework.group_id) if homework is not None else None
    if homework is None or group is None:
        return translate(locale, "postal.work.general")
    name = subject_name(group.subject)
    subject = name.render(locale) if isinstance(name, Text) else name
    return f"{subject}: {shorten(homework.text, TITLE_CHARS)}"


# -- messages --------------------------------------------------------------------------------------


def _notify_family(
    session: Session, round_: PostalRound, family: Family, point: str, now: datetime, when: Text | str
) -> int:
    round_id, pupil_id = stored_id(round_), stored_id(family.pupil)
    recipients = family.guardians or [family.pupil]
    written = 0
    for person in recipients:
        works = "; ".join(
            work_title(session, i, person.locale) for i in items_of(session, round_id, pupil_id)
        )
        row = enqueue(
            session,
            person_id=person.id,
            kind="postal.notice",
            text=T(
                "postal.notice",
                pupil=family.pupil.full_name,
                date=when,
                works=works,
                point=point or family.address,
            ),
            idempotency_key=f"postal:{round_.id}:notice:{person.id}:",
            due_at=now,
            about_pupil_id=family.pupil.id if person.id != family.pupil.id else None,
        )
        written += row is not None
    return written


def collection_sheet(session: Session, round_: PostalRound, locale: str) -> Sheet:
    """The round's collection list as rows (pupil, address, work, an empty mark column), in `locale`."""
    school_class = session.get(SchoolClass, round_.class_id)
    addresses = {f.pupil.id: f.address for f in by_post_families(session, round_.class_id)}
    rows: list[tuple[str, ...]] = []
    items = items_of(session, stored_id(round_))
    wanted = {item.pupil_id for item in items}
    pupils = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(wanted))).all()}
    names = {pupil_id: pupil.full_name for pupil_id, pupil in pupils.items()}
    items.sort(key=lambda item: sort_key(locale, names.get(item.pupil_id, "")))  # stable: works in order
    for item in items:
        pupil = pupils.get(item.pupil_id)
        work = work_title(session, item, locale)
        if item.carried_from_id is not None:
            work += " " + translate(locale, "postal.work.carried")
        address = addresses.get(item.pupil_id) or (pupil.postal_address if pupil else "")
        rows.append((pupil.full_name if pupil else "", address, work, ""))
    return Sheet(
        title=translate(
            locale,
            "postal.sheet.title",
            class_name=school_class.name if school_class else "",
            date=round_.collection_date.strftime("%d.%m.%Y"),
        ),
        headers=tuple(
            translate(locale, key)
            for key in (
                "postal.sheet.pupil",
                "postal.sheet.address",
                "postal.sheet.work",
                "postal.sheet.mark",
            )
        ),
        rows=rows,
    )


LIST_PDF, LIST_XLSX, PACKS_PDF = "list.pdf", "list.xlsx", "packs.pdf"


def round_documents(out_dir: Path, round_id: int | None, day: date) -> dict[str, Path]:
    """Where a round's documents are written when it opens, as they were sent: the collection list
    (PDF, XLSX) and the paper packs (PDF); named by the day, then the round. The dashboard offers
    them from here (`bots.web.postal_rounds`)."""
    return {
        LIST_PDF: out_dir / f"kazpost-{day.isoformat()}-round-{round_id}.pdf",
        LIST_XLSX: out_dir / f"kazpost-{day.isoformat()}-round-{round_id}.xlsx",
        PACKS_PDF: out_dir / f"kazpost-{day.isoformat()}-packs-{round_id}.pdf",
    }


def _send_list(
    session: Session,
    round_: PostalRound,
    families: list[Family],
    point: str,
    now: datetime,
    opts: PostalOptions,
    when: Text | str,
) -> int:
    teacher = session.get(Person, round_.teacher_id)
    if teacher is None:
        return 0
    prefix = f"postal:{round_.id}:list:{round_.teacher_id}:"
    exists = session.exec(
        select(Notification.id).where(Notification.idempotency_key == f"{prefix}text:")
    ).first()
    if exists is not None:
        return 0
    sheet = collection_sheet(session, round_, teacher.locale)
    lines = "\n".join(f"• {pupil} — {address}: {work}" for pupil, address, work, _mark in sheet.rows)
    school_class = session.get(SchoolClass, round_.class_id)
    common = {
        "date": round_.collection_date.strftime("%d.%m.%Y"),
        "class_name": school_class.name if school_class else "",
    }
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    files = round_documents(opts.out_dir, round_.id, round_.collection_date)
    pdf, xlsx = files[LIST_PDF], files[LIST_XLSX]
    pdf.write_bytes(pdf_bytes(sheet))
    xlsx.write_bytes(xlsx_bytes(sheet))
    parts = [
        (
            "text",
            T("postal.list", families=len(families), lines=lines, point=point, **{**common, "date": when}),
            None,
        ),
        ("pdf", T("postal.list.document", **common), str(pdf)),
        ("xlsx", T("postal.list.document", **common), str(xlsx)),
    ]
    written = 0
    for part, text, media in parts:
        row = enqueue(
            session,
            person_id=round_.teacher_id,
            kind="postal.list",
            text=text,
            idempotency_key=f"{prefix}{part}:",
            due_at=now,
            media_path=media,
        )
        written += row is not None
    return written


def _send_packs(
    session: Session,
    round_: PostalRound,
    schedule: PostalSchedule,
    families: list[Family],
    point: str,
    now: datetime,
    opts: PostalOptions,
) -> int:
    """The round's paper packs, one PDF, to the responsible teacher and the class's class teachers."""
    packs = round_packs(session, round_, schedule, families, opts.zone)
    sheet = _round_header(session, schedule, round_.collection_date, point)
    if not packs or sheet is None:
        return 0
    day = round_.collection_date
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    pdf = round_documents(opts.out_dir, round_.id, day)[PACKS_PDF]
    pdf.write_bytes(packs_pdf(packs, sheet))
    text = N(
        "postal.packs",
        "pupils",
        class_name=sheet.class_name,
        date=day.strftime("%d.%m.%Y"),
        pupils=len(packs),
        tasks=sum(len(p.tasks) for p in packs),
        grades=sum(len(p.grades) for p in packs),
        messages=sum(len(p.messages) for p in packs),
    )
    class_teachers = session.exec(
        select(Membership.person_id)
        .where(Membership.class_id == round_.class_id, Membership.role == Role.CLASS_TEACHER.value)
        .order_by(col(Membership.person_id))
    ).all()
    written = 0
    for person_id in dict.fromkeys([round_.teacher_id, *class_teachers]):
        row = enqueue(
            session,
            person_id=person_id,
            kind="postal.list",
            text=text,
            idempotency_key=f"postal:{round_.id}:packs:{person_id}:",
            due_at=now,
            media_path=str(pdf),
        )
        written += row is not None
    return written


def _round_header(session: Session, schedule: PostalSchedule, day: date, point: str) -> Round | None:
    """What each pack says of its round: the class, the school, where the work goes back, the days."""
    school_class = session.get(SchoolClass, schedule.class_id)
    school = session.get(School, school_class.school_id) if school_class is not None else None
    if school_class is None or school is None:
        return None
    return Round(
        class_name=school_class.name,
        school=school.name,
        point=point or school.postal_point,
        collection=day,
        next_collection=schedule.collection_on_or_after(day + timedelta(days=1)),
    )


def next_packs_pdf(session: Session, class_id: int, now: datetime, zone: ZoneInfo) -> bytes | None:
    """The paper packs of the class's next Kazpost round as they stand `now`, printable (the PDF the
    round sends its teachers when it opens); None when the class has no Kazpost schedule or nobody
    on post. Writes nothing."""
    schedule = session.exec(select(PostalSchedule).where(PostalSchedule.class_id == class_id)).first()
    packs = next_packs(session, class_id, now, zone)
    if schedule is None or not packs:
        return None
    day = schedule.collection_on_or_after(now.astimezone(zone).date())
    header = _round_header(session, schedule, day, _point(session, schedule))
    return packs_pdf(packs, header) if header is not None else None


def next_packs(session: Session, class_id: int, now: datetime, zone: ZoneInfo) -> list[Pack]:
    """What the class's next Kazpost round would carry on paper if it opened `now`: for the delivery
    page's "families on post" list. Writes nothing."""
    schedule = session.exec(select(PostalSchedule).where(PostalSchedule.class_id == class_id)).first()
    if schedule is None:
        return []
    day = schedule.collection_on_or_after(now.astimezone(zone).date())
    preview = PostalRound(
        class_id=class_id, teacher_id=schedule.teacher_id, collection_date=day, created_at=now
    )
    return round_packs(session, preview, schedule, by_post_families(session, class_id), zone)
