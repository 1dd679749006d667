"""Threads through the handlers' entry point on a real store: a parent's or pupil's own words reach
the staff member responsible through the outbox, the answer comes back the same way, and nothing a
family writes is dropped — stickers, empty and long messages, floods, a form left half done, a
teacher who has left."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.threads.write import HOURLY_LIMIT
from handlers.types import Upload
from models import (
    ChannelIdentity,
    DeliveryAttempt,
    Notification,
    Thread,
    ThreadMessage,
    ThreadNotice,
    TutoringGroup,
)
from models.clock import utcnow
from models.store import session_scope
from tests.support.homework import World, keys, page_image
from tests.support.threads import WEDNESDAY, build_school, messages, rendered, threads, to

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield build_school(engine, tmp_path / "media")


def choice_values(world: World, who: str, text: str) -> list[str]:
    [question] = world.say(who, text)
    assert question.text.key == "threads.ask_whom"
    return [choice.value for choice in question.choices]


# ---------------------------------------------------------------- whom it goes to


def test_a_parents_question_asks_whom_then_reaches_the_tutor_through_the_outbox(world: World) -> None:
    values = choice_values(world, "g1", "Здравствуйте, как дела у ребёнка?")
    pupil = world.ids["p1"]
    assert values == [f"thr:to:{pupil}:t:{world.groups['A1']}", f"thr:to:{pupil}:c:1", f"thr:to:{pupil}:a:1"]
    [sent] = world.press("g1", values[0])
    [thread] = threads(world)
    assert sent.text.key == "threads.sent.tutor" and sent.text.params["ref"] == thread.id
    assert thread.staff_id == world.ids["t1"] and thread.waiting_since is not None
    [notice] = to(world, "t1", "thread.to_staff")
    text = rendered(notice)
    assert f"#{thread.id}" in text and "Айгүл Сейітова" in text and "Нұрлан Сейітов" in text
    assert "Здравствуйте, как дела у ребёнка?" in text
    with Session(world.engine) as session:
        assert session.get(ThreadNotice, notice.id) is not None


def test_a_typed_number_chooses_and_the_class_teacher_gets_it(world: World) -> None:
    choice_values(world, "g1", "Вопрос о родительском собрании")
    [sent] = world.say("g1", "2")
    assert sent.text.key == "threads.sent.class_teacher"
    assert len(to(world, "ct1", "thread.to_staff")) == 1 and to(world, "t1") == []


@pytest.mark.parametrize(
    ("text", "who", "topic"),
    [
        ("Алгебрадан үй тапсырмасы түсініксіз", "t1", "tutor"),
        ("Не могу подключиться к Zoom", "a1", "assistant"),
    ],
)
def test_words_that_name_a_subject_or_trouble_choose_without_asking(
    world: World, text: str, who: str, topic: str
) -> None:
    [sent] = world.say("g1", text)
    assert sent.text.key == f"threads.sent.{topic}"
    assert len(to(world, who, "thread.to_staff")) == 1


def test_a_pupil_with_consent_writes_too_and_one_without_is_sent_to_a_parent(world: World) -> None:
    assert keys(world.say("p1", "Физика емес, алгебра туралы сұрақ")) == ["threads.sent.tutor"]
    assert keys(world.say("p3", "Сәлем")) == ["consent.pupil_needs_parent"]
    assert [t.family_id for t in threads(world)] == [world.ids["p1"]]


# ---------------------------------------------------------------- answers, both ways


def test_the_tutor_answers_with_the_reference_and_the_parent_answers_back(world: World) -> None:
    world.say("g1", "Алгебра: сколько задач на завтра?")
    [thread] = threads(world)
    [answered] = world.say("t1", f"#{thread.id} Бес есеп, 42-бет.")
    assert answered.text.key == "threads.answered"
    [answer] = to(world, "g1", "thread.to_family")
    assert "Бес есеп, 42-бет." in rendered(answer, "ru") and "Тимур Ахметов" in rendered(answer, "ru")
    assert threads(world)[0].waiting_since is None
    [thanks] = world.say("g1", f"#{thread.id} Спасибо!")
    assert thanks.text.key == "threads.sent.tutor"
    assert len(to(world, "t1", "thread.to_staff")) == 2 and threads(world)[0].waiting_since is not None


def test_a_telegram_reply_to_the_delivered_message_lands_in_its_thread(world: World) -> None:
    world.say("g1", "Алгебра: вопрос")
    [notice] = to(world, "t1", "thread.to_staff")
    with session_scope(world.engine) as session:  # what the dispatcher records for a delivered send
        tutor_identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.person_id == notice.person_id)
        ).one()
        session.add(
            DeliveryAttempt(
                notification_id=notice.id or 0,
                channel="telegram",
                identity_id=tutor_identity.id,
                outcome="delivered",
                provider_id="4242",
            )
        )
    assert keys(world.say("t1", "Ответ по реплаю", reply_to="4242")) == ["threads.answered"]
    # A reply to any other message of the bot is no thread's: the tutor's usual menu.
    assert keys(world.say("t1", "Что это?", reply_to="77")) == ["help.menu"]
    [answer] = to(world, "g1", "thread.to_family")
    assert "Ответ по реплаю" in rendered(answer, "ru")


def test_nobody_else_may_read_or_write_in_a_thread(world: World) -> None:
    world.say("g1", "Алгебра: личный вопрос")
    [thread] = threads(world)
    for stranger in ("g2", "t2"):
        [refused] = world.say(stranger, f"#{thread.id} а я прочитаю?")
        assert refused.text.key == "threads.unknown_ref"
        assert keys(world.say(stranger, f"#{thread.id}")) == ["threads.unknown_ref"]
    [history] = world.say("t1", f"#{thread.id}")
    assert history.text.key == "threads.history" and "личный вопрос" in history.text.render("kk")
    assert [c.value for c in history.choices] == [f"thr:done:{thread.id}"]


def test_the_tutors_threads_are_listed_oldest_first_and_can_be_set_aside(world: World) -> None:
    for who in ("g1", "g2"):
        world.say(who, "Алгебра: вопрос")
    count, *items = world.say("t1", "/threads")
    assert count.text.key == "threads.waiting_count" and count.text.params["count"] == 2
    first, second = threads(world)
    assert [i.text.params["ref"] for i in items] == [first.id, second.id]
    [aside] = world.press("t1", f"thr:done:{first.id}")
    assert aside.text.key == "threads.set_aside"
    _, remaining = world.say("t1", "/threads")
    assert remaining.text.params["ref"] == second.id
    assert keys(world.press("t2", f"thr:done:{second.id}")) == ["common.not_allowed"]
    assert keys(world.say("g1", "/threads")) == ["common.not_allowed"]


def test_a_long_list_of_threads_comes_a_page_at_a_time(world: World) -> None:
    with session_scope(world.engine) as session:
        for n in range(7):
            family, pupil = ("g1", "p1") if n % 2 else ("g2", "p2")
            since = utcnow() - timedelta(minutes=10 - n)
            thread = Thread(
                family_id=world.ids[family],
                pupil_id=world.ids[pupil],
                staff_id=world.ids["t1"],
                topic="tutor",
                group_id=world.groups["A1"],
                waiting_since=since,
            )
            session.add(thread)
            session.flush()
            session.add(ThreadMessage(thread_id=thread.id, author_id=world.ids[family], text=f"вопрос {n}"))
    replies = world.say("t1", "/threads")
    assert len(replies) == 1 + 5 + 1 and replies[-1].choices[0].value == "thr:list:5"
    assert "вопрос 0" in replies[1].text.render("ru")
    rest = world.press("t1", "thr:list:5")
    assert len(rest) == 1 + 2 and "вопрос 6" in rest[-1].text.render("ru")


# ---------------------------------------------------------------- nothing dropped


def test_a_sticker_and_an_empty_message_are_answered_in_words(world: World) -> None:
    assert keys(world.say("g1", unsupported="sticker")) == ["threads.unsupported"]
    assert keys(world.say("g1", "   ")) == ["threads.empty"]
    assert messages(world) == []


def test_a_voice_note_and_a_photo_are_stored_as_media_and_go_with_the_message(world: World) -> None:
    voice = Upload(data=b"OggS\x00voice", content_type="audio/ogg", as_document=True, size=10)
    world.say("g1", "Алгебра", uploads=(voice,))
    world.photos("g1", page_image(), text="Алгебра: вот фото")
    voice_note, photo = [m for m in messages(world) if m.media_path]
    assert (voice_note.kind, voice_note.text) == ("voice", "Алгебра")
    assert voice_note.media_path is not None and voice_note.media_path.endswith(".ogg")
    assert Path(voice_note.media_path).read_bytes() == b"OggS\x00voice"
    assert photo.kind == "photo" and photo.media_path is not None and photo.media_path.endswith(".jpg")
    sent = to(world, "t1", "thread.to_staff")
    assert [n.media_path for n in sent] == [voice_note.media_path, photo.media_path]


def test_a_flood_is_kept_in_the_thread_and_told_once(world: World) -> None:
    for n in range(HOURLY_LIMIT):
        assert keys(world.say("g1", f"Алгебра {n}")) == ["threads.sent.tutor"]
    held = world.say("g1", "Алгебра, ещё одно")
    assert keys(held) == ["threads.sent.tutor", "threads.held"]
    world.say("g1", "Алгебра, и ещё")
    assert len(messages(world)) == HOURLY_LIMIT + 2 and sum(m.held for m in messages(world)) == 2
    staff = to(world, "t1", "thread.to_staff")
    assert len(staff) == HOURLY_LIMIT + 1 and sum(":held:" in n.idempotency_key for n in staff) == 1
    with time_machine.travel(utcnow() + timedelta(hours=1, minutes=1)):
        assert keys(world.say("g1", "Алгебра, через час")) == ["threads.sent.tutor"]


def test_a_message_for_a_tutor_who_has_left_goes_to_the_coordinator(world: World) -> None:
    world.say("g1", "Алгебра: вопрос")
    [thread] = threads(world)
    with session_scope(world.engine) as session:
        group = session.get(TutoringGroup, world.groups["A1"])
        assert group is not None
        group.tutor_id = world.ids["t2"]
    replies = world.say("g1", f"#{thread.id} Есть новости?")
    assert keys(replies) == ["threads.redirected", "threads.sent.coordinator"]
    assert threads(world)[0].staff_id == world.ids["c1"]
    assert len(to(world, "c1", "thread.to_staff")) == 1
    assert keys(world.say("t1", f"#{thread.id} I still answer")) == ["threads.unknown_ref"]


def test_a_message_while_a_form_is_half_done_asks_whether_to_leave_it(world: World) -> None:
    world.homework(text="Algebra: page 10")
    world.homework(text="Algebra: page 11")
    assert keys(world.photos("p1", page_image())) == ["homework.ask_which"]
    [question] = world.say("p1", "Мұғалім, бұл қай тапсырма?")
    assert question.text.key == "threads.form_open"
    back, leave = (c.value for c in question.choices)
    assert keys(world.press("p1", back)) == ["threads.form_kept", "homework.ask_which"]
    assert to(world, "t1", "thread.to_staff") == []
    world.say("p1", "Бірақ шынымен сұрақ бар")
    left, whom = world.press("p1", leave)
    assert (left.text.key, whom.text.key) == ("threads.form_left", "threads.ask_whom")
    assert keys(world.say("p1", "1")) == ["threads.sent.tutor"]
    [notice] = to(world, "t1", "thread.to_staff")
    assert "Бірақ шынымен сұрақ бар" in rendered(notice, "kk")


def test_out_of_hours_the_family_is_told_when_to_expect_an_answer(world: World) -> None:
    with time_machine.travel(WEDNESDAY.replace(hour=22), tick=True):
        replies = world.say("g1", "Алгебра: вопрос поздно вечером")
    assert keys(replies) == ["threads.sent.tutor", "threads.out_of_hours"]
    assert replies[1].text.params["time"] == "08:00"
    assert replies[1].text.params["day"].key == "threads.day.tomorrow"
    [notice] = to(world, "t1", "thread.to_staff")
    assert not notice.urgent  # the outbox holds it until the tutor's quiet hours end


def test_a_long_answer_reaches_the_family_in_numbered_parts(world: World) -> None:
    world.say("g1", "Алгебра?")
    [thread] = threads(world)
    answer = "Жауап. " * 400  # 2,800 characters
    world.say("t1", f"#{thread.id} {answer}")
    parts = to(world, "g1", "thread.to_family")
    assert len(parts) == 3 and all(len(str(n.params["body"])) <= 1000 for n in parts)
    assert "(1/3)" in rendered(parts[0]) and "(3/3)" in rendered(parts[2])


def test_an_answer_to_a_pupil_whose_consent_was_withdrawn_is_not_sent(world: World) -> None:
    world.say("p1", "Алгебра: сұрақ")
    [thread] = threads(world)
    world.say("g1", "/consent")
    world.press("g1", f"consent:withdraw:{world.ids['p1']}")
    [refused] = world.say("t1", f"#{thread.id} Жауап")
    assert refused.text.key == "threads.not_delivered"
    with Session(world.engine) as session:
        assert session.exec(select(Notification).where(Notification.kind == "thread.to_family")).all() == []


def test_erasing_a_childs_data_erases_their_threads_and_files(world: World) -> None:
    world.photos("g1", page_image(), text="Алгебра: фото")
    [message] = messages(world)
    assert message.media_path is not None and Path(message.media_path).exists()
    [requested] = world.say("g1", "/forget")  # one child: the request goes to the coordinator at once
    world.say("c1", f"/confirm_forget {requested.text.params['id']}")
    assert threads(world) == [] and messages(world) == []
    assert not Path(message.media_path).exists()


def test_a_sticker_in_reply_to_a_thread_is_answered_in_words_not_with_the_history(world: World) -> None:
    world.say("g1", "Алгебра: вопрос")
    [thread] = threads(world)
    assert keys(world.say("t1", f"#{thread.id}", unsupported="sticker")) == ["threads.unsupported"]
    assert keys(world.say("g1", f"#{thread.id}", unsupported="sticker")) == ["threads.unsupported"]


def test_a_nul_character_is_dropped_and_a_message_of_nothing_else_is_empty(world: World) -> None:
    assert keys(world.say("g1", "\x00")) == ["threads.empty"]
    assert keys(world.say("g1", "Алгебра\x00 вопрос")) == ["threads.sent.tutor"]
    assert [m.text for m in messages(world)] == ["Алгебра вопрос"]
