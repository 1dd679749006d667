"""The overview, the reminder, the district view, delivery and the reports over HTTP, as a school
coordinator, a district coordinator, a tutor and a class teacher read them."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import time_machine
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import mount_web
from bots.web.auth import SESSION_COOKIE
from locales import translate
from models.dashboard import DashboardSession
from models.district import DistrictCoordinator
from models.journal import AuditLog
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Consent, Guardianship, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import School, SchoolClass
from models.store import session_scope
from roster import import_roster
from scheduler.postal import PostalOptions, open_round, round_documents
from settings import Settings
from tests.roster.test_roster_scope import other_school
from tests.support.overview import NOW, Term, build_term, explain, name_of, open_threads
from tests.support.roster import TTL

pytestmark = pytest.mark.flow
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def term(engine: Engine, clock: None) -> Term:
    return build_term(engine)


@pytest.fixture
async def app(engine: Engine, settings: Settings, term: Term) -> AsyncIterator[TestServer]:
    application = web.Application()
    mount_web(application, engine, settings, lambda: None)
    async with TestServer(application) as server:
        yield server


def session_cookie(engine: Engine, person_id: int) -> str:
    """A signed-in browser of `person_id` (the sign-in itself has its own tests)."""
    session_id = f"test-session-{person_id}"
    session_hash = hashlib.sha256(session_id.encode()).hexdigest()
    with session_scope(engine) as session:
        if session.exec(
            select(DashboardSession).where(DashboardSession.session_hash == session_hash)
        ).first():
            return session_id
        session.add(
            DashboardSession(
                session_hash=session_hash,
                person_id=person_id,
                created_at=NOW,
                expires_at=NOW + timedelta(hours=8),
            )
        )
    return session_id


@pytest.fixture
async def as_person(app: TestServer, engine: Engine) -> AsyncIterator[object]:
    clients: list[Client] = []

    async def open_as(person_id: int) -> Client:
        client = TestClient(app)
        await client.start_server()
        client.session.cookie_jar.update_cookies({SESSION_COOKIE: session_cookie(engine, person_id)})
        clients.append(client)
        return client

    yield open_as
    for client in clients:
        await client.close()


def figure(page: str, key: str) -> str:
    found = re.search(
        rf'data-figure="{key}">\s*<span class="label">[^<]*</span>\s*<span class="value">([^<]*)<', page
    )
    assert found is not None, key
    return found.group(1)


async def test_the_overview_opens_on_the_quarter_and_filters_a_period(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard?lang=en")).text()
    figures = {key: figure(page, key) for key in ("consent", "attendance", "on_time", "score", "growth")}
    assert figures == {
        "consent": "7.5%",
        "attendance": "60%",
        "on_time": "40%",
        "score": "7",
        "growth": "+17.5",
    }
    assert "Quarter 2 of 2026–2027 (02.11.2026–27.12.2026)" in page
    assert 'id="units-group"' in page and 'id="units-tutor"' in page and "<svg" in page
    first = await client.get("/dashboard?period=q1&year=2026&lang=en")
    assert figure(await first.text(), "consent") == "10%"
    remembered = await (await client.get("/dashboard?lang=en")).text()  # the tabs keep the period
    assert "Quarter 1 of 2026–2027" in remembered
    dates = await (await client.get("/dashboard?period=dates&from=2026-11-16&to=2026-11-22&lang=en")).text()
    assert figure(dates, "attendance") == "60%" and "16.11.2026–22.11.2026" in dates
    refused = await (await client.get("/dashboard?period=dates&from=2026-12-01&to=2026-01-01&lang=en")).text()
    assert 'role="alert"' in refused and "Quarter 2 of 2026–2027" in refused
    # The fields are dd.mm.yyyy in the page's language, whatever the browser's; read back that way.
    typed = await (await client.get("/dashboard?period=dates&from=16.11.2026&to=22.11.2026&lang=en")).text()
    assert figure(typed, "attendance") == "60%" and 'name="from"' in typed
    assert re.search(r'name="from" class="day"[^>]*placeholder="dd\.mm\.yyyy"', typed)
    assert 'value="16.11.2026"' in typed and 'value="22.11.2026"' in typed
    russian = await (await client.get("/dashboard?period=dates&from=16.11.2026&to=22.11.2026&lang=ru")).text()
    assert 'placeholder="дд.мм.гггг"' in russian
    us_order = "/dashboard?period=dates&from=11/16/2026&to=11/22/2026&lang=en"
    american = await (await client.get(us_order)).text()
    assert 'role="alert"' in american and "Give the dates as dd.mm.yyyy (01.09.2026)" in american


async def test_the_attention_list_pages_filters_and_searches(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard?lang=en")).text()
    assert "1–20 of 39" in page and "page=2" in page
    absent = await (await client.get("/dashboard?need=absent&lang=en")).text()
    assert re.findall(r'<tr data-pupil="(\d+)"', absent) == [str(term.pupils["p3"])]
    typed = name_of(term.engine, term.pupils["p4"]).lower()
    found = await (await client.get(f"/dashboard?find={typed}&lang=en")).text()
    assert re.findall(r'<tr data-pupil="(\d+)"', found) == [str(term.pupils["p4"])]


async def test_a_reminder_is_one_click_through_the_outbox_once_a_day(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard?lang=en")).text()
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    three, four = term.pupils["p3"], term.pupils["p4"]
    refused = await client.post("/dashboard/remind", data={"pupil": str(three)}, allow_redirects=False)
    assert refused.status == 403
    forged = await client.post(
        "/dashboard/remind",
        data={"pupil": str(three), "form_token": token.group(1)},
        headers={"Origin": "https://elsewhere.example"},
        allow_redirects=False,
    )
    assert forged.status == 403
    data = {"pupil": str(three), "form_token": token.group(1), "back": "/dashboard?need=absent#attention"}
    sent = await client.post("/dashboard/remind", data=data, allow_redirects=False)
    parents = len(term.parents["p3"])
    # Back to the list, the answer in the query (read by the page), the list's anchor last.
    assert sent.status == 303
    assert sent.headers["Location"] == f"/dashboard?need=absent&reminded={three}:{parents + 1}:0#attention"
    again = await client.post("/dashboard/remind", data=data, allow_redirects=False)
    assert again.headers["Location"] == f"/dashboard?need=absent&reminded={three}:0:{parents + 1}#attention"
    shown = await (await client.get(again.headers["Location"].split("#")[0] + "&lang=en")).text()
    assert translate("en", "overview.reminded_before") in shown
    data["pupil"] = str(four)
    await client.post("/dashboard/remind", data=data, allow_redirects=False)
    with Session(term.engine) as session:
        rows = session.exec(
            select(Notification).where(col(Notification.idempotency_key).startswith("remind:"))
        ).all()
        audited = session.exec(select(AuditLog).where(AuditLog.action == "dashboard.remind")).all()
    assert sorted((r.kind, r.person_id) for r in rows) == sorted(
        [("homework.missing", three)]
        + [("attendance.absences", parent) for parent in term.parents["p3"]]
        + [("consent.school_reminder", parent) for parent in term.parents["p4"]]  # no consent: only this
    )
    assert {r.about_pupil_id for r in rows} == {three, four} and len(audited) == 3


def _two_schools(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    assert import_roster(engine, other_school().write(tmp_path / "sh3.csv"), dry_run=False, invite_ttl=TTL).ok
    with session_scope(engine) as session:
        for school in session.exec(select(School)).all():
            school.region, school.district = "Ақмола облысы", "Шортанды ауданы"
            session.add(school)
        official = Person(external_id="DIST-1", full_name="Аудан", phone="+77015559999")
        session.add(official)
        session.flush()
        session.add(DistrictCoordinator(person_id=official.id or 0, region="Ақмола облысы"))
        sh3 = session.exec(select(School.id).where(School.code == "SH3")).one()
        return int(official.id or 0), int(sh3 or 0)


async def test_a_district_sees_every_school_side_by_side_and_drills_down(  # type: ignore[no-untyped-def]
    as_person, term: Term, tmp_path: Path
) -> None:
    official, sh3 = _two_schools(term.engine, tmp_path)
    district = await as_person(official)
    page = await (await district.get("/dashboard?lang=en")).text()
    schools = re.findall(r'<a href="/dashboard\?[^"]*school=(\d+)[^"]*">([^<]+)</a>', page)
    assert len(schools) == 2 and figure(page, "consent") == "3.8%"  # 3 of 80 pupils
    assert 'id="units-group"' not in page and "Ақмола облысы" in page
    sh2 = next(sid for sid, _name in schools if int(sid) != sh3)
    one = await (await district.get(f"/dashboard?school={sh2}&lang=en")).text()
    assert figure(one, "consent") == "7.5%" and 'id="units-group"' in one
    assert "<button" not in one.split('id="attention"')[1]  # a district reads; it sends nothing
    with Session(term.engine) as session:
        sh3_pupil = session.exec(select(Person.id).where(Person.external_id == "SH3-P01")).one()
    token = re.search(r'name="form_token" value="([^"]+)"', one)  # the sign-out form's: a valid token
    assert token is not None
    refused = await district.post(
        "/dashboard/remind", data={"pupil": str(term.pupils["p3"]), "form_token": token}
    )
    assert refused.status == 403
    coordinator = await as_person(term.coordinator)
    assert (await coordinator.get(f"/dashboard?school={sh3}")).status == 404
    assert (await coordinator.get(f"/dashboard/pupil/{sh3_pupil}")).status == 404
    assert (await coordinator.get(f"/dashboard/pupil/{sh3_pupil}/summary.pdf")).status == 404
    own = await (await coordinator.get("/dashboard?lang=en")).text()
    assert figure(own, "consent") == "7.5%" and 'id="units-school"' not in own


async def test_a_tutor_sees_their_own_groups_only(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    client = await as_person(term.tutor)
    page = await (await client.get("/dashboard?lang=en")).text()
    assert re.findall(r'id="units-(\w+)"', page) == ["group"] and ">ALG-8<" in page
    assert figure(page, "attendance") == "60%" and figure(page, "consent") == "60%"
    assert (await client.get("/dashboard?table=postal")).status == 404
    assert (await client.get("/dashboard/delivery")).status == 404
    assert (await client.get("/dashboard?table=homework")).status == 200
    assert (await client.get("/dashboard/roster")).status == 403


async def test_reports_leave_the_building_with_the_period_in_them(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    client = await as_person(term.coordinator)
    journal = (await (await client.get("/dashboard/reports/journal.csv?lang=ru")).read()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(journal.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Дата",
        "Класс",
        "Ученик",
        "Предмет",
        "Работа",
        "Вид",
        "Балл",
        "Из",
        "%",
        "Оценка",
        "Четверть",
        "Четвертная, %",
        "Четвертная оценка",
    ]
    p1 = name_of(term.engine, term.pupils["p1"])
    assert [  # dates and numbers as Russian writes them
        "25.11.2026",
        "8А",
        p1,
        "Алгебра",
        "Қорытынды диагностика",
        "итоговая диагностика",
        "16",
        "20",
        "80",
        "4",
        "2-я четверть",  # the quarter of the school calendar, and p1's algebra mark in it so far
        "90",
        "5",
    ] in rows
    assert len(rows) == 7
    hours = load_workbook(
        io.BytesIO(await (await client.get("/dashboard/reports/hours.xlsx?lang=en")).read())
    )
    by_group = list(hours.worksheets[0].iter_rows(values_only=True))
    assert by_group[0][:6] == (
        "School",
        "Group",
        "Subject",
        "Digital tutor",
        "Lessons scheduled",
        "Lessons held",
    )
    assert [r[4:] for r in by_group if r[1] == "ALG-8"] == [(9, 2, 120, 2)]
    for lang, words in (  # figures as each language writes them: a decimal comma, Russian's space before %
        ("kk", ("«Цифрлық ұстаз» жобасы", "Сабаққа қатысу", "7,5%", "60%", "+17,5")),
        ("ru", ("«Цифровой наставник»", "Посещаемость", "7,5 %", "60 %", "+17,5")),
    ):
        response = await client.get(f"/dashboard/reports/programme.pdf?lang={lang}")
        assert response.headers["Content-Type"] == "application/pdf"
        pages = PdfReader(io.BytesIO(await response.read())).pages
        text = "".join(page.extract_text() for page in pages).replace("\xa0", " ")
        assert [word for word in words if word not in text] == []
        assert "7.5%" not in text
        assert "ALG-8" in text and "02.11.2026–27.12.2026" in text
    summary = await client.get(f"/dashboard/pupil/{term.pupils['p1']}/summary.pdf?lang=ru")
    text = PdfReader(io.BytesIO(await summary.read())).pages[0].extract_text()
    assert p1 in text and "ALG-8" in text and "50 → 80 (+30)" in text and "Жақсы" in text
    export = await client.get("/dashboard/export/attendance.csv?period=q1&year=2026&lang=en")
    lines = (await export.read()).decode("utf-8").removeprefix("\ufeff").splitlines()
    assert lines[1].split(";")[:4] == [
        "ALG-8",
        "Algebra",
        "10/19/2026",
        "1",
    ]  # the 1st quarter's one lesson, in English
    with Session(term.engine) as session:
        exported = session.exec(select(AuditLog.detail).where(AuditLog.action == "dashboard.export")).all()
    assert {d["table"] for d in exported} >= {"journal", "hours", "programme", "attendance"}


async def test_delivery_names_who_was_not_reached_and_why(as_person, term: Term) -> None:  # type: ignore[no-untyped-def]
    with session_scope(term.engine) as session:
        parents = [term.parents[n][0] for n in ("p1", "p2", "p3")]
        landline = term.parents["p5"][0]
        channels = {
            (i.person_id, i.channel): i.id
            for i in session.exec(
                select(ChannelIdentity).where(col(ChannelIdentity.person_id).in_([*parents, landline]))
            )
        }
        for n, parent in enumerate(parents):
            row = Notification(
                idempotency_key=f"t:{n}:",
                person_id=parent,
                kind="grade",
                key="k",
                status="sent",
                channel="sms",
            )
            session.add(row)
            session.flush()
            session.add(
                DeliveryAttempt(
                    notification_id=row.id or 0,
                    channel="whatsapp",
                    identity_id=channels.get((parent, "whatsapp")),
                    outcome="failed",
                    error="no template outside the 24-hour window",
                )
            )
            session.add(DeliveryAttempt(notification_id=row.id or 0, channel="sms", outcome="delivered"))
        lost = Notification(
            idempotency_key="t:lost:",
            person_id=landline,
            kind="grade",
            key="k",
            status="no_channel",
            channel="sms",
        )
        session.add(lost)
        session.flush()
        session.add(
            DeliveryAttempt(
                notification_id=lost.id or 0, channel="sms", outcome="failed", error="undelivered:30006"
            )
        )
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard/delivery?lang=en")).text()
    reasons = page.split('id="failure-reasons"')[1].split("</table>")[0]
    assert (
        "WhatsApp: 24 hours since they last wrote, and no template" in reasons
        and "3 delivered by SMS" in reasons
    )
    assert "A landline number" in reasons and "1 not reached" in reasons
    call = page.split('id="call-list"')[1].split("</table>")[0]
    assert name_of(term.engine, landline) in call and name_of(term.engine, term.pupils["p5"]) in call
    assert call.count("<tr>") == 2  # the header and the one family
    post = page.split('id="post-list"')[1].split("</table>")[0]
    assert post.count("<tr>") == 5  # the header and the sample school's four families on post


async def test_the_next_rounds_paper_packs_print_from_the_delivery_page_for_the_readers_classes(  # type: ignore[no-untyped-def]
    as_person, term: Term, tmp_path: Path
) -> None:
    _official, sh3 = _two_schools(term.engine, tmp_path)
    with session_scope(term.engine) as session:
        other_class = session.exec(select(SchoolClass.id).where(SchoolClass.school_id == sh3)).first()
        for class_id in session.exec(select(SchoolClass.id).where(SchoolClass.school_id != sh3)).all():
            session.add(
                PostalSchedule(class_id=int(class_id or 0), teacher_id=term.teacher_9b, anchor=NOW.date())
            )
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard/delivery?lang=en")).text()
    links = re.findall(r'<a href="/dashboard/delivery/packs/(\d+)\.pdf">([^<]+)</a>', page)
    assert links and all(label.endswith(": paper packs · PDF") for _id, label in links)
    post = page.split('id="post-list"')[1].split("</table>")[0]
    on_post = re.findall(r'<a href="/dashboard/pupil/\d+(?:\?back=[^"]*)?">([^<]+)</a>', post)
    printed = ""
    for class_id, _label in links:
        answer = await client.get(f"/dashboard/delivery/packs/{class_id}.pdf")
        assert answer.status == 200 and answer.content_type == "application/pdf"
        printed += "".join(p.extract_text() for p in PdfReader(io.BytesIO(await answer.read())).pages)
    assert on_post and all(name in printed for name in on_post)  # one pack for each family the list names
    assert (await client.get(f"/dashboard/delivery/packs/{other_class}.pdf")).status == 404
    # A family on post's pupil page says so, with the day the list gives, and leads to the list.
    first_on_post = re.search(r'<a href="/dashboard/pupil/(\d+)[?"]', post)
    assert first_on_post is not None
    collection = re.search(r"<td>(\d\d\.\d\d\.\d{4})</td>", post)
    assert collection is not None
    pupil_page = await (await client.get(f"/dashboard/pupil/{first_on_post.group(1)}?lang=en")).text()
    assert f"next collection {collection.group(1)}" in pupil_page
    assert '<a href="/dashboard/delivery#post">' in pupil_page
    not_on_post = await (await client.get(f"/dashboard/pupil/{term.pupils['p1']}?lang=en")).text()
    assert 'id="on-post"' not in not_on_post
    tutor = await as_person(term.tutor)
    assert (await tutor.get(f"/dashboard/delivery/packs/{links[0][0]}.pdf")).status == 404
    with Session(term.engine) as session:
        audits = session.exec(select(AuditLog).where(AuditLog.action == "dashboard.postal_packs")).all()
    assert [a.detail["class_id"] for a in audits] == [int(class_id) for class_id, _ in links]


async def test_threads_and_problems_are_tabs_a_page_at_a_time_and_the_list_says_what_was_explained(  # type: ignore[no-untyped-def]
    as_person, term: Term
) -> None:
    explain(term)
    open_threads(term)
    client = await as_person(term.coordinator)
    threads = await (await client.get("/dashboard?table=threads&lang=en")).text()
    assert ">Reported problems</a>" in threads and ">Waiting for an answer</a>" in threads
    assert "Waiting since" in threads
    assert threads.count(f'href="/dashboard/pupil/{term.pupils["p3"]}?back=') >= 2
    parent = name_of(term.engine, term.parents["p3"][0]).split()[1]
    found = await (await client.get(f"/dashboard?table=threads&lang=en&find={parent}")).text()
    assert found.count("digital tutor") == 1 and "class teacher" not in found.split("<tbody>")[1]
    problems = await (await client.get("/dashboard?table=problems&lang=en")).text()
    assert "no internet" in problems and "not decided yet" in problems and "broken device" in problems
    listed = await (await client.get("/dashboard?lang=en&need=absent")).text()
    assert "2 with a reason, 1 excused" in listed and "excused: 1" in listed
    tutor = await as_person(term.tutor)
    tabs = await (await tutor.get("/dashboard?table=problems&lang=en")).text()
    assert "ill" in tabs and (await tutor.get("/dashboard?table=threads")).status == 200


def _rounds_of_every_class(term: Term, settings: Settings) -> list[PostalRound]:
    """Each class's Kazpost round, opened two days before its collection, the 9Б teacher responsible."""
    options = PostalOptions.from_settings(settings)
    with session_scope(term.engine) as session:
        for class_id in session.exec(select(SchoolClass.id)).all():
            schedule = PostalSchedule(
                class_id=int(class_id or 0), teacher_id=term.teacher_9b, anchor=NOW.date()
            )
            session.add(schedule)
            session.flush()
            open_round(session, schedule, NOW.date() + timedelta(days=2), NOW, options)
    with Session(term.engine) as session:
        return list(session.exec(select(PostalRound).order_by(col(PostalRound.id))).all())


