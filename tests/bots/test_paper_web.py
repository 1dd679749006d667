"""A signed paper application recorded from the dashboard: the parent's consent or withdrawal, with
the day of signing and a photo of the paper kept as pixels only; the audit names who recorded it;
the same paper saved twice is one decision; bad input is answered on the form and stores nothing."""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiohttp import FormData, web
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import unsaved_photo
from bots.web.forms import FORM_COOKIE
from locales import T, translate
from models.consent_rules import has_consent
from models.enums import Role
from models.journal import AuditLog
from models.outbox import Notification
from models.people import Consent, Person
from outbox.write import enqueue
from settings import Settings
from tests.bots.test_dashboard_forms import Client, sample_school_dashboard
from tests.bots.test_monitoring_web import _sign_in, _staff, form_token
from tests.support.homework import page_image

pytestmark = pytest.mark.flow


@pytest.fixture
async def client(engine: Engine, settings: Settings) -> AsyncIterator[Client]:
    async with sample_school_dashboard(engine, settings) as test_client:
        yield test_client


def person(engine: Engine, external_id: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.external_id == external_id)).one()


def paper_form(
    token: str, guardian: int | str | None, kind: str, day: str, photo: bytes | None, kept: bool = False
) -> FormData:
    """The form as a browser sends it: a radio left unchosen is not sent; "the photo kept" is."""
    form = FormData()
    form.add_field("form_token", token)
    if guardian is not None:
        form.add_field("guardian", str(guardian))
    if kind:
        form.add_field("kind", kind)
    form.add_field("signed_on", day)
    if kept:
        form.add_field("photo_kept", "1")
    if photo is not None:
        form.add_field("photo", photo, filename="paper.jpg", content_type="image/jpeg")
    return form


def decisions(engine: Engine, pupil_id: int) -> list[Consent]:
    with Session(engine) as session:
        return list(
            session.exec(select(Consent).where(Consent.pupil_id == pupil_id).order_by(col(Consent.id)))
        )


async def post(client: Client, pupil_id: int, form: FormData, lang: str = "en") -> web.StreamResponse:
    origin = str(client.make_url("")).rstrip("/")
    return await client.post(
        f"/dashboard/pupil/{pupil_id}/paper?lang={lang}",
        data=form,
        headers={"Origin": origin},
        allow_redirects=False,
    )


