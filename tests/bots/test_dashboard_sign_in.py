"""The dashboard's sign-in cannot be ground down: codes are spaced and capped per person and per
client, a person has one pending code, wrong codes lock out for longer and longer across codes, the
person named is told when codes are asked for repeatedly, the asker reads why in their language, and
every refusal, wrong code and sign-in is in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bots.web import mount_web
from bots.web.auth import MAX_TRIES, Auth
from bots.web.sign_in_limits import (
    DAILY,
    EXPIRED,
    LOCKED,
    WAIT,
    WRONG,
    Refusal,
    client_address,
)
from locales import LANGUAGES
from models.clock import utcnow
from models.enums import Role
from models.journal import AuditLog
from models.outbox import Notification
from models.people import Person
from roster import import_roster
from settings import Settings
from tests.bots.test_monitoring_web import _last_code, _staff, form_token

pytestmark = pytest.mark.flow
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
HERE, THERE = "10.0.0.7", "10.0.0.8"
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def coordinator(engine: Engine) -> Person:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    return _staff(engine, Role.COORDINATOR)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(utcnow(), tick=False) as traveller:
        yield traveller


def _codes_sent(engine: Engine, person_id: int, kind: str = "login.code") -> int:
    with Session(engine) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Notification)
                .where(Notification.person_id == person_id, Notification.kind == kind)
            ).one()
        )


def _audit(engine: Engine, person_id: int) -> list[tuple[str, object]]:
    with Session(engine) as session:
        rows = session.exec(
            select(AuditLog)
            .where(AuditLog.entity_id == person_id, col(AuditLog.action).startswith("dashboard."))
            .order_by(col(AuditLog.id))
        ).all()
    return [(row.action, row.detail.get("reason")) for row in rows]


def test_codes_for_one_person_are_a_minute_apart_five_a_day_and_only_the_newest_works(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    assert coordinator.id is not None
    auth = Auth(engine)
    first = auth.request_code(coordinator.external_id, HERE)
    assert isinstance(first, str)
    first_code = _last_code(engine, coordinator.id)
    again = auth.request_code(coordinator.phone or "", THERE)  # another client, the same person
    assert again == Refusal(WAIT, seconds=60)
    clock.shift(timedelta(seconds=61))
    second = auth.request_code(coordinator.external_id, THERE)
    assert isinstance(second, str)
    assert auth.verify(first, first_code, HERE) == Refusal(EXPIRED)  # one pending code per person
    for _ in range(3):
        clock.shift(timedelta(seconds=61))
        assert isinstance(auth.request_code(coordinator.external_id, HERE), str)
    clock.shift(timedelta(seconds=61))
    daily = auth.request_code(coordinator.external_id, HERE)
    assert isinstance(daily, Refusal) and daily.reason == DAILY
    assert _codes_sent(engine, coordinator.id) == 5
    clock.shift(timedelta(seconds=daily.seconds))
    assert isinstance(auth.request_code(coordinator.external_id, HERE), str)


def test_one_client_is_spaced_and_capped_across_names(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    auth = Auth(engine)
    assert isinstance(auth.request_code("nobody-1", HERE), str)
    assert auth.request_code(coordinator.external_id, HERE) == Refusal(WAIT, seconds=10)
    assert isinstance(auth.request_code(coordinator.external_id, THERE), str)  # another client may
    for n in range(2, 31):
        clock.shift(timedelta(seconds=11))
        assert isinstance(auth.request_code(f"nobody-{n}", HERE), str), n
    clock.shift(timedelta(seconds=11))
    refusal = auth.request_code("nobody-31", HERE)
    assert isinstance(refusal, Refusal) and refusal.reason == DAILY


def test_wrong_codes_lock_the_person_out_for_longer_and_longer_across_codes(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    assert coordinator.id is not None
    auth = Auth(engine)
    waits = []
    for _round in range(4):
        token = auth.request_code(coordinator.external_id, HERE)
        assert isinstance(token, str)
        outcomes = [auth.verify(token, "000000x", HERE) for _ in range(MAX_TRIES)]
        assert outcomes[:-1] == [Refusal(WRONG, tries_left=n) for n in range(MAX_TRIES - 1, 0, -1)]
        locked = outcomes[-1]
        assert isinstance(locked, Refusal) and locked.reason == LOCKED
        waits.append(locked.seconds)
        # Locked: no new code, from any client, and not even a right code is checked.
        assert auth.request_code(coordinator.external_id, THERE) == Refusal(LOCKED, seconds=locked.seconds)
        clock.shift(timedelta(seconds=locked.seconds - 1))
        refused = auth.request_code(coordinator.external_id, THERE)
        assert isinstance(refused, Refusal) and refused.reason == LOCKED
        clock.shift(timedelta(seconds=1))
    assert waits == [5 * 60, 30 * 60, 2 * 3600, 24 * 3600]
    token = auth.request_code(coordinator.external_id, HERE)
    assert isinstance(token, str)
    assert isinstance(auth.verify(token, _last_code(engine, coordinator.id), HERE), str)


def test_a_client_guessing_across_names_is_locked_out_too(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    auth = Auth(engine)
    outcome: str | Refusal = ""
    for n in range(4):
        clock.shift(timedelta(seconds=11))
        token = auth.request_code(f"nobody-{n}", HERE)
        assert isinstance(token, str)
        for _ in range(MAX_TRIES):
            outcome = auth.verify(token, "123456", HERE)
    assert isinstance(outcome, Refusal) and outcome.reason == LOCKED  # twenty wrong codes
    clock.shift(timedelta(seconds=11))
    assert isinstance(auth.request_code(coordinator.external_id, HERE), Refusal)
    assert isinstance(auth.request_code(coordinator.external_id, THERE), str)


def test_a_day_of_grinding_gets_a_few_dozen_guesses_not_millions(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    """The attack of the report: ask for a code and guess, again and again, for a day, from ever new
    addresses. About 190 guesses a second went through before; now a few dozen in the whole day."""
    auth = Auth(engine)
    checked = 0
    start = utcnow()
    client = 0
    while utcnow() - start < timedelta(days=1):
        client += 1
        token = auth.request_code(coordinator.external_id, f"10.1.{client // 250}.{client % 250}")
        if isinstance(token, Refusal):
            clock.shift(timedelta(seconds=token.seconds))
            continue
        for _ in range(MAX_TRIES):
            outcome = auth.verify(token, "999999x", f"10.1.{client // 250}.{client % 250}")
            if isinstance(outcome, Refusal) and outcome.reason == WRONG:
                checked += 1
            elif isinstance(outcome, Refusal) and outcome.reason == LOCKED:
                checked += 1  # the try that locked was checked too
                break
    assert checked <= 25


def test_the_person_named_is_told_once_a_day_when_codes_are_asked_for_repeatedly(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    assert coordinator.id is not None
    auth = Auth(engine)
    for n in range(6):
        auth.request_code(coordinator.external_id, f"10.0.0.{n}")
        clock.shift(timedelta(seconds=20))
    with Session(engine) as session:
        warnings = session.exec(
            select(Notification).where(
                Notification.person_id == coordinator.id, Notification.kind == "login.warning"
            )
        ).all()
    assert len(warnings) == 1 and warnings[0].urgent and warnings[0].params == {"count": 3}
    clock.shift(timedelta(days=1))
    for _ in range(3):
        auth.request_code(coordinator.external_id, HERE)
        clock.shift(timedelta(seconds=61))
    assert _codes_sent(engine, coordinator.id) == 2 + 3  # a minute apart: two of the six went out
    assert _codes_sent(engine, coordinator.id, "login.warning") == 2


def test_sign_ins_refusals_and_wrong_codes_are_in_the_audit_log(
    engine: Engine, coordinator: Person, clock: time_machine.Traveller
) -> None:
    assert coordinator.id is not None
    auth = Auth(engine)
    token = auth.request_code(coordinator.external_id, HERE)
    assert isinstance(token, str)
    auth.request_code(coordinator.external_id, THERE)
    auth.verify(token, "111111x", HERE)
    auth.verify(token, _last_code(engine, coordinator.id), HERE)
    assert _audit(engine, coordinator.id) == [
        ("dashboard.code_sent", None),
        ("dashboard.code_refused", WAIT),
        ("dashboard.sign_in_failed", WRONG),
        ("dashboard.sign_in", None),
    ]
    with Session(engine) as session:
        text = " ".join(row.model_dump_json() for row in session.exec(select(AuditLog)))
    for secret in (coordinator.full_name, coordinator.phone or "", HERE, token):
        assert secret not in text


@pytest.mark.parametrize("reason", [WAIT, DAILY, LOCKED, WRONG, EXPIRED])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_reads_in_every_language(reason: str, language: str) -> None:
    text = Refusal(reason, seconds=4000, tries_left=2).text()
    rendered = text.render(language)
    assert rendered != text.key and "{" not in rendered
    assert any(figure in rendered for figure in ("4000", "67", "2")) or reason == EXPIRED


def test_the_client_is_the_proxys_last_hop_only_behind_a_trusted_proxy() -> None:
    trusted = ("127.0.0.1", "10.9.0.0/16")
    assert client_address("127.0.0.1", "1.2.3.4, 5.6.7.8", trusted) == "5.6.7.8"
    assert client_address("10.9.3.4", "5.6.7.8", trusted) == "5.6.7.8"
    assert client_address("5.6.7.8", "1.1.1.1", trusted) == "5.6.7.8"  # not a proxy: header ignored
    assert client_address("127.0.0.1", "", trusted) == "127.0.0.1"


# -- over HTTP: what the person who asks sees ---------------------------------------------------------


@pytest.fixture
async def client(engine: Engine, settings: Settings, coordinator: Person) -> AsyncIterator[Client]:
    app = web.Application()
    mount_web(app, engine, settings, lambda: None)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def _ask(client: Client, who: str, lang: str, forwarded: str = HERE) -> tuple[int, str]:
    token = await form_token(client)
    response = await client.post(
        f"/dashboard/login?lang={lang}",
        data={"who": who, "form_token": token},
        headers={"X-Forwarded-For": forwarded},
    )
    return response.status, await response.text()


async def test_asking_again_at_once_is_answered_with_how_long_to_wait(
    client: Client, engine: Engine, coordinator: Person
) -> None:
    assert (await _ask(client, coordinator.external_id, "en"))[0] == 200
    status, page = await _ask(client, coordinator.external_id, "ru", forwarded=THERE)
    assert status == 429
    assert "Подождите 60 с, прежде чем запрашивать новый код." in page
    status, page = await _ask(client, "nobody at all", "kk")  # the same client, ten seconds apart
    assert status == 429 and "Жаңа код сұрамас бұрын 10 секунд күтіңіз." in page
    assert coordinator.id is not None and _codes_sent(engine, coordinator.id) == 1


async def test_a_wrong_code_on_the_page_says_how_many_tries_are_left(
    client: Client, engine: Engine, coordinator: Person
) -> None:
    await _ask(client, coordinator.external_id, "en")
    response = await client.post(
        "/dashboard/verify?lang=en",
        data={"code": "000000x", "form_token": await form_token(client)},
        headers={"X-Forwarded-For": HERE},
    )
    assert response.status == 403
    assert "That code is wrong. Tries left for this code: 4." in await response.text()
