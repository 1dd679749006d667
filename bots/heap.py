"""How the process keeps its heap: glibc's malloc settings and Python's garbage collector.

Both are set for the `ustaz` process only (not for tests or tools that import the code), by the CLI.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

M_ARENA_MAX = -8  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024
# Container objects allocated (net of those freed) before a young collection; Python's default is
# 700. An update allocates a few hundred that reference counting frees again, so at 700 the
# collector ran every few updates, and its older generations every few hundred, for nothing.
YOUNG_COLLECTION_THRESHOLD = 10_000


def tune_malloc(arenas: int = 2) -> None:
    """Keep freed memory from staying resident (glibc on Linux; elsewhere nothing happens).

    glibc gives each thread that allocates its own arena, and the turns and photos run on thread
    pools: without a cap the resident size grows by tens of MB of fragmented arenas. And glibc
    raises its mmap threshold after the first large free, so a photo's decoded pixels (megabytes)
    then come from the heap and stay resident after the photo is done; a fixed threshold keeps
    them in their own mappings, returned when freed. The photo worker processes, where the pixels
    now are, get the same settings through glibc's environment variables (read when a process
    starts).
    """
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD_BYTES))
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def tune_collector() -> None:
    """Collect cycles less often: see YOUNG_COLLECTION_THRESHOLD."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def settle() -> None:
    """Once the process has started: keep what it has loaded (modules, the ORM's and aiogram's
    models, compiled statements: about 200,000 objects) out of every later collection.

    Without this each full collection walked all of them, about 0.2 s with the event loop
    stopped, a few times in every thousand updates; those pauses were a tenth of the bot's CPU in
    a burst and its slowest answers. Objects frozen here are never collected, which is right for
    what lives as long as the process.
    """
    gc.collect()
    gc.freeze()
