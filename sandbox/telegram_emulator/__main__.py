"""Run the emulator on its own: ``uv run python -m sandbox.telegram_emulator --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from .emulator import DEFAULT_TOKEN, TelegramEmulator
from .limits import RateLimits


async def _serve(host: str, port: int, token: str, unlimited: bool) -> None:
    emu = TelegramEmulator(token, rate_limits=RateLimits.unlimited() if unlimited else None)
    url = await emu.start(host=host, port=port)
    print(f"Telegram emulator at {url} (bot id {emu.bot.id}); control API at {url}/_emulator/state")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--no-limits", action="store_true", help="lift the flood limits")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.token, args.no_limits))


if __name__ == "__main__":
    main()
