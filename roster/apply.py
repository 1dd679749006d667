"""Applying a validated roster to the store: the difference only, inside the caller's transaction.

Keys are the file's own: programme code, school code, (school, class name), person external id,
group code, (group, weekday, start) for lessons. Whatever the file no longer holds for its schools is
removed (memberships, guardianships of its pupils, group members, a person's phone and post
identities) or deactivated (lessons); programmes, people, schools, classes and groups themselves are
never deleted, as history (homework, attendance, consent) refers to them.

Each kind of row is read once, as plain rows of the columns compared (`roster.bulk`), diffed in
memory, and only what differs is written, in batches: an unchanged file reads the store and writes
nothing but its audit row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    CalendarEntry,
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
from models.invariants import check_group_sizes, check_subjects_per_pupils
from models.invites import new_code
from models.phones import masked
from roster.bulk import delete_ids, differing, insert_rows, rows_where_in, update_rows
from roster.parsed import ClassRow, ProgrammeRow, Roster, SchoolRow
from roster.report import Changes, IssuedInvite
from roster.schema import DEFAULT_PROGRAMME
from roster.validate import StoreFacts, default_programme, rules_of

MANAGED_CHANNELS = (Channel.WHATSAPP, Channel.SMS, Channel.POST)
PRIORITY = {Channel.WHATSAPP: 1, Channel.SMS: 2, Channel.POST: 3}

MembershipKey = tuple[int, str, int, int | None]  # person, role, school, class


def _set_by_file(model: type[SQLModel]) -> tuple[str, ...]:
    """A keyed model's columns the file sets: all but its id and its code."""
    return tuple(name for name in model.model_fields if name not in ("id", "code"))


PROGRAMME_COLUMNS = _set_by_file(Programme)
SCHOOL_COLUMNS = _set_by_file(School)


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


def school_values(row: SchoolRow) -> dict[str, Any]:
    """A School's fields from the file's schools sheet."""
    return {
        "name": row.name,
        "locality": row.locality,
        "postal_point": row.postal_point,
        "day_start": row.day_start,
        "day_end": row.day_end,
        "school_days": list(row.days),
    }


def default_programme_values() -> dict[str, Any]:
    """The Digital Tutor's row as the store first gets it, when a group names it before any file
    defines it."""
    programme = default_programme()
    return {"code": programme.code, **{c: getattr(programme, c) for c in PROGRAMME_COLUMNS}}


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


