"""A tutoring group as people call it: «Алгебра, 8 сынып» / «Алгебра, 8 класс», not its code.

Codes (ALG-8) are the roster's keys, for the coordinator and the group's tutor; nobody else knows
them. The name is derived, not stored: the subject and the grade of the group's pupils (a group of
a virtual class may span grades: «Физика, 10–11 сынып»), in the reader's language when rendered.
Messages to families name the subject only (`tests/handlers/test_group_names.py` keeps it so).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from locales import T, Text, subject_name
from models.enums import Role
from models.people import Membership
from models.school import GroupMember, SchoolClass, TutoringGroup


def group_name(session: Session, group: TutoringGroup) -> Text | str:
    """«Алгебра, 8 сынып»; the subject alone while the group has no pupil in a class."""
    subject = subject_name(group.subject)
    grades = sorted(
        set(
            session.exec(
                select(SchoolClass.grade)
                .join(Membership, col(Membership.class_id) == SchoolClass.id)
                .join(GroupMember, col(GroupMember.pupil_id) == Membership.person_id)
                .where(GroupMember.group_id == group.id, Membership.role == Role.PUPIL.value)
            ).all()
        )
    )
    if not grades:
        return subject
    grade = str(grades[0]) if len(grades) == 1 else f"{grades[0]}–{grades[-1]}"
    return T("group.name", subject=subject, grade=grade)