async def test_the_rounds_already_opened_list_on_the_delivery_page_with_their_documents_as_sent(  # type: ignore[no-untyped-def]
    as_person, term: Term, settings: Settings
) -> None:
    options = PostalOptions.from_settings(settings)
    opened = _rounds_of_every_class(term, settings)
    with Session(term.engine) as session:
        classes = {c.id: c.name for c in session.exec(select(SchoolClass)).all()}
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard/delivery?lang=en")).text()
    listed = page.split('id="round-list"')[1].split("</table>")[0]
    assert listed.count("<tr>") == 1 + len(opened)  # the header and every class's round
    with_packs = 0
    for round_ in opened:
        links = re.findall(
            rf'<a href="(/dashboard/delivery/rounds/{round_.id}/([a-z.]+))">([^<]+)</a>', listed
        )
        names = [name for _href, name, _label in links]
        assert names[:2] == ["list.pdf", "list.xlsx"] and set(names) <= {"list.pdf", "list.xlsx", "packs.pdf"}
        sent = round_documents(options.out_dir, round_.id, round_.collection_date)
        for href, name, _label in links:
            answer = await client.get(href)
            assert answer.status == 200 and await answer.read() == sent[name].read_bytes()
        sheet = load_workbook(io.BytesIO(sent["list.xlsx"].read_bytes())).active
        assert sheet is not None and classes[round_.class_id] in str(sheet["A1"].value)
        with_packs += "packs.pdf" in names
    assert with_packs  # the sample school's families on post get packs
    assert "Collection list · PDF" in listed and "Paper packs · PDF" in listed
    # Another's round, a document never written, or a reader without the class: not found.
    assert (await client.get(f"/dashboard/delivery/rounds/{opened[0].id + 1000}/list.pdf")).status == 404
    assert (await client.get(f"/dashboard/delivery/rounds/{opened[0].id}/other.pdf")).status == 404
    tutor = await as_person(term.tutor)
    assert (await tutor.get(f"/dashboard/delivery/rounds/{opened[0].id}/list.pdf")).status == 404
    with Session(term.engine) as session:
        audits = session.exec(select(AuditLog).where(AuditLog.action == "dashboard.postal_round")).all()
    assert len(audits) == len(re.findall(r'<a href="/dashboard/delivery/rounds/\d+/', listed))


