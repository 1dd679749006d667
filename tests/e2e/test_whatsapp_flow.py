"""End to end over WhatsApp and SMS: the real process (`bots.app.start`) and the real twilio client
against the Twilio emulator, which signs its webhooks and status callbacks like Twilio."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.app import Running, start
from bots.twilio_http import basic_authorization
from locales import T, catalogue, translate
from locales.formats import format_day
from models import ChannelIdentity, Consent, Guardianship, Membership, Person, School
from models.clock import to_local, utcnow
from models.invites import issue_invite
from models.journal import InboundReceipt
from models.migrate import upgrade
from models.outbox import DeliveryAttempt, Notification
from models.store import make_engine, session_scope
from outbox.write import enqueue
from sandbox.twilio_emulator import DEFAULT_SMS_NUMBER, DEFAULT_WHATSAPP_NUMBER, TwilioEmulator
from sandbox.twilio_emulator.records import EmulatedMessage
from tests.support.homework import build_world, page_image

pytestmark = pytest.mark.flow
ALMATY = ZoneInfo("Asia/Almaty")  # the default TZ_NAME

PARENT = "+77011234567"
STRANGER = "+77019876543"


@dataclass
class System:
    twilio: TwilioEmulator
    running: Running
    engine: Engine
    ids: dict[str, int]
    code: str = ""

    async def say(self, text: str, number: str = PARENT, expect: int = 1, **kw: Any) -> list[str]:
        """Write over WhatsApp; the texts of the replies that follow."""
        before = len(self.twilio.messages_to(number))
        result = await self.twilio.inject_inbound("whatsapp", number, text, **kw)
        assert result.http_status == 200, result.error
        return await self.replies(number, before, expect)

    async def sms(self, text: str, number: str = PARENT, expect: int = 1) -> list[EmulatedMessage]:
        """Write by SMS; the SMS that answer."""
        before = len(self.twilio.messages_to(number, "sms"))
        result = await self.twilio.inject_inbound("sms", number, text)
        assert result.http_status == 200, result.error
        await self.twilio.wait_for_messages(number, before + expect, channel="sms", timeout=15)
        with contextlib.suppress(TimeoutError):
            await self.twilio.wait_for_messages(number, before + expect + 1, channel="sms", timeout=0.5)
        return self.twilio.messages_to(number, "sms")[before:]

    async def tap(self, message: EmulatedMessage, option: str, expect: int = 1) -> list[str]:
        """Tap one of a message's buttons (or list items); the texts of the replies that follow."""
        before = len(self.twilio.messages_to(message.number))
        result = await self.twilio.tap(message.sid, option)
        assert result.http_status == 200, result.error
        return await self.replies(message.number, before, expect)

    def last(self, number: str = PARENT) -> EmulatedMessage:
        return self.twilio.messages_to(number)[-1]

    async def replies(self, number: str, before: int, expect: int = 1) -> list[str]:
        """The replies after the first `before`: `expect` of them, and any that follow at once."""
        if expect:
            await self.twilio.wait_for_messages(number, before + expect, timeout=15)
        with contextlib.suppress(TimeoutError):
            await self.twilio.wait_for_messages(number, before + expect + 1, timeout=0.5 if expect else 1.5)
        return [m.text for m in self.twilio.messages_to(number)[before:]]


def seed(engine: Engine) -> tuple[dict[str, int], str]:
    """A parent on the roster with WhatsApp and SMS at their number, and their child."""
    with session_scope(engine) as session:
        school = School(code="s1", name="№1")
        parent = Person(external_id="g1", full_name="Гүлнар", phone=PARENT)
        pupil = Person(external_id="p1", full_name="Ерлан")
        other = Person(external_id="g2", full_name="Бота")
        session.add_all([school, parent, pupil, other])
        session.flush()
        assert school.id and parent.id and pupil.id and other.id
        session.add_all(
            [
                Guardianship(guardian_id=parent.id, pupil_id=pupil.id),
                Membership(person_id=parent.id, role="guardian", school_id=school.id),
                Membership(person_id=pupil.id, role="pupil", school_id=school.id),
                Membership(person_id=other.id, role="guardian", school_id=school.id),
                ChannelIdentity(person_id=parent.id, channel="whatsapp", address=PARENT, priority=1),
                ChannelIdentity(person_id=parent.id, channel="sms", address=PARENT, priority=2),
            ]
        )
        code = issue_invite(session, other.id, ttl=timedelta(days=1)).code
        return {"parent": parent.id, "pupil": pupil.id, "other": other.id}, code


