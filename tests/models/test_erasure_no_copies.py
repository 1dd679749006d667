"""Erasure erases: after a parent's data export and the confirmed erasure of their child, the child's
name is in no row of the store and — on SQLite — in no byte of any file under the data folder (the
database, its write-ahead log, photos, the tutor's PDFs, the export); the coordinator was never sent
the name; the export went once and never lasted beyond the hour."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, event, or_
from sqlmodel import Session, SQLModel, select

from models import (
    AuditLog,
    ChannelIdentity,
    Homework,
    Membership,
    Notification,
    Person,
    School,
    Submission,
)
from models.clock import utcnow
from models.store import is_postgres, session_scope
from outbox.write import stored_text
from scheduler.app import derive_once
from scheduler.retention import sweep_exports
from settings import Settings
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow
NAME = "Нұрлан Сейітов"  # p1, the child whose data is erased
FIRST_NAME = "Нұрлан"


def _default_secure_delete_off(dbapi_connection: Any, _record: Any) -> None:
    """SQLite as most builds come: secure_delete off unless asked for (Debian's is built with it on,
    which would hide a store that forgot to ask)."""
    dbapi_connection.execute("PRAGMA secure_delete=OFF")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    if not is_postgres(engine):
        event.listen(engine, "connect", _default_secure_delete_off, insert=True)
        engine.dispose()
    world = build_world(engine, tmp_path / "data" / "media")
    with session_scope(engine) as session:
        school = session.exec(select(School)).one()
        coordinator = Person(external_id="k1", full_name="Coordinator", locale="en", locale_chosen=True)
        session.add(coordinator)
        session.flush()
        assert coordinator.id is not None and school.id is not None
        world.ids["k1"] = coordinator.id
        session.add(Membership(person_id=coordinator.id, role="coordinator", school_id=school.id))
        session.add(ChannelIdentity(person_id=coordinator.id, channel="telegram", address="k1"))
    return world


def _a_term_of_work(world: World, settings: Settings) -> None:
    """The child hands in a photo, the tutor makes a PDF of it, a second homework passes its deadline
    unhanded (the parent and the tutor are told, by name), and the parent asks for the data."""
    world.homework()
    assert "homework.receipt" in keys(world.photos("p1", page_image()))
    with session_scope(world.engine) as session:
        late = Homework(
            group_id=world.groups["A1"],
            tutor_id=world.ids["t1"],
            text="Page 43",
            due_at=utcnow() - timedelta(minutes=5),
        )
        session.add(late)
    derive_once(world.engine, settings)
    [summary] = world.outbox("homework.missed.staff")
    assert NAME in json.dumps(summary.params, ensure_ascii=False)
    with Session(world.engine) as session:
        submission = session.exec(select(Submission).where(Submission.pupil_id == world.ids["p1"])).one()
    [pdf] = world.press("t1", f"rv:pdf:{submission.id}")
    assert pdf.media_path and Path(pdf.media_path).is_file()
    [export] = world.say("g1", "/mydata")
    assert export.media_path and export.media_once
    assert FIRST_NAME in Path(export.media_path).read_text(encoding="utf-8")


def _rows_naming(engine: Engine, text: str) -> list[str]:
    """Every row of every table with the text in any column, as "table.column"."""
    found = []
    escaped = json.dumps(text)[1:-1]
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                as_text = cast(column, String)
                hit = session.execute(
                    select(table).where(
                        or_(
                            as_text.contains(text, autoescape=True),
                            as_text.contains(escaped, autoescape=True),
                        )
                    )
                ).first()
                if hit is not None:
                    found.append(f"{table.name}.{column.name}")
    return found


def _files_naming(folder: Path, text: str) -> list[str]:
    needles = [text.encode(), json.dumps(text).encode()[1:-1], text.encode("utf-16-le")]
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    )


def test_after_the_export_and_the_erasure_the_name_is_nowhere(
    world: World, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _a_term_of_work(world, settings)
    [asked] = world.say("g1", "/forget")
    request_id = asked.text.params["id"]
    [told] = world.outbox("privacy.forget_request")
    assert told.person_id == world.ids["k1"]
    assert FIRST_NAME not in json.dumps(told.params, ensure_ascii=False)  # the coordinator is not told it
    assert told.params["ref"] == "p1"

    assert keys(world.say("k1", f"/confirm_forget {request_id}")) == ["privacy.forget_done"]
    sweep_exports(settings.model_copy(update={"data_dir": tmp_path / "data"}), utcnow() + timedelta(hours=1))

    assert _rows_naming(engine, FIRST_NAME) == []
    [summary] = world.outbox("homework.missed.staff")
    assert stored_text(summary).render("kk").endswith(": —, Аружан Бекова")  # the other child stays
    with Session(engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "privacy.forget_confirmed")).one()
        assert (
            session.exec(select(Notification).where(Notification.kind == "privacy.forget_request")).all()
            == []
        )
    if is_postgres(engine):
        return  # the bytes on PostgreSQL's disk: docs/security.md
    assert _files_naming(tmp_path, FIRST_NAME) == []  # the system still running, its WAL open


def test_an_export_never_sent_is_gone_within_the_hour(world: World, settings: Settings) -> None:
    [export] = world.say("g1", "/mydata")
    assert export.media_path is not None
    path = Path(export.media_path)
    media = settings.model_copy(update={"data_dir": path.parent.parent.parent})
    assert media.media_dir / "exports" == path.parent
    assert sweep_exports(media, utcnow() + timedelta(minutes=40)) == 0 and path.exists()
    assert sweep_exports(media, utcnow() + timedelta(minutes=51)) == 1 and not path.exists()