def _channel_change(
    identity_id: int | None, person_id: int | None, channel: str, address: str, change: str
) -> RecordChange:
    """A phone or postal channel given to or taken from a person: the address never shown whole."""
    shown = masked(address) if channel != Channel.POST else "changed"
    fields = {"person_id": person_id, "channel": channel, "address": shown}
    return RecordChange("channel_identity", identity_id, change, fields)


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
        # The file's keys → the store's ids, in the file's order.
        self.programmes: dict[str, int] = {}
        self.schools: dict[str, int] = {}
        self.classes: dict[tuple[str, str], int] = {}
        self.people: dict[str, int] = {}
        self.new_people: list[str] = []
        self.groups: dict[str, int] = {}
        self.stale_groups: list[int] = []
        self.emptied_groups: set[int] = set()
        self.seen_in_chat: set[int] = set()
        # Kind → the store's ids of the rows `keyed_rows` updated (a programme's changed rules
        # re-check all its groups).
        self.updated_ids: dict[str, list[int]] = defaultdict(list)

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
        self.calendar_rows()
        self.invite_rows()

    def tally(self, kind: str, **counts: int) -> None:
        """Counts of one kind of row; a kind with no rows stays out of the report."""
        for what, n in counts.items():
            if n:
                self.changes.add(kind, what, n)

    def keyed_rows(
        self,
        kind: str,
        model: Any,
        read: Callable[[list[Any]], dict[Any, Any]],
        desired: dict[Any, dict[str, Any]],
        new_values: dict[Any, dict[str, Any]],
    ) -> dict[Any, int]:
        """Rows the file keys (school, class, group): `read(keys)` gives the stored rows by key;
        insert the missing with `new_values`, update those whose `desired` values differ. The
        store's id of every key, in the file's order."""
        found = read(list(desired))
        created = [key for key in desired if key not in found]
        changed = [
            {"id": found[key].id, **diff}
            for key, values in desired.items()
            if key in found and (diff := differing(found[key], values))
        ]
        kept = len(desired) - len(created)
        insert_rows(self.session, model, [new_values[key] for key in created])
        update_rows(self.session, model, changed)
        self.updated_ids[kind].extend(row["id"] for row in changed)
        if created:
            found.update(read(created))
        self.tally(kind, created=len(created), updated=len(changed), unchanged=kept - len(changed))
        return {key: found[key].id for key in desired}

    def by_code(self, model: Any, columns: tuple[str, ...], codes: list[str]) -> dict[str, Any]:
        """The stored rows of `model` (programme, school, group) with these codes: id, code and
        `columns`, by code."""
        selected = [model.id, model.code, *(getattr(model, c) for c in columns)]
        return {row.code: row for row in rows_where_in(self.session, selected, model.code, codes)}

    # -- programmes, schools, classes ------------------------------------------------------------

    def programme_rows(self) -> None:
        """The file's programmes created or their rules updated; the others its groups name are the
        store's (the Digital Tutor's created with its defaults when absent)."""
        read = partial(self.by_code, Programme, PROGRAMME_COLUMNS)
        desired = {code: programme_values(row) for code, row in self.roster.programmes.items()}
        new = {code: {"code": code, **values} for code, values in desired.items()}
        self.programmes = self.keyed_rows("programme", Programme, read, desired, new)
        named = sorted({group.programme for group in self.roster.groups.values()} - set(desired))
        held = read(named)
        missing = [code for code in named if code == DEFAULT_PROGRAMME and code not in held]
        insert_rows(self.session, Programme, [default_programme_values() for _ in missing])
        if missing:
            held.update(read(missing))
        self.tally("programme", created=len(missing), unchanged=len(held) - len(missing))
        self.programmes.update((code, row.id) for code, row in held.items())

    def school_rows(self) -> None:
        read = partial(self.by_code, School, SCHOOL_COLUMNS)
        desired = {code: school_values(row) for code, row in self.roster.schools.items()}
        new = {code: {"code": code, **values} for code, values in desired.items()}
        self.schools = self.keyed_rows("school", School, read, desired, new)

    def school_ids(self) -> list[int]:
        return list(self.schools.values())

    def class_rows(self) -> None:
        def read(_keys: list[tuple[int, str]]) -> dict[tuple[int, str], Any]:
            selected = [SchoolClass.id, SchoolClass.school_id, SchoolClass.name, SchoolClass.grade]
            rows = rows_where_in(self.session, selected, SchoolClass.school_id, self.school_ids())
            return {(row.school_id, row.name): row for row in rows}

        by_key = {key: (self.sid(row.school), row) for key, row in self.roster.classes.items()}
        desired = {(school_id, row.name): {"grade": row.grade} for school_id, row in by_key.values()}
        new = {
            (school_id, row.name): {"school_id": school_id, "name": row.name, "grade": row.grade}
            for school_id, row in by_key.values()
        }
        ids = self.keyed_rows("class", SchoolClass, read, desired, new)
        self.classes = {key: ids[(school_id, row.name)] for key, (school_id, row) in by_key.items()}

    # -- people ----------------------------------------------------------------------------------

    def person_rows(self) -> None:
        columns = ("full_name", "phone", "low_income", "by_post", "postal_address")
        found = {
            row.external_id: row
            for row in rows_where_in(
                self.session,
                [Person.id, Person.external_id, Person.locale, Person.locale_chosen]
                + [getattr(Person, c) for c in columns],
                Person.external_id,
                self.roster.people,
            )
        }
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for external_id, row in self.roster.people.items():
            values = {c: getattr(row, c) for c in columns}
            held = found.get(external_id)
            if held is None:
                new.append(
                    {"external_id": external_id, "locale": row.locale, "created_at": self.now, **values}
                )
                self.new_people.append(external_id)
                continue
            if not held.locale_chosen:  # a language chosen in the chat wins over the file
                values["locale"] = row.locale
            if diff := differing(held, values):
                changed.append({"id": held.id, **diff})
                before = {name: (getattr(held, name), value) for name, value in diff.items()}
                self.record_changes.append(RecordChange("person", held.id, "updated", _shown(before)))
        insert_rows(self.session, Person, new)
        update_rows(self.session, Person, changed)
        created = rows_where_in(
            self.session, [Person.id, Person.external_id], Person.external_id, self.new_people
        )
        ids = {row.external_id: row.id for row in created} | {e: row.id for e, row in found.items()}
        self.people = {external_id: ids[external_id] for external_id in self.roster.people}
        self.tally("person", created=len(new), updated=len(changed), unchanged=len(found) - len(changed))

    def pid(self, external_id: str) -> int:
        return self.people[external_id]

    def sid(self, code: str) -> int:
        return self.schools[code]

    def desired_memberships(self) -> set[MembershipKey]:
        led: dict[str, list[ClassRow]] = defaultdict(list)
        for klass in self.roster.classes.values():
            if klass.class_teacher is not None:
                led[klass.class_teacher].append(klass)
        guardian_schools = self.roster.guardian_schools()
        desired: set[MembershipKey] = set()
        for external_id, row in self.roster.people.items():
            person_id = self.pid(external_id)
            for role in row.roles:
                if role == Role.PUPIL and row.school and row.class_name:
                    klass_id = self.classes[(row.school, row.class_name)]
                    desired.add((person_id, role, self.sid(row.school), klass_id))
                elif role == Role.GUARDIAN:
                    schools = ({row.school} if row.school else set()) | guardian_schools.get(
                        external_id, set()
                    )
                    desired.update((person_id, role, self.sid(s), None) for s in schools)
                elif role == Role.CLASS_TEACHER:
                    desired.update(
                        (person_id, role, self.sid(c.school), self.classes[(c.school, c.name)])
                        for c in led[external_id]
                    )
                    if not led[external_id] and row.school:
                        desired.add((person_id, role, self.sid(row.school), None))
                elif row.school:
                    desired.add((person_id, role, self.sid(row.school), None))
        return desired

    def memberships(self) -> None:
        desired = self.desired_memberships()
        existing = rows_where_in(
            self.session,
            [Membership.id, Membership.person_id, Membership.role, Membership.school_id, Membership.class_id],
            Membership.school_id,
            self.school_ids(),
        )
        kept: set[MembershipKey] = set()
        spare: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
        for m in sorted(existing, key=lambda m: m.id):
            key = (m.person_id, m.role, m.school_id, m.class_id)
            if key in desired and key not in kept:
                kept.add(key)
            else:
                spare[key[:3]].append(m)
        moved: list[dict[str, Any]] = []
        new: list[dict[str, Any]] = []
        for key in sorted(desired - kept, key=repr):
            reusable = spare.get(key[:3])
            if reusable:  # same person, role and school: a pupil moved to another class
                m = reusable.pop(0)
                fields = {"person_id": m.person_id, "class_id": [m.class_id, key[3]]}
                self.record_changes.append(RecordChange("membership", m.id, "updated", fields))
                moved.append({"id": m.id, "class_id": key[3]})
            else:
                person_id, role, school_id, class_id = key
                new.append(
                    {"person_id": person_id, "role": role, "school_id": school_id, "class_id": class_id}
                )
        removed: list[int] = []
        for rows in spare.values():
            for m in rows:
                fields = {"person_id": m.person_id, "role": m.role, "school_id": m.school_id}
                self.record_changes.append(RecordChange("membership", m.id, "removed", fields))
                removed.append(m.id)
        update_rows(self.session, Membership, moved)
        insert_rows(self.session, Membership, new)
        delete_ids(self.session, Membership, removed)
        self.tally(
            "membership", unchanged=len(kept), updated=len(moved), created=len(new), removed=len(removed)
        )

    def guardianships(self) -> None:
        pupils = [self.pid(i) for i, row in self.roster.people.items() if Role.PUPIL in row.roles]
        desired = {(self.pid(g), self.pid(p)) for g, p in self.roster.guardianships}
        existing = rows_where_in(
            self.session,
            [Guardianship.id, Guardianship.guardian_id, Guardianship.pupil_id],
            Guardianship.pupil_id,
            pupils,
        )
        have = {(link.guardian_id, link.pupil_id) for link in existing} & desired
        removed: list[int] = []
        for link in existing:
            if (link.guardian_id, link.pupil_id) not in desired:
                fields = {"guardian_id": link.guardian_id, "pupil_id": link.pupil_id}
                self.record_changes.append(RecordChange("guardianship", link.id, "removed", fields))
                removed.append(link.id)
        delete_ids(self.session, Guardianship, removed)
        new = [{"guardian_id": g, "pupil_id": p} for g, p in sorted(desired - have)]
        insert_rows(self.session, Guardianship, new)
        self.tally(
            "guardianship", unchanged=len(existing) - len(removed), removed=len(removed), created=len(new)
        )

    def identities(self) -> None:
        """WhatsApp and SMS at the person's phone if it is a mobile one (a landline takes neither: its
        family is on the class teacher's call or paper list), post at the postal address; Telegram
        is left alone (it is bound when the person joins). An address no longer theirs is detached,
        not deleted, as delivery history refers to it. The store's rule that phones are E.164 is met by
        construction: they are `checked_phone`'s output (roster.fields.parse_phone), as is `mobile`."""
        desired: dict[tuple[str, str], tuple[int, int]] = {}
        channel: str
        for external_id, row in self.roster.people.items():
            person_id = self.pid(external_id)
            if row.phone and row.mobile:
                for channel in (Channel.WHATSAPP, Channel.SMS):
                    desired[(channel, row.phone)] = (person_id, PRIORITY[channel])
            if row.by_post and row.postal_address:
                desired[(Channel.POST, row.postal_address)] = (person_id, PRIORITY[Channel.POST])
        # By person only: with the channels in the query too, SQLite (without statistics) walks the
        # (channel, address) index by channel, every identity once per chunk of people.
        current = rows_where_in(
            self.session,
            [ChannelIdentity.id, ChannelIdentity.person_id, ChannelIdentity.channel, ChannelIdentity.address],
            ChannelIdentity.person_id,
            self.people.values(),
        )
        detached: list[dict[str, Any]] = []
        for i in current:
            if i.channel not in MANAGED_CHANNELS:
                continue
            if (wanted := desired.get((i.channel, i.address))) is None or wanted[0] != i.person_id:
                self.record_changes.append(
                    _channel_change(i.id, i.person_id, i.channel, i.address, "removed")
                )
                detached.append({"id": i.id, "person_id": None})
        new_ids = {self.pid(i) for i in self.new_people}
        update_rows(self.session, ChannelIdentity, detached)
        found = {
            (i.channel, i.address): i
            for i in rows_where_in(
                self.session,
                [
                    ChannelIdentity.id,
                    ChannelIdentity.person_id,
                    ChannelIdentity.channel,
                    ChannelIdentity.address,
                    ChannelIdentity.priority,
                    ChannelIdentity.last_inbound_at,
                ],
                ChannelIdentity.address,
                sorted({address for _, address in desired}),
                col(ChannelIdentity.channel).in_(list(MANAGED_CHANNELS)),  # (channel, address) is indexed
            )
        }
        new: list[dict[str, Any]] = []
        claimed: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        unchanged = 0
        for (channel, address), (person_id, priority) in desired.items():
            held = found.get((channel, address))
            values = {"person_id": person_id, "priority": priority}
            if held is None:
                new.append({"channel": channel, "address": address, **values})
                if person_id not in new_ids:  # a new person's channels are the import's counts
                    self.record_changes.append(_channel_change(None, person_id, channel, address, "created"))
                continue
            if held.person_id != person_id:  # unclaimed (written to us before the roster) or detached
                claimed.append({"id": held.id, **values})
                self.record_changes.append(_channel_change(held.id, person_id, channel, address, "created"))
            elif held.priority != priority:
                changed.append({"id": held.id, "priority": priority})
            else:
                unchanged += 1
            if held.last_inbound_at is not None:
                self.seen_in_chat.add(person_id)
        insert_rows(self.session, ChannelIdentity, new)
        update_rows(self.session, ChannelIdentity, claimed + changed)
        self.tally(
            "channel",
            removed=len(detached),
            created=len(new) + len(claimed),
            updated=len(changed),
            unchanged=unchanged,
        )

    # -- groups and lessons ----------------------------------------------------------------------

    def group_rows(self) -> None:
        columns = ("programme_id", "school_id", "subject", "tutor_id", "assistant_id")
        read = partial(self.by_code, TutoringGroup, columns)
        desired = {
            code: {
                "programme_id": self.programmes[row.programme],
                "school_id": self.sid(row.school) if row.school else None,
                "subject": row.subject,
                "tutor_id": self.pid(row.tutor),
                "assistant_id": self.pid(row.assistant) if row.assistant else None,
            }
            for code, row in self.roster.groups.items()
        }
        new = {code: {"code": code, **values} for code, values in desired.items()}
        self.groups = self.keyed_rows("group", TutoringGroup, read, desired, new)
        owned = rows_where_in(
            self.session, [TutoringGroup.id, TutoringGroup.code], TutoringGroup.school_id, self.school_ids()
        )
        self.stale_groups = sorted(g.id for g in owned if g.code not in self.roster.groups)

    def gid(self, code: str) -> int:
        return self.groups[code]

    def all_group_ids(self) -> list[int]:
        return list(self.groups.values()) + self.stale_groups

    def group_members(self) -> None:
        desired = {
            (self.gid(code), self.pid(p)) for code, row in self.roster.groups.items() for p in row.pupils
        }
        existing = rows_where_in(
            self.session,
            [GroupMember.id, GroupMember.group_id, GroupMember.pupil_id],
            GroupMember.group_id,
            self.all_group_ids(),
        )
        stale = set(self.stale_groups)
        have = {(m.group_id, m.pupil_id) for m in existing} & desired
        removed = [m for m in existing if (m.group_id, m.pupil_id) not in desired]
        self.emptied_groups.update(m.group_id for m in removed if m.group_id in stale)
        delete_ids(self.session, GroupMember, [m.id for m in removed])
        new = [{"group_id": g, "pupil_id": p} for g, p in sorted(desired - have)]
        insert_rows(self.session, GroupMember, new)
        self.tally(
            "group_member", unchanged=len(existing) - len(removed), removed=len(removed), created=len(new)
        )

    def lesson_rows(self) -> None:
        existing = rows_where_in(
            self.session,
            [
                Lesson.id,
                Lesson.group_id,
                Lesson.weekday,
                Lesson.start_time,
                Lesson.minutes,
                Lesson.link,
                Lesson.active,
            ],
            Lesson.group_id,
            self.all_group_ids(),
        )
        by_key = {(x.group_id, x.weekday, x.start_time): x for x in sorted(existing, key=lambda x: x.id)}
        wanted = set()
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for (code, weekday, start), row in self.roster.lessons.items():
            key = (self.gid(code), weekday, start)
            wanted.add(key)
            values: dict[str, Any] = {"minutes": row.minutes, "link": row.link, "active": True}
            lesson = by_key.get(key)
            if lesson is None:
                new.append({"group_id": key[0], "weekday": weekday, "start_time": start, **values})
            elif diff := differing(lesson, values):
                changed.append({"id": lesson.id, **diff})
        stale = set(self.stale_groups)
        ended = [x for key, x in by_key.items() if key not in wanted and x.active]
        self.emptied_groups.update(x.group_id for x in ended if x.group_id in stale)
        insert_rows(self.session, Lesson, new)
        update_rows(self.session, Lesson, changed + [{"id": x.id, "active": False} for x in ended])
        unchanged = len(wanted) - len(new) - len(changed)
        self.tally("lesson", created=len(new), updated=len(changed), unchanged=unchanged, removed=len(ended))
        self.tally("group", removed=len(self.emptied_groups))

    # -- the schools' own calendar --------------------------------------------------------------

    def calendar_rows(self) -> None:
        """The schools' own calendar entries, when the file has the sheet: its rows are all of them."""
        if not self.roster.calendar_given:
            return
        existing = rows_where_in(
            self.session,
            [
                CalendarEntry.id,
                CalendarEntry.school_id,
                CalendarEntry.kind,
                CalendarEntry.starts,
                CalendarEntry.ends,
                CalendarEntry.name,
                CalendarEntry.grades,
            ],
            CalendarEntry.school_id,
            self.school_ids(),
        )
        by_key = {(x.school_id, x.kind, x.starts): x for x in existing}
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for (code, kind, start), entry in self.roster.calendar.items():
            key = (self.sid(code), kind, start)
            values: dict[str, Any] = {"ends": entry.end, "name": entry.name, "grades": list(entry.grades)}
            found = by_key.pop(key, None)
            if found is None:
                new.append({"school_id": key[0], "kind": kind, "starts": start, **values})
            elif diff := differing(found, values):
                changed.append({"id": found.id, **diff})
        insert_rows(self.session, CalendarEntry, new)
        update_rows(self.session, CalendarEntry, changed)
        delete_ids(self.session, CalendarEntry, [x.id for x in by_key.values()])
        unchanged = len(self.roster.calendar) - len(new) - len(changed)
        self.tally(
            "calendar", created=len(new), updated=len(changed), unchanged=unchanged, removed=len(by_key)
        )

    # -- invites ---------------------------------------------------------------------------------

    def invite_rows(self) -> None:
        """One invite per person created by this import who has not been seen in a chat yet."""
        rows: list[dict[str, Any]] = []
        for external_id in self.new_people:
            person_id = self.pid(external_id)
            if person_id in self.seen_in_chat:
                continue
            code = new_code()
            rows.append(
                {
                    "code": code,
                    "person_id": person_id,
                    "created_at": self.now,
                    "expires_at": self.now + self.invite_ttl,
                }
            )
            row = self.roster.people[external_id]
            self.invites.append(IssuedInvite(external_id, row.roles[0], code, row.full_name))
        insert_rows(self.session, Invite, rows)
        self.tally("invite", created=len(rows))

    # -- the store's own rules -------------------------------------------------------------------

    def check_store_rules(self) -> None:
        """The commit-time rules, run now so that a dry run meets them too (raises InvariantViolation).
        The rows above were written without ORM objects, so the commit-time check would not see them. A
        programme whose rules the file changed is checked in every group of it, the file's or not."""
        self.session.flush()
        group_ids = self.all_group_ids()
        pupils = {self.pid(p) for row in self.roster.groups.values() for p in row.pupils}
        if changed := self.updated_ids["programme"]:
            known = set(group_ids)
            others = rows_where_in(self.session, [TutoringGroup.id], TutoringGroup.programme_id, changed)
            group_ids = group_ids + sorted(g.id for g in others if g.id not in known)
            members = rows_where_in(
                self.session, [GroupMember.pupil_id], GroupMember.group_id, [g.id for g in others]
            )
            pupils.update(m.pupil_id for m in members)
        check_group_sizes(self.session, group_ids)
        check_subjects_per_pupils(self.session, sorted(pupils))
