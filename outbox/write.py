"""Writing and withdrawing outbox rows: handlers and scheduler jobs call `enqueue` in the same
transaction as the change that caused the message, so a message exists if and only if the change
committed; `cancel`, `cancel_about_pupil` and `follow_group_chat` change rows not yet taken.

* The idempotency key collapses repeats: a second `enqueue` with the same key (a re-derived reminder,
  a retried handler, a concurrent writer) returns the existing row and writes nothing. The insert is
  ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` on both SQLite and PostgreSQL, so two writers
  racing on one key never fail and never duplicate.
* The consent gate (`models.consent_rules`) runs first: a message to a pupil without current consent,
  or to a guardian about such a pupil, is not written and `enqueue` returns None.
* A parent who takes the weekly digest instead of per-event messages (`models.news_rules`) gets no
  row of the kinds the digest sums up: `enqueue` returns None for those too.
* The text is stored as its key and parameters and rendered in the recipient's language, for the
  channel it goes out on, at send time. A parameter may itself be a `Text` (say, a subject name); it
  is stored as ``{"$t": key, "$p": params}``, and `Lines` (a list shown one per line, such as a
  weekly digest's) as ``{"$l": [texts]}``. A plural entry's count parameter is stored under
  ``"$n"`` (beside the parameters of the row, or in the nested value); a list of names, sorted for
  the reader when rendered (`locales.collation.Names`), as ``{"$names": [...]}``; a person's text
  with versions in other languages (`locales.versions.Versions`) as ``{"$versions": {lang: text},
  "original": lang, "note": key}``.

Keys are built from ids only, with ``:`` after every part, so a prefix (`cancel`) never matches a
longer id: ``lesson:12:2025-03-03:`` does not match ``lesson:123:…``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from locales import Lines, Text
from locales.collation import Names
from locales.formats import Number
from locales.versions import Versions
from models.clock import utcnow
from models.consent_rules import reachable
from models.dialects import insert_for
from models.enums import NotificationStatus
from models.news_rules import wants_event
from models.outbox import Notification
from models.people import Membership

_TEXT = "$t"
_PARAMS = "$p"
_LINES = "$l"
_COUNT = "$n"
_NAMES = "$names"
_VERSIONS = "$versions"
_NUMBER = "$num"


_WROTE_OUTBOX = "ustaz_wrote_outbox"


def params_to_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """Text parameters as JSON: nested `Text` values become ``{"$t": key, "$p": {...}}``, `Lines`
    ``{"$l": [...]}``, a `Number` (written in the reader's language when sent) ``{"$num": 77.5}``."""
    return {name: _value_to_json(value) for name, value in params.items()}


def _value_to_json(value: Any) -> Any:
    if isinstance(value, Text):
        return {_TEXT: value.key, _PARAMS: params_to_json(value.params)} | _count_json(value)
    if isinstance(value, Lines):
        return {_LINES: [_value_to_json(text) for text in value.texts]}
    if isinstance(value, Names):
        return {_NAMES: list(value.names)}
    if isinstance(value, Versions):
        return {_VERSIONS: dict(value.texts), "original": value.original, "note": value.note}
    if isinstance(value, Number):
        return {_NUMBER: value.value}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _count_json(text: Text) -> dict[str, str]:
    return {_COUNT: text.count} if text.count else {}


def params_from_json(params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _value_from_json(value) for name, value in params.items() if name != _COUNT}


def _value_from_json(value: Any) -> Any:
    if isinstance(value, dict) and _TEXT in value:
        return Text(str(value[_TEXT]), params_from_json(value.get(_PARAMS) or {}), str(value.get(_COUNT, "")))
    if isinstance(value, dict) and _LINES in value:
        return Lines(tuple(_value_from_json(text) for text in value[_LINES]))
    if isinstance(value, dict) and _NAMES in value:
        return Names(tuple(str(name) for name in value[_NAMES]))
    if isinstance(value, dict) and _VERSIONS in value:
        texts = {str(lang): str(text) for lang, text in value[_VERSIONS].items()}
        return Versions(texts, str(value.get("original", "")), str(value.get("note", "")))
    if isinstance(value, dict) and _NUMBER in value:
        return Number(value[_NUMBER])
    return value


def stored_text(notification: Notification) -> Text:
    """The notification's message as a `Text`, ready for `render(locale, channel)`."""
    return text_of(notification.key, notification.params or {})


def text_of(key: str, params: Mapping[str, Any]) -> Text:
    """A stored message, its key and its params as stored (JSON), as a `Text`."""
    return Text(key, params_from_json(params), str(params.get(_COUNT, "")))


def enqueue(
    session: Session,
    *,
    kind: str,
    text: Text,
    idempotency_key: str,
    person_id: int | None = None,
    group_chat_id: int | None = None,
    about_pupil_id: int | None = None,
    due_at: datetime | None = None,
    urgent: bool = False,
    media_path: str | None = None,
    broadcast_id: int | None = None,
) -> Notification | None:
    """Write one outbox row (or find the one already written under `idempotency_key`).

    Exactly one of `person_id` and `group_chat_id`. `about_pupil_id` names the pupil a message to a
    guardian concerns, for the consent gate. Returns None when the consent gate refuses, or when the
    person reads this kind in the weekly digest instead.
    """
    if (person_id is None) == (group_chat_id is None):
        raise ValueError("enqueue needs exactly one of person_id and group_chat_id")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("idempotency_key must be 1–200 characters")
    if person_id is not None and not reachable(session, person_id, kind=kind, about_pupil_id=about_pupil_id):
        return None
    if person_id is not None and not wants_event(session, person_id, kind):
        return None
    now = utcnow()
    values: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "person_id": person_id,
        "group_chat_id": group_chat_id,
        "about_pupil_id": about_pupil_id,
        "kind": kind,
        "key": text.key,
        "params": params_to_json(text.params) | _count_json(text),
        "media_path": media_path,
        "urgent": urgent,
        "status": NotificationStatus.PENDING.value,
        "due_at": due_at or now,
        "attempts": 0,
        "broadcast_id": broadcast_id,
        "created_at": now,
    }
    insert = insert_for(session)
    statement = (
        insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    session.execute(statement)
    session.info[_WROTE_OUTBOX] = True
    return session.exec(select(Notification).where(Notification.idempotency_key == idempotency_key)).one()


def wrote_outbox(session: Session) -> bool:
    """Whether this session has written outbox rows (so the dispatcher is worth waking)."""
    return bool(session.info.get(_WROTE_OUTBOX))


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


# A pupil's every photo withdraws the reminders of that homework: built once.
_CANCEL = (
    update(Notification)
    .where(
        col(Notification.status) == NotificationStatus.PENDING.value,
        col(Notification.idempotency_key).like(bindparam("pattern"), escape="\\"),
    )
    .values(status=NotificationStatus.CANCELLED.value, last_error="withdrawn")
    .execution_options(synchronize_session=False)
)


def cancel(session: Session, idempotency_key_prefix: str, *, keep_prefix: str | None = None) -> int:
    """Withdraw pending notifications whose key starts with the prefix; returns how many.

    Rows already being sent or sent are left alone. `keep_prefix` spares a sub-family (the current
    version of a moved lesson's reminders while older versions are withdrawn).
    """
    if not idempotency_key_prefix:
        raise ValueError("cancel needs a non-empty prefix")
    params = {"pattern": _like_prefix(idempotency_key_prefix)}
    statement = _CANCEL
    if keep_prefix:
        statement = statement.where(~col(Notification.idempotency_key).like(bindparam("kept"), escape="\\"))
        params["kept"] = _like_prefix(keep_prefix)
    result = session.execute(statement, params)
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_about_pupil(session: Session, pupil_id: int) -> int:
    """Withdraw every pending message to or about a pupil (consent withdrawn); returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            (col(Notification.person_id) == pupil_id) | (col(Notification.about_pupil_id) == pupil_id),
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
        .values(status=NotificationStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# A row that never reached its person and may go again once they can be reached.
UNDELIVERED = (NotificationStatus.NO_CHANNEL.value, NotificationStatus.CANCELLED.value)


def send_again(session: Session, notification: Notification, due_at: datetime) -> bool:
    """Send an undelivered row again: one that found no channel (the person had not joined) or was
    withdrawn (consent was not in force). Its key stays, so it still goes at most once from here;
    returns False when the row was delivered or is under way. The caller decides that the message
    still matters (the homework is still open)."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification.id, col(Notification.status).in_(UNDELIVERED))
        .values(
            status=NotificationStatus.PENDING.value,
            due_at=due_at,
            next_attempt_at=None,
            attempts=0,
            channel=None,
            identity_id=None,
            claimed_by=None,
            claimed_at=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    resent = bool(getattr(result, "rowcount", 0))
    if resent:
        session.info[_WROTE_OUTBOX] = True
    return resent


def follow_group_chat(session: Session, old_chat_id: int, new_chat_id: int) -> int:
    """Pending messages to a group chat that got a new id (upgraded to a supergroup) go to the new
    one; returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            col(Notification.group_chat_id) == old_chat_id,
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
        .values(group_chat_id=new_chat_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unreached(session: Session, *, class_id: int | None = None) -> list[Notification]:
    """The class teacher's "reach by phone or paper" list: notifications no channel could carry.

    With `class_id`, only those to people with a membership in that class (pupils; guardians are
    matched through the membership the roster gives them, if any).
    """
    statement = select(Notification).where(Notification.status == NotificationStatus.NO_CHANNEL.value)
    if class_id is not None:
        members = select(Membership.person_id).where(Membership.class_id == class_id)
        statement = statement.where(col(Notification.person_id).in_(members))
    return list(session.exec(statement.order_by(col(Notification.due_at), col(Notification.id))).all())


def lesson_key_prefix(lesson_id: int, on_date: date) -> str:
    """Every reminder of one lesson occurrence (for `cancel` when it is moved or cancelled)."""
    return f"lesson:{lesson_id}:{on_date.isoformat()}:"


def homework_key_prefix(homework_id: int, pupil_id: int) -> str:
    """A pupil's pending deadline reminders for one homework (for `cancel` once they submit)."""
    return f"homework:{homework_id}:{pupil_id}:"
