"""Class announcements: a class teacher links the class's Telegram group chat and broadcasts.

Linking: `/link` in a private chat gives the teacher a one-time code (kept in their conversation
state for `LINK_TTL`); `/link <code>` sent in the group chat by that same teacher stores the chat as
the class's. Anyone else, or a wrong or stale code, is refused and nothing changes.

Broadcasting (`/broadcast`, private chat): class (when the teacher has several) → the text, with an
optional photo or file → the audience (the class group chat, all guardians, the chat and all
guardians, all pupils, or the class's pupils of one tutoring group) → a preview of the message as
families will see it → send, send as urgent (quiet hours do not hold it back; audited), add a
version in the other language (`handlers.broadcast_versions`: each family then reads its own),
send later at a chosen moment (`handlers.broadcast_schedule`) or cancel.
Sending writes the `Broadcast` and one outbox row per person (and one for the group chat); the
teacher's delivery report is `/report` (the latest) or the button under the confirmation. A text
that comes back every term can be saved as a template with placeholders and filled in each time
(`handlers.broadcast_templates`, /templates), then goes on here from the audience.

The message carries the class, the teacher's name and the text: nothing about any pupil, so nothing
sensitive (low-income status) can reach a group chat or a family through it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from handlers import broadcast_schedule, broadcast_versions, conversation
from handlers.attachments import store_attachment
from handlers.audit import audit
from handlers.context import Turn
from handlers.date_examples import example_dates
from handlers.dates import parse_due
from handlers.group_names import group_name
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T, Text
from locales.versions import Versions
from models.clock import to_local, to_utc
from models.enums import Audience, Role
from models.invites import new_code, normalise_code
from models.outbox import Broadcast
from models.people import Guardianship, Membership, Person
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.store import stored_id
from outbox.write import enqueue

PREFIX = "bc:"
REPORT = f"{PREFIX}report:"
FLOW_LINK = "bc_link"
FLOW_SEND = "bc_send"
LINK_TTL = timedelta(minutes=30)
MAX_TEXT = 4000
MAX_CAPTION = 1000  # Telegram captions hold 1024 characters; the heading needs a few
CHAT_AND_GUARDIANS = f"{Audience.GROUP_CHAT.value},{Audience.GUARDIANS.value}"


def route_group(turn: Turn, command: str) -> list[Reply]:
    """A group chat: only `/link <code>` is answered; everything else there is not ours to read."""
    if command != "/link":
        return []
    locale = turn.config.default_locale
    parts = turn.inbound.text.split(maxsplit=1)
    code = normalise_code(parts[1]) if len(parts) > 1 else ""
    classes = teacher_classes(turn)
    if not classes:
        return [Reply(T("broadcast.link.not_teacher"), locale=locale)]
    state = conversation.load(turn)
    data = state.data if state.flow == FLOW_LINK else {}
    expires = data.get("expires")
    klass = next((c for c in classes if c.id == data.get("class_id")), None)
    if (
        not code
        or code != data.get("code")
        or klass is None
        or not isinstance(expires, str)
        or datetime.fromisoformat(expires) < turn.now
    ):
        return [Reply(T("broadcast.link.bad_code"), locale=locale)]
    chat_id = int(turn.inbound.chat.id)
    for other in turn.session.exec(select(SchoolClass).where(SchoolClass.telegram_chat_id == chat_id)).all():
        other.telegram_chat_id = None  # one class per chat
    klass.telegram_chat_id = chat_id
    conversation.clear(turn)
    audit(turn, "class.chat_linked", "class", klass.id, chat_id=chat_id)
    return [Reply(T("broadcast.link.done", class_name=klass.name), locale=locale)]


def teacher_classes(turn: Turn) -> list[SchoolClass]:
    if turn.person is None or turn.person.id is None:
        return []
    return list(
        turn.session.exec(
            select(SchoolClass)
            .join(Membership, col(Membership.class_id) == SchoolClass.id)
            .where(Membership.person_id == turn.person.id, Membership.role == Role.CLASS_TEACHER)
            .order_by(col(SchoolClass.name), col(SchoolClass.id))
        ).all()
    )


def _own_class(turn: Turn, raw_id: object) -> SchoolClass | None:
    return next((c for c in teacher_classes(turn) if str(c.id) == str(raw_id)), None)


def class_question(turn: Turn, prefix: str) -> Reply:
    """Which of the teacher's classes: one button a class, its value `prefix` and the class's id."""
    return Reply(
        T("broadcast.ask_class"),
        choices=tuple(
            Choice(f"{prefix}{c.id}", T("broadcast.choice.class", class_name=c.name))
            for c in teacher_classes(turn)
        ),
    )


def on_choice(turn: Turn) -> list[Reply]:
    action, _, argument = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    if not teacher_classes(turn):
        return not_allowed()
    if action == "linkclass":
        klass = _own_class(turn, argument)
        return _link_code(turn, klass) if klass else not_allowed()
    if action == "class":
        klass = _own_class(turn, argument)
        return _ask_text(turn, klass) if klass else not_allowed()
    state = conversation.load(turn)
    if state.flow != FLOW_SEND:
        return [Reply(T("broadcast.expired"))]
    data = dict(state.data)
    klass = _own_class(turn, data.get("class_id"))
    if klass is None:
        conversation.clear(turn)
        return not_allowed()
    if action == "aud":
        return _choose_audience(turn, klass, data, argument)
    if action == "send" and state.step == "confirm":
        return _send(turn, klass, data, urgent=argument == "urgent")
    if (
        action == "version"
        and state.step == "confirm"
        and argument == broadcast_versions.missing_version(data)
    ):
        conversation.enter(turn, FLOW_SEND, "version", **data)
        return [Reply(T(f"broadcast.ask_version.{argument}"))]
    if action == "later" and state.step == "confirm":
        conversation.enter(turn, FLOW_SEND, "when", **data)
        return [Reply(T("broadcast.schedule.ask", **example_dates(turn)))]
    if action == "cancel":
        conversation.clear(turn)
        return [Reply(T("broadcast.cancelled"))]
    return [Reply(T("common.not_understood"))]


# ---------------------------------------------------------------- linking the group chat


def start_link(turn: Turn) -> list[Reply]:
    """/link: a one-time code to send in the class's group chat."""
    classes = teacher_classes(turn)
    if not classes:
        return not_allowed()
    if len(classes) > 1:
        return [class_question(turn, f"{PREFIX}linkclass:")]
    return _link_code(turn, classes[0])


