"""A pupil's or parent's question about a day's lessons — «бүгін қандай сабақ бар?», «какие завтра
занятия?», "what lessons today?" — answered with that day's lessons (their times and links, a
cancelled one marked: `handlers.own_record.lessons`, as /timetable shows them), not sent to a
teacher as a message.

A question is recognised by its words (`DAYS`, `LESSON_STEMS`, `ASKING`, per language): it names
one day (today or tomorrow) and lessons, and every other word is one that such a question is made
of. A message with a few other words besides (`DOUBT_WORDS`: a child's name, "he is ill") may be
either: it is answered with the day's lessons too, and the message is kept, with the choice to send
it to a teacher (nothing a family writes is dropped). Anything longer is a message, as before
(`handlers.threads.write`). A parent of several children hears each child's day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from handlers import conversation
from handlers.context import Turn
from handlers.own_record import TIMETABLE_DAYS, lessons, without_consent
from handlers.threads import content, forms, people, write
from handlers.types import Choice, Reply
from locales import Lines, T, Text
from models.clock import to_local, to_utc
from models.people import Person

SEND = "dl:send:"
FLOW = "dl_kept"
MAX_CHARS = 160  # a longer message is a message
DOUBT_WORDS = 2
# The day a word names: 0 today, 1 tomorrow.
DAYS: dict[str, int] = {
    "бүгін": 0, "бүгінгі": 0, "бугин": 0, "бүгiн": 0,
    "сегодня": 0, "сегодняшние": 0, "сегодняшний": 0, "седня": 0,
    "today": 0, "todays": 0, "tonight": 0,
    "ертең": 1, "ертеңгі": 1, "ертен": 1,
    "завтра": 1, "завтрашние": 1, "завтрашний": 1,
    "tomorrow": 1, "tomorrows": 1,
}  # fmt: skip
# The beginnings of the words for lessons and the timetable.
LESSON_STEMS = (
    "сабақ", "сабағ", "сабак", "кесте",
    "урок", "занят", "расписан",
    "lesson", "class", "timetable", "schedule",
)  # fmt: skip
# The other words such a question is made of: asking, not telling.
ASKING = frozenset({
    # kk
    "қандай", "кандай", "қай", "бар", "ма", "ме", "ба", "бе", "па", "пе", "бола", "болады", "болама",
    "неше", "нешеде", "сағат", "қашан", "бізде", "менде", "маған", "бізге", "біздің", "менің", "не",
    "балада", "айтыңызшы", "өтеді",
    # ru
    "какие", "какой", "какая", "что", "у", "нас", "меня", "есть", "будут", "будет", "ли", "а", "за",
    "на", "во", "в", "сколько", "когда", "скажите", "подскажите", "пожалуйста", "пжл", "там", "по",
    "мне", "нам", "сына", "дочери", "ребенка", "ребёнка", "идут", "какое",
    # en
    "what", "which", "are", "is", "there", "do", "does", "i", "we", "have", "has", "my", "our", "the",
    "any", "for", "on", "s", "when", "time", "please", "got", "me", "tell", "whats",
})  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Question:
    day: int  # 0 today, 1 tomorrow
    sure: bool  # nothing but the question's words: no message for a teacher in it


def question(text: str) -> Question | None:
    """The day the text asks the lessons of, or None when it is not such a question."""
    if len(text) > MAX_CHARS:
        return None
    words = _WORD.findall(text.casefold())
    days = {DAYS[word] for word in words if word in DAYS}
    if len(days) != 1 or not any(word.startswith(LESSON_STEMS) for word in words):
        return None
    other = [w for w in words if w not in DAYS and w not in ASKING and not w.startswith(LESSON_STEMS)]
    if len(other) > DOUBT_WORDS:
        return None
    return Question(days.pop(), sure=not other)


def answer(turn: Turn) -> list[Reply] | None:
    """A question about a day's lessons: that day; None for anything else (it goes to a teacher)."""
    if turn.inbound.uploads or not turn.inbound.text or forms.open_form(turn) is not None:
        return None  # a message written in the middle of a form is the form's to ask about
    asked = question(turn.inbound.text)
    if asked is None:
        return None
    pupils = people.writes_about(turn)
    if not pupils:
        return None
    replies = [reply for pupil in pupils for reply in _day(turn, pupil, asked.day)]
    if asked.sure:
        return replies
    messages, refused = content.keep(turn, from_family=True)
    conversation.enter(turn, FLOW, "kept", drafts=[m.id for m in messages if m.id])
    offer = Reply(T("day_lessons.offer"), choices=(Choice(SEND, T("day_lessons.send")),))
    return [*replies, offer, *refused]


def on_send(turn: Turn) -> list[Reply]:
    """«Send to a teacher» under the day's lessons: the kept message goes, as any would."""
    state = conversation.load(turn)
    ids = [int(i) for i in state.data.get("drafts") or []] if state.flow == FLOW else []
    if not ids:
        return [Reply(T("threads.nothing_waiting"))]
    return write.route(turn, ids)


def _day(turn: Turn, pupil: Person, day: int) -> list[Reply]:
    refused = without_consent(turn, pupil)
    if refused is not None:
        return refused
    zone = turn.config.time_zone
    date = to_local(turn.now, zone).date() + timedelta(days=day)
    start = to_utc(datetime.combine(date, time(0)), zone)
    found = lessons(turn, pupil, start, start + timedelta(days=1))
    facts = {"pupil": pupil.full_name, "date": date.strftime("%d.%m")}
    if found:
        return [Reply(T(f"day_lessons.title.{day}", lines=Lines(tuple(found)), **facts))]
    after = lessons(turn, pupil, start + timedelta(days=1), turn.now + timedelta(days=TIMETABLE_DAYS))
    none: Text = T(f"day_lessons.none.{day}", **facts)
    if after:
        none = T("day_lessons.none_then", none=none, next=after[0])
    return [Reply(none)]
