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
from bots.whatsapp.content import LIST_PICKER, QUICK_REPLY, Interactive, Option, definition, interactive
from bots.whatsapp.inbound import Media, parse_form, to_inbound
from bots.whatsapp.media import MediaFetcher, PublicFiles
from bots.whatsapp.render import render
from bots.whatsapp.sender import TwilioSender
from bots.whatsapp.sms import ELLIPSIS, is_gsm7, segments, shorten, split
from bots.whatsapp.status import parse_status
from handlers import choices, words
from handlers.optout import START_WORDS, STOP_WORDS, keyword
from handlers.types import Choice, Reply
from locales import Lines, T, Text, translate
from models.clock import utcnow
from models.enums import Channel
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Person
from models.store import session_scope
from outbox.sender import Outcome, Outgoing
from outbox.settle import DeliveryReport, apply_report

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


@pytest.mark.parametrize("typed", ["3", "толығырақ", "Подробнее", "more", "Толығырақ!"])
def test_typed_more_picks_the_more_choice(typed: str) -> None:
    assert choices.match(typed, list(CONSENT)) == "consent:more:7"


@pytest.mark.parametrize("typed", ["болдырмау", "Отмена", "нет", "жоқ"])
def test_cancel_or_no_picks_the_cancel_choice_where_there_is_no_no(typed: str) -> None:
    offered = [Choice("bc:send:normal", T("broadcast.send")), Choice("bc:cancel", T("broadcast.cancel"))]
    assert choices.match(typed, offered) == "bc:cancel"


@pytest.mark.parametrize("typed", ["4", "0", "maybe", "cancel now"])
def test_other_answers_pick_nothing(typed: str) -> None:
    assert choices.match(typed, list(CONSENT)) is None


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("КЕЛІСІМ", "/consent"),
        ("согласие", "/consent"),
        ("Consent!", "/consent"),
        ("тіл", "/language"),
        ("Язык", "/language"),
        ("КӨМЕК", "/help"),
        ("помощь", "/help"),
        ("my data", "/mydata"),
        ("ДЕРЕКТЕР", "/mydata"),
        ("Удалить", "/forget"),
        ("Мәзір", "/help"),
        ("меню", "/help"),
        ("мәселе", "/problem"),
        ("PROBLEM!", "/problem"),
        ("арналар", "/channels"),
        ("келісім беремін", ""),
        ("тіл үйренеміз бе", ""),
    ],
)
def test_command_words_in_any_language_name_their_command(typed: str, command: str) -> None:
    assert words.command_of(typed) == command


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


def test_a_long_answer_by_sms_goes_as_several_sms_each_within_the_cap_and_nothing_is_lost() -> None:
    menu = T(
        "help.menu",
        commands=Lines(
            tuple(T(f"help.cmd.{c}") for c in ("consent", "mydata", "forget", "channels", "language"))
        ),
    )
    text = menu.render("kk", "sms")
    parts = split(text, 2)
    assert len(parts) > 1 and all(segments(part) <= 2 for part in parts)
    assert "\n".join(parts).split() == text.split()  # every word, in order
    assert split("Қысқа", 1) == ["Қысқа"] and split("  ", 3) == []
    long_word = "ә" * 150
    assert "".join(split(long_word, 1)) == long_word


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


async def test_sms_is_kept_short_and_reported_cut(tmp_path: Path) -> None:
    sms, client = sender(Channel.SMS, tmp_path)
    result = await sms.send(outgoing(text="Құрметті ата-ана " * 30))
    [call] = client.messages.calls
    assert call["to"] == PARENT and segments(call["body"]) <= 2
    assert result.outcome == Outcome.DELIVERED and result.cut
    assert not (await sms.send(outgoing(text="Қысқа хабар"))).cut


async def test_a_long_direct_answer_by_sms_goes_in_parts_without_slash_commands(tmp_path: Path) -> None:
    sms, client = sender(Channel.SMS, tmp_path)
    request = T("consent.request", pupil="Ерлан", programme="Цифровой наставник", subjects="—")
    results = await sms.reply(PARENT, Reply(request), "ru")
    bodies = [call["body"] for call in client.messages.calls]
    assert len(results) == len(bodies) == 1 and segments(bodies[0]) <= 2  # the short SMS variant
    client.messages.calls.clear()
    commands = Lines(
        tuple(T(f"help.cmd.{c}") for c in ("consent", "mydata", "forget", "channels", "language"))
    )
    await sms.reply(PARENT, Reply(T("help.menu", commands=commands)), "ru")
    bodies = [call["body"] for call in client.messages.calls]
    assert len(bodies) > 1 and all(segments(body) <= 2 for body in bodies)
    assert "СОГЛАСИЕ" in bodies[0] and not any("/" in body for body in bodies)


class FakeContents:
    def __init__(self, error: Exception | None = None) -> None:
        self.asked: list[tuple[str, int, bool]] = []
        self.error = error

    async def sid_for(self, message: Any) -> str:
        if self.error is not None:
            raise self.error
        self.asked.append(message.shape)
        return "HX" + "1" * 32


