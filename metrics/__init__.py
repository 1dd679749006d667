"""What a process counts for Prometheus, and the one-line hooks the code it counts calls.

Each process keeps its own counts in prometheus-client's default registry and serves them at its
own `/metrics` (`bots.health`); there is no shared state between processes, so a deployment of
several processes is scraped once per process and summed in Prometheus. The store's view of the
outbox (depth by status, lag) is read at scrape time: `metrics.outbox`.

Names and labels (channel: telegram, whatsapp, sms):

* `ustaz_updates_total{channel,outcome}`: inbound messages and button presses whose turn ran
  (outcome "ok") or raised ("error"); `ustaz_turn_seconds{channel}`: how long each took, the photo
  pipeline included.
* `ustaz_outbox_sends_total{channel,outcome}`: every send the dispatcher tried, by what the
  provider answered (delivered, retry, throttled (a 429), blocked, failed).
* `ustaz_retry_after_seconds{channel,path}`: a provider's "429 too many requests" answers (the
  count) and the wait each asked for (the sum), for outbox sends (path "outbox") and for the
  replies of a turn (path "reply").
* `ustaz_scheduler_lag_seconds{job}`: how late each scheduler job started against its planned time.
* `ustaz_photo_pipeline_seconds`: checking and re-encoding the photos of one message in the photo
  workers; `ustaz_photo_worker_crashes_total`: a worker that died on a file.

Nothing here carries a person: labels are channels, outcomes and job names, never ids or numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from apscheduler.events import JobSubmissionEvent
from prometheus_client import Counter, Histogram, disable_created_metrics

# The `_created` series of every counter double what a scrape carries and no alert uses them.
disable_created_metrics()

TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PHOTO_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)
WAIT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0)

UPDATES = Counter(
    "ustaz_updates", "Inbound updates whose turn ran, by channel and outcome", ["channel", "outcome"]
)
TURN_SECONDS = Histogram(
    "ustaz_turn_seconds",
    "Time to handle one inbound update, photos included",
    ["channel"],
    buckets=TURN_BUCKETS,
)
SENDS = Counter(
    "ustaz_outbox_sends", "Outbox sends tried, by channel and the provider's answer", ["channel", "outcome"]
)
RETRY_AFTER = Histogram(
    "ustaz_retry_after_seconds",
    "429 answers from a provider (count) and the wait each asked for (sum)",
    ["channel", "path"],
    buckets=WAIT_BUCKETS,
)
SCHEDULER_LAG = Histogram(
    "ustaz_scheduler_lag_seconds",
    "How late a scheduler job started against its plan",
    ["job"],
    buckets=LAG_BUCKETS,
)
PHOTO_SECONDS = Histogram(
    "ustaz_photo_pipeline_seconds",
    "Checking and re-encoding the photos of one message",
    buckets=PHOTO_BUCKETS,
)
PHOTO_WORKER_CRASHES = Counter("ustaz_photo_worker_crashes", "Photo worker processes that died on a file")


@contextmanager
def turn(channel: str) -> Iterator[None]:
    """Count and time one inbound update's turn; a turn that raises counts as an error."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        UPDATES.labels(channel, outcome).inc()
        TURN_SECONDS.labels(channel).observe(time.perf_counter() - started)


@contextmanager
def photo_pipeline() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        PHOTO_SECONDS.observe(time.perf_counter() - started)


def photo_worker_crashed() -> None:
    PHOTO_WORKER_CRASHES.inc()


@cache
def _sends(channel: str, outcome: str) -> Any:
    """The counter of one channel and outcome, looked up once (the outbox counts every send)."""
    return SENDS.labels(channel, outcome)


def sent(channel: str, outcome: str, retry_after: float) -> None:
    """One outbox send and the provider's answer; a `retry_after` means it said 429."""
    _sends(channel, outcome).inc()
    if retry_after > 0:
        RETRY_AFTER.labels(channel, "outbox").observe(retry_after)


def reply_throttled(channel: str, retry_after: float) -> None:
    """A turn's reply was answered 429 and waits `retry_after` seconds before it goes again."""
    RETRY_AFTER.labels(channel, "reply").observe(retry_after)


def job_started(event: JobSubmissionEvent) -> None:
    """APScheduler's listener for a job handed to its executor: the lag against the earliest run
    it stands for (several missed runs are coalesced into one)."""
    planned: datetime = min(event.scheduled_run_times)
    lag = (datetime.now(planned.tzinfo) - planned).total_seconds()
    SCHEDULER_LAG.labels(event.job_id).observe(max(lag, 0.0))
