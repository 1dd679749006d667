"""End to end over HTTP through the Telegram emulator: a parent joins by sharing their phone, reads
the consent text in full and agrees, changes language, then withdraws; the child joins by a typed
code and, once consent is withdrawn, is told a parent must agree; spent, expired and mistyped codes
say which; a parent's staff commands are refused in their language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bots.app import start
from locales import T
from models import Consent, Guardianship, Membership, Person, School
from models.invites import issue_invite
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram

pytestmark = pytest.mark.flow
PARENT, CHILD, STRANGER = 801, 802, 803
PHONE = "+77011234567"
CHILD_NAME = "Нұрлан Сейітов"


def seed_family(db_url: str) -> dict[str, str]:
    """A parent (phone on the roster, no code needed) and their child with an invite; another
    pupil's invite that has expired. Returns the codes."""
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        school = School(code="s1", name="№1 мектеп")
        parent = Person(external_id="g1", full_name="Айгүл Сейітова", phone=PHONE)
        child = Person(external_id="p1", full_name=CHILD_NAME)
        other = Person(external_id="p2", full_name="Аружан Бекова")
        session.add_all([school, parent, child, other])
        session.flush()
        assert school.id and parent.id and child.id and other.id
        session.add(Guardianship(guardian_id=parent.id, pupil_id=child.id))
        session.add(Membership(person_id=parent.id, role="guardian", school_id=school.id))
        for pupil in (child.id, other.id):
            session.add(Membership(person_id=pupil, role="pupil", school_id=school.id))
        codes = {
            "child": issue_invite(session, child.id, ttl=timedelta(days=1)).code,
            "expired": issue_invite(session, other.id, ttl=timedelta(seconds=-1)).code,
        }
    engine.dispose()
    return codes


async def test_a_parent_joins_consents_changes_language_and_withdraws_over_http(
    tmp_path: Path, db_url: str
) -> None:
    codes = seed_family(db_url)
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            for user_id, name in ((PARENT, "Айгүл"), (CHILD, "Нұрлан"), (STRANGER, "Асқар")):
                telegram.add_user(user_id, name)
            parent, child, stranger = (Chatting(telegram, uid) for uid in (PARENT, CHILD, STRANGER))

            # The parent has no code: the greeting offers the contact button, and the shared phone
            # matches the roster.
            [greeting] = await parent.text("/start")
            assert greeting.reply_markup is not None
            assert greeting.reply_markup["keyboard"][0][0]["request_contact"]
            telegram.inject_contact(PARENT, "87011234567")
            welcome, language = await parent.answers(2)
            assert welcome.text == on_telegram("kk", "join.welcome", name="Айгүл Сейітова")
            assert choices(language) == ["lang:kk", "lang:ru", "lang:en"]

            # Russian; then the consent request, its longer text, and yes.
            chosen, request = await parent.press(language, "lang:ru", 2)
            assert chosen.text == on_telegram("ru", "language.set")
            assert request.text is not None and CHILD_NAME in request.text
            assert "«Цифровой наставник»" in request.text  # the programme, named in the parent's language
            yes, no, more = choices(request)
            assert (yes.split(":")[:2], no.split(":")[:2], more.split(":")[:2]) == (
                ["consent", "yes"],
                ["consent", "no"],
                ["consent", "more"],
            )
            details, asked_again = await parent.press(request, more, 2)
            digital_tutor = T("consent.rules.outside_hours", lessons=2, minutes=60, min=3, max=5)
            assert details.text == on_telegram(
                "ru", "consent.details", pupil=CHILD_NAME, lessons=digital_tutor
            )
            thanks, caught_up = await parent.press(asked_again, yes, 2)
            assert thanks.text == on_telegram("ru", "consent.thanks_yes", pupil=CHILD_NAME)
            assert caught_up.text is not None and caught_up.text.startswith(
                f"Ученик: {CHILD_NAME}. Что сейчас важно"
            )

            # The child types the code (no /start); the same code again, an expired and a mistyped
            # one each say which.
            joined, child_language = await child.text(codes["child"].lower(), 2)
            assert joined.text == on_telegram("kk", "join.welcome", name=CHILD_NAME)
            _, child_caught_up = await child.press(child_language, "lang:kk", 2)
            assert child_caught_up.text is not None and child_caught_up.text.startswith("Қазір маңыздысы")
            [used] = await stranger.text(f"/start {codes['child']}")
            [expired] = await stranger.text(codes["expired"])
            [unknown] = await stranger.text("/start ZZZZ9999")

            # The parent switches to English at any time.
            [language_again] = await parent.text("/language")
            [english] = await parent.press(language_again, "lang:en")
            assert english.text == on_telegram("en", "language.set")

            # /homework shows a parent the child's homework (none yet), not the tutor's flow; a
            # group's status is refused, in English.
            [own_homework] = await parent.text("/homework")
            [no_status] = await parent.text("/status")

            # /consent shows the decision and withdraws it.
            [status] = await parent.text("/consent")
            assert status.text is not None and status.text.startswith(f"{CHILD_NAME}: consent given (")
            [withdraw] = choices(status)
            [withdrawn] = await parent.press(status, withdraw)

            # From now on the child is told a parent must agree first.
            [needs_parent] = await child.text("сәлем")
        finally:
            await running.stop()

    assert used.text == on_telegram("kk", "join.code_used")
    assert expired.text == on_telegram("kk", "join.code_expired")
    assert unknown.text == on_telegram("kk", "join.code_unknown")
    assert own_homework.text == on_telegram("en", "record.hw.empty", pupil=CHILD_NAME)
    assert no_status.text == on_telegram("en", "common.not_allowed")
    assert withdrawn.text == on_telegram("en", "consent.withdrawn", pupil=CHILD_NAME)
    assert needs_parent.text == on_telegram("kk", "consent.pupil_needs_parent")

    engine = make_engine(db_url)
    with Session(engine) as session:
        decisions = session.exec(select(Consent).order_by(col(Consent.id))).all()
        people = {p.external_id: p for p in session.exec(select(Person)).all()}
    engine.dispose()
    [decision] = decisions
    assert decision.given and decision.channel == "telegram" and decision.text_version
    assert decision.withdrawn_at is not None
    assert people["g1"].locale == "en" and people["p1"].locale == "kk"
