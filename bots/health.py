"""`/healthz`, `/readyz` and `/metrics`: what a district's monitoring asks of every process.

Every process serves them on its own `HTTP_HOST:HTTP_PORT`: a bot beside its webhooks and pages, a
process started with only `--role dispatcher` or `--role scheduler` on a small server of its own
(`bots.app`), so each process is checked and scraped by itself.

* `/healthz`: the process answers (liveness). Nothing else is checked: restarting a process because
  the store is down would not bring the store back.
* `/readyz`: the store answers, its schema is the newest this code knows, every role this process
  was started with is still running, and, in a process that runs the dispatcher, the outbox is
  less than `READY_OUTBOX_LAG_SECONDS` behind. 200 when all hold, 503 otherwise; the body says
  which failed. A bot alone leaves the outbox's lag out: taking webhooks out of rotation would
  not send one message sooner. One check runs at a time and its answer serves for a second, so
  asking often costs the store nothing more.
* `/metrics`: Prometheus' text format (`metrics`), for a direct request from this machine
  (loopback, not through a proxy) or with `Authorization: Bearer <METRICS_TOKEN>`; anything
  else is refused. The figures name no one, but they show how many families use the system and
  each scrape reads the store, so they are not for the open internet.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from metrics.outbox import OutboxCollector, lag_seconds
from models.migrate import is_current

if TYPE_CHECKING:
    from bots.app import Running

READY_FOR_SECONDS = 1.0  # one check's answer serves the requests of the next second
STORE_TIMEOUT_SECONDS = 5.0
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
# The task each role runs as, and whether the role may run without one: a bot on webhooks has
# none (the web server answering this request is the bot); a bot on long polling has its poller.
ROLE_TASKS = {
    "bot": ("telegram-polling", True),
    "dispatcher": ("outbox", False),
    "scheduler": ("scheduler", False),
}


@dataclass(frozen=True)
class Readiness:
    store: str  # "ok", "unreachable"
    schema: str  # "current", "behind" (or ahead: another version's), "unknown"
    roles: dict[str, bool]
    outbox_lag_seconds: float | None  # only where this process runs the dispatcher
    outbox_lag_limit_seconds: float | None

    @property
    def ready(self) -> bool:
        lag, limit = self.outbox_lag_seconds, self.outbox_lag_limit_seconds
        lag_ok = lag is None or limit is None or lag <= limit
        return self.store == "ok" and self.schema == "current" and all(self.roles.values()) and lag_ok


@dataclass(frozen=True)
class StoreState:
    reachable: bool
    current: bool = False
    lag: float | None = None


def store_state(running: Running, now: datetime) -> StoreState:
    """One connection: is the store there, is its schema current, and (for a dispatcher) the lag."""
    try:
        with running.engine.connect() as connection:
            current = is_current(connection)
            lag = lag_seconds(connection, now) if "dispatcher" in running.roles else None
    except SQLAlchemyError:
        return StoreState(reachable=False)
    return StoreState(reachable=True, current=current, lag=lag)


def roles_running(running: Running) -> dict[str, bool]:
    alive = {task.get_name(): not task.done() for task in running.tasks}
    return {role: alive.get(ROLE_TASKS[role][0], ROLE_TASKS[role][1]) for role in running.roles}


class ReadinessCheck:
    """The checks behind `/readyz`, one at a time, each answer kept for `READY_FOR_SECONDS`."""

    def __init__(self, running: Running, clock: Callable[[], datetime]) -> None:
        self.running, self.clock = running, clock
        self._turn = asyncio.Lock()
        self._last: tuple[float, Readiness] | None = None

    async def __call__(self) -> Readiness:
        async with self._turn:
            loop = asyncio.get_running_loop()
            if self._last is not None and loop.time() - self._last[0] < READY_FOR_SECONDS:
                return self._last[1]
            answer = await self._check()
            self._last = (loop.time(), answer)
            return answer

    async def _check(self) -> Readiness:
        running = self.running
        try:
            state = await asyncio.wait_for(
                asyncio.to_thread(store_state, running, self.clock()), STORE_TIMEOUT_SECONDS
            )
        except TimeoutError:
            state = StoreState(reachable=False)
        schema = ("current" if state.current else "behind") if state.reachable else "unknown"
        limit = running.settings.ready_outbox_lag_seconds if "dispatcher" in running.roles else None
        return Readiness(
            store="ok" if state.reachable else "unreachable",
            schema=schema,
            roles=roles_running(running),
            outbox_lag_seconds=None if state.lag is None else round(state.lag, 3),
            outbox_lag_limit_seconds=limit,
        )


@dataclass(frozen=True)
class Health:
    readiness: ReadinessCheck
    store_metrics: CollectorRegistry
    metrics_token: str


HEALTH = web.AppKey("health", Health)


def mount_health(app: web.Application, running: Running, clock: Callable[[], datetime]) -> None:
    store_metrics = CollectorRegistry()
    store_metrics.register(OutboxCollector(running.engine, clock))
    app[HEALTH] = Health(ReadinessCheck(running, clock), store_metrics, running.settings.metrics_token)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


def health_app(running: Running, clock: Callable[[], datetime]) -> web.Application:
    """The web server of a process that takes no updates: these three pages only."""
    app = web.Application()
    mount_health(app, running, clock)
    return app


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"alive": True})


async def readyz(request: web.Request) -> web.Response:
    answer = await request.app[HEALTH].readiness()
    return web.json_response({"ready": answer.ready, **asdict(answer)}, status=200 if answer.ready else 503)


def may_scrape(request: web.Request, token: str) -> bool:
    """A direct request from this machine, or one carrying the token."""
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if offered and secrets.compare_digest(offered.encode(), token.encode()):
            return True
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False  # through a proxy on this machine: the caller is elsewhere
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


async def metrics_page(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    if not may_scrape(request, health.metrics_token):
        return web.Response(status=403, text="metrics are served to this machine or with METRICS_TOKEN")
    own = generate_latest(REGISTRY)
    store = await asyncio.to_thread(generate_latest, health.store_metrics)
    return web.Response(body=own + store, headers={"Content-Type": CONTENT_TYPE_LATEST})
