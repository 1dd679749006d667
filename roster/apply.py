"""Applying a validated roster to the store: the difference only, inside the caller's transaction.

Keys are the file's own: school code, (school, class name), person external id, group code,
(group, weekday, start) for lessons. Whatever the file no longer holds for its schools is removed
(memberships, guardianships of its pupils, group members, a person's phone and post identities) or
deactivated (lessons); people, schools, classes and groups themselves are never deleted, as history
(homework, attendance, consent) refers to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models import (
    ChannelIdentity,
    GroupMember,
    Guardianship,
    Invite,
    Lesson,
    Membership,
    Person,
    Programme,
    School,
    SchoolClass,
    TutoringGroup,
)
from models.enums import Channel, Role
from models.invariants import check_group_size, check_subjects_per_pupil
from models.invites import new_code
from models.phones import masked, takes_messages
from models.store import stored_id
from roster.parsed import ProgrammeRow, Roster, Rules
from roster.report import Changes, IssuedInvite
from roster.schema import DEFAULT_PROGRAMME
from roster.validate import StoreFacts, default_programme, rules_of

MANAGED_CHANNELS = (Channel.WHATSAPP, Channel.SMS, Channel.POST)
PRIORITY = {Channel.WHATSAPP: 1, Channel.SMS: 2, Channel.POST: 3}


def programme_values(row: ProgrammeRow) -> dict[str, Any]:
    """A Programme's fields from the file's programmes sheet."""
    rules = row.rules
    return {
        "name": row.name,
        "min_group_size": rules.min_group_size,
        "max_group_size": rules.max_group_size,
        "subjects": list(rules.subjects),
        "subjects_per_pupil": rules.subjects_per_pupil,
        "lessons_per_week": rules.lessons_per_week,
        "lesson_minutes": rules.lesson_minutes,
        "outside_school_hours": rules.outside_school_hours,
        "postal_interval_days": row.postal_interval_days,
        "min_grade": rules.min_grade,
        "max_grade": rules.max_grade,
        "mixed_grades": rules.mixed_grades,
        "low_income_only": rules.low_income_only,
        "consent_names": dict(row.consent_names),
        "weights": dict(row.weights),
    }


def read_facts(session: Session) -> StoreFacts:
    facts = StoreFacts()
    for programme in session.exec(select(Programme)):
        facts.programmes[programme.code] = rules_of(programme)
    rows = session.exec(
        select(ChannelIdentity.channel, ChannelIdentity.address, Person.external_id)
        .select_from(ChannelIdentity)
        .outerjoin(Person, col(Person.id) == ChannelIdentity.person_id)
        .where(col(ChannelIdentity.channel).in_(list(MANAGED_CHANNELS)))
    )
    for channel, address, external_id in rows:
        facts.owners[(channel, address)] = external_id
    return facts


# What a person's audit row says of a changed field: a number masked, words and the low-income mark
# only "changed" (audit rows carry no names, addresses or status); the rest as they are.
SHOWN: dict[str, Callable[[Any], Any]] = {"phone": masked}
UNSHOWN = frozenset({"full_name", "postal_address", "low_income"})


@dataclass(frozen=True)
class RecordChange:
    """One record an import changed, for its own audit row: which one, and what."""

    entity: str
    entity_id: int | None
    change: str  # "updated", "removed", "created"
    fields: dict[str, Any]


def _shown(values: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, (before, after) in values.items():
        show = SHOWN.get(name, _as_is)
        shown[name] = "changed" if name in UNSHOWN else [show(before), show(after)]
    return shown


def _as_is(value: Any) -> Any:
    return value


def _sync(row: Any, values: dict[str, Any]) -> bool:
    """Set the fields that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _channel_change(identity: ChannelIdentity, change: str) -> RecordChange:
    """A phone or postal channel given to or taken from a person: the address never shown whole."""
    address = masked(identity.address) if identity.channel != Channel.POST else "changed"
    fields = {"person_id": identity.person_id, "channel": identity.channel, "address": address}
    return RecordChange("channel_identity", identity.id, change, fields)


