"""A pupil's and a parent's own record: /homework, /timetable, /grades and /attendance (the menu's
numbered choices and plain words such as «бағалар», «оценки», «grades» open them too).

A pupil sees their own, once a parent's consent is in force (until then they hear that a parent
must agree first, as for anything they write). A parent sees each of their own children, chosen
when there are several; a child without consent shows nothing but that. Each view is a short page
that fits a phone screen, with a "more" choice for the next one:

* homework — a pupil: to do, returned for redo, under review and graded (deadlines, the late flag,
  the tutor's comment and score); a parent: what is due, what is late, what waits for the tutor;
* timetable — the lessons of the next two weeks with their links, cancelled and moved ones marked
  (a lesson on a holiday too); after its last page, "next two weeks", on to the end of the academic
  year, where it says when the year ends (`handlers.timetable_weeks`);
* grades — each graded work, newest first, with the 5-point mark or the formative score;
* attendance — the marks of the last two months, newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from assessment.texts import lines_so_far
from handlers.consent import pupil_waits_for_parent
from handlers.context import Turn
from handlers.family import children_of
from handlers.refusals import not_allowed
from handlers.timetable_weeks import Fortnight, fortnight, pupil_groups
from handlers.types import Choice, Reply
from locales import Lines, T, Text
from models.clock import to_local
from models.consent_rules import has_consent
from models.enums import Role
from models.people import Person
from models.store import stored_id
from record import lines
from record.attendance import marks
from record.occurrences import between
from record.work import ORDER, State, Work, grades, groups_of, works

PREFIX = "rec:"
HOMEWORK, TIMETABLE, GRADES, ATTENDANCE = "hw", "tt", "gr", "at"
PAGE_LINES = 5
# SMS shows no more than a few lines on a screen: its pages are shorter.
PAGE_LINES_BY_CHANNEL = {"sms": 3}
HOMEWORK_DAYS = 60  # homework due this long ago still shows (older work is in the grades)
ATTENDANCE_DAYS = 60
# What a parent's homework view leaves out: graded work is under /grades.
PARENT_LEAVES_OUT = frozenset({State.GRADED})

# The words that open a view when typed alone, in any of the three languages.
WORDS = {
    HOMEWORK: frozenset(
        {
            "тапсырма",
            "тапсырмалар",
            "үй тапсырмасы",
            "үй тапсырмалары",
            "задание",
            "задания",
            "домашнее задание",
            "домашние задания",
            "homework",
        }
    ),
    TIMETABLE: frozenset({"кесте", "сабақ кестесі", "расписание", "timetable", "schedule"}),
    GRADES: frozenset({"баға", "бағалар", "оценка", "оценки", "grade", "grades", "marks"}),
    ATTENDANCE: frozenset({"қатысу", "сабаққа қатысу", "посещаемость", "attendance"}),
}


def homework(turn: Turn) -> list[Reply]:
    return open_view(turn, HOMEWORK)


def timetable(turn: Turn) -> list[Reply]:
    return open_view(turn, TIMETABLE)


def grades_view(turn: Turn) -> list[Reply]:
    return open_view(turn, GRADES)


def attendance(turn: Turn) -> list[Reply]:
    return open_view(turn, ATTENDANCE)


def menu_choices(turn: Turn) -> tuple[Choice, ...]:
    """The views this person may open, as choices (the help menu offers them)."""
    if turn.has_role(Role.GUARDIAN):
        views = (GRADES, ATTENDANCE, HOMEWORK, TIMETABLE)
    elif turn.has_role(Role.PUPIL):
        views = (HOMEWORK, TIMETABLE, GRADES, ATTENDANCE)
    else:
        return ()
    return tuple(Choice(f"{PREFIX}view:{view}", T(f"record.menu.{view}")) for view in views)


def on_choice(turn: Turn) -> list[Reply]:
    """A view chosen from the menu, a child chosen, or the next page (the timetable's: of which
    fortnight, `rec:more:tt:<pupil>:<page>:<fortnight>`)."""
    action, _, rest = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    parts = rest.split(":")
    view = parts[0]
    if view not in VIEWS:
        return not_allowed()
    if action == "view" and len(parts) == 1:
        return open_view(turn, view)
    pupil = _whose(turn, parts[1]) if len(parts) > 1 else None
    if pupil is None:
        return not_allowed()
    if action == "child" and len(parts) == 2:
        return page(turn, view, pupil, 0)
    if action == "more" and len(parts) == 3 and parts[2].isdigit():
        return page(turn, view, pupil, int(parts[2]))
    if action == "more" and view == TIMETABLE and len(parts) == 4 and "".join(parts[2:]).isdigit():
        return page(turn, view, pupil, int(parts[2]), int(parts[3]))
    return not_allowed()


def open_view(turn: Turn, view: str) -> list[Reply]:
    """A parent's child (asked which, when there are several) or the pupil's own record."""
    children = children_of(turn.session, turn.person_id()) if turn.has_role(Role.GUARDIAN) else []
    if len(children) > 1:
        return [
            Reply(
                T("record.which_child"),
                choices=tuple(
                    Choice(f"{PREFIX}child:{view}:{child.id}", T("record.child", pupil=child.full_name))
                    for child in children
                ),
            )
        ]
    if children:
        return page(turn, view, children[0], 0)
    if turn.has_role(Role.PUPIL) and turn.person is not None:
        return page(turn, view, turn.person, 0)
    return [Reply(T("record.no_children"))]


def _whose(turn: Turn, raw_id: str) -> Person | None:
    """The pupil a button names, if it is this person or one of their children."""
    me = turn.person
    if me is not None and str(me.id) == raw_id and turn.has_role(Role.PUPIL):
        return me
    return next((c for c in children_of(turn.session, turn.person_id()) if str(c.id) == raw_id), None)


def page(turn: Turn, view: str, pupil: Person, number: int, weeks: int = 0) -> list[Reply]:
    """Page `number` (from 0) of one pupil's view (the timetable's: of its `weeks`th fortnight)."""
    refused = without_consent(turn, pupil)
    if refused is not None:
        return refused
    if view == TIMETABLE:
        return _timetable_page(turn, pupil, number, fortnight(turn, pupil_groups(turn.session, pupil), weeks))
    found = BUILDERS[view](turn, pupil, pupil is turn.person)
    if not found:
        return [Reply(T(f"record.{view}.empty", pupil=pupil.full_name))]
    return _paged(turn, view, pupil, found, number, T(f"record.{view}.title", pupil=pupil.full_name))


def _paged(
    turn: Turn,
    view: str,
    pupil: Person,
    found: list[Text],
    number: int,
    title: Text,
    *,
    weeks: str = "",
    then: tuple[Choice, ...] = (),
    end: tuple[Text, ...] = (),
) -> list[Reply]:
    """One page of `found`, with "more" when there is a next one; the last page offers `then` and
    ends with the lines `end`. `weeks` (":<fortnight>") goes with the timetable's "more"."""
    size = PAGE_LINES_BY_CHANNEL.get(turn.identity.channel, PAGE_LINES)
    pages = -(-len(found) // size)
    number = min(max(number, 0), pages - 1)
    shown = found[number * size : (number + 1) * size]
    counter = f" ({number + 1}/{pages})" if pages > 1 else ""
    more = then
    if number + 1 < pages:
        more = (Choice(f"{PREFIX}more:{view}:{pupil.id}:{number + 1}{weeks}", T("record.more")),)
    else:
        shown = [*shown, *end]
    return [Reply(T("record.page", title=title, counter=counter, lines=Lines(tuple(shown))), choices=more)]


def _timetable_page(turn: Turn, pupil: Person, number: int, weeks: Fortnight) -> list[Reply]:
    """A page of one fortnight's lessons; its last page offers the next fortnight, or, in the last
    one, says when the academic year ends."""
    found = lessons(turn, pupil, weeks.start, weeks.end)
    then: tuple[Choice, ...] = ()
    end: tuple[Text, ...] = ()
    if weeks.final and weeks.year_end is not None:
        end = (T("record.tt.year_ends", end=weeks.year_end.strftime("%d.%m.%Y")),)
    elif not weeks.final and weeks.timetabled:
        later = f"{PREFIX}more:{TIMETABLE}:{pupil.id}:0:{weeks.number + 1}"
        then = (Choice(later, T("record.tt.later")),)
    dates = {"first": weeks.first.strftime("%d.%m"), "last": weeks.last.strftime("%d.%m")}
    if not found:
        empty = T("record.tt.empty", pupil=pupil.full_name)
        if weeks.number > 0:
            empty = T("record.tt.empty_weeks", pupil=pupil.full_name, **dates)
        if end:
            empty = T("record.page", title=empty, counter="", lines=Lines(end))
        return [Reply(empty, choices=then)]
    title = T("record.tt.title", pupil=pupil.full_name)
    if weeks.number > 0:
        title = T("record.tt.title_weeks", pupil=pupil.full_name, **dates)
    suffix = f":{weeks.number}"
    return _paged(turn, TIMETABLE, pupil, found, number, title, weeks=suffix, then=then, end=end)


def without_consent(turn: Turn, pupil: Person) -> list[Reply] | None:
    """What the family hears instead of the pupil's record while no consent is in force; None when
    it is: a pupil, that a parent must agree first; a parent, that the child shows nothing."""
    if pupil.id is not None and has_consent(turn.session, pupil.id):
        return None
    if pupil is turn.person:
        return pupil_waits_for_parent(turn)
    return [Reply(T("record.no_consent", pupil=pupil.full_name))]


def lessons(turn: Turn, pupil: Person, start: datetime, end: datetime) -> list[Text]:
    """The pupil's lessons beginning in [start, end), with their links, a cancelled one marked."""
    zone = turn.config.time_zone
    groups = groups_of(turn.session, [pupil.id or 0]).get(pupil.id or 0, [])
    return [lines.lesson(slot, zone) for slot in between(turn.session, groups, start, end, zone)]


def _homework(turn: Turn, pupil: Person, own: bool) -> list[Text]:
    since = turn.now - timedelta(days=HOMEWORK_DAYS)
    found = works(turn.session, [pupil.id or 0], turn.now, due_from=since).get(pupil.id or 0, [])
    if not own:
        found = [item for item in found if item.state not in PARENT_LEAVES_OUT]
    rank = {state: place for place, state in enumerate(ORDER)}
    found.sort(key=lambda item: (rank[item.state], item.homework.due_at))
    graded = [item for item in found if item.state == State.GRADED]
    graded.sort(key=_graded_at, reverse=True)
    rest = [item for item in found if item.state != State.GRADED]
    return [lines.work(item, turn.config.time_zone) for item in rest + graded]


def _graded_at(item: Work) -> datetime:
    return item.feedback.created_at if item.feedback is not None else item.homework.due_at


def _grades(turn: Turn, pupil: Person, own: bool) -> list[Text]:
    """The quarter marks so far (this quarter of the pupil's school calendar), then every graded work."""
    found = [lines.grade(item, turn.config.time_zone) for item in grades(turn.session, [pupil.id or 0])]
    return [*_this_quarter(turn, pupil), *found] if found else []


def _this_quarter(turn: Turn, pupil: Person) -> list[Text]:
    """Each subject's quarter mark so far (`assessment.texts.lines_so_far`); none in the summer."""
    pupil_id = stored_id(pupil)
    return lines_so_far(turn.session, [pupil_id], turn.now, turn.config.time_zone).get(pupil_id, [])


def _attendance(turn: Turn, pupil: Person, own: bool) -> list[Text]:
    today = to_local(turn.now, turn.config.time_zone).date()
    found = marks(turn.session, [pupil.id or 0], today - timedelta(days=ATTENDANCE_DAYS), today)
    return [lines.mark(item) for item in found]


BUILDERS: dict[str, Callable[[Turn, Person, bool], list[Text]]] = {
    HOMEWORK: _homework,
    GRADES: _grades,
    ATTENDANCE: _attendance,
}
VIEWS = frozenset({*BUILDERS, TIMETABLE})