async def test_a_class_teacher_records_a_signed_consent_and_then_a_withdrawal(
    client: Client, engine: Engine, settings: Settings
) -> None:
    teacher = _staff(engine, Role.CLASS_TEACHER, "8А")
    token = await _sign_in(client, engine, teacher)
    pupil, guardian = person(engine, "SH2-P01"), person(engine, "SH2-G01")
    assert pupil.id and guardian.id and teacher.id
    before = decisions(engine, pupil.id)

    pupil_page = await (await client.get(f"/dashboard/pupil/{pupil.id}?lang=en")).text()
    assert f'/dashboard/pupil/{pupil.id}/paper"' in pupil_page
    form_page = await (await client.get(f"/dashboard/pupil/{pupil.id}/paper?lang=en")).text()
    assert guardian.full_name in form_page and 'name="form_token"' in form_page

    assert 'name="signed_on" class="day"' in form_page and 'placeholder="dd.mm.yyyy"' in form_page
    assert 'type="date"' not in form_page  # not the browser's own field, which follows its locale
    signed_day = date.today() - timedelta(days=2)
    signed = signed_day.isoformat()
    photo = page_image("white", gps=True)
    typed = signed_day.strftime("%d.%m.%Y")  # as the field asks, in every language
    response = await post(client, pupil.id, paper_form(token, guardian.id, "given", typed, photo))
    assert response.status == 303
    saved = await (await client.get(response.headers["Location"])).text()
    assert "Saved:" in saved and guardian.full_name in saved and "gave consent" in saved

    [decision] = decisions(engine, pupil.id)[len(before) :]
    assert decision.given and decision.channel == "paper" and decision.recorded_by_id == teacher.id
    assert decision.document_path and decision.document_path.startswith(
        str(settings.media_dir / "applications")
    )
    with Image.open(decision.document_path) as kept:
        assert not kept.getexif() and "exif" not in kept.info  # pixels only: no GPS, no maker
    with Session(engine) as session:
        assert has_consent(session, pupil.id)
        entry = session.exec(select(AuditLog).where(AuditLog.action == "consent.paper_given")).one()
        assert entry.actor_id == teacher.id and entry.entity_id == decision.id
        assert entry.detail["where"] == "dashboard" and entry.detail["signed_on"] == signed
        [told] = session.exec(select(Notification).where(Notification.kind == "consent.paper")).all()
        assert told.person_id == guardian.id and told.key == "paper.notify.given"

    # a double click sends the same form twice: one decision, one message
    again = await post(client, pupil.id, paper_form(token, guardian.id, "given", signed, photo))
    assert again.status == 303
    assert len(decisions(engine, pupil.id)) == len(before) + 1
    with Session(engine) as session:
        assert len(session.exec(select(Notification).where(Notification.kind == "consent.paper")).all()) == 1
        waiting = enqueue(
            session, kind="reminder", text=T("paper.now_given"), idempotency_key="r:1", person_id=pupil.id
        )
        session.commit()
        waiting_id = waiting.id

    withdrawn = await post(
        client,
        pupil.id,
        paper_form(token, guardian.id, "withdrawn", date.today().isoformat(), page_image("gray")),
    )
    assert withdrawn.status == 303
    page = await (await client.get(withdrawn.headers["Location"])).text()
    assert "withdrew consent" in page
    with Session(engine) as session:
        assert not has_consent(session, pupil.id)
        assert session.get(Notification, waiting_id).status != "pending"  # type: ignore[union-attr]
        assert session.exec(
            select(AuditLog).where(AuditLog.action == "consent.paper_withdrawn")
        ).one().actor_id == (teacher.id)


@pytest.mark.parametrize(
    ("kind", "day", "photo", "answer"),
    [
        ("given", "future", "page", "That day has not come yet"),
        ("given", "31.02.2026", "page", "Write the date as dd.mm.yyyy, for example 03.12.2026."),
        ("given", "12/03/2026", "page", "Write the date as dd.mm.yyyy, for example 03.12.2026."),
        ("maybe", "past", "page", "Choose what the paper says"),
        ("given", "past", None, "Add a photo of the signed application"),
        ("given", "past", "text", "This is not a photo"),
    ],
)
async def test_bad_input_is_answered_on_the_form_and_stores_nothing(
    client: Client, engine: Engine, kind: str, day: str, photo: str | None, answer: str
) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    pupil, guardian = person(engine, "SH2-P02"), person(engine, "SH2-G02")
    assert pupil.id and guardian.id
    before = decisions(engine, pupil.id)
    days = {"future": (date.today() + timedelta(days=3)).isoformat(), "past": date.today().isoformat()}
    data = {"page": page_image(), "text": b"not a picture at all", None: None}[photo]
    response = await post(client, pupil.id, paper_form(token, guardian.id, kind, days.get(day, day), data))
    assert response.status == 400
    text = await response.text()
    assert answer in text
    assert f'value="{days.get(day, day)}"' in text  # what was typed stays in the field
    assert decisions(engine, pupil.id) == before


def problem_at(page: str, field: str) -> str:
    """The answer written next to a field of the refused form ("" when there is none)."""
    found = re.search(rf'<p class="error field-problem" id="paper-problem-{field}">([^<]*)</p>', page)
    return found.group(1) if found else ""


