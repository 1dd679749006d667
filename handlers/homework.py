"""Homework: a tutor sets it for one of their groups (/homework); a pupil hands it in as photos.

Setting: group → task text (optionally with a photo or file) → due date and time (Almaty time) →
how it is graded (formative 1–10, summative with points, no grade) → maximum points for summative →
a summary to confirm. On confirm the homework is stored and every pupil of the group gets a
notification through the outbox (pupils without consent are skipped by the consent gate).

Handing in: each photo is checked and stored as our own normalised JPEG first, then attached to the
pupil's current submission for the homework it belongs to: the only open one, the one chosen when
several are open (photos wait, stored, in the conversation state until the answer), or the one the
previous photos went to when they come as one album or within a short window. The pupil gets a
receipt at once. /replace (or the receipt's button) sets a submission aside before review.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers import conversation
from handlers.context import Turn
from handlers.grades import parse_max_points
from handlers.photos import PhotoRejected, StoredPhoto, normalise_upload, store
from handlers.types import Choice, Reply, Upload
from locales import N, T, Text
from locales.shorten import headline
from models.clock import to_local, to_utc
from models.consent_rules import has_consent
from models.enums import HomeworkKind, Role, SubmissionStatus
from models.homework import Homework, Submission, SubmissionPage
from models.journal import AuditLog
from models.notify import cancel, enqueue, homework_key_prefix
from models.school import GroupMember, TutoringGroup

log = logging.getLogger(__name__)

PREFIX = "hw:"
FLOW_SET = "hw_set"
FLOW_PICK = "hw_pick"
FLOW_SUBMIT = "hw_submit"
TITLE_CHARS = 40
MAX_TEXT = 4000
GRADING = ("formative", "summative", "none")
LATE_DAYS = 14  # late work is accepted this long after the deadline
FLOW_TIMEOUT = timedelta(hours=6)


# ---------------------------------------------------------------- shared with the review


def title_of(homework: Homework) -> str:
    return headline(homework.text, TITLE_CHARS)


def subject_text(group: TutoringGroup) -> Text:
    return T(f"subject.{group.subject}")


def local_time(turn: Turn, moment: datetime) -> datetime:
    return to_local(moment, turn.config.time_zone)


def due_text(turn: Turn, homework: Homework) -> str:
    return local_time(turn, homework.due_at).strftime("%d.%m %H:%M")


def tutor_groups(turn: Turn) -> list[TutoringGroup]:
    if turn.person is None or turn.person.id is None:
        return []
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(TutoringGroup.tutor_id == turn.person.id)
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def audit(turn: Turn, action: str, entity: str, entity_id: int | None, **detail: Any) -> None:
    turn.session.add(
        AuditLog(
            actor_id=turn.person.id if turn.person else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def is_stale(turn: Turn, updated_at: datetime) -> bool:
    """A question left unanswered this long no longer takes the next message as its answer."""
    return turn.now - updated_at > FLOW_TIMEOUT


def not_allowed() -> list[Reply]:
    return [Reply(T("common.not_allowed"))]


def store_uploads(
    turn: Turn, uploads: tuple[Upload, ...], folder: str
) -> tuple[list[StoredPhoto], list[Reply]]:
    """Check and store each upload; the stored pages and a reply for each one refused."""
    stored: list[StoredPhoto] = []
    refused: list[Reply] = []
    limit = turn.config.max_photo_bytes
    for upload in uploads:
        try:
            jpeg, width, height = normalise_upload(
                upload, max_bytes=limit, max_pixels=turn.config.max_photo_pixels
            )
            stored.append(store(jpeg, turn.config.media_dir / folder, width, height))
        except PhotoRejected as rejected:
            log.info(
                "upload refused: %s (person %s)", rejected.reason, turn.person.id if turn.person else None
            )
            refused.append(_refusal(turn, rejected.reason))
    return stored, refused


def _refusal(turn: Turn, reason: str) -> Reply:
    if reason == "too_big":
        return Reply(T("homework.photo.too_big", limit=turn.config.max_photo_bytes // (1024 * 1024)))
    if reason == "too_many_pixels":
        return Reply(T("homework.photo.too_many_pixels"))
    if reason == "broken":
        return Reply(T("homework.photo.broken"))
    return Reply(T("homework.photo.not_image"))


# ---------------------------------------------------------------- routing


def route(turn: Turn, command: str) -> list[Reply] | None:
    """The homework turns, or None when this turn is not about homework."""
    inbound = turn.inbound
    choice = inbound.choice or ""
    if command == "/homework":
        return start(turn)
    if choice.startswith(PREFIX):
        return _on_choice(turn, choice.removeprefix(PREFIX))
    if command == "/replace":
        return replace_submission(turn, None)
    state = conversation.load(turn)
    if state.flow == FLOW_SET and not command and (inbound.text.strip() or inbound.uploads):
        if is_stale(turn, state.updated_at):
            conversation.clear(turn)
            return [Reply(T("homework.expired"))]
        return _set_step(turn, state.step, dict(state.data))
    if inbound.uploads:
        return submit(turn)
    if state.flow == FLOW_PICK and not command and inbound.text.strip() and _is_ready_pupil(turn):
        return [_pick_question(turn, list(state.data.get("pending") or []))]
    return None


def _on_choice(turn: Turn, value: str) -> list[Reply] | None:
    action, _, argument = value.partition(":")
    if action == "group":
        return _choose_group(turn, argument)
    if action == "kind":
        return _choose_grading(turn, argument)
    if action == "confirm":
        return _confirm(turn, argument == "yes")
    if action == "pick":
        return _pick(turn, argument)
    if action == "replace":
        return replace_submission(turn, argument)
    return [Reply(T("common.not_understood"))]


# ---------------------------------------------------------------- setting homework (tutor)


def tutors_only(turn: Turn, action: str) -> list[Reply]:
    """Why a command of the tutor's is refused: not a tutor, or a tutor with no group yet."""
    if turn.has_role(Role.TUTOR):
        return [Reply(T("homework.no_groups"))]
    return [Reply(T(f"{action}.only_tutor"))]


