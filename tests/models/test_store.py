"""The store's own guarantees, on SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from models import ChannelIdentity, GroupMember, Person, Programme, TutoringGroup
from models.clock import utcnow
from models.invariants import InvariantViolation
from models.invites import InviteError, issue_invite, redeem_invite
from models.phones import BadPhone, normalize_phone
from models.store import is_postgres, session_scope

pytestmark = pytest.mark.store


def _pupils(session: Session, count: int, prefix: str = "p") -> list[Person]:
    people = [Person(external_id=f"{prefix}{i}", full_name=f"Оқушы {i}") for i in range(count)]
    session.add_all(people)
    session.flush()
    return people


def _group(session: Session, code: str = "ALG-1", subject: str = "algebra") -> TutoringGroup:
    programme = session.exec(select(Programme).where(Programme.code == "digital-tutor")).first()
    if programme is None:
        programme = Programme(code="digital-tutor", name="Цифрлық ұстаз")
        session.add(programme)
        session.flush()
    group = TutoringGroup(code=code, programme_id=programme.id, subject=subject)
    session.add(group)
    session.flush()
    return group


def test_migrations_create_every_table(engine: Engine) -> None:
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        else:
            rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
        present = {r[0] for r in rows}
    assert set(SQLModel.metadata.tables) <= present
    assert "alembic_version" in present


def test_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    if engine.dialect.name == "sqlite":  # INTEGER already holds 64 bits there; 0002 leaves it be
        known = ("modify_type", None, "class_", "telegram_chat_id")
        differences = [d for d in differences if not (isinstance(d, list) and d[0][:4] == known)]
    assert differences == []


def test_the_dashboard_sign_in_migration_goes_down_and_up_again(engine: Engine) -> None:
    from alembic import command

    from models.migrate import alembic_config, upgrade

    def tables() -> set[str]:
        return set(inspect(engine).get_table_names())

    assert {"dashboard_challenge", "dashboard_session"} <= tables()
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert not {"dashboard_challenge", "dashboard_session"} & tables()
    upgrade(engine)
    assert {"dashboard_challenge", "dashboard_session"} <= tables()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_group_of_three_to_five_is_accepted(engine: Engine) -> None:
    with session_scope(engine) as session:
        group = _group(session)
        for pupil in _pupils(session, 5):
            session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
    with Session(engine) as session:
        assert len(session.exec(select(GroupMember)).all()) == 5


@pytest.mark.parametrize("size", [1, 2, 6])
def test_group_outside_three_to_five_is_refused_and_nothing_written(engine: Engine, size: int) -> None:
    with pytest.raises(InvariantViolation) as caught, session_scope(engine) as session:
        group = _group(session)
        for pupil in _pupils(session, size):
            session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
    assert caught.value.code == "group_size"
    assert caught.value.params["size"] == size
    with Session(engine) as session:
        assert session.exec(select(GroupMember)).all() == []
        assert session.exec(select(Person)).all() == []


def test_group_size_is_programme_data(engine: Engine) -> None:
    with session_scope(engine) as session:
        rural = Programme(code="virtual-class", name="Виртуалды сынып", min_group_size=1, max_group_size=15)
        session.add(rural)
        session.flush()
        group = TutoringGroup(code="MATH-V", programme_id=rural.id, subject="mathematics")
        session.add(group)
        session.flush()
        for pupil in _pupils(session, 12):
            session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
    with Session(engine) as session:
        assert len(session.exec(select(GroupMember)).all()) == 12


def test_pupil_takes_at_most_two_subjects(engine: Engine) -> None:
    with session_scope(engine) as session:
        pupils = _pupils(session, 3)
        for code, subject in (("ALG", "algebra"), ("PHY", "physics")):
            group = _group(session, code, subject)
            for pupil in pupils:
                session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
    with pytest.raises(InvariantViolation) as caught, session_scope(engine) as session:
        group = _group(session, "CHE", "chemistry")
        for pupil in session.exec(select(Person)).all():
            session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
    assert caught.value.code == "too_many_subjects"
    with Session(engine) as session:
        assert session.exec(select(TutoringGroup).where(TutoringGroup.code == "CHE")).first() is None
        assert len(session.exec(select(GroupMember)).all()) == 6


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 701 123 45 67", "+77011234567"),
        ("87011234567", "+77011234567"),
        ("+7 (701) 123-45-67", "+77011234567"),
        ("whatsapp:+77011234567", "+77011234567"),
        ("+7 916 123 45 67", "+79161234567"),
    ],
)
def test_phones_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12", "not a phone", "8 701 123"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(BadPhone):
        normalize_phone(raw)


def test_store_refuses_a_non_e164_number(engine: Engine) -> None:
    with pytest.raises(InvariantViolation), session_scope(engine) as session:
        session.add(ChannelIdentity(channel="whatsapp", address="8 701 123 45 67"))
    with session_scope(engine) as session:
        session.add(ChannelIdentity(channel="whatsapp", address="+77011234567"))
        session.add(ChannelIdentity(channel="telegram", address="123456789"))


def test_invite_is_single_use(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = _pupils(session, 1)[0]
        code = issue_invite(session, person.id, ttl=timedelta(days=30)).code
    with session_scope(engine) as session:
        assert redeem_invite(session, code).id == person.id
    with pytest.raises(InviteError) as caught, session_scope(engine) as session:
        redeem_invite(session, code)
    assert caught.value.reason == "used"


def test_invite_expires(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = _pupils(session, 1)[0]
        code = issue_invite(session, person.id, ttl=timedelta(days=1)).code
    with pytest.raises(InviteError) as caught, session_scope(engine) as session:
        redeem_invite(session, code, now=utcnow() + timedelta(days=2))
    assert caught.value.reason == "expired"


def test_unknown_invite_says_so(engine: Engine) -> None:
    with pytest.raises(InviteError) as caught, session_scope(engine) as session:
        redeem_invite(session, "NO-SUCH-CODE")
    assert caught.value.reason == "unknown"


def test_postgres_connections_do_not_compile_queries_to_machine_code(engine: Engine) -> None:
    """JIT compiling cost the attention list 2 s for 0.3 s of work (`models.store.POSTGRES_OPTIONS`)."""
    if not is_postgres(engine):
        pytest.skip("SQLite has no JIT")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
