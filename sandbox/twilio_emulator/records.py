"""What the emulator records: messages both ways, their media, status callbacks, webhook calls."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Literal

from aiohttp import web

Channel = Literal["whatsapp", "sms"]
Direction = Literal["inbound", "outbound-api", "outbound-reply"]
NumberState = Literal["ok", "blocked", "unreachable", "unknown"]

API_VERSION = "2010-04-01"
FINAL_STATUSES = frozenset({"delivered", "read", "failed", "undelivered", "canceled"})

# code -> (HTTP status, message) for errors the REST API answers at once
REST_ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {uri} was not found"),
    20429: (429, "Too Many Requests"),
    21211: (400, "The 'To' number {value} is not a valid phone number."),
    21212: (
        400,
        "The 'From' number {value} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."),
    21604: (400, "A 'To' phone number is required."),
    21606: (
        400,
        "The From phone number {value} is not a valid, SMS-capable inbound phone number "
        "or short code for your account.",
    ),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21655: (400, "The ContentSid is Invalid."),
    21656: (400, "The ContentVariables Parameter is invalid."),
    21658: (400, "Parameter exceeded character limit"),
    21701: (400, "The Messaging Service Sid {value} is invalid."),
    21910: (400, "Invalid From and To pair. From and To should be of the same channel."),
    63007: (400, "Twilio could not find a Channel with the specified From address"),
    92001: (400, "'types' Parameter Required"),
}


class TwilioApiError(Exception):
    """An error answered by the REST API in Twilio's JSON shape."""

    def __init__(self, code: int, *, retry_after: float | None = None, **fmt: str) -> None:
        self.status, template = REST_ERRORS[code]
        self.code = code
        self.message = template.format(**fmt)
        self.retry_after = retry_after
        super().__init__(f"{code}: {self.message}")

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        headers: dict[str, str] = {}
        if self.code == 20003:
            body["detail"] = "Your AccountSid or AuthToken was incorrect."
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(self.retry_after + 0.5)))
        return web.json_response(body, status=self.status, headers=headers)


# code -> message for errors a message ends with (status "failed" or "undelivered")
DELIVERY_ERRORS: dict[int, str] = {
    63016: "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template.",
    63019: "Media failed to download",
    63024: "Invalid message recipient",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
}


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def bare_number(address: str) -> str:
    """`whatsapp:+7701…` → `+7701…`; a bare number is returned unchanged."""
    _, sep, rest = address.partition(":")
    return rest if sep else address


def channel_of(address: str) -> Channel:
    return "whatsapp" if address.startswith("whatsapp:") else "sms"


def address_of(channel: Channel, number: str) -> str:
    number = bare_number(number)
    return f"whatsapp:{number}" if channel == "whatsapp" else number


@dataclass
class MediaItem:
    sid: str
    message_sid: str
    content_type: str
    data: bytes | None
    source_url: str | None = None  # outbound: the MediaUrl Twilio fetched
    error: str | None = None  # outbound: why fetching failed
    deleted: bool = False
    date_created: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "message_sid": self.message_sid,
            "content_type": self.content_type,
            "size": len(self.data) if self.data is not None else None,
            "source_url": self.source_url,
            "error": self.error,
            "deleted": self.deleted,
            "data_url": f"/_emulator/media/{self.sid}",
        }


@dataclass
class CallbackRecord:
    """One status callback POST made by the emulator."""

    message_sid: str
    status: str
    url: str
    form: dict[str, str]
    signature: str
    http_status: int | None = None
    latency: float | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "message_sid": self.message_sid,
            "status": self.status,
            "url": self.url,
            "form": self.form,
            "signature": self.signature,
            "http_status": self.http_status,
            "latency": self.latency,
            "error": self.error,
        }


