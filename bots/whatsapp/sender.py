"""The outbox's way into WhatsApp and SMS, and the direct reply to a person who just wrote.

WhatsApp's 24-hour rule: free text only within 24 h of the person's last message (the dispatcher says
so in `Outgoing.within_session`); outside it only an approved template goes, chosen by notification
kind and the person's language (settings.twilio_templates, "<kind>:<language>" → Content SID), with
the text's parameters as its variables. No template means this channel cannot carry the message:
a permanent failure, so the dispatcher moves on to the next channel. SMS is the last channel and is
cut to a few segments (`sms.shorten`), never transliterated; a cut message is reported as cut, so the
outbox records it as such rather than as delivered whole.

A direct reply to a person who just wrote is rendered here for the channel: on WhatsApp its choices
go as buttons or a list when they fit (`bots.whatsapp.content`), else as a numbered list; by SMS a
long answer goes as several messages, each within the segment cap, so nothing the person asked for
is lost.

Twilio accepting a message is reported as delivered; what happens after (sent, delivered, read,
failed with 63016 …) arrives as a status callback (`bots.whatsapp.status`). Twilio's 429 (20429) is
account-wide: the whole sender waits. A send whose outcome was never stored (the dispatcher died or
was cut off) is looked up before it is repeated (`find`): Twilio's Messages list, filtered by our
number and theirs, then the Message resource itself by its SID.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bots.whatsapp.content import ContentTemplates, Interactive, interactive
from bots.whatsapp.media import PublicFiles
from bots.whatsapp.render import MAX_BODY, bodies, render
from bots.whatsapp.sms import shorten, split
from handlers.types import Reply
from models.enums import Channel
from outbox.sender import Outcome, Outgoing, SendResult

log = logging.getLogger(__name__)

STATUS_PATH = "/twilio/status"
# The number itself cannot take messages on this channel: invalid, not mobile, not on WhatsApp.
UNUSABLE_NUMBER = frozenset({21211, 21612, 21614, 63024})
THROTTLE_WAIT = 1.0  # Twilio's 429 carries no Retry-After
LOOKUP_PAGE = 20  # the newest messages to the number looked at by `find`
CLOCK_SLACK = timedelta(seconds=2)  # between our clock and Twilio's
FAILED = frozenset({"failed", "undelivered", "canceled"})


class TwilioSender:
    def __init__(
        self,
        channel: Channel,
        client: Client,
        from_address: str,
        files: PublicFiles,
        templates: Mapping[str, str],
        sms_max_segments: int,
        contents: ContentTemplates | None = None,
    ) -> None:
        self.channel = channel.value
        self.client = client
        self.from_address = from_address
        self.files = files
        self.templates = dict(templates)
        self.sms_max_segments = sms_max_segments
        self.contents = contents  # WhatsApp buttons; None: numbered lists only

    def to_address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.channel == Channel.WHATSAPP else number

    async def send(self, message: Outgoing) -> SendResult:
        fields: dict[str, Any] = {}
        if self.files.base_url:  # a process without a public address learns no delivery status
            fields["status_callback"] = self.files.base_url + STATUS_PATH
        body = self._body(message)
        cut = False
        if self.channel == Channel.SMS:
            fields["body"] = body
            cut = body != message.text.strip()
        elif body is not None:
            fields |= self._free_form(body, message.media_path)
        else:
            content_sid = self.templates.get(f"{message.template_key}:{message.locale}")
            if content_sid is None:
                return SendResult(Outcome.FAILED, error="no template outside the 24-hour window")
            variables = {str(n): value for n, value in enumerate(message.template_params, start=1)}
            fields |= {"content_sid": content_sid, "content_variables": json.dumps(variables)}
        result = await self._create(message.address, fields)
        return replace(result, cut=True) if cut and result.outcome == Outcome.DELIVERED else result

    def _body(self, message: Outgoing) -> str | None:
        """The free text this message goes as; None for a template (outside the 24-hour window)."""
        if self.channel == Channel.SMS:
            return shorten(message.text, self.sms_max_segments)
        return message.text[:MAX_BODY] if message.within_session else None

    async def find(self, message: Outgoing, since: datetime) -> SendResult | None:
        """The outcome of `message` if Twilio took it at or after `since`: the newest messages from
        our number to theirs, the one with this text, read again by its SID for its current status.
        A template's text is Twilio's to render, so it is never matched: it goes again."""
        body = self._body(message)
        if body is None:
            return None
        moment = (since if since.tzinfo else since.replace(tzinfo=UTC)) - CLOCK_SLACK
        listed = await self.client.messages.list_async(
            to=self.to_address(message.address), from_=self.from_address, limit=LOOKUP_PAGE
        )
        for found in listed:
            created = found.date_created
            if found.sid and found.body == body and created is not None and created >= moment:
                current = await self.client.messages(found.sid).fetch_async()
                if current.status in FAILED:
                    return SendResult(Outcome.FAILED, error=f"{current.status}:{current.error_code or '-'}")
                return SendResult(Outcome.DELIVERED, provider_id=found.sid)
        return None

    async def reply(self, number: str, reply: Reply, fallback_locale: str) -> list[SendResult]:
        """A direct answer to the person who just wrote (inside the session by definition), in as
        many messages as its text needs; a file sent `media_once` may be fetched once, then it is
        deleted (a data export)."""
        if self.channel == Channel.SMS:
            parts = split(render(reply, fallback_locale, self.channel), self.sms_max_segments)
            return [await self._reply(number, {"body": part}) for part in parts]
        buttons = await self._buttons(reply, reply.locale or fallback_locale)
        if buttons is not None:
            return [await self._reply(number, buttons)]
        results = []
        for number_of, text in enumerate(bodies(reply, fallback_locale, self.channel)):
            media = reply.media_path if number_of == 0 else None  # the file once, with the first
            results.append(await self._reply(number, self._free_form(text, media, once=reply.media_once)))
        return results

    async def _buttons(self, reply: Reply, locale: str) -> dict[str, Any] | None:
        """The reply's choices as a Content message (buttons or a list), when they fit one."""
        message: Interactive | None = interactive(reply, locale, self.channel) if self.contents else None
        if message is None or self.contents is None:
            return None
        try:
            content_sid = await self.contents.sid_for(message)
        except (TwilioException, aiohttp.ClientError, TimeoutError) as error:
            log.warning("twilio: no buttons (%s), a numbered list instead", type(error).__name__)
            return None
        return {"content_sid": content_sid, "content_variables": json.dumps(message.variables())}

    async def _reply(self, number: str, fields: dict[str, Any]) -> SendResult:
        result = await self._create(number, fields)
        if result.outcome != Outcome.DELIVERED:
            log.warning("twilio %s reply not accepted: %s", self.channel, result.error)
        return result

    def _free_form(self, text: str, media_path: str | None, *, once: bool = False) -> dict[str, Any]:
        fields: dict[str, Any] = {"body": text[:MAX_BODY]}
        url = self.files.url(media_path, once=once) if media_path else None
        if url:
            fields["media_url"] = [url]
        return fields

    async def _create(self, number: str, fields: dict[str, Any]) -> SendResult:
        try:
            sent = await self.client.messages.create_async(
                to=self.to_address(number), from_=self.from_address, **fields
            )
        except TwilioRestException as error:
            return _classify(error)
        except (TwilioException, aiohttp.ClientError, TimeoutError) as error:
            return SendResult(Outcome.RETRY, error=type(error).__name__)
        return SendResult(Outcome.DELIVERED, provider_id=sent.sid or "")


def _classify(error: TwilioRestException) -> SendResult:
    code = f"{error.status}:{error.code}"
    if error.status == 429 or error.code == 20429:
        return SendResult(Outcome.THROTTLED, retry_after=THROTTLE_WAIT, error=code, whole_sender=True)
    if error.status >= 500:
        return SendResult(Outcome.RETRY, error=code)
    if error.code in UNUSABLE_NUMBER:
        return SendResult(Outcome.BLOCKED, error=code)
    return SendResult(Outcome.FAILED, error=code)
