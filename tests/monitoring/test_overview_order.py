"""The overview's breakdowns, the page heading's classes and the attention list's pages, in the
reader's alphabet: Kazakh letters (Ә Ө Ү Ұ Қ Ң Ғ І Һ) in their places, not after «Я» as code-point
order puts them, and numbers by value («8А» before «10Б»)."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import monitoring
from bots.web.overview import heading, units_page
from bots.web.view import View
from models.people import Person
from models.school import SchoolClass, TutoringGroup
from models.store import session_scope
from monitoring import periods
from monitoring.attention import attention
from monitoring.figures import Figures, Reading
from monitoring.overview import overview
from monitoring.scope import CLASS, Scope
from tests.support.overview import NOW, ZONE, Term, build_term

pytestmark = pytest.mark.store

# The sample school's groups renamed, and the order a Kazakh reader expects them in.
GROUP_CODES = {"ALG-8": "Қазақ тілі 10Б", "CHEM-8": "Қазақ тілі 8А", "PHYS-9": "Әдебиет", "HIST-9": "Ағылшын"}
GROUPS_IN_ORDER = ["Ағылшын", "Әдебиет", "Қазақ тілі 8А", "Қазақ тілі 10Б"]
# Tutors' names, in the Kazakh alphabet's order: … о ө … у ұ ү … х һ … ы і …
TUTORS_IN_ORDER = ["Омаров Азамат", "Өтегенов Бауыржан", "Ұлықбек Ғалия", "Үсенова Ләззат", "Һасенов Ерлан"]


@pytest.fixture
def term(engine: Engine) -> Term:
    found = build_term(engine)
    with session_scope(engine) as session:
        for group in session.exec(select(TutoringGroup)).all():
            group.code = GROUP_CODES.get(group.code, group.code)
        tutors = sorted({g.tutor_id for g in session.exec(select(TutoringGroup)).all() if g.tutor_id})
        assert 2 <= len(tutors) <= len(TUTORS_IN_ORDER)
        # Given in reverse, so the ids' order is not the alphabet's.
        for tutor, name in zip(tutors, reversed(TUTORS_IN_ORDER[: len(tutors)]), strict=True):
            person = session.get(Person, tutor)
            assert person is not None
            person.full_name = name
    return found


def reading(engine: Engine, person_id: int, language: str = "kk") -> Reading:
    with Session(engine) as session:
        scope = monitoring.scope_of(session, person_id)
    assert scope is not None
    quarter = periods.current_quarter(NOW.astimezone(ZONE).date())
    return Reading(scope, quarter, ZONE, NOW, language)


def test_groups_and_tutors_are_listed_in_the_kazakh_alphabet(term: Term) -> None:
    with Session(term.engine) as session:
        found = overview(session, reading(term.engine, term.coordinator))
    groups = [unit.name for unit in found.units["group"]]
    tutors = [unit.name for unit in found.units["tutor"]]
    assert groups == GROUPS_IN_ORDER
    assert groups != sorted(groups)  # code-point order puts «Ә» last and «10Б» before «8А»
    assert tutors == [name for name in TUTORS_IN_ORDER if name in tutors]
    assert tutors != sorted(tutors)
    # The page keeps that order when sorted by name, and for ties of a figure.
    page = units_page(list(reversed(found.units["group"])), "", "name", 1, "kk")
    assert [unit.name for unit in page.items] == GROUPS_IN_ORDER
    by_pupils = units_page(found.units["group"], "", "pupils", 1, "kk")
    counts = [unit.figures.pupils for unit in by_pupils.items]
    assert counts == sorted(counts, reverse=True)
    for count in set(counts):
        tied = [unit.name for unit in by_pupils.items if unit.figures.pupils == count]
        assert tied == [name for name in GROUPS_IN_ORDER if name in tied]


def test_a_tutors_groups_are_named_in_the_readers_alphabet(term: Term) -> None:
    with session_scope(term.engine) as session:
        for group in session.exec(select(TutoringGroup)).all():
            group.tutor_id = term.tutor
    with Session(term.engine) as session:
        found = overview(session, reading(term.engine, term.coordinator, "ru"))
    (tutor,) = [unit for unit in found.units["tutor"] if unit.key == term.tutor]
    # Russian order: а ә б …, к қ …; numbers by value.
    assert tutor.detail == ", ".join(GROUPS_IN_ORDER)


def test_an_attention_page_past_the_last_one_shows_the_last(term: Term) -> None:
    read = reading(term.engine, term.coordinator)
    with Session(term.engine) as session:
        whole = attention(session, read, size=100)
        first = attention(session, read, size=10)
        past = attention(session, read, size=10, page=99)
        none = attention(session, read, search="нет такого ученика")
    assert first.total == past.total == whole.total == 39
    assert [row.pupil_id for row in first.items] == [row.pupil_id for row in whole.items[:10]]
    assert past.number == 4 and [row.pupil_id for row in past.items] == [
        row.pupil_id for row in whole.items[30:]
    ]
    assert (none.total, none.items) == (0, [])


def test_the_headings_classes_are_in_the_readers_alphabet(term: Term) -> None:
    names = {"8А": "10Б", "9Б": "8Ә"}  # the sample school's classes, renamed
    with session_scope(term.engine) as session:
        classes = session.exec(select(SchoolClass)).all()
        for school_class in classes:
            school_class.name = names.get(school_class.name, school_class.name)
        ids = frozenset(c.id for c in classes if c.id is not None)
    scope = Scope(person_id=term.teacher_9b, level=CLASS, class_ids=ids)
    quarter = periods.current_quarter(NOW.astimezone(ZONE).date())
    view = View(term.teacher_9b, scope, scope, quarter, ZONE, NOW, language="kk")
    assert heading(term.engine, view) == "8Ә, 10Б"  # by value, not «10Б, 8Ә»


def test_figures_add_up_every_count_they_hold() -> None:
    """`Figures.add` names its fields one by one: a count added to `Figures` later must be added too."""
    counts = [f.name for f in fields(Figures) if f.name != "reasons"]
    one = Figures(**{name: n + 1 for n, name in enumerate(counts)}, reasons=Counter({"ill": 2}))
    both = Figures()
    both.add(one)
    both.add(one)
    assert {name: getattr(both, name) for name in counts} == {
        name: 2 * (n + 1) for n, name in enumerate(counts)
    }
    assert both.reasons == Counter({"ill": 4})
