"""A tutor posts to their group (/share): a lesson recording's link, a worksheet, a photo of the board.

Group (when the tutor has several) → the material: text, a link, a photo or a file → who gets it: the
group's pupils, or the pupils and their parents → a preview → send. It is written as a `Broadcast` of
the group (no class), one outbox row per person: the consent gate leaves out pupils without a
parent's consent and parents writing about them; quiet hours hold it back, and the confirmation says
until when. The delivery report is the same as a class teacher's announcement's (`bc:report:`).
"""

from __future__ import annotations

from typing import Any

from handlers import broadcast_schedule, conversation
from handlers.attachments import store_attachment
from handlers.attendance import pupils_of
from handlers.audit import audit
from handlers.broadcast import MAX_CAPTION, MAX_TEXT, REPORT
from handlers.context import Turn
from handlers.family import guardians_of
from handlers.groups import tutor_groups
from handlers.refusals import not_allowed, tutors_only
from handlers.types import Choice, Reply
from locales import N, T, Text, subject_name
from models.enums import Audience
from models.outbox import Broadcast
from models.school import TutoringGroup
from outbox.write import enqueue

PREFIX = "gp:"
FLOW = "gp_send"
PUPILS = Audience.TUTORING_GROUP.value
FAMILIES = f"{Audience.TUTORING_GROUP.value},{Audience.GUARDIANS.value}"
AUDIENCES = {"pupils": PUPILS, "families": FAMILIES}


def start(turn: Turn) -> list[Reply]:
    groups = tutor_groups(turn)
    if not groups:
        return tutors_only(turn, "homework")
    if len(groups) == 1:
        return _ask_material(turn, groups[0])
    conversation.clear(turn)
    return [
        Reply(
            T("post.ask_group"),
            choices=tuple(
                Choice(
                    f"{PREFIX}group:{g.id}",
                    T("homework.choice.group", group=g.code, subject=subject_name(g.subject)),
                )
                for g in groups
            ),
        )
    ]


def _own(turn: Turn, raw_id: object) -> TutoringGroup | None:
    return next((g for g in tutor_groups(turn) if str(g.id) == str(raw_id)), None)


def _ask_material(turn: Turn, group: TutoringGroup) -> list[Reply]:
    conversation.enter(turn, FLOW, "text", group_id=group.id)
    return [Reply(T("post.ask_material", group=group.code, subject=subject_name(group.subject)))]


def on_text(turn: Turn) -> list[Reply]:
    """The material: text (a link) and/or one photo or file."""
    state = conversation.load(turn)
    data = {k: v for k, v in state.data.items() if k != "offered"}
    group = _own(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    if state.step != "text":
        return [Reply(T("paper.use_buttons"))]
    refused: list[Reply] = []
    if turn.inbound.uploads:
        path, refused = store_attachment(turn, turn.inbound.uploads[0], "posts")
        if path is not None:
            data["attachment"] = path
    text = turn.inbound.text.strip()
    limit = MAX_CAPTION if data.get("attachment") else MAX_TEXT
    if not text and not data.get("attachment"):
        return refused or [_ask_material(turn, group)[0]]
    if len(text) > limit:
        conversation.enter(turn, FLOW, "text", **data)
        return [*refused, Reply(T("broadcast.text_too_long", limit=limit))]
    data["text"] = text
    conversation.enter(turn, FLOW, "audience", **data)
    return [
        *refused,
        Reply(
            T("post.ask_audience"),
            choices=(
                Choice(f"{PREFIX}aud:pupils", T("post.audience.pupils")),
                Choice(f"{PREFIX}aud:families", T("post.audience.families")),
            ),
        ),
    ]


def on_choice(turn: Turn) -> list[Reply]:
    action, _, argument = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    if action == "group":
        group = _own(turn, argument)
        return _ask_material(turn, group) if group else not_allowed()
    state = conversation.load(turn)
    if state.flow != FLOW:
        return [Reply(T("post.expired"))]
    data = {k: v for k, v in state.data.items() if k != "offered"}
    group = _own(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    if action == "aud" and argument in AUDIENCES and state.step == "audience":
        data["audience"] = AUDIENCES[argument]
        conversation.enter(turn, FLOW, "confirm", **data)
        people = _recipients(turn, group, data["audience"])
        return [
            Reply(_message(turn, group, str(data["text"])), media_path=data.get("attachment")),
            Reply(
                T("post.preview", audience=_audience_text(data["audience"]), people=len(people)),
                choices=(Choice(f"{PREFIX}send", T("broadcast.send")),),
            ),
        ]
    if action == "send" and state.step == "confirm":
        return _send(turn, group, data)
    return [Reply(T("paper.use_buttons"))]


def _audience_text(audience: str) -> Text:
    return T("post.audience.families") if audience == FAMILIES else T("post.audience.pupils")


def _message(turn: Turn, group: TutoringGroup, text: str) -> Text:
    tutor = turn.person.full_name if turn.person else ""
    return T("post.message", subject=subject_name(group.subject), tutor=tutor, text=text or "—")


def _recipients(turn: Turn, group: TutoringGroup, audience: str) -> list[tuple[int, int | None]]:
    """(person id, the pupil a message to a parent is about) for each recipient, each once."""
    found: dict[int, int | None] = {}
    for pupil in pupils_of(turn, group.id or 0):
        if pupil.id is None:
            continue
        found.setdefault(pupil.id, None)
        if audience == FAMILIES:
            for guardian in guardians_of(turn.session, pupil.id):
                if guardian.id is not None:
                    found.setdefault(guardian.id, pupil.id)
    return list(found.items())


def _send(turn: Turn, group: TutoringGroup, data: dict[str, Any]) -> list[Reply]:
    post = Broadcast(
        class_id=None,
        group_id=group.id,
        author_id=turn.person_id(),
        audience=str(data["audience"]),
        text=str(data.get("text") or ""),
        attachment_path=data.get("attachment"),
        created_at=turn.now,
        confirmed_at=turn.now,
    )
    turn.session.add(post)
    turn.session.flush()
    people = _recipients(turn, group, post.audience)
    text = _message(turn, group, post.text)
    written = sum(
        enqueue(
            turn.session,
            kind="broadcast",
            text=text,
            idempotency_key=f"broadcast:{post.id}:{person_id}:",
            person_id=person_id,
            about_pupil_id=about,
            media_path=post.attachment_path,
            broadcast_id=post.id,
        )
        is not None
        for person_id, about in people
    )
    conversation.clear(turn)
    audit(
        turn, "group.posted", "broadcast", post.id, group_id=group.id, audience=post.audience, people=written
    )
    goes = broadcast_schedule.goes_at(turn, turn.now, urgent=False)
    return [
        Reply(
            N("post.sent", "people", people=written, skipped=len(people) - written),
            choices=(Choice(f"{REPORT}{post.id}", T("broadcast.report_button")),),
        ),
        *broadcast_schedule.waiting_notice(turn, goes),
    ]
