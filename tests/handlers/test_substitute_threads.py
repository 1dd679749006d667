"""A family's question to "the tutor" while a substitute tutor has the group, through the handlers'
entry point on a real store: it reaches the substitute (the choice says so), a thread opened with the
group's own tutor before stays theirs, and a message in the substitute's thread once the substitution
is over goes on to whoever tutors the group then, as does a question still waiting for the
substitute's answer when it ends — nothing the family writes is left with someone no longer
responsible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import select

from models import Substitution
from models.clock import utcnow
from models.store import session_scope
from scheduler.jobs import DeriveOptions, derive_due
from settings import Settings
from tests.support.homework import World, keys
from tests.support.threads import WEDNESDAY, build_school, rendered, threads, to

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield build_school(engine, tmp_path / "media")


def substitute(world: World) -> None:
    """Дана Омарова (t2) takes group A1 from yesterday to Friday."""
    today = WEDNESDAY.date()
    with session_scope(world.engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=today - timedelta(days=1),
                ends=today + timedelta(days=2),
            )
        )


def end_early(world: World) -> None:
    with session_scope(world.engine) as session:
        session.exec(select(Substitution)).one().ended_at = utcnow()


def test_the_choice_names_the_substitute_and_the_question_reaches_them(world: World) -> None:
    substitute(world)
    [question] = world.say("g1", "Здравствуйте, как дела у ребёнка?")
    assert question.text.key == "threads.ask_whom"
    pupil, tutor = world.ids["p1"], question.choices[0]
    assert tutor.value == f"thr:to:{pupil}:t:{world.groups['A1']}"
    assert tutor.label.key == "threads.whom.substitute"
    assert tutor.label.render("kk") == "Алгебра: алмастырушы ұстаз"
    assert tutor.label.render("ru") == "Алгебра: замещающий наставник"
    assert tutor.label.render("en") == "Algebra: substitute tutor"
    assert keys(world.press("g1", tutor.value)) == ["threads.sent.substitute"]
    [thread] = threads(world)
    assert (thread.staff_id, thread.topic) == (world.ids["t2"], "substitute")
    assert len(to(world, "t2", "thread.to_staff")) == 1 and to(world, "t1") == []
    # The substitute answers; the family reads who answered, and in what role.
    assert keys(world.say("t2", f"#{thread.id} Всё хорошо, задачи решает.")) == ["threads.answered"]
    [answer] = to(world, "g1", "thread.to_family")
    assert "Дана Омарова, замещающий наставник (Алгебра)" in rendered(answer, "ru")


def test_a_question_naming_the_subject_goes_to_the_substitute_without_asking(world: World) -> None:
    substitute(world)
    assert keys(world.say("g1", "Алгебра: сколько задач на завтра?")) == ["threads.sent.substitute"]
    assert len(to(world, "t2", "thread.to_staff")) == 1 and to(world, "t1") == []


def test_a_thread_opened_before_the_substitution_stays_with_the_own_tutor(world: World) -> None:
    world.say("g1", "Алгебра: вопрос до замещения")
    [before] = threads(world)
    substitute(world)
    # Replies keep flowing where they were: the family's and the own tutor's.
    assert keys(world.say("g1", f"#{before.id} И ещё вопрос")) == ["threads.sent.tutor"]
    assert len(to(world, "t1", "thread.to_staff")) == 2
    assert keys(world.say("t1", f"#{before.id} Жауап беремін")) == ["threads.answered"]
    # A new question is the substitute's.
    assert keys(world.say("g1", "Алгебра: новый вопрос")) == ["threads.sent.substitute"]
    assert [(t.staff_id, t.topic) for t in threads(world)] == [
        (world.ids["t1"], "tutor"),
        (world.ids["t2"], "substitute"),
    ]


@pytest.mark.parametrize("over", ["ended_early", "days_passed"])
def test_after_the_substitution_the_family_writing_in_its_thread_reaches_the_own_tutor(
    world: World, over: str
) -> None:
    substitute(world)
    world.say("g1", "Алгебра: вопрос замещающему")
    [thread] = threads(world)
    if over == "ended_early":
        end_early(world)
        replies = world.say("g1", f"#{thread.id} Есть новости?")
    else:
        with time_machine.travel(WEDNESDAY + timedelta(days=5), tick=True):  # the next Monday
            replies = world.say("g1", f"#{thread.id} Есть новости?")
    assert keys(replies) == ["threads.substitution_over", "threads.sent.tutor"]
    assert replies[0].text.render("en") == (
        "The substitution is over, so your message went to the one who teaches the group now: "
        "Тимур Ахметов, digital tutor (Algebra)."
    )
    [moved] = threads(world)
    assert (moved.staff_id, moved.topic) == (world.ids["t1"], "tutor")
    [notice] = to(world, "t1", "thread.to_staff")
    assert "Есть новости?" in rendered(notice)
    # The own tutor reads the thread and answers; the former substitute no longer may.
    assert keys(world.say("t1", f"#{thread.id}")) == ["threads.history"]
    assert keys(world.say("t2", f"#{thread.id} Я ещё здесь")) == ["threads.unknown_ref"]


def derive(world: World) -> None:
    """One run of the scheduler's derivation, now."""
    now = utcnow()
    with session_scope(world.engine) as session:
        derive_due(
            session,
            now - timedelta(minutes=30),
            now + timedelta(minutes=2),
            now=now,
            options=DeriveOptions.from_settings(Settings()),
        )