def _link_code(turn: Turn, klass: SchoolClass) -> list[Reply]:
    code = new_code()
    expires = turn.now + LINK_TTL
    conversation.enter(turn, FLOW_LINK, "code", code=code, class_id=klass.id, expires=expires.isoformat())
    minutes = int(LINK_TTL.total_seconds() // 60)
    return [Reply(N("broadcast.link.code", "minutes", class_name=klass.name, code=code, minutes=minutes))]


# ---------------------------------------------------------------- writing and sending


def start(turn: Turn) -> list[Reply]:
    """/broadcast: an announcement to the class's chat or families, starting with its class."""
    classes = teacher_classes(turn)
    if not classes:
        return not_allowed()
    if len(classes) > 1:
        conversation.clear(turn)
        return [class_question(turn, f"{PREFIX}class:")]
    return _ask_text(turn, classes[0])


def _ask_text(turn: Turn, klass: SchoolClass) -> list[Reply]:
    conversation.enter(turn, FLOW_SEND, "text", class_id=klass.id)
    return [Reply(T("broadcast.ask_text", class_name=klass.name))]


def on_text(turn: Turn) -> list[Reply] | None:
    """The announcement's text (and a file) while it is asked for, its version in the other language,
    or the moment it is to go; None at another step."""
    state = conversation.load(turn)
    if state.step == "when":
        return _when(turn, dict(state.data))
    if state.step == "version":
        return _on_version(turn, dict(state.data))
    if state.step != "text":
        return None
    data = dict(state.data)
    klass = _own_class(turn, data.get("class_id"))
    if klass is None:
        conversation.clear(turn)
        return not_allowed()
    refused: list[Reply] = []
    if turn.inbound.uploads:
        path, refused = store_attachment(turn, turn.inbound.uploads[0], "broadcast")
        if path is not None:
            data["attachment"] = path
    text = turn.inbound.text.strip()
    limit = MAX_CAPTION if data.get("attachment") else MAX_TEXT
    if not text:
        conversation.enter(turn, FLOW_SEND, "text", **data)
        return refused or [Reply(T("broadcast.attachment_kept"))]
    if len(text) > limit:
        conversation.enter(turn, FLOW_SEND, "text", **data)
        return [*refused, Reply(T("broadcast.text_too_long", limit=limit))]
    data["text"] = text
    data["language"] = broadcast_versions.language_of_text(text, turn.locale)
    conversation.enter(turn, FLOW_SEND, "audience", **data)
    return [*refused, _audience_question(turn, klass)]


def with_text(turn: Turn, klass: SchoolClass, text: str) -> list[Reply]:
    """An announcement whose text is written already (filled in from a saved template,
    `handlers.broadcast_templates`): on to its audience, preview and sending, as a typed one."""
    conversation.enter(turn, FLOW_SEND, "audience", class_id=klass.id, text=text)
    return [_audience_question(turn, klass)]


def class_groups(turn: Turn, klass: SchoolClass) -> list[TutoringGroup]:
    """Tutoring groups holding at least one pupil of the class."""
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(col(TutoringGroup.id).in_(select(GroupMember.group_id).where(_in_class(klass))))
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def _in_class(klass: SchoolClass) -> Any:
    return col(GroupMember.pupil_id).in_(_class_pupil_ids(klass))


def _class_pupil_ids(klass: SchoolClass) -> Any:
    return select(Membership.person_id).where(Membership.class_id == klass.id, Membership.role == Role.PUPIL)


def _audience_question(turn: Turn, klass: SchoolClass) -> Reply:
    choices: list[Choice] = []
    if klass.telegram_chat_id is not None:
        choices.append(Choice(f"{PREFIX}aud:{Audience.GROUP_CHAT}", T("broadcast.audience.group_chat")))
        choices.append(Choice(f"{PREFIX}aud:both", T("broadcast.audience.chat_and_guardians")))
    choices.append(Choice(f"{PREFIX}aud:{Audience.GUARDIANS}", T("broadcast.audience.guardians")))
    choices.append(Choice(f"{PREFIX}aud:{Audience.PUPILS}", T("broadcast.audience.pupils")))
    choices += [
        Choice(
            f"{PREFIX}aud:group:{g.id}",
            T("broadcast.audience.tutoring_group", group=group_name(turn.session, g), code=g.code),
        )
        for g in class_groups(turn, klass)
    ]
    hint = T("broadcast.no_chat_hint") if klass.telegram_chat_id is None else T("broadcast.chat_linked_hint")
    return Reply(T("broadcast.ask_audience", hint=hint), choices=tuple(choices))


def _choose_audience(turn: Turn, klass: SchoolClass, data: dict[str, Any], value: str) -> list[Reply]:
    audience, _, raw_group = value.partition(":")
    group_id: int | None = None
    if audience == "both":
        audience = CHAT_AND_GUARDIANS
    elif audience == "group":
        group = next((g for g in class_groups(turn, klass) if str(g.id) == raw_group), None)
        if group is None:
            return not_allowed()
        audience, group_id = Audience.TUTORING_GROUP.value, group.id
    elif audience not in (Audience.GROUP_CHAT, Audience.GUARDIANS, Audience.PUPILS):
        return [Reply(T("common.not_understood"))]
    if Audience.GROUP_CHAT in audience.split(",") and klass.telegram_chat_id is None:
        return [Reply(T("broadcast.no_chat_hint")), _audience_question(turn, klass)]
    if "text" not in data:
        return [Reply(T("broadcast.expired"))]
    data.update(audience=audience, group_id=group_id)
    return _preview(turn, klass, data)


def _preview(turn: Turn, klass: SchoolClass, data: dict[str, Any]) -> list[Reply]:
    """The message as families will read it (each version in its language), and the question."""
    conversation.enter(turn, FLOW_SEND, "confirm", **data)
    audience, group_id = str(data["audience"]), data.get("group_id")
    people = recipients(turn, klass, audience, group_id)
    chat = Audience.GROUP_CHAT in audience.split(",")
    text = broadcast_versions.versions(data)
    shown = [
        Reply(message_text(turn, klass, text), media_path=data.get("attachment"), locale=language)
        for language in text.texts
    ]
    return [
        *shown,
        Reply(
            N(
                "broadcast.preview",
                "people",
                audience=audience_text(audience, turn, group_id),
                people=len(people),
            ),
            choices=(
                Choice(f"{PREFIX}send:normal", T("broadcast.send")),
                Choice(f"{PREFIX}send:urgent", T("broadcast.send_urgent")),
                *broadcast_versions.offer(PREFIX, data),
                Choice(f"{PREFIX}later", T("broadcast.schedule.choice")),
                Choice(f"{PREFIX}cancel", T("broadcast.cancel")),
            ),
        ),
        *([Reply(T("broadcast.preview_chat"))] if chat else []),
    ]


def _on_version(turn: Turn, data: dict[str, Any]) -> list[Reply]:
    """The text of the announcement in the other language; then the preview again."""
    language = broadcast_versions.missing_version(data)
    klass = _own_class(turn, data.get("class_id"))
    text = turn.inbound.text.strip()
    if language is None or klass is None or "audience" not in data:
        conversation.clear(turn)
        return [Reply(T("broadcast.expired"))]
    limit = MAX_CAPTION if data.get("attachment") else MAX_TEXT
    if not text:  # a photo here: the version is text only
        return [Reply(T(f"broadcast.ask_version.{language}"))]
    if len(text) > limit:
        return [Reply(T("broadcast.text_too_long", limit=limit))]
    data["versions"] = {**dict(data.get("versions") or {}), language: text}
    return _preview(turn, klass, data)


def audience_text(audience: str, turn: Turn, group_id: int | None) -> Text:
    if audience == CHAT_AND_GUARDIANS:
        return T("broadcast.audience.chat_and_guardians")
    if audience == Audience.TUTORING_GROUP:
        group = turn.session.get(TutoringGroup, group_id) if group_id else None
        name, code = (group_name(turn.session, group), group.code) if group else ("?", "?")
        return T("broadcast.audience.tutoring_group", group=name, code=code)
    keys = {
        Audience.GROUP_CHAT: "broadcast.audience.group_chat",
        Audience.GUARDIANS: "broadcast.audience.guardians",
        Audience.PUPILS: "broadcast.audience.pupils",
    }
    return T(keys[Audience(audience)])


def message_text(turn: Turn, klass: SchoolClass, text: str | Versions) -> Text:
    """The announcement as everyone sees it: the class, the teacher, the text (in the reader's
    language when it has versions). Nothing about pupils."""
    author = turn.person.full_name if turn.person else ""
    return T("broadcast.message", class_name=klass.name, teacher=author, text=text)


def recipients(turn: Turn, klass: SchoolClass, audience: str, group_id: int | None) -> list[Person]:
    """The people (not the group chat) a broadcast goes to, each once."""
    parts = set(audience.split(","))
    pupils = _class_pupil_ids(klass)
    if Audience.GUARDIANS in parts:
        statement = select(Person).where(
            col(Person.id).in_(select(Guardianship.guardian_id).where(col(Guardianship.pupil_id).in_(pupils)))
        )
    elif Audience.PUPILS in parts:
        statement = select(Person).where(col(Person.id).in_(pupils))
    elif Audience.TUTORING_GROUP in parts:
        members = select(GroupMember.pupil_id).where(GroupMember.group_id == group_id, _in_class(klass))
        statement = select(Person).where(col(Person.id).in_(members))
    else:
        return []
    return list(turn.session.exec(statement.order_by(col(Person.full_name), col(Person.id))).all())


def _when(turn: Turn, data: dict[str, Any]) -> list[Reply]:
    """The moment a scheduled announcement goes: in the future, in the school's time zone."""
    klass = _own_class(turn, data.get("class_id"))
    if klass is None:
        conversation.clear(turn)
        return not_allowed()
    local_now = to_local(turn.now, turn.config.time_zone).replace(tzinfo=None)
    moment = parse_due(turn.inbound.text.strip(), local_now)
    if moment is None:
        return [Reply(T("homework.due_invalid", **example_dates(turn)))]
    if moment <= local_now:
        return [Reply(T("homework.due_past"))]
    return _send(turn, klass, data, urgent=False, send_at=to_utc(moment, turn.config.time_zone))


def _send(
    turn: Turn, klass: SchoolClass, data: dict[str, Any], *, urgent: bool, send_at: datetime | None = None
) -> list[Reply]:
    audience = str(data["audience"])
    group_id = data.get("group_id")
    versions = broadcast_versions.versions(data)
    broadcast = Broadcast(
        class_id=stored_id(klass),
        author_id=turn.person_id(),
        audience=audience,
        group_id=group_id,
        text=str(data["text"]),
        language=versions.original,
        translations={lang: text for lang, text in versions.texts.items() if lang != versions.original},
        attachment_path=data.get("attachment"),
        urgent=urgent,
        created_at=turn.now,
        confirmed_at=turn.now,
        send_at=send_at,
    )
    turn.session.add(broadcast)
    turn.session.flush()
    common: dict[str, Any] = {
        "kind": "broadcast",
        "text": message_text(turn, klass, versions),
        "urgent": urgent,
        "media_path": broadcast.attachment_path,
        "broadcast_id": broadcast.id,
        "due_at": send_at,
    }
    to_chat = Audience.GROUP_CHAT in audience.split(",") and klass.telegram_chat_id is not None
    if to_chat:
        enqueue(
            turn.session,
            idempotency_key=f"broadcast:{broadcast.id}:chat:",
            group_chat_id=klass.telegram_chat_id,
            **(common | {"text": message_text(turn, klass, versions.all())}),  # read by every family
        )
    people = recipients(turn, klass, audience, group_id)
    written = sum(
        enqueue(turn.session, idempotency_key=f"broadcast:{broadcast.id}:{p.id}:", person_id=p.id, **common)
        is not None
        for p in people
    )
    audit(turn, "broadcast.sent", "broadcast", broadcast.id, audience=audience, people=written)
    if urgent:
        audit(turn, "broadcast.urgent", "broadcast", broadcast.id, people=written, chat=to_chat)
    conversation.clear(turn)
    params = {
        "people": written,
        "skipped": len(people) - written,
        "chat": T("broadcast.sent_chat") if to_chat else "",
    }
    when = broadcast_schedule.goes_at(turn, send_at or turn.now, urgent=urgent)
    if send_at is not None:
        return [broadcast_schedule.scheduled(turn, broadcast, when, params)]
    return [
        Reply(
            N("broadcast.sent", "people", **params),
            choices=(Choice(f"{REPORT}{broadcast.id}", T("broadcast.report_button")),),
        ),
        *broadcast_schedule.waiting_notice(turn, when),
    ]
