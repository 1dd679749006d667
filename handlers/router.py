"""The handlers' single entry point: one inbound turn in, replies and store writes out.

`process` runs one turn in one transaction: it records the inbound (a retried delivery is ignored),
finds or creates the chat identity, and routes the turn. `route` answers group chats, STOP/START
(from anyone, first) and people not yet joined itself; everyone else walks two tables of entry
points — `BEFORE_LANGUAGE`, then, once the person has chosen a language, `ROUTES` — where each
command, button and open conversation names the module function that answers it and the roles that
may use it (`handlers.routes` says how a turn walks them). Who may do what reads here, in one place;
the handlers still check what is whose (a tutor's own groups, a parent's own children).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from handlers import (
    attendance,
    broadcast,
    broadcast_report,
    broadcast_schedule,
    broadcast_templates,
    catch_up,
    channels,
    choices,
    consent,
    consent_by_word,
    conversation,
    corrections,
    day_lessons,
    family_news,
    group_post,
    hand_in,
    homework,
    invites,
    joining,
    language,
    leaving,
    menu,
    optout,
    own_record,
    paper,
    photo_check,
    postal,
    privacy,
    review,
    set_homework,
    status,
    status_reach,
    summary,
    throttle,
    uploads,
    words,
)
from handlers.context import Config, Turn, roles_of
from handlers.problems import excuse, report
from handlers.routes import (
    PASS,
    Answer,
    Anything,
    Button,
    Command,
    CommandInForm,
    Flow,
    Photos,
    Route,
    Seen,
    Takes,
    Words,
    button_owners,
    owner_prefix,
    plain_word,
    walk,
)
from handlers.threads import answer, listing, write
from handlers.types import Inbound, Reply
from locales import T
from models.consent_rules import has_consent
from models.enums import Role
from models.journal import InboundReceipt, record_receipt
from models.people import ChannelIdentity, Person
from models.rows import new_row, read_row
from models.store import session_scope
from outbox.write import wrote_outbox

TEXT, PHOTOS = Takes.TEXT, Takes.PHOTOS
FAMILY = frozenset({Role.PUPIL, Role.GUARDIAN})
STAFF = frozenset({Role.TUTOR, Role.ASSISTANT, Role.CLASS_TEACHER, Role.COORDINATOR})


def process(engine: Engine, inbound: Inbound, config: Config) -> list[Reply]:
    flooding = throttle.flooded(engine, inbound.identity, config.default_locale)
    if flooding is not None:
        return flooding  # before the store: a flood costs the others nothing
    # Photos are checked and re-encoded before the transaction: no write lock held while decoding.
    inbound = uploads.prepare(inbound, max_bytes=config.max_photo_bytes, max_pixels=config.max_photo_pixels)
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
        if inbound.choice and inbound.answers and not _first_answer(session, inbound, now):
            return [Reply(T("buttons.answered"), locale=_locale_of(session, inbound, config))]
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


def _first_answer(session: Session, inbound: Inbound, now: datetime) -> bool:
    """Whether this is the first answer to the buttons of the message it came from: a double tap (or
    a tap on a keyboard that a slow messenger has not closed yet) arrives as a second answer, and
    the turn is answered without reading or changing anything else."""
    return record_receipt(session, inbound.identity.channel, f"k{inbound.answers}", now)


def _locale_of(session: Session, inbound: Inbound, config: Config) -> str:
    locale = session.exec(
        select(Person.locale)
        .join(ChannelIdentity, col(ChannelIdentity.person_id) == Person.id)
        .where(
            ChannelIdentity.channel == inbound.identity.channel,
            ChannelIdentity.address == inbound.identity.address,
        )
    ).first()
    return locale or config.default_locale


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


# Built once: the statements and their cache keys are reused by every turn. Core statements over
# the tables, read with models.rows.read_row: every turn runs them.
_IDENTITIES = ChannelIdentity.__table__  # type: ignore[attr-defined]
_IDENTITY_BY_ADDRESS = select(_IDENTITIES).where(
    _IDENTITIES.c.channel == bindparam("channel"), _IDENTITIES.c.address == bindparam("address")
)
_PEOPLE = Person.__table__  # type: ignore[attr-defined]
_PERSON = select(_PEOPLE).where(_PEOPLE.c.id == bindparam("id"))


def _turn(session: Session, inbound: Inbound, config: Config, now: datetime) -> Turn:
    address = {"channel": inbound.identity.channel, "address": inbound.identity.address}
    identity = read_row(session, ChannelIdentity, _IDENTITY_BY_ADDRESS, address)
    private_chat = (
        int(inbound.chat.id) if inbound.chat.id.lstrip("-").isdigit() and not inbound.chat.is_group else None
    )
    created = identity is None
    wrote_before = None if identity is None else identity.last_inbound_at
    if identity is None:
        identity = new_row(
            ChannelIdentity,
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
        session=session,
        inbound=inbound,
        identity=identity,
        config=config,
        now=now,
        identity_is_new=created,
        wrote_before=wrote_before,
    )
    if identity.person_id is not None:
        turn.person = read_row(session, Person, _PERSON, {"id": identity.person_id})
        turn.roles = roles_of(session, identity.person_id)
    return turn


def _language_chosen(turn: Turn) -> list[Reply]:
    """The language button: set, then the consent questions a parent has not answered yet; the first
    time (just joined), what still matters (`catch_up`)."""
    person = turn.person
    joining = person is not None and not person.locale_chosen
    chosen = language.choose(turn, turn.inbound.choice or "")
    caught_up = catch_up.joined(turn) if joining and person is not None and person.locale_chosen else []
    return chosen + consent.pending(turn) + caught_up


def _consent_answer(turn: Turn) -> list[Reply]:
    return consent.answer(turn, turn.inbound.choice or "")


def _leave_or_stay(turn: Turn) -> list[Reply]:
    """The answer to "leave the form?": leaving runs the command that was typed, as typed."""
    replies, command = leaving.answer(turn)
    if not command:
        return replies
    turn.inbound = replace(turn.inbound, text=command, choice=None)
    return [*replies, *route(turn)]


# Answered whatever the language: the way out of a form (before anything a form would take), choosing
# the language, a parent's consent, /start and /language.
BEFORE_LANGUAGE: tuple[Route, ...] = (
    Route(Command(leaving.COMMAND), leaving.cancel),
    Route(Words(words.CANCEL), leaving.cancel),
    Route(CommandInForm(frozenset(leaving.FORMS), but=frozenset({leaving.COMMAND})), leaving.ask),
    Route(Button(leaving.PREFIX), _leave_or_stay),
    Route(Button(language.CHOICE_PREFIX), _language_chosen),
    Route(Button(consent.PREFIX), _consent_answer, {Role.GUARDIAN}, PASS),
    # «иә» / «да» / "yes" to the school's request for consent (before the language is asked).
    Route(Words(words.ANSWERS["yes"]), consent_by_word.answer, {Role.GUARDIAN}, PASS),
    Route(Command("/start"), joining.greet),
    Route(Command("/language"), language.start),
)

# Everything else, in the order it is tried. Each entry: what the turn carries, the module function
# that answers it, who may use it (none named: anyone) and what the others hear (common.not_allowed
# unless named; PASS: not theirs, the turn goes on down the table). Conversations (Flow) are entered
# only through the entries above them, and their handlers check again.
ROUTES: tuple[Route, ...] = (
    # A reply to a thread's message, or "#12 …": the thread's, whatever else is open.
    Route(Answer(), answer.on_answer),
    Route(Command("/consent"), consent.status, {Role.GUARDIAN}, PASS),
    Route(Command("/channels"), channels.start),
    Route(Button(channels.PREFIX), channels.on_choice),
    Route(Command("/attendance"), attendance.start, {Role.TUTOR, Role.ASSISTANT}, PASS),
    Route(Command("/attendance"), own_record.attendance, FAMILY),
    Route(Button(attendance.PREFIX), attendance.on_choice, {Role.TUTOR, Role.ASSISTANT}),
    Route(Command("/status"), status.show, {Role.TUTOR, Role.ASSISTANT}),
    Route(Button(status.PREFIX), status.nudge, {Role.TUTOR, Role.ASSISTANT}),
    Route(Button(status_reach.PREFIX), status_reach.remind_consent, {Role.TUTOR, Role.ASSISTANT}),
    Route(Command("/link"), broadcast.start_link, {Role.CLASS_TEACHER}),
    Route(Command("/broadcast"), broadcast.start, {Role.CLASS_TEACHER}),
    Route(Command("/report"), broadcast_report.latest, {Role.CLASS_TEACHER}),
    Route(Command("/invite"), invites.start, {Role.CLASS_TEACHER, Role.ASSISTANT}),
    Route(Button(invites.PREFIX), invites.on_choice, {Role.CLASS_TEACHER, Role.ASSISTANT}),
    Route(Command("/scheduled"), broadcast_schedule.listing, {Role.CLASS_TEACHER}),
    Route(Button(broadcast_schedule.PREFIX), broadcast_schedule.drop, {Role.CLASS_TEACHER}),
    Route(Button(broadcast.REPORT), broadcast_report.on_button, {Role.CLASS_TEACHER, Role.TUTOR}),
    Route(Button(broadcast.PREFIX), broadcast.on_choice, {Role.CLASS_TEACHER}),
    Route(Flow(broadcast.FLOW_SEND, TEXT | PHOTOS), broadcast.on_text),
    Route(Command("/templates"), broadcast_templates.listing, {Role.CLASS_TEACHER}),
    Route(Button(broadcast_templates.PREFIX), broadcast_templates.on_choice, {Role.CLASS_TEACHER}),
    Route(Flow(broadcast_templates.FLOW_NEW, TEXT), broadcast_templates.on_new, {Role.CLASS_TEACHER}),
    Route(Flow(broadcast_templates.FLOW_FILL, TEXT), broadcast_templates.on_fill, {Role.CLASS_TEACHER}),
    # A Kazpost round's teacher is whoever the coordinator named, in any role: the rounds are theirs.
    Route(Command("/post"), postal.start),
    Route(Button(postal.PREFIX), postal.on_choice),
    Route(Flow(postal.FLOW_SCAN, PHOTOS), postal.on_scan),
    # /homework sets homework for a tutor; for a pupil or a parent it shows theirs.
    Route(Command("/homework"), set_homework.start, {Role.TUTOR}, PASS),
    Route(Command("/homework"), own_record.homework, FAMILY, T("homework.only_tutor")),
    Route(Button(set_homework.GROUP), set_homework.on_group, {Role.TUTOR}),
    Route(Button(set_homework.GRADING), set_homework.on_grading, {Role.TUTOR}),
    Route(Button(set_homework.CONFIRM), set_homework.on_confirm, {Role.TUTOR}),
    Route(Button(hand_in.PICK), hand_in.on_pick, {Role.PUPIL}),
    Route(Button(hand_in.REPLACE), hand_in.on_replace, {Role.PUPIL}),
    Route(Button(photo_check.CHECK), hand_in.on_check, {Role.PUPIL}),
    Route(Button(homework.PREFIX), homework.unknown_choice),
    Route(Command("/replace"), hand_in.replace_latest, {Role.PUPIL}),
    Route(Flow(set_homework.FLOW, TEXT | PHOTOS), set_homework.on_answer),
    Route(Command("/share"), group_post.start, {Role.TUTOR}, T("homework.only_tutor")),
    Route(Button(group_post.PREFIX), group_post.on_choice, {Role.TUTOR}),
    Route(Flow(group_post.FLOW, TEXT | PHOTOS), group_post.on_text, {Role.TUTOR}),
    Route(Command("/paper"), paper.start, {Role.COORDINATOR, Role.CLASS_TEACHER}),
    Route(Button(paper.PREFIX), paper.on_choice, {Role.COORDINATOR, Role.CLASS_TEACHER}),
    Route(Flow(paper.FLOW, TEXT | PHOTOS), paper.on_text, {Role.COORDINATOR, Role.CLASS_TEACHER}),
    # A pupil's photos are homework whatever their caption, unless a command above took the turn.
    Route(Photos(), hand_in.submit, {Role.PUPIL}, PASS),
    Route(Flow(hand_in.FLOW_PICK, TEXT), write.half_done),
    Route(Flow(photo_check.FLOW, TEXT), hand_in.check_again),
    Route(Command("/review"), review.start, {Role.TUTOR}, T("review.only_tutor")),
    Route(Button(review.PREFIX), review.on_choice, {Role.TUTOR}),
    Route(Flow(review.FLOW_GRADE, TEXT), review.on_text),
    Route(Flow(review.FLOW_REDO, TEXT), review.on_text),
    Route(Command("/grades"), corrections.start, {Role.TUTOR}, PASS),
    Route(Button(corrections.PREFIX), corrections.on_choice, {Role.TUTOR}),
    Route(Flow(corrections.FLOW, TEXT), corrections.on_text, {Role.TUTOR}),
    Route(Command("/confirm_forget"), privacy.confirm, {Role.COORDINATOR}),
    Route(Command("/mydata"), privacy.my_data, {Role.GUARDIAN}),
    Route(Command("/forget"), privacy.forget, {Role.GUARDIAN}),
    Route(Button(privacy.PREFIX), privacy.on_choice, {Role.GUARDIAN}),
    # Problems: reported by a pupil or parent, decided excused or not by the tutor or assistant.
    Route(Command("/problem"), report.start, FAMILY),
    Route(Button(report.START), report.start, FAMILY),
    Route(Button(report.CHILD), report.on_child, FAMILY),
    Route(Button(report.KIND), report.on_kind, FAMILY),
    Route(Button(report.LESSON), report.on_lesson, FAMILY),
    Route(Flow(report.FLOW_NOTE, TEXT), report.on_note, FAMILY, PASS),
    Route(Command("/absences"), excuse.pending, {Role.TUTOR, Role.ASSISTANT}),
    Route(Button(excuse.PREFIX), excuse.on_decide, {Role.TUTOR, Role.ASSISTANT}),
    # Threads: a staff member's open ones; a family's message, whom it is for, a form left half done.
    Route(Command("/threads"), listing.start, STAFF),
    Route(Button(listing.LIST), listing.on_more, STAFF),
    Route(Button(listing.DONE), listing.on_done, STAFF),
    Route(Button(listing.SHOW), listing.on_show),
    Route(Button(write.TO), write.on_whom, FAMILY),
    Route(Button(write.NEW), write.new_message, FAMILY),
    Route(Button(write.FORM), write.on_back_to_form, FAMILY),
    Route(Button(write.LEAVE), write.on_leave_form, FAMILY),
    # ШОЛУ / СВОДКА / SUMMARY: the week so far; the digest's settings one choice under it.
    Route(Command("/digest"), summary.show, {Role.GUARDIAN}),
    Route(Button(summary.PREFIX), summary.show, {Role.GUARDIAN}),
    Route(Button(family_news.PREFIX), family_news.on_choice, {Role.GUARDIAN}),
    Route(Command("/timetable"), own_record.timetable, FAMILY, PASS),
    Route(Command("/grades"), own_record.grades_view, FAMILY),
    Route(Button(own_record.PREFIX), own_record.on_choice, FAMILY),
    # The same views by a word typed alone (SMS has no commands), outside any conversation.
    Route(Words(own_record.WORDS[own_record.HOMEWORK]), own_record.homework, FAMILY, PASS),
    Route(Words(own_record.WORDS[own_record.TIMETABLE]), own_record.timetable, FAMILY, PASS),
    Route(Words(own_record.WORDS[own_record.GRADES]), own_record.grades_view, FAMILY, PASS),
    Route(Words(own_record.WORDS[own_record.ATTENDANCE]), own_record.attendance, FAMILY, PASS),
    Route(Command("/help"), menu.show),
    # «What lessons today?» / «tomorrow?»: the day's lessons, not a message to a teacher.
    Route(Button(day_lessons.SEND), day_lessons.on_send, FAMILY),
    Route(Anything(), day_lessons.answer, FAMILY, PASS),
    # Whatever a pupil or parent writes that nothing above took goes to a person, never to the menu.
    Route(Anything(), write.write, FAMILY, PASS),
)
_BUTTONS = button_owners(BEFORE_LANGUAGE, ROUTES)


def route(turn: Turn) -> list[Reply]:
    inbound = turn.inbound
    if inbound.chat.is_group:
        return broadcast.route_group(turn, _command(inbound.text))  # only /link <code> there
    opted = optout.route(turn)  # STOP / START, from anyone, before any other conversation
    if opted is not None:
        return opted
    if turn.person is None:
        return _route_stranger(turn)
    seen = Seen(
        command=_command(inbound.text),
        button=owner_prefix(inbound.choice, _BUTTONS),
        flow=conversation.load(turn).flow,
        text=bool(inbound.text.strip()),
        photos=any(not upload.is_sound for upload in inbound.uploads),
        answers=bool(inbound.reply_to) or answer.starts_with_reference(inbound.text),
        word=plain_word(inbound.text) if not inbound.choice else "",
    )
    replies = walk(turn, BEFORE_LANGUAGE, seen)
    if replies is not None:
        return replies
    if not turn.person.locale_chosen:
        return [language.ask(turn)]
    replies = walk(turn, ROUTES, seen)
    if replies is not None:
        return replies
    if turn.has_role(Role.PUPIL) and not has_consent(turn.session, turn.person_id()):
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
