"""The programme-rules migration on a store that already holds programmes and schools: the Digital
Tutor learns its name in each language, every programme gets the national quarter weights and keeps
its groups single-grade, a school works Monday to Friday; and the migration goes down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from models import Programme, School
from models.migrate import alembic_config, upgrade
from models.school import DIGITAL_TUTOR_NAMES, QUARTER_WEIGHTS

pytestmark = pytest.mark.store


def _down(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_programmes_and_schools_stored_before_get_their_rules(engine: Engine) -> None:
    _down(engine, "0014_calendar")
    assert "weights" not in {c["name"] for c in inspect(engine).get_columns("programme")}
    with engine.begin() as connection:
        for code, name in (("digital-tutor", "Цифрлық ұстаз"), ("night-school", "Кешкі мектеп")):
            connection.execute(
                text(
                    "INSERT INTO programme (code, name, min_group_size, max_group_size, subjects,"
                    " subjects_per_pupil, lessons_per_week, lesson_minutes, outside_school_hours,"
                    " postal_interval_days) VALUES (:code, :name, 3, 5, '[\"algebra\"]', 2, 2, 60, :yes, 14)"
                ),
                {"code": code, "name": name, "yes": True},
            )
        connection.execute(text("INSERT INTO school (code, name, locality, day_start, day_end, postal_point)"
                                " VALUES ('SH2', '№2', '', '08:00:00', '14:00:00', '')"))  # fmt: skip
    upgrade(engine)
    with Session(engine) as session:
        tutor, night = session.exec(select(Programme).order_by(Programme.code)).all()  # type: ignore[arg-type]
        school = session.exec(select(School)).one()
    assert tutor.consent_names == DIGITAL_TUTOR_NAMES and tutor.consent_name("ru") == "Цифровой наставник"
    assert night.consent_names == {} and night.consent_name("ru") == "Кешкі мектеп"  # its own name
    assert tutor.weights == night.weights == QUARTER_WEIGHTS
    assert (tutor.mixed_grades, tutor.low_income_only) == (False, True)
    assert school.school_days == [0, 1, 2, 3, 4]
