"""The coordinator's `ustaz` subcommands for the plan:

    ustaz postal set --class 8А [--school SH2] --teacher T-01 --anchor 2025-03-05 [--interval 14]
                     [--point "…"]
    ustaz lesson cancel --group ALG-1 --date 2025-03-03 [--time 15:00] [--by C-01]
    ustaz lesson cancel (--group ALG-1 | --school SH2) --date 2025-03-03 --until 2025-03-07
                        [--reason "карантин"] [--by C-01]
    ustaz lesson move --group ALG-1 --date 2025-03-03 [--time 15:00] --to "2025-03-04 16:00" [--link URL]
    ustaz substitute set --group ALG-1 --tutor T-03 --from 2025-03-03 --until 2025-03-07 [--by C-01]
    ustaz substitute end --group ALG-1

Dates and times are local (the settings' time zone). The running scheduler picks the change up
within a minute.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session, col, select

from locales import T, Text, translate
from models.migrate import ready_store
from models.people import Person
from models.school import School, TutoringGroup
from models.store import session_scope
from models.substitutes import Substitution
from scheduler.coordinator import Refused, change_lesson, set_postal_schedule
from scheduler.lesson_ranges import cancel_range
from scheduler.substitutes import assign_substitute, end_substitution
from settings import get_settings

LANGUAGES = ["kk", "ru", "en"]


def add_commands(commands: Any) -> None:
    """Register `postal` and `lesson` on the `ustaz` parser's subcommands."""
    postal = commands.add_parser("postal", help="Kazpost rounds of a class").add_subparsers(
        dest="postal_command", required=True
    )
    setting = postal.add_parser("set", help="set a class's collection day and responsible teacher")
    setting.add_argument("--class", dest="class_name", required=True)
    setting.add_argument("--school", help="school code (when class names repeat)")
    setting.add_argument("--teacher", required=True, help="the responsible teacher's roster id")
    setting.add_argument(
        "--anchor", required=True, type=date.fromisoformat, help="a collection day, YYYY-MM-DD"
    )
    setting.add_argument("--interval", type=int, help="days between collections (default: the setting)")
    setting.add_argument("--point", help="where the work is handed over")
    setting.add_argument("--lang", choices=LANGUAGES)
    setting.set_defaults(func=_postal_set)

    lesson = commands.add_parser("lesson", help="move or cancel lessons").add_subparsers(
        dest="lesson_command", required=True
    )
    for name, helptext in (
        ("cancel", "cancel one occurrence or a range of dates"),
        ("move", "move one occurrence"),
    ):
        sub = lesson.add_parser(name, help=helptext)
        sub.add_argument("--group", required=name == "move")
        sub.add_argument(
            "--date", required=True, type=date.fromisoformat, help="the lesson's day, YYYY-MM-DD"
        )
        sub.add_argument(
            "--time", type=time.fromisoformat, help="its start (when the group has two that day)"
        )
        sub.add_argument("--by", help="the coordinator's roster id")
        sub.add_argument("--lang", choices=LANGUAGES)
        if name == "move":
            sub.add_argument("--to", required=True, type=datetime.fromisoformat, help="YYYY-MM-DD HH:MM")
            sub.add_argument("--link", help="a new link for the moved lesson")
        else:
            sub.add_argument(
                "--until", type=date.fromisoformat, help="cancel every lesson from --date to this day"
            )
            sub.add_argument("--school", help="with --until: every group of this school (its code)")
            sub.add_argument("--reason", default="", help="with --until: why, told to the families")
        sub.set_defaults(func=_lesson_change, cancel=name == "cancel")

    substitute = commands.add_parser("substitute", help="a substitute tutor for a group").add_subparsers(
        dest="substitute_command", required=True
    )
    naming = substitute.add_parser("set", help="name a substitute for a range of dates")
    naming.add_argument("--group", required=True)
    naming.add_argument("--tutor", required=True, help="the substitute's roster id (a tutor)")
    naming.add_argument("--from", dest="first", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    naming.add_argument("--until", dest="last", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    naming.add_argument("--by", help="the coordinator's roster id")
    naming.add_argument("--lang", choices=LANGUAGES)
    naming.set_defaults(func=_substitute_set)
    ending = substitute.add_parser("end", help="end the group's substitution now")
    ending.add_argument("--group", required=True)
    ending.add_argument("--lang", choices=LANGUAGES)
    ending.set_defaults(func=_substitute_end)


def _postal_set(args: argparse.Namespace) -> int:
    settings = get_settings()
    return _apply(
        args,
        lambda session: set_postal_schedule(
            session,
            class_name=args.class_name,
            school=args.school,
            teacher=args.teacher,
            anchor=args.anchor,
            interval_days=args.interval or settings.postal_interval_days,
            point=args.point,
            today=datetime.now(settings.zone).date(),
        ),
    )


def _lesson_change(args: argparse.Namespace) -> int:
    if args.cancel and args.until is not None:
        return _apply(args, lambda session: _cancel_range(session, args))
    if args.group is None or getattr(args, "school", None) is not None:
        print(translate(args.lang or get_settings().default_locale, "calendar.cli.group_or_school"))
        return 2
    settings = get_settings()
    return _apply(
        args,
        lambda session: change_lesson(
            session,
            group=args.group,
            on_date=args.date,
            at=args.time,
            zone=settings.zone,
            cancelled=args.cancel,
            moved_to=None if args.cancel else args.to,
            link=None if args.cancel else args.link,
            by=args.by,
        ),
    )


def _cancel_range(session: Session, args: argparse.Namespace) -> Text:
    if (args.group is None) == (args.school is None):
        raise Refused(T("calendar.cli.group_or_school"))
    if args.group is not None:
        groups = list(session.exec(select(TutoringGroup).where(TutoringGroup.code == args.group)).all())
        if not groups:
            raise Refused(T("notify.cli.unknown_group", group=args.group))
    else:
        school = session.exec(select(School).where(School.code == args.school)).first()
        if school is None:
            raise Refused(T("calendar.cli.unknown_school", school=args.school))
        groups = list(
            session.exec(
                select(TutoringGroup)
                .where(TutoringGroup.school_id == school.id)
                .order_by(col(TutoringGroup.code))
            ).all()
        )
    settings = get_settings()
    return cancel_range(
        session,
        groups,
        args.date,
        args.until,
        today=datetime.now(settings.zone).date(),
        reason=args.reason,
        by=_person_id(session, args.by),
    )


def _person_id(session: Session, external_id: str | None) -> int | None:
    if not external_id:
        return None
    return session.exec(select(Person.id).where(Person.external_id == external_id)).first()


def _group(session: Session, code: str) -> TutoringGroup:
    group = session.exec(select(TutoringGroup).where(TutoringGroup.code == code)).first()
    if group is None:
        raise Refused(T("notify.cli.unknown_group", group=code))
    return group


def _substitute_set(args: argparse.Namespace) -> int:
    def name(session: Session) -> Text:
        group = _group(session, args.group)
        substitute = session.exec(select(Person).where(Person.external_id == args.tutor)).first()
        if substitute is None:
            raise Refused(T("postal.cli.unknown_person", person=args.tutor))
        return assign_substitute(
            session,
            group,
            substitute,
            args.first,
            args.last,
            today=datetime.now(get_settings().zone).date(),
            by=_person_id(session, args.by),
        )

    return _apply(args, name)


def _substitute_end(args: argparse.Namespace) -> int:
    def end(session: Session) -> Text:
        group = _group(session, args.group)
        row = session.exec(
            select(Substitution)
            .where(Substitution.group_id == group.id, col(Substitution.ended_at).is_(None))
            .order_by(col(Substitution.starts))
        ).first()
        if row is None:
            raise Refused(T("substitute.refused.not_active"))
        return end_substitution(session, row)

    return _apply(args, end)


def _apply(args: argparse.Namespace, change: Any) -> int:
    settings = get_settings()
    engine = ready_store(settings.data_dir, settings.db_url)
    language = args.lang or settings.default_locale
    try:
        with session_scope(engine) as session:
            text = change(session)
    except Refused as refused:
        print(refused.text.render(language))
        return 1
    finally:
        engine.dispose()
    print(text.render(language))
    return 0
