"""A pupil or parent writes in their own words: the message is stored at once, then goes to the staff
member responsible — the one the words name (a subject's tutor, the assistant for joining and
technical trouble), the only one there is, or the one the family chooses from a numbered list.

Nothing a family writes is dropped: a sticker or an empty message is answered in words; a message
written while a form is half done waits while the family chooses to go back to the form or send it;
beyond `HOURLY_LIMIT` messages an hour they are kept in the thread (the staff member hears once that
more wait) and the family is told; a message in a substitute tutor's thread once the substitution
is over goes to whoever tutors the group now, and one for someone who has left their role to the
coordinator, and the family is told that too. Out of the staff member's hours, the family is told
when the answer may come.
"""

from __future__ import annotations

from handlers import conversation
from handlers.context import Turn
from handlers.groups import local_today
from handlers.problems import report
from handlers.threads import content, deliver, drafts, forms, people, store
from handlers.threads.people import Recipient
from handlers.types import Choice, Reply
from locales import T, Text
from models.enums import Role, Topic
from models.threads import Thread, ThreadMessage

TO = "thr:to:"
NEW = "thr:new:"
FORM = "thr:form:"
LEAVE = "thr:leave:"
HOURLY_LIMIT = 10

# Words that make the choice obvious: a subject's name (its stem, in kk, ru and en) picks that
# subject's tutor; words of joining and technical trouble pick the assistant.
SUBJECT_WORDS = {
    "algebra": ("алгебр", "algebra"),
    "geometry": ("геометр", "geometr"),
    "chemistry": ("хими", "chemi"),
    "physics": ("физик", "physic"),
    "biology": ("биолог", "biolog"),
    "history_kz": ("тарих", "истори", "history"),
    "mathematics": ("математ", "math"),
    "english": ("ағылшын", "английск", "english"),
}
TECHNICAL_WORDS = (
    "интернет", "internet", "қосыл", "подключ", "connect", "сілтеме", "ссылк", "link", "zoom",
    "камера", "camera", "микрофон", "microphone", "техника", "техничес", "technical",
)  # fmt: skip
# Words of illness or trouble: the question whom also offers to report it as a problem.
PROBLEM_WORDS = (
    "ауыр", "науқас", "емхана", "болен", "болеет", "заболел", "температур", "больниц", "sick", "ill ",
    "интернет", "internet", "сынып қалды", "бұзыл", "сломал", "не работает", "broken",
)  # fmt: skip


def write(turn: Turn) -> list[Reply] | None:
    """Anything a pupil or parent writes that no command, button or conversation took."""
    if not people.may_write(turn):
        return None
    if turn.inbound.unsupported:
        return [Reply(T("threads.unsupported"))]
    if forms.open_form(turn) is not None:
        return half_done(turn)
    messages, refused = content.keep(turn, from_family=True)
    if not messages:
        return refused or [Reply(T("threads.empty"))]
    replies = route(turn, [*drafts.waiting(turn), *(m.id for m in messages if m.id)], refused)
    if turn.has_role(Role.PUPIL) and any(m.kind == "photo" for m in messages):
        return [Reply(T("threads.photo_not_homework")), *replies]  # no homework open to take it
    return replies


def route(turn: Turn, ids: list[int], refused: list[Reply] | None = None) -> list[Reply]:
    """Send the waiting messages to the obvious person, or ask whom they are for."""
    messages = store.drafts(turn.session, ids, turn.person_id())
    options = choices_for(turn)
    if not options:
        conversation.clear(turn)
        return [Reply(T("threads.nobody")), *(refused or [])]
    words = " ".join(m.text for m in messages).casefold()
    chosen = obvious(options, words)
    if chosen is not None:
        conversation.clear(turn)
        return [*send(turn, messages, chosen), *(refused or [])]
    conversation.enter(turn, drafts.FLOW_WHOM, "whom", drafts=ids)
    return [ask_whom(turn, options, words), *(refused or [])]


def choices_for(turn: Turn) -> list[Recipient]:
    found: list[Recipient] = []
    for pupil in people.writes_about(turn):
        found += people.recipients(turn.session, pupil.id or 0, local_today(turn))
    return found


def obvious(options: list[Recipient], words: str) -> Recipient | None:
    """The one recipient the words (or the family's situation) leave, or None."""
    if len(options) == 1:
        return options[0]
    tutors = [
        r for r in options if r.topic in people.TUTORING and _names(words, SUBJECT_WORDS.get(r.subject, ()))
    ]
    if len(tutors) == 1:
        return tutors[0]
    if _names(words, TECHNICAL_WORDS):
        assistants = [r for r in options if r.topic == Topic.ASSISTANT]
        if len(assistants) == 1:
            return assistants[0]
    return None


def _names(words: str, stems: tuple[str, ...]) -> bool:
    return any(stem in words for stem in stems)


