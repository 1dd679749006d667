"""Kazpost rounds: the coordinator sets a class's collection day, the scheduler opens each round
two days before (families by post told through any channel, SMS included; the teacher gets the
list as a message, a PDF and an XLSX), the teacher marks items in the chat, a scan enters the review
queue, and a missing item is carried into the next round with the family told."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from bots.cli import main as ustaz
from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply, Upload
from locales import translate
from models import (
    ChannelIdentity,
    Homework,
    Membership,
    Notification,
    Person,
    PostalItem,
    PostalRound,
    PostalSchedule,
    SchoolClass,
    Submission,
    SubmissionPage,
)
from models import School as SchoolRow
from models.store import session_scope
from scheduler.app import derive_once
from scheduler.dispatcher import Dispatcher
from settings import Settings, get_settings
from tests.support.outbox import identity, person, school, senders

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
ANCHOR = date(2025, 3, 7)  # a Friday; rounds every 14 days
TEACHER_CHAT = "7001"


@dataclass
class Class8A:
    class_id: int
    teacher_id: int
    pupils: list[int]  # 0: by post, SMS at home; 1: Telegram family; 2: no channel at all
    guardians: list[int]
    homework_id: int


def class_8a(engine: Engine) -> Class8A:
    """Class 8А of a group of three: families 0 and 2 on post (0 with an SMS phone, 2 with no
    channel at all), family 1 on Telegram; its responsible teacher; a homework due 6 March 2025."""
    with session_scope(engine) as session:
        s = school(session)
        row = SchoolRow(code="SH2", name="№2", postal_point="Шортанды пошта бөлімшесі")
        session.add(row)
        session.flush()
        assert row.id is not None
        klass = SchoolClass(school_id=row.id, name="8А", grade=8)
        session.add(klass)
        session.flush()
        assert klass.id is not None
        teacher = person(session, "T-01")
        teacher.locale_chosen = True
        identity(session, teacher.id or 0, "telegram", TEACHER_CHAT)
        for pupil in s.pupils:
            session.add(Membership(person_id=pupil, role="pupil", school_id=row.id, class_id=klass.id))
        # family 0: marked by post, with an SMS phone; family 2: no channel left at all
        gone = (s.pupils[0], s.guardians[0], s.pupils[2], s.guardians[2])
        session.execute(delete(ChannelIdentity).where(col(ChannelIdentity.person_id).in_(gone)))
        identity(session, s.guardians[0], "post", "Шортанды, Абай көшесі 5", priority=0)
        identity(session, s.guardians[0], "sms", "+77015550001", priority=1)
        pupil2 = session.get(Person, s.pupils[2])
        assert pupil2 is not None
        pupil2.postal_address = "Шортанды, Бейбітшілік 12"
        homework = Homework(
            group_id=s.group_id,
            tutor_id=s.tutor_id,
            text="№ 12 есептер, 45-бет",
            due_at=datetime(2025, 3, 6, 18, 0, tzinfo=ALMATY).astimezone(UTC),
        )
        session.add(homework)
        session.flush()
        assert homework.id is not None and teacher.id is not None
        return Class8A(klass.id, teacher.id, s.pupils, s.guardians, homework.id)


def _ustaz(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.db_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        ustaz(list(argv))
    except SystemExit as stop:
        return int(stop.code or 0)
    finally:
        get_settings.cache_clear()
    return 0


def _rows(engine: Engine, kind: str) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind)).all())


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY)


def _say(engine: Engine, config: Config, text: str = "", **extra: object) -> list[Reply]:
    inbound = Inbound(
        identity=Identity("telegram", TEACHER_CHAT), chat=Chat(TEACHER_CHAT), text=text, **extra
    )  # type: ignore[arg-type]
    return process(engine, inbound, config)


def _photo(colour: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), colour).save(out, "JPEG")
    return out.getvalue()


async def test_a_round_from_the_coordinators_setting_to_the_teachers_marks(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c = class_8a(engine)
    assert _ustaz(monkeypatch, settings, "postal", "set", "--class", "8А", "--teacher", "T-01",
                  "--anchor", ANCHOR.isoformat(), "--interval", "20") == 1  # fmt: skip
    assert "1–14" in capsys.readouterr().out
    assert _ustaz(monkeypatch, settings, "postal", "set", "--class", "8А", "--school", "SH2",
                  "--teacher", "T-01", "--anchor", ANCHOR.isoformat(), "--lang", "en") == 0  # fmt: skip
    assert "a collection every 14 days, next collection" in capsys.readouterr().out

    # three days before: nothing yet; two days before at 10:00: the round opens, once
    assert derive_once(engine, settings, clock=lambda: _at(ANCHOR - timedelta(days=3), 12)) == 0
    now = _at(ANCHOR - timedelta(days=2), 10, 5)
    assert derive_once(engine, settings, clock=lambda: now) > 0
    derive_once(engine, settings, clock=lambda: now + timedelta(minutes=1))
    with Session(engine) as session:
        (round_,) = session.exec(select(PostalRound)).all()
        items = session.exec(select(PostalItem)).all()
    assert round_.collection_date == ANCHOR and round_.teacher_id == c.teacher_id
    # families 0 and 2 are by post, each with the pending homework; family 1 has Telegram
    assert sorted((i.pupil_id, i.homework_id) for i in items) == [
        (c.pupils[0], c.homework_id),
        (c.pupils[2], c.homework_id),
    ]
    notices = _rows(engine, "postal.notice")
    assert sorted(n.person_id or 0 for n in notices) == [c.guardians[0], c.guardians[2]]
    assert notices[0].params["date"] == "07.03.2025"
    assert notices[0].params["point"] == "Шортанды пошта бөлімшесі"
    lists = _rows(engine, "postal.list")  # the list as text, PDF and XLSX, and the paper packs
    assert len(lists) == 4 and {n.person_id for n in lists} == {c.teacher_id}

    # delivery: family 0 by SMS (the post address is skipped), family 2 onto the phone/paper list
    out = senders("telegram", "sms")
    with time_machine.travel(now + timedelta(minutes=2), tick=True):
        await Dispatcher(engine, out, settings).run_until_idle()
    (sms,) = out["sms"].sent
    assert sms.message.address == "+77015550001" and "07.03.2025" in sms.message.text
    assert "№ 12 есептер" in sms.message.text
    statuses = {n.person_id: n.status for n in _rows(engine, "postal.notice")}
    assert statuses == {c.guardians[0]: "sent", c.guardians[2]: "no_channel"}
    to_teacher = [m.message for m in out["telegram"].sent if m.message.address == TEACHER_CHAT]
    assert len(to_teacher) == 4
    (text,) = [m for m in to_teacher if m.media_path is None]
    assert "Шортанды, Бейбітшілік 12" in text.text and "Абай көшесі 5" in text.text
    pdf = Path(next(m.media_path for m in to_teacher if re.search(r"-round-\d+\.pdf$", m.media_path or "")))
    xlsx = Path(next(m.media_path for m in to_teacher if (m.media_path or "").endswith(".xlsx")))
    assert pdf.read_bytes().startswith(b"%PDF") and b"FontFile2" in pdf.read_bytes()  # the font is embedded
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any("8А" in v for v in cells)
    assert any("№ 12" in v for v in cells) and any("Бейбітшілік" in v for v in cells)

    # the teacher marks: family 0's work received and scanned, family 2's missing
    config = Config.from_settings(settings)
    replies = _say(engine, config, "/post")
    assert replies[0].text.key == "postal.round.header" and replies[0].text.params["pending"] == 2
    by_pupil = {r.text.params["pupil"]: r for r in replies[1:]}
    assert set(by_pupil) == {f"Name ALG-1-pupil{n}" for n in (0, 2)}
    received = by_pupil["Name ALG-1-pupil0"].choices[0].value
    missing = by_pupil["Name ALG-1-pupil2"].choices[1].value
    (marked,) = _say(engine, config, choice=received)
    assert marked.text.key == "postal.marked.received"
    scan = marked.choices[0].value
    (ask,) = _say(engine, config, choice=scan)
    assert ask.text.key == "postal.scan.ask"
    (stored,) = _say(engine, config, uploads=(Upload(_photo(), "image/jpeg"),))
    assert stored.text.key == "postal.scan.stored" and stored.text.params["pages"] == 1
    # the same sheet scanned again is kept once, as a pupil's repeated photo is; a new sheet is page 2
    again = (Upload(_photo(), "image/jpeg"), Upload(_photo("lightgrey"), "image/jpeg"))
    (stored,) = _say(engine, config, uploads=again)
    assert stored.text.key == "postal.scan.stored" and stored.text.params["pages"] == 2
    with Session(engine) as session:
        (submission,) = session.exec(select(Submission)).all()
        pages = session.exec(select(SubmissionPage).order_by(col(SubmissionPage.number))).all()
    assert submission.pupil_id == c.pupils[0] and submission.channel == "post"
    assert submission.status == "submitted"  # in the tutor's review queue
    assert [p.number for p in pages] == [1, 2] and len({p.sha256 for p in pages}) == 2
    replies = _say(engine, config, choice=missing)
    assert [r.text.key for r in replies] == ["postal.marked.missing", "postal.round.closed"]
    assert replies[0].text.params["next_date"] == "21.03.2025"
    (told,) = _rows(engine, "postal.missed")
    assert told.person_id == c.guardians[2] and told.params["next_date"] == "21.03.2025"
    assert translate("ru", "postal.none") in [
        translate("ru", r.text.key, **r.text.params) for r in _say(engine, config, "/post")
    ]
    with Session(engine) as session:
        assert session.exec(select(PostalRound)).one().closed_at is not None

    # the next round carries the missing item
    derive_once(engine, settings, clock=lambda: _at(date(2025, 3, 19), 10, 1))
    with Session(engine) as session:
        rounds = session.exec(select(PostalRound).order_by(PostalRound.collection_date)).all()  # type: ignore[arg-type]
        assert [r.collection_date for r in rounds] == [ANCHOR, date(2025, 3, 21)]
        carried = session.exec(select(PostalItem).where(PostalItem.round_id == rounds[1].id)).all()
    by_pupil_item = {i.pupil_id: i for i in carried}
    assert by_pupil_item[c.pupils[2]].carried_from_id is not None
    assert by_pupil_item[c.pupils[2]].homework_id == c.homework_id
    assert by_pupil_item[c.pupils[0]].homework_id is None  # nothing pending: paper work in general


def test_collection_days_repeat_every_interval_from_the_anchor() -> None:
    schedule = PostalSchedule(class_id=1, teacher_id=1, anchor=ANCHOR, interval_days=14)
    assert schedule.collection_on_or_after(date(2025, 1, 1)) == ANCHOR
    assert schedule.collection_on_or_after(ANCHOR) == ANCHOR
    assert schedule.collection_on_or_after(ANCHOR + timedelta(days=1)) == date(2025, 3, 21)
    assert schedule.collection_on_or_after(date(2025, 12, 27)) == date(2026, 1, 9)  # across the year


def test_the_pdf_renders_kazakh_letters_with_an_embedded_font() -> None:
    from scheduler.postal_sheets import Sheet, pdf_bytes, unicode_font

    sheet = Sheet(
        "Жинау тізімі: 8А", ("Оқушы", "Мекенжай", "Жұмыс", "Белгі"), [("Әсел", "Ғ қ ң ө ұ ү һ і", "", "")]
    )
    data = pdf_bytes(sheet)
    assert data.startswith(b"%PDF") and b"FontFile2" in data and unicode_font().is_file()
