"""Property-based: random sequences of inbound events (texts, commands, pressed buttons, photos, good
and broken) from people on the roster and from strangers, fed to the handlers on a seeded store.
Whatever the sequence: no turn crashes, no message is written to a pupil without a guardian's
consent in force, and no handed-in page is lost (every receipt names pages that are stored, and
stored pages never disappear)."""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply, Upload
from models import Membership, Notification, SubmissionPage
from models.consent_rules import has_consent
from models.store import make_engine
from tests.support.homework import PEOPLE, World, build_world, page_image

pytestmark = pytest.mark.flow

WHO = [*PEOPLE, "stranger1", "stranger2"]
COMMANDS = [
    "/start",
    "/start WRONGCODE12",
    "/homework",
    "/review",
    "/replace",
    "/status",
    "/consent",
    "/language",
    "/attendance",
    "/broadcast",
    "/mydata",
    "/forget",
    "/confirm_forget 1",
    "1",
    "2",
    "3",
    "tomorrow 18:00",
    "10",
    "STOP",
    "START",
]
DELIVERY = count()  # update ids, unique across examples (a repeated one is ignored as a retry)
GOOD_PAGE = page_image("white", (120, 160))
NOT_A_JPEG = b"\xff\xd8\xff\xe0 this is not an image"

events = st.lists(
    st.tuples(
        st.sampled_from(WHO),
        st.one_of(
            st.tuples(st.just("text"), st.sampled_from(COMMANDS)),
            st.tuples(st.just("text"), st.text(max_size=60)),
            st.tuples(st.just("press"), st.integers(min_value=0, max_value=5)),
            st.tuples(st.just("photo"), st.sampled_from(["good", "bad", "album"])),
        ),
    ),
    min_size=1,
    max_size=20,
)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    world = build_world(engine, tmp_path / "media")
    world.homework("A1")  # open homework, so that pupils' photos become submissions
    world.homework("F1")
    return world


def _pupils(engine: Engine) -> set[int]:
    with Session(engine) as session:
        return set(session.exec(select(Membership.person_id).where(Membership.role == "pupil")).all())


def _inbound(who: str, action: tuple[str, object], offered: dict[str, list[str]]) -> Inbound:
    identity, chat, n = Identity("telegram", who), Chat(who), next(DELIVERY)
    kind, value = action
    if kind == "press":
        choices = offered.get(who) or ["consent:yes:1"]
        return Inbound(identity, chat, choice=choices[int(str(value)) % len(choices)], external_id=f"e{n}")
    if kind == "photo":
        data = NOT_A_JPEG if value == "bad" else GOOD_PAGE
        upload = Upload(data=data, content_type="image/jpeg", size=len(data))
        album = f"album-{who}" if value == "album" else None
        return Inbound(identity, chat, uploads=(upload, upload) if album else (upload,), album_id=album)
    return Inbound(identity, chat, text=str(value), external_id=f"e{n}")


def _check_receipts(session: Session, replies: list[Reply]) -> None:
    for reply in replies:
        if reply.text.key not in ("homework.receipt", "homework.receipt_late"):
            continue
        submission_id = int(reply.choices[0].value.rsplit(":", 1)[1])
        stored = session.exec(
            select(SubmissionPage).where(SubmissionPage.submission_id == submission_id)
        ).all()
        assert len(stored) >= int(reply.text.params["pages"])
        for prefix in str(reply.text.params["hash"]).split(", "):
            assert any(page.sha256.startswith(prefix) for page in stored)
            assert all(Path(page.path).exists() for page in stored)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_random_event_sequences_keep_the_rules(world: World, db_url: str, sequence: list) -> None:  # type: ignore[type-arg]
    engine = make_engine(db_url)  # a fresh engine: the flood limit is per store and per process
    pupils = _pupils(engine)
    offered: dict[str, list[str]] = {}
    try:
        with Session(engine) as session:
            seen = session.exec(select(func.max(Notification.id))).one() or 0
            pages = session.exec(select(func.count()).select_from(SubmissionPage)).one()
        for who, action in sequence:
            replies = process(engine, _inbound(who, action, offered), world.config)
            for reply in replies:
                event(reply.text.key)  # shown by --hypothesis-show-statistics
            offered[who] = [choice.value for reply in replies for choice in reply.choices] or offered.get(
                who, []
            )
            with Session(engine) as session:
                new = session.exec(select(Notification).where(col(Notification.id) > seen)).all()
                for row in new:
                    if row.person_id in pupils:
                        assert has_consent(session, row.person_id), (
                            f"message {row.kind} to a pupil without consent"
                        )
                seen = max([seen, *(row.id or 0 for row in new)])
                _check_receipts(session, replies)
                now_pages = session.exec(select(func.count()).select_from(SubmissionPage)).one()
                assert now_pages >= pages, "a stored page disappeared"
                pages = now_pages
    finally:
        engine.dispose()