async def launch(
    tmp_path: Path, db_url: str, twilio: TwilioEmulator, **overrides: Any
) -> tuple[Running, Engine]:
    from settings import load_settings

    settings = load_settings(
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_api_url=twilio.base_url,
        twilio_whatsapp_from="whatsapp:" + DEFAULT_WHATSAPP_NUMBER,
        twilio_sms_from=DEFAULT_SMS_NUMBER,
        data_dir=tmp_path,
        database_url=db_url,
        http_port=0,
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(0, 0),
        **overrides,
    )
    running = await start(settings)
    twilio.set_webhook("whatsapp", running.web_url + "/twilio/whatsapp")
    twilio.set_webhook("sms", running.web_url + "/twilio/sms")
    return running, make_engine(db_url)


@pytest.fixture
async def system(tmp_path: Path, db_url: str) -> AsyncIterator[System]:
    engine = make_engine(db_url)
    upgrade(engine)
    ids, code = seed(engine)
    engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        try:
            yield System(twilio, running, engine, ids, code)
        finally:
            await running.stop()
            engine.dispose()


def receipts(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(InboundReceipt)).all())


def notify_parent(system: System, key: str = "a", **kw: Any) -> int:
    with session_scope(system.engine) as session:
        row = enqueue(
            session,
            kind="consent.reminder",
            text=T("consent.reminder", pupil="Ерлан"),
            idempotency_key=f"test:{key}:",
            person_id=system.ids["parent"],
            **kw,
        )
        assert row is not None and row.id is not None
        notification_id = row.id
    assert system.running.outbox is not None
    system.running.outbox.notify()
    return notification_id


async def settled(system: System, notification_id: int, timeout: float = 10.0) -> Notification:

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        assert system.running.outbox is not None
        system.running.outbox.notify()
        with Session(system.engine) as session:
            row = session.get(Notification, notification_id)
            assert row is not None
            if row.status in ("sent", "no_channel", "failed", "cancelled"):
                await system.twilio.settle()
                with Session(system.engine) as again:
                    final = again.get(Notification, notification_id)
                    assert final is not None
                    if final.status == row.status:
                        return final
        if loop.time() > deadline:
            raise TimeoutError(f"notification {notification_id} still {row.status}")
        await asyncio.sleep(0.05)


async def attempts_settled(
    system: System, notification_id: int, statuses: tuple[str | None, ...], timeout: float = 10.0
) -> list[DeliveryAttempt]:
    """The notification's attempts once their provider statuses are these (callbacks are async)."""

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = attempts(system.engine, notification_id)
        if tuple(a.provider_status for a in found) == statuses or loop.time() > deadline:
            return found
        await asyncio.sleep(0.05)


def attempts(engine: Engine, notification_id: int) -> list[DeliveryAttempt]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.notification_id == notification_id)
                .order_by(col(DeliveryAttempt.id))
            ).all()
        )


# ---------------------------------------------------------------- joining and consent


def buttons(message: EmulatedMessage) -> list[tuple[str, str]]:
    """(id, title) of a WhatsApp message's quick-reply buttons or list items."""
    assert message.interactive is not None, message.text
    return [(option["id"], option["title"]) for option in message.interactive["options"]]