def start(turn: Turn) -> list[Reply]:
    groups = tutor_groups(turn)
    if not groups:
        return tutors_only(turn, "homework")
    conversation.enter(turn, FLOW_SET, "group")
    return [
        Reply(
            T("homework.ask_group"),
            choices=tuple(
                Choice(
                    f"{PREFIX}group:{g.id}", T("homework.choice.group", group=g.code, subject=subject_text(g))
                )
                for g in groups
            ),
        )
    ]


def _own_group(turn: Turn, raw_id: object) -> TutoringGroup | None:
    if turn.person is None or not str(raw_id).isdigit():
        return None
    group = turn.session.get(TutoringGroup, int(str(raw_id)))
    if group is None or group.tutor_id is None or group.tutor_id != turn.person.id:
        return None
    return group


def _choose_group(turn: Turn, raw_id: str) -> list[Reply]:
    group = _own_group(turn, raw_id)
    if group is None:
        return not_allowed()
    conversation.enter(turn, FLOW_SET, "text", group_id=group.id)
    return [Reply(T("homework.ask_text", group=group.code, subject=subject_text(group)))]


def _set_step(turn: Turn, step: str, data: dict[str, Any]) -> list[Reply]:
    if step == "group":
        return start(turn)
    group = _own_group(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    text = turn.inbound.text.strip()
    data.pop("offered", None)
    if step == "text":
        return _set_text(turn, data, text)
    if turn.inbound.uploads:
        return _late_attachment(turn, group, step, data)
    if step == "due":
        return _set_due(turn, data, text)
    if step == "max":
        max_points = parse_max_points(text)
        if max_points is None:
            return [Reply(T("homework.max_invalid"))]
        data["max_points"] = max_points
        return _summary(turn, group, data)
    if step == "confirm":
        return _summary(turn, group, data)
    return [_grading_question()]


def _set_text(turn: Turn, data: dict[str, Any], text: str) -> list[Reply]:
    refused: list[Reply] = []
    if turn.inbound.uploads:
        path, refused = _store_attachment(turn, turn.inbound.uploads[0])
        if path is not None:
            data["attachment"] = path
    if not text:
        conversation.enter(turn, FLOW_SET, "text", **data)
        if refused:
            return refused
        return [Reply(T("homework.attachment_kept"))]
    if len(text) > MAX_TEXT:
        conversation.enter(turn, FLOW_SET, "text", **data)
        return [Reply(T("homework.text_too_long", limit=MAX_TEXT))]
    data["text"] = text
    conversation.enter(turn, FLOW_SET, "due", **data)
    return [*refused, Reply(T("homework.ask_due"))]


def _late_attachment(turn: Turn, group: TutoringGroup, step: str, data: dict[str, Any]) -> list[Reply]:
    """A file sent after the task text is attached too, and the current question asked again."""
    path, refused = _store_attachment(turn, turn.inbound.uploads[0])
    if path is None:
        return refused
    data["attachment"] = path
    if step == "confirm":
        return _summary(turn, group, data)
    conversation.enter(turn, FLOW_SET, step, **data)
    question = {"due": Reply(T("homework.ask_due")), "max": Reply(T("homework.ask_max"))}
    return [Reply(T("homework.attachment_added")), question.get(step) or _grading_question()]


def _store_attachment(turn: Turn, upload: Upload) -> tuple[str | None, list[Reply]]:
    """A photo goes through the photo pipeline; another file (a worksheet) is kept as it is."""
    if upload.content_type.startswith("image/") or not upload.as_document:
        stored, refused = store_uploads(turn, (upload,), "homework")
        return (str(stored[0].path) if stored else None), refused
    limit = turn.config.max_photo_bytes
    if upload.size > limit or len(upload.data) > limit or not upload.data:
        return None, [_refusal(turn, "too_big" if upload.data or upload.size else "broken")]
    digest = hashlib.sha256(upload.data).hexdigest()
    suffix = Path(upload.filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"
    path = turn.config.media_dir / "homework" / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(upload.data)
        part.replace(path)
    return str(path), []


def _set_due(turn: Turn, data: dict[str, Any], text: str) -> list[Reply]:
    local_now = local_time(turn, turn.now).replace(tzinfo=None)
    due_local = parse_due(text, local_now)
    if due_local is None:
        return [Reply(T("homework.due_invalid"))]
    if due_local <= local_now:
        return [Reply(T("homework.due_past"))]
    data["due"] = to_utc(due_local, turn.config.time_zone).isoformat()
    conversation.enter(turn, FLOW_SET, "kind", **data)
    return [_grading_question()]


def _grading_question() -> Reply:
    return Reply(
        T("homework.ask_grading"),
        choices=(
            Choice(f"{PREFIX}kind:formative", T("homework.choice.formative")),
            Choice(f"{PREFIX}kind:summative", T("homework.choice.summative")),
            Choice(f"{PREFIX}kind:none", T("homework.choice.no_grade")),
        ),
    )


def _set_flow_data(turn: Turn, *steps: str) -> dict[str, Any] | None:
    state = conversation.load(turn)
    if state.flow != FLOW_SET or state.step not in steps:
        return None
    data = dict(state.data)
    data.pop("offered", None)
    return data


def _choose_grading(turn: Turn, grading: str) -> list[Reply]:
    data = _set_flow_data(turn, "kind", "confirm")
    if not tutor_groups(turn):
        return not_allowed()
    if data is None:
        return [Reply(T("homework.expired"))]
    group = _own_group(turn, data.get("group_id"))
    if group is None:
        conversation.clear(turn)
        return not_allowed()
    if grading not in GRADING:
        return [_grading_question()]
    data["grading"] = grading
    data.pop("max_points", None)
    if grading == "summative":
        conversation.enter(turn, FLOW_SET, "max", **data)
        return [Reply(T("homework.ask_max"))]
    return _summary(turn, group, data)


def _grading_text(data: dict[str, Any]) -> Text:
    if data.get("grading") == "summative":
        return N("homework.grading.summative", "max", max=data.get("max_points"))
    if data.get("grading") == "formative":
        return T("homework.grading.formative")
    return T("homework.grading.none")


def _summary(turn: Turn, group: TutoringGroup, data: dict[str, Any]) -> list[Reply]:
    conversation.enter(turn, FLOW_SET, "confirm", **data)
    due = local_time(turn, datetime.fromisoformat(data["due"])).strftime("%d.%m.%Y %H:%M")
    attachment = (
        T("homework.summary.attachment") if data.get("attachment") else T("homework.summary.no_attachment")
    )
    return [
        Reply(
            T(
                "homework.summary",
                group=group.code,
                subject=subject_text(group),
                text=data.get("text", ""),
                due=due,
                grading=_grading_text(data),
                attachment=attachment,
            ),
            choices=(
                Choice(f"{PREFIX}confirm:yes", T("homework.choice.confirm")),
                Choice(f"{PREFIX}confirm:no", T("homework.choice.cancel")),
            ),
        )
    ]


def _confirm(turn: Turn, yes: bool) -> list[Reply]:
    if not tutor_groups(turn):
        return not_allowed()
    data = _set_flow_data(turn, "confirm")
    if data is None:
        return [Reply(T("homework.expired"))]
    group = _own_group(turn, data.get("group_id"))
    if group is None or group.id is None or turn.person is None:
        conversation.clear(turn)
        return not_allowed()
    conversation.clear(turn)
    if not yes:
        return [Reply(T("homework.cancelled"))]
    grading = data.get("grading", "none")
    homework = Homework(
        group_id=group.id,
        tutor_id=turn.person.id,
        text=str(data.get("text", "")),
        attachment_path=data.get("attachment"),
        kind=HomeworkKind.SUMMATIVE if grading == "summative" else HomeworkKind.FORMATIVE,
        scored=grading != "none",
        max_points=data.get("max_points") if grading == "summative" else None,
        due_at=datetime.fromisoformat(data["due"]),
        created_at=turn.now,
    )
    turn.session.add(homework)
    turn.session.flush()
    assert homework.id is not None
    pupils = list(
        turn.session.exec(
            select(GroupMember.pupil_id)
            .where(GroupMember.group_id == group.id)
            .order_by(col(GroupMember.pupil_id))
        ).all()
    )
    notified = 0
    for pupil_id in pupils:
        row = enqueue(
            turn.session,
            kind="homework.new",
            text=T(
                "homework.notify.new",
                subject=subject_text(group),
                text=homework.text,
                due=due_text(turn, homework),
                grading=_grading_text(data),
            ),
            idempotency_key=f"homework-new:{homework.id}:{pupil_id}:",
            person_id=pupil_id,
            media_path=homework.attachment_path,
        )
        notified += row is not None
    audit(turn, "homework.created", "homework", homework.id, group_id=group.id, notified=notified)
    log.info(
        "homework %s set for group %s by %s; %s pupils notified",
        homework.id,
        group.id,
        turn.person.id,
        notified,
    )
    return [Reply(T("homework.created", group=group.code, notified=notified, total=len(pupils)))]


_DAY_WORDS = {
    "бүгін": 0,
    "сегодня": 0,
    "today": 0,
    "ертең": 1,
    "ертен": 1,
    "завтра": 1,
    "tomorrow": 1,
    "бүрсігүні": 2,
    "послезавтра": 2,
}
_TIME = r"(?:\s+(?:в\s+|at\s+|сағат\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2}))?"
_DOTTED = re.compile(r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})(?:\.(?P<y>\d{4}))?" + _TIME)
_ISO = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})" + _TIME.replace(r"\s+", r"[\sT]+", 1))
_WORD = re.compile(r"(?P<w>[^\W\d_]+)" + _TIME)


