"""The programmes sheet: a programme defined in the roster (a virtual class of up to 15 pupils across
schools), its rules checked and stored, the consent request naming it; bad programme rows; and a
programme's rules changed only where that cannot break another school's groups."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.types import Reply
from models import GroupMember, Programme, School, TutoringGroup
from roster import format_report, import_roster
from tests.handlers.test_joining import say
from tests.support.roster import NOW, SAMPLE_CSV, TTL, Table, counts, run

pytestmark = pytest.mark.store

VIRTUAL_CLASS = {
    "sheet": "programmes",
    "code": "virtual-class",
    "name": "Виртуалды сынып",
    "grades": "5-11",
    "subjects": "математика, физика, химия, биология, ағылшын тілі",
    "subjects_per_pupil": "1",
    "lessons_per_week": "3",
    "lesson_minutes": "45",
    "group_min": "5",
    "group_max": "15",
    "mixed_grades": "no",
    "outside_school_hours": "no",
    "low_income_only": "no",
    "consent_name_ru": "Виртуальный класс",
    "consent_name_en": "Virtual class",
    "weight_formative": "25",
    "weight_section": "25",
    "weight_term": "50",
}


def virtual_class() -> Table:
    """Twelve grade-8 pupils of two small schools in one mathematics class taught from SH3."""
    table = Table()
    table.rows = []
    table.append(**VIRTUAL_CLASS)
    pupils = []
    for school in ("SH3", "SH4"):
        table.append(
            sheet="schools",
            code=school,
            name=f"№{school[-1]} шағын мектеп",
            day_start="08:00",
            day_end="14:00",
        )
        table.append(sheet="classes", school=school, name="8А", grade="8")
        for n in range(1, 7):
            pupil = f"{school}-P{n}"
            pupils.append(pupil)
            table.append(
                sheet="people",
                id=pupil,
                full_name=f"Оқушы {pupil}",
                role="pupil",
                school=school,
                **{"class": "8А"},
            )
    table.append(sheet="people", id="SH3-T1", full_name="Әлімова Сәуле", role="tutor", school="SH3")
    table.append(
        sheet="people", id="SH4-G1", full_name="Петрова Анна", role="guardian", school="SH4", language="ru"
    )
    table.append(sheet="guardians", guardian="SH4-G1", pupil="SH4-P1")
    table.append(
        sheet="groups", code="VC-MATH-8", programme="virtual-class", subject="математика", school="SH3",
        tutor="SH3-T1", pupils=", ".join(pupils),
    )  # fmt: skip
    for day in ("Mon", "Wed", "Fri"):  # in school hours: a virtual class is a lesson of the school day
        table.append(sheet="lessons", group="VC-MATH-8", weekday=day, start="10:00", minutes="45")
    return table


def test_a_virtual_class_across_two_schools_is_set_up_from_the_roster(engine: Engine, tmp_path: Path) -> None:
    path = virtual_class().write(tmp_path / "virtual.csv")
    report = import_roster(engine, path, dry_run=False, invite_ttl=TTL)  # codes valid today
    assert report.ok and report.notes == [], format_report(report, "en")
    with Session(engine) as session:
        programme = session.exec(select(Programme).where(Programme.code == "virtual-class")).one()
        assert (programme.min_group_size, programme.max_group_size, programme.subjects_per_pupil) == (
            5,
            15,
            1,
        )
        assert (programme.lessons_per_week, programme.lesson_minutes, programme.outside_school_hours) == (
            3,
            45,
            False,
        )
        assert (programme.min_grade, programme.max_grade, programme.low_income_only) == (5, 11, False)
        assert programme.subjects == ["mathematics", "physics", "chemistry", "biology", "english"]
        assert programme.consent_names == {
            "kk": "Виртуалды сынып",
            "ru": "Виртуальный класс",
            "en": "Virtual class",
        }
        assert programme.weights == {"formative": 25, "section": 25, "term": 50}
        group = session.exec(select(TutoringGroup).where(TutoringGroup.code == "VC-MATH-8")).one()
        assert len(session.exec(select(GroupMember).where(GroupMember.group_id == group.id)).all()) == 12
        assert len(session.exec(select(School)).all()) == 2

    code = next(i.code for i in report.invites if i.external_id == "SH4-G1")
    say(engine, f"/start {code}", user="g")
    request: Reply = say(engine, choice="lang:ru", user="g")[-1]
    assert request.text.key == "consent.request"
    assert "проекта «Виртуальный класс» (предметы: Математика)" in request.text.render("ru")
    [details, _again] = say(engine, choice=request.choices[2].value, user="g")
    text = details.text.render("ru")
    assert "каждое не меньше 45 мин.; в группе 5–15 учеников" in text and "внеурочное" not in text


def test_a_sixteenth_pupil_is_one_too_many_for_a_virtual_class(engine: Engine, tmp_path: Path) -> None:
    table = virtual_class()
    group = table.find("groups", code="VC-MATH-8")
    for n in (7, 8, 9, 10):
        table.append(
            sheet="people",
            id=f"SH4-P{n}",
            full_name=f"Оқушы {n}",
            role="pupil",
            school="SH4",
            **{"class": "8А"},
        )
        group["pupils"] += f", SH4-P{n}"
    report = run(engine, table.write(tmp_path / "sixteen.csv"))
    assert [(e.sheet, e.field, e.reason.key) for e in report.errors] == [
        ("groups", "pupils", "roster.error.group_size")
    ]
    assert format_report(report, "en")[1].endswith("Pupils in the group: 16; the programme allows 5 to 15")


@pytest.mark.parametrize(
    ("column", "value", "at", "key"),
    [
        ("weight_term", "40", "weight_term", "roster.error.weights_sum"),
        ("group_min", "16", "group_max", "roster.error.group_bounds"),
        ("grades", "11-5", "grades", "roster.error.bad_grades"),
        ("subjects_per_pupil", "6", "subjects_per_pupil", "roster.error.more_subjects_than_offered"),
        ("lesson_minutes", "5", "lesson_minutes", "roster.error.bad_number"),
        ("outside_school_hours", "sometimes", "outside_school_hours", "roster.error.bad_flag"),
    ],
)
def test_a_bad_programme_row_is_named_and_nothing_is_written(
    engine: Engine, tmp_path: Path, column: str, value: str, at: str, key: str
) -> None:
    table = virtual_class()
    table.find("programmes", code="virtual-class")[column] = value
    before = counts(engine)
    report = run(engine, table.write(tmp_path / "bad.csv"))
    assert [(e.sheet, e.row, e.field, e.reason.key) for e in report.errors] == [("programmes", 2, at, key)]
    assert counts(engine) == before
    for language in ("kk", "ru", "en"):
        assert "roster.error" not in format_report(report, language)[1]


def test_bad_school_days_are_named(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    table.find("schools", code="SH2")["school_days"] = "Fri-Mon"
    report = run(engine, table.write(tmp_path / "days.csv"))
    assert [(e.sheet, e.field, e.reason.key) for e in report.errors] == [
        ("schools", "school_days", "roster.error.bad_days")
    ]


def test_the_file_changes_a_programmes_rules_and_they_apply_at_once(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    table = Table()
    table.find("programmes", code="digital-tutor")["lesson_minutes"] = "45"
    table.find("programmes", code="digital-tutor")["weight_term"] = "40"
    table.find("programmes", code="digital-tutor")["weight_formative"] = "35"
    report = run(engine, table.write(tmp_path / "shorter.csv"))
    assert report.ok and report.count("programme", "updated") == 1
    with Session(engine) as session:
        programme = session.exec(select(Programme)).one()
        assert programme.lesson_minutes == 45
        assert programme.weights == {"formative": 35, "section": 25, "term": 40}

    table.find("programmes", code="digital-tutor")["group_max"] = "4"
    report = run(engine, table.write(tmp_path / "smaller.csv"))
    assert [(e.sheet, e.row, e.reason.key) for e in report.errors] == [
        ("groups", table.line("groups", code="ALG-8"), "roster.error.group_size")
    ]


def test_a_programme_changed_by_one_schools_file_is_checked_in_every_schools_groups(
    engine: Engine, tmp_path: Path
) -> None:
    """SH2's algebra group has five pupils: another school's file may not make the shared
    programme's groups four at most."""
    assert run(engine, SAMPLE_CSV).ok
    table = virtual_class()
    table.rows = [r for r in table.rows if r["sheet"] != "programmes"]
    table.append(
        **{
            **VIRTUAL_CLASS,
            "code": "digital-tutor",
            "group_min": "3",
            "group_max": "4",
            "subjects": "математика",
        }
    )
    table.find("groups", code="VC-MATH-8").update(
        programme="digital-tutor", pupils="SH3-P1, SH3-P2, SH3-P3, SH4-P1"
    )
    before = counts(engine)
    report = run(engine, table.write(tmp_path / "other.csv"))
    assert [(e.sheet, e.row, e.reason.key) for e in report.errors] == [
        ("groups", 0, "roster.error.group_size")
    ]
    assert counts(engine) == before


def test_a_schools_own_upload_may_not_change_a_shared_programme(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    only = frozenset({"SH2"})

    def limited(path: Path) -> list[tuple[str, int, str, str]]:
        report = import_roster(engine, path, dry_run=True, invite_ttl=TTL, now=NOW, only_schools=only)
        return [(e.sheet, e.row, e.field, e.reason.key) for e in report.errors]

    assert limited(SAMPLE_CSV) == []  # the programme as it is stored: nothing changes
    table = Table()
    table.find("programmes", code="digital-tutor")["group_max"] = "6"
    assert limited(table.write(tmp_path / "bigger.csv")) == [
        ("programmes", 2, "code", "roster.error.programme_of_everyone")
    ]
