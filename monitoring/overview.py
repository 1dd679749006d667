"""The dashboard's first page, as data: the figures of a scope over a period, in all and per school,
group or tutor (`DIMENSIONS`, by how wide the reader's scope is), with the charts' series.

A district sees its schools side by side (and drills down into one); a school coordinator and a
class teacher see their groups and tutors; a tutor or an assistant teacher their own groups.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from locales import Text, subject_name
from locales.collation import sort_key
from models.people import Person
from models.school import School, TutoringGroup
from monitoring.figures import (
    Figures,
    Key,
    Reading,
    Week,
    measure,
    pupils_by_group,
    pupils_by_school,
    pupils_by_tutor,
    rollup,
    total_of,
    with_pupils,
)
from monitoring.scope import CLASS, DISTRICT, GROUP, SCHOOL

DIMENSIONS: dict[str, tuple[str, ...]] = {
    DISTRICT: ("school",),
    SCHOOL: ("group", "tutor"),
    CLASS: ("group", "tutor"),
    GROUP: ("group",),
}


@dataclass(frozen=True)
class Unit:
    """One row of a breakdown: a school, a group or a tutor, with its figures."""

    kind: str
    key: int
    name: str
    detail: Text | str
    figures: Figures


@dataclass
class Overview:
    reading: Reading
    total: Figures
    units: dict[str, list[Unit]] = field(default_factory=dict)
    weeks: list[Week] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.units)


@dataclass(frozen=True)
class GroupInfo:
    code: str
    subject: str
    tutor_id: int | None


def overview(session: Session, reading: Reading) -> Overview:
    """Every figure of the overview page for `reading`."""
    measured = measure(session, reading)
    cells = measured.cells
    by_school = with_pupils(rollup(cells, _school), dict(pupils_by_school(session, reading)))
    total = total_of(by_school.values())
    for key, cell in cells.items():
        if key[0] is None:  # a pupil with no school membership still counts in all
            total.add(cell)
    result = Overview(reading, total, weeks=measured.series(reading.period), scores=measured.scores)
    dimensions = DIMENSIONS[reading.scope.level]
    if "school" not in dimensions and len(reading.scope.school_ids) > 1:
        dimensions = ("school", *dimensions)
    groups = _groups(session, reading) if {"group", "tutor"} & set(dimensions) else {}
    for kind in dimensions:
        if kind == "school":
            result.units[kind] = _schools(session, by_school, reading.language)
        elif kind == "group":
            per_group = with_pupils(rollup(cells, _group), dict(pupils_by_group(session, reading)))
            result.units[kind] = _group_units(per_group, groups, reading.language)
        else:
            per_tutor = with_pupils(
                rollup(cells, _tutor_key(groups)), dict(pupils_by_tutor(session, reading))
            )
            result.units[kind] = _tutor_units(session, per_tutor, groups, reading.language)
    return result


def _plain(session: Session) -> Connection:
    """The session's connection: names and codes are read as plain tuples, without the ORM's work
    per row (1,920 groups a school)."""
    return session.connection()


def _school(key: Key) -> Hashable:
    return key[0]


def _group(key: Key) -> Hashable:
    return key[1]


def _tutor_key(groups: dict[int, GroupInfo]) -> Callable[[Key], Hashable]:
    """A cell's tutor: its group's."""
    tutor_of = {gid: info.tutor_id for gid, info in groups.items()}

    def key(cell: Key) -> Hashable:
        return tutor_of.get(cell[1]) if cell[1] is not None else None

    return key


def _groups(session: Session, reading: Reading) -> dict[int, GroupInfo]:
    rows = (
        _plain(session)
        .execute(
            select(
                col(TutoringGroup.id),
                col(TutoringGroup.code),
                col(TutoringGroup.subject),
                col(TutoringGroup.tutor_id),
            ).where(col(TutoringGroup.id).in_(reading.groups()))
        )
        .all()
    )
    return {gid: GroupInfo(code, subject, tutor) for gid, code, subject, tutor in rows if gid is not None}


def by_name(units: list[Unit], language: str) -> list[Unit]:
    """Units in the alphabet of a reader of `language`, numbers by value: «8А» before «10Б», «Әсем»
    after «Асан» and before «Бекзат» (`locales.collation`)."""
    return sorted(units, key=lambda unit: sort_key(language, unit.name))


def _schools(session: Session, figures: dict[Hashable, Figures], language: str) -> list[Unit]:
    ids = [key for key in figures if isinstance(key, int)]
    rows = (
        _plain(session)
        .execute(
            select(col(School.id), col(School.name), col(School.district)).where(col(School.id).in_(ids))
        )
        .all()
    )
    named = {sid: (name, district) for sid, name, district in rows}
    units = [
        Unit("school", key, named.get(key, ("", ""))[0], named.get(key, ("", ""))[1], figures[key])
        for key in ids
    ]
    return by_name(units, language)


def _group_units(figures: dict[Hashable, Figures], groups: dict[int, GroupInfo], language: str) -> list[Unit]:
    units = [
        Unit("group", gid, info.code, subject_name(info.subject), figures.get(gid, Figures()))
        for gid, info in groups.items()
    ]
    return by_name(units, language)


def _tutor_units(
    session: Session, figures: dict[Hashable, Figures], groups: dict[int, GroupInfo], language: str
) -> list[Unit]:
    ids = [key for key in figures if isinstance(key, int)]
    names = dict(
        _plain(session)
        .execute(select(col(Person.id), col(Person.full_name)).where(col(Person.id).in_(ids)))
        .all()
    )
    codes: dict[int, list[str]] = {}
    for info in groups.values():
        if info.tutor_id is not None:
            codes.setdefault(info.tutor_id, []).append(info.code)
    units = [
        Unit(
            "tutor",
            key,
            names.get(key, ""),
            ", ".join(sorted(codes.get(key, []), key=lambda code: sort_key(language, code))),
            figures[key],
        )
        for key in ids
    ]
    return by_name(units, language)
