"""A local Twilio Messaging emulator (WhatsApp and SMS) that the real `twilio` client talks to.

Point the client at it with `bots.twilio_http` (rewrites every *.twilio.com URL to the base URL):

    emu = TwilioEmulator(account_sid="AC…", auth_token="…", whatsapp_webhook_url="http://…/twilio/whatsapp")
    base = await emu.start(host="127.0.0.1", port=0)          # or: async with TwilioEmulator(...) as emu
    client = Client(sid, token, http_client=AsyncRewritingHttpClient(base))
    await client.messages.create_async(to="whatsapp:+77011234567", from_="whatsapp:+14155238886", body="…")
    sent = await emu.wait_for_messages("+77011234567", 1)
    await emu.stop()

The emulator serves on the event loop that started it: call the blocking `Client` (requests) from
another thread (`await asyncio.to_thread(client.messages.create, ...)`), or use the async client.

Constructor (all keyword-only after the credentials):
    TwilioEmulator(account_sid=DEFAULT_ACCOUNT_SID, auth_token=DEFAULT_AUTH_TOKEN, *,
        whatsapp_numbers=("+14155238886",), sms_numbers=("+15005550006",),   # senders the account owns
        whatsapp_webhook_url=None, sms_webhook_url=None,                    # inbound webhooks
        step_delay=0.0,          # seconds between status changes (queued → sent → delivered → read)
        media_ttl=60.0,          # seconds a /cdn/<token> media URL stays valid
        webhook_timeout=15.0,    # seconds for webhook and status-callback POSTs
        whatsapp_read=True,      # WhatsApp messages end "read" (else "delivered")
        public_url=None,         # base URL to advertise (MediaUrl, redirects) if not the bound one
        clock=None)              # () -> aware datetime; the 24 h window is measured on it

Lifecycle: `await emu.start(host, port) -> base_url`, `await emu.stop()`, `async with emu`, `emu.base_url`.

REST API (HTTP Basic auth: account sid + auth token; Twilio's JSON error shape
{"code", "message", "more_info", "status"}):
    POST   /2010-04-01/Accounts/{AC}/Messages.json          create (To, From, Body, MediaUrl…, ContentSid,
           ContentVariables, StatusCallback, MessagingServiceSid) → 201 Message resource
    GET    /2010-04-01/Accounts/{AC}/Messages.json          list (To, From, PageSize, Page; newest first)
    GET|POST|DELETE  …/Messages/{SM}.json                   fetch; update (Body="" redacts,
           Status=canceled); delete
    GET    …/Messages/{SM}/Media.json, …/Media/{ME}.json    media list / metadata
    DELETE …/Messages/{SM}/Media/{ME}.json                  delete stored media (204)
    GET    …/Messages/{SM}/Media/{ME}                       307 → /cdn/<token> (bytes, expires)
    POST|GET /v1/Content, GET|DELETE /v1/Content/{HX}       the Content API: quick replies and lists
           (`sandbox.twilio_emulator.content`), sent by ContentSid as WhatsApp shows them
  Errors: 20003 (401 bad credentials), 20404, 20429 (rate limit, Retry-After), 21211 bad To,
  21212 bad From, 21602 no body, 21603 no From, 21604 no To, 21606 SMS From not owned, 21610 SMS
  recipient opted out (sent STOP), 21617 body > 1600, 21655 unknown ContentSid, 21656 bad or missing
  ContentVariables, 21701 bad MessagingServiceSid, 21910 From/To channel mismatch, 63007 WhatsApp
  From not owned.
  Delivery outcomes (status callbacks carry ErrorCode): WhatsApp free-form outside 24 h of the person's
  last inbound → failed 63016 (approved templates go through); WhatsApp number marked not ok → failed
  63024; WhatsApp MediaUrl that could not be fetched → failed 63019; SMS number unreachable → undelivered
  30003, blocked → 30004, unknown → 30005.

Python control API (call on the loop the emulator runs on):
    set_webhook(channel, url)                     add_sender(channel, number)
    register_template(body, *, content_sid=None, language="kk", friendly_name=None, defaults=None,
                      approved=True) -> "HX…"
    mark_number(number, "ok"|"blocked"|"unreachable"|"unknown", channel=None)   number_state(number, ch)
    set_last_inbound(number, at=None, *, hours_ago=None)   last_inbound(number)
    set_opted_out(number, opted_out=True)         is_opted_out(number)
    set_rate_limit(max_messages, per_seconds=1.0, sender=None)   lift_rate_limit(sender=None)
    reset(*, keep_config=True)                    # keeps webhooks, templates, senders unless False
    messages, messages_to(number, channel=None), messages_from(number, channel=None), message(sid),
    media(sid), callbacks, inbound_results, templates
    await wait_for_messages(number, count=1, *, channel=None, timeout=5.0) -> list[EmulatedMessage]
    await wait_for_status(sid, statuses=FINAL_STATUSES, timeout=5.0)
    await wait_until_settled(sid, timeout=5.0)    await settle(timeout=5.0)
    await inject_inbound(channel="whatsapp", from_number="+7701…", body="", media=[(bytes, ctype)], *,
                         button_payload=None, button_text=None, list_id=None, list_title=None,
                         profile_name="Sandbox User", to=None, forge_signature=False,
                         extra_fields=None) -> InboundResult
    await tap(message_sid, option_id) -> InboundResult   # a tap on a button or list item of a message
    await retry_inbound(result_or_message_sid) -> InboundResult   # the same signed request again
  An EmulatedMessage has sid, channel, direction ("outbound-api", "outbound-reply", "inbound"), from_,
  to, number, body, text (rendered template or body), content_sid, content_variables, rendered_text,
  media [MediaItem: sid, content_type, data, source_url, error, deleted], status, status_history,
  error_code, error_message, num_segments, status_callback, callbacks [CallbackRecord: status, url,
  form, signature, http_status, latency, error], in_reply_to, settled.
  An InboundResult has message_sid, url, form, headers, signature, forged, attempt, http_status,
  latency, response_body, error_code (11200 webhook failed, 12100 bad TwiML), error, replies.

JSON control endpoints (no auth, CORS open) — same operations for other processes and the web page:
    GET  /_emulator/state                      configuration and counters
    POST /_emulator/webhooks      {"whatsapp": url, "sms": url}
    GET  /_emulator/templates;    POST {"body", "content_sid"?, "language"?, "friendly_name"?,
                                        "defaults"?, "approved"?} → template JSON (201)
    GET  /_emulator/messages?number=&channel=&direction=   → [message JSON]
    GET  /_emulator/messages/{sid}                          → message JSON
    GET  /_emulator/media/{ME}                              → the bytes
    POST /_emulator/wait          {"number", "count"?, "channel"?, "timeout"?} → [message JSON] (408)
    POST /_emulator/settle        {"sid"?, "timeout"?}
    POST /_emulator/numbers       {"number", "state", "channel"?}
    POST /_emulator/last_inbound  {"number", "at"? (ISO), "hours_ago"?}
    POST /_emulator/opt_out       {"number", "opted_out"?}
    POST /_emulator/rate_limit    {"max_messages", "per_seconds"?, "sender"?};  DELETE ?sender=
    GET  /_emulator/inbound;      POST {"from", "channel"?, "body"?, "media"?: [{"content_type",
                                  "data_base64"}], "button_payload"?, "button_text"?, "list_id"?,
                                  "list_title"?, "profile_name"?, "to"?, "forge_signature"?,
                                  "extra_fields"?} → inbound JSON (201)
    POST /_emulator/tap           {"message_sid", "id"} → inbound JSON (201): the person taps an option
    POST /_emulator/inbound/{SM}/retry
    POST /_emulator/reset         {"keep_config"?}

Run on its own: `python -m sandbox.twilio_emulator --port 8701 --whatsapp-webhook URL --sms-webhook URL`.
"""

from sandbox.twilio_emulator.emulator import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_SMS_NUMBER,
    DEFAULT_WHATSAPP_NUMBER,
    TwilioApiError,
    TwilioEmulator,
    parse_twiml,
)
from sandbox.twilio_emulator.records import (
    FINAL_STATUSES,
    CallbackRecord,
    Channel,
    EmulatedMessage,
    InboundResult,
    MediaItem,
    NumberState,
    Template,
)
from sandbox.twilio_emulator.segments import SegmentInfo, count_segments, segment_info

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "DEFAULT_SMS_NUMBER",
    "DEFAULT_WHATSAPP_NUMBER",
    "FINAL_STATUSES",
    "CallbackRecord",
    "Channel",
    "EmulatedMessage",
    "InboundResult",
    "MediaItem",
    "NumberState",
    "SegmentInfo",
    "Template",
    "TwilioApiError",
    "TwilioEmulator",
    "count_segments",
    "parse_twiml",
    "segment_info",
]
