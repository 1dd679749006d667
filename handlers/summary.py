"""The week so far, when a parent asks for it (ШОЛУ / СВОДКА / SUMMARY, /digest, the menu's «The
week so far»): for each child, the same as the weekly digest would say if it came now — lessons
attended and missed, work handed in and missing, new grades, the quarter marks so far, and the
lessons and deadlines of the next seven days — from the last digest's moment (Sunday 19:00 by
default) until now (`record.week`, which the digest reads too). The digest's settings
(`handlers.family_news`) are one choice away, under the summary. A child without consent is named,
with nothing about them."""

from __future__ import annotations

from handlers import family_news
from handlers.context import Turn
from handlers.family import children_of
from handlers.types import Choice, Reply
from locales import T, Text
from models.consent_rules import with_consent
from record import week as weeks

PREFIX = "sum:"
SHOW = f"{PREFIX}show"


def show(turn: Turn) -> list[Reply]:
    children = children_of(turn.session, turn.person_id())
    if not children:
        return [Reply(T("record.no_children"))]
    zone, config = turn.config.time_zone, turn.config
    start = weeks.week_start(turn.now, zone, config.digest_weekday, config.digest_time)
    consented = with_consent(turn.session, {child.id for child in children if child.id is not None})
    week = weeks.read(turn.session, consented, start, turn.now, zone)
    blocks: list[Text] = []
    for child in children:
        if child.id in consented:
            block = weeks.child(week, child.id or 0, child.full_name, zone, weeks.SO_FAR)
        else:
            block = T("digest.child", pupil=child.full_name, sections=T("summary.no_consent"))
        blocks.append(block or T("summary.quiet"))
    first, last = weeks.days_of(start, turn.now, zone)
    settings = Choice(family_news.ASK, T("summary.settings"))
    return [Reply(weeks.family_text(weeks.SO_FAR, first, last, blocks), choices=(settings,))]
