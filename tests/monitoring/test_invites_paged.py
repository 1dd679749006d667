"""The invitation list a page at a time: the sections' sizes are counted by the database, and the
pages, read section by section, hold every person of the whole list once, in its order."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from models.clock import utcnow
from monitoring.invites import class_section, headings, page_of, sections
from tests.support.sample import sample_school


def test_the_pages_of_the_invitation_list_are_the_whole_list_in_order(engine: Engine) -> None:
    scope = sample_school(engine)
    now = utcnow()
    with Session(engine) as session:
        whole = sections(session, scope, now, "kk")
        counted = headings(session, scope)
        everyone = [(s.kind, s.id, p.person_id) for s in whole for p in s.people]
        paged, pages = [], 0
        for number in range(1, 100):
            grouped, pages, _found = page_of(session, scope, now, "kk", number, 7)
            assert sum(len(people) for _section, people in grouped) <= 7
            paged += [(s.kind, s.id, p.person_id) for s, people in grouped for p in people]
            if number == pages:
                break
        first_class = next(s for s in whole if s.kind == "class")
        sheet = class_section(session, scope, now, "kk", first_class.id)
        assert class_section(session, scope, now, "kk", 10**6) is None
    assert [(h.kind, h.id, h.size) for h in counted] == [(s.kind, s.id, len(s.people)) for s in whole]
    assert paged == everyone and pages == -(-len(everyone) // 7) and len(everyone) > 40
    assert sheet == first_class
