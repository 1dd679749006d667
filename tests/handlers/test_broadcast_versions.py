"""Announcements in two languages: the original's language, the version each reader gets, and the
line naming the original's language for a reader whose language has no version."""

from __future__ import annotations

import pytest

from handlers.broadcast_versions import NOTE, language_of_text, missing_version, versions
from locales import T
from locales.versions import Versions
from outbox.write import params_from_json, params_to_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ертең ата-аналар жиналысы болады.", "kk"),
        ("Завтра родительское собрание.", "ru"),
        ("Parents' meeting tomorrow.", "en"),
        ("18:00 — 12", "ru"),  # no letters: the teacher's own language
    ],
)
def test_the_originals_language_is_told_from_its_letters(text: str, expected: str) -> None:
    assert language_of_text(text, fallback="ru") == expected


def test_each_reader_gets_their_version_or_the_original_with_a_note() -> None:
    announcement = Versions({"kk": "Жиналыс жұмада.", "ru": "Собрание в пятницу."}, "kk", NOTE)
    assert announcement.render("kk") == "Жиналыс жұмада."
    assert announcement.render("ru") == "Собрание в пятницу."
    assert announcement.render("en") == "(The announcement is written in Kazakh)\nЖиналыс жұмада."
    assert announcement.all() == "Жиналыс жұмада.\n\nСобрание в пятницу."
    only_russian = Versions({"ru": "Собрание в пятницу."}, "ru", NOTE)
    assert only_russian.render("kk") == "(Хабарландыру орыс тілінде жазылған)\nСобрание в пятницу."


def test_the_versions_travel_through_the_outbox_as_json() -> None:
    announcement = Versions({"kk": "Жиналыс.", "ru": "Собрание."}, "kk", NOTE)
    text = T("broadcast.message", class_name="8А", teacher="Марат Әлиев", text=announcement)
    stored = params_from_json(params_to_json(text.params))
    assert stored["text"] == announcement
    assert T("broadcast.message", **stored).render("ru").endswith("Собрание.")


def test_a_version_may_be_added_once_in_the_other_language() -> None:
    data = {"text": "Жиналыс.", "language": "kk"}
    assert missing_version(data) == "ru"
    assert missing_version({**data, "versions": {"ru": "Собрание."}}) is None
    assert missing_version({"text": "Собрание.", "language": "ru"}) == "kk"
    assert versions({**data, "versions": {"ru": "Собрание."}}).texts == {"kk": "Жиналыс.", "ru": "Собрание."}