async def test_a_whatsapp_answer_with_choices_goes_as_buttons(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    whatsapp.contents = FakeContents()  # type: ignore[assignment]
    await whatsapp.reply(PARENT, Reply(T("consent.reminder", pupil="Ерлан"), choices=CONSENT), "kk")
    [call] = client.messages.calls
    assert call["content_sid"] == "HX" + "1" * 32 and "body" not in call
    variables = json.loads(call["content_variables"])
    assert variables["1"] == translate("kk", "consent.reminder", pupil="Ерлан")
    assert (variables["2"], variables["3"]) == ("consent:yes:7", translate("kk", "consent.choice.yes"))
    assert whatsapp.contents.asked == [("twilio/quick-reply", 3, False)]  # type: ignore[attr-defined]


async def test_without_the_content_api_the_choices_stay_a_numbered_list(tmp_path: Path) -> None:
    whatsapp, client = sender(Channel.WHATSAPP, tmp_path)
    whatsapp.contents = FakeContents(TwilioRestException(404, "https://content.twilio.com/v1/Content"))  # type: ignore[assignment]
    await whatsapp.reply(PARENT, Reply(T("consent.reminder", pupil="Ерлан"), choices=CONSENT), "kk")
    [call] = client.messages.calls
    assert "content_sid" not in call and "\n1 " in call["body"]


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (429, 20429, Outcome.THROTTLED),
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
    assert update == DeliveryReport("SM9", "undelivered", "30004", address_unusable=True) and update.failed
    assert parse_status({"MessageSid": "SM9", "MessageStatus": "bogus"}) is None


def report(sid: str, status: str, code: str = "") -> DeliveryReport:
    parsed = parse_status({"MessageSid": sid, "MessageStatus": status, "ErrorCode": code})
    assert parsed is not None
    return parsed


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
    assert apply_report(engine, report("SM9", "read")) is False
    assert apply_report(engine, report("SM9", "delivered")) is False
    assert apply_report(engine, report("SMunknown", "read")) is None
    with Session(engine) as session:
        attempt = session.get(DeliveryAttempt, attempt_id)
        assert attempt is not None and attempt.provider_status == "read" and attempt.outcome == "delivered"


@pytest.mark.store
@pytest.mark.parametrize(("code", "blocked"), [("63016", False), ("63024", True), ("30004", True)])
def test_a_failure_hands_the_notification_back_for_the_next_channel(
    engine: Engine, code: str, blocked: bool
) -> None:
    row_id, attempt_id, identity_id = sent_notification(engine)
    assert apply_report(engine, report("SM9", "failed", code)) is True
    assert apply_report(engine, report("SM9", "failed", code)) is False  # a repeat changes nothing
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


# ---------------------------------------------------------------- buttons and lists


def test_up_to_three_short_choices_are_buttons_and_the_rest_a_list() -> None:
    three = interactive(Reply(T("optout.stopped"), choices=CONSENT), "kk")
    assert (
        three is not None
        and three.kind == QUICK_REPLY
        and [o.id for o in three.options]
        == [
            "consent:yes:7",
            "consent:no:7",
            "consent:more:7",
        ]
    )
    four = interactive(
        Reply(T("optout.stopped"), choices=(*CONSENT, Choice("x", T("consent.choice.withdraw")))), "kk"
    )
    assert (
        four is not None
        and four.kind == LIST_PICKER
        and four.button == translate("kk", "whatsapp.list_button")
    )
    version = Choice("bc:version:kk", T("broadcast.add_version.kk"))  # 21 letters: not a button's 20
    listed = interactive(Reply(T("optout.stopped"), choices=(version,)), "kk")
    assert listed is not None and listed.kind == LIST_PICKER
    assert listed.options[0].title == translate("kk", "broadcast.add_version.kk")
    assert not listed.described  # whole in its item


def test_a_label_too_long_for_a_list_item_is_cut_at_a_word_and_given_whole_below() -> None:
    label = "Топ оқушылары: Қазақстан тарихы, 10–11 сынып (HIS-10)"
    message = interactive(Reply(T("optout.stopped"), choices=(Choice("g", Text(label)),)), "kk")
    assert message is not None
    [option] = message.options
    assert option.title == "Топ оқушылары…" and len(option.title) <= 24
    assert option.description == label
    assert message.described and message.variables() == {
        "1": translate("kk", "optout.stopped"),
        "2": message.button,
        "3": "g",
        "4": option.title,
        "5": label,
    }


def test_media_many_choices_or_a_long_text_stay_a_numbered_list() -> None:
    many = tuple(Choice(f"x:{n}", T("language.name.kk")) for n in range(11))
    assert interactive(Reply(T("optout.stopped"), choices=many), "kk") is None
    assert interactive(Reply(T("optout.stopped"), choices=CONSENT, media_path="/tmp/a.jpg"), "kk") is None
    long = Reply(T("broadcast.message", class_name="8А", teacher="М", text="ә" * 1100), choices=CONSENT)
    assert interactive(long, "kk") is None
    assert interactive(Reply(T("optout.stopped")), "kk") is None


@pytest.mark.parametrize(
    ("kind", "size", "described"), [(QUICK_REPLY, 3, False), (LIST_PICKER, 4, True), (LIST_PICKER, 2, False)]
)
def test_a_shapes_content_numbers_its_variables_as_the_message_fills_them(
    kind: str, size: int, described: bool
) -> None:
    import re

    content = definition(kind, size, described)
    numbers = {int(n) for n in re.findall(r"\{\{(\d+)\}\}", json.dumps(content["types"]))}
    options = tuple(Option(f"i{n}", f"t{n}", "d" if described else "") for n in range(size))
    message = Interactive(kind, "body", options, "Таңдау" if kind == LIST_PICKER else "")
    samples = content["variables"]
    assert isinstance(samples, dict)
    assert numbers == {int(n) for n in message.variables()} == {int(n) for n in samples}