def parse_due(text: str, local_now: datetime) -> datetime | None:
    """A due moment typed by a tutor, as naive local (Almaty) time; None if not understood.

    "25.11 18:00", "25.11.2026 18:00", "2026-11-25 18:00", "ертең 18:00" / "завтра 18:00" /
    "tomorrow 18:00". Without a time, the end of that day (23:59). A day and month without a year
    that has passed this year means next year.
    """
    typed = " ".join(text.casefold().split())
    try:
        if found := _ISO.fullmatch(typed):
            day = datetime(int(found["y"]), int(found["mo"]), int(found["d"]))
        elif found := _DOTTED.fullmatch(typed):
            year = int(found["y"]) if found["y"] else local_now.year
            day = datetime(year, int(found["mo"]), int(found["d"]))
            if not found["y"] and day.date() < local_now.date():
                day = day.replace(year=year + 1)
        elif (found := _WORD.fullmatch(typed)) and found["w"] in _DAY_WORDS:
            day = datetime.combine(local_now.date(), datetime.min.time()) + timedelta(
                days=_DAY_WORDS[found["w"]]
            )
        else:
            return None
        if found["h"] is None:
            return day.replace(hour=23, minute=59)
        return day.replace(hour=int(found["h"]), minute=int(found["mi"]))
    except ValueError:
        return None


