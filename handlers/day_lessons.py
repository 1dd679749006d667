"""A pupil's or parent's question about a day's lessons — «бүгін қандай сабақ бар?», «какие завтра
занятия?», "what lessons today?", «15 желтоқсанда?», "on the 15th?" — answered with that day's
lessons (their times and links, a cancelled one marked, as /timetable shows them), not sent to a
teacher as a message.

A question is recognised by its words (`DAYS`, `WEEKDAYS`, `LESSON_STEMS`, `ASKING`, per language,
and the months of `handlers.dates`): it names a day, or a few joined by «или» / «және» / "or" —
today, tomorrow, a day of the week (the next one, today included; «келесі аптада» / «на следующей
неделе» / "next week": next week's), a date («15 желтоқсанда», «15.12», "December 15th"; «15 или 16
декабря»: both December's), or a day's number alone (this month's, or next month's once it has gone)
— and lessons, and every other word is one that such a question is made of. Several days are
answered in one reply, day by day (more than `MAX_DAYS` is a list, for a teacher). A day alone with
a question mark («ертең?», «15 декабря?»: no other word) is asked too. A message with a few other
words besides (`DOUBT_WORDS`: a child's name, "he is ill"), or a day alone with no lessons named,
may be either: it is answered with the day's lessons, and the message is kept, with the choice to
send it to a teacher (nothing a family writes is dropped). Anything longer is a message, as before
(`handlers.threads.write`). A parent of several children hears each child's day.

The day is read against the school calendar: a day off says which holiday it is, a day after the
school year says when the year ends, and a date that does not exist («30 ақпан») says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers import conversation
from handlers.context import Turn
from handlers.dates import coming_day, month_of
from handlers.own_record import lessons, without_consent
from handlers.threads import content, forms, people, write
from handlers.timetable_weeks import TIMETABLE_DAYS, pupil_groups, year_end
from handlers.types import Choice, Reply
from locales import Lines, T, Text
from models.clock import to_local, to_utc
from models.people import Person
from models.school import TutoringGroup
from record.lines import lesson as lesson_line
from record.occurrences import Slot, between
from schoolyear import Calendars, span_name

SEND = "dl:send:"
FLOW = "dl_kept"
MAX_CHARS = 160  # a longer message is a message
DOUBT_WORDS = 2
MAX_DAYS = 5  # a school week's days in one question; more is a list, written for a teacher


@dataclass(frozen=True)
class Day:
    """The day a question names: so many days from today, the next such day of the week (or next
    week's), or a date (a day's number, with its month or not)."""

    offset: int | None = None  # 0 today, 1 tomorrow
    weekday: int | None = None  # Monday 0
    next_week: bool = False
    number: int | None = None  # the day of the month
    month: int | None = None
    year: int | None = None

    def on(self, today: date) -> date | None:
        """The date meant, asked on `today`; None when there is no such date («30 ақпан»)."""
        if self.weekday is not None:
            if self.next_week:
                return today + timedelta(days=7 - today.weekday() + self.weekday)
            return today + timedelta(days=(self.weekday - today.weekday()) % 7)
        if self.number is not None:
            if self.year is not None and self.month is not None:
                try:
                    return date(self.year, self.month, self.number)
                except ValueError:
                    return None
            return coming_day(self.number, self.month, today)
        return today + timedelta(days=self.offset or 0)

    @property
    def texts(self) -> str:
        """Which texts name the day: «today» and «tomorrow» their own, any other by its weekday."""
        return str(self.offset) if self.offset is not None else "on"


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
# The words that go with a date: the ordinal's endings («15-і», «15-го», "15th"), "of the month".
DATE_WORDS = frozenset({
    "і", "ы", "ші", "шы", "нші", "ншы", "інші", "ыншы", "на", "не", "да", "де", "та", "те", "ға", "ге",
    "інде", "ында", "ке", "қа", "күні", "айдың", "го", "е", "ое", "ого", "числа", "число", "st", "nd",
    "rd", "th", "of", "day", "сы", "сі",
})  # fmt: skip
# The words that join the days of one question: «15 или 16», «дүйсенбі мен сейсенбі», "Monday or
# Tuesday".
JOINING = frozenset({
    "және", "жане", "мен", "пен", "бен", "немесе", "әлде", "алде", "или", "и", "либо", "and", "or",
})  # fmt: skip
# «келесі аптаның дүйсенбісі», «в понедельник на следующей неделе», "Monday next week".
NEXT_WEEK_STEMS = ("келесі", "келеси", "следующ", "next", "апта", "недел", "week")
YEARS = range(2000, 2100)
_TOKEN = re.compile(r"(?P<dotted>\d{1,2}\.\d{1,2}(?:\.\d{4})?)|(?P<number>\d+)|(?P<word>[^\W\d_]+)")


@dataclass(frozen=True)
class Question:
    days: tuple[Day, ...]  # in the order written, each once
    sure: bool  # nothing but the question's words: no message for a teacher in it


def question(text: str) -> Question | None:
    """The days the text asks the lessons of, or None when it is not such a question."""
    if len(text) > MAX_CHARS:
        return None
    tokens = [(found.lastgroup or "", found.group()) for found in _TOKEN.finditer(text.casefold())]
    days, used = _days(tokens)
    words = [value for index, (kind, value) in enumerate(tokens) if kind == "word" and index not in used]
    lessons_named = any(word.startswith(LESSON_STEMS) for word in words)
    next_week = [word for word in words if word.startswith(NEXT_WEEK_STEMS)]
    if next_week and all(day.weekday is not None for day in days):
        days = [Day(weekday=day.weekday, next_week=True) for day in days]
    days = list(dict.fromkeys(days))
    if not 1 <= len(days) <= MAX_DAYS or not (lessons_named or "?" in text):
        return None
    leftover = [value for index, (kind, value) in enumerate(tokens) if index not in used and kind != "word"]
    other = [
        word
        for word in words
        if word not in ASKING
        and word not in DATE_WORDS
        and word not in JOINING
        and not word.startswith(LESSON_STEMS)
        and word not in next_week
    ]
    if len(other) + len(leftover) > (DOUBT_WORDS if lessons_named else 0):
        return None  # a day alone asks; with other words and no lessons named, it is a message
    return Question(tuple(days), sure=lessons_named and not other and not leftover)


def _days(tokens: list[tuple[str, str]]) -> tuple[list[Day], set[int]]:
    """The days the tokens name, and which tokens name them: a word for a day, a dotted date, a
    month beside a day's number (and perhaps a year) and the numbers joined to that one («15 или 16
    декабря», "December 15th or 16th"), a day's number alone. The days come in the order written."""
    days: dict[int, Day] = {}  # by the token that names the day (its number, beside a month)
    used: set[int] = set()
    for index, (kind, value) in enumerate(tokens):
        if kind == "dotted":
            parts = [int(part) for part in value.split(".")]
            year = parts[2] if len(parts) == 3 else None
            days[index] = Day(number=parts[0], month=parts[1], year=year)
            used.add(index)
        elif kind == "word" and (day := day_of(value)) is not None:
            days[index] = day
            used.add(index)
    for index, (kind, value) in enumerate(tokens):
        month = month_of(value) if kind == "word" and index not in used else None
        if month is None:
            continue
        for beside in (_beside(tokens, index, -1), _beside(tokens, index, 1)):
            if 0 <= beside < len(tokens) and beside not in used and _day_number(tokens[beside]):
                year = _year(tokens, index)
                for number_at in (beside, *_joined(tokens, beside, 1 if beside > index else -1, used)):
                    days[number_at] = Day(number=int(tokens[number_at][1]), month=month, year=year)
                    used.update({index, number_at})
                break
    for index, token in enumerate(tokens):
        if index not in used and _day_number(token):
            days[index] = Day(number=int(token[1]))
            used.add(index)
        elif index not in used and token[0] == "number" and int(token[1]) in YEARS and days:
            used.add(index)  # «15 декабря 2026»: the year, read beside the month
    return [days[index] for index in sorted(days)], used


