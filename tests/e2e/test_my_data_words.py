"""End to end over WhatsApp through the Twilio emulator: a parent who sends ДЕРЕКТЕР / ДАННЫЕ /
MY DATA reads what is stored about each child in words — as many WhatsApp messages as it takes, each
within Twilio's limit of 1600 characters — and then gets the whole file, once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from locales import T, translate
from models import Consent, Guardianship, Membership, Person
from models.clock import to_local, utcnow
from models.store import session_scope
from sandbox.twilio_emulator.records import EmulatedMessage
from tests.e2e.test_whatsapp_flow import ALMATY, PARENT, System, system  # noqa: F401  (the fixture)

pytestmark = pytest.mark.flow

WORDS = {"kk": "ДЕРЕКТЕР", "ru": "данные", "en": "My data"}
CHILDREN = 8  # enough for the words to need more than one WhatsApp message


def a_large_family(chat: System, language: str) -> list[str]:
    """Гүлнар speaks `language` and has eight more children (Ерлан, without consent, is the first),
    each with consent given, the first of them withdrawn."""
    names = [f"Бала {n}" for n in range(1, CHILDREN + 1)]
    decided = utcnow() - timedelta(days=3)
    with session_scope(chat.engine) as session:
        parent = session.get(Person, chat.ids["parent"])
        assert parent is not None
        parent.locale, parent.locale_chosen = language, True
        session.add(parent)
        school_id = session.exec(select(Membership.school_id)).first()
        assert school_id is not None
        for name in names:
            child = Person(external_id=name, full_name=name)
            session.add(child)
            session.flush()
            assert child.id is not None
            session.add(Guardianship(guardian_id=parent.id or 0, pupil_id=child.id))
            session.add(Membership(person_id=child.id, role="pupil", school_id=school_id))
            withdrawn = utcnow() - timedelta(days=1) if name == names[0] else None
            session.add(
                Consent(
                    guardian_id=parent.id or 0,
                    pupil_id=child.id,
                    text_version="2027-01",
                    given=True,
                    decided_at=decided,
                    channel="whatsapp",
                    withdrawn_at=withdrawn,
                )
            )
    return names


def local_day(moment: datetime) -> str:
    return to_local(moment, ALMATY).strftime("%d.%m.%Y")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_whatsapp_reads_the_data_in_words_then_sends_the_file(
    system: System,  # noqa: F811
    language: str,
) -> None:
    names = a_large_family(system, language)
    before = len(system.twilio.messages_to(PARENT))
    await system.say(WORDS[language], expect=3)
    await system.twilio.settle()
    sent: list[EmulatedMessage] = system.twilio.messages_to(PARENT)[before:]
    *words, file = sent
    assert len(words) >= 2 and all(len(message.body) <= 1600 for message in sent)
    text = "\n".join(message.body for message in words)
    assert text.startswith(translate(language, "mydata.words", pupils="").split("\n")[0])
    assert all(f"\n{name}\n" in f"\n{text}\n" for name in names)  # each child, each by name
    given, withdrawn = (local_day(utcnow() - timedelta(days=days)) for days in (3, 1))
    line = T("mydata.words.withdrawn", date=given, channel=T("channels.name.whatsapp"), withdrawn=withdrawn)
    assert line.render(language) in text  # the first child's consent, given and withdrawn
    only_given = T("mydata.words.given", date=given, channel="WhatsApp").render(language) + "\n"
    assert text.count(only_given) == CHILDREN - 1
    assert translate(language, "mydata.words.no_chat") in text
    assert "{" not in text and not any(message.media for message in words)
    # The whole file follows, once, as a JSON document with its caption.
    assert file.body == T("privacy.export_ready", count=CHILDREN + 1).render(language, "whatsapp")
    [media] = file.media
    assert media.error is None and media.data is not None
    exported = json.loads(media.data)
    assert [pupil["person"]["full_name"] for pupil in exported["pupils"]][1:] == names
