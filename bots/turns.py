"""Where handler turns run.

SQLite takes one writer at a time, so its turns run one after another whatever runs them: on a
thread pool they would queue on its lock, whose busy handler sleeps in steps of up to 100 ms. They
run on the event loop itself. A turn is a few statements on a local file, 0.2–0.3 ms of CPU, and
handing each to a thread of its own cost more than the turn: the two threads took turns at the GIL
for every statement, which made a `/start` burst use a third more CPU per update (176–180 against
230–275 updates/s in bench/inbound.py). PostgreSQL takes several turns at once and answers over
the network, so there they run on a pool of threads, each waiting for its answers without the GIL.

Photos are decoded, checked and re-encoded before the turn, in worker processes of their own. On
threads, Pillow let go of the GIL only between blocks of a page, and each page then waited for the
turns to hand it back: nine pupils sending at once got 32–34 pages/s through, against 39–47 in
worker processes. A decoder that crashes on a crafted file takes down a worker, not the bot: the
page is answered as broken and the workers are started again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

import metrics
from handlers import uploads
from handlers.context import Config
from handlers.router import process
from handlers.types import Inbound, Reply
from models.store import is_postgres

POSTGRES_TURN_THREADS = 8
PHOTO_WORKERS = max(2, os.cpu_count() or 2)

log = logging.getLogger(__name__)

Result = TypeVar("Result")

_pools: WeakKeyDictionary[Engine, ThreadPoolExecutor] = WeakKeyDictionary()
_photo_workers: ProcessPoolExecutor | None = None


def photo_workers() -> ProcessPoolExecutor:
    """The worker processes, started with the first photo. They come from a fresh interpreter (the
    fork server), so they hold Pillow and the photo code, not a copy of the bot."""
    global _photo_workers
    if _photo_workers is None:
        context = multiprocessing.get_context("forkserver")
        # The fork server loads the photo code once (and not the program's main module); each
        # worker forked from it starts ready.
        context.set_forkserver_preload(["handlers.uploads"])
        _photo_workers = ProcessPoolExecutor(max_workers=PHOTO_WORKERS, mp_context=context)
    return _photo_workers


async def prepare_photos(inbound: Inbound, config: Config) -> Inbound:
    """Run the photo pipeline on the uploads in a worker process; a worker that died makes them
    broken pages (the person is told) and the workers start again for the next photo."""
    global _photo_workers
    work = partial(
        uploads.prepare, inbound, max_bytes=config.max_photo_bytes, max_pixels=config.max_photo_pixels
    )
    try:
        with metrics.photo_pipeline():
            prepared: Inbound = await asyncio.get_running_loop().run_in_executor(photo_workers(), work)
        return prepared
    except BrokenProcessPool:
        metrics.photo_worker_crashed()
        log.warning("a photo worker died; %d upload(s) answered as broken", len(inbound.uploads))
        broken, _photo_workers = _photo_workers, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
        return uploads.refuse_all(inbound, "broken")


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
    with metrics.turn(inbound.identity.channel):
        if inbound.uploads:
            inbound = await prepare_photos(inbound, config)
        replies: list[Reply] = await in_store(engine, process, engine, inbound, config)
    return replies


def close(engine: Engine) -> None:
    pool = _pools.pop(engine, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
