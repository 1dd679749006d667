"""End to end over HTTP through the Telegram emulator: a tutor sets homework, pupils are notified,
a pupil hands in an album and files, the tutor reviews and grades, pupil and guardian hear back."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from bots.app import start
from models import Submission, SubmissionPage
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage
from tests.support.chatting import Chatting, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, World, build_world, page_image, pixel_bomb

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 700 + number for number, name in enumerate(PEOPLE, start=1)}
TASK = "Есеп 1–5, 42-бет"
TUTOR, PUPIL, OTHER_PUPIL, GUARDIAN = (TELEGRAM_IDS[n] for n in ("t1", "p1", "p2", "g1"))


def homework_world(db_url: str, tmp_path: Path) -> World:
    """The homework world on the test's store, its people chatting from TELEGRAM_IDS."""
    engine = make_engine(db_url)
    upgrade(engine)
    return build_world(engine, tmp_path / "media", TELEGRAM_IDS)


def receipt_pages(message: ChatMessage) -> int:
    """The page count a Kazakh receipt states (its first line names the homework)."""
    title, counts = (message.text or "").split("\n")[:2]
    expected = on_telegram("kk", "homework.receipt", title=TASK, pages=0, time="", hash="")
    assert title == expected.split("\n")[0]
    return int(re.findall(r"\d+", counts)[0])


async def test_homework_from_setting_to_the_guardians_grade(tmp_path: Path, db_url: str) -> None:
    homework_world(db_url, tmp_path).engine.dispose()

    async with TelegramEmulator() as telegram:
        for name, user_id in TELEGRAM_IDS.items():
            telegram.add_user(user_id, PEOPLE[name][0])
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            tutor, pupil, guardian = (Chatting(telegram, uid) for uid in (TUTOR, PUPIL, GUARDIAN))
            other = Chatting(telegram, OTHER_PUPIL)

            # The tutor sets summative homework with a photo of the task.
            [ask_group] = await tutor.text("/homework")
            [ask_text] = await tutor.press(ask_group, "hw:group:")
            assert ask_text.text == on_telegram(
                "kk", "homework.ask_text", group="A1", subject=on_telegram("kk", "subject.algebra")
            )
            telegram.inject_photo(TUTOR, page_image("yellow"), caption=TASK)
            await tutor.answers(1)
            [grading] = await tutor.text("ертең 18:00")
            [ask_max] = await tutor.press(grading, "hw:kind:section")
            assert ask_max.text == on_telegram("kk", "homework.ask_max")
            [summary] = await tutor.text("20")
            [created] = await tutor.press(summary, "hw:confirm:yes")
            rest = on_telegram("kk", "homework.created_no_consent", count=1)  # p3
            assert created.text == on_telegram(
                "kk", "homework.created_partly", group="A1", reached=2, total=3, rest=rest
            )

            # Both pupils with consent are told, through the outbox, with the task's photo.
            [notice] = await pupil.answers(1)
            [notice_en] = await other.answers(1)
            assert notice.message.get("photo") and TASK in (notice.caption or "")
            assert "Due:" in (notice_en.caption or "")

            # A pupil may not review: a clear refusal in her language (English).
            [refusal] = await other.text("/review")
            assert refusal.text == on_telegram("en", "review.only_tutor")

            # An album of three pages: one receipt for all three.
            telegram.inject_album(PUPIL, [page_image(c) for c in ("white", "gray", "black")])
            [receipt] = await pupil.answers(1)
            assert receipt_pages(receipt) == 3

            # A PDF is refused in the pupil's language; a full-resolution page sent as a file is kept.
            telegram.inject_document(PUPIL, b"%PDF-1.4 essay", "essay.pdf")
            [refused] = await pupil.answers(1)
            assert refused.text == on_telegram("kk", "homework.photo.not_image")
            out = io.BytesIO()
            Image.open(io.BytesIO(page_image(size=(1200, 1600)))).save(out, "PNG")
            telegram.inject_document(PUPIL, out.getvalue(), "page4.png")
            [receipt4] = await pupil.answers(1)
            assert receipt_pages(receipt4) == 4

            # The tutor's review: header, four pages as photos, then one PDF of all pages.
            header, *pages = await tutor.text("/review", 5)
            assert header.text is not None and "Нұрлан Сейітов" in header.text
            assert all(page.message.get("photo") for page in pages)
            [pdf] = await tutor.press(pages[-1], "rv:pdf:", 1)
            assert pdf.media and pdf.media[0].data.startswith(b"%PDF")
            [ask_points] = await tutor.press(pdf, "rv:grade:")
            assert ask_points.text == on_telegram("kk", "review.ask_points", pupil="Нұрлан Сейітов", max=20)
            [ask_comment] = await tutor.text("17")
            assert ask_comment.text == on_telegram("kk", "review.ask_comment", pupil="Нұрлан Сейітов")
            done = await tutor.text("Жақсы! 4-есепті тексер.", 2)
            assert done[-1].text == on_telegram("kk", "review.empty")

            # The pupil gets the feedback; the guardian (in Russian) the grade with percent and mark.
            [feedback] = await pupil.answers(1)
            [grade] = await guardian.answers(1)
        finally:
            await running.stop()

    assert feedback.text is not None and "17/20" in feedback.text and "Жақсы!" in feedback.text
    assert grade.text == on_telegram(
        "ru",
        "review.notify.grade_points",
        pupil="Нұрлан Сейітов",
        subject=on_telegram("ru", "subject.algebra"),
        title=TASK,
        comment="Жақсы! 4-есепті тексер.",
        points="17",
        max=20,
        percent="85",
        mark=5,
    )
    check = make_engine(db_url)
    with Session(check) as session:
        stored = session.exec(select(SubmissionPage)).all()
    check.dispose()
    assert [page.number for page in stored] == [1, 2, 3, 4]
    for page in stored:
        data = Path(page.path).read_bytes()
        assert b"PhoneMaker" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert 0x8825 not in image.getexif()


