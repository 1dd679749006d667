"""Wiring the Twilio adapter into the process: the webhook routes on the web app, one sender per
configured channel (WhatsApp, SMS) for the outbox, and what to close at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine
from twilio.rest import Client

from bots.twilio_http import make_twilio_client
from bots.whatsapp.content import ContentTemplates
from bots.whatsapp.media import MediaFetcher, PublicFiles
from bots.whatsapp.sender import TwilioSender
from bots.whatsapp.webhook import TwilioWebhooks
from handlers.context import Config
from models.enums import Channel
from settings import Settings


@dataclass
class TwilioAdapter:
    senders: dict[str, TwilioSender]
    webhooks: TwilioWebhooks
    files: PublicFiles
    fetcher: MediaFetcher
    client: Client

    def set_public_url(self, base_url: str) -> None:
        """Where Twilio reaches us (status callbacks, media we send); known once the server listens."""
        self.files.base_url = base_url.rstrip("/")

    async def close(self) -> None:
        await self.webhooks.drain()
        await self.fetcher.close()
        await self.client.http_client.close()  # type: ignore[attr-defined]


def register(
    app: web.Application,
    engine: Engine,
    config: Config,
    settings: Settings,
    wake_outbox: Callable[[], None] = lambda: None,
) -> TwilioAdapter:
    """Add the Twilio routes to `app` and build the senders. Call inside the running loop."""
    # The client logs every request and response at INFO (a media list's query names numbers).
    logging.getLogger("twilio").setLevel(max(logging.WARNING, logging.getLogger().level))
    client = make_twilio_client(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url, asynchronous=True
    )
    files = PublicFiles(settings.data_dir, settings.twilio_auth_token)
    contents = ContentTemplates(client)
    senders: dict[str, TwilioSender] = {}
    for channel, from_address in (
        (Channel.WHATSAPP, settings.twilio_whatsapp_from),
        (Channel.SMS, settings.twilio_sms_from),
    ):
        if from_address:
            senders[channel.value] = TwilioSender(
                channel,
                client,
                from_address,
                files,
                settings.twilio_templates,
                settings.twilio_sms_max_segments,
                contents if channel == Channel.WHATSAPP else None,
            )
    fetcher = MediaFetcher(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
    webhooks = TwilioWebhooks(
        engine, config, settings.twilio_auth_token, settings.public_base_url, senders, fetcher, wake_outbox
    )
    webhooks.add_routes(app)
    files.add_route(app)
    adapter = TwilioAdapter(senders, webhooks, files, fetcher, client)
    adapter.set_public_url(settings.public_base_url)
    return adapter
