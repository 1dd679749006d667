"""A family's data export is sent once and kept nowhere: over Telegram the file is gone as soon as it
is uploaded; over WhatsApp, Twilio's one fetch of the signed link takes it, and a second finds
nothing. Other files (homework pages) are served as often as asked."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bots.telegram.render import send_reply
from bots.whatsapp.media import PublicFiles
from handlers.types import Reply
from locales import T
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from tests.sandbox.test_telegram_emulator import PARENT, make_bot, populate


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "media" / "exports" / "ustaz-data-1.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"pupils": [{"full_name": "Нұрлан Сейітов"}]}', encoding="utf-8")
    return path


async def test_over_telegram_the_export_is_deleted_once_uploaded(tmp_path: Path) -> None:
    path = _export(tmp_path)
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
        populate(emulator)
        bot = make_bot(emulator)
        try:
            reply = Reply(T("privacy.export_ready", count=1), media_path=str(path), media_once=True)
            await send_reply(bot, PARENT, reply, "kk")
        finally:
            await bot.session.close()
        [sent] = emulator.sent(PARENT)
    [document] = sent.media
    assert "Нұрлан" in document.data.decode("utf-8")  # the parent got it whole
    assert not path.exists()


async def test_over_whatsapp_the_signed_link_serves_the_export_once(tmp_path: Path) -> None:
    path = _export(tmp_path)
    page = tmp_path / "media" / "homework" / "ab" / "page.jpg"
    page.parent.mkdir(parents=True)
    page.write_bytes(b"\xff\xd8page\xff\xd9")
    files = PublicFiles(tmp_path / "media", "auth-token")
    app = web.Application()
    files.add_route(app)
    async with TestClient(TestServer(app)) as client:
        files.base_url = str(client.make_url("")).rstrip("/")
        once, lasting = files.url(str(path), once=True), files.url(str(page))
        assert once and lasting and once.endswith("?once=1")
        first = await client.get(once.removeprefix(files.base_url))
        assert first.status == 200 and "Нұрлан" in await first.text()
        assert not path.exists()
        assert (await client.get(once.removeprefix(files.base_url))).status == 404
        # The once-link's signature is not a lasting link's: dropping "?once=1" is refused.
        assert (await client.get(once.removeprefix(files.base_url).removesuffix("?once=1"))).status == 403
        for _ in range(2):
            assert (await client.get(lasting.removeprefix(files.base_url))).status == 200
    assert page.exists()