# ---------------------------------------------------------------- handing in (pupil)

# A pupil's photo runs these on every page: built once, with the values bound per turn.
_GROUPS_OF = select(GroupMember.group_id).where(GroupMember.pupil_id == bindparam("pupil"))
_MINE = select(Submission.homework_id).where(Submission.pupil_id == bindparam("pupil"))
_OPEN_HOMEWORK = (
    select(Homework)
    .where(
        col(Homework.group_id).in_(bindparam("groups", expanding=True)),
        col(Homework.id).not_in(_MINE.where(Submission.status == SubmissionStatus.GRADED)),
        (col(Homework.due_at) > bindparam("since"))
        | col(Homework.id).in_(_MINE.where(Submission.status == SubmissionStatus.RETURNED)),
    )
    .order_by(col(Homework.due_at), col(Homework.id))
)
_SUBMITTED = (
    select(Submission)
    .where(
        Submission.homework_id == bindparam("homework"),
        Submission.pupil_id == bindparam("pupil"),
        Submission.status == SubmissionStatus.SUBMITTED,
    )
    .order_by(col(Submission.id).desc())
)
_PAGES = select(SubmissionPage.number, SubmissionPage.sha256).where(
    SubmissionPage.submission_id == bindparam("submission")
)


def _pupil_group_ids(turn: Turn) -> list[int]:
    if turn.person is None or turn.person.id is None:
        return []
    if turn.group_ids is None:
        turn.group_ids = list(turn.session.exec(_GROUPS_OF, params={"pupil": turn.person.id}).all())
    return turn.group_ids