def _beside(tokens: list[tuple[str, str]], index: int, step: int) -> int:
    """The token next to `index` one way, past the words that go with a date ("the 15th of")."""
    index += step
    while 0 <= index < len(tokens) and tokens[index][0] == "word" and tokens[index][1] in DATE_WORDS:
        index += step
    return index


def _joined(tokens: list[tuple[str, str]], at: int, step: int, used: set[int]) -> list[int]:
    """The days' numbers joined to the one at `at`, going away from its month («15 или 16 декабря»:
    15), up to one that has a month of its own on the far side («декабря 15 и 16 января»: none)."""
    found: list[int] = []
    index = at + step
    while 0 <= index < len(tokens):
        kind, value = tokens[index]
        if kind == "word" and (value in DATE_WORDS or value in JOINING):
            index += step
            continue
        if index in used or not _day_number(tokens[index]):
            break
        far = _beside(tokens, index, step)
        if 0 <= far < len(tokens) and tokens[far][0] == "word" and month_of(tokens[far][1]) is not None:
            break
        found.append(index)
        index += step
    return found


def _day_number(token: tuple[str, str]) -> bool:
    return token[0] == "number" and 1 <= int(token[1]) <= 31


def _year(tokens: list[tuple[str, str]], month_at: int) -> int | None:
    """A year written after the month («15 декабря 2026»), if one is."""
    for after in (month_at + 1, month_at + 2):
        if after < len(tokens) and tokens[after][0] == "number" and int(tokens[after][1]) in YEARS:
            return int(tokens[after][1])
    return None


