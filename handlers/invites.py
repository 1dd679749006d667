"""/invite: a new invitation code for someone who has not joined — from the class teacher, for the
people of their class, and from the assistant teacher, for the families of the groups they assist.

/invite lists the place's people still to join (a class: its pupils and their parents; a group: its
pupils and their parents), a page of `PAGE` at a time, with their state (code sent, expired, none)
as buttons; the place is asked first when the person has several. The chosen person gets a new code
at once (any code of theirs not yet used is revoked) and the teacher a message to pass on: name,
code, the bot's link with the code in it, and how to join. The audit names who reissued whose code
and from which class or group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.audit import audit
from handlers.broadcast import teacher_classes
from handlers.context import Turn
from handlers.groups import assisted_groups
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T, Text, subject_name
from models.clock import to_local
from models.invites import JOINED, class_people, group_families, invite_states, reissue_invite
from models.people import Person
from models.store import stored_id

PREFIX = "inv:"
PAGE = 8


@dataclass(frozen=True)
class Kind:
    """A kind of place codes are handed out for: whose people it lists and how the texts name it."""

    list_action: str  # the button action that pages through a place's people
    pick_action: str  # the button action that reissues one person's code
    people: Callable[[Session, int, str], list[tuple[int, str]]]
    name_param: str  # how the texts below take the place's name
    ask_person: str
    all_joined: str
    not_waiting: str
    audit_field: str


CLASS = Kind(
    "class", "p", class_people, "class_name",
    "invites.ask_person", "invites.all_joined", "invites.not_waiting", "class_id",
)  # fmt: skip
GROUP = Kind(
    "group", "gp", group_families, "group",
    "invites.group.ask_person", "invites.group.all_joined", "invites.group.not_waiting", "group_id",
)  # fmt: skip
# What a button does, by its action: (the kind of place, the step).
STEPS: dict[str, tuple[Kind, str]] = {
    step_action: (kind, step)
    for kind in (CLASS, GROUP)
    for step_action, step in ((kind.list_action, "list"), (kind.pick_action, "pick"))
}
# The first question for someone with several places, by the kinds they have.
ASK_PLACE = {
    frozenset({"class"}): "invites.ask_class",
    frozenset({"group"}): "invites.group.ask_group",
    frozenset({"class", "group"}): "invites.group.ask_place",
}


@dataclass(frozen=True)
class Place:
    kind: Kind
    id: int
    name: str
    label: Text

    def text(self, key: str, **params: object) -> Text:
        return T(key, **{self.kind.name_param: self.name}, **params)


def places(turn: Turn) -> list[Place]:
    """The classes this person is the class teacher of, then the groups they assist."""
    return [
        *(
            Place(CLASS, stored_id(c), c.name, T("broadcast.choice.class", class_name=c.name))
            for c in teacher_classes(turn)
        ),
        *(
            Place(
                GROUP,
                stored_id(g),
                g.code,
                T("homework.choice.group", group=g.code, subject=subject_name(g.subject)),
            )
            for g in assisted_groups(turn)
        ),
    ]


def start(turn: Turn) -> list[Reply]:
    """/invite: the place's people still to join (the place first, for someone with several)."""
    found = places(turn)
    if not found:
        return not_allowed()
    if len(found) == 1:
        return _people(turn, found[0], 0)
    return [
        Reply(
            T(ASK_PLACE[frozenset(p.kind.list_action for p in found)]),
            choices=tuple(Choice(f"{PREFIX}{p.kind.list_action}:{p.id}:0", p.label) for p in found),
        )
    ]


def on_choice(turn: Turn) -> list[Reply]:
    action, _, rest = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    raw_place, _, raw_other = rest.partition(":")
    kind, step = STEPS.get(action, (None, ""))
    place = next((p for p in places(turn) if p.kind is kind and str(p.id) == raw_place), None)
    if place is None or not raw_other.isdigit():
        return not_allowed()
    if step == "list":
        return _people(turn, place, int(raw_other))
    return _reissue(turn, place, int(raw_other))


def _waiting(turn: Turn, place: Place) -> list[tuple[Person, str, str]]:
    """(person, role, state) of the place's people who have not joined, in the place's order."""
    people = place.kind.people(turn.session, place.id, turn.locale)
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


def _people(turn: Turn, place: Place, offset: int) -> list[Reply]:
    waiting = _waiting(turn, place)
    if not waiting:
        return [Reply(place.text(place.kind.all_joined))]
    offset = min(max(offset, 0), (len(waiting) - 1) // PAGE * PAGE)
    shown = waiting[offset : offset + PAGE]
    choices = [
        Choice(
            f"{PREFIX}{place.kind.pick_action}:{place.id}:{person.id}",
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
        choices.append(
            Choice(f"{PREFIX}{place.kind.list_action}:{place.id}:{offset + PAGE}", T("invites.choice.more"))
        )
    return [
        Reply(
            place.text(place.kind.ask_person, count=len(waiting), first=offset + 1, last=offset + len(shown)),
            choices=tuple(choices),
        )
    ]


def _reissue(turn: Turn, place: Place, person_id: int) -> list[Reply]:
    found = next(((p, role) for p, role, _ in _waiting(turn, place) if p.id == person_id), None)
    if found is None:
        return [Reply(T(place.kind.not_waiting))]
    person, role = found
    invite = reissue_invite(turn.session, person_id, turn.config.invite_ttl, turn.now)
    audit(
        turn,
        "invite.reissued",
        "person",
        person_id,
        invite_id=invite.id,
        where="chat",
        **{place.kind.audit_field: place.id},
    )
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