@dataclass
class EmulatedMessage:
    sid: str
    account_sid: str
    channel: Channel
    direction: Direction
    from_: str | None  # full address: `whatsapp:+1415…` or `+1500…`
    to: str
    body: str
    date_created: datetime
    status: str = "queued"
    content_sid: str | None = None
    content_variables: dict[str, str] = field(default_factory=dict)
    rendered_text: str | None = None  # template text with the variables filled in
    # A content message's buttons or list as the person sees them ({"type", "button", "options"}).
    interactive: dict[str, Any] | None = None
    media: list[MediaItem] = field(default_factory=list)
    error_code: int | None = None
    error_message: str | None = None
    num_segments: int = 1
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    in_reply_to: str | None = None  # inbound MessageSid whose TwiML produced this reply
    date_updated: datetime | None = None
    date_sent: datetime | None = None
    status_history: list[str] = field(default_factory=list)
    callbacks: list[CallbackRecord] = field(default_factory=list)
    settled: bool = False  # no further status changes or callbacks will happen
    params: dict[str, list[str]] = field(default_factory=dict)  # the create request as posted

    @property
    def number(self) -> str:
        """The person's bare E.164 number: the recipient, or the sender of an inbound message."""
        return bare_number((self.from_ or "") if self.direction == "inbound" else self.to)

    @property
    def text(self) -> str:
        """What the person reads: the rendered template, or the body."""
        return self.rendered_text if self.rendered_text is not None else self.body

    @property
    def is_template(self) -> bool:
        return self.content_sid is not None

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def resource(self) -> dict[str, Any]:
        """The Message resource as Twilio's REST API answers it."""
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.text,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media)),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
            "to": self.to,
            "uri": f"{base}.json",
        }

    def to_json(self) -> dict[str, Any]:
        """Everything recorded, for the control API."""
        return {
            "sid": self.sid,
            "channel": self.channel,
            "direction": self.direction,
            "from": self.from_,
            "to": self.to,
            "number": self.number,
            "body": self.body,
            "text": self.text,
            "content_sid": self.content_sid,
            "content_variables": self.content_variables,
            "rendered_text": self.rendered_text,
            "interactive": self.interactive,
            "media": [m.to_json() for m in self.media],
            "status": self.status,
            "status_history": self.status_history,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "num_segments": self.num_segments,
            "status_callback": self.status_callback,
            "messaging_service_sid": self.messaging_service_sid,
            "in_reply_to": self.in_reply_to,
            "date_created": self.date_created.isoformat(),
            "settled": self.settled,
            "callbacks": [c.to_json() for c in self.callbacks],
        }


@dataclass
class Template:
    content_sid: str
    body: str  # text with {{1}}, {{2}} … placeholders
    language: str = "kk"
    friendly_name: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)  # values used when a variable is not given
    approved: bool = True  # approved for WhatsApp business-initiated use
    types: dict[str, Any] = field(default_factory=dict)  # Content API types; empty: twilio/text of `body`
    date_created: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "content_sid": self.content_sid,
            "body": self.body,
            "language": self.language,
            "friendly_name": self.friendly_name,
            "defaults": self.defaults,
            "approved": self.approved,
            "types": self.types,
        }


@dataclass
class InboundResult:
    """One webhook POST made for an inbound message (the first attempt or a retry)."""

    message_sid: str
    channel: Channel
    url: str | None
    form: dict[str, str]
    headers: dict[str, str]
    signature: str
    forged: bool = False
    attempt: int = 1
    http_status: int | None = None
    latency: float | None = None
    response_body: str | None = None
    response_content_type: str | None = None
    error_code: int | None = None  # 11200 HTTP retrieval failure, 12100 document parse failure, …
    error: str | None = None
    replies: list[EmulatedMessage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_sid": self.message_sid,
            "channel": self.channel,
            "url": self.url,
            "form": self.form,
            "signature": self.signature,
            "forged": self.forged,
            "attempt": self.attempt,
            "http_status": self.http_status,
            "latency": self.latency,
            "response_body": self.response_body,
            "response_content_type": self.response_content_type,
            "error_code": self.error_code,
            "error": self.error,
            "replies": [r.sid for r in self.replies],
        }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
