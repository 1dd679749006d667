"""Alphabetical order as a Kazakh or Russian reader expects it, in chats, tables and exports."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import monitoring
from locales.collation import Names, sort_key
from models import Person
from models.enums import Role
from models.invites import class_people
from models.store import session_scope
from tests.support.attendance import StaffWorld, build_staff_world

ZONE = ZoneInfo("Asia/Almaty")
NAMES = [
    "Соколова Анна",
    "Сәрсенбаев Ерлан",
    "Қасымов Дәулет",
    "Әлиев Марат",
    "Ахметов Алихан",
    "Бекова Аружан",
    "Кенжебаев Нұрлан",
    "Ыбыраев Арман",
    "Ільясов Самат",
    "Иванова Анна",
    "Иванов Пётр",
    "Ёлкин Олег",
    "Ефимов Иван",
]
KAZAKH_ORDER = [
    "Ахметов Алихан",
    "Әлиев Марат",
    "Бекова Аружан",
    "Ефимов Иван",
    "Ёлкин Олег",
    "Иванов Пётр",
    "Иванова Анна",
    "Кенжебаев Нұрлан",
    "Қасымов Дәулет",
    "Сәрсенбаев Ерлан",
    "Соколова Анна",
    "Ыбыраев Арман",
    "Ільясов Самат",
]
RUSSIAN_ORDER = [
    "Ахметов Алихан",
    "Әлиев Марат",
    "Бекова Аружан",
    "Ёлкин Олег",  # ё is е: «Ёлкин» before «Ефимов», as «ел» before «еф»
    "Ефимов Иван",
    "Иванов Пётр",
    "Иванова Анна",
    "Ільясов Самат",  # і after и, where Unicode's default order puts it
    "Кенжебаев Нұрлан",
    "Қасымов Дәулет",
    "Сәрсенбаев Ерлан",
    "Соколова Анна",
    "Ыбыраев Арман",
]


@pytest.mark.parametrize(("language", "expected"), [("kk", KAZAKH_ORDER), ("ru", RUSSIAN_ORDER)])
def test_names_sort_in_the_readers_alphabet(language: str, expected: list[str]) -> None:
    assert sorted(NAMES, key=lambda name: sort_key(language, name)) == expected


def test_code_point_order_is_what_this_replaces() -> None:
    """By code point every Kazakh letter comes after я: Қ and Ә names last, Сәрсенбаев after Соколова."""
    assert sorted(NAMES)[-2:] == ["Қасымов Дәулет", "Әлиев Марат"]
    assert sorted(NAMES).index("Соколова Анна") < sorted(NAMES).index("Сәрсенбаев Ерлан")


def test_case_spaces_and_numbers() -> None:
    key = sort_key
    assert sorted(["10Б", "8А", "11А", "9В"], key=lambda c: key("kk", c)) == ["8А", "9В", "10Б", "11А"]
    assert key("kk", "әлиев") < key("kk", "Бекова") and key("kk", "Әлиев") < key("kk", "бекова")
    assert sorted(["Smith", "Ахметов", "Әлі"], key=lambda n: key("kk", n)) == ["Ахметов", "Әлі", "Smith"]


def test_a_list_of_names_is_sorted_when_it_is_read() -> None:
    names = Names(("Соколова Анна", "Сәрсенбаев Ерлан", "Қасымов Дәулет"))
    assert names.render("kk") == "Қасымов Дәулет, Сәрсенбаев Ерлан, Соколова Анна"
    assert Names(()).render("ru") == "—"


# ---------------------------------------------------------------- in chats and tables


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    world = build_staff_world(engine, tmp_path / "media")
    renamed = {"p1": "Соколова Анна", "p2": "Ыбыраев Арман", "p3": "Ільясов Самат", "p4": "Қасымов Дәулет"}
    with session_scope(engine) as session:
        for name, full_name in renamed.items():
            person = session.get(Person, world.ids[name])
            assert person is not None
            person.full_name = full_name
    return world


def _set_locale(staff: StaffWorld, who: str, locale: str) -> None:
    with session_scope(staff.engine) as session:
        person = session.get(Person, staff.ids[who])
        assert person is not None
        person.locale = locale


@pytest.mark.parametrize(
    ("locale", "order"),
    [
        ("kk", ["Соколова Анна", "Ыбыраев Арман", "Ільясов Самат"]),
        ("ru", ["Ільясов Самат", "Соколова Анна", "Ыбыраев Арман"]),
    ],
)
def test_the_attendance_sheet_lists_pupils_in_the_tutors_alphabet(
    staff: StaffWorld, locale: str, order: list[str]
) -> None:
    _set_locale(staff, "t1", locale)
    _header, *rows = staff.say("t1", "/attendance")
    assert [row.text.params["pupil"] for row in rows] == order


def test_the_consent_table_follows_the_readers_alphabet(staff: StaffWorld) -> None:
    """By class, then by name: p1–p3 are in 8A, p4 in 8B."""
    pupils = frozenset(staff.ids[p] for p in ("p1", "p2", "p3", "p4"))
    scope = monitoring.Scope(staff.ids["c1"], frozenset(), frozenset(), pupils)
    with Session(staff.engine) as session:
        for language, order in (
            ("kk", ["Соколова Анна", "Ыбыраев Арман", "Ільясов Самат", "Қасымов Дәулет"]),
            ("ru", ["Ільясов Самат", "Соколова Анна", "Ыбыраев Арман", "Қасымов Дәулет"]),
        ):
            table = monitoring.table(session, scope, "consent", ZONE, language=language)
            assert [row[1] for row in table.rows] == order


def test_the_invitation_lists_follow_the_readers_alphabet(staff: StaffWorld) -> None:
    """The class's pupils on the dashboard's invitation list (and its printed sheet, and /invite)."""
    with Session(staff.engine) as session:
        for language, order in (
            ("kk", ["Соколова Анна", "Ыбыраев Арман", "Ільясов Самат"]),
            ("ru", ["Ільясов Самат", "Соколова Анна", "Ыбыраев Арман"]),
        ):
            people = class_people(session, staff.classes["8A"], language)
            names = {p.id: p.full_name for p in session.exec(select(Person)).all()}
            assert [names[pid] for pid, role in people if role == Role.PUPIL.value] == order
