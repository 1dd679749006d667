"""How a text names a command to its reader: `/consent` on Telegram, the plain word КЕЛІСІМ on
WhatsApp and SMS.

A catalogue string never writes a slash command where a family may read it: it writes the
placeholder `{cmd_consent}`, and the text is rendered for one channel at the moment it is sent
(`Text.render(locale, channel)`). On Telegram the placeholder becomes the slash command (it is a
button in the command menu there); anywhere else, and when the channel is not known, it becomes the
catalogue's word for it (`command.consent`: КЕЛІСІМ / СОГЛАСИЕ / CONSENT), which the router
understands on every channel, in every language (`handlers.words`).
"""

from __future__ import annotations

# The commands a family may be told to send; `{cmd_<name>}` names one in a catalogue string.
COMMANDS = (
    "consent",
    "language",
    "help",
    "replace",
    "mydata",
    "forget",
    "channels",
    "problem",
    # a pupil's or a parent's own record (`handlers.own_record`)
    "homework",
    "timetable",
    "grades",
    "attendance",
    "digest",
)
PLACEHOLDER_PREFIX = "cmd_"
# Channels whose clients show and send slash commands.
SLASH_CHANNELS = frozenset({"telegram"})


def word_key(command: str) -> str:
    """The catalogue key of the command's plain word."""
    return f"command.{command}"


def command_of_placeholder(name: str) -> str | None:
    """`cmd_consent` → `consent`; None for any other placeholder."""
    command = name.removeprefix(PLACEHOLDER_PREFIX)
    return command if name.startswith(PLACEHOLDER_PREFIX) and command in COMMANDS else None
