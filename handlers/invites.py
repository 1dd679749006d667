"""The class teacher's /invite: a new invitation code for someone of their class who has not joined.

/invite lists the class's people still to join (pupils, their parents), a page of `PAGE` at a time,
with their state (code sent, expired, none) as buttons; the chosen person gets a new code at once
(any code of theirs not yet used is revoked) and the teacher a message to pass on: name, code, the
bot's link with the code in it, and how to join. The audit names who reissued whose code.
"""

from __future__ import annotations

from sqlmodel import col, select

from handlers.audit import audit
from handlers.broadcast import teacher_classes
from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T
from models.clock import to_local
from models.invites import JOINED, class_people, invite_states, reissue_invite
from models.people import Person
from models.school import SchoolClass

PREFIX = "inv:"
PAGE = 8


def start(turn: Turn) -> list[Reply]:
    """/invite: the class's people still to join (the class first, for a teacher of several)."""
    classes = teacher_classes(turn)
    if not classes:
        return not_allowed()
    if len(classes) == 1:
        return _people(turn, classes[0], 0)
    return [
        Reply(
            T("invites.ask_class"),
            choices=tuple(
                Choice(f"{PREFIX}class:{c.id}:0", T("broadcast.choice.class", class_name=c.name))
                for c in classes
            ),
        )
    ]


def on_choice(turn: Turn) -> list[Reply]:
    action, _, rest = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    raw_class, _, raw_other = rest.partition(":")
    klass = next((c for c in teacher_classes(turn) if str(c.id) == raw_class), None)
    if klass is None or not raw_other.isdigit():
        return not_allowed()
    if action == "class":
        return _people(turn, klass, int(raw_other))
    if action == "p":
        return _reissue(turn, klass, int(raw_other))
    return not_allowed()


def _waiting(turn: Turn, klass: SchoolClass) -> list[tuple[Person, str, str]]:
    """(person, role, state) of the class's people who have not joined, in the class's order."""
    people = class_people(turn.session, klass.id or 0, turn.locale)
    states = invite_states(turn.session, [pid for pid, _ in people], turn.now)
    by_id = {
        p.id: p
        for p in turn.session.exec(select(Person).where(col(Person.id).in_([pid for pid, _ in people]))).all()
    }
    return [
        (by_id[pid], role, states[pid][0])
        for pid, role in people
        if states[pid][0] != JOINED and pid in by_id and by_id[pid].full_name
    ]


def _people(turn: Turn, klass: SchoolClass, offset: int) -> list[Reply]:
    waiting = _waiting(turn, klass)
    if not waiting:
        return [Reply(T("invites.all_joined", class_name=klass.name))]
    offset = min(max(offset, 0), (len(waiting) - 1) // PAGE * PAGE)
    shown = waiting[offset : offset + PAGE]
    choices = [
        Choice(
            f"{PREFIX}p:{klass.id}:{person.id}",
            T(
                "invites.choice.person",
                name=person.full_name,
                role=T(f"invites.role.{role}"),
                state=T(f"invites.state.{state}"),
            ),
        )
        for person, role, state in shown
    ]
    if offset + PAGE < len(waiting):
        choices.append(Choice(f"{PREFIX}class:{klass.id}:{offset + PAGE}", T("invites.choice.more")))
    return [
        Reply(
            T(
                "invites.ask_person",
                class_name=klass.name,
                count=len(waiting),
                first=offset + 1,
                last=offset + len(shown),
            ),
            choices=tuple(choices),
        )
    ]


def _reissue(turn: Turn, klass: SchoolClass, person_id: int) -> list[Reply]:
    found = next(((p, role) for p, role, _ in _waiting(turn, klass) if p.id == person_id), None)
    if found is None:
        return [Reply(T("invites.not_waiting"))]
    person, role = found
    invite = reissue_invite(turn.session, person_id, turn.config.invite_ttl, turn.now)
    audit(turn, "invite.reissued", "person", person_id, invite_id=invite.id, where="chat", class_id=klass.id)
    username = turn.config.bot_username
    link = f"https://t.me/{username}?start={invite.code}" if username else ""
    return [
        Reply(
            T(
                "invites.issued",
                name=person.full_name,
                role=T(f"invites.role.{role}"),
                code=invite.code,
                link=link or "—",
                expires=to_local(invite.expires_at, turn.config.time_zone).strftime("%d.%m.%Y"),
            )
        )
    ]