def day_of(word: str) -> Day | None:
    """The day a word names, if it names one."""
    if word in DAYS:
        return DAYS[word]
    for weekday, beginnings in WEEKDAYS.items():
        if any(word.startswith(b) and len(word) - len(b) <= ENDING for b in beginnings):
            return Day(weekday=weekday)
    return None


def answer(turn: Turn) -> list[Reply] | None:
    """A question about a day's lessons (or a few days'): those days; None for anything else (it goes
    to a teacher)."""
    if turn.inbound.uploads or not turn.inbound.text or forms.open_form(turn) is not None:
        return None  # a message written in the middle of a form is the form's to ask about
    asked = question(turn.inbound.text)
    if asked is None:
        return None
    pupils = people.writes_about(turn)
    if not pupils:
        return None
    today = to_local(turn.now, turn.config.time_zone).date()
    on = {day.on(today): day for day in reversed(asked.days)}  # a date named twice: its first words
    dates = {found: day for found, day in sorted((d, day) for d, day in on.items() if d is not None)}
    replies = [reply for pupil in pupils for reply in _pupils_days(turn, pupil, dates)] if dates else []
    if None in on:
        replies.append(Reply(T("day_lessons.no_such_date")))
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


def _pupils_days(turn: Turn, pupil: Person, dates: dict[date, Day]) -> list[Reply]:
    """One pupil's answer: each date asked, in order, in one reply. A day without lessons names the
    next lesson, unless that is on a later date asked or a later day without names it too («в
    понедельник или вторник?» over a holiday: once, under Tuesday)."""
    refused = without_consent(turn, pupil)
    if refused is not None:
        return refused
    zone = turn.config.time_zone
    groups = pupil_groups(turn.session, pupil)
    days = [_day(turn, pupil, groups, day, on) for on, day in dates.items()]
    texts: list[Text] = []
    for index, (text, after) in enumerate(days):
        later = {slot for _, slot in days[index + 1 :]}
        if after is not None and to_local(after.start, zone).date() not in dates and after not in later:
            text = T("day_lessons.none_then", none=text, next=lesson_line(after, zone))
        texts.append(text)
    answer = texts[0]
    for then in texts[1:]:
        answer = T("day_lessons.and_then", first=answer, then=then)
    return [Reply(answer)]


def _day(
    turn: Turn, pupil: Person, groups: list[TutoringGroup], day: Day, asked: date
) -> tuple[Text, Slot | None]:
    """One date's lessons; a day without: why, and the next lesson after it."""
    zone = turn.config.time_zone
    today = to_local(turn.now, zone).date()
    start = to_utc(datetime.combine(asked, time(0)), zone)
    shown = "%d.%m" if asked.year == today.year else "%d.%m.%Y"
    facts = {
        "pupil": pupil.full_name,
        "date": asked.strftime(shown),
        "weekday": T(f"weekday.{asked.weekday()}"),
    }
    end = year_end(turn.session, groups, today)
    if end is not None and asked > end:
        return T("day_lessons.after_year", end=end.strftime("%d.%m.%Y"), **facts), None
    found = lessons(turn, pupil, start, start + timedelta(days=1))
    calendars = Calendars(turn.session)
    off = [calendars.day_off(g.school_id, g.id or 0, asked) for g in groups]
    none: Text
    if groups and all(span is not None for span in off) and off[0] is not None:
        none = T("day_lessons.day_off", name=span_name(off[0]), **facts)
    elif found:
        return T(f"day_lessons.title.{day.texts}", lines=Lines(tuple(found)), **facts), None
    else:
        none = T(f"day_lessons.none.{day.texts}", **facts)
    return none, _next(turn, groups, start + timedelta(days=1))


def _next(turn: Turn, groups: list[TutoringGroup], start: datetime) -> Slot | None:
    """The first lesson from `start` on that is not called off, within the timetable's two weeks."""
    ids = [group.id or 0 for group in groups]
    ahead = between(turn.session, ids, start, start + timedelta(days=TIMETABLE_DAYS), turn.config.time_zone)
    return next((slot for slot in ahead if not slot.cancelled), None)
