"""The help menu lists the commands a person may use, by role, in their language."""

from __future__ import annotations

from typing import Any, cast

import pytest

from handlers.context import Config, Turn
from handlers.menu import menu
from handlers.types import Chat, Identity, Inbound
from locales import translate
from models.people import ChannelIdentity
from settings import Settings


def shown(roles: set[str], locale: str = "en", channel: str = "telegram") -> str:
    turn = Turn(
        session=cast(Any, None),
        inbound=Inbound(Identity("telegram", "1"), Chat("1")),
        identity=ChannelIdentity(channel="telegram", address="1"),
        config=Config.from_settings(Settings()),
        roles=roles,
    )
    return menu(turn).text.render(locale, channel)


def test_a_parent_sees_consent_but_no_staff_commands() -> None:
    text = shown({"guardian"})
    assert all(command in text for command in ("/consent", "/mydata", "/forget", "/channels", "/language"))
    assert all(
        command in text for command in ("/grades", "/attendance", "/homework", "/timetable", "/digest")
    )
    assert not any(command in text for command in ("/review", "/broadcast", "/status"))
    assert translate("en", "help.cmd.homework") not in text  # the child's homework, not setting it


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("kk", ("КЕЛІСІМ", "ДЕРЕКТЕР", "ӨШІРУ", "АРНАЛАР", "ТІЛ")),
        ("ru", ("СОГЛАСИЕ", "ДАННЫЕ", "УДАЛИТЬ", "КАНАЛЫ", "ЯЗЫК")),
    ],
)
def test_a_parent_by_sms_is_told_the_words_not_slash_commands(locale: str, words: tuple[str, ...]) -> None:
    text = shown({"guardian"}, locale, "sms")
    assert all(word in text for word in words)
    assert "/" not in text


def test_a_tutor_sees_homework_review_attendance_and_status() -> None:
    text = shown({"tutor"})
    assert all(command in text for command in ("/homework", "/review", "/attendance", "/status"))
    assert "/consent" not in text and "/broadcast" not in text


def test_a_class_teacher_who_tutors_sees_both_sets_in_kazakh() -> None:
    text = shown({"tutor", "class_teacher"}, "kk")
    assert text.startswith("Мен не істей аламын")
    assert "/broadcast" in text and "/homework" in text


def test_a_family_gets_buttons_to_write_and_to_report_a_problem_and_staff_their_threads() -> None:
    def turn(roles: set[str]) -> Turn:
        return Turn(
            session=cast(Any, None),
            inbound=Inbound(Identity("telegram", "1"), Chat("1")),
            identity=ChannelIdentity(channel="telegram", address="1"),
            config=Config.from_settings(Settings()),
            roles=roles,
        )

    family = menu(turn({"guardian"}))
    assert [c.value for c in family.choices][-2:] == ["thr:new:", "prb:start:"]  # after the record's views
    by_sms = family.text.render("en", "sms")
    assert "write to a teacher" in by_sms and "send PROBLEM" in by_sms  # the word the router takes
    assert "send /problem" in family.text.render("en", "telegram")
    staff = menu(turn({"tutor"}))
    assert (
        staff.choices == ()
        and "/threads" in staff.text.render("en")
        and "/absences" in staff.text.render("en")
    )
