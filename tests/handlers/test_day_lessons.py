"""Which messages are questions about a day's lessons (`handlers.day_lessons.question`): the phrases
families type in kk, ru and en, and the messages about lessons that are for a teacher."""

from __future__ import annotations

import pytest

from handlers.day_lessons import Question, question

TODAY, TOMORROW = Question(0, sure=True), Question(1, sure=True)


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
        # a name or two besides: the day's lessons, and the message kept to send on
        ("Аружан сегодня на уроке?", Question(0, sure=False)),
        ("Нұрланның бүгін сабағы бар ма?", Question(0, sure=False)),
        # messages for a teacher, which mention a day and lessons
        ("Нурлан сегодня не придёт на урок, он заболел", None),
        ("Ертең сабаққа келе алмаймыз, ауылға кетеміз", None),
        ("My son will miss the lesson tomorrow because of the dentist", None),
        # no day, no lessons, both days, or too long
        ("какие уроки?", None),
        ("сегодня", None),
        ("сегодня или завтра урок?", None),
        ("Какие уроки сегодня? " + "очень " * 40, None),
    ],
)
def test_a_question_about_a_days_lessons_is_told_from_a_message(text: str, asked: Question | None) -> None:
    assert question(text) == asked