def ask_whom(turn: Turn, options: list[Recipient], words: str) -> Reply:
    several = len({r.pupil_id for r in options}) > 1
    names = {p.id: p.full_name for p in people.writes_about(turn)} if several else {}
    listed = [Choice(TO + r.code, _label(r, names.get(r.pupil_id))) for r in options]
    if _names(f"{words} ", PROBLEM_WORDS):
        listed.append(Choice(report.START, T("threads.whom.problem")))
    return Reply(T("threads.ask_whom"), choices=tuple(listed))


def _label(recipient: Recipient, child: str | None) -> Text:
    label = recipient.label()
    return T("threads.whom.for_child", whom=label, child=child) if child else label


def on_whom(turn: Turn) -> list[Reply]:
    """The family chose whom their waiting messages are for."""
    code = (turn.inbound.choice or "").removeprefix(TO)
    chosen = next((r for r in choices_for(turn) if r.code == code), None)
    messages = store.drafts(turn.session, drafts.waiting(turn), turn.person_id())
    if chosen is None or not messages:
        return [Reply(T("threads.nothing_waiting"))]
    conversation.clear(turn)
    return send(turn, messages, chosen)


def send(turn: Turn, messages: list[ThreadMessage], recipient: Recipient) -> list[Reply]:
    thread = store.thread_for(turn.session, turn.person_id(), recipient, turn.now)
    return into_thread(turn, thread, messages)


def into_thread(turn: Turn, thread: Thread, messages: list[ThreadMessage]) -> list[Reply]:
    """The family's messages into their thread and on to its staff member (or whoever took the
    role over); the confirmation, and whatever else the family should know."""
    replies = handed_on(turn, thread)
    store.attach(thread, messages, turn.now)
    over = store.sent_within_hour(turn.session, turn.person_id(), turn.now) > HOURLY_LIMIT
    written = 0
    for message in messages:
        message.held = over
        if not over:
            written += deliver.to_staff(turn, thread, message)
    if over:
        deliver.held(turn, thread)
    replies.append(Reply(T(f"threads.sent.{thread.topic}", ref=thread.id)))
    if written > len(messages):
        replies.append(Reply(T("threads.sent_in_parts", count=written)))
    if over:
        replies.append(Reply(T("threads.held", limit=HOURLY_LIMIT, ref=thread.id)))
    later = deliver.out_of_hours(turn, thread.staff_id)
    if later is not None:
        replies.append(Reply(later))
    return replies


def handed_on(turn: Turn, thread: Thread) -> list[Reply]:
    """A thread whose staff member no longer holds its role goes on before the message does: a
    substitute's, once the substitution is over, to whoever tutors the group now; any other (or one
    with nobody to take it) to the coordinator. What the family is told of it."""
    today = local_today(turn)
    if people.still_responsible(turn.session, thread, today):
        return []
    taken = people.successor(turn.session, thread, today)
    if taken is not None:
        thread.staff_id, thread.topic = taken[0], taken[1].value
        return [Reply(T("threads.substitution_over", who=people.staff_label(turn.session, thread)))]
    coordinator = people.coordinator_of(turn.session, thread.school_id)
    if coordinator is None:
        return []
    thread.staff_id, thread.topic = coordinator, Topic.COORDINATOR.value
    return [Reply(T("threads.redirected"))]


def new_message(turn: Turn) -> list[Reply]:
    """The menu's "write to a teacher": the next message goes, as any would."""
    return [Reply(T("threads.write_prompt"))]


# -- a form half done --------------------------------------------------------------------------


def half_done(turn: Turn) -> list[Reply] | None:
    """Words (or a voice note) while a form waits for its answer: kept, and the family chooses.
    A form left for hours is over: the words are a message like any other."""
    if not people.may_write(turn):
        return None
    if forms.open_form(turn) is None:
        return write(turn)
    messages, refused = content.keep(turn, from_family=True)
    if not messages:
        return refused or [Reply(T("threads.empty"))]
    drafts.keep_beside_form(turn, [m.id for m in messages if m.id])
    question = Reply(
        T("threads.form_open"),
        choices=(
            Choice(FORM, T("threads.choice.back_to_form")),
            Choice(LEAVE, T("threads.choice.send_as_message")),
        ),
    )
    return [question, *refused]


def on_back_to_form(turn: Turn) -> list[Reply]:
    ask_again = forms.open_form(turn)
    state = conversation.load(turn)
    state.data = {k: v for k, v in state.data.items() if k != drafts.BESIDE_FORM}
    replies = ask_again(turn) if ask_again is not None else None
    return [Reply(T("threads.form_kept")), *(replies or [])]


def on_leave_form(turn: Turn) -> list[Reply]:
    ids = drafts.beside_form(turn)
    conversation.clear(turn)
    if not ids:
        return [Reply(T("threads.nothing_waiting"))]
    return [Reply(T("threads.form_left")), *route(turn, ids)]
