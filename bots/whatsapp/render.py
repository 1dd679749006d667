"""A `Reply` as WhatsApp / SMS text: the text rendered for the channel (`{cmd_consent}` becomes the
word КЕЛІСІМ, an SMS variant is taken where there is one), choices as a numbered list ("1 Иә",
"2 Жоқ") that the handlers understand when the number (or the label, "иә", "да", "yes") is typed
back. On WhatsApp a reply whose choices fit goes as buttons instead (`bots.whatsapp.content`); a
reply longer than one message body goes as several, cut at a line (`bodies`), the list and its hint
in the last."""

from __future__ import annotations

from handlers.threads.deliver import parts
from handlers.types import Reply
from locales import T

MAX_BODY = 1600  # Twilio's limit for one message body
# SMS is paid by the segment: no blank lines between the text, the list and the hint.
SEPARATORS = {"sms": "\n"}


def bodies(reply: Reply, fallback_locale: str, channel: str = "whatsapp") -> list[str]:
    """The reply as as many message bodies as its text needs, each within Twilio's limit."""
    return parts(render(reply, fallback_locale, channel), MAX_BODY)


def render(reply: Reply, fallback_locale: str, channel: str = "whatsapp") -> str:
    """The reply's whole text, its choices numbered below it (SMS splits it: `bots.whatsapp.sms`)."""
    locale = reply.locale or fallback_locale
    text = reply.text.render(locale, channel)
    if reply.choices:
        lines = [
            f"{reply.first_number + offset} {choice.label.render(locale, channel)}"
            for offset, choice in enumerate(reply.choices)
        ]
        hint = T("whatsapp.answer_with_number").render(locale, channel)
        text = SEPARATORS.get(channel, "\n\n").join([text, "\n".join(lines), hint])
    return text
