"""Where handler turns run.

SQLite takes one writer at a time, so its turns run one after another whatever runs them: on a
thread pool they would queue on its lock, whose busy handler sleeps in steps of up to 100 ms. They
run on the event loop itself. A turn is a few statements on a local file, about 1.5 ms of CPU, and
handing each to a thread of its own cost more than the turn: the two threads took turns at the GIL
for every statement, which made a `/start` burst use a third more CPU per update (176–180 against
230–275 updates/s in bench/inbound.py). PostgreSQL takes several turns at once and answers over
the network, so there they run on a pool of threads, each waiting for its answers without the GIL.

Photos are decoded, checked and re-encoded before the turn, on threads of their own: Pillow lets
go of the GIL while it works, so pages use both cores and no turn waits for a photo.
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
PHOTO_THREADS = max(2, os.cpu_count() or 2)

Result = TypeVar("Result")

_pools: WeakKeyDictionary[Engine, ThreadPoolExecutor] = WeakKeyDictionary()
_photo_pool = ThreadPoolExecutor(max_workers=PHOTO_THREADS, thread_name_prefix="photos")


def _pool(engine: Engine) -> ThreadPoolExecutor:
    pool = _pools.get(engine)
    if pool is None:
        pool = _pools[engine] = ThreadPoolExecutor(
            max_workers=POSTGRES_TURN_THREADS, thread_name_prefix="turns"
        )
    return pool


async def in_store(engine: Engine, work: Any, *args: Any) -> Any:
    """Run store work for an adapter where its turns run: on the loop (SQLite), on the pool (PostgreSQL)."""
    if not is_postgres(engine):
        return work(*args)
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