def test_a_question_waiting_when_the_substitution_ends_goes_on_to_the_own_tutor(world: World) -> None:
    substitute(world)
    world.say("g1", "Алгебра: ответа ещё нет")
    [thread] = threads(world)
    derive(world)  # while the substitution holds, nothing moves
    assert threads(world)[0].staff_id == world.ids["t2"]
    end_early(world)
    for _ in range(2):  # derived again: told once
        derive(world)
    [moved] = threads(world)
    assert (moved.staff_id, moved.topic) == (world.ids["t1"], "tutor")
    [notice] = to(world, "t1", "thread.to_staff")
    text = rendered(notice)
    assert f"#{thread.id}" in text and "Айгүл Сейітова" in text and "Дана Омарова" in text
    [told] = to(world, "g1", "thread.to_family")
    assert rendered(told, "ru") == (
        f"Замещение закончилось, поэтому ваш вопрос #{thread.id} передан тому, кто сейчас ведёт группу: "
        "Тимур Ахметов, цифровой наставник (Алгебра). Ответ придёт в этот чат."
    )
    # The own tutor answers it in the same conversation; the former substitute no longer may.
    assert keys(world.say("t1", f"#{thread.id} Отвечаю я")) == ["threads.answered"]
    assert keys(world.say("t2", f"#{thread.id} И я")) == ["threads.unknown_ref"]


def test_an_answered_conversation_stays_until_the_family_writes_again(world: World) -> None:
    substitute(world)
    world.say("g1", "Алгебра: вопрос")
    [thread] = threads(world)
    assert keys(world.say("t2", f"#{thread.id} Ответ")) == ["threads.answered"]
    end_early(world)
    derive(world)
    assert (threads(world)[0].staff_id, to(world, "t1")) == (world.ids["t2"], [])
    assert keys(world.say("g1", f"#{thread.id} Спасибо, а ещё?")) == [
        "threads.substitution_over",
        "threads.sent.tutor",
    ]


def test_a_problem_reported_ahead_for_the_substitutes_lesson_stays_with_them_before_it_begins(
    world: World,
) -> None:
    """On Friday the mother reports Нұрлан ill for the next lesson, which falls in Дана Омарова's
    substitution from Saturday: the conversation is hers, and so is the mother's next message in it,
    though the group is still its own tutor's that day."""
    friday = WEDNESDAY + timedelta(days=2)
    with session_scope(world.engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=friday.date() + timedelta(days=1),
                ends=friday.date() + timedelta(days=7),
            )
        )
    with time_machine.travel(friday, tick=True):
        [ask_kind] = world.say("g1", "/problem")
        [ask_lesson] = world.press("g1", next(c.value for c in ask_kind.choices if c.value.endswith(":ill")))
        ahead = [c.value for c in ask_lesson.choices if c.value[-10:] > friday.date().isoformat()]
        assert keys(world.press("g1", ahead[0])) == ["problems.recorded"]
        [thread] = threads(world)
        assert (thread.staff_id, thread.topic) == (world.ids["t2"], "substitute")
        assert keys(world.say("g1", f"#{thread.id} Врач сказал, до среды")) == ["threads.sent.substitute"]
        derive(world)  # waiting for her answer, it is not handed on either
    assert threads(world)[0].staff_id == world.ids["t2"]
    assert [n.key for n in to(world, "t1", "problem.reported")] == ["problems.to_tutor_substituted"]
