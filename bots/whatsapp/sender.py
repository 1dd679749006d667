"""The outbox's way into WhatsApp and SMS, and the direct reply to a person who just wrote.

WhatsApp's 24-hour rule: free text only within 24 h of the person's last message (the dispatcher says
so in `Outgoing.within_session`); outside it only an approved template goes, chosen by notification
kind and the person's language (settings.twilio_templates, "<kind>:<language>" → Content SID), with
the text's parameters as its variables. No template means this channel cannot carry the message:
a permanent failure, so the dispatcher moves on to the next channel. SMS is the last channel and is
cut to a few segments (`sms.shorten`), never transliterated.

Twilio accepting a message is reported as delivered; what happens after (sent, delivered, read,
failed with 63016 …) arrives as a status callback (`bots.whatsapp.status`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bots.whatsapp.media import PublicFiles
from bots.whatsapp.render import MAX_BODY
from bots.whatsapp.sms import shorten
from models.enums import Channel
from scheduler.sender import Outcome, Outgoing, SendResult

log = logging.getLogger(__name__)

STATUS_PATH = "/twilio/status"
# The number itself cannot take messages on this channel: invalid, not mobile, not on WhatsApp.
UNUSABLE_NUMBER = frozenset({21211, 21612, 21614, 63024})


class TwilioSender:
    def __init__(
        self,
        channel: Channel,
        client: Client,
        from_address: str,
        files: PublicFiles,
        templates: Mapping[str, str],
        sms_max_segments: int,
    ) -> None:
        self.channel = channel.value
        self.client = client
        self.from_address = from_address
        self.files = files
        self.templates = dict(templates)
        self.sms_max_segments = sms_max_segments

    def to_address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.channel == Channel.WHATSAPP else number

    async def send(self, message: Outgoing) -> SendResult:
        fields: dict[str, Any] = {}
        if self.files.base_url:  # a process without a public address learns no delivery status
            fields["status_callback"] = self.files.base_url + STATUS_PATH
        if self.channel == Channel.SMS:
            fields["body"] = shorten(message.text, self.sms_max_segments)
        elif message.within_session:
            fields |= self._free_form(message.text, message.media_path)
        else:
            content_sid = self.templates.get(f"{message.template_key}:{message.locale}")
            if content_sid is None:
                return SendResult(Outcome.FAILED, error="no template outside the 24-hour window")
            variables = {str(n): value for n, value in enumerate(message.template_params, start=1)}
            fields |= {"content_sid": content_sid, "content_variables": json.dumps(variables)}
        return await self._create(message.address, fields)

    async def reply(
        self, number: str, text: str, media_path: str | None = None, *, once: bool = False
    ) -> SendResult:
        """A direct answer to the person who just wrote (inside the session by definition); `once`:
        the file may be fetched once, then it is deleted (a data export)."""
        if self.channel == Channel.WHATSAPP:
            fields = self._free_form(text, media_path, once=once)
        else:
            fields = {"body": text[:MAX_BODY]}
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
        return SendResult(Outcome.RETRY, error=code)
    if error.status >= 500:
        return SendResult(Outcome.RETRY, error=code)
    if error.code in UNUSABLE_NUMBER:
        return SendResult(Outcome.BLOCKED, error=code)
    return SendResult(Outcome.FAILED, error=code)