async def test_a_roster_parent_is_recognised_by_number_and_gives_consent(system: System) -> None:
    [question] = await system.say("Сәлеметсіз бе")
    assert question == translate("kk", "language.ask")  # the choices are buttons, not a list
    asked = system.last()
    assert asked.interactive is not None and asked.interactive["type"] == "twilio/quick-reply"
    assert buttons(asked) == [("lang:kk", "Қазақша"), ("lang:ru", "Русский"), ("lang:en", "English")]
    replies = await system.tap(asked, "lang:ru", expect=2)
    assert replies[0] == translate("ru", "language.set")
    consent = system.last()
    assert replies[1] == consent.text and "\n1 " not in consent.text
    assert [title for _id, title in buttons(consent)] == [
        translate("ru", f"consent.choice.{answer}") for answer in ("yes", "no", "more")
    ]
    # typed, as by SMS: the same choice as the "yes" button; the catch-up on the child follows
    thanks, caught_up = await system.say("да", expect=2)
    assert thanks == translate("ru", "consent.thanks_yes", pupil="Ерлан")
    assert caught_up.startswith("Ученик: Ерлан. Что сейчас важно")
    with Session(system.engine) as session:
        consent = session.exec(select(Consent)).one()
        assert consent.given and consent.pupil_id == system.ids["pupil"]
        assert consent.channel == "whatsapp"


async def test_by_sms_a_parent_consents_with_words_and_numbers_each_sms_within_the_cap(
    system: System,
) -> None:
    """SMS has no buttons and no command menu: the choices are numbered, answered with a number or a
    word (да, подробнее); the consent question is the short SMS text, its details one SMS behind a
    choice; СОГЛАСИЕ opens the consent menu; no SMS names a slash command or needs more segments than
    the cap (3)."""
    [question] = await system.sms("Сәлем")
    assert question.text.startswith(translate("kk", "language.ask") + "\n1 ")
    chosen, consent = await system.sms("2", expect=2)  # Russian
    assert chosen.text == translate("ru", "language.set") and "ЯЗЫК" in chosen.text
    subjects = T("walk.consent.no_subjects")  # the child is in no group yet
    short = T("consent.request", pupil="Ерлан", programme="Цифровой наставник", subjects=subjects)
    assert consent.text.startswith(short.render("ru", "sms"))
    assert consent.text.startswith("«Цифровой наставник»:")  # the pupil's programme, in Russian
    assert consent.text.endswith(translate("ru", "whatsapp.answer_with_number.via_sms"))
    assert "\n3 " + translate("ru", "consent.choice.more") in consent.text
    details, again = await system.sms("подробнее", expect=2)
    assert details.text == T("consent.details", pupil="Ерлан").render("ru", "sms")
    assert "СОГЛАСИЕ" in details.text and again.text == consent.text
    thanks, caught_up = await system.sms("Да", expect=2)  # and what matters now about the child
    assert thanks.text == translate("ru", "consent.thanks_yes", pupil="Ерлан")
    assert caught_up.text.startswith("Ученик: Ерлан. Что сейчас важно")
    [status] = await system.sms("согласие")  # the command word, in any case
    today = format_day(to_local(utcnow(), ALMATY).date(), "ru")
    assert status.text.startswith(translate("ru", "consent.status.given", pupil="Ерлан", date=today))
    assert "1 " + translate("ru", "consent.choice.withdraw") in status.text
    sent = system.twilio.messages_to(PARENT, "sms")
    assert len(sent) == 8 and all(m.num_segments <= 3 for m in sent), [m.num_segments for m in sent]
    assert not any(re.search(r"(?<![\w/])/[a-z]", m.text) for m in sent)
    with Session(system.engine) as session:
        assert session.exec(select(Consent)).one().channel == "sms"


async def test_a_stranger_joins_with_an_invite_code(system: System) -> None:
    [stranger] = await system.say("hello", number=STRANGER)
    assert stranger == translate("kk", "join.stranger") + "\n\n" + translate("ru", "join.stranger")
    welcome, _language = await system.say(system.code, number=STRANGER, expect=2)
    assert welcome == translate("kk", "join.welcome", name="Бота")
    with Session(system.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == STRANGER)).one()
        assert identity.person_id == system.ids["other"]


# ---------------------------------------------------------------- signatures and retries


async def test_a_forged_signature_is_refused_and_changes_nothing(system: System) -> None:
    result = await system.twilio.inject_inbound("whatsapp", PARENT, "STOP", forge_signature=True)
    assert result.http_status == 403
    async with aiohttp.ClientSession() as http:
        unsigned = await http.post(system.running.web_url + "/twilio/whatsapp", data=result.form)
        assert unsigned.status == 403
        status = await http.post(system.running.web_url + "/twilio/status", data={"MessageSid": "SMx"})
        assert status.status == 403
    await system.twilio.settle()
    assert system.twilio.messages_to(PARENT) == []
    assert receipts(system.engine) == 0
    with Session(system.engine) as session:
        assert all(i.opted_out_at is None for i in session.exec(select(ChannelIdentity)).all())


