"""Families never read a group's code: a class teacher picks a tutoring group by its name («Алгебра,
8 сынып»), and the texts that reach families name the subject only."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.group_names import group_name
from locales import LANGUAGES, catalogue, plurals
from models import GroupMember, SchoolClass, TutoringGroup
from models.store import session_scope
from tests.support.attendance import StaffWorld, build_staff_world

# Every text the outbox or a reply carries to a pupil or a guardian.
FAMILY_KEYS = (
    "notify.lesson.reminder",
    "notify.lesson.cancelled",
    "notify.lesson.moved",
    "notify.homework.reminder",
    "notify.homework.missed_guardian",
    "attendance.absent_guardian",
    "consent.request",
    "consent.reminder",
    "consent.details",
    "broadcast.message",
    "postal.notice",
    "status.nudge_pupil",
    "post.message",
    "paper.notify.given",
    "paper.notify.withdrawn",
    "fix.notify.pupil",
    "fix.notify.guardian",
)


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def test_a_group_is_named_by_its_subject_and_grade(staff: StaffWorld) -> None:
    with Session(staff.engine) as session:
        group = session.get(TutoringGroup, staff.groups["A1"])
        assert group is not None
        name = group_name(session, group)
    assert [name.render(language) for language in LANGUAGES] == [
        "Алгебра, 8 сынып",
        "Алгебра, 8 класс",
        "Algebra, grade 8",
    ]


def test_a_group_across_grades_names_their_range(staff: StaffWorld) -> None:
    """p4 is in 8B (group F1); 8B becomes a grade 9 class and p4 joins A1 too."""
    with session_scope(staff.engine) as session:
        klass = session.get(SchoolClass, staff.classes["8B"])
        assert klass is not None
        klass.grade = 9
        session.add(GroupMember(group_id=staff.groups["A1"], pupil_id=staff.ids["p4"]))
    with Session(staff.engine) as session:
        f1, a1 = (session.get(TutoringGroup, staff.groups[code]) for code in ("F1", "A1"))
        assert f1 is not None and a1 is not None
        assert group_name(session, f1).render("ru") == "Физика, 9 класс"
        assert group_name(session, a1).render("kk") == "Алгебра, 8–9 сынып"


def test_the_class_teacher_picks_a_tutoring_group_by_its_name(staff: StaffWorld) -> None:
    staff.say("c1", "/broadcast")
    [audience] = staff.say("c1", "Жиналыс жұмада.")
    labels = [choice.label.render("ru") for choice in audience.choices]
    assert "Ученики группы: Алгебра, 8 класс (A1)" in labels


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_for_families_names_a_group(language: str) -> None:
    for key in FAMILY_KEYS:
        texts = [catalogue(language).get(key, ""), *plurals(language).get(key, ())]
        assert any(texts), key
        names = {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}
        assert "group" not in names and "code" not in names, key