def _is_ready_pupil(turn: Turn) -> bool:
    """A pupil of some group with consent in force; the router answers those without consent."""
    return bool(
        turn.person is not None
        and turn.person.id is not None
        and _pupil_group_ids(turn)
        and has_consent(turn.session, turn.person.id)
    )


def open_homeworks(turn: Turn) -> list[Homework]:
    """Homework of the pupil's groups not yet graded for them, earliest due first.

    Late work is accepted for LATE_DAYS after the deadline, and work returned for a redo until it is
    graded, so old homework does not crowd the question "which homework is this for?" for ever.
    """
    assert turn.person is not None
    groups = _pupil_group_ids(turn)
    if not groups:
        return []
    since = turn.now - timedelta(days=LATE_DAYS)
    params = {"groups": groups, "pupil": turn.person.id, "since": since}
    return list(turn.session.exec(_OPEN_HOMEWORK, params=params).all())


def submit(turn: Turn) -> list[Reply] | None:
    if not _is_ready_pupil(turn):
        return None
    stored, refused = store_uploads(turn, turn.inbound.uploads, "pages")
    if not stored:
        return refused
    state = conversation.load(turn)
    album = turn.inbound.album_id
    if state.flow == FLOW_PICK and not is_stale(turn, state.updated_at):
        pending = [*list(state.data.get("pending") or []), *(_photo_json(p) for p in stored)]
        if album and album == state.data.get("album"):
            # The rest of an album whose question is already asked (and its choices stay offered).
            offered = state.data.get("offered") or []
            conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album, offered=offered)
            return refused
        conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album)
        return [_pick_question(turn, pending), *refused]
    open_ = open_homeworks(turn)
    if not open_:
        return [Reply(T("homework.no_open")), *refused]
    homework = _continuing(turn, dict(state.data) if state.flow == FLOW_SUBMIT else {}, open_)
    if homework is None and len(open_) == 1:
        homework = open_[0]
    if homework is None:
        pending = [_photo_json(p) for p in stored]
        conversation.enter(turn, FLOW_PICK, "choose", pending=pending, album=album)
        return [_pick_question(turn, pending), *refused]
    return [_attach(turn, homework, stored), *refused]