async def test_back_on_a_pupils_page_leads_to_the_table_it_was_opened_from(  # type: ignore[no-untyped-def]
    as_person, term: Term
) -> None:
    client = await as_person(term.coordinator)
    table = await (await client.get("/dashboard?table=consent&period=year&lang=en")).text()
    link = re.search(r'<a href="(/dashboard/pupil/\d+\?back=[^"]+)">', table)
    assert link is not None, table[table.find("<tbody") :][:800]
    pupil = await (await client.get(link.group(1).replace("&amp;", "&"))).text()
    back = re.search(r'<a href="([^"]+)" id="back">', pupil)
    assert back is not None
    assert back.group(1).replace("&amp;", "&") == "/dashboard?table=consent&period=year&lang=en#table"
    overview = await (await client.get("/dashboard?lang=en")).text()
    attention = re.search(r'<td><a href="(/dashboard/pupil/\d+\?back=[^"]+)">', overview)
    assert attention is not None
    pupil = await (await client.get(attention.group(1).replace("&amp;", "&"))).text()
    assert 'href="/dashboard?lang=en#attention" id="back"' in pupil
    # A crafted link to another site leads to the overview.
    pupil_id = term.pupils["p1"]
    crafted = await (await client.get(f"/dashboard/pupil/{pupil_id}?back=//evil.example/dashboard")).text()
    assert '<a href="/dashboard" id="back">' in crafted and "evil.example" not in crafted


