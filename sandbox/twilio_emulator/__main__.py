"""Run the Twilio emulator on its own: `python -m sandbox.twilio_emulator --port 8701`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from sandbox.twilio_emulator.emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioEmulator


async def _serve(args: argparse.Namespace) -> None:
    emu = TwilioEmulator(
        args.account_sid,
        args.auth_token,
        whatsapp_webhook_url=args.whatsapp_webhook,
        sms_webhook_url=args.sms_webhook,
        step_delay=args.step_delay,
        public_url=args.public_url,
    )
    url = await emu.start(args.host, args.port)
    print(f"Twilio emulator on {url} (account {emu.account_sid}); control API at {url}/_emulator/state")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.twilio_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--whatsapp-webhook", default=None)
    parser.add_argument("--sms-webhook", default=None)
    parser.add_argument("--step-delay", type=float, default=0.5)
    parser.add_argument("--public-url", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