def _continuing(turn: Turn, data: dict[str, Any], open_: list[Homework]) -> Homework | None:
    """The homework the previous photos went to, when these are of the same album or close in time."""
    homework = next((h for h in open_ if h.id == data.get("homework_id")), None)
    if homework is None:
        return None
    album = turn.inbound.album_id
    same_album = bool(album) and album == data.get("album")
    at = data.get("at")
    recent = bool(at) and turn.now - datetime.fromisoformat(str(at)) <= turn.config.album_window
    return homework if same_album or recent else None


def _photo_json(photo: StoredPhoto) -> dict[str, Any]:
    return {
        "path": str(photo.path),
        "sha256": photo.sha256,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
    }


def _photo_from_json(item: dict[str, Any]) -> StoredPhoto:
    return StoredPhoto(
        path=Path(str(item["path"])),
        sha256=str(item["sha256"]),
        size=int(item["size"]),
        width=int(item["width"]),
        height=int(item["height"]),
    )


def _pick_question(turn: Turn, pending: list[Any]) -> Reply:
    choices = []
    for homework in open_homeworks(turn):
        group = turn.session.get(TutoringGroup, homework.group_id)
        assert group is not None
        label = T(
            "homework.choice.homework",
            subject=subject_text(group),
            title=title_of(homework),
            due=due_text(turn, homework),
        )
        choices.append(Choice(f"{PREFIX}pick:{homework.id}", label))
    if not choices:  # everything was graded or closed meanwhile: nothing to ask about
        conversation.clear(turn)
        return Reply(T("homework.no_open"))
    return Reply(T("homework.ask_which", pages=len(pending)), choices=tuple(choices))


def _pick(turn: Turn, raw_id: str) -> list[Reply] | None:
    if not _is_ready_pupil(turn):
        return None if turn.person is not None and _pupil_group_ids(turn) else not_allowed()
    homework = next((h for h in open_homeworks(turn) if str(h.id) == raw_id), None)
    if homework is None:
        return not_allowed()
    state = conversation.load(turn)
    pending = list(state.data.get("pending") or []) if state.flow == FLOW_PICK else []
    if not pending:
        return [Reply(T("homework.expired"))]
    return [_attach(turn, homework, [_photo_from_json(item) for item in pending])]


