"""A `Reply` as WhatsApp / SMS text: choices become a numbered list ("1 Иә", "2 Жоқ") that the
handlers understand when the number (or the label, "иә", "да", "yes") is typed back."""

from __future__ import annotations

from handlers.types import Reply
from locales import T

MAX_BODY = 1600  # Twilio's limit for one message body


def render(reply: Reply, fallback_locale: str) -> str:
    locale = reply.locale or fallback_locale
    text = reply.text.render(locale)
    if reply.choices:
        lines = [
            f"{reply.first_number + offset} {choice.label.render(locale)}"
            for offset, choice in enumerate(reply.choices)
        ]
        hint = T("whatsapp.answer_with_number").render(locale)
        text = "\n\n".join([text, "\n".join(lines), hint])
    return text[:MAX_BODY]