async def test_a_form_sent_empty_is_answered_field_by_field_in_the_pages_language(
    client: Client, engine: Engine
) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    pupil = person(engine, "SH2-P02")
    assert pupil.id
    before = decisions(engine, pupil.id)
    form_page = await (await client.get(f"/dashboard/pupil/{pupil.id}/paper?lang=ru")).text()
    # No check of the browser's own, which answers in the browser's language, not the page's.
    assert " novalidate>" in form_page and "required" not in form_page
    # The file button is the page's own label over the browser's hidden one.
    assert '<label for="paper-photo" class="file-button">Выбрать фото</label>' in form_page
    assert ">Фото не выбрано</span>" in form_page

    response = await post(client, pupil.id, paper_form(token, None, "", "", None), lang="ru")
    assert response.status == 400
    page = await response.text()
    assert translate("ru", "web.paper.not_saved") in page
    assert problem_at(page, "guardian") == translate("ru", "web.paper.choose_guardian")
    assert problem_at(page, "kind") == translate("ru", "web.paper.choose_kind")
    assert problem_at(page, "date") == translate("ru", "web.paper.date_missing")
    assert problem_at(page, "photo") == translate("ru", "web.paper.photo_missing")
    assert 'name="photo_kept"' not in page
    assert decisions(engine, pupil.id) == before


async def test_a_photo_sent_with_a_refused_form_need_not_be_chosen_again(
    client: Client, engine: Engine, settings: Settings
) -> None:
    teacher = _staff(engine, Role.CLASS_TEACHER, "8А")
    token = await _sign_in(client, engine, teacher)
    pupil, guardian = person(engine, "SH2-P01"), person(engine, "SH2-G01")
    assert pupil.id and guardian.id
    before = decisions(engine, pupil.id)
    signed = date.today() - timedelta(days=1)

    # The day typed the browser's way: refused, the typed values kept, and the photo with them.
    refused = await post(
        client,
        pupil.id,
        paper_form(token, guardian.id, "given", signed.strftime("%m/%d/%Y"), page_image("white", gps=True)),
        lang="kk",
    )
    assert refused.status == 400
    page = await refused.text()
    assert problem_at(page, "date") == translate("kk", "web.paper.date_invalid")
    assert problem_at(page, "photo") == ""
    assert f'value="{signed:%m/%d/%Y}"' in page and f'value="{guardian.id}" checked' in page
    assert '<input type="hidden" name="photo_kept" value="1">' in page
    assert translate("kk", "web.paper.photo_kept") in page
    assert translate("kk", "web.paper.photo_choose_other") in page
    waiting = list((settings.data_dir / "unsaved" / "applications").iterdir())
    assert len(waiting) == 1 and not waiting[0].is_relative_to(settings.media_dir)  # not backed up
    with Image.open(waiting[0]) as kept:
        assert not kept.getexif() and "exif" not in kept.info  # the pipeline's pixels, not the file

    # The day corrected only: saved with the photo sent before.
    day = signed.strftime("%d.%m.%Y")
    saved = await post(client, pupil.id, paper_form(token, guardian.id, "given", day, None, kept=True))
    assert saved.status == 303
    [decision] = decisions(engine, pupil.id)[len(before) :]
    assert decision.document_path and Path(decision.document_path).read_bytes() == waiting[0].read_bytes()
    assert Path(decision.document_path).is_relative_to(settings.media_dir / "applications")


