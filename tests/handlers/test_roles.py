"""Roles and scope: every forbidden combination of person and command is refused and writes nothing.

Who may use which command and button is the router's table (`handlers.router.ROUTES`): every entry
that names its roles is tried by one person of each other role, who must hear the entry's refusal
(or, for an entry that is not theirs, go on to what follows). What is whose is the handlers' part:
a tutor sees only their groups, an assistant only the groups they assist, a class teacher only their
class, a parent only their own children, a pupil only their own work. Each case is one turn in the
world of tests/support/attendance.py (tutors t1/t2, assistant a1 of A1, class teachers c1 of 8A
and c2 of 8B, guardians g1–g3, pupils p1–p6).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from handlers.router import BEFORE_LANGUAGE, ROUTES, process
from handlers.routes import Button, Command, Route
from handlers.types import Chat, Identity, Inbound
from models import Consent, Feedback, Homework, SchoolClass, Submission
from models.enums import Role
from models.store import session_scope
from tests.support.attendance import StaffWorld, build_staff_world, counts
from tests.support.homework import keys

pytestmark = pytest.mark.flow
NOT_ALLOWED = "common.not_allowed"


@dataclass
class Ids:
    """What the forbidden turns refer to, set up once per test."""

    staff: StaffWorld
    homework: int
    submission: int
    code: str
    broadcast: int

    def fill(self, template: str) -> str:
        s = self.staff
        return template.format(
            A1=s.groups["A1"],
            F1=s.groups["F1"],
            lessonA1=f"{s.lessons['A1']}:{s.lesson_date.isoformat()}",
            lessonF1=f"{s.lessons['F1']}:{s.lesson_date.isoformat()}",
            hw=self.homework,
            sub=self.submission,
            code=self.code,
            bc=self.broadcast,
            class8A=s.classes["8A"],
            **{name: pid for name, pid in s.ids.items()},
        )


@pytest.fixture
def ids(engine: Engine, tmp_path: Path) -> Ids:
    staff = build_staff_world(engine, tmp_path / "media")
    homework = staff.homework("A1", "Page 42")
    with session_scope(engine) as session:
        submission = Submission(homework_id=homework, pupil_id=staff.ids["p2"], channel="telegram")
        session.add(submission)
        session.flush()
        assert submission.id is not None
        submission_id = submission.id
    code = staff.say("c1", "/link")[0].text.params["code"]
    staff.say("c2", "/broadcast")
    staff.say("c2", "8B only")
    staff.press("c2", "bc:aud:guardians")
    sent = staff.press("c2", "bc:send:normal")
    broadcast = int(sent[0].choices[0].value.rsplit(":", 1)[1])
    code_again = staff.say("c1", "/link")[0].text.params["code"]  # c2's flow above left c1's alone
    assert code_again != code
    return Ids(staff, homework, submission_id, code_again, broadcast)


# One person of each role of the world; nobody holds two.
ONE_OF_EACH = {
    Role.PUPIL: "p1",
    Role.GUARDIAN: "g1",
    Role.TUTOR: "t1",
    Role.ASSISTANT: "a1",
    Role.CLASS_TEACHER: "c1",
}


def _sent(route: Route) -> str:
    """What a person sends to reach the entry: the command, or a button of its prefix."""
    if isinstance(route.on, Command):
        return route.on.name
    if isinstance(route.on, Button):
        return f"choice={route.on.prefix}1"
    raise ValueError(f"{route.on} is not reached by a command or a button")


def _gated() -> list[tuple[str, str, str]]:
    """(who, what, refusal) for every command and button of the router's tables that names its roles
    and a refusal, sent by each person of the world who holds none of the roles of any entry for it
    (/homework is the tutor's in one entry and the family's in the next)."""
    tables = (*BEFORE_LANGUAGE, *ROUTES)
    served: dict[object, set[Role]] = {}
    for route in tables:
        served.setdefault(route.on, set()).update(route.roles)
    return [
        (who, _sent(route), route.others.key)
        for route in tables
        if route.roles and route.others is not None and isinstance(route.on, Command | Button)
        for role, who in ONE_OF_EACH.items()
        if role not in served[route.on]
    ]


GATED = _gated()

# What the table cannot say: whose lesson, group, class, child or work it is.
# (who, what they send: "/command", "choice=<value>" or "group=<text>", the refusal expected)
FORBIDDEN = [
    # attendance: only the lessons and pupils of the groups they tutor or assist
    *[(who, "choice=att:m:{lessonA1}:{p1}:a", NOT_ALLOWED) for who in ("t2", "c1", "g1", "p1")],
    ("a1", "choice=att:m:{lessonF1}:{p4}:a", NOT_ALLOWED),  # a1 assists A1 only
    ("t2", "choice=att:all:{lessonA1}", NOT_ALLOWED),
    ("t2", "choice=att:l:{lessonA1}", NOT_ALLOWED),
    ("t2", "choice=att:m:{lessonF1}:{p1}:a", NOT_ALLOWED),  # p1 is not in t2's group
    # /status: the assistants and tutors of the group only
    ("t2", "choice=st:all:{hw}", NOT_ALLOWED),
    ("c1", "choice=st:one:{hw}:{p1}", NOT_ALLOWED),
    ("a1", "choice=st:one:{hw}:{p4}", NOT_ALLOWED),  # p4 is not in a1's group
    # /link: that class's teacher only, in the group chat too
    *[(who, "group=/link {code}", "broadcast.link.not_teacher") for who in ("t1", "g1", "p1")],
    ("c2", "group=/link {code}", "broadcast.link.bad_code"),  # another class's teacher
    # /broadcast and /report: their own class only
    ("c2", "choice=bc:class:{class8A}", NOT_ALLOWED),
    ("c2", "choice=bc:linkclass:{class8A}", NOT_ALLOWED),
    ("c1", "choice=bc:report:{bc}", NOT_ALLOWED),  # c2's broadcast to 8B
    ("g1", "choice=bc:aud:guardians", NOT_ALLOWED),
    # /homework and /review: their own groups only
    ("t1", "choice=hw:group:{F1}", NOT_ALLOWED),
    ("t2", "choice=rv:grade:{sub}", NOT_ALLOWED),
    ("t2", "choice=rv:pdf:{sub}", NOT_ALLOWED),
    # a parent decides only for their own children; a pupil touches only their own work
    ("g1", "choice=consent:yes:{p3}", NOT_ALLOWED),
    ("g1", "choice=consent:withdraw:{p2}", NOT_ALLOWED),
    ("p1", "choice=hw:replace:{sub}", NOT_ALLOWED),
]


def everything(engine: Engine) -> dict[str, object]:
    found: dict[str, object] = dict(counts(engine))
    with Session(engine) as session:
        for model in (Consent, Feedback, Homework):
            found[model.__name__] = session.exec(select(func.count()).select_from(model)).one()
        found["submissions"] = sorted((s.id, s.status) for s in session.exec(select(Submission)).all())
        found["chats"] = sorted((c.id, c.telegram_chat_id) for c in session.exec(select(SchoolClass)).all())
    return found


def _turn(ids: Ids, who: str, what: str) -> list[str]:
    """The reply keys of one turn: "/command", "choice=<value>" or "group=<text>" from `who`."""
    staff = ids.staff
    kind, _, body = what.partition("=") if "=" in what else ("text", "", what)
    body = ids.fill(body)
    chat = Chat("-1009", is_group=True) if kind == "group" else Chat(who)
    inbound = Inbound(
        identity=Identity("telegram", who),
        chat=chat,
        text="" if kind == "choice" else body,
        choice=body if kind == "choice" else None,
    )
    return keys(process(staff.engine, inbound, staff.config))


CASES = GATED + FORBIDDEN


@pytest.mark.parametrize(("who", "what", "refusal"), CASES, ids=[f"{w}:{x}" for w, x, _ in CASES])
def test_a_forbidden_turn_is_refused_and_writes_nothing(ids: Ids, who: str, what: str, refusal: str) -> None:
    before = everything(ids.staff.engine)
    assert _turn(ids, who, what) == [refusal]
    assert everything(ids.staff.engine) == before


# Every command of the table that names its roles, from each person of the world who holds one.
ALLOWED = [
    (who, route.on.name, route.others.key if route.others else "")
    for route in ROUTES
    if route.roles and isinstance(route.on, Command)
    for role, who in ONE_OF_EACH.items()
    if role in route.roles
]


@pytest.mark.parametrize(("who", "command", "refusal"), ALLOWED, ids=[f"{w}:{c}" for w, c, _ in ALLOWED])
def test_the_roles_the_table_names_get_past_it(ids: Ids, who: str, command: str, refusal: str) -> None:
    replies = _turn(ids, who, command)
    assert replies and replies != [refusal] and replies != [NOT_ALLOWED]


def test_a_command_that_is_not_theirs_goes_on_to_the_menu(ids: Ids) -> None:
    """/consent is a parent's and /timetable a family's; from anyone else they are not refused but
    answered as any unknown text. (/homework and /attendance pass a tutor's turn on to the family's
    entry below, which refuses the others.)"""
    commands = [r.on for r in ROUTES if isinstance(r.on, Command)]
    last = {on: index for index, on in enumerate(commands)}
    passing = [
        r.on.name
        for index, r in enumerate(r for r in ROUTES if isinstance(r.on, Command))
        if r.others is None and last[r.on] == index
    ]
    assert passing == ["/consent", "/timetable"]
    assert _turn(ids, "t1", "/consent") == ["help.menu"]
    assert _turn(ids, "t1", "/timetable") == ["help.menu"]
    assert _turn(ids, "g1", "/consent")[0].startswith("consent.")


def test_each_button_has_one_entry() -> None:
    """A button's value belongs to the entry with its longest prefix: no prefix is declared twice."""
    prefixes = [r.on.prefix for r in (*BEFORE_LANGUAGE, *ROUTES) if isinstance(r.on, Button)]
    assert len(prefixes) == len(set(prefixes))
