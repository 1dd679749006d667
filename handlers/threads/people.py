"""Who answers a family's message, whether they still may, and how each side is named to the other.

For each child a family member writes about: the tutor of each of the child's groups (the group's
subject) — its substitute tutor on the days one has the group, so a question reaches the one who
teaches now —, the class teacher (anything else), the group's assistant teacher (joining a lesson,
technical trouble); the school's coordinator when the child has none of them, and whenever the one
a thread was with no longer holds that role. A substitute's thread outlives the substitution: the
family's next message in it goes on to whoever tutors the group then (`successor`). Names are shown,
contacts never: the family sees the staff member's name and role, the staff member sees the
family's name, child and class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from handlers.context import Turn
from handlers.family import children_of
from locales import T, Text, subject_name
from models.consent_rules import has_consent
from models.enums import Role, Topic
from models.people import Membership, Person
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.store import stored_id
from models.substitutes import acting_tutor, active_between, covering, named_ahead
from models.threads import Thread

# A topic as one letter in a button's value (Telegram allows 64 bytes of callback data). The group's
# tutor and its substitute share theirs: the choice means "who tutors the group", so a family that
# answers the question after the substitution began or ended still reaches whoever tutors it then.
CODES = {
    Topic.TUTOR: "t",
    Topic.SUBSTITUTE: "t",
    Topic.CLASS_TEACHER: "c",
    Topic.ASSISTANT: "a",
    Topic.COORDINATOR: "d",
}
# The topics whose staff member tutors the group (its subject's questions).
TUTORING = (Topic.TUTOR, Topic.SUBSTITUTE)


@dataclass(frozen=True)
class Recipient:
    """One staff member a family member may write to, about one child, for one reason."""

    pupil_id: int
    topic: Topic
    staff_id: int
    group_id: int | None = None
    class_id: int | None = None
    school_id: int | None = None
    subject: str = ""
    class_name: str = ""

    @property
    def code(self) -> str:
        """ "<pupil>:<topic letter>:<group, class or school id>", the choice's value after its prefix."""
        ref = self.group_id or self.class_id or self.school_id or 0
        return f"{self.pupil_id}:{CODES[self.topic]}:{ref}"

    def label(self) -> Text:
        """How the family sees the choice: the role, and the subject or class."""
        if self.topic in TUTORING:
            return T(f"threads.whom.{self.topic.value}", subject=subject_name(self.subject))
        if self.topic == Topic.CLASS_TEACHER:
            return T("threads.whom.class_teacher", klass=self.class_name)
        return T(f"threads.whom.{self.topic.value}")


_SCHOOL_CLASS = (
    select(Membership.school_id, Membership.class_id)
    .where(Membership.person_id == bindparam("pupil"), Membership.role == Role.PUPIL.value)
    .order_by(col(Membership.id))
)


def may_write(turn: Turn) -> bool:
    """A parent, or a pupil whose parent has agreed (a pupil without consent is told to ask them)."""
    if turn.has_role(Role.GUARDIAN):
        return True
    return turn.has_role(Role.PUPIL) and has_consent(turn.session, turn.person_id())


def writes_about(turn: Turn) -> list[Person]:
    """The children a family member writes about: themselves (a pupil), their children (a parent)."""
    if turn.person is None:
        return []
    about = [turn.person] if turn.has_role(Role.PUPIL) else []
    if turn.has_role(Role.GUARDIAN):
        about += [child for child in children_of(turn.session, turn.person_id()) if child not in about]
    return about


def school_and_class(session: Session, pupil_id: int) -> tuple[int | None, int | None]:
    found = session.exec(_SCHOOL_CLASS, params={"pupil": pupil_id}).first()
    return (found[0], found[1]) if found else (None, None)


def recipients(session: Session, pupil_id: int, day: date) -> list[Recipient]:
    """Everyone a family may write to about this child on `day`, tutors by subject first (a group's
    substitute tutor in place of its own while the substitution holds)."""
    school_id, class_id = school_and_class(session, pupil_id)
    groups = session.exec(
        select(TutoringGroup)
        .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
        .where(GroupMember.pupil_id == pupil_id)
        .order_by(col(TutoringGroup.subject), col(TutoringGroup.id))
    ).all()
    substituted = active_between(session, day, day, [g.id for g in groups if g.id is not None])
    found: list[Recipient] = []
    for g in groups:
        substitution = covering(substituted.get(g.id or 0, []), day)
        topic, tutor = (
            (Topic.SUBSTITUTE, substitution.substitute_id)
            if substitution is not None
            else (Topic.TUTOR, g.tutor_id)
        )
        if tutor is not None:
            found.append(
                Recipient(pupil_id, topic, tutor, group_id=g.id, school_id=school_id, subject=g.subject)
            )
    klass = session.get(SchoolClass, class_id) if class_id is not None else None
    for teacher in class_teachers(session, class_id):
        name = klass.name if klass else ""
        found.append(
            Recipient(
                pupil_id,
                Topic.CLASS_TEACHER,
                teacher,
                class_id=class_id,
                school_id=school_id,
                class_name=name,
            )
        )
        break  # one class teacher per class is asked; a second one reads the same class's threads
    assistant = next((g for g in groups if g.assistant_id is not None), None)
    if assistant is not None and assistant.assistant_id is not None:
        found.append(
            Recipient(
                pupil_id, Topic.ASSISTANT, assistant.assistant_id, group_id=assistant.id, school_id=school_id
            )
        )
    if not found and school_id is not None:
        coordinator = coordinator_of(session, school_id)
        if coordinator is not None:
            found.append(Recipient(pupil_id, Topic.COORDINATOR, coordinator, school_id=school_id))
    return found


