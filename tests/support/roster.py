"""Helpers for the roster importer tests: the sample files, csv editing, and a store snapshot."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select

from models import (
    ChannelIdentity,
    GroupMember,
    Guardianship,
    Lesson,
    Membership,
    Person,
    School,
    SchoolClass,
    TutoringGroup,
)
from roster import ImportReport, import_roster

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_XLSX = ROOT / "sandbox" / "sample_roster.xlsx"
SAMPLE_CSV = ROOT / "sandbox" / "sample_roster.csv"
NOW = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
TTL = timedelta(days=30)


def run(engine: Engine, path: Path, *, dry_run: bool = False) -> ImportReport:
    return import_roster(engine, path, dry_run=dry_run, invite_ttl=TTL, now=NOW)


class Table:
    """The sample csv as rows of dicts, to edit and write back (row numbers: header is 1)."""

    def __init__(self, path: Path = SAMPLE_CSV) -> None:
        text = path.read_bytes().decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
        self.header = list(reader.fieldnames or [])
        self.rows: list[dict[str, str]] = [dict(r) for r in reader]

    def find(self, sheet: str, **match: str) -> dict[str, str]:
        return self.rows[self.index(sheet, **match)]

    def index(self, sheet: str, **match: str) -> int:
        for i, row in enumerate(self.rows):
            if row["sheet"] == sheet and all(row[k] == v for k, v in match.items()):
                return i
        raise KeyError((sheet, match))

    def line(self, sheet: str, **match: str) -> int:
        """The spreadsheet row number of a row (header is row 1)."""
        return self.index(sheet, **match) + 2

    def append(self, **values: str) -> int:
        self.rows.append({name: values.get(name, "") for name in self.header})
        return len(self.rows) + 1

    def remove(self, sheet: str, **match: str) -> None:
        del self.rows[self.index(sheet, **match)]

    def write(self, path: Path, delimiter: str = ";") -> Path:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, self.header, delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return path


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in sorted(SQLModel.metadata.tables.items())
        }


def snapshot(engine: Engine) -> dict[str, Any]:
    """The roster part of the store by its external keys (ids differ between stores)."""
    with Session(engine) as session:
        people = {p.id: p.external_id for p in session.exec(select(Person))}
        classes = {c.id: c.name for c in session.exec(select(SchoolClass))}
        schools = {s.id: s.code for s in session.exec(select(School))}
        groups = {g.id: g.code for g in session.exec(select(TutoringGroup))}
        return {
            "schools": sorted(
                (s.code, s.name, s.locality, s.postal_point, str(s.day_start), str(s.day_end))
                for s in session.exec(select(School))
            ),
            "classes": sorted(
                (schools[c.school_id], c.name, c.grade) for c in session.exec(select(SchoolClass))
            ),
            "people": sorted(
                (p.external_id, p.full_name, p.locale, p.phone, p.low_income, p.by_post, p.postal_address)
                for p in session.exec(select(Person))
            ),
            "memberships": sorted(
                (people[m.person_id], m.role, schools[m.school_id], classes.get(m.class_id))  # type: ignore[arg-type]
                for m in session.exec(select(Membership))
            ),
            "guardianships": sorted(
                (people[g.guardian_id], people[g.pupil_id]) for g in session.exec(select(Guardianship))
            ),
            "identities": sorted(
                (people.get(i.person_id), i.channel, i.address, i.priority)  # type: ignore[arg-type]
                for i in session.exec(select(ChannelIdentity))
            ),
            "groups": sorted(
                (
                    g.code,
                    g.subject,
                    schools.get(g.school_id),  # type: ignore[arg-type]
                    people.get(g.tutor_id),  # type: ignore[arg-type]
                    people.get(g.assistant_id),  # type: ignore[arg-type]
                )
                for g in session.exec(select(TutoringGroup))
            ),
            "members": sorted(
                (groups[m.group_id], people[m.pupil_id]) for m in session.exec(select(GroupMember))
            ),
            "lessons": sorted(
                (groups[x.group_id], x.weekday, str(x.start_time), x.minutes, x.link, x.active)
                for x in session.exec(select(Lesson).order_by(col(Lesson.id)))
            ),
        }