def current_submission(turn: Turn, homework_id: int, pupil_id: int) -> Submission | None:
    return turn.session.exec(_SUBMITTED, params={"homework": homework_id, "pupil": pupil_id}).first()


def _attach(turn: Turn, homework: Homework, photos: list[StoredPhoto]) -> Reply:
    assert turn.person is not None and turn.person.id is not None and homework.id is not None
    late = turn.now > homework.due_at
    submission = current_submission(turn, homework.id, turn.person.id)
    if submission is None:
        submission = Submission(
            homework_id=homework.id,
            pupil_id=turn.person.id,
            status=SubmissionStatus.SUBMITTED,
            submitted_at=turn.now,
            late=late,
            channel=turn.identity.channel,
        )
        turn.session.add(submission)
        turn.session.flush()
    elif late and not submission.late:
        submission.late = True
        turn.session.add(submission)
    assert submission.id is not None
    kept = turn.session.exec(_PAGES, params={"submission": submission.id}).all()
    number = max((page_number for page_number, _ in kept), default=0)
    # The same page sent twice (a double tap, a forwarded copy) is kept once.
    seen = {sha256 for _, sha256 in kept}
    for photo in photos:
        if photo.sha256 in seen:
            continue
        seen.add(photo.sha256)
        number += 1
        turn.session.add(
            SubmissionPage(
                submission_id=submission.id,
                number=number,
                path=str(photo.path),
                sha256=photo.sha256,
                size=photo.size,
                width=photo.width,
                height=photo.height,
            )
        )
    turn.session.flush()
    cancel(turn.session, homework_key_prefix(homework.id, turn.person.id))
    conversation.enter(
        turn,
        FLOW_SUBMIT,
        "pages",
        homework_id=homework.id,
        submission_id=submission.id,
        album=turn.inbound.album_id,
        at=turn.now.isoformat(),
    )
    log.info("submission %s: %s page(s) added, %s in all", submission.id, len(photos), number)
    params = {
        "title": title_of(homework),
        "pages": number,
        "time": local_time(turn, turn.now).strftime("%H:%M"),
        "hash": ", ".join(photo.sha256[:8] for photo in photos),
    }
    text = T("homework.receipt_late", **params) if submission.late else T("homework.receipt", **params)
    return Reply(text, choices=(Choice(f"{PREFIX}replace:{submission.id}", T("homework.choice.replace")),))


def replace_submission(turn: Turn, raw_id: str | None) -> list[Reply] | None:
    """Set the pupil's submission aside before review: the next photos start a new one."""
    if turn.person is None or not _pupil_group_ids(turn):
        return not_allowed()
    if not _is_ready_pupil(turn):
        return None
    if raw_id is None:
        submission = turn.session.exec(
            select(Submission)
            .where(Submission.pupil_id == turn.person.id, Submission.status == SubmissionStatus.SUBMITTED)
            .order_by(col(Submission.submitted_at).desc(), col(Submission.id).desc())
        ).first()
        if submission is None:
            return [Reply(T("homework.nothing_to_replace"))]
    else:
        found = turn.session.get(Submission, int(raw_id)) if raw_id.isdigit() else None
        if found is None or found.pupil_id != turn.person.id:
            return not_allowed()
        submission = found
    if submission.status != SubmissionStatus.SUBMITTED:
        return [Reply(T("homework.replace_too_late"))]
    submission.status = SubmissionStatus.REPLACED
    turn.session.add(submission)
    homework = turn.session.get(Homework, submission.homework_id)
    assert homework is not None
    conversation.enter(
        turn,
        FLOW_SUBMIT,
        "pages",
        homework_id=homework.id,
        submission_id=None,
        album=None,
        at=turn.now.isoformat(),
    )
    audit(turn, "submission.replaced", "submission", submission.id, homework_id=homework.id)
    return [Reply(T("homework.replaced", title=title_of(homework)))]
