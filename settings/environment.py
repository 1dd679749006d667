"""Every setting of the system, read from the environment or `.env` (see `.env.example`).

A missing or malformed setting stops start-up with one line naming it: see `load_settings`.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The programme's schools keep Kazakhstan's time: UTC+5 all year since March 2024 (older zone files
# still say UTC+6 for Almaty, hence the `tzdata` dependency).
DEFAULT_TIME_ZONE = "Asia/Almaty"
TELEGRAM_DEFAULT_API = "https://api.telegram.org"
TWILIO_DEFAULT_API = "https://api.twilio.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_url: str = TELEGRAM_DEFAULT_API
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_url: str = TWILIO_DEFAULT_API
    twilio_whatsapp_from: str = ""
    twilio_sms_from: str = ""
    public_base_url: str = ""
    # Approved WhatsApp templates for messages outside the 24-hour window: "<kind>:<language>" → the
    # Content SID (HX…), e.g. {"consent.reminder:kk": "HX…"}; variables are the text's parameters.
    twilio_templates: dict[str, str] = Field(default_factory=dict)
    twilio_sms_max_segments: int = Field(default=3, ge=1, le=10)

    database_url: str = ""
    data_dir: Path = Path("data")
    tz_name: str = DEFAULT_TIME_ZONE

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client the
    # dashboard's sign-in limits count; a request from anywhere else is counted by its own address.
    trusted_proxies: str = "127.0.0.1,::1"

    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)

    # The weekly digest to parents: made or not, the day (Monday is 0, Sunday 6), the local time.
    digest_enabled: bool = True
    digest_weekday: int = Field(default=6, ge=0, le=6)
    digest_time: time = time(19, 0)

    telegram_rate_per_second: float = Field(default=30.0, gt=0)
    telegram_rate_per_chat_per_second: float = Field(default=1.0, gt=0)
    telegram_group_rate_per_minute: float = Field(default=20.0, gt=0)
    twilio_rate_per_second: float = Field(default=80.0, gt=0)

    # Kazpost rounds: a collection every N days from each class's anchor date; the notice and the
    # teacher's collection list go this many days before.
    postal_interval_days: int = Field(default=14, ge=1, le=14)
    postal_notice_days: int = Field(default=2, ge=0, le=13)

    # Several processes (PostgreSQL): a row left "sending" this long by a dead dispatcher goes back
    # to pending; a stopping dispatcher gives its sends under way this long to finish; a standby
    # scheduler checks this often whether the leader is gone, and the leader this often that it
    # still holds its lock. The send rates above are per bot and per sender number, shared by all.
    outbox_lease_seconds: float = Field(default=300.0, gt=0)
    outbox_drain_seconds: float = Field(default=10.0, ge=0)
    scheduler_standby_poll_seconds: float = Field(default=10.0, gt=0)
    scheduler_heartbeat_seconds: float = Field(default=1.0, gt=0)
    # Submissions and their photos older than this are purged (a school year and a margin).
    retention_days: int = Field(default=400, ge=30)

    invite_ttl_days: int = Field(default=30, ge=1)
    max_photo_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_photo_pixels: int = Field(default=40_000_000, ge=10_000)
    default_locale: str = "kk"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, for a log collector

    # Operations (bots/health.py): /metrics beyond this machine needs this bearer token; a process
    # running the dispatcher is not ready while the outbox is this far behind.
    metrics_token: str = ""
    ready_outbox_lag_seconds: float = Field(default=300.0, gt=0)

    @field_validator("tz_name")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("kk", "ru", "en"):
            raise ValueError("must be one of kk, ru, en")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ip_network(part.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"not an address or network: {part.strip()!r}") from exc
        return value

    @property
    def proxies(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.trusted_proxies.split(",") if part.strip())

    @property
    def https(self) -> bool:
        """Whether the public address is https: then the dashboard's cookies are sent over https only."""
        return self.public_base_url.lower().startswith("https://")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @property
    def sandbox(self) -> bool:
        """With no Telegram token and no Twilio account the system runs against its own emulators."""
        return not self.telegram_bot_token and not self.twilio_account_sid

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ustaz.sqlite3').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


class SettingsError(SystemExit):
    """Start-up stops with one line naming the bad setting."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"ustaz: setting {name} is invalid: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
