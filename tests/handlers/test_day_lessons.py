"""Which messages are questions about a day's lessons (`handlers.day_lessons.question`): the phrases
families type in kk, ru and en, and the messages about lessons that are for a teacher."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.day_lessons import Day, Question, day_of, question

TODAY, TOMORROW = Question((Day(offset=0),), sure=True), Question((Day(offset=1),), sure=True)
MONDAY, WEDNESDAY, FRIDAY, SUNDAY = (Question((Day(weekday=w),), sure=True) for w in (0, 2, 4, 6))


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("бүгін қандай сабақ бар?", TODAY),
        ("Бүгін сабақ бар ма?", TODAY),
        ("Ертең қандай сабақтар бар", TOMORROW),
        ("ертеңгі сабақ кестесі", TOMORROW),
        ("какие сегодня уроки?", TODAY),
        ("Какие уроки завтра?", TOMORROW),
        ("расписание на завтра", TOMORROW),
        ("Подскажите, пожалуйста, какие завтра занятия?", TOMORROW),
        ("what lessons today?", TODAY),
        ("What lessons do we have tomorrow?", TOMORROW),
        ("Tomorrow's timetable please", TOMORROW),
        # a day of the week, in the case the question puts it in, with or without Kazakh letters
        ("дүйсенбіде қандай сабақ бар?", MONDAY),
        ("Дуйсенбиде сабак бар ма", MONDAY),
        ("жұмадағы сабақ кестесі", FRIDAY),
        ("Жексенбіде сабақ бола ма?", SUNDAY),
        ("Какие занятия в среду?", WEDNESDAY),
        ("в пятницу есть уроки?", FRIDAY),
        ("What lessons on Monday?", MONDAY),
        ("Friday's timetable please", FRIDAY),
        # a name or two besides: the day's lessons, and the message kept to send on
        ("Аружан сегодня на уроке?", Question((Day(offset=0),), sure=False)),
        ("Нұрланның бүгін сабағы бар ма?", Question((Day(offset=0),), sure=False)),
        # messages for a teacher, which mention a day and lessons
        ("Нурлан сегодня не придёт на урок, он заболел", None),
        ("Ертең сабаққа келе алмаймыз, ауылға кетеміз", None),
        ("My son will miss the lesson tomorrow because of the dentist", None),
        # no day, no lessons, both days, or too long
        ("какие уроки?", None),
        ("сегодня", None),
        ("В пятницу Нурлан не придёт на урок, у него соревнования", None),
        ("Какие уроки сегодня? " + "очень " * 40, None),
    ],
)
def test_a_question_about_a_days_lessons_is_told_from_a_message(text: str, asked: Question | None) -> None:
    assert question(text) == asked


@pytest.mark.parametrize(
    ("day", "on"),
    [
        (Day(offset=0), date(2026, 3, 18)),
        (Day(offset=1), date(2026, 3, 19)),
        (Day(weekday=2), date(2026, 3, 18)),  # the day asked about is today
        (Day(weekday=0), date(2026, 3, 23)),  # the next Monday, not the one gone
        (Day(weekday=4), date(2026, 3, 20)),
    ],
)
def test_the_day_asked_about_is_today_tomorrow_or_the_next_such_day_of_the_week(day: Day, on: date) -> None:
    assert day.on(date(2026, 3, 18)) == on  # a Wednesday


def test_words_that_begin_like_a_day_of_the_week_but_are_not_one_name_no_day() -> None:
    assert day_of("среди") is None  # "among"
    assert day_of("жұмыс") is None  # "work"
    assert day_of("сенбідегі") == Day(weekday=5)
    assert day_of("жексенбі") == Day(weekday=6)  # not Saturday's «сенбі» inside it


def dated(number: int, month: int | None = None, year: int | None = None, *, sure: bool = True) -> Question:
    return Question((Day(number=number, month=month, year=year),), sure=sure)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # a month in the case the question puts it in, with or without Kazakh letters
        ("15 желтоқсанда сабақ бар ма?", dated(15, 12)),
        ("желтоқсанның 15-інде қандай сабақ бар?", dated(15, 12)),
        ("15 желтоксан сабак бар ма", dated(15, 12)),
        ("какие уроки 15 декабря?", dated(15, 12)),
        ("расписание на 1 мая", dated(1, 5)),
        ("15 декабря 2026 какие уроки?", dated(15, 12, 2026)),
        ("Lessons on December 15th?", dated(15, 12)),
        ("what lessons on the 15th of december", dated(15, 12)),
        ("15.12 сабақ бар ма?", dated(15, 12)),
        # a day's number alone
        ("какие уроки 15 числа?", dated(15)),
        ("15-і сабақ бар ма?", dated(15)),
        ("Any lessons on the 15th?", dated(15)),
        # a day alone with a question mark: maybe an answer to a teacher, so kept to send on
        ("15 желтоқсанда?", dated(15, 12, sure=False)),
        ("15 декабря?", dated(15, 12, sure=False)),
        ("on the 15th?", dated(15, sure=False)),
        ("ертең?", Question((Day(offset=1),), sure=False)),
        # next week's day
        (
            "келесі аптаның сәрсенбісінде сабақ бар ма?",
            Question((Day(weekday=2, next_week=True),), sure=True),
        ),
        ("в среду на следующей неделе какие уроки?", Question((Day(weekday=2, next_week=True),), sure=True)),
        ("What lessons next week on Friday?", Question((Day(weekday=4, next_week=True),), sure=True)),
        # without a question mark or lessons a day alone is not a question
        ("ертең", None),
        ("15 декабря", None),
        ("Нурлан 15 декабря не придёт на урок, он заболел", None),
        ("Алгебра: сколько задач на завтра?", None),  # a question for the tutor, not about lessons
        ("Нурлан 15 декабря?", None),
    ],
)
def test_a_question_about_a_date_is_told_from_a_message(text: str, asked: Question | None) -> None:
    assert question(text) == asked


@pytest.mark.parametrize(
    ("day", "on"),
    [
        (Day(number=15, month=12), date(2026, 12, 15)),
        (Day(number=15, month=3), date(2026, 3, 15)),  # three days ago: the one just gone
        (Day(number=1, month=3), date(2027, 3, 1)),  # long gone: next year's
        (Day(number=20), date(2026, 3, 20)),  # this month's, still ahead
        (Day(number=15), date(2026, 4, 15)),  # gone this month: next month's
        (Day(number=31), date(2026, 3, 31)),
        (Day(number=30, month=2), None),
        (Day(number=15, month=12, year=2026), date(2026, 12, 15)),
        (Day(weekday=2, next_week=True), date(2026, 3, 25)),
        (Day(weekday=0, next_week=True), date(2026, 3, 23)),
    ],
)
def test_the_date_asked_about_is_the_coming_one(day: Day, on: date | None) -> None:
    assert day.on(date(2026, 3, 18)) == on  # a Wednesday


def days(*asked: Day, sure: bool = True) -> Question:
    return Question(asked, sure=sure)


DEC15, DEC16 = Day(number=15, month=12), Day(number=16, month=12)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # two dates, the month written once: both are that month's
        ("15 или 16 декабря?", days(DEC15, DEC16, sure=False)),
        ("15 или 16 декабря урок?", days(DEC15, DEC16)),
        ("15 және 16 желтоқсанда сабақ бар ма?", days(DEC15, DEC16)),
        ("Lessons on December 15th or 16th?", days(DEC15, DEC16)),
        ("lessons on the 15th and 16th of December?", days(DEC15, DEC16)),
        ("15, 16 и 17 декабря какие уроки?", days(DEC15, DEC16, Day(number=17, month=12))),
        (
            "15 или 16 декабря 2026 уроки?",
            days(Day(number=15, month=12, year=2026), Day(number=16, month=12, year=2026)),
        ),
        # each its own month
        ("уроки 31 декабря и 5 января?", days(Day(number=31, month=12), Day(number=5, month=1))),
        ("декабря 15 и 16 января уроки?", days(DEC15, Day(number=16, month=1))),
        # days' numbers alone, days of the week, today and tomorrow
        ("lessons on the 15th or 16th?", days(Day(number=15), Day(number=16))),
        ("в понедельник или вторник?", days(Day(weekday=0), Day(weekday=1), sure=False)),
        ("в понедельник или в среду урок?", days(Day(weekday=0), Day(weekday=2))),
        ("дүйсенбі мен сейсенбіде сабақ бар ма?", days(Day(weekday=0), Day(weekday=1))),
        ("сегодня или завтра урок?", days(Day(offset=0), Day(offset=1))),
        (
            "келесі аптаның дүйсенбісі мен сейсенбісінде сабақ бар ма?",
            days(Day(weekday=0, next_week=True), Day(weekday=1, next_week=True)),
        ),
        # more days than a school week, or a message about them: for a teacher
        ("уроки 14, 15, 16, 17, 18 и 19 декабря?", None),
        ("Нурлан 15 и 16 декабря не придёт на урок, он заболел", None),
    ],
)
def test_a_question_about_a_few_days_names_each(text: str, asked: Question | None) -> None:
    assert question(text) == asked
