"""The handlers' single entry point: one inbound turn in, replies and store writes out.

`process` runs one turn in one transaction: it records the inbound (a retried delivery is ignored),
finds or creates the chat identity, and routes to the conversation that owns the turn.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from handlers import (
    attendance,
    broadcast,
    channels,
    choices,
    consent,
    conversation,
    homework,
    joining,
    language,
    menu,
    optout,
    photos,
    postal,
    privacy,
    review,
    status,
    throttle,
    words,
)
from handlers.context import Config, Turn, roles_of
from handlers.types import Inbound, Reply
from locales import T
from models.consent_rules import has_consent
from models.enums import Role
from models.journal import InboundReceipt, record_receipt
from models.notify import wrote_outbox
from models.people import ChannelIdentity, Person
from models.store import session_scope


def process(engine: Engine, inbound: Inbound, config: Config) -> list[Reply]:
    flooding = throttle.flooded(engine, inbound.identity, config.default_locale)
    if flooding is not None:
        return flooding  # before the store: a flood costs the others nothing
    # Photos are checked and re-encoded before the transaction: no write lock held while decoding.
    inbound = photos.prepare(inbound, max_bytes=config.max_photo_bytes, max_pixels=config.max_photo_pixels)
    try:
        return _process(engine, inbound, config)
    except IntegrityError:
        if inbound.external_id and _seen_before(engine, inbound):
            return []  # a retried delivery that a concurrent turn is handling or has handled
        # A stranger's first messages arriving together race to create their chat identity: the
        # loser's turn rolled back whole, and runs once more with the identity now there.
        return _process(engine, inbound, config)


def _process(engine: Engine, inbound: Inbound, config: Config) -> list[Reply]:
    with session_scope(engine) as session:
        now = config.clock()
        # The receipt commits with the turn: a delivery is handled once, and a turn that fails
        # leaves no receipt, so the messenger's retry is handled again.
        if inbound.external_id and not record_receipt(
            session, inbound.identity.channel, inbound.external_id, now
        ):
            return []
        turn = _turn(session, inbound, config, now)
        state = conversation.load(turn)
        known_as = turn.person
        if inbound.text and not inbound.choice and not inbound.uploads:
            typed = choices.match(inbound.text, choices.recall(state.data.get("offered")))
            if typed:
                turn.inbound = replace(inbound, choice=typed, text="")
        replies = _numbered(route(turn))
        offered = [choice for reply in replies for choice in reply.choices]
        if turn.person is not known_as:  # joined during this turn: the state is now the person's
            state = conversation.load(turn)
        if replies or "offered" not in state.data:  # a silent turn keeps the question asked before
            state.data = {**state.data, "offered": choices.remember(offered)}
        conversation.keep(turn, state)
        locale = turn.locale
    if wrote_outbox(session):
        config.on_enqueued()
    return [reply if reply.locale else replace(reply, locale=locale) for reply in replies]


def _numbered(replies: list[Reply]) -> list[Reply]:
    """Number choices across all replies of the turn, so "3" means one thing."""
    numbered, next_number = [], 1
    for reply in replies:
        numbered.append(replace(reply, first_number=next_number) if reply.choices else reply)
        next_number += len(reply.choices)
    return numbered


def _seen_before(engine: Engine, inbound: Inbound) -> bool:
    with session_scope(engine) as session:
        return (
            session.exec(
                select(InboundReceipt.id).where(
                    InboundReceipt.channel == inbound.identity.channel,
                    InboundReceipt.external_id == inbound.external_id,
                )
            ).first()
            is not None
        )


# Built once: the statements and their cache keys are reused by every turn.
_IDENTITY_BY_ADDRESS = select(ChannelIdentity).where(
    ChannelIdentity.channel == bindparam("channel"), ChannelIdentity.address == bindparam("address")
)
_PERSON = select(Person).where(Person.id == bindparam("id"))


def _turn(session: Session, inbound: Inbound, config: Config, now: datetime) -> Turn:
    address = {"channel": inbound.identity.channel, "address": inbound.identity.address}
    identity = session.exec(_IDENTITY_BY_ADDRESS, params=address).first()
    private_chat = (
        int(inbound.chat.id) if inbound.chat.id.lstrip("-").isdigit() and not inbound.chat.is_group else None
    )
    created = identity is None
    if identity is None:
        identity = ChannelIdentity(
            channel=inbound.identity.channel,
            address=inbound.identity.address,
            chat_id=private_chat,
            last_inbound_at=now,
            created_at=now,
        )  # stored only if the turn needs it kept (Turn.identity_id)
    else:
        identity.last_inbound_at = now
        if private_chat is not None:
            identity.chat_id = private_chat
    turn = Turn(
        session=session, inbound=inbound, identity=identity, config=config, now=now, identity_is_new=created
    )
    if identity.person_id is not None:
        turn.person = session.exec(_PERSON, params={"id": identity.person_id}).first()
        turn.roles = roles_of(session, identity.person_id)
    return turn


def route(turn: Turn) -> list[Reply]:
    inbound = turn.inbound
    if inbound.chat.is_group:
        return broadcast.route_group(turn, _command(inbound.text))  # only /link <code> there
    opted = optout.route(turn)  # STOP / START, from anyone, before any other conversation
    if opted is not None:
        return opted
    if turn.person is None:
        return _route_stranger(turn)
    if inbound.choice and inbound.choice.startswith(language.CHOICE_PREFIX):
        return language.choose(turn, inbound.choice) + consent.pending(turn)
    if inbound.choice and inbound.choice.startswith(consent.PREFIX) and turn.has_role(Role.GUARDIAN):
        return consent.answer(turn, inbound.choice)
    command = _command(inbound.text)
    if command == "/start":
        argument = joining.start_argument(inbound.text)
        if argument:
            return [Reply(T("join.already_joined"))]
        return [Reply(T("start.greeting", name=turn.person.full_name))]
    if command == "/language":
        return [language.ask(turn)]
    if not turn.person.locale_chosen:
        return [language.ask(turn)]
    if command == "/consent" and turn.has_role(Role.GUARDIAN):
        return consent.status(turn)
    ordered = channels.route(turn, command)  # /channels: which messenger comes first
    if ordered is not None:
        return ordered
    # /attendance, /status, /link, /broadcast, /report (photos only inside an announcement being
    # written); /post, post: and scans (a teacher's photos there are a family's paper work), then
    # /homework, /review, /replace, hw:, rv:, photos
    staff = (attendance.route, status.route, broadcast.route)
    for owner in (*staff, postal.route, homework.route, review.route, privacy.route):
        handled = owner(turn, command)
        if handled is not None:
            return handled
    if (
        turn.has_role(Role.PUPIL)
        and turn.person.id is not None
        and not has_consent(turn.session, turn.person.id)
    ):
        return consent.pupil_waits_for_parent(turn)
    return [menu.menu(turn)]


def _route_stranger(turn: Turn) -> list[Reply]:
    inbound = turn.inbound
    if inbound.contact_phone:
        return joining.by_phone(turn, inbound.contact_phone) or [Reply(T("join.phone_unknown"))]
    if inbound.identity.channel in ("whatsapp", "sms"):
        known = joining.by_phone(turn, inbound.identity.address)
        if known:
            return known
    code = joining.start_argument(inbound.text)
    if code:
        return throttle.too_many_wrong_codes(turn) or _join_by_code(turn, code)
    if _command(inbound.text) == "/start":
        telegram = inbound.identity.channel == "telegram"
        return joining.first_contact(turn, T("start.stranger"), request_contact=telegram)
    return joining.stranger(turn)


def _join_by_code(turn: Turn, code: str) -> list[Reply]:
    replies = joining.by_code(turn, code)
    if turn.person is None:
        throttle.count_wrong_code(turn)
    return replies


def _command(text: str) -> str:
    """The slash command of a message ("/consent@UstazBot x" → "/consent"), or the one its plain
    word names (КЕЛІСІМ, СОГЛАСИЕ, CONSENT → "/consent": the way to ask by SMS)."""
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return head.split("@")[0].lower() if head.startswith("/") else words.command_of(text)
