"""The dashboard's plan page over HTTP: the coordinator sees the year and the days off ahead, cancels
a range of dates and names a substitute (forms carrying the browser's form token, from this site),
only for their school."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import mount_web
from locales import translate
from models import AuditLog, LessonChange, Notification, Person, Substitution, TutoringGroup
from models.enums import Role
from roster import import_roster
from settings import Settings
from tests.bots.test_monitoring_web import _sign_in, _staff

pytestmark = pytest.mark.flow
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
ALMATY = ZoneInfo("Asia/Almaty")
Client = TestClient[web.Request, web.Application]
EVIL = "https://evil.example"


@pytest.fixture
async def client(engine: Engine, settings: Settings) -> AsyncIterator[Client]:
    """The sample school on 3 December 2026, a Thursday of the second quarter."""
    with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=ALMATY), tick=True):
        assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
        app = web.Application()
        mount_web(app, engine, settings, lambda: None)
        async with TestClient(TestServer(app)) as test_client:
            yield test_client


def token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def group_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(TutoringGroup.id).where(TutoringGroup.code == code)).one()
        assert found is not None
        return found


async def test_the_coordinator_sees_the_year_and_cancels_a_quarantine_week(
    client: Client, engine: Engine
) -> None:
    coordinator = _staff(engine, Role.COORDINATOR)
    await _sign_in(client, engine, coordinator)
    page = await (await client.get("/dashboard/plan?lang=kk")).text()
    assert "2026–2027 оқу жылы · 2-тоқсан · 1-жартыжылдық" in page
    assert "16.12.2026" in page and "Тәуелсіздік күні" in page
    assert (
        "30.12.2026 – 08.01.2027" in page and "болжам: бұйрықпен салыстырыңыз" in page
    )  # the estimate shows
    assert "05.02.2027" in page and "Аудандық пән олимпиадасы" in page  # the school's own day off

    form = {
        "group": str(group_id(engine, "ALG-8")),
        "first": "07.12.2026",
        "last": "11.12.2026",
        "reason": "Карантин",
    }
    refused = await client.post("/dashboard/plan/cancel", data=form)
    assert refused.status == 403  # no token: no change
    assert translate("kk", "web.form.refused") in await refused.text()
    elsewhere = await client.post(
        "/dashboard/plan/cancel", data={**form, "form_token": token(page)}, headers={"Origin": EVIL}
    )
    assert elsewhere.status == 403  # the token posted from another site: no change either
    with Session(engine) as session:
        assert not session.exec(select(LessonChange)).all()
    done = await client.post("/dashboard/plan/cancel", data={**form, "form_token": token(page)})
    text = await done.text()
    assert (
        done.status == 200 and "07.12.2026–11.12.2026 аралығындағы сабақтар болмайды: 1 топ, 2 сабақ" in text
    )
    with Session(engine) as session:
        changes = session.exec(select(LessonChange)).all()
        audit = session.exec(select(AuditLog).where(AuditLog.action == "dashboard.plan")).one()
    assert (
        len(changes) == 2 and {c.reason for c in changes} == {"Карантин"} and audit.actor_id == coordinator.id
    )
    assert "Карантин" not in str(audit.detail)  # the reason stays with the change
    assert "ALG-8" in text and "07.12, 09.12" in text  # listed under the lessons cancelled ahead

    backwards = await client.post(
        "/dashboard/plan/cancel",
        data={**form, "first": "11.12.2026", "last": "07.12.2026", "form_token": token(page)},
    )
    assert backwards.status == 400 and translate("kk", "calendar.range.order") in await backwards.text()
    # A day typed in the browser's own order is answered in the page's language, what was typed kept.
    us_order = await client.post(
        "/dashboard/plan/cancel?lang=ru",
        data={**form, "first": "12/07/2026", "form_token": token(page)},
    )
    answer = await us_order.text()
    assert us_order.status == 400 and translate("ru", "web.plan.date_invalid") in answer
    assert 'value="12/07/2026"' in answer and 'value="11.12.2026"' in answer and 'value="Карантин"' in answer
    assert 'placeholder="дд.мм.гггг"' in answer and 'type="date"' not in answer
    with Session(engine) as session:
        assert len(session.exec(select(LessonChange)).all()) == 2  # nothing more cancelled


async def test_the_coordinator_names_and_ends_a_substitute(client: Client, engine: Engine) -> None:
    coordinator = _staff(engine, Role.COORDINATOR)
    await _sign_in(client, engine, coordinator)
    page = await (await client.get("/dashboard/plan?lang=en")).text()
    algebra = group_id(engine, "ALG-8")
    with Session(engine) as session:
        group = session.get(TutoringGroup, algebra)
        assert group is not None
        other = session.exec(
            select(Person)
            .join(TutoringGroup, col(TutoringGroup.tutor_id) == col(Person.id))
            .where(TutoringGroup.id != algebra)
        ).first()
        assert other is not None and other.id != group.tutor_id
    form = {
        "group": str(algebra),
        "substitute": str(other.id),
        "first": "07.12.2026",
        "last": "11.12.2026",
        "form_token": token(page),
    }
    named = await client.post("/dashboard/plan/substitute", data=form)
    assert named.status == 200
    assert (
        f"{other.full_name} substitutes for group ALG-8 from 07.12.2026 to 11.12.2026" in await named.text()
    )
    with Session(engine) as session:
        (row,) = session.exec(select(Substitution)).all()
        told = session.exec(
            select(Notification.kind).where(col(Notification.kind).startswith("substitute."))
        ).all()
    assert row.substitute_id == other.id and row.assigned_by == coordinator.id
    assert {"substitute.assigned.substitute", "substitute.assigned.tutor"} <= set(told)
    assert "substitute.assigned.family" not in told  # no parent of the sample school has consented yet

    again = await client.post("/dashboard/plan/substitute", data=form)
    assert again.status == 400 and "already has a substitute" in await again.text()
    ended = await client.post(f"/dashboard/plan/substitute/{row.id}/end", data={"form_token": token(page)})
    assert ended.status == 200 and "has ended" in await ended.text()
    with Session(engine) as session:
        assert session.exec(select(Substitution)).one().ended_at is not None


async def test_a_class_teacher_has_no_plan_page(client: Client, engine: Engine) -> None:
    await _sign_in(client, engine, _staff(engine, Role.CLASS_TEACHER))
    assert (await client.get("/dashboard/plan")).status == 403
    page = await (await client.get("/dashboard")).text()
    assert "/dashboard/plan" not in page
