"""The coordinator's `ustaz` subcommands for the plan:

    ustaz postal set --class 8А [--school SH2] --teacher T-01 --anchor 2025-03-05 [--interval 14]
                     [--point "…"]
    ustaz lesson cancel --group ALG-1 --date 2025-03-03 [--time 15:00] [--by C-01]
    ustaz lesson move --group ALG-1 --date 2025-03-03 [--time 15:00] --to "2025-03-04 16:00" [--link URL]

Dates and times are local (the settings' time zone). The running scheduler picks the change up
within a minute.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import Any

from models.migrate import upgrade
from models.store import make_engine, session_scope
from scheduler.coordinator import Refused, change_lesson, set_postal_schedule
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

    lesson = commands.add_parser("lesson", help="move or cancel one lesson").add_subparsers(
        dest="lesson_command", required=True
    )
    for name, helptext in (("cancel", "cancel one occurrence"), ("move", "move one occurrence")):
        sub = lesson.add_parser(name, help=helptext)
        sub.add_argument("--group", required=True)
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
        sub.set_defaults(func=_lesson_change, cancel=name == "cancel")


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


def _apply(args: argparse.Namespace, change: Any) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    upgrade(engine)
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
