"""Phone numbers are stored in E.164 only; Kazakh local forms (8 701 …) normalise to +7 701 ….

Only a mobile number takes WhatsApp and SMS: a city landline (Almaty +7 727 …) gets neither, as
messages there fail on both (`takes_messages`, from the number's type in phonenumbers' metadata).
"""

from __future__ import annotations

import phonenumbers


class BadPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str = "KZ") -> str:
    return checked_phone(raw, region)[0]


def checked_phone(raw: str, region: str = "KZ") -> tuple[str, bool]:
    """The number in E.164 and whether messages reach it (`takes_messages`), from one parse: a
    roster of 12,000 pupils holds some 19,000 numbers, and each parse costs tens of microseconds."""
    number, kind = _valid_number(raw, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, kind in MESSAGING_TYPES


def _valid_number(raw: str, region: str) -> tuple[phonenumbers.PhoneNumber, int]:
    """The number and its type (mobile, fixed line, …); BadPhone if it is not a valid one."""
    text = raw.strip()
    if text.startswith(("whatsapp:", "sms:")):
        text = text.split(":", 1)[1]
    number = _kazakh_number(text) if region == "KZ" else None
    if number is not None:
        # For country code 7 a known type is what is_valid_number checks (one metadata walk, not two).
        kind = phonenumbers.number_type(number)
        if kind != phonenumbers.PhoneNumberType.UNKNOWN:
            return number, kind
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise BadPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("not a valid phone number")
    return number, phonenumbers.number_type(number)


SEPARATORS = str.maketrans("", "", " -()\u00a0")


def _kazakh_number(text: str) -> phonenumbers.PhoneNumber | None:
    """The common forms of a number in Kazakhstan, +7 and ten digits or 8 and ten digits (spaces,
    dashes and brackets aside), without phonenumbers' general parser, which costs twice its check of
    validity; anything else is left to the parser (None), as is a number the check refuses. The
    parser reads both forms as country code 7 and these ten digits (tests/models/test_phones.py)."""
    digits = text.translate(SEPARATORS)
    if len(digits) == 12 and digits.startswith("+7"):
        national = digits[2:]
    elif len(digits) == 11 and digits.startswith("8"):
        national = digits[1:]
    else:
        return None
    if not (national.isascii() and national.isdigit()) or national.startswith("0"):
        return None
    return phonenumbers.PhoneNumber(country_code=7, national_number=int(national))


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
