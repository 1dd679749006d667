"""Phone numbers are stored in E.164 only; Kazakh local forms (8 701 …) normalise to +7 701 ….

Only a mobile number takes WhatsApp and SMS: a city landline (Almaty +7 727 …) gets neither, as
messages there fail on both (`takes_messages`, from the number's type in phonenumbers' metadata).
"""

from __future__ import annotations

import phonenumbers


class BadPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str = "KZ") -> str:
    text = raw.strip()
    if text.startswith(("whatsapp:", "sms:")):
        text = text.split(":", 1)[1]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise BadPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value: str) -> bool:
    try:
        return normalize_phone(value) == value
    except BadPhone:
        return False


# Mobile, or a number the plan does not tell from a mobile one (some countries'): messages may reach it.
MESSAGING_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def takes_messages(e164: str) -> bool:
    """Whether WhatsApp and SMS can reach this number: not a landline, toll-free line or the like."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in MESSAGING_TYPES


def masked(e164: str | None) -> str | None:
    """A number as an audit row may show it: the country and operator code and the last two digits
    (+7701*****99), enough to tell two numbers apart, not to call one."""
    if not e164:
        return e164
    return e164[:5] + "*" * max(0, len(e164) - 7) + e164[-2:]
