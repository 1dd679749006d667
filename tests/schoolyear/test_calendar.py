"""The school calendar's rules on Kazakhstan's data: holidays, Sundays, transfers, the year boundary,
quarters and half-years, a school's own days off and working days, grade-only holidays."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from locales import Text, translate
from models.calendar import CalendarKind
from schoolyear import Span, calendar_for, moved_date, moved_note, span_name
from schoolyear.national import YEARS_DIR, national_spans, read_year
from schoolyear.school import combine

NATIONAL = combine(national_spans(), [])
SUNDAY = 6


def own(
    kind: CalendarKind, start: date, end: date | None = None, name: str = "", grades: tuple[int, ...] = ()
) -> Span:
    return Span(kind, start, end or start, name, grades=frozenset(grades))


def test_a_holiday_on_a_lesson_day_has_no_lessons_and_is_no_working_day() -> None:
    independence = date(2026, 12, 16)  # a Wednesday
    reason = NATIONAL.day_off(independence)
    assert reason is not None and reason.name == "calendar.name.independence_day" and not reason.estimate
    assert not NATIONAL.is_working_day(independence)
    assert translate(
        "kk", "calendar.lessons_off", subject="Алгебра", dates="16.12", name=span_name(reason)
    ) == (
        "Назар аударыңыз: 16.12 күндері Алгебра сабағы болмайды — Тәуелсіздік күні.\n"
        "Осы күндері еске салу келмейді."
    )


def test_an_ordinary_sunday_keeps_its_lessons_but_is_no_working_day() -> None:
    sunday = date(2026, 12, 6)
    assert sunday.weekday() == SUNDAY
    assert NATIONAL.day_off(sunday) is None  # a group timetabled on Sunday meets
    assert not NATIONAL.is_working_day(sunday)


def test_a_kazpost_round_on_a_sunday_moves_to_monday_and_says_so() -> None:
    shift = NATIONAL.shift(date(2026, 12, 6))
    assert shift is not None and shift.moved_to == date(2026, 12, 7) and shift.reason is None
    shown = moved_date("07.12.2026", shift)
    assert translate("kk", "postal.notice", date=shown, pupil="Ә", works="—", point="—").splitlines()[0] == (
        "Қазпошта арқылы жұмыс жинау: 07.12.2026 (06.12 жексенбіге түсті, сондықтан дүйсенбіге ауыстырылды)."
    )
    assert moved_note(shift).render("ru") == "06.12 — воскресенье, поэтому перенесено на понедельник"
    assert moved_note(shift).render("en") == "06.12 is a Sunday, so it was moved to Monday"


def test_a_holiday_on_a_sunday_moves_past_its_transferred_day_off() -> None:
    victory = date(2027, 5, 9)  # a Sunday; Monday 10 May is the day off moved from it
    shift = NATIONAL.shift(victory)
    assert shift is not None and shift.moved_to == date(2027, 5, 11)
    transferred = NATIONAL.day_off(date(2027, 5, 10))
    assert transferred is not None and transferred.moved_from == victory
    name = span_name(transferred)
    assert isinstance(name, Text) and name.render("kk") == "Жеңіс күні (ауыстырылған демалыс күні)"
    assert moved_note(shift).render("kk") == "09.05 — Жеңіс күні, сондықтан сейсенбіге ауыстырылды"


def test_the_year_boundary_new_year_and_the_winter_holidays_move_a_deadline_into_january() -> None:
    for day in (date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 7)):
        shift = NATIONAL.shift(day)
        assert shift is not None and shift.moved_to == date(2027, 1, 9), day
    new_year = NATIONAL.day_off(date(2027, 1, 1))
    assert new_year is not None and new_year.name == "calendar.name.new_year"  # a holiday before the break
    assert NATIONAL.days_off_around(date(2027, 1, 1)) == (date(2026, 12, 30), date(2027, 1, 8))
    assert NATIONAL.shift(date(2026, 12, 29)) is None


def test_the_academic_year_boundary_summer_belongs_to_no_period() -> None:
    last = NATIONAL.period_of(date(2026, 5, 25), "year")
    assert last is not None and last.year == "2025–2026"
    assert NATIONAL.period_of(date(2026, 5, 26), "year") is None
    assert NATIONAL.period_of(date(2026, 7, 15), "quarter") is None
    first = NATIONAL.period_of(date(2026, 9, 1), "quarter")
    assert first is not None and (first.year, first.number) == ("2026–2027", 1)
    # Summer has public holidays but no school holidays: 31 August 2026 is Constitution Day's transfer.
    constitution = NATIONAL.day_off(date(2026, 8, 31))
    assert constitution is not None and constitution.moved_from == date(2026, 8, 30)


def test_a_quarter_change_the_holidays_belong_to_the_quarter_before_them() -> None:
    def quarter(day: date) -> int:
        found = NATIONAL.period_of(day, "quarter")
        assert found is not None
        return found.number

    assert [quarter(date(2026, 10, d)) for d in (24, 26)] == [1, 1]  # the autumn holidays are Q1's
    assert quarter(date(2026, 11, 1)) == 1 and quarter(date(2026, 11, 2)) == 2
    assert quarter(date(2027, 3, 31)) == 3 and quarter(date(2027, 4, 1)) == 4
    first_half, second_half = (
        NATIONAL.period_of(date(2027, 1, 8), "half"),
        NATIONAL.period_of(date(2027, 1, 9), "half"),
    )
    assert first_half is not None and (first_half.number, first_half.start) == (1, date(2026, 9, 1))
    assert second_half is not None and (second_half.number, second_half.end) == (2, date(2027, 5, 25))


def test_a_school_marked_working_day_overrides_a_holiday_and_a_sunday() -> None:
    calendar = combine(
        national_spans(),
        [
            own(CalendarKind.WORKING_DAY, date(2026, 12, 16)),
            own(CalendarKind.WORKING_DAY, date(2026, 12, 20)),
        ],
    )
    assert calendar.day_off(date(2026, 12, 16)) is None and calendar.is_working_day(date(2026, 12, 16))
    assert calendar.is_working_day(date(2026, 12, 20))  # a Sunday the school works
    assert calendar.shift(date(2026, 12, 19)) is None


def test_a_schools_own_day_off_and_its_words() -> None:
    calendar = combine(
        national_spans(), [own(CalendarKind.DAY_OFF, date(2026, 12, 7), date(2026, 12, 9), "Карантин")]
    )
    reason = calendar.day_off(date(2026, 12, 8))
    assert reason is not None and span_name(reason) == "Карантин"
    shift = calendar.shift(date(2026, 12, 6))
    assert shift is not None and shift.moved_to == date(2026, 12, 10)


def test_holidays_for_grade_one_only_count_for_a_group_of_grade_one() -> None:
    day = date(2027, 2, 10)
    assert NATIONAL.day_off(day) is None and NATIONAL.day_off(day, frozenset({8, 9})) is None
    assert NATIONAL.day_off(day, frozenset({1, 8})) is None
    found = NATIONAL.day_off(day, frozenset({1}))
    assert found is not None and found.name == "calendar.name.grade1_break"


def test_a_schools_own_year_replaces_the_national_one_but_not_the_holidays() -> None:
    calendar = combine(
        national_spans(), [own(CalendarKind.YEAR, date(2026, 9, 1), date(2027, 5, 29), "2026–2027")]
    )
    year = calendar.period_of(date(2027, 5, 28), "year")
    assert year is not None and year.end == date(2027, 5, 29)
    assert calendar.day_off(date(2026, 12, 16)) is not None


def test_dates_the_data_does_not_cover_have_sundays_only() -> None:
    assert NATIONAL.is_working_day(date(2031, 3, 21))  # a Friday; no data for 2030–2031
    assert not NATIONAL.is_working_day(date(2031, 3, 23))


@pytest.mark.parametrize("path", sorted(YEARS_DIR.glob("kz-*.toml")), ids=lambda path: path.name)
def test_each_year_file_names_its_sources_and_transfers_every_sunday_holiday(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    spans = read_year(path)
    assert all(span.source in data["sources"] for span in spans)
    holidays = [s for s in spans if s.kind == CalendarKind.HOLIDAY]
    moved_from = {s.moved_from for s in holidays if s.moved_from}
    never_moved = {"calendar.name.kurban_ait", "calendar.name.orthodox_christmas"}  # Labour Code 84.5
    for holiday in holidays:
        if holiday.start.weekday() == SUNDAY and holiday.name not in never_moved:
            # one transfer per holiday spell: Nauryz's three days share one
            spell = {
                h.start
                for h in holidays
                if h.name == holiday.name and abs((h.start - holiday.start).days) <= 3
            }
            assert moved_from & spell, f"{holiday.name} on {holiday.start} has no transfer"
    first, last = date(int(data["academic_year"][:4]), 9, 1), date(int(data["academic_year"][-4:]), 8, 31)
    assert all(first <= h.start <= last for h in holidays)
    for key in {s.name for s in spans if s.kind in (CalendarKind.BREAK, CalendarKind.HOLIDAY)}:
        assert translate("kk", key) != key and translate("ru", key) != key and translate("en", key) != key


def test_what_is_an_estimate_is_marked_as_one() -> None:
    spans = read_year(YEARS_DIR / "kz-2026-2027.toml")
    school_year = [
        s for s in spans if s.kind in (CalendarKind.YEAR, CalendarKind.QUARTER, CalendarKind.BREAK)
    ]
    assert school_year and all(s.estimate for s in school_year)  # the 2026–2027 order: not checked
    estimates = {s.name for s in spans if s.kind == CalendarKind.HOLIDAY and s.estimate}
    assert estimates == {"calendar.name.kurban_ait"}  # the rest are fixed by law
    assert not any(s.estimate for s in read_year(YEARS_DIR / "kz-2025-2026.toml"))


def test_a_group_without_a_school_keeps_the_national_calendar(engine: Engine) -> None:
    with Session(engine) as session:
        calendar = calendar_for(session, None)
    assert calendar.day_off(date(2026, 12, 16)) is not None
    assert calendar.next_working_day(date(2026, 10, 25)) == date(2026, 11, 2)
    assert calendar.next_working_day(date(2026, 10, 24)) - date(2026, 10, 24) == timedelta(0)