async def test_a_homework_text_too_long_for_a_caption_follows_its_photo_uncut(tmp_path: Path) -> None:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bots.telegram.sender import TelegramSender
    from outbox.sender import Outcome, Outgoing

    photo = tmp_path / "task.jpg"
    photo.write_bytes(page_image())
    text = "Есеп. " * 400  # 2400 characters: more than a caption holds
    async with TelegramEmulator() as telegram:
        telegram.add_user(900, "Нұрлан")
        assert telegram.base_url is not None
        bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url)))
        try:
            result = await TelegramSender(bot).send(Outgoing("900", text, media_path=str(photo)))
        finally:
            await bot.session.close()
        sent = telegram.sent(900)
    assert result.outcome == Outcome.DELIVERED
    assert [bool(m.message.get("photo")) for m in sent] == [True, False]
    assert sent[0].caption is None and sent[1].text == text


async def test_webhook_mode_handing_in_with_a_question_late_work_and_refusals(
    tmp_path: Path, db_url: str
) -> None:
    import socket
    from datetime import timedelta

    from models.clock import utcnow

    world = homework_world(db_url, tmp_path)
    world.homework(text="Алгебра: 10-бет", due=utcnow() - timedelta(hours=2))
    world.homework(text="Алгебра: 11-бет", due=utcnow() + timedelta(days=3))
    world.engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async with TelegramEmulator() as telegram:
        telegram.add_user(PUPIL, PEOPLE["p1"][0])
        settings = emulator_settings(telegram, tmp_path, db_url).model_copy(
            update={
                "http_port": port,
                "telegram_webhook_url": f"http://127.0.0.1:{port}",
                "telegram_webhook_secret": "s3cret",
                "max_photo_bytes": 200_000,  # the pixel bomb is smaller; the scan is not
            }
        )
        running = await start(settings)
        try:
            pupil = Chatting(telegram, PUPIL)
            assert telegram.webhook is not None
            # Two open homeworks: an album is asked about once, then goes where the pupil says.
            telegram.inject_album(PUPIL, [page_image("white"), page_image("gray")])
            [question] = await pupil.answers(1)
            assert question.text == on_telegram("kk", "homework.ask_which", pages=2)
            [receipt] = await pupil.press(question, "hw:pick:")
            assert receipt.text is not None and "10-бет" in receipt.text
            late_line = on_telegram("kk", "homework.receipt_late", title="", pages=0, time="", hash="")
            assert receipt.text.endswith(late_line.split("\n")[-1])

            # Too big (not even downloaded), broken, and a pixel bomb: each said plainly.
            big = Image.effect_noise((700, 700), 60).convert("RGB")
            out = io.BytesIO()
            big.save(out, "PNG")
            telegram.inject_document(PUPIL, out.getvalue(), "scan.png")
            telegram.inject_document(PUPIL, page_image()[:500], "cut.jpg")
            telegram.inject_document(PUPIL, pixel_bomb(), "bomb.png")
            answers = {m.text for m in await pupil.answers(3)}  # handled side by side: any order
        finally:
            await running.stop()
    assert on_telegram("kk", "homework.photo.too_big", limit=0) in answers  # a limit under 1 MB here
    assert on_telegram("kk", "homework.photo.too_many_pixels") in answers
    broken = {on_telegram("kk", "homework.photo.broken"), on_telegram("kk", "homework.photo.not_image")}
    assert len(answers & broken) == 1
    check = make_engine(db_url)
    with Session(check) as session:
        [submission] = session.exec(select(Submission)).all()
        pages = session.exec(select(SubmissionPage)).all()
    check.dispose()
    assert submission.late and submission.status == "submitted" and len(pages) == 2  # nothing lost