class Applier:
    def __init__(self, session: Session, roster: Roster, now: datetime, invite_ttl: timedelta) -> None:
        self.session = session
        self.roster = roster
        self.now = now
        # Records of people already in the store that this import changed, one audit row each.
        self.record_changes: list[RecordChange] = []
        self.invite_ttl = invite_ttl
        self.changes = Changes()
        self.invites: list[IssuedInvite] = []
        self.programmes: dict[str, Programme] = {}
        self.changed_programmes: list[Programme] = []  # stored before, their rules changed now
        self.schools: dict[str, School] = {}
        self.classes: dict[tuple[str, str], SchoolClass] = {}
        self.people: dict[str, Person] = {}
        self.new_people: list[str] = []
        self.groups: dict[str, TutoringGroup] = {}
        self.stale_groups: list[TutoringGroup] = []
        self.emptied_groups: set[int] = set()
        self.seen_in_chat: set[int] = set()

    def run(self) -> None:
        self.programme_rows()
        self.school_rows()
        self.class_rows()
        self.person_rows()
        self.memberships()
        self.guardianships()
        self.identities()
        self.group_rows()
        self.group_members()
        self.lesson_rows()
        self.invite_rows()
        self.session.flush()

    def count(self, kind: str, created: bool, changed: bool) -> None:
        self.changes.add(kind, "created" if created else "updated" if changed else "unchanged")

    # -- programmes, schools, classes ------------------------------------------------------------

    def programme_rows(self) -> None:
        """The file's programmes created or their rules updated; the others its groups name are the
        store's (the Digital Tutor's created with its defaults when absent)."""
        codes = {group.programme for group in self.roster.groups.values()} | set(self.roster.programmes)
        found = {
            p.code: p for p in self.session.exec(select(Programme).where(col(Programme.code).in_(codes)))
        }
        for code, row in self.roster.programmes.items():
            values = programme_values(row)
            programme = found.get(code)
            if programme is None:
                programme = Programme(code=code, **values)
                self.session.add(programme)
            changed = _sync(programme, values)
            self.count("programme", code not in found, changed)
            if changed and code in found:
                self.changed_programmes.append(programme)
            self.programmes[code] = programme
        for code in sorted(codes - set(self.roster.programmes)):
            if code in found:
                self.programmes[code] = found[code]
                self.changes.add("programme", "unchanged")
            elif code == DEFAULT_PROGRAMME:
                programme = default_programme()
                self.session.add(programme)
                self.programmes[code] = programme
                self.changes.add("programme", "created")
        self.session.flush()

    def rules(self, code: str) -> Rules:
        return rules_of(self.programmes[code])

    def school_rows(self) -> None:
        found = {
            s.code: s
            for s in self.session.exec(select(School).where(col(School.code).in_(list(self.roster.schools))))
        }
        for code, row in self.roster.schools.items():
            values: dict[str, Any] = {
                "name": row.name,
                "locality": row.locality,
                "postal_point": row.postal_point,
                "day_start": row.day_start,
                "day_end": row.day_end,
                "school_days": list(row.days),
            }
            school = found.get(code)
            if school is None:
                school = School(code=code, **values)
                self.session.add(school)
            self.count("school", code not in found, _sync(school, values))
            self.schools[code] = school
        self.session.flush()

    def school_ids(self) -> list[int]:
        return [s.id for s in self.schools.values() if s.id is not None]

    def class_rows(self) -> None:
        found: dict[tuple[int | None, str], SchoolClass] = {
            (c.school_id, c.name): c
            for c in self.session.exec(
                select(SchoolClass).where(col(SchoolClass.school_id).in_(self.school_ids()))
            )
        }
        for key, row in self.roster.classes.items():
            school_id = self.sid(row.school)
            klass = found.get((school_id, row.name))
            created = klass is None
            if klass is None:
                klass = SchoolClass(school_id=school_id, name=row.name, grade=row.grade)
                self.session.add(klass)
            self.count("class", created, _sync(klass, {"grade": row.grade}))
            self.classes[key] = klass
        self.session.flush()

    # -- people ----------------------------------------------------------------------------------

    def person_rows(self) -> None:
        ids = list(self.roster.people)
        found = {
            p.external_id: p
            for p in self.session.exec(select(Person).where(col(Person.external_id).in_(ids)))
        }
        for external_id, row in self.roster.people.items():
            values: dict[str, Any] = {
                "full_name": row.full_name,
                "phone": row.phone,
                "low_income": row.low_income,
                "by_post": row.by_post,
                "postal_address": row.postal_address,
            }
            person = found.get(external_id)
            if person is None:
                person = Person(external_id=external_id, locale=row.locale, created_at=self.now, **values)
                self.session.add(person)
                self.new_people.append(external_id)
            elif not person.locale_chosen:  # a language chosen in the chat wins over the file
                values["locale"] = row.locale
            before = {name: getattr(person, name) for name in values}
            self.count("person", person.id is None, _sync(person, values))
            differ = {name: (before[name], value) for name, value in values.items() if before[name] != value}
            if person.id is not None and differ:
                self.record_changes.append(RecordChange("person", person.id, "updated", _shown(differ)))
            self.people[external_id] = person
        self.session.flush()

    def pid(self, external_id: str) -> int:
        return stored_id(self.people[external_id])

    def sid(self, code: str) -> int:
        return stored_id(self.schools[code])

    def memberships(self) -> None:
        desired: set[tuple[int, str, int, int | None]] = set()
        for external_id, row in self.roster.people.items():
            person_id = self.pid(external_id)
            for role in row.roles:
                if role == Role.PUPIL and row.school and row.class_name:
                    klass = self.classes[(row.school, row.class_name)]
                    desired.add((person_id, role, self.sid(row.school), klass.id))
                elif role == Role.GUARDIAN:
                    schools = ({row.school} if row.school else set()) | self.roster.guardian_schools(
                        external_id
                    )
                    desired.update((person_id, role, self.sid(s), None) for s in schools)
                elif role == Role.CLASS_TEACHER:
                    led = [c for c in self.roster.classes.values() if c.class_teacher == external_id]
                    desired.update(
                        (person_id, role, self.sid(c.school), self.classes[(c.school, c.name)].id)
                        for c in led
                    )
                    if not led and row.school:
                        desired.add((person_id, role, self.sid(row.school), None))
                elif row.school:
                    desired.add((person_id, role, self.sid(row.school), None))
        existing = self.session.exec(
            select(Membership)
            .where(col(Membership.school_id).in_(self.school_ids()))
            .order_by(col(Membership.id))
        ).all()
        kept: set[tuple[int, str, int, int | None]] = set()
        spare: dict[tuple[int, str, int], list[Membership]] = defaultdict(list)
        for m in existing:
            key = (m.person_id, m.role, m.school_id, m.class_id)
            if key in desired and key not in kept:
                kept.add(key)
                self.changes.add("membership", "unchanged")
            else:
                spare[key[:3]].append(m)
        for key in sorted(desired - kept, key=repr):
            reusable = spare.get(key[:3])
            if reusable:  # same person, role and school: a pupil moved to another class
                moved = reusable.pop(0)
                fields = {"person_id": moved.person_id, "class_id": [moved.class_id, key[3]]}
                self.record_changes.append(RecordChange("membership", moved.id, "updated", fields))
                moved.class_id = key[3]
                self.changes.add("membership", "updated")
            else:
                person_id, role, school_id, class_id = key
                self.session.add(
                    Membership(person_id=person_id, role=role, school_id=school_id, class_id=class_id)
                )
                self.changes.add("membership", "created")
        for rows in spare.values():
            for m in rows:
                fields = {"person_id": m.person_id, "role": m.role, "school_id": m.school_id}
                self.record_changes.append(RecordChange("membership", m.id, "removed", fields))
                self.session.delete(m)
                self.changes.add("membership", "removed")
        self.session.flush()

    def guardianships(self) -> None:
        pupils = [self.pid(i) for i, row in self.roster.people.items() if Role.PUPIL in row.roles]
        desired = {(self.pid(g), self.pid(p)) for g, p in self.roster.guardianships}
        existing = self.session.exec(select(Guardianship).where(col(Guardianship.pupil_id).in_(pupils))).all()
        have = set()
        for link in existing:
            key = (link.guardian_id, link.pupil_id)
            if key in desired:
                have.add(key)
                self.changes.add("guardianship", "unchanged")
            else:
                fields = {"guardian_id": link.guardian_id, "pupil_id": link.pupil_id}
                self.record_changes.append(RecordChange("guardianship", link.id, "removed", fields))
                self.session.delete(link)
                self.changes.add("guardianship", "removed")
        for guardian_id, pupil_id in sorted(desired - have):
            self.session.add(Guardianship(guardian_id=guardian_id, pupil_id=pupil_id))
            self.changes.add("guardianship", "created")
        self.session.flush()

    def identities(self) -> None:
        """WhatsApp and SMS at the person's phone if it is a mobile one (a landline takes neither: its
        family is on the class teacher's call or paper list), post at the postal address; Telegram
        is left alone (it is bound when the person joins). An address no longer theirs is detached,
        not deleted, as delivery history refers to it."""
        desired: dict[tuple[str, str], tuple[int, int]] = {}
        channel: str
        for external_id, row in self.roster.people.items():
            person_id = self.pid(external_id)
            if row.phone and takes_messages(row.phone):
                for channel in (Channel.WHATSAPP, Channel.SMS):
                    desired[(channel, row.phone)] = (person_id, PRIORITY[channel])
            if row.by_post and row.postal_address:
                desired[(Channel.POST, row.postal_address)] = (person_id, PRIORITY[Channel.POST])
        person_ids = [self.pid(i) for i in self.roster.people]
        new_ids = {self.pid(i) for i in self.new_people}
        current = self.session.exec(
            select(ChannelIdentity).where(
                col(ChannelIdentity.person_id).in_(person_ids),
                col(ChannelIdentity.channel).in_(list(MANAGED_CHANNELS)),
            )
        ).all()
        for identity in current:
            wanted = desired.get((identity.channel, identity.address))
            if wanted is None or wanted[0] != identity.person_id:
                self.record_changes.append(_channel_change(identity, "removed"))
                identity.person_id = None
                self.changes.add("channel", "removed")
        self.session.flush()
        addresses = sorted({address for _, address in desired})
        found = {
            (i.channel, i.address): i
            for i in self.session.exec(
                select(ChannelIdentity).where(col(ChannelIdentity.address).in_(addresses))
            )
        }
        for (channel, address), (person_id, priority) in desired.items():
            held = found.get((channel, address))
            if held is None:
                identity = ChannelIdentity(
                    person_id=person_id, channel=channel, address=address, priority=priority
                )
                self.session.add(identity)
                self.changes.add("channel", "created")
                if person_id not in new_ids:  # a new person's channels are the import's counts
                    self.record_changes.append(_channel_change(identity, "created"))
                continue
            identity = held
            if identity.person_id != person_id:  # unclaimed (written to us before the roster) or detached
                identity.person_id = person_id
                identity.priority = priority
                self.changes.add("channel", "created")
                self.record_changes.append(_channel_change(identity, "created"))
            else:
                self.count("channel", False, _sync(identity, {"priority": priority}))
            if identity.last_inbound_at is not None:
                self.seen_in_chat.add(person_id)
        self.session.flush()

    # -- groups and lessons ----------------------------------------------------------------------

    def group_rows(self) -> None:
        codes = list(self.roster.groups)
        found = {
            g.code: g
            for g in self.session.exec(select(TutoringGroup).where(col(TutoringGroup.code).in_(codes)))
        }
        for code, row in self.roster.groups.items():
            values: dict[str, Any] = {
                "programme_id": self.programmes[row.programme].id,
                "school_id": self.sid(row.school) if row.school else None,
                "subject": row.subject,
                "tutor_id": self.pid(row.tutor),
                "assistant_id": self.pid(row.assistant) if row.assistant else None,
            }
            group = found.get(code)
            if group is None:
                group = TutoringGroup(code=code, **values)
                self.session.add(group)
            self.count("group", code not in found, _sync(group, values))
            self.groups[code] = group
        self.session.flush()
        self.stale_groups = list(
            self.session.exec(
                select(TutoringGroup).where(
                    col(TutoringGroup.school_id).in_(self.school_ids()),
                    col(TutoringGroup.code).not_in(codes),
                )
            )
        )

    def gid(self, code: str) -> int:
        return stored_id(self.groups[code])

    def all_group_ids(self) -> list[int]:
        groups = list(self.groups.values()) + self.stale_groups
        return [g.id for g in groups if g.id is not None]

    def group_members(self) -> None:
        desired = {
            (self.gid(code), self.pid(p)) for code, row in self.roster.groups.items() for p in row.pupils
        }
        existing = self.session.exec(
            select(GroupMember).where(col(GroupMember.group_id).in_(self.all_group_ids()))
        ).all()
        have = set()
        stale = {g.id for g in self.stale_groups}
        for member in existing:
            key = (member.group_id, member.pupil_id)
            if key in desired:
                have.add(key)
                self.changes.add("group_member", "unchanged")
            else:
                self.session.delete(member)
                self.changes.add("group_member", "removed")
                if member.group_id in stale:
                    self.emptied_groups.add(member.group_id)
        for group_id, pupil_id in sorted(desired - have):
            self.session.add(GroupMember(group_id=group_id, pupil_id=pupil_id))
            self.changes.add("group_member", "created")
        self.session.flush()

    def lesson_rows(self) -> None:
        existing = self.session.exec(
            select(Lesson).where(col(Lesson.group_id).in_(self.all_group_ids()))
        ).all()
        by_key = {(lesson.group_id, lesson.weekday, lesson.start_time): lesson for lesson in existing}
        wanted = set()
        for (code, weekday, start), row in self.roster.lessons.items():
            key = (self.gid(code), weekday, start)
            wanted.add(key)
            values: dict[str, Any] = {"minutes": row.minutes, "link": row.link, "active": True}
            lesson = by_key.get(key)
            if lesson is None:
                self.session.add(Lesson(group_id=key[0], weekday=weekday, start_time=start, **values))
                self.changes.add("lesson", "created")
            else:
                self.count("lesson", False, _sync(lesson, values))
        stale = {g.id for g in self.stale_groups}
        for key, lesson in by_key.items():
            if key not in wanted and lesson.active:
                lesson.active = False
                self.changes.add("lesson", "removed")
                if lesson.group_id in stale:
                    self.emptied_groups.add(lesson.group_id)
        for _ in self.emptied_groups:
            self.changes.add("group", "removed")
        self.session.flush()

    # -- invites ---------------------------------------------------------------------------------

    def invite_rows(self) -> None:
        """One invite per person created by this import who has not been seen in a chat yet."""
        for external_id in self.new_people:
            person_id = self.pid(external_id)
            if person_id in self.seen_in_chat:
                continue
            invite = Invite(
                code=new_code(),
                person_id=person_id,
                created_at=self.now,
                expires_at=self.now + self.invite_ttl,
            )
            self.session.add(invite)
            row = self.roster.people[external_id]
            self.invites.append(IssuedInvite(external_id, row.roles[0], invite.code, row.full_name))
            self.changes.add("invite", "created")

    # -- the store's own rules -------------------------------------------------------------------

    def check_store_rules(self) -> None:
        """The commit-time rules, run now so that a dry run meets them too (raises InvariantViolation).
        A programme whose rules the file changed is checked in every group of it, the file's or not."""
        self.session.flush()
        group_ids = set(self.all_group_ids())
        pupils = {self.pid(p) for row in self.roster.groups.values() for p in row.pupils}
        changed = [p.id for p in self.changed_programmes]
        if changed:
            for group_id, pupil_id in self.session.exec(
                select(GroupMember.group_id, GroupMember.pupil_id)
                .join(TutoringGroup, col(TutoringGroup.id) == GroupMember.group_id)
                .where(col(TutoringGroup.programme_id).in_(changed))
            ):
                group_ids.add(group_id)
                pupils.add(pupil_id)
        for group_id in sorted(group_ids):
            check_group_size(self.session, group_id)
        for pupil_id in sorted(pupils):
            check_subjects_per_pupil(self.session, pupil_id)
