"""A landline takes no messages: a parent whose roster phone is a city number (Almaty +7 727 …) gets
no WhatsApp or SMS channel, the importer's report says so with sheet, row and column in the reader's
language, and that family's messages land on the class teacher's call or paper list."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import T
from models import ChannelIdentity, Person
from models.phones import takes_messages
from models.store import session_scope
from outbox.write import enqueue, unreached
from roster import format_report
from scheduler.dispatcher import Dispatcher
from settings import Settings
from tests.support.outbox import senders
from tests.support.roster import Table, run

pytestmark = pytest.mark.store
LANDLINE = "+7 727 250 12 34"


def test_the_number_type_tells_a_landline_from_a_mobile() -> None:
    assert not takes_messages("+77272501234")  # Almaty, a city line
    assert not takes_messages("+77172123456")  # Astana, a city line
    assert takes_messages("+77012345678") and takes_messages("+77712345678")


@pytest.mark.usefixtures("daytime")  # in quiet hours the notice would wait for the morning
async def test_a_landline_gets_no_messenger_channel_and_its_family_is_on_the_call_list(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = LANDLINE
    report = run(engine, table.write(tmp_path / "roster.csv"))
    assert report.ok
    [note] = report.notes
    assert (note.sheet, note.row, note.field) == ("people", table.line("people", id="SH2-G01"), "phone")
    lines = format_report(report, "ru")
    assert any(
        line.startswith(f"заметка: лист people, строка {note.row}, phone: +77272501234 — городской номер")
        for line in lines
    ), lines
    with Session(engine) as session:
        parent = session.exec(select(Person).where(Person.external_id == "SH2-G01")).one()
        assert parent.phone == "+77272501234"  # kept, to be called
        channels = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == "+77272501234")
        ).all()
        assert channels == []
    assert parent.id is not None
    with session_scope(engine) as session:
        row = enqueue(
            session,
            kind="postal.notice",
            text=T("common.not_allowed"),
            idempotency_key="test:landline:",
            person_id=parent.id,
        )
        assert row is not None
    dispatcher = Dispatcher(engine, senders("telegram", "whatsapp", "sms"), settings)
    await asyncio.wait_for(dispatcher.run_until_idle(), 60)
    with Session(engine) as session:
        assert [n.person_id for n in unreached(session)] == [parent.id]
