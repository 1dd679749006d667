"""Twilio webhook: signed WhatsApp messages answered and processed by the bot process.

The bot runs as its own process (`python -m bots`, Twilio only) on a fresh store holding roster
parents known by their WhatsApp numbers; the Twilio emulator runs here, signs every webhook like
Twilio and times the answer. Two runs:

* burst: every parent writes at once (64 requests in flight); requests/s = webhooks answered 200 per
  second, turns/s = replies recorded by the emulator per second (validated, processed, answered over
  the REST API);
* paced: messages well below capacity; p50/p99 from the request to the 200 answer.

Target (issue 4): p99 to the 200 answer < 100 ms, as the work after the answer runs in the background.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import aiohttp
from sqlalchemy import Engine

from bench.common import (
    BotProcess,
    engine_name,
    free_port,
    machine,
    percentile,
    scratch_database,
    temporary_folder,
)
from models.migrate import upgrade
from models.people import ChannelIdentity, Membership, Person
from models.school import School
from models.store import make_engine, session_scope
from sandbox.twilio_emulator import DEFAULT_SMS_NUMBER, DEFAULT_WHATSAPP_NUMBER, TwilioEmulator

IN_FLIGHT = 64
WARM_UP = 50


def number(index: int) -> str:
    return f"+7701{index:07d}"


def seed(engine: Engine, parents: int) -> None:
    with session_scope(engine) as session:
        school = School(code="bench", name="Bench school")
        session.add(school)
        session.flush()
        assert school.id is not None
        for index in range(parents):
            person = Person(
                external_id=f"g{index}", full_name=f"Parent {index}", locale="kk", locale_chosen=True
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            session.add(Membership(person_id=person.id, role="guardian", school_id=school.id))
            session.add(
                ChannelIdentity(person_id=person.id, channel="whatsapp", address=number(index), priority=1)
            )


async def wait_until_listening(url: str, bot: BotProcess) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            failure = bot.failed()
            if failure:
                raise RuntimeError(f"the bot stopped:\n{failure}")
            try:
                async with http.post(url + "/twilio/whatsapp") as response:
                    if response.status == 403:  # up, and refusing an unsigned request
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not start listening")


async def replies_for(twilio: TwilioEmulator, numbers: list[str], each: int, timeout: float) -> None:
    for address in numbers:
        await twilio.wait_for_messages(address, each, timeout=timeout)


async def burst(twilio: TwilioEmulator, numbers: list[str], round_: int) -> tuple[float, float, list[float]]:
    """Every number writes once, at most IN_FLIGHT at a time: (requests/s, turns/s, latencies)."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    latencies: list[float] = []

    async def one(address: str) -> None:
        async with gate:
            result = await twilio.inject_inbound("whatsapp", address, f"Сәлем {round_}")
        if result.http_status != 200:
            raise RuntimeError(f"webhook answered {result.http_status}: {result.error}")
        latencies.append(result.latency or 0.0)

    started = time.perf_counter()
    await asyncio.gather(*(one(address) for address in numbers))
    answered = time.perf_counter() - started
    await replies_for(twilio, numbers, round_, timeout=120)
    processed = time.perf_counter() - started
    return len(numbers) / answered, len(numbers) / processed, latencies


async def paced(twilio: TwilioEmulator, numbers: list[str], rate: float, round_: int) -> list[float]:
    latencies: list[float] = []
    tasks = []

    async def one(address: str) -> None:
        result = await twilio.inject_inbound("whatsapp", address, f"Сәлем {round_}")
        latencies.append(result.latency or 0.0)

    for address in numbers:
        tasks.append(asyncio.create_task(one(address)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
    await replies_for(twilio, numbers, round_, timeout=120)
    return latencies


async def run(quick: bool) -> None:
    parents = 200 if quick else 1000
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        seed(engine, parents + WARM_UP)
        engine.dispose()
        numbers = [number(i) for i in range(parents)]
        warm_up = [number(parents + i) for i in range(WARM_UP)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        async with TwilioEmulator(whatsapp_webhook_url=base + "/twilio/whatsapp") as twilio:
            bot = BotProcess(
                {
                    "TWILIO_ACCOUNT_SID": twilio.account_sid,
                    "TWILIO_AUTH_TOKEN": twilio.auth_token,
                    "TWILIO_API_URL": twilio.base_url,
                    "TWILIO_WHATSAPP_FROM": "whatsapp:" + DEFAULT_WHATSAPP_NUMBER,
                    "TWILIO_SMS_FROM": DEFAULT_SMS_NUMBER,
                    "PUBLIC_BASE_URL": base,
                    "HTTP_PORT": str(port),
                    "DATABASE_URL": db_url,
                },
                Path(folder),
            )
            bot.start()
            try:
                await wait_until_listening(base, bot)
                await burst(twilio, warm_up, 1)
                rate, turns, burst_latencies = await burst(twilio, numbers, 1)
                latencies = await paced(twilio, numbers[: parents // 2], rate=50, round_=2)
            except TimeoutError:
                raise RuntimeError(f"no answer in time; the bot's log ends:\n{bot.log_tail()}") from None
            finally:
                await bot.stop()
    ms = 1000
    print(f"twilio webhook ({engine_name(db_url)}; {machine()})")
    print(f"  burst of {parents}, {IN_FLIGHT} in flight:")
    print(f"    answered:   {rate:8.0f} requests/s")
    print(f"    processed:  {turns:8.0f} turns/s (signature, handlers, reply over the REST API)")
    print(
        f"    to the 200: p50 {percentile(burst_latencies, 0.5) * ms:6.1f} ms"
        f"   p99 {percentile(burst_latencies, 0.99) * ms:6.1f} ms"
    )
    print(f"  paced at 50/s ({len(latencies)} requests):")
    print(
        f"    to the 200: p50 {percentile(latencies, 0.5) * ms:6.1f} ms"
        f"   p99 {percentile(latencies, 0.99) * ms:6.1f} ms   (target p99 < 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages, for a smoke run")
    args = parser.parse_args()
    asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()