async def test_work_handed_in_twice_replaced_and_returned_for_a_redo_over_http(
    tmp_path: Path, db_url: str
) -> None:
    world = homework_world(db_url, tmp_path)
    world.homework(text=TASK)
    world.engine.dispose()

    async with TelegramEmulator() as telegram:
        for user_id in (PUPIL, TUTOR):
            telegram.add_user(user_id, "")
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            pupil, tutor = Chatting(telegram, PUPIL), Chatting(telegram, TUTOR)

            # Two messages a moment apart make one submission; then the pupil starts again.
            telegram.inject_photo(PUPIL, page_image("white"))
            [first] = await pupil.answers(1)
            telegram.inject_photo(PUPIL, page_image("gray"))
            [second] = await pupil.answers(1)
            [replaced] = await pupil.press(second, "hw:replace:")
            telegram.inject_photo(PUPIL, page_image("black"))
            [fresh] = await pupil.answers(1)

            # The tutor sees the one page left and returns it with a comment.
            _header, page = await tutor.text("/review", 2)
            [ask_comment] = await tutor.press(page, "rv:redo:")
            returned, empty = await tutor.text("3-есептің шешуін көрсет", 2)
            [redo] = await pupil.answers(1)

            # The redo is handed in as new work.
            telegram.inject_photo(PUPIL, page_image("red"))
            [again] = await pupil.answers(1)
        finally:
            await running.stop()

    assert [receipt_pages(m) for m in (first, second, fresh, again)] == [1, 2, 1, 1]
    assert replaced.text == on_telegram("kk", "homework.replaced", title=TASK)
    assert ask_comment.text == on_telegram("kk", "review.ask_redo_comment", pupil="Нұрлан Сейітов")
    assert returned.text == on_telegram(
        "kk", "review.returned_with", pupil="Нұрлан Сейітов", comment="3-есептің шешуін көрсет"
    )
    assert empty.text == on_telegram("kk", "review.empty")
    assert redo.text is not None and "3-есептің шешуін көрсет" in redo.text
    check = make_engine(db_url)
    with Session(check) as session:
        statuses = [s.status for s in session.exec(select(Submission).order_by(col(Submission.id))).all()]
    check.dispose()
    assert statuses[0] == "replaced" and statuses[-1] == "submitted" and len(statuses) == 3