async def test_the_same_signed_webhook_twice_is_processed_once(system: System) -> None:
    first = await system.twilio.inject_inbound("whatsapp", PARENT, "Сәлем")
    [question] = await system.replies(PARENT, 0)
    again = await system.twilio.retry_inbound(first)
    assert (first.http_status, again.http_status) == (200, 200)
    assert again.signature == first.signature
    assert await system.replies(PARENT, 1, expect=0) == []
    assert receipts(system.engine) == 1
    assert question.startswith(translate("kk", "language.ask"))


# ---------------------------------------------------------------- opt-out


async def test_stop_silences_the_number_and_start_resumes(system: System) -> None:
    [stopped] = await system.say("ТОҚТАТУ")
    assert stopped == translate("kk", "optout.stopped")
    with Session(system.engine) as session:
        identities = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == PARENT)).all()
        assert {i.channel for i in identities if i.opted_out_at is not None} == {"whatsapp", "sms"}
    silenced = notify_parent(system, "silenced")
    row = await settled(system, silenced)
    assert row.status == "no_channel"
    before = len(system.twilio.messages_to(PARENT))
    [resumed] = await system.say("start")
    assert resumed == translate("kk", "optout.resumed")
    heard = notify_parent(system, "heard")
    assert (await settled(system, heard)).status == "sent"
    [reminder] = await system.replies(PARENT, before + 1)
    assert reminder == translate("kk", "consent.reminder", pupil="Ерлан")


@pytest.mark.parametrize("word", ["STOP", "Стоп"])
async def test_other_stop_words_are_confirmed(system: System, word: str) -> None:
    assert await system.say(word) == [translate("kk", "optout.stopped")]


# ---------------------------------------------------------------- the 24-hour window and fallback


def last_inbound(system: System, ago: timedelta) -> None:
    with session_scope(system.engine) as session:
        identity = session.exec(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == "whatsapp", ChannelIdentity.address == PARENT
            )
        ).one()
        identity.last_inbound_at = utcnow() - ago
    system.twilio.set_last_inbound(PARENT, utcnow() - ago)


async def test_within_24_hours_free_text_goes_on_whatsapp(system: System) -> None:
    last_inbound(system, timedelta(hours=23, minutes=59))
    row = await settled(system, notify_parent(system))
    assert (row.status, row.channel) == ("sent", "whatsapp")
    [message] = system.twilio.messages_to(PARENT)
    assert message.content_sid is None and message.status == "read"
    assert message.body == translate("kk", "consent.reminder", pupil="Ерлан")
    [attempt] = await attempts_settled(system, row.id or 0, ("read",))
    assert (attempt.outcome, attempt.provider_status) == ("delivered", "read")


def forget_the_outcome(system: System, notification_id: int) -> None:
    """As after a dispatcher died between Twilio's answer and storing it: the row is back to pending,
    its attempt interrupted, the MessageSid unknown to us."""
    with session_scope(system.engine) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        row.status, row.sent_at, row.next_attempt_at = "pending", None, None
        for attempt in session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification_id)
        ).all():
            attempt.outcome, attempt.provider_id, attempt.provider_status = "interrupted", None, None


async def test_a_send_whose_outcome_was_lost_is_looked_up_at_twilio_not_repeated(system: System) -> None:
    last_inbound(system, timedelta(hours=1))
    row = await settled(system, notify_parent(system))
    [message] = system.twilio.messages_to(PARENT)
    forget_the_outcome(system, row.id or 0)
    again = await settled(system, row.id or 0)
    assert (again.status, again.channel) == ("sent", "whatsapp")
    assert len(system.twilio.messages_to(PARENT)) == 1  # found by Twilio's Messages list and SID
    interrupted, found = attempts(system.engine, row.id or 0)
    assert interrupted.outcome == "interrupted"
    assert (found.outcome, found.provider_id) == ("delivered", message.sid)


