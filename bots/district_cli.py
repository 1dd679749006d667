"""`ustaz district`: the coordinators above schools, as a district's or region's IT person sets them.

    ustaz district place --region "Ақмола облысы" --district "Шортанды ауданы" SH2 SH3 …
    ustaz district grant --region "Ақмола облысы" [--district "Шортанды ауданы"] --person DIST-01
    ustaz district grant --region "Ақмола облысы" --person +77015550001 --name "…"   # a new person
    ustaz district revoke --region "Ақмола облысы" [--district …] --person DIST-01
    ustaz district list

`place` puts schools in a district (a school's roster import leaves that alone). `grant` lets a
person read the monitoring of every school of a district, or of a whole region without `--district`
(`models.district`); a person not in any roster is added with `--name` (and the phone `--person`
gives), and gets an invitation code to join the bot, which sends their dashboard sign-in codes.
Every change is written to the audit log.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, or_, select

from locales import Text
from models.district import DistrictCoordinator
from models.invites import issue_invite
from models.journal import AuditLog
from models.migrate import ready_store
from models.people import Person
from models.phones import BadPhone, normalize_phone
from models.school import School
from models.store import session_scope
from settings import get_settings

LANGUAGES = ["kk", "ru", "en"]


class Refused(Exception):
    def __init__(self, text: Text) -> None:
        super().__init__(text.key)
        self.text = text


def add_commands(commands: Any) -> None:
    """Register `district` on the `ustaz` parser's subcommands."""
    district = commands.add_parser("district", help="coordinators above schools").add_subparsers(
        dest="district_command", required=True
    )
    place = district.add_parser("place", help="put schools in a district")
    _area(place, district_required=True)
    place.add_argument("schools", nargs="+", help="school codes")
    place.set_defaults(func=_run, act=place_schools)
    for name, helptext, act in (
        ("grant", "let a person read a district's or a region's monitoring", grant),
        ("revoke", "take that back", revoke),
    ):
        sub = district.add_parser(name, help=helptext)
        _area(sub, district_required=False)
        sub.add_argument("--person", required=True, help="their roster id or phone number")
        if name == "grant":
            sub.add_argument("--name", help="full name, to add someone who is in no roster")
        sub.set_defaults(func=_run, act=act)
    listing = district.add_parser("list", help="who reads which district or region")
    listing.add_argument("--lang", choices=LANGUAGES)
    listing.set_defaults(func=_run, act=list_grants)


def _area(parser: argparse.ArgumentParser, *, district_required: bool) -> None:
    parser.add_argument("--region", required=True)
    parser.add_argument("--district", required=district_required, default="")
    parser.add_argument("--lang", choices=LANGUAGES)


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = ready_store(settings.data_dir, settings.db_url)
    language = args.lang or settings.default_locale
    try:
        with session_scope(engine) as session:
            lines = args.act(session, args, timedelta(days=settings.invite_ttl_days))
    except Refused as refused:
        print(refused.text.render(language))
        return 1
    finally:
        engine.dispose()
    for line in lines:
        print(line.render(language))
    return 0


def _where(region: str, district: str) -> str:
    return f"{region.strip()} — {district.strip()}" if district.strip() else region.strip()


def place_schools(session: Session, args: argparse.Namespace, _ttl: timedelta) -> list[Text]:
    codes = [code.strip() for code in args.schools if code.strip()]
    schools = session.exec(select(School).where(col(School.code).in_(codes))).all()
    unknown = sorted(set(codes) - {s.code for s in schools})
    if unknown:
        raise Refused(Text("overview.district.unknown_schools", {"codes": ", ".join(unknown)}))
    for school in schools:
        school.region, school.district = args.region.strip(), args.district.strip()
        session.add(school)
        session.add(AuditLog(action="district.place", entity="school", entity_id=school.id, detail={}))
    area = _where(args.region, args.district)
    return [Text("overview.district.placed", {"count": len(schools), "area": area})]


def _person(session: Session, typed: str) -> Person | None:
    try:
        phone: str | None = normalize_phone(typed)
    except BadPhone:
        phone = None
    conditions = [col(Person.external_id) == typed.strip()]
    if phone:
        conditions.append(col(Person.phone) == phone)
    return session.exec(select(Person).where(or_(*conditions))).first()


def grant(session: Session, args: argparse.Namespace, ttl: timedelta) -> list[Text]:
    person = _person(session, args.person)
    lines: list[Text] = []
    if person is None:
        if not args.name:
            raise Refused(Text("overview.district.no_person", {"who": args.person}))
        try:
            phone = normalize_phone(args.person)
        except BadPhone as error:
            raise Refused(Text("overview.district.no_person", {"who": args.person})) from error
        person = Person(external_id=f"DIST-{phone.lstrip('+')}", full_name=args.name.strip(), phone=phone)
        session.add(person)
        session.flush()
        lines.append(Text("overview.district.invite", {"code": issue_invite(session, person.id, ttl).code}))
    region, district = args.region.strip(), args.district.strip()
    found = session.exec(
        select(DistrictCoordinator).where(
            DistrictCoordinator.person_id == person.id,
            DistrictCoordinator.region == region,
            DistrictCoordinator.district == district,
        )
    ).first()
    if found is None:
        session.add(DistrictCoordinator(person_id=person.id or 0, region=region, district=district))
        session.add(AuditLog(action="district.grant", entity="person", entity_id=person.id, detail={}))
    return [
        Text("overview.district.granted", {"person": person.full_name, "area": _where(region, district)}),
        *lines,
    ]


def revoke(session: Session, args: argparse.Namespace, _ttl: timedelta) -> list[Text]:
    person = _person(session, args.person)
    area = _where(args.region, args.district)
    if person is None:
        raise Refused(Text("overview.district.no_person", {"who": args.person}))
    removed = session.execute(
        delete(DistrictCoordinator).where(
            col(DistrictCoordinator.person_id) == person.id,
            col(DistrictCoordinator.region) == args.region.strip(),
            col(DistrictCoordinator.district) == args.district.strip(),
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise Refused(Text("overview.district.not_granted", {"person": person.full_name, "area": area}))
    session.add(AuditLog(action="district.revoke", entity="person", entity_id=person.id, detail={}))
    return [Text("overview.district.revoked", {"person": person.full_name, "area": area})]


def list_grants(session: Session, _args: argparse.Namespace, _ttl: timedelta) -> list[Text]:
    rows = session.exec(
        select(Person.full_name, DistrictCoordinator.region, DistrictCoordinator.district)
        .join(DistrictCoordinator, col(DistrictCoordinator.person_id) == col(Person.id))
        .order_by(col(DistrictCoordinator.region), col(DistrictCoordinator.district), col(Person.full_name))
    ).all()
    if not rows:
        return [Text("overview.district.none")]
    return [Text("overview.district.line", {"person": name, "area": _where(r, d)}) for name, r, d in rows]
