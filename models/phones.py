"""Phone numbers are stored in E.164 only; Kazakh local forms (8 701 …) normalise to +7 701 …."""

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
