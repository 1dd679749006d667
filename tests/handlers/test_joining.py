"""Joining, in-process through the handlers' entry point, on a real store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers import throttle
from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply
from locales import T
from models import AuditLog, ChannelIdentity, Person
from models.invites import issue_invite
from models.store import session_scope
from settings import Settings

pytestmark = pytest.mark.flow
CONFIG = Config.from_settings(Settings())


def say(
    engine: Engine, text: str = "", *, user: str = "1001", channel: str = "telegram", **kw: object
) -> list[Reply]:
    inbound = Inbound(identity=Identity(channel, user), chat=Chat(user), text=text, **kw)
    return process(engine, inbound, CONFIG)


def keys(replies: list[Reply]) -> list[str]:
    return [r.text.key for r in replies]


@pytest.fixture
def parent(engine: Engine) -> tuple[int, str]:
    with session_scope(engine) as session:
        person = Person(external_id="g1", full_name="Айгүл Сейітова", phone="+77011234567", locale="ru")
        session.add(person)
        session.flush()
        code = issue_invite(session, person.id, ttl=timedelta(days=30)).code
        assert person.id is not None
        return person.id, code


def test_stranger_gets_a_kazakh_and_russian_explanation_and_nothing_is_kept(engine: Engine) -> None:
    [reply] = say(engine, "/start")
    assert reply.text.key == "start.stranger" and reply.locale == "kk" and reply.request_contact
    kazakh, russian = (T("start.stranger").render(language, "telegram") for language in ("kk", "ru"))
    assert reply.text.render("kk", "telegram") == f"{kazakh}\n\n{russian}"
    assert keys(say(engine, "hello?")) == ["join.stranger"]
    with Session(engine) as session:
        assert session.exec(select(ChannelIdentity)).all() == []


@pytest.mark.parametrize(
    ("hint", "order"), [("ru", ["ru", "kk"]), ("en", ["en", "kk", "ru"]), ("de", ["kk", "ru"])]
)
def test_the_apps_language_is_a_hint_for_a_stranger(engine: Engine, hint: str, order: list[str]) -> None:
    for text, key in (("/start", "start.stranger"), ("сәлем", "join.stranger")):
        [reply] = say(engine, text, locale_hint=hint)
        expected = "\n\n".join(T(key).render(language, "telegram") for language in order)
        assert reply.text.render(reply.locale or "", "telegram") == expected


def test_the_share_button_is_named_on_telegram_only(engine: Engine) -> None:
    """WhatsApp and SMS have no share-my-number button: their greeting does not mention one; the
    Telegram one names the button by its label."""
    for language in ("kk", "ru", "en"):
        label = T("join.share_phone").render(language)
        assert f"«{label}»" in T("start.stranger").render(language, "telegram")
        assert label not in T("start.stranger").render(language, "whatsapp")
    [reply] = say(engine, "/start", user="+77019998877", channel="whatsapp")
    assert not reply.request_contact


def test_a_strangers_stop_and_wrong_codes_are_kept_across_messages(engine: Engine) -> None:
    assert keys(say(engine, "/start ZZZZZZZZZZ")) == ["join.code_unknown"]
    with Session(engine) as session:
        [identity] = session.exec(select(ChannelIdentity)).all()
        wrong = session.exec(select(AuditLog).where(AuditLog.entity_id == identity.id)).all()
    assert identity.person_id is None and [entry.action for entry in wrong] == [throttle.WRONG_CODE]
    assert keys(say(engine, "STOP", user="1002")) == ["optout.stopped"]
    with Session(engine) as session:
        stopped = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == "1002")).one()
    assert stopped.opted_out_at is not None


def test_deep_link_binds_then_asks_language(engine: Engine, parent: tuple[int, str]) -> None:
    person_id, code = parent
    replies = say(engine, f"/start {code}")
    assert keys(replies) == ["join.welcome", "language.ask"]
    assert {c.value for c in replies[1].choices} == {"lang:kk", "lang:ru", "lang:en"}
    with Session(engine) as session:
        assert session.exec(select(ChannelIdentity)).one().person_id == person_id
    chosen = say(engine, choice="lang:en")
    assert keys(chosen) == ["language.set"] and chosen[0].locale == "en"
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None and person.locale == "en" and person.locale_chosen


def test_a_typed_code_works_and_a_spent_code_says_so(engine: Engine, parent: tuple[int, str]) -> None:
    _, code = parent
    assert keys(say(engine, code.lower())) == ["join.welcome", "language.ask"]
    assert keys(say(engine, f"/start {code}", user="2002")) == ["join.code_used"]
    assert keys(say(engine, "/start ZZZZZZZZZZ", user="2003")) == ["join.code_unknown"]


def test_shared_contact_matching_the_roster_binds(engine: Engine, parent: tuple[int, str]) -> None:
    assert keys(say(engine, contact_phone="87011234567")) == ["join.welcome", "language.ask"]
    assert keys(say(engine, contact_phone="+77770000000", user="3003")) == ["join.phone_unknown"]


def test_whatsapp_number_on_the_roster_is_recognised_at_once(engine: Engine, parent: tuple[int, str]) -> None:
    replies = say(engine, "Сәлем", user="+77011234567", channel="whatsapp")
    assert keys(replies) == ["join.welcome", "language.ask"]


def test_a_repeated_delivery_is_processed_once(engine: Engine, parent: tuple[int, str]) -> None:
    _, code = parent
    first = say(engine, f"/start {code}", external_id="m1:7")
    again = say(engine, f"/start {code}", external_id="m1:7")
    assert keys(first) == ["join.welcome", "language.ask"] and again == []


@pytest.fixture
def family(engine: Engine) -> dict[str, object]:
    """A guardian and a pupil, each with an invite."""
    from models import Guardianship, Membership, School

    with session_scope(engine) as session:
        school = School(code="s1", name="№1 мектеп")
        session.add(school)
        session.flush()
        guardian = Person(external_id="g1", full_name="Айгүл Сейітова", phone="+77011234567")
        pupil = Person(external_id="p1", full_name="Нұрлан Сейітов")
        session.add_all([guardian, pupil])
        session.flush()
        assert guardian.id and pupil.id and school.id
        session.add(Guardianship(guardian_id=guardian.id, pupil_id=pupil.id))
        session.add(Membership(person_id=guardian.id, role="guardian", school_id=school.id))
        session.add(Membership(person_id=pupil.id, role="pupil", school_id=school.id))
        return {
            "guardian": guardian.id,
            "pupil": pupil.id,
            "guardian_code": issue_invite(session, guardian.id, ttl=timedelta(days=1)).code,
            "pupil_code": issue_invite(session, pupil.id, ttl=timedelta(days=1)).code,
        }


def test_guardian_is_asked_consent_after_choosing_language(engine: Engine, family: dict[str, object]) -> None:
    from models import Consent

    say(engine, f"/start {family['guardian_code']}", user="g")
    replies = say(engine, choice="lang:ru", user="g")
    assert keys(replies) == ["language.set", "consent.request"]
    assert replies[1].locale == "ru"
    values = [c.value for c in replies[1].choices]
    assert values == [f"consent:{a}:{family['pupil']}" for a in ("yes", "no", "more")]
    assert keys(say(engine, choice=values[2], user="g")) == ["consent.details", "consent.request"]
    assert keys(say(engine, choice=values[0], user="g")) == ["consent.thanks_yes", "catch_up.child"]
    with Session(engine) as session:
        decision = session.exec(select(Consent)).one()
        assert decision.given and decision.channel == "telegram" and decision.text_version


def test_pupil_without_consent_is_told_and_guardian_reminded_once(
    engine: Engine, family: dict[str, object]
) -> None:
    from models import Notification

    say(engine, f"/start {family['pupil_code']}", user="p")
    say(engine, choice="lang:kk", user="p")
    assert keys(say(engine, "сәлем", user="p")) == ["consent.pupil_needs_parent"]
    assert keys(say(engine, "тағы", user="p")) == ["consent.pupil_needs_parent"]
    with Session(engine) as session:
        reminders = session.exec(select(Notification)).all()
        assert [(n.person_id, n.kind) for n in reminders] == [(family["guardian"], "consent.reminder")]


def test_only_a_turn_that_writes_to_the_outbox_wakes_the_dispatcher(
    engine: Engine, family: dict[str, object]
) -> None:
    woken: list[str] = []
    config = Config.from_settings(Settings(), on_enqueued=lambda: woken.append("wake"))

    def pupil_says(text: str = "", choice: str | None = None) -> None:
        process(
            engine,
            Inbound(identity=Identity("telegram", "p"), chat=Chat("p"), text=text, choice=choice),
            config,
        )

    pupil_says(f"/start {family['pupil_code']}")
    pupil_says(choice="lang:kk")
    assert woken == []  # answered in the chat, nothing for anyone else
    pupil_says("сәлем")  # no consent yet: the guardian is reminded through the outbox
    assert woken == ["wake"]


def test_withdrawal_stops_messages_to_and_about_the_pupil(engine: Engine, family: dict[str, object]) -> None:
    from locales import T
    from models import Notification
    from outbox.write import enqueue

    say(engine, f"/start {family['guardian_code']}", user="g")
    say(engine, choice="lang:kk", user="g")
    say(engine, choice=f"consent:yes:{family['pupil']}", user="g")
    with session_scope(engine) as session:
        assert enqueue(
            session,
            kind="lesson.reminder",
            text=T("start.stranger"),
            idempotency_key="a:",
            person_id=family["pupil"],
        )
        assert enqueue(
            session,
            kind="grade",
            text=T("start.stranger"),
            idempotency_key="b:",
            person_id=family["guardian"],
            about_pupil_id=family["pupil"],
        )
    status = say(engine, "/consent", user="g")
    assert keys(status) == ["consent.status.given"]
    withdraw = status[0].choices[0].value
    assert keys(say(engine, choice=withdraw, user="g")) == ["consent.withdrawn"]
    with Session(engine) as session:
        assert {n.status for n in session.exec(select(Notification)).all()} == {"cancelled"}
        assert (
            enqueue(
                session,
                kind="lesson.reminder",
                text=T("start.stranger"),
                idempotency_key="c:",
                person_id=family["pupil"],
            )
            is None
        )


def test_a_guardian_cannot_answer_for_another_family(engine: Engine, family: dict[str, object]) -> None:
    say(engine, f"/start {family['guardian_code']}", user="g")
    assert keys(say(engine, choice="consent:yes:999999", user="g")) == ["common.not_allowed"]


@pytest.mark.parametrize(
    ("typed", "expected"), [("2", "ru"), ("Русский", "ru"), ("english", "en"), (" 1 ", "kk")]
)
def test_a_typed_answer_picks_the_offered_choice(
    engine: Engine, parent: tuple[int, str], typed: str, expected: str
) -> None:
    person_id, code = parent
    say(engine, code, user="+77011234567", channel="sms")
    assert keys(say(engine, typed, user="+77011234567", channel="sms")) == ["language.set"]
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None and person.locale == expected


@pytest.mark.parametrize("typed", ["иә", "Иә!", "ia", "да", "yes", "1"])
def test_yes_in_any_script_gives_consent(engine: Engine, family: dict[str, object], typed: str) -> None:
    say(engine, "Сәлем", user="+77011234567", channel="whatsapp")
    say(engine, "3", user="+77011234567", channel="whatsapp")
    assert keys(say(engine, typed, user="+77011234567", channel="whatsapp")) == [
        "consent.thanks_yes",
        "catch_up.child",
    ]


def test_an_out_of_range_number_is_not_a_choice(engine: Engine, parent: tuple[int, str]) -> None:
    say(engine, "Сәлем", user="+77011234567", channel="whatsapp")
    assert keys(say(engine, "7", user="+77011234567", channel="whatsapp")) == ["language.ask"]
