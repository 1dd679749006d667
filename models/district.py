"""Coordinators above schools: a district's (аудан / район) or a region's (облыс / область)
education office, who read the monitoring of every school there and change nothing in them.

A school names its region and district (`School.region`, `School.district`: `ustaz district place`,
kept when the school's roster is imported again). A row here gives one person one district of a
region, or the whole region when `district` is empty (`ustaz district grant`; `bots.district_cli`).
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

AREA_CHARS = 200


class DistrictCoordinator(SQLModel, table=True):
    __tablename__ = "district_coordinator"
    __table_args__ = (UniqueConstraint("person_id", "region", "district"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    region: str = Field(max_length=AREA_CHARS)
    district: str = Field(default="", max_length=AREA_CHARS)  # empty: every district of the region
