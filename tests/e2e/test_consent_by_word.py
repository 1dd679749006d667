"""End to end: the school asks a parent who has not decided for consent (the reminder of the
dashboard and of the assistant's /status), and the parent answers «иә» / «да» / "yes". The answer is
the consent — stored and audited for the one child the request named — the confirmation says what
is kept and how to withdraw, and the language question follows for a parent who has not chosen one.
A yes that follows anything else the bot said, or a request about several children, is not taken
for consent. Over WhatsApp and SMS through the Twilio emulator, and on Telegram."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bots.app import start
from locales import T, translate
from models import AuditLog, ChannelIdentity, Consent, Guardianship, Membership, Notification, Person
from models.clock import utcnow
from models.store import make_engine, session_scope
from outbox.reminders import remind_parents
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.e2e.test_whatsapp_flow import System, last_inbound, settled, system  # noqa: F401  (the fixture)
from tests.support.chatting import Chatting, a_pupil_and_a_parent, emulator_settings, on_telegram

pytestmark = pytest.mark.flow

SAVED = "consent_by_word.saved"


def ask_for_consent(chat: System, pupil: str = "pupil", name: str = "Ерлан") -> int:
    """The school's reminder about the child, written as the dashboard writes it; its outbox id."""
    with session_scope(chat.engine) as session:
        [written] = remind_parents(
            session,
            "consent",
            "consent.school_reminder",
            T("overview.remind.consent", pupil=name),
            chat.ids[pupil],
            utcnow().date().isoformat(),
        )
        assert written
    with Session(chat.engine) as session:
        row = session.exec(
            select(Notification)
            .where(Notification.about_pupil_id == chat.ids[pupil])
            .order_by(col(Notification.id).desc())
        ).first()
    assert row is not None
    assert chat.running.outbox is not None
    chat.running.outbox.notify()
    return row.id or 0


def speaks(chat: System, language: str) -> None:
    with session_scope(chat.engine) as session:
        parent = session.get(Person, chat.ids["parent"])
        assert parent is not None
        parent.locale = language  # as the roster has it; not chosen in the chat yet
        session.add(parent)


def consents(chat: System) -> list[Consent]:
    with Session(chat.engine) as session:
        return list(session.exec(select(Consent).order_by(col(Consent.id))).all())


@pytest.mark.parametrize(
    ("language", "word", "channel"),
    [("kk", "иә", "whatsapp"), ("ru", "Да!", "sms"), ("en", "yes", "whatsapp")],
)
async def test_a_yes_to_the_schools_request_is_the_consent_then_the_language(
    system: System,  # noqa: F811
    language: str,
    word: str,
    channel: str,
) -> None:
    speaks(system, language)
    if channel == "sms":  # the request goes by SMS: the parent's WhatsApp is not there
        with session_scope(system.engine) as session:
            for identity in session.exec(
                select(ChannelIdentity).where(ChannelIdentity.channel == "whatsapp")
            ):
                session.delete(identity)
    else:  # on WhatsApp: the parent wrote there within the day, so free text may go
        last_inbound(system, timedelta(hours=1))
    request = await settled(system, ask_for_consent(system))
    assert request.status == "sent" and request.channel == channel
    if channel == "sms":
        saved, question = (message.text for message in await system.sms(word, expect=2))
    else:
        saved, question = await system.say(word, expect=2)
    assert saved == T(SAVED, pupil="Ерлан", days=system.running.settings.retention_days).render(
        language, channel
    )
    assert question.startswith(translate(language, "language.ask"))
    [decision] = consents(system)
    assert decision.given and decision.pupil_id == system.ids["pupil"] and decision.channel == channel
    with Session(system.engine) as session:
        [audit] = session.exec(select(AuditLog).where(AuditLog.action == "consent.given")).all()
    assert audit.detail["how"] == "yes_to_request" and audit.detail["notification_id"] == request.id


async def test_a_yes_after_the_bot_said_something_else_is_not_taken_for_consent(
    system: System,  # noqa: F811
) -> None:
    await settled(system, ask_for_consent(system))
    [question] = await system.say("Сәлеметсіз бе")
    assert question == translate("kk", "language.ask")
    [again] = await system.say("иә")  # answers the language question: asked once more
    assert again == translate("kk", "language.ask")
    assert consents(system) == []


async def test_a_yes_to_requests_about_two_children_asks_about_each(system: System) -> None:  # noqa: F811
    with session_scope(system.engine) as session:
        second = Person(external_id="p2", full_name="Дана")
        session.add(second)
        session.flush()
        assert second.id is not None
        session.add(Guardianship(guardian_id=system.ids["parent"], pupil_id=second.id))
        school_id = session.exec(select(Membership.school_id)).first()
        assert school_id is not None
        session.add(Membership(person_id=second.id, role="pupil", school_id=school_id))
        system.ids["second"] = second.id
    await settled(system, ask_for_consent(system))
    await settled(system, ask_for_consent(system, "second", "Дана"))
    asked = await system.say("иә", expect=2)  # which child? each one's own question
    assert asked[0].startswith("Ерлан «") and asked[1].startswith("Дана «")
    assert consents(system) == []


async def test_on_telegram_a_yes_to_the_request_is_the_consent_and_what_matters_follows(
    tmp_path: Path, db_url: str
) -> None:
    a_pupil_and_a_parent(db_url, parent_chat=611)  # Гүлнар, ru, chose her language already
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        pupil = session.exec(select(Person).where(Person.external_id == "p1")).one()
        remind_parents(
            session,
            "consent",
            "consent.school_reminder",
            T("overview.remind.consent", pupil="Ерлан"),
            pupil.id or 0,
            utcnow().date().isoformat(),
        )
    engine.dispose()
    async with TelegramEmulator() as telegram:
        telegram.add_user(611, "Гүлнар")
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            parent = Chatting(telegram, 611)
            [reminder] = await parent.answers(1)
            assert reminder.text == on_telegram("ru", "overview.remind.consent", pupil="Ерлан")
            saved, caught_up = await parent.text("Да", count=2)
            assert saved.text == on_telegram("ru", SAVED, pupil="Ерлан", days=running.settings.retention_days)
            assert caught_up.text is not None and caught_up.text.startswith("Ученик: Ерлан.")
        finally:
            await running.stop()
