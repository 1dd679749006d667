"""The Twilio emulator, driven by the real twilio 9.13 client through bots.twilio_http."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from multidict import MultiDict
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bots.twilio_http import (
    AsyncRewritingHttpClient,
    RewritingHttpClient,
    TwilioUrlRewriter,
    basic_authorization,
)
from sandbox.twilio_emulator import NumberState, TwilioEmulator, count_segments, parse_twiml, segment_info

SID = "AC" + "5a" * 16
TOKEN = "emulator-test-token-0123456789ab"
WA_FROM = "whatsapp:+14155238886"
SMS_FROM = "+15005550006"
PARENT = "+77011234567"
AUTH = {"Authorization": basic_authorization(SID, TOKEN)}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

T = TypeVar("T")


@dataclass
class HookRequest:
    path: str
    url: str
    form: MultiDict[str]
    headers: dict[str, str]


class Hook:
    """A tiny app server: records every webhook / status callback, answers with configurable TwiML."""

    def __init__(self) -> None:
        self.requests: list[HookRequest] = []
        self.twiml = "<Response/>"
        self.content_type = "text/xml"
        self.status = 200
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._post)
        app.router.add_get("/img.png", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        form = MultiDict(await request.post())
        self.requests.append(HookRequest(request.path, str(request.url), form, dict(request.headers)))  # type: ignore[arg-type]
        if request.path == "/status":
            return web.Response(status=200)
        return web.Response(status=self.status, text=self.twiml, content_type=self.content_type)

    async def _image(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    def at(self, path: str) -> list[HookRequest]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    h = Hook()
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
async def emu(hook: Hook) -> AsyncIterator[TwilioEmulator]:
    async with TwilioEmulator(
        SID,
        TOKEN,
        whatsapp_webhook_url=f"{hook.url}/wa?school=7",
        sms_webhook_url=f"{hook.url}/sms",
    ) as e:
        yield e


@pytest.fixture
def client(emu: TwilioEmulator) -> Client:
    return Client(SID, TOKEN, http_client=RewritingHttpClient(emu.base_url))


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The sync client blocks: run it off the loop the emulator serves on."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def valid(form: MultiDict[str] | dict[str, str], url: str, signature: str) -> bool:
    return RequestValidator(TOKEN).validate(url, form, signature)


# --------------------------------------------------------------------------- the rewriting client


def test_rewriter_maps_every_twilio_domain_and_keeps_path_and_query() -> None:
    rw = TwilioUrlRewriter("http://127.0.0.1:8701")
    assert rw("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=2&Page=1") == (
        "http://127.0.0.1:8701/2010-04-01/Accounts/AC1/Messages.json?PageSize=2&Page=1"
    )
    assert rw("https://messaging.twilio.com/v1/Services") == "http://127.0.0.1:8701/v1/Services"
    assert rw("https://content.twilio.com/v1/Content/HX1") == "http://127.0.0.1:8701/v1/Content/HX1"
    assert rw("https://api.dublin.ie1.twilio.com/x") == "http://127.0.0.1:8701/x"
    assert rw("https://example.org/media/1.jpg") == "https://example.org/media/1.jpg"
    assert rw("https://nottwilio.com/x") == "https://nottwilio.com/x"
    prefixed = TwilioUrlRewriter("https://proxy.local/twilio/")
    assert (
        prefixed("https://api.twilio.com/2010-04-01/A?b=1") == "https://proxy.local/twilio/2010-04-01/A?b=1"
    )
    production = TwilioUrlRewriter("https://api.twilio.com")
    assert (
        production("https://messaging.twilio.com/v1/Services") == "https://messaging.twilio.com/v1/Services"
    )
    with pytest.raises(ValueError):
        TwilioUrlRewriter("127.0.0.1:8701")


# --------------------------------------------------------------------------- REST with the real client


async def test_create_fetch_and_list_with_the_real_client(emu: TwilioEmulator, client: Client) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    msg = await call(client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, body="Сәлем!")
    assert msg.sid is not None and msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued"
    assert (msg.to, msg.from_, msg.body) == (f"whatsapp:{PARENT}", WA_FROM, "Сәлем!")
    assert msg.account_sid == SID and msg.direction == "outbound-api" and msg.num_segments == "1"
    assert msg.date_created is not None and msg.date_created.tzinfo is not None
    assert msg.uri == f"/2010-04-01/Accounts/{SID}/Messages/{msg.sid}.json"

    settled = await emu.wait_until_settled(msg.sid)
    assert settled.status_history == ["queued", "sent", "delivered", "read"]
    fetched = await call(client.messages(msg.sid).fetch)
    assert fetched.status == "read" and fetched.date_sent is not None and fetched.error_code is None

    for i in range(2):
        await call(client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, body=f"n{i}")
    listed = await call(client.messages.list, to=f"whatsapp:{PARENT}", page_size=2)
    assert [m.body for m in listed] == ["n1", "n0", "Сәлем!"]  # newest first, across two pages

    with pytest.raises(TwilioRestException) as missing:
        await call(client.messages("SM" + "0" * 32).fetch)
    assert missing.value.status == 404 and missing.value.code == 20404


async def test_wrong_credentials_raise_20003(emu: TwilioEmulator) -> None:
    bad = Client(SID, "wrong-token", http_client=RewritingHttpClient(emu.base_url))
    with pytest.raises(TwilioRestException) as exc:
        await call(bad.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, body="x")
    assert exc.value.status == 401 and exc.value.code == 20003
    assert emu.messages == []
    async with aiohttp.ClientSession() as http:
        resp = await http.get(f"{emu.base_url}/2010-04-01/Accounts/{SID}/Messages.json")
        body = await resp.json()
    assert resp.status == 401
    assert body["code"] == 20003 and body["message"] == "Authenticate" and body["status"] == 401
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20003"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "whatsapp:+7701", "from_": WA_FROM, "body": "x"}, 21211),
        ({"to": "not-a-number", "from_": SMS_FROM, "body": "x"}, 21211),
        ({"to": PARENT, "from_": "+1-bad", "body": "x"}, 21212),
        ({"to": PARENT, "from_": "+15550001111", "body": "x"}, 21606),
        ({"to": f"whatsapp:{PARENT}", "from_": "whatsapp:+15550001111", "body": "x"}, 63007),
        ({"to": f"whatsapp:{PARENT}", "from_": WA_FROM}, 21602),
        ({"to": PARENT, "body": "x"}, 21603),
        ({"to": f"whatsapp:{PARENT}", "from_": SMS_FROM, "body": "x"}, 21910),
        ({"to": PARENT, "from_": SMS_FROM, "body": "x" * 1601}, 21617),
        ({"to": f"whatsapp:{PARENT}", "from_": WA_FROM, "content_sid": "HX" + "0" * 32}, 21655),
    ],
)
async def test_validation_errors_as_twilio_answers_them(
    emu: TwilioEmulator, client: Client, kwargs: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as exc:
        await call(client.messages.create, **kwargs)
    assert exc.value.status == 400 and exc.value.code == code
    assert emu.messages == []


async def test_template_renders_and_goes_outside_the_window(emu: TwilioEmulator, client: Client) -> None:
    hx = emu.register_template("Сәлеметсіз бе, {{1}}! Ертеңгі сабақ: {{2}}.", language="kk")
    msg = await call(
        client.messages.create,
        to=f"whatsapp:{PARENT}",
        from_=WA_FROM,
        content_sid=hx,
        content_variables=json.dumps({"1": "Айгүл", "2": "алгебра"}),
    )
    assert msg.body == "Сәлеметсіз бе, Айгүл! Ертеңгі сабақ: алгебра."
    done = await emu.wait_until_settled(msg.sid)
    assert done.status == "read" and done.error_code is None  # the person never wrote: still delivered
    [sent] = emu.messages_to(PARENT)
    assert sent.is_template and sent.content_sid == hx
    assert sent.content_variables == {"1": "Айгүл", "2": "алгебра"}
    assert sent.text == "Сәлеметсіз бе, Айгүл! Ертеңгі сабақ: алгебра."

    with pytest.raises(TwilioRestException) as exc:  # a variable missing and no default
        await call(
            client.messages.create,
            to=f"whatsapp:{PARENT}",
            from_=WA_FROM,
            content_sid=hx,
            content_variables='{"1": "Айгүл"}',
        )
    assert exc.value.code == 21656


async def test_24_hour_rule(emu: TwilioEmulator, client: Client, hook: Hook) -> None:
    callback = f"{hook.url}/status"
    hx = emu.register_template("Еске салу: {{1}}")

    async def send(**kw: str) -> str:
        msg = await call(
            client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, status_callback=callback, **kw
        )
        await emu.wait_until_settled(msg.sid)
        return str(msg.sid)

    never_wrote = await send(body="free text")
    emu.set_last_inbound(PARENT, hours_ago=23.5)
    within = await send(body="free text")
    emu.set_last_inbound(PARENT, hours_ago=24.5)
    outside = await send(body="free text")
    template = await send(content_sid=hx, content_variables='{"1": "сабақ 15:00"}')

    def finals(sid: str) -> list[tuple[str, str | None]]:
        return [
            (r.form["MessageStatus"], r.form.get("ErrorCode"))
            for r in hook.at("/status")
            if r.form["MessageSid"] == sid
        ]

    assert finals(never_wrote) == [("failed", "63016")]
    assert finals(outside) == [("failed", "63016")]
    assert finals(within) == [("sent", None), ("delivered", None), ("read", None)]
    assert finals(template) == [("sent", None), ("delivered", None), ("read", None)]
    assert emu.message(outside).error_code == 63016
    fetched = await call(client.messages(outside).fetch)
    assert fetched.status == "failed" and fetched.error_code == 63016

    # an inbound message opens the window again
    await emu.inject_inbound("whatsapp", PARENT, "Сәлеметсіз бе")
    assert finals(await send(body="free text"))[-1] == ("read", None)


async def test_status_callbacks_are_signed_like_twilio(
    emu: TwilioEmulator, client: Client, hook: Hook
) -> None:
    callback = f"{hook.url}/status?attempt=1"
    msg = await call(
        client.messages.create, to=PARENT, from_=SMS_FROM, body="Hello", status_callback=callback
    )
    await emu.wait_until_settled(msg.sid)
    calls = hook.at("/status")
    assert [c.form["MessageStatus"] for c in calls] == ["sent", "delivered"]
    for c in calls:
        assert c.url == callback
        signature = c.headers["X-Twilio-Signature"]
        assert valid(c.form, c.url, signature)
        assert c.form["MessageSid"] == c.form["SmsSid"] == msg.sid
        assert c.form["AccountSid"] == SID and c.form["From"] == SMS_FROM and c.form["To"] == PARENT
        assert c.form["ApiVersion"] == "2010-04-01"
        tampered = MultiDict(c.form)
        tampered["MessageStatus"] = "failed"
        assert not valid(tampered, c.url, signature)
        assert not valid(c.form, f"{hook.url}/other", signature)
        assert not RequestValidator("another-token").validate(c.url, c.form, signature)
    records = emu.message(str(msg.sid)).callbacks
    assert [r.http_status for r in records] == [200, 200]
    assert all(r.latency is not None and r.latency >= 0 for r in records)


async def test_whatsapp_status_callback_fields(emu: TwilioEmulator, client: Client, hook: Hook) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    msg = await call(
        client.messages.create,
        to=f"whatsapp:{PARENT}",
        from_=WA_FROM,
        body="x",
        status_callback=f"{hook.url}/status",
    )
    await emu.wait_until_settled(msg.sid)
    first = hook.at("/status")[0].form
    assert first["ChannelPrefix"] == "whatsapp" and first["ChannelToAddress"] == PARENT
    assert first["ChannelInstallSid"].startswith("XE")


async def test_blocked_and_unreachable_numbers(emu: TwilioEmulator, client: Client) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    emu.mark_number(PARENT, "blocked", "whatsapp")
    wa = await call(client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, body="x")
    assert (await emu.wait_until_settled(wa.sid)).error_code == 63024
    assert emu.message(wa.sid).status == "failed"

    sms_cases: list[tuple[NumberState, int]] = [
        ("unreachable", 30003),
        ("unknown", 30005),
        ("blocked", 30004),
    ]
    for state, code in sms_cases:
        emu.mark_number(PARENT, state, "sms")
        sms = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
        done = await emu.wait_until_settled(sms.sid)
        assert (done.status_history, done.error_code) == (["queued", "sent", "undelivered"], code)

    emu.mark_number(PARENT, "ok")
    ok = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    assert (await emu.wait_until_settled(ok.sid)).status == "delivered"


async def test_sms_stop_is_a_carrier_opt_out(emu: TwilioEmulator, client: Client, hook: Hook) -> None:
    await emu.inject_inbound("sms", PARENT, "STOP")
    assert hook.at("/sms")[0].form["Body"] == "STOP"  # the webhook still hears it
    with pytest.raises(TwilioRestException) as exc:
        await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    assert exc.value.code == 21610
    await emu.inject_inbound("sms", PARENT, "START")
    msg = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    assert msg.status == "queued"


async def test_rate_limit_per_sender_and_lifting_it(emu: TwilioEmulator, client: Client) -> None:
    emu.set_rate_limit(2, per_seconds=60, sender=SMS_FROM)
    for _ in range(2):
        await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    with pytest.raises(TwilioRestException) as exc:
        await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    assert (exc.value.status, exc.value.code) == (429, 20429)
    emu.set_last_inbound(PARENT, hours_ago=1)
    await call(client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, body="other sender")
    emu.lift_rate_limit(SMS_FROM)
    await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="x")
    assert len(emu.messages_to(PARENT)) == 4


async def test_messaging_service_picks_the_sender(emu: TwilioEmulator, client: Client) -> None:
    msg = await call(client.messages.create, to=PARENT, messaging_service_sid="MG" + "1" * 32, body="x")
    assert msg.status == "accepted" and msg.from_ is None and msg.num_segments == "0"
    done = await emu.wait_until_settled(msg.sid)
    assert done.status_history == ["accepted", "queued", "sent", "delivered"]
    assert done.from_ == SMS_FROM and done.num_segments == 1


async def test_outbound_media_is_fetched(emu: TwilioEmulator, client: Client, hook: Hook) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    msg = await call(
        client.messages.create,
        to=f"whatsapp:{PARENT}",
        from_=WA_FROM,
        body="Бағалау парағы",
        media_url=[f"{hook.url}/img.png", f"{hook.url}/img.png"],
    )
    assert msg.num_media == "2"
    [sent] = emu.messages_to(PARENT)
    assert [(m.data, m.content_type, m.error) for m in sent.media] == [(PNG, "image/png", None)] * 2

    broken = await call(
        client.messages.create, to=f"whatsapp:{PARENT}", from_=WA_FROM, media_url=[f"{hook.url}/missing.png"]
    )
    done = await emu.wait_until_settled(broken.sid)
    assert (done.status, done.error_code) == ("failed", 63019)
    assert done.media[0].error == "HTTP 405"


# --------------------------------------------------------------------------- async client


async def test_async_client_create_and_fetch(emu: TwilioEmulator) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    async with AsyncRewritingHttpClient(emu.base_url) as http:
        client = Client(SID, TOKEN, http_client=http)
        msg = await client.messages.create_async(to=f"whatsapp:{PARENT}", from_=WA_FROM, body="Async сәлем")
        assert msg.sid is not None and msg.status == "queued"
        await emu.wait_until_settled(msg.sid)
        fetched = await client.messages(msg.sid).fetch_async()
        assert fetched.status == "read"
        sms = await client.messages.create_async(
            to=PARENT, from_=SMS_FROM, body="x", media_url=["https://example.invalid/a.png"]
        )
        assert sms.num_media == "1"  # repeated MediaUrl survive the aiohttp form encoding
        bad = Client(SID, "nope", http_client=http)
        with pytest.raises(TwilioRestException) as exc:
            await bad.messages.create_async(to=PARENT, from_=SMS_FROM, body="x")
        assert exc.value.code == 20003


# --------------------------------------------------------------------------- inbound


async def test_inbound_webhook_is_signed_and_twiml_replies_are_recorded(
    emu: TwilioEmulator, hook: Hook
) -> None:
    hook.twiml = (
        "<?xml version='1.0' encoding='UTF-8'?><Response>"
        "<Message>Қабылданды: 2 бет</Message>"
        f"<Message><Body>Рақмет!</Body><Media>{hook.url}/img.png</Media></Message>"
        "</Response>"
    )
    result = await emu.inject_inbound(
        "whatsapp", PARENT, "Үй жұмысы", media=[(PNG, "image/png")], profile_name="Айгүл"
    )
    [req] = hook.at("/wa")
    assert req.url == f"{hook.url}/wa?school=7"
    assert valid(req.form, req.url, req.headers["X-Twilio-Signature"])
    f = req.form
    assert f["MessageSid"] == f["SmsMessageSid"] == f["SmsSid"] == result.message_sid
    assert f["MessageSid"].startswith("SM") and f["AccountSid"] == SID
    assert f["From"] == f"whatsapp:{PARENT}" and f["To"] == WA_FROM
    assert (f["Body"], f["NumMedia"], f["ProfileName"], f["WaId"]) == ("Үй жұмысы", "1", "Айгүл", PARENT[1:])
    assert f["MediaContentType0"] == "image/png" and f["MediaUrl0"].startswith(emu.base_url)
    assert (f["SmsStatus"], f["ApiVersion"], f["NumSegments"]) == ("received", "2010-04-01", "1")
    assert "I-Twilio-Idempotency-Token" in req.headers

    assert result.http_status == 200 and result.latency is not None and result.latency > 0
    assert result.error_code is None
    replies = await emu.wait_for_messages(PARENT, 2)
    assert [(r.text, r.direction, r.to, r.from_) for r in replies] == [
        ("Қабылданды: 2 бет", "outbound-reply", f"whatsapp:{PARENT}", WA_FROM),
        ("Рақмет!", "outbound-reply", f"whatsapp:{PARENT}", WA_FROM),
    ]
    assert replies[1].media[0].data == PNG
    assert all(r.in_reply_to == result.message_sid for r in replies)
    await emu.settle()
    assert [r.status for r in emu.messages_to(PARENT)] == ["read", "read"]
    assert emu.messages_from(PARENT)[0].body == "Үй жұмысы"

    again = await emu.retry_inbound(result)
    [_, retried] = hook.at("/wa")
    assert retried.form == req.form
    assert retried.headers["X-Twilio-Signature"] == req.headers["X-Twilio-Signature"]
    assert retried.headers["I-Twilio-Idempotency-Token"] == req.headers["I-Twilio-Idempotency-Token"]
    assert again.attempt == 2

    forged = await emu.inject_inbound("whatsapp", PARENT, "hi", forge_signature=True)
    last = hook.at("/wa")[-1]
    assert forged.forged and not valid(last.form, last.url, last.headers["X-Twilio-Signature"])


async def test_inbound_sms_button_and_webhook_failures(emu: TwilioEmulator, hook: Hook) -> None:
    result = await emu.inject_inbound("sms", PARENT, "Иә", extra_fields={"NewTwilioField": "x"})
    form = hook.at("/sms")[0].form
    assert form["From"] == PARENT and form["To"] == SMS_FROM and form["FromCountry"] == "KZ"
    assert form["NewTwilioField"] == "x" and valid(form, f"{hook.url}/sms", result.signature)
    assert "WaId" not in form and result.replies == []

    await emu.inject_inbound("whatsapp", PARENT, button_payload="consent:yes", button_text="Келісемін")
    button = hook.at("/wa")[0].form
    assert (button["ButtonPayload"], button["ButtonText"], button["Body"]) == (
        "consent:yes",
        "Келісемін",
        "Келісемін",
    )
    assert button["MessageType"] == "button"

    hook.status = 500
    failed = await emu.inject_inbound("whatsapp", PARENT, "x")
    assert (failed.http_status, failed.error_code) == (500, 11200)
    hook.status, hook.twiml = 200, "<Response><Message>unclosed"
    broken = await emu.inject_inbound("whatsapp", PARENT, "x")
    assert broken.error_code == 12100 and broken.replies == []
    hook.twiml, hook.content_type = "Жауап мәтіні", "text/plain"
    plain = await emu.inject_inbound("sms", PARENT, "x")
    assert [r.text for r in plain.replies] == ["Жауап мәтіні"]


def test_parse_twiml_shapes() -> None:
    assert parse_twiml("", "text/xml") == []
    assert parse_twiml("<Response/>", "text/xml") == []
    [one] = parse_twiml(
        '<Response><Message to="+77019998877">  hi  </Message><Redirect>/x</Redirect></Response>', None
    )
    assert (one.to, one.body) == ("+77019998877", "hi")


async def test_media_download_needs_basic_auth_and_redirects_to_a_short_lived_url(
    emu: TwilioEmulator, client: Client, hook: Hook
) -> None:
    result = await emu.inject_inbound("whatsapp", PARENT, "", media=[(PNG, "image/png")])
    media_url = result.form["MediaUrl0"]
    async with aiohttp.ClientSession() as http:
        async with http.get(media_url, headers=AUTH) as resp:
            assert resp.status == 200 and resp.content_type == "image/png"
            assert await resp.read() == PNG
            assert resp.history[0].status == 307 and "/cdn/" in str(resp.url)
        async with http.get(media_url) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 20003
        async with http.get(media_url, headers={"Authorization": basic_authorization(SID, "wrong")}) as resp:
            assert resp.status == 401

        emu.media_ttl = 0.05
        async with http.get(media_url, headers=AUTH, allow_redirects=False) as resp:
            assert resp.status == 307
            cdn = resp.headers["Location"]
        await asyncio.sleep(0.1)
        async with http.get(cdn) as resp:
            assert resp.status == 403

        # the app deletes media at Twilio once stored
        media_sid = media_url.rsplit("/", 1)[1]
        assert await call(client.messages(result.message_sid).media(media_sid).delete) is True
        assert emu.media(media_sid).deleted
        async with http.get(media_url, headers=AUTH) as resp:
            assert resp.status == 404


# --------------------------------------------------------------------------- segments


def test_segments_latin_cyrillic_and_kazakh() -> None:
    assert segment_info("a" * 160) == segment_info("a" * 160).__class__("GSM-7", 160, 1)
    assert count_segments("a" * 161) == 2
    assert count_segments("a" * 306) == 2 and count_segments("a" * 307) == 3
    assert count_segments("€" * 80) == 1 and count_segments("€" * 81) == 2  # extension chars count twice
    assert segment_info("Сәлем").encoding == "UCS-2"
    assert count_segments("д" * 70) == 1 and count_segments("д" * 71) == 2
    assert count_segments("д" * 134) == 2 and count_segments("д" * 135) == 3
    for letter in "әғқңөұүһі":
        info = segment_info("Hello " + letter)
        assert info.encoding == "UCS-2", letter
    assert segment_info("Hello, Ainur! Lesson at 15:00.").encoding == "GSM-7"
    assert count_segments("") == 1


async def test_num_segments_through_the_api(emu: TwilioEmulator, client: Client) -> None:
    latin = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="a" * 161)
    russian = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="Здравствуйте " * 6)
    kazakh = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="Lesson " * 9 + "ә")
    assert (latin.num_segments, russian.num_segments, kazakh.num_segments) == ("2", "2", "1")
    assert emu.message(str(kazakh.sid)).num_segments == 1
    long_kazakh = await call(client.messages.create, to=PARENT, from_=SMS_FROM, body="Lesson " * 10 + "ә")
    assert long_kazakh.num_segments == "2"


# --------------------------------------------------------------------------- control API over HTTP


async def test_control_http_api(emu: TwilioEmulator, hook: Hook) -> None:
    base = f"{emu.base_url}/_emulator"
    hook.twiml = "<Response><Message>ok</Message></Response>"
    async with aiohttp.ClientSession() as http:

        async def post(path: str, payload: dict[str, Any]) -> Any:
            async with http.post(f"{base}/{path}", json=payload) as resp:
                assert resp.status in (200, 201), await resp.text()
                return await resp.json()

        await post("webhooks", {"sms": f"{hook.url}/sms2"})
        assert emu.webhook_urls["sms"] == f"{hook.url}/sms2"
        template = await post("templates", {"body": "Сабақ {{1}}", "content_sid": "HX" + "a" * 32})
        assert template["content_sid"] in emu.templates
        inbound = await post(
            "inbound",
            {
                "channel": "whatsapp",
                "from": PARENT,
                "body": "Фото",
                "media": [{"content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}],
            },
        )
        assert inbound["http_status"] == 200 and len(inbound["replies"]) == 1
        waited = await post("wait", {"number": PARENT, "count": 1, "timeout": 2})
        assert waited[0]["text"] == "ok" and waited[0]["direction"] == "outbound-reply"
        async with http.get(f"{base}/messages", params={"number": PARENT, "direction": "inbound"}) as resp:
            [received] = await resp.json()
        assert received["body"] == "Фото"
        async with http.get(f"{base}{received['media'][0]['data_url'].removeprefix('/_emulator')}") as resp:
            assert await resp.read() == PNG and resp.content_type == "image/png"
        await post("numbers", {"number": PARENT, "state": "unreachable", "channel": "sms"})
        assert emu.number_state(PARENT, "sms") == "unreachable"
        seen = await post("last_inbound", {"number": PARENT, "hours_ago": 30})
        assert seen["last_inbound"] is not None
        await post("opt_out", {"number": PARENT})
        assert emu.is_opted_out(PARENT)
        await post("rate_limit", {"max_messages": 1, "per_seconds": 10})
        async with http.delete(f"{base}/rate_limit") as resp:
            assert resp.status == 200
        retried = await post(f"inbound/{inbound['message_sid']}/retry", {})
        assert retried["attempt"] == 2
        async with http.get(f"{base}/state") as resp:
            state = await resp.json()
        assert state["account_sid"] == SID and state["message_count"] >= 2
        async with http.post(f"{base}/wait", json={"number": "+77000000000", "timeout": 0.05}) as resp:
            assert resp.status == 408
        async with http.post(f"{base}/numbers", json={"number": PARENT, "state": "weird"}) as resp:
            assert resp.status == 400
        await post("reset", {})
    assert emu.messages == [] and not emu.is_opted_out(PARENT) and emu.templates


async def test_wait_for_messages_times_out(emu: TwilioEmulator) -> None:
    with pytest.raises(TimeoutError):
        await emu.wait_for_messages(PARENT, 1, timeout=0.05)


# --------------------------------------------------------------------------- the Content API


def _quick_reply(*titles: str) -> dict[str, Any]:
    actions = [{"type": "QUICK_REPLY", "id": f"c:{n}", "title": t} for n, t in enumerate(titles)]
    return {"twilio/quick-reply": {"body": "{{1}}", "actions": actions}, "twilio/text": {"body": "{{1}}"}}


def _request(types: dict[str, Any], **more: Any) -> Any:
    from twilio.rest.content.v1.content import ContentList

    return ContentList.ContentCreateRequest({"friendly_name": "t", "language": "kk", "types": types} | more)


async def test_content_is_created_fetched_listed_and_deleted_through_the_async_client(
    emu: TwilioEmulator,
) -> None:
    async with AsyncRewritingHttpClient(emu.base_url) as http:
        client = Client(SID, TOKEN, http_client=http)
        created = await client.content.v1.contents.create_async(
            _request(_quick_reply("Иә", "Жоқ"), variables={"1": "Келісесіз бе?"})
        )
        assert created.sid is not None and created.sid.startswith("HX") and created.account_sid == SID
        assert (
            created.types is not None and created.types["twilio/quick-reply"]["actions"][1]["title"] == "Жоқ"
        )
        assert created.date_created is not None  # ISO 8601, as the client parses it
        fetched = await client.content.v1.contents(created.sid).fetch_async()
        assert (fetched.friendly_name, fetched.variables) == ("t", {"1": "Келісесіз бе?"})
        listed = await client.content.v1.contents.list_async()
        assert [c.sid for c in listed] == [created.sid]
        with pytest.raises(TwilioRestException) as missing_types:
            await client.content.v1.contents.create_async(_request({}))
        assert missing_types.value.code == 92001
        assert await client.content.v1.contents(created.sid).delete_async()
        assert emu.templates == {}


async def test_a_quick_reply_and_a_list_show_their_buttons_and_taps_post_the_choice(
    emu: TwilioEmulator, hook: Hook
) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    async with AsyncRewritingHttpClient(emu.base_url) as http:
        client = Client(SID, TOKEN, http_client=http)
        buttons = await client.content.v1.contents.create_async(
            _request(
                {
                    "twilio/quick-reply": {
                        "body": "{{1}}",
                        "actions": [
                            {"type": "QUICK_REPLY", "id": "{{2}}", "title": "{{3}}"},
                            {"type": "QUICK_REPLY", "id": "{{4}}", "title": "{{5}}"},
                        ],
                    }
                }
            )
        )
        variables = {"1": "Келісесіз бе?", "2": "consent:yes:7", "3": "Иә", "4": "consent:no:7", "5": "Жоқ"}
        sent = await client.messages.create_async(
            to=f"whatsapp:{PARENT}",
            from_=WA_FROM,
            content_sid=buttons.sid,
            content_variables=json.dumps(variables),
        )
        items = [
            {"id": f"lang:{code}", "item": name, "description": "—"}
            for code, name in (("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"), ("de", "Deutsch"))
        ]
        listing = await client.content.v1.contents.create_async(
            _request({"twilio/list-picker": {"body": "Тілді таңдаңыз", "button": "Таңдау", "items": items}})
        )
        listed = await client.messages.create_async(
            to=f"whatsapp:{PARENT}", from_=WA_FROM, content_sid=listing.sid
        )
    shown = emu.message(sent.sid or "")
    assert shown.text == "Келісесіз бе?" and shown.interactive == {
        "type": "twilio/quick-reply",
        "button": None,
        "options": [{"id": "consent:yes:7", "title": "Иә"}, {"id": "consent:no:7", "title": "Жоқ"}],
    }
    assert (await emu.wait_until_settled(shown.sid)).status == "read"
    await emu.tap(shown.sid, "consent:no:7")
    tapped = hook.at("/wa")[-1].form
    assert (tapped["ButtonPayload"], tapped["ButtonText"], tapped["Body"], tapped["MessageType"]) == (
        "consent:no:7",
        "Жоқ",
        "Жоқ",
        "button",
    )
    picker = emu.message(listed.sid or "")
    assert picker.interactive is not None and picker.interactive["button"] == "Таңдау"
    await emu.tap(picker.sid, "lang:ru")
    picked = hook.at("/wa")[-1].form
    assert (picked["ListId"], picked["ListTitle"], picked["Body"]) == ("lang:ru", "Русский", "Русский")
    assert "ButtonPayload" not in picked
    with pytest.raises(KeyError):
        await emu.tap(picker.sid, "lang:xx")


async def test_content_breaking_whatsapps_limits_is_refused_and_sms_gets_the_text(
    emu: TwilioEmulator,
) -> None:
    emu.set_last_inbound(PARENT, hours_ago=1)
    async with AsyncRewritingHttpClient(emu.base_url) as http:
        client = Client(SID, TOKEN, http_client=http)
        four = await client.content.v1.contents.create_async(_request(_quick_reply("1", "2", "3", "4")))
        long_title = await client.content.v1.contents.create_async(
            _request(_quick_reply("Сыныптың барлық ата-аналары"))
        )
        for content in (four, long_title):
            with pytest.raises(TwilioRestException) as refused:
                await client.messages.create_async(
                    to=f"whatsapp:{PARENT}",
                    from_=WA_FROM,
                    content_sid=content.sid,
                    content_variables=json.dumps({"1": "?"}),
                )
            assert refused.value.code == 21656
        by_sms = await client.messages.create_async(
            to=PARENT,
            from_=SMS_FROM,
            content_sid=four.sid,
            content_variables=json.dumps({"1": "Жауап беріңіз"}),
        )
        assert (
            emu.message(by_sms.sid or "").text == "Жауап беріңіз"
            and emu.message(by_sms.sid or "").interactive is None
        )
        emu.set_last_inbound(PARENT, hours_ago=30)
        ok = await client.content.v1.contents.create_async(_request(_quick_reply("Иә")))
        outside = await client.messages.create_async(
            to=f"whatsapp:{PARENT}",
            from_=WA_FROM,
            content_sid=ok.sid,
            content_variables=json.dumps({"1": "?"}),
        )
    late = await emu.wait_until_settled(outside.sid or "")
    assert (late.status, late.error_code) == ("failed", 63016)  # not approved: only inside the window