def class_teachers(session: Session, class_id: int | None) -> list[int]:
    if class_id is None:
        return []
    return list(
        session.exec(
            select(Membership.person_id)
            .where(Membership.role == Role.CLASS_TEACHER.value, Membership.class_id == class_id)
            .order_by(col(Membership.id))
        ).all()
    )


def class_teachers_of(session: Session, pupil_id: int) -> list[int]:
    return class_teachers(session, school_and_class(session, pupil_id)[1])


def coordinator_of(session: Session, school_id: int | None) -> int | None:
    if school_id is None:
        return None
    return session.exec(
        select(Membership.person_id)
        .where(Membership.role == Role.COORDINATOR.value, Membership.school_id == school_id)
        .order_by(col(Membership.id))
    ).first()


def still_responsible(session: Session, thread: Thread, day: date) -> bool:
    """Whether the thread's staff member still holds the role it was opened for on `day`: a
    substitute's, while the substitution holds — or before it begins, while the group is its own
    tutor's (a problem reported ahead for one of the substitute's lessons opens their thread)."""
    topic = Topic(thread.topic)
    if topic == Topic.SUBSTITUTE:
        group = session.get(TutoringGroup, thread.group_id) if thread.group_id else None
        if group is None:
            return False
        acting = acting_tutor(session, group, day)
        if acting == group.tutor_id:
            return named_ahead(session, stored_id(group), thread.staff_id, day)
        return acting == thread.staff_id
    if topic in (Topic.TUTOR, Topic.ASSISTANT):
        group = session.get(TutoringGroup, thread.group_id) if thread.group_id else None
        holder = None if group is None else group.tutor_id if topic == Topic.TUTOR else group.assistant_id
        return holder == thread.staff_id
    if topic == Topic.CLASS_TEACHER:
        return thread.staff_id in class_teachers(session, thread.class_id)
    return (
        session.exec(
            select(Membership.id).where(
                Membership.person_id == thread.staff_id,
                Membership.role == Role.COORDINATOR.value,
                Membership.school_id == thread.school_id,
            )
        ).first()
        is not None
    )


def successor(session: Session, thread: Thread, day: date) -> tuple[int, Topic] | None:
    """Who takes a substitute's thread once the substitution no longer holds: whoever tutors the
    group on `day` (its own tutor, or another substitute), with the topic that names them; None for
    any other thread, or a group with no tutor (the coordinator takes those)."""
    if thread.topic != Topic.SUBSTITUTE:
        return None
    group = session.get(TutoringGroup, thread.group_id) if thread.group_id else None
    tutor = acting_tutor(session, group, day) if group is not None else None
    if group is None or tutor is None:
        return None
    return tutor, Topic.TUTOR if tutor == group.tutor_id else Topic.SUBSTITUTE


def staff_label(session: Session, thread: Thread) -> Text:
    """The staff member as the family sees them: name and role (and subject)."""
    staff = session.get(Person, thread.staff_id)
    name = staff.full_name if staff else ""
    if thread.topic in TUTORING:
        group = session.get(TutoringGroup, thread.group_id) if thread.group_id else None
        subject = subject_name(group.subject if group else "")
        return T(f"threads.staff.{thread.topic}", name=name, subject=subject)
    return T(f"threads.staff.{thread.topic}", name=name)


def family_label(session: Session, thread: Thread) -> Text:
    """The family member as the staff member sees them: name, and the child and class."""
    writer = session.get(Person, thread.family_id)
    pupil = session.get(Person, thread.pupil_id)
    _, class_id = school_and_class(session, thread.pupil_id)
    klass = session.get(SchoolClass, class_id) if class_id is not None else None
    class_name = klass.name if klass else "—"
    if thread.family_id == thread.pupil_id:
        return T("threads.from.pupil", name=writer.full_name if writer else "", klass=class_name)
    return T(
        "threads.from.guardian",
        name=writer.full_name if writer else "",
        pupil=pupil.full_name if pupil else "",
        klass=class_name,
    )