async def test_a_lost_outcome_twilio_has_no_message_for_is_sent(system: System) -> None:
    last_inbound(system, timedelta(hours=1))
    row = await settled(system, notify_parent(system))
    forget_the_outcome(system, row.id or 0)
    [message] = system.twilio.messages_to(PARENT)
    async with aiohttp.ClientSession() as http:  # Twilio forgot it too: deleted through its REST API
        gone = await http.delete(
            f"{system.twilio.base_url}/2010-04-01/Accounts/{system.twilio.account_sid}/Messages/{message.sid}.json",
            headers={
                "Authorization": basic_authorization(system.twilio.account_sid, system.twilio.auth_token)
            },
        )
        assert gone.status == 204
    again = await settled(system, row.id or 0)
    assert again.status == "sent" and len(system.twilio.messages_to(PARENT)) == 1


async def test_after_24_hours_without_a_template_sms_takes_over(system: System) -> None:
    last_inbound(system, timedelta(hours=24, minutes=1))
    row = await settled(system, notify_parent(system))
    assert (row.status, row.channel) == ("sent", "sms")
    [message] = system.twilio.messages_to(PARENT)
    assert message.channel == "sms"
    assert message.body == translate("kk", "consent.reminder", pupil="Ерлан")
    whatsapp, sms = await attempts_settled(system, row.id or 0, (None, "delivered"))
    assert (whatsapp.channel, whatsapp.outcome) == ("whatsapp", "failed")
    assert (sms.channel, sms.outcome, sms.provider_status) == ("sms", "delivered", "delivered")


