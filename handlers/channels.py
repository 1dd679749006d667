"""/channels: the person chooses which of their messengers comes first.

The outbox tries a person's channels in `ChannelIdentity.priority` order and falls back along it
(`outbox.route`). A parent with Telegram and WhatsApp decides where messages go first; the
others keep their order behind it, and post stays last.
"""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T
from models.enums import Channel
from models.people import ChannelIdentity

PREFIX = "ch:"
MESSENGERS = (Channel.TELEGRAM.value, Channel.WHATSAPP.value, Channel.SMS.value)


def start(turn: Turn) -> list[Reply]:
    """/channels: the person's messengers to choose the first from."""
    return [ask(turn)]


def _own(turn: Turn) -> list[ChannelIdentity]:
    return list(
        turn.session.exec(
            select(ChannelIdentity)
            .where(ChannelIdentity.person_id == turn.person_id())
            .order_by(col(ChannelIdentity.priority), col(ChannelIdentity.id))
        ).all()
    )


def _usable(identity: ChannelIdentity) -> bool:
    return identity.channel in MESSENGERS and identity.blocked_at is None and identity.opted_out_at is None


def ask(turn: Turn) -> Reply:
    usable = [identity for identity in _own(turn) if _usable(identity)]
    return Reply(
        T("channels.ask", first=T(f"channels.name.{usable[0].channel}") if usable else "-"),
        choices=tuple(
            Choice(f"{PREFIX}{identity.id}", T(f"channels.name.{identity.channel}")) for identity in usable
        ),
    )


def on_choice(turn: Turn) -> list[Reply]:
    """The messenger chosen goes first; the others keep their order behind it, post last."""
    raw_id = (turn.inbound.choice or "").removeprefix(PREFIX)
    own = _own(turn)
    chosen = next((i for i in own if str(i.id) == raw_id and _usable(i)), None)
    if chosen is None:
        return not_allowed()
    rest = [i for i in own if i is not chosen]
    post = [i for i in rest if i.channel == Channel.POST]
    ordered = [chosen, *(i for i in rest if i not in post), *post]
    for priority, identity in enumerate(ordered):
        identity.priority = priority
        turn.session.add(identity)
    return [Reply(T("channels.set", first=T(f"channels.name.{chosen.channel}")))]
