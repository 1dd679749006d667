"""SMS segments of the messages families get, in Kazakh and Russian: sent as they are (UCS-2, every
letter kept) against a transliteration into GSM-7 Latin, which would fit more per segment but merges
Kazakh letters (ә→a, ө→o, ү/ұ→u, қ→k, ғ→g, ң→n, і→i, һ→h) and so loses meaning. Ustaz sends UCS-2,
each text as rendered for SMS (its `.via_sms` variant where there is one, commands as words), and
cuts long texts to TWILIO_SMS_MAX_SEGMENTS (`bots.whatsapp.sms.shorten`); this shows what that costs.
"""

from __future__ import annotations

import string

from bots.whatsapp.sms import is_gsm7, segments, shorten
from locales import T, template_of
from locales.commands import command_of_placeholder
from settings import Settings

KEYS = (
    "notify.lesson.reminder",
    "notify.lesson.cancelled",
    "notify.lesson.moved",
    "notify.homework.reminder",
    "notify.homework.missed_guardian",
    "consent.reminder",
    "consent.request",
    "optout.stopped",
)
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
SPELLING = "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya a g k n o u u h i"
LATIN = dict(zip(CYRILLIC, SPELLING.split(), strict=True))
PUNCTUATION = {"«": '"', "»": '"', "—": "-", "–": "-", "…": "...", "№": "No"}
KAZAKH_LETTERS = set("әғқңөұүһі")
SAMPLE = {
    "pupil": "Әлия Нұрланқызы",
    "name": "Әлия Нұрланқызы",
    "subject": "Алгебра",
    "subjects": "Алгебра, Физика",
    "programme": "Цифрлық ұстаз",
}


def sample_text(language: str, key: str) -> str:
    """The text as an SMS carries it, with sample values (commands are the channel's words)."""
    values = {}
    for _, name, _, _ in string.Formatter().parse(template_of(language, key, "sms")):
        if name and not command_of_placeholder(name):
            values[name] = SAMPLE.get(name, "12.03 18:00" if "at" in name or "time" in name else "А1")
    return T(key, **values).render(language, "sms")


def transliterate(text: str) -> str:
    out = []
    for ch in text:
        latin = LATIN.get(ch.lower())
        if latin is None:
            out.append(PUNCTUATION.get(ch, ch))
            continue
        latin = "" if latin == "_" else latin
        out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def main() -> None:
    limit = Settings.model_fields["twilio_sms_max_segments"].default
    print("SMS segments: as sent (UCS-2, all letters kept) vs transliterated to GSM-7 Latin")
    print(f"  {'message':34} {'lang':4} {'chars':>5} {'UCS-2':>5} {'GSM-7':>5} {'kk lost':>7} {'sent':>5}")
    totals = {"ucs2": 0, "gsm": 0, "lost": 0, "cut": 0, "count": 0}
    for language in ("kk", "ru"):
        for key in KEYS:
            text = sample_text(language, key)
            latin = transliterate(text)
            assert is_gsm7(latin), key
            template = template_of(language, key, "sms")
            own = "".join(literal for literal, _, _, _ in string.Formatter().parse(template))
            lost = sum(1 for ch in own.lower() if ch in KAZAKH_LETTERS)
            sent = shorten(text, limit)
            totals["ucs2"] += segments(text)
            totals["gsm"] += segments(latin)
            totals["lost"] += lost
            totals["cut"] += sent != text
            totals["count"] += 1
            print(
                f"  {key:34} {language:4} {len(text):5} {segments(text):5} {segments(latin):5} "
                f"{lost:7} {segments(sent):5}{' cut' if sent != text else ''}"
            )
    count = max(totals["count"], 1)
    print(f"  mean segments: UCS-2 {totals['ucs2'] / count:.2f}, GSM-7 {totals['gsm'] / count:.2f}")
    print(f"  Kazakh letters of the texts a transliteration would merge: {totals['lost']}")
    print(f"  texts cut to {limit} segments: {totals['cut']} of {totals['count']}")


if __name__ == "__main__":
    main()
