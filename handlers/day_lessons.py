"""A pupil's or parent's question about a day's lessons — «бүгін қандай сабақ бар?», «какие завтра
занятия?», "what lessons today?" — answered with that day's lessons (their times and links, a
cancelled one marked: `handlers.own_record.lessons`, as /timetable shows them), not sent to a
teacher as a message.

A question is recognised by its words (`DAYS`, `WEEKDAYS`, `LESSON_STEMS`, `ASKING`, per
language): it names one day (today, tomorrow, or a day of the week: the next one, today included)
and lessons, and every other word is one that such a question is made
of. A message with a few other words besides (`DOUBT_WORDS`: a child's name, "he is ill") may be
either: it is answered with the day's lessons too, and the message is kept, with the choice to send
it to a teacher (nothing a family writes is dropped). Anything longer is a message, as before
(`handlers.threads.write`). A parent of several children hears each child's day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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


@dataclass(frozen=True)
class Day:
    """The day a question names: so many days from today, or the next such day of the week."""

    offset: int | None = None  # 0 today, 1 tomorrow
    weekday: int | None = None  # Monday 0

    def on(self, today: date) -> date:
        if self.weekday is not None:
            return today + timedelta(days=(self.weekday - today.weekday()) % 7)
        return today + timedelta(days=self.offset or 0)

    @property
    def texts(self) -> str:
        """Which texts name the day: «today» and «tomorrow» their own, a day of the week by name."""
        return "on" if self.weekday is not None else str(self.offset)


TODAY, TOMORROW = Day(offset=0), Day(offset=1)
# The words for today and tomorrow, as families type them.
DAYS: dict[str, Day] = {
    "бүгін": TODAY, "бүгінгі": TODAY, "бугин": TODAY, "бүгiн": TODAY,
    "сегодня": TODAY, "сегодняшние": TODAY, "сегодняшний": TODAY, "седня": TODAY,
    "today": TODAY, "todays": TODAY, "tonight": TODAY,
    "ертең": TOMORROW, "ертеңгі": TOMORROW, "ертен": TOMORROW,
    "завтра": TOMORROW, "завтрашние": TOMORROW, "завтрашний": TOMORROW,
    "tomorrow": TOMORROW, "tomorrows": TOMORROW,
}  # fmt: skip
# The days of the week (Monday 0): the beginnings of their words, which take the endings of the
# cases («дүйсенбіде», «жұмадағы», «в пятницу», "Monday's"); typed with or without Kazakh letters.
WEEKDAYS: dict[int, tuple[str, ...]] = {
    0: ("дүйсенбі", "дуйсенби", "понедельник", "monday"),
    1: ("сейсенбі", "сейсенби", "вторник", "tuesday"),
    2: ("сәрсенбі", "сарсенби", "среда", "среду", "среде", "wednesday"),
    3: ("бейсенбі", "бейсенби", "четверг", "thursday"),
    4: ("жұма", "жума", "пятниц", "friday"),
    5: ("сенбі", "сенби", "суббот", "saturday"),
    6: ("жексенбі", "жексенби", "воскресен", "sunday"),
}
ENDING = 5  # letters a weekday's word may have after its beginning: «дүйсенбідегі»
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
    day: Day
    sure: bool  # nothing but the question's words: no message for a teacher in it


def question(text: str) -> Question | None:
    """The day the text asks the lessons of, or None when it is not such a question."""
    if len(text) > MAX_CHARS:
        return None
    words = _WORD.findall(text.casefold())
    named = {word: day for word in words if (day := day_of(word)) is not None}
    days = set(named.values())
    if len(days) != 1 or not any(word.startswith(LESSON_STEMS) for word in words):
        return None
    other = [w for w in words if w not in named and w not in ASKING and not w.startswith(LESSON_STEMS)]
    if len(other) > DOUBT_WORDS:
        return None
    return Question(days.pop(), sure=not other)


def day_of(word: str) -> Day | None:
    """The day a word names, if it names one."""
    if word in DAYS:
        return DAYS[word]
    for weekday, beginnings in WEEKDAYS.items():
        if any(word.startswith(b) and len(word) - len(b) <= ENDING for b in beginnings):
            return Day(weekday=weekday)
    return None


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


def _day(turn: Turn, pupil: Person, day: Day) -> list[Reply]:
    refused = without_consent(turn, pupil)
    if refused is not None:
        return refused
    zone = turn.config.time_zone
    asked = day.on(to_local(turn.now, zone).date())
    start = to_utc(datetime.combine(asked, time(0)), zone)
    found = lessons(turn, pupil, start, start + timedelta(days=1))
    facts = {
        "pupil": pupil.full_name,
        "date": asked.strftime("%d.%m"),
        "weekday": T(f"weekday.{asked.weekday()}"),
    }
    if found:
        return [Reply(T(f"day_lessons.title.{day.texts}", lines=Lines(tuple(found)), **facts))]
    after = lessons(turn, pupil, start + timedelta(days=1), turn.now + timedelta(days=TIMETABLE_DAYS))
    none: Text = T(f"day_lessons.none.{day.texts}", **facts)
    if after:
        none = T("day_lessons.none_then", none=none, next=after[0])
    return [Reply(none)]
