"""The Twilio emulator's saved conversations: a restarted sandbox shows the same WhatsApp messages,
and a message's quick-reply buttons are still there to tap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sandbox.twilio_emulator import TwilioEmulator
from sandbox.twilio_emulator.records import EmulatedMessage
from sandbox.twilio_emulator.snapshot import load, save

BUTTONS = {
    "type": "quick-reply",
    "button": "",
    "options": [{"id": "lang:kk", "title": "Қазақша"}, {"id": "lang:ru", "title": "Русский"}],
}


def test_a_restart_keeps_a_whatsapp_message_and_its_buttons(tmp_path: Path) -> None:
    before = TwilioEmulator()
    sent = EmulatedMessage(
        sid="SM" + "1" * 32,
        account_sid=before.account_sid,
        channel="whatsapp",
        direction="outbound-api",
        from_="whatsapp:+14155238886",
        to="whatsapp:+77015550101",
        body="",
        date_created=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        status="read",
        content_sid="HX" + "2" * 32,
        rendered_text="Тілді таңдаңыз",
        interactive=BUTTONS,
    )
    before.messages.append(sent)
    save(before, tmp_path)

    after = TwilioEmulator()
    assert not after.messages and load(after, tmp_path)
    [kept] = after.messages
    assert kept.text == "Тілді таңдаңыз" and kept.interactive == BUTTONS
    assert kept.number == "+77015550101" and kept.settled
