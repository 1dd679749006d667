"""What a district's monitoring sees, over HTTP from the running process: `/metrics` moves with a
conversation through the Telegram emulator and a message through the outbox (a 429 on the way),
`/healthz` answers while the process runs, `/readyz` turns 503 when the schema is behind or the
store is gone, and `/metrics` is refused through a proxy unless the token comes with it."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, make_url, text

from bots.app import Running, start
from models import Notification
from models.clock import utcnow
from models.store import session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from settings import SettingsError
from tests.support.chatting import a_pupil_and_a_parent, emulator_settings

pytestmark = pytest.mark.flow

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PARENT, PUPIL = 601, 602
LATE = timedelta(minutes=10)


async def scrape(running: Running, headers: Mapping[str, str] | None = None) -> Samples:
    status, body = await get(running, "/metrics", headers=headers)
    assert status == 200, body
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def get(running: Running, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(running.web_url + path, **kwargs) as got:
        body = await got.json() if got.content_type == "application/json" else await got.text()
        return got.status, body


def photo() -> bytes:
    out = io.BytesIO()
    Image.radial_gradient("L").resize((800, 600)).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


async def stored_outcome(running: Running, before: Samples) -> Samples:
    """The samples once the reminder's delivery is counted: an outcome is counted when the dispatcher
    stores it, with the round's others in one transaction, a moment after the chat has the message."""
    delivered = ("ustaz_outbox_sends_total", frozenset({("channel", "telegram"), ("outcome", "delivered")}))
    for _ in range(100):
        after = await scrape(running)
        if after.get(delivered, 0.0) > before.get(delivered, 0.0):
            return after
        await asyncio.sleep(0.05)
    return after


@pytest.mark.usefixtures("daytime")  # the parent's reminder goes at once, outside quiet hours
async def test_metrics_move_with_a_conversation_and_an_outbox_send(tmp_path: Path, db_url: str) -> None:
    code = a_pupil_and_a_parent(db_url, PARENT)
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            telegram.add_user(PARENT, "Гүлнар")
            telegram.add_user(PUPIL, "Ерлан")
            telegram.limit_chat(PARENT, 2.0, from_next_send=True)  # the reminder's first try meets a 429
            before = await scrape(running)
            telegram.inject_text(PUPIL, f"/start {code}")
            _welcome, question = await telegram.wait_for_messages(PUPIL, 2, timeout=10)
            telegram.press_button(PUPIL, question.message_id, "lang:kk")
            await telegram.wait_for_messages(PUPIL, 3, timeout=10)
            telegram.inject_text(PUPIL, "сәлем")
            await telegram.wait_for_messages(PUPIL, 4, timeout=10)
            telegram.inject_photo(PUPIL, photo())
            await telegram.wait_for_messages(PUPIL, 5, timeout=30)
            [_reminder] = await telegram.wait_for_messages(PARENT, 1, timeout=20)
            after = await stored_outcome(running, before)
        finally:
            await running.stop()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ustaz_updates_total", channel="telegram", outcome="ok") == 4
    assert moved("ustaz_turn_seconds_count", channel="telegram") == 4
    assert moved("ustaz_turn_seconds_sum", channel="telegram") > 0
    assert moved("ustaz_photo_pipeline_seconds_count") == 1
    assert moved("ustaz_outbox_sends_total", channel="telegram", outcome="throttled") == 1
    assert moved("ustaz_outbox_sends_total", channel="telegram", outcome="delivered") == 1
    assert moved("ustaz_retry_after_seconds_count", channel="telegram", path="outbox") == 1
    assert 0 < moved("ustaz_retry_after_seconds_sum", channel="telegram", path="outbox") <= 2
    assert value(after, "ustaz_scheduler_lag_seconds_count", job="derive-outbox") >= 1
    assert value(after, "ustaz_store_up") == 1
    assert value(after, "ustaz_outbox_depth", status="pending") == 0
    assert ("ustaz_outbox_lag_seconds", frozenset()) in after
    assert value(after, "process_resident_memory_bytes") > 0