async def test_after_24_hours_the_approved_template_goes(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    ids, _code = seed(engine)
    engine.dispose()
    async with TwilioEmulator() as twilio:
        content_sid = twilio.register_template("Ата-ана, {{1}} сізді күтеді", language="kk")
        running, engine = await launch(
            tmp_path, db_url, twilio, twilio_templates={"consent.reminder:kk": content_sid}
        )
        system = System(twilio, running, engine, ids)
        try:
            last_inbound(system, timedelta(hours=24, minutes=1))
            row = await settled(system, notify_parent(system))
        finally:
            await running.stop()
            engine.dispose()
    assert (row.status, row.channel) == ("sent", "whatsapp")
    [message] = twilio.messages_to(PARENT)
    assert message.content_sid == content_sid and message.content_variables == {"1": "Ерлан"}
    assert message.status == "read" and message.text == "Ата-ана, Ерлан сізді күтеді"


async def test_a_number_not_on_whatsapp_fails_by_callback_and_sms_takes_over(system: System) -> None:
    last_inbound(system, timedelta(hours=1))
    system.twilio.mark_number(PARENT, "unknown", channel="whatsapp")
    nid = notify_parent(system)
    await system.twilio.wait_for_messages(PARENT, 2, timeout=10)
    row = await settled(system, nid)
    assert (row.status, row.channel) == ("sent", "sms")
    whatsapp, sms = await attempts_settled(system, nid, ("failed", "delivered"))
    assert (whatsapp.outcome, whatsapp.provider_status) == ("failed", "failed")
    assert whatsapp.error == "failed:63024"
    assert (sms.outcome, sms.provider_status) == ("delivered", "delivered")
    with Session(system.engine) as session:
        identity = session.get(ChannelIdentity, whatsapp.identity_id)
        assert identity is not None and identity.blocked_at is not None


async def test_a_63016_from_twilio_hands_over_to_sms_without_blocking_whatsapp(system: System) -> None:
    last_inbound(system, timedelta(hours=1))  # our clock says the session is open …
    system.twilio.set_last_inbound(PARENT, hours_ago=25)  # … Twilio's says it closed
    nid = notify_parent(system)
    await system.twilio.wait_for_messages(PARENT, 2, timeout=10)
    row = await settled(system, nid)
    assert (row.status, row.channel) == ("sent", "sms")
    whatsapp, sms = await attempts_settled(system, nid, ("failed", "delivered"))
    assert (whatsapp.outcome, whatsapp.error) == ("failed", "failed:63016")
    assert (sms.channel, sms.outcome) == ("sms", "delivered")
    with Session(system.engine) as session:
        identity = session.get(ChannelIdentity, whatsapp.identity_id)
        assert identity is not None and identity.blocked_at is None


# ---------------------------------------------------------------- homework photo


async def test_a_photo_over_whatsapp_is_stored_with_a_receipt(tmp_path: Path, db_url: str) -> None:
    from models import Submission, SubmissionPage

    engine = make_engine(db_url)
    upgrade(engine)
    world = build_world(engine, tmp_path / "unused")
    homework_id = world.homework()
    with session_scope(engine) as session:
        session.add(ChannelIdentity(person_id=world.ids["p1"], channel="whatsapp", address=PARENT))
    engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            replies = await system.say("", media=[(page_image(), "image/jpeg")])
            [inbound] = twilio.messages_from(PARENT)
        finally:
            await running.stop()
            engine.dispose()
    assert len(replies) == 1 and replies[0].startswith(catalogue("kk")["homework.receipt"].split("{")[0])
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            submission = session.exec(select(Submission)).one()
            [page] = session.exec(select(SubmissionPage)).all()
    finally:
        engine.dispose()
    assert [item.deleted for item in inbound.media] == [True]  # our copy is the record
    assert submission.homework_id == homework_id and submission.pupil_id == world.ids["p1"]
    stored = Path(page.path)
    assert stored.is_file() and b"PhoneMaker" not in stored.read_bytes()


# ---------------------------------------------------------------- SMS and media


async def test_the_same_conversation_works_over_sms_with_typed_numbers(system: System) -> None:
    async def sms(text: str, expect: int = 1) -> list[str]:
        before = len(system.twilio.messages_to(PARENT))
        result = await system.twilio.inject_inbound("sms", PARENT, text)
        assert result.http_status == 200
        return await system.replies(PARENT, before, expect)

    [question] = await sms("salem")
    assert question.startswith(translate("kk", "language.ask"))
    _set, consent_question = await sms("1", expect=2)
    assert f"\n1 {translate('kk', 'consent.choice.yes')}\n" in consent_question
    thanks, caught_up = await sms("ia", expect=2)
    assert thanks == translate("kk", "consent.thanks_yes", pupil="Ерлан")
    assert caught_up.startswith("Ерлан — қазір маңыздысы")
    assert {m.channel for m in system.twilio.messages_to(PARENT)} == {"sms"}
    with Session(system.engine) as session:
        assert session.exec(select(Consent)).one().channel == "sms"


async def test_a_notification_with_a_file_reaches_whatsapp_through_a_signed_link(
    system: System, tmp_path: Path
) -> None:
    last_inbound(system, timedelta(hours=1))
    sheet = tmp_path / "media" / "homework" / "sheet.pdf"
    sheet.parent.mkdir(parents=True)
    sheet.write_bytes(b"%PDF-1.4 worksheet")
    row = await settled(system, notify_parent(system, media_path=str(sheet)))
    assert row.status == "sent"
    [message] = system.twilio.messages_to(PARENT)
    [media] = message.media
    assert media.error is None and media.data == b"%PDF-1.4 worksheet"


async def test_stop_over_sms_agrees_with_twilios_own_opt_out_and_start_resumes(system: System) -> None:
    stopped = await system.twilio.inject_inbound("sms", PARENT, "STOP")
    assert stopped.http_status == 200 and system.twilio.is_opted_out(PARENT)
    for _ in range(200):  # the turn runs after the answer
        with Session(system.engine) as session:
            if all(i.opted_out_at for i in session.exec(select(ChannelIdentity)).all()):
                break
        await asyncio.sleep(0.05)
    row = await settled(system, notify_parent(system, "after-stop"))
    assert row.status == "no_channel"  # nothing to that number on WhatsApp or SMS
    assert system.twilio.messages_to(PARENT) == []  # Twilio confirms an SMS STOP itself
    await system.twilio.inject_inbound("sms", PARENT, "START")
    assert await system.replies(PARENT, 0) == [translate("kk", "optout.resumed")]
    with Session(system.engine) as session:
        assert all(i.opted_out_at is None for i in session.exec(select(ChannelIdentity)).all())
