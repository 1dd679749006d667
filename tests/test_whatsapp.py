"""The Twilio adapter's parts on their own: form parsing, numbered choices and typed answers, SMS
length, the outbox sender's choice between free text and templates, status callbacks on the store,
signed file links, and the opt-out keywords."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request
from sqlalchemy import Engine
from sqlmodel import Session
from twilio.base.exceptions import TwilioRestException

from bots.twilio_http import basic_authorization
from bots.whatsapp.inbound import Media, parse_form, to_inbound
from bots.whatsapp.media import MediaFetcher, PublicFiles
from bots.whatsapp.render import render
from bots.whatsapp.sender import TwilioSender
from bots.whatsapp.sms import ELLIPSIS, is_gsm7, segments, shorten
from bots.whatsapp.status import StatusUpdate, apply_status, parse_status
from handlers import choices
from handlers.optout import START_WORDS, STOP_WORDS, keyword
from handlers.types import Choice, Reply
from locales import T, translate
from models.clock import utcnow
from models.enums import Channel
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Person
from models.store import session_scope
from scheduler.sender import Outcome, Outgoing

PARENT = "+77011234567"


# ---------------------------------------------------------------- inbound form


async def test_a_whatsapp_form_becomes_an_inbound_with_media_and_the_bare_number() -> None:
    form = {
        "MessageSid": "SM1",
        "From": f"whatsapp:{PARENT}",
        "Body": "бет 1",
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/m/0",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/m/1",
        "MediaContentType1": "application/pdf",
        "ProfileName": "Айгүл",
    }
    parsed = parse_form("whatsapp", form)
    assert parsed is not None
    assert parsed.number == PARENT and parsed.message_sid == "SM1"
    assert parsed.media == (
        Media("https://api.twilio.com/m/0", "image/jpeg"),
        Media("https://api.twilio.com/m/1", "application/pdf"),
    )
    fetched: list[str] = []

    async def fetch(url: str, limit: int) -> tuple[bytes, int]:
        fetched.append(url)
        return b"data", 4

    inbound = await to_inbound(parsed, fetch, 1000)
    assert fetched == ["https://api.twilio.com/m/0", "https://api.twilio.com/m/1"]
    assert inbound.identity.channel == "whatsapp" and inbound.identity.address == PARENT
    assert inbound.external_id == "SM1" and inbound.text == "бет 1"
    assert [u.as_document for u in inbound.uploads] == [False, True]
    assert inbound.album_id == "SM1"


@pytest.mark.parametrize(
    "tapped",
    [{"ButtonPayload": "consent:yes:7", "ButtonText": "Иә"}, {"ListId": "consent:yes:7", "ListTitle": "Иә"}],
)
async def test_a_tapped_button_or_list_item_comes_back_as_the_choice(tapped: dict[str, str]) -> None:
    form = {"MessageSid": "SM2", "From": f"whatsapp:{PARENT}", "Body": "Иә"} | tapped
    parsed = parse_form("whatsapp", form)
    assert parsed is not None

    async def fetch(url: str, limit: int) -> tuple[bytes, int]:
        raise AssertionError("no media")

    inbound = await to_inbound(parsed, fetch, 1000)
    assert inbound.choice == "consent:yes:7" and inbound.text == ""


@pytest.mark.parametrize(
    "form",
    [{"From": f"whatsapp:{PARENT}"}, {"MessageSid": "SM3", "From": "whatsapp:"}, {"MessageSid": "SM3"}],
)
def test_a_form_without_sid_or_number_is_not_a_message(form: dict[str, str]) -> None:
    assert parse_form("whatsapp", form) is None


def test_an_sms_form_keeps_the_number() -> None:
    parsed = parse_form("sms", {"MessageSid": "SM4", "From": PARENT, "Body": "1", "NumMedia": "0"})
    assert parsed is not None and parsed.number == PARENT and parsed.channel == "sms"


# ---------------------------------------------------------------- numbered choices


CONSENT = (
    Choice("consent:yes:7", T("consent.choice.yes")),
    Choice("consent:no:7", T("consent.choice.no")),
    Choice("consent:more:7", T("consent.choice.more")),
)


def test_choices_render_as_a_numbered_list_in_the_persons_language() -> None:
    reply = Reply(T("consent.reminder", pupil="Ерлан"), choices=CONSENT, locale="ru", first_number=4)
    text = render(reply, "kk")
    assert text.startswith(translate("ru", "consent.reminder", pupil="Ерлан"))
    assert f"\n4 {translate('ru', 'consent.choice.yes')}\n" in text
    assert f"\n6 {translate('ru', 'consent.choice.more')}\n" in text
    assert text.endswith(translate("ru", "whatsapp.answer_with_number"))


def test_a_reply_without_choices_is_its_text() -> None:
    assert render(Reply(T("optout.stopped")), "kk") == translate("kk", "optout.stopped")


@pytest.mark.parametrize("typed", ["1", "иә", "Иә!", "ia", "да", "Yes", "yes please", "иә, келісемін"])
def test_typed_yes_in_any_script_picks_the_yes_choice(typed: str) -> None:
    assert choices.match(typed, list(CONSENT)) == "consent:yes:7"


@pytest.mark.parametrize("typed", ["2", "жоқ", "нет", "no", "Жок"])
def test_typed_no_picks_the_no_choice(typed: str) -> None:
    assert choices.match(typed, list(CONSENT)) == "consent:no:7"


@pytest.mark.parametrize("typed", ["4", "0", "maybe"])
def test_other_answers_pick_nothing(typed: str) -> None:
    assert choices.match(typed, list(CONSENT)) is None


# ---------------------------------------------------------------- SMS length


def test_kazakh_is_ucs2_and_is_never_transliterated() -> None:
    text = translate("kk", "consent.reminder", pupil="Әлия")
    assert not is_gsm7(text)
    assert is_gsm7("Hello, parent") and segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("қ" * 70) == 1 and segments("қ" * 71) == 2 and segments("қ" * 134) == 2


def test_a_long_text_is_cut_at_a_word_within_the_segments_and_keeps_its_letters() -> None:
    text = " ".join(["Құрметті ата-ана, оқушының үй тапсырмасы қабылданды"] * 8)
    short = shorten(text, 2)
    assert segments(short) <= 2 and short.endswith(ELLIPSIS)
    assert text.startswith(short.removesuffix(ELLIPSIS))
    assert set("құүата") <= set(short)
    assert shorten("Қысқа хабар", 1) == "Қысқа хабар"


# ---------------------------------------------------------------- the outbox sender


@dataclass
class Sent:
    sid: str


class FakeMessages:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    async def create_async(self, **fields: Any) -> Sent:
        self.calls.append(fields)
        if self.error is not None:
            raise self.error
        return Sent(f"SM{len(self.calls)}")


class FakeClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.messages = FakeMessages(error)


def sender(
    channel: Channel, tmp_path: Path, error: Exception | None = None
) -> tuple[TwilioSender, FakeClient]:
    client = FakeClient(error)
    files = PublicFiles(tmp_path, "token")
    files.base_url = "https://ustaz.example"
    templates = {"consent.reminder:kk": "HXkk", "consent.reminder:ru": "HXru"}
    from_ = "whatsapp:+14155238886" if channel == Channel.WHATSAPP else "+15005550006"
    return TwilioSender(channel, client, from_, files, templates, 2), client  # type: ignore[arg-type]


def outgoing(**kw: Any) -> Outgoing:
    values: dict[str, Any] = {
        "address": PARENT,
        "text": "Ерлан күтеді",
        "template_key": "consent.reminder",
        "template_params": ("Ерлан",),
        "locale": "ru",
    }
    return Outgoing(**(values | kw))


async def test_inside_the_window_free_text_goes_with_a_status_callback(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    result = await whatsapp.send(outgoing(within_session=True))
    assert (result.outcome, result.provider_id) == (Outcome.DELIVERED, "SM1")
    [call] = client.messages.calls
    assert call["to"] == f"whatsapp:{PARENT}" and call["body"] == "Ерлан күтеді"
    assert call["status_callback"] == "https://ustaz.example/twilio/status"
    assert "content_sid" not in call


async def test_without_a_public_address_no_status_callback_is_asked(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    whatsapp.files.base_url = ""
    await whatsapp.send(outgoing())
    assert "status_callback" not in client.messages.calls[0]


async def test_outside_the_window_the_template_of_the_kind_and_language_goes(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    assert (await whatsapp.send(outgoing(within_session=False))).outcome == Outcome.DELIVERED
    [call] = client.messages.calls
    assert call["content_sid"] == "HXru" and json.loads(call["content_variables"]) == {"1": "Ерлан"}
    assert "body" not in call


async def test_outside_the_window_without_a_template_is_a_permanent_failure(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    result = await whatsapp.send(outgoing(within_session=False, template_key="homework.new"))
    assert result.outcome == Outcome.FAILED and client.messages.calls == []


async def test_sms_is_kept_short(tmp_path: Path) -> None:
    sms, client = sender(Channel.SMS, tmp_path)
    await sms.send(outgoing(text="Құрметті ата-ана " * 30))
    [call] = client.messages.calls
    assert call["to"] == PARENT and segments(call["body"]) <= 2


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (429, 20429, Outcome.RETRY),
        (503, None, Outcome.RETRY),
        (400, 21211, Outcome.BLOCKED),
        (400, 21610, Outcome.FAILED),
        (400, 21617, Outcome.FAILED),
    ],
)
async def test_rest_errors_map_onto_the_dispatchers_outcomes(
    tmp_path: Path, status: int, code: int | None, outcome: Outcome
) -> None:
    error = TwilioRestException(status, "https://api.twilio.com/x", "no", code)
    sms, _client = sender(Channel.SMS, tmp_path, error)
    assert (await sms.send(outgoing())).outcome == outcome


# ---------------------------------------------------------------- signed file links


async def test_only_stored_files_get_a_link_and_only_a_signed_link_serves(tmp_path: Path) -> None:
    stored = tmp_path / "media" / "sheet.pdf"
    stored.parent.mkdir()
    stored.write_bytes(b"%PDF")
    files = PublicFiles(tmp_path, "token")
    files.base_url = "https://ustaz.example"
    url = files.url(str(stored))
    assert url is not None and url.startswith("https://ustaz.example/twilio/files/")
    assert files.url(str(tmp_path.parent / "elsewhere.txt")) is None
    signature, relative = url.split("/twilio/files/")[1].split("/", 1)
    forged = make_mocked_request("GET", "/", match_info={"signature": "0" * 32, "path": relative})
    with pytest.raises(web.HTTPForbidden):
        await files.serve(forged)
    good = make_mocked_request("GET", "/", match_info={"signature": signature, "path": relative})
    assert isinstance(await files.serve(good), web.FileResponse)


async def test_media_is_fetched_with_the_accounts_credentials_within_the_limit() -> None:
    seen: list[str] = []

    async def media(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        if request.match_info["name"] == "gone":
            return web.Response(status=404)
        return web.Response(body=b"x" * int(request.match_info["name"]), content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/m/{name}", media)
    async with TestServer(app) as server:
        base = str(server.make_url(""))
        fetcher = MediaFetcher("AC1", "secret", base)
        try:
            assert await fetcher.fetch(f"{base}/m/10", 100) == (b"x" * 10, 10)
            assert await fetcher.fetch(f"{base}/m/200", 100) == (b"", 200)
            assert await fetcher.fetch(f"{base}/m/gone", 100) == (b"", 0)
        finally:
            await fetcher.close()
    assert set(seen) == {basic_authorization("AC1", "secret")}


# ---------------------------------------------------------------- opt-out keywords


@pytest.mark.parametrize("text", ["STOP", "Stop!", "тоқтату", "ТОҚТАТУ", "стоп", " СТОП. "])
def test_stop_words(text: str) -> None:
    assert keyword(text) in STOP_WORDS


@pytest.mark.parametrize("text", ["START", "start", "Старт"])
def test_start_words(text: str) -> None:
    assert keyword(text) in START_WORDS


@pytest.mark.parametrize("text", ["stop sending homework", "/start", "1", ""])
def test_other_messages_are_not_keywords(text: str) -> None:
    assert keyword(text) not in STOP_WORDS | START_WORDS


# ---------------------------------------------------------------- status callbacks


def test_a_status_form_is_parsed() -> None:
    update = parse_status({"MessageSid": "SM9", "MessageStatus": "undelivered", "ErrorCode": "30004"})
    assert update == StatusUpdate("SM9", "undelivered", "30004") and update.failed
    assert parse_status({"MessageSid": "SM9", "MessageStatus": "bogus"}) is None


def sent_notification(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        person = Person(external_id="g1", full_name="Гүлнар")
        session.add(person)
        session.flush()
        identity = ChannelIdentity(person_id=person.id, channel="whatsapp", address=PARENT)
        row = Notification(
            idempotency_key="n:1:",
            person_id=person.id,
            kind="consent.reminder",
            key="consent.reminder",
            status="sent",
            sent_at=utcnow(),
            channel="whatsapp",
        )
        session.add_all([identity, row])
        session.flush()
        assert row.id is not None and identity.id is not None
        attempt = DeliveryAttempt(
            notification_id=row.id,
            channel="whatsapp",
            identity_id=identity.id,
            outcome="delivered",
            provider_id="SM9",
            finished_at=utcnow(),
        )
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        return row.id, attempt.id, identity.id


@pytest.mark.store
def test_statuses_only_move_forward(engine: Engine) -> None:
    _row, attempt_id, _identity = sent_notification(engine)
    assert apply_status(engine, StatusUpdate("SM9", "read")) is False
    assert apply_status(engine, StatusUpdate("SM9", "delivered")) is False
    assert apply_status(engine, StatusUpdate("SMunknown", "read")) is None
    with Session(engine) as session:
        attempt = session.get(DeliveryAttempt, attempt_id)
        assert attempt is not None and attempt.provider_status == "read" and attempt.outcome == "delivered"


@pytest.mark.store
@pytest.mark.parametrize(("code", "blocked"), [("63016", False), ("63024", True), ("30004", True)])
def test_a_failure_hands_the_notification_back_for_the_next_channel(
    engine: Engine, code: str, blocked: bool
) -> None:
    row_id, attempt_id, identity_id = sent_notification(engine)
    assert apply_status(engine, StatusUpdate("SM9", "failed", code)) is True
    assert apply_status(engine, StatusUpdate("SM9", "failed", code)) is False  # a repeat changes nothing
    with Session(engine) as session:
        row = session.get(Notification, row_id)
        attempt = session.get(DeliveryAttempt, attempt_id)
        identity = session.get(ChannelIdentity, identity_id)
        assert row is not None and attempt is not None and identity is not None
        assert row.status == "pending" and row.sent_at is None
        assert row.next_attempt_at is not None and row.next_attempt_at <= utcnow() + timedelta(seconds=1)
        assert (attempt.outcome, attempt.provider_status, attempt.error) == (
            "failed",
            "failed",
            f"failed:{code}",
        )
        assert (identity.blocked_at is not None) == blocked