async def test_ready_until_the_schema_is_behind_or_the_store_is_gone(tmp_path: Path, db_url: str) -> None:
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            assert await get(running, "/healthz") == (200, {"alive": True})
            status, ready = await get(running, "/readyz")
            assert status == 200 and ready["ready"] is True
            assert ready["roles"] == {"bot": True, "dispatcher": True, "scheduler": True}
            assert ready["store"] == "ok" and ready["schema"] == "current"
            assert ready["outbox_lag_seconds"] == 0

            with running.engine.begin() as connection:
                newest = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
                connection.execute(text("UPDATE alembic_version SET version_num = '0003_dashboard_sign_in'"))
            await asyncio.sleep(1.1)  # a readiness answer serves for a second
            status, behind = await get(running, "/readyz")
            assert (status, behind["ready"], behind["schema"]) == (503, False, "behind")
            with running.engine.begin() as connection:
                connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})

            take_the_store_away(running, db_url)
            await asyncio.sleep(1.1)
            status, gone = await get(running, "/readyz")
            assert (status, gone["ready"], gone["store"]) == (503, False, "unreachable")
            assert await get(running, "/healthz") == (200, {"alive": True})
            assert value(await scrape(running), "ustaz_store_up") == 0
        finally:
            await running.stop()


def take_the_store_away(running: Running, db_url: str) -> None:
    """SQLite: a directory where the database file was; PostgreSQL: the database dropped."""
    url = make_url(db_url)
    running.engine.dispose()
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        path.rename(path.with_name("moved.sqlite3"))
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.mkdir()
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
    admin.dispose()


async def test_metrics_through_a_proxy_need_the_token(tmp_path: Path, db_url: str) -> None:
    async with TelegramEmulator() as telegram:
        settings = emulator_settings(telegram, tmp_path, db_url).model_copy(
            update={"metrics_token": "a-long-random-token"}
        )
        running = await start(settings)
        try:
            proxied = {"X-Forwarded-For": "203.0.113.7"}
            assert (await get(running, "/metrics", headers=proxied))[0] == 403
            wrong = {**proxied, "Authorization": "Bearer not-the-token"}
            assert (await get(running, "/metrics", headers=wrong))[0] == 403
            right = {**proxied, "Authorization": "Bearer a-long-random-token"}
            assert value(await scrape(running, right), "ustaz_store_up") == 1
            assert value(await scrape(running), "ustaz_store_up") == 1  # from this machine, directly
        finally:
            await running.stop()


async def test_a_dispatcher_alone_serves_health_and_is_not_ready_once_it_stops(
    tmp_path: Path, db_url: str
) -> None:
    """A process started with only the dispatcher role takes no updates and serves no pages, but
    answers its health and metrics; the outbox falling behind while its dispatcher is gone shows."""
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url), roles=("dispatcher",))
        try:
            status, ready = await get(running, "/readyz")
            assert (status, ready["roles"]) == (200, {"dispatcher": True})
            assert (await get(running, "/dashboard"))[0] == 404
            assert value(await scrape(running), "ustaz_store_up") == 1

            [outbox] = [task for task in running.tasks if task.get_name() == "outbox"]
            outbox.cancel()
            await asyncio.gather(outbox, return_exceptions=True)
            # A claim the task was awaiting goes on in the dispatcher's store thread; were it still
            # under way, it could take the late row written next. Wait for the store work to end.
            assert running.outbox is not None
            await asyncio.to_thread(running.outbox._store.shutdown, wait=True)
            with session_scope(running.engine) as session:
                session.add(Notification(idempotency_key="late", kind="k", key="k", due_at=utcnow() - LATE))
            await asyncio.sleep(1.1)
            status, stopped = await get(running, "/readyz")
            assert (status, stopped["roles"]) == (503, {"dispatcher": False})
            assert stopped["outbox_lag_seconds"] >= LATE.total_seconds()
            assert stopped["outbox_lag_limit_seconds"] == 300
            samples = await scrape(running)
            assert value(samples, "ustaz_outbox_depth", status="pending") == 1
            assert value(samples, "ustaz_outbox_lag_seconds") >= LATE.total_seconds()
        finally:
            await running.stop()


async def test_a_port_another_process_holds_stops_start_up_with_one_line(tmp_path: Path, db_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with TelegramEmulator() as telegram:
            settings = emulator_settings(telegram, tmp_path, db_url).model_copy(update={"http_port": port})
            with pytest.raises(SettingsError) as refused:
                await start(settings, roles=("dispatcher",))
    assert f"127.0.0.1:{port}" in str(refused.value.code) and "HTTP_PORT" in str(refused.value.code)
