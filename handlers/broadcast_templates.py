"""A class teacher's saved announcements (/templates): the message that comes back every term — the
parents' meeting, the documents to bring — saved once with placeholders in braces ({date}, {time},
{place}, or any word of the teacher's), then filled in and sent like a typed announcement.

/templates lists the teacher's templates, each with "use" and "delete", and "save a new one":
a name, then the text (a name already used replaces that template's text). Using one asks for each
placeholder's value in turn (the class first, when the teacher has several), and the filled-in text
goes on to the announcement's audience, preview and sending (`handlers.broadcast.with_text`): the
same choices, quiet hours, scheduling and delivery report. Values are put in once, as typed: a value
that itself contains braces is not filled in again.

Limits: `MAX_TEMPLATES` a teacher, `MAX_PLACEHOLDERS` in a text, `MAX_VALUE` characters a value.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select

from handlers import broadcast, conversation
from handlers.audit import audit
from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T
from models.school import SchoolClass
from models.templates import BroadcastTemplate

PREFIX = "tp:"
FLOW_NEW = "tp_new"
FLOW_FILL = "tp_fill"
MAX_TEMPLATES = 10
MAX_PLACEHOLDERS = 5
MAX_NAME = 60
MAX_VALUE = 200
# {date}, {күні}, {дата}: a word in braces, starting with a letter.
PLACEHOLDER = re.compile(r"\{([^\W\d_]\w{0,19})\}")


def placeholders(text: str) -> list[str]:
    """The text's placeholders, each once, in the order they first appear."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def filled(text: str, values: dict[str, str]) -> str:
    """The text with each placeholder replaced by its value, in one pass."""
    return PLACEHOLDER.sub(lambda found: values.get(found[1], found[0]), text)


def _own(turn: Turn) -> list[BroadcastTemplate]:
    return list(
        turn.session.exec(
            select(BroadcastTemplate)
            .where(BroadcastTemplate.author_id == turn.person_id())
            .order_by(col(BroadcastTemplate.name), col(BroadcastTemplate.id))
        ).all()
    )


def _own_template(turn: Turn, raw_id: object) -> BroadcastTemplate | None:
    return next((t for t in _own(turn) if str(t.id) == str(raw_id)), None)


