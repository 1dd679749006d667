"""The quick reading of Kazakh numbers gives what phonenumbers' parser gives, for every operator and
city prefix, in both of the forms it takes, and leaves everything else to the parser."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from models.phones import BadPhone, _kazakh_number, checked_phone, normalize_phone, takes_messages


def _parsed(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, "KZ")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _samples() -> list[str]:
    """Ten digits after +7 for every three-digit prefix (Kazakh and Russian, mobile, city, toll-free
    and the invalid), the rest at random."""
    draw = random.Random(7)
    return [f"{prefix:03d}{draw.randrange(10_000_000):07d}" for prefix in range(1000) for _ in range(3)]


@pytest.mark.parametrize(
    "form",
    ["+7{}", "8{}", "+7 ({p}) {r}", "8 {p} {r1}-{r2}-{r3}", "+7\u00a0{p}\u00a0{r}"],
)
def test_the_quick_reading_agrees_with_the_parser(form: str) -> None:
    agreed = 0
    for national in _samples():
        p, r = national[:3], national[3:]
        text = form.format(national, p=p, r=r, r1=r[:3], r2=r[3:5], r3=r[5:])
        quick = _kazakh_number(text)
        slow = _parsed(text)
        if quick is not None and phonenumbers.number_type(quick) != phonenumbers.PhoneNumberType.UNKNOWN:
            assert phonenumbers.is_valid_number(quick) and slow == quick, text
            agreed += 1
        try:
            e164, mobile = checked_phone(text)
        except BadPhone:
            assert slow is None, text
            continue
        assert slow is not None, text
        assert e164 == phonenumbers.format_number(slow, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == normalize_phone(text)
        assert mobile == takes_messages(e164)
    assert agreed > 500  # the quick reading was taken, not only the parser


@pytest.mark.parametrize(
    "text",
    ["+7 701 555 12 34 ext. 5", "007 701 555 1234", "+44 20 7946 0958", "7015551234", "+7 0701 555 123"],
)
def test_other_forms_are_the_parsers(text: str) -> None:
    assert _kazakh_number(text) is None
    slow = _parsed(text)
    if slow is None:
        with pytest.raises(BadPhone):
            normalize_phone(text)
    else:
        assert normalize_phone(text) == phonenumbers.format_number(slow, phonenumbers.PhoneNumberFormat.E164)


def test_a_city_landline_is_valid_but_takes_no_messages() -> None:
    assert checked_phone("8 727 250 00 00") == ("+77272500000", False)
    assert checked_phone("+7 701 555 12 34") == ("+77015551234", True)