def _item(engine: Engine, item_id: int) -> PostalItem:
    with Session(engine) as session:
        found = session.get(PostalItem, item_id)
        assert found is not None
        return found


async def test_a_rounds_items_are_marked_received_or_missing_from_the_delivery_page(  # type: ignore[no-untyped-def]
    as_person, term: Term, settings: Settings, tmp_path: Path
) -> None:
    official, sh3 = _two_schools(term.engine, tmp_path)
    rounds = _rounds_of_every_class(term, settings)
    with Session(term.engine) as session:
        sh3_classes = set(session.exec(select(SchoolClass.id).where(SchoolClass.school_id == sh3)).all())
    other = next(r for r in rounds if r.class_id in sh3_classes)
    client = await as_person(term.coordinator)
    page = await (await client.get("/dashboard/delivery?lang=en")).text()
    listed = page.split('id="round-list"')[1].split("</table>")[0]
    forms = re.findall(r'<form method="post" action="/dashboard/delivery/rounds/(\d+)/items/(\d+)">', listed)
    assert forms and "Mark received / missing" in listed and "Received</button>" in listed
    assert all(int(round_id) != other.id for round_id, _ in forms)  # the reader's own school only
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    round_id, first = forms[0]
    same_round = [item for rid, item in forms if rid == round_id]
    url = f"/dashboard/delivery/rounds/{round_id}/items/{first}"
    back = "/dashboard/delivery?lang=en&marked=1#rounds"

    # Without the form's token, nothing changes.
    refused = await client.post(url, data={"mark": "received"}, allow_redirects=False)
    assert refused.status == 403 and _item(term.engine, int(first)).status == "pending"
    data = {"mark": "received", "form_token": token.group(1), "back": back}
    marked = await client.post(url, data=data, allow_redirects=False)
    assert marked.status == 303
    assert marked.headers["Location"] == f"/dashboard/delivery?lang=en&marked={first}#rounds"
    shown = await (await client.get(marked.headers["Location"].split("#")[0])).text()
    said = re.search(r'<p class="ok" role="status" id="marked">([^<]+)</p>', shown)
    assert said is not None and said.group(1).startswith("Marked received: ")
    assert f'id="marks-{round_id}" open' in shown
    assert _item(term.engine, int(first)).status == "received"
    # A second press leaves the mark as it was, and says so.
    again = await client.post(url, data={**data, "mark": "missing"}, allow_redirects=False)
    assert unquote(again.headers["Location"]).endswith(f"marked={first}:already#rounds")
    assert _item(term.engine, int(first)).status == "received"
    before = await (await client.get(again.headers["Location"].split("#")[0])).text()
    assert "This item was marked before and is left as it was: Marked received: " in before

    # Missing: the family is told, through the outbox, when the work is collected next (the parents
    # gave consent on paper).
    missing = {_item(term.engine, int(i)).pupil_id for i in same_round[1:]}
    with session_scope(term.engine) as session:
        for pupil_id in missing:
            for guardian_id in session.exec(
                select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil_id)
            ).all():
                session.add(
                    Consent(
                        guardian_id=guardian_id,
                        pupil_id=pupil_id,
                        text_version="v1",
                        given=True,
                        decided_at=NOW,
                        channel="paper",
                    )
                )
    for item_id in same_round[1:]:
        answer = await client.post(
            f"/dashboard/delivery/rounds/{round_id}/items/{item_id}",
            data={**data, "mark": "missing"},
            allow_redirects=False,
        )
        assert answer.status == 303
    with Session(term.engine) as session:
        told = session.exec(select(Notification).where(Notification.kind == "postal.missed")).all()
        audits = session.exec(select(AuditLog).where(col(AuditLog.action).startswith("postal."))).all()
        closed = session.get(PostalRound, int(round_id))
    assert missing and {n.about_pupil_id or n.person_id for n in told} == missing
    assert sorted(a.entity_id for a in audits) == sorted(int(i) for i in same_round)
    assert {(a.actor_id, a.detail["where"]) for a in audits} == {(term.coordinator, "dashboard")}
    assert closed is not None and closed.closed_at is not None  # the last mark closed the round

    # Another school's round, an item under a round not its own, or a tutor: not found.
    other_own, pending = next((rid, item) for rid, item in forms if rid != round_id)
    assert (
        await client.post(f"/dashboard/delivery/rounds/{other.id}/items/{pending}", data=data)
    ).status == 404
    assert (
        await client.post(f"/dashboard/delivery/rounds/{other_own}/items/{first}", data=data)
    ).status == 404
    tutor = await as_person(term.tutor)
    tutor_page = await (await tutor.get("/dashboard?lang=en")).text()
    tutor_token = re.search(r'name="form_token" value="([^"]+)"', tutor_page)
    assert tutor_token is not None
    tutor_data = {"mark": "received", "form_token": tutor_token.group(1)}
    target = f"/dashboard/delivery/rounds/{other_own}/items/{pending}"
    assert (await tutor.post(target, data=tutor_data)).status == 404
    # A district coordinator reads the rounds of its schools and marks none.
    district = await as_person(official)
    read = await (await district.get("/dashboard/delivery?lang=en")).text()
    assert 'id="round-list"' in read and "/items/" not in read
    district_token = re.search(r'name="form_token" value="([^"]+)"', read)
    assert district_token is not None
    answer = await district.post(target, data={"mark": "missing", "form_token": district_token.group(1)})
    assert answer.status == 403 and _item(term.engine, int(pending)).status == "pending"