def _shown(names: list[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in names) or "—"


def listing(turn: Turn) -> list[Reply]:
    """/templates: each saved template with its buttons, then "save a new one"."""
    if not broadcast.teacher_classes(turn):
        return not_allowed()
    conversation.clear(turn)
    saved = _own(turn)
    replies = [
        Reply(
            T(
                "templates.item",
                name=template.name,
                excerpt=template.text.strip().splitlines()[0][:80],
                placeholders=_shown(placeholders(template.text)),
            ),
            choices=(
                Choice(f"{PREFIX}use:{template.id}", T("templates.choice.use")),
                Choice(f"{PREFIX}del:{template.id}", T("templates.choice.delete")),
            ),
        )
        for template in saved
    ]
    heading = (
        T("templates.none") if not saved else T("templates.count", count=len(saved), limit=MAX_TEMPLATES)
    )
    return [*replies, Reply(heading, choices=(Choice(f"{PREFIX}new", T("templates.choice.new")),))]


def on_choice(turn: Turn) -> list[Reply]:
    action, _, argument = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    classes = broadcast.teacher_classes(turn)
    if not classes:
        return not_allowed()
    if action == "new":
        if len(_own(turn)) >= MAX_TEMPLATES:
            return [Reply(T("templates.full", limit=MAX_TEMPLATES))]
        conversation.enter(turn, FLOW_NEW, "name")
        return [Reply(T("templates.ask_name"))]
    if action == "del":
        return _delete(turn, argument)
    if action == "use":
        template = _own_template(turn, argument)
        if template is None:
            return [Reply(T("templates.gone"))]
        if len(classes) > 1:
            conversation.enter(turn, FLOW_FILL, "class", template_id=template.id)
            return [broadcast.class_question(turn, f"{PREFIX}class:")]
        return _start_filling(turn, template, classes[0])
    if action == "class":
        state = conversation.load(turn)
        klass = next((c for c in classes if str(c.id) == argument), None)
        template = _own_template(turn, state.data.get("template_id")) if state.flow == FLOW_FILL else None
        if klass is None or template is None:
            return [Reply(T("templates.expired"))]
        return _start_filling(turn, template, klass)
    return [Reply(T("common.not_understood"))]


def _delete(turn: Turn, raw_id: str) -> list[Reply]:
    template = _own_template(turn, raw_id)
    if template is None:
        return [Reply(T("templates.gone"))]  # deleted already (a second tap), or never the teacher's
    name = template.name
    turn.session.delete(template)
    audit(turn, "template.deleted", "broadcast_template", template.id)
    return [Reply(T("templates.deleted", name=name))]


# ---------------------------------------------------------------- saving a new one


def on_new(turn: Turn) -> list[Reply]:
    """The new template's name, then its text."""
    state = conversation.load(turn)
    if conversation.is_stale(turn, state.updated_at):
        conversation.clear(turn)
        return [Reply(T("templates.expired"))]
    text = turn.inbound.text.strip()
    if state.step == "name":
        name = " ".join(text.split())
        if not name or len(name) > MAX_NAME:
            return [Reply(T("templates.name_invalid", limit=MAX_NAME))]
        conversation.enter(turn, FLOW_NEW, "text", name=name)
        return [Reply(T("templates.ask_text", name=name))]
    if not text:
        return [Reply(T("templates.ask_text", name=state.data.get("name", "")))]
    if len(text) > broadcast.MAX_TEXT:
        return [Reply(T("broadcast.text_too_long", limit=broadcast.MAX_TEXT))]
    names = placeholders(text)
    if len(names) > MAX_PLACEHOLDERS:
        return [Reply(T("templates.too_many_placeholders", limit=MAX_PLACEHOLDERS))]
    return _save(turn, str(state.data.get("name", ""))[:MAX_NAME], text, names)


def _save(turn: Turn, name: str, text: str, names: list[str]) -> list[Reply]:
    template = next((t for t in _own(turn) if t.name == name), None)
    replaced = template is not None
    if template is None:
        if len(_own(turn)) >= MAX_TEMPLATES:
            conversation.clear(turn)
            return [Reply(T("templates.full", limit=MAX_TEMPLATES))]
        template = BroadcastTemplate(author_id=turn.person_id(), name=name, text=text, created_at=turn.now)
    template.text, template.updated_at = text, turn.now
    turn.session.add(template)
    turn.session.flush()
    audit(turn, "template.replaced" if replaced else "template.saved", "broadcast_template", template.id)
    conversation.clear(turn)
    said = "templates.replaced" if replaced else "templates.saved"
    return [
        Reply(
            T(said, name=name, placeholders=_shown(names)),
            choices=(Choice(f"{PREFIX}use:{template.id}", T("templates.choice.use")),),
        )
    ]


# ---------------------------------------------------------------- filling one in


def _start_filling(turn: Turn, template: BroadcastTemplate, klass: SchoolClass) -> list[Reply]:
    names = placeholders(template.text)
    if not names:
        return broadcast.with_text(turn, klass, template.text)
    conversation.enter(turn, FLOW_FILL, "fill", template_id=template.id, class_id=klass.id, values={})
    return [_ask_value(template, names, 0)]


def _ask_value(template: BroadcastTemplate, names: list[str], index: int) -> Reply:
    return Reply(
        T(
            "templates.ask_value",
            name=template.name,
            placeholder=f"{{{names[index]}}}",
            number=index + 1,
            total=len(names),
        )
    )


def on_fill(turn: Turn) -> list[Reply]:
    """A placeholder's value; after the last, the announcement goes on to its audience."""
    state = conversation.load(turn)
    if conversation.is_stale(turn, state.updated_at) or state.step != "fill":
        conversation.clear(turn)
        return [Reply(T("templates.expired"))]
    data: dict[str, Any] = dict(state.data)
    template = _own_template(turn, data.get("template_id"))
    klass = next((c for c in broadcast.teacher_classes(turn) if c.id == data.get("class_id")), None)
    if template is None or klass is None:
        conversation.clear(turn)
        return [Reply(T("templates.gone"))]
    names = placeholders(template.text)
    values = {str(k): str(v) for k, v in dict(data.get("values") or {}).items()}
    value = " ".join(turn.inbound.text.split())
    index = len(values)
    if not value or len(value) > MAX_VALUE:
        return [Reply(T("templates.value_invalid", limit=MAX_VALUE)), _ask_value(template, names, index)]
    values[names[index]] = value
    if len(values) < len(names):
        conversation.enter(turn, FLOW_FILL, "fill", **{**data, "values": values})
        return [_ask_value(template, names, len(values))]
    text = filled(template.text, values)
    if len(text) > broadcast.MAX_TEXT:
        conversation.clear(turn)
        return [Reply(T("broadcast.text_too_long", limit=broadcast.MAX_TEXT))]
    return broadcast.with_text(turn, klass, text)