async def test_a_kept_photo_is_forgotten_when_the_form_comes_without_it_or_grows_old(
    client: Client, engine: Engine, settings: Settings
) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    pupil, guardian = person(engine, "SH2-P02"), person(engine, "SH2-G02")
    assert pupil.id and guardian.id
    folder = settings.data_dir / "unsaved" / "applications"
    future = (date.today() + timedelta(days=2)).strftime("%d.%m.%Y")
    today_ = date.today().strftime("%d.%m.%Y")

    await post(client, pupil.id, paper_form(token, guardian.id, "given", future, page_image("gray")))
    [waiting] = folder.iterdir()
    # A form sent without "the photo kept" (the page opened afresh) forgets it.
    fresh = await post(client, pupil.id, paper_form(token, guardian.id, "given", future, None))
    assert problem_at(await fresh.text(), "photo") == "Add a photo of the signed application."
    assert list(folder.iterdir()) == []

    await post(client, pupil.id, paper_form(token, guardian.id, "given", future, page_image("gray")))
    [waiting] = folder.iterdir()
    old = time.time() - unsaved_photo.MAX_AGE - 60
    os.utime(waiting, (old, old))
    late = await post(client, pupil.id, paper_form(token, guardian.id, "given", today_, None, kept=True))
    assert late.status == 400
    assert problem_at(await late.text(), "photo") == "Add a photo of the signed application."
    assert list(folder.iterdir()) == []

    # Another browser (another form token), the same reader: the photo is not theirs to use.
    await post(client, pupil.id, paper_form(token, guardian.id, "given", future, page_image("gray")))
    client.session.cookie_jar.clear(lambda cookie: cookie.key == FORM_COOKIE)
    other = await form_token(client)
    assert other != token
    theirs = await post(client, pupil.id, paper_form(other, guardian.id, "given", today_, None, kept=True))
    assert theirs.status == 400
    assert problem_at(await theirs.text(), "photo") == "Add a photo of the signed application."


async def test_a_pupil_outside_the_readers_classes_is_not_found(client: Client, engine: Engine) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.CLASS_TEACHER, "9Б"))
    pupil, guardian = person(engine, "SH2-P01"), person(engine, "SH2-G01")  # of 8А
    assert pupil.id and guardian.id
    before = decisions(engine, pupil.id)
    assert (await client.get(f"/dashboard/pupil/{pupil.id}/paper")).status == 404
    form = paper_form(token, guardian.id, "withdrawn", date.today().isoformat(), page_image())
    assert (await post(client, pupil.id, form)).status == 404
    assert decisions(engine, pupil.id) == before


async def test_another_parent_of_the_roster_cannot_be_named(client: Client, engine: Engine) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    pupil, stranger = person(engine, "SH2-P01"), person(engine, "SH2-G02")
    assert pupil.id and stranger.id
    before = decisions(engine, pupil.id)
    response = await post(
        client, pupil.id, paper_form(token, stranger.id, "given", date.today().isoformat(), page_image())
    )
    assert response.status == 400 and "Choose the parent who signed" in await response.text()
    assert decisions(engine, pupil.id) == before


async def test_a_parent_whose_consent_is_on_paper_shows_so_on_the_invitation_list(
    client: Client, engine: Engine
) -> None:
    teacher = _staff(engine, Role.CLASS_TEACHER, "8А")
    token = await _sign_in(client, engine, teacher)
    pupil, guardian = person(engine, "SH2-P01"), person(engine, "SH2-G01")
    assert pupil.id and guardian.id

    async def row() -> str:
        """The parent's row on the invitation list, on whichever page it is."""
        first = await (await client.get("/dashboard/invites?lang=en")).text()
        pages = len(re.findall(r'href="/dashboard/invites\?page=\d+"', first)) or 1
        for number in range(1, pages + 1):
            page = await (await client.get(f"/dashboard/invites?lang=en&page={number}")).text()
            if f'id="p{guardian.id}"' in page:
                return page.split(f'id="p{guardian.id}"')[1].split("</tr>")[0]
        raise AssertionError("the parent is not on the list")

    before = await row()
    assert "consent on paper" not in before and "joined" not in before
    signed = (date.today() - timedelta(days=1)).isoformat()
    response = await post(
        client, pupil.id, paper_form(token, guardian.id, "given", signed, page_image("white"))
    )
    assert response.status == 303
    after = await row()
    assert "consent on paper; may still join the bot" in after
    assert "/reissue" in after  # a new code may still be given: they may join
