"""Where handler turns run: off the event loop, on the store's own threads.

SQLite takes one writer at a time. Turns run on a thread pool would queue on its lock, and its
busy handler sleeps in steps of up to 100 ms, so under load most of a turn's time would be spent
asleep. On SQLite the turns therefore run on one thread, one after another (each is a few
milliseconds); PostgreSQL takes several at once. Photos are worked on before the turn, on threads
of their own.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from handlers import photos
from handlers.context import Config
from handlers.router import process
from handlers.types import Inbound, Reply
from models.store import is_postgres

POSTGRES_TURN_THREADS = 8
# Photos are decoded, re-oriented and re-encoded here, before the turn: Pillow lets go of the GIL
# while it works, so pages use both cores, and the store thread is never held up by a photo.
PHOTO_THREADS = max(2, os.cpu_count() or 2)

Result = TypeVar("Result")

_pools: WeakKeyDictionary[Engine, ThreadPoolExecutor] = WeakKeyDictionary()
_photo_pool = ThreadPoolExecutor(max_workers=PHOTO_THREADS, thread_name_prefix="photos")


def _pool(engine: Engine) -> ThreadPoolExecutor:
    pool = _pools.get(engine)
    if pool is None:
        workers = POSTGRES_TURN_THREADS if is_postgres(engine) else 1
        pool = _pools[engine] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="turns")
    return pool


async def in_store(engine: Engine, work: Any, *args: Any) -> Any:
    """Run store work for an adapter on the turn threads."""
    return await asyncio.get_running_loop().run_in_executor(_pool(engine), partial(work, *args))


async def run_turn(engine: Engine, inbound: Inbound, config: Config) -> list[Reply]:
    if inbound.uploads:
        prepare = partial(
            photos.prepare, inbound, max_bytes=config.max_photo_bytes, max_pixels=config.max_photo_pixels
        )
        inbound = await asyncio.get_running_loop().run_in_executor(_photo_pool, prepare)
    replies: list[Reply] = await in_store(engine, process, engine, inbound, config)
    return replies


def close(engine: Engine) -> None:
    pool = _pools.pop(engine, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
