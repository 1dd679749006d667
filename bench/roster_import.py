"""Roster import at district scale: does its cost grow with the rows, whatever their shape?

Made-up rosters (`district`) of a given number of schools and pupils per school, each pupil with a
guardian (one in ten with a second, one in ten sharing a brother's or sister's), two tutoring groups
of 3–5 pupils (two subjects), two lessons a group, a class teacher per class of 25, a tutor per ten
groups; it keeps the programme's rules (`roster.rules`: no tutor or pupil has two lessons at a
time). Every import runs in a process of its own on a fresh store, so its peak resident size is its
own; each imports the file, then the same file again (nothing changes: the re-import).

Shapes, alternated in rounds so the machine's drift (its speed varies up to 3×) falls on all alike:

* one school of 1,200 pupils and one of 12,000 — within one school (target: ≤ 12× the time);
* 10 schools of 120 and 100 of 120 — across schools (target: ≤ 12×);
* a region: 1,000 schools of 40, 40,000 pupils (target: < 60 s, < 500 MB peak);
* every shape: the unchanged re-import against the fresh import (target: ≤ 0.2×);
* with `--neighbour`: then another file of the same shape (other schools, other people) is imported
  into the same store, and the first file again: the re-import after another school's import.

    uv run --frozen python -m bench.roster_import            # 3 rounds, then the region
    uv run --frozen python -m bench.roster_import --quick    # a tenth of the pupils, 1 round
    uv run --frozen python -m bench.roster_import --before main   # and main's importer beside it
    uv run --frozen python -m bench.roster_import --quick --neighbour --before main

Each contender's importer runs under this bench's own child (`--child`), its source tree first on the
path, so both are timed by the same steps.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import engine_name, machine, resident_kib, scratch_database, temporary_folder
from models.migrate import upgrade
from models.store import make_engine
from sandbox.make_sample_roster import write_csv

CLASS_SIZE = 25
GROUP_SIZE = 5
SUBJECTS = ("algebra", "geometry", "chemistry", "physics", "biology", "history_kz")
PREFIXES = ("700", "701", "702", "705", "707", "747", "771", "775", "777", "778")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")


class Phones:
    """Distinct made-up mobile numbers (+7 7xx 55x xx xx), in the order asked for."""

    def __init__(self, first: int = 0) -> None:
        self.issued = first

    def next(self) -> str:
        n = self.issued
        self.issued += 1
        return f"+7{PREFIXES[n % 10]}55{(n // 10) % 10}{n // 100:04d}"


def _split(members: list[str], size: int) -> list[list[str]]:
    """`members` in parts of at most `size`, as even as possible (3–5 for groups of 5)."""
    parts = -(-len(members) // size)
    return [members[i::parts] for i in range(parts)]


def school(code: str, pupils: int, phones: Phones, rows: dict[str, list[dict[str, Any]]]) -> None:
    """One made-up school's rows, appended to `rows` (sheet → rows)."""
    rows["schools"].append(
        {
            "code": code,
            "name": f"Мектеп {code}",
            "locality": "Ақмола облысы",
            "day_start": "08:00",
            "day_end": "14:00",
        }
    )

    def person(external_id: str, role: str, **values: Any) -> None:
        rows["people"].append(
            {"id": external_id, "full_name": f"Адам {external_id}", "role": role, "school": code, **values}
        )

    person(f"{code}-C", "coordinator", phone=phones.next())
    pupil_ids = [f"{code}-P{n:05d}" for n in range(pupils)]
    first_group = len(rows["groups"])
    for k, members in enumerate(_split(pupil_ids, CLASS_SIZE)):
        name, teacher = f"{8 + k % 4}К{k}", f"{code}-CT{k:03d}"
        rows["classes"].append({"school": code, "name": name, "grade": 8 + k % 4, "class_teacher": teacher})
        person(teacher, "class_teacher", phone=phones.next(), language="ru" if k % 3 else "kk")
        for pupil in members:
            n = int(pupil.rsplit("P", 1)[1])
            person(
                pupil,
                "pupil",
                **{"class": name},
                phone=phones.next() if n % 2 else "",
                language="ru" if n % 4 == 1 else "kk",
                low_income="yes" if n % 3 == 0 else "",
            )
            if n % 10 == 9:  # a brother's or sister's guardian
                rows["guardians"].append({"guardian": f"{code}-G{n - 1:05d}", "pupil": pupil})
                continue
            guardians = [f"{code}-G{n:05d}"] + ([f"{code}-G{n:05d}B"] if n % 10 == 3 else [])
            for g, guardian in enumerate(guardians):
                if n % 33 == 5 and g == 0:  # a family without internet: work goes by post
                    person(guardian, "guardian", by_post="yes", postal_address=f"{code}, {n}-үй")
                else:
                    person(guardian, "guardian", phone=phones.next())
                rows["guardians"].append({"guardian": guardian, "pupil": pupil})
        for j, part in enumerate(_split(members, GROUP_SIZE)):
            first = (k + j) % len(SUBJECTS)
            for s, subject in enumerate((SUBJECTS[first], SUBJECTS[(first + 3) % len(SUBJECTS)])):
                group = f"{code}-K{k:03d}-{j}{s}"
                index = len(rows["groups"]) - first_group
                tutor = f"{code}-T{index // 10:03d}"
                if index % 10 == 0:
                    person(tutor, "tutor", phone=phones.next())
                rows["groups"].append(
                    {
                        "code": group,
                        "subject": subject,
                        "school": code,
                        "tutor": tutor,
                        "pupils": ", ".join(part),
                    }
                )
                for lesson in range(2):
                    # A tutor's ten groups × two lessons fill five afternoons × four hours once: no
                    # tutor or pupil (in two consecutive groups of one tutor) has two at a time.
                    slot = 2 * (index % 10) + lesson
                    rows["lessons"].append(
                        {
                            "group": group,
                            "weekday": WEEKDAYS[slot % 5],
                            "start": f"{15 + slot // 5}:00",
                            "minutes": 60,
                        }
                    )


NEIGHBOUR = 5_000  # the other file's first school code and (× 100) first phone: none shared


def district(schools: int, pupils: int, first: int = 0) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        sheet: [] for sheet in ("schools", "classes", "people", "guardians", "groups", "lessons")
    }
    phones = Phones(first * 100)
    for s in range(first, first + schools):
        school(f"S{s:04d}", pupils, phones, rows)
    return rows


# -- one import, in a process of its own ---------------------------------------------------------


def import_twice(path: Path, db_url: str, neighbour: Path | None = None) -> dict[str, Any]:
    """Fresh import, then the same file again; times, what changed, and this process's peak size.
    With `neighbour`: that file next, then the first again (`after_other_s`)."""
    from roster import import_roster

    engine = make_engine(db_url)
    upgrade(engine)
    ttl = timedelta(days=30)
    before = resident_kib(os.getpid())["VmHWM"]
    started = time.perf_counter()
    fresh = import_roster(engine, path, dry_run=False, invite_ttl=ttl)
    fresh_s = time.perf_counter() - started
    if not fresh.ok:
        raise SystemExit(f"{path.name}: {len(fresh.errors)} errors, the first {fresh.errors[0]}")
    peak = resident_kib(os.getpid())["VmHWM"]
    started = time.perf_counter()
    again = import_roster(engine, path, dry_run=False, invite_ttl=ttl)
    again_s = time.perf_counter() - started
    after_other: dict[str, Any] = {}
    if neighbour is not None:
        started = time.perf_counter()
        if not import_roster(engine, neighbour, dry_run=False, invite_ttl=ttl).ok:
            raise SystemExit(f"{neighbour.name}: refused")
        other_s = time.perf_counter() - started  # a fresh import into a store holding a memory
        started = time.perf_counter()
        last = import_roster(engine, path, dry_run=False, invite_ttl=ttl)
        after_other = {
            "other_s": other_s,
            "after_other_s": time.perf_counter() - started,
            "changed_after_other": last.changed,
        }
    engine.dispose()
    return {
        **after_other,
        "fresh_s": fresh_s,
        "again_s": again_s,
        "rows": sum(sum(c.values()) for c in fresh.changes.values()),
        "changed_again": again.changed,
        "start_mb": before / 1024,
        "peak_mb": peak / 1024,
        "peak_all_mb": resident_kib(os.getpid())["VmHWM"] / 1024,
    }


def child(path: Path, neighbour: Path | None) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        print(json.dumps(import_twice(path, db_url, neighbour)))


# -- the run -----------------------------------------------------------------------------------------


@dataclass
class Shape:
    name: str
    schools: int
    pupils: int
    results: list[dict[str, Any]] = field(default_factory=list)
    file: Path | None = None
    neighbour: Path | None = None

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.results)


def measure(shape: Shape, code: Path | None = None) -> None:
    """One import of the shape in a process of its own: this code's, or (`code`) another revision's
    source tree run with this environment."""
    assert shape.file is not None
    env = dict(os.environ, PYTHONPATH=str(code or Path(__file__).resolve().parents[1]))
    neighbour = ["--neighbour-file", str(shape.neighbour)] if shape.neighbour else []
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(shape.file), *neighbour],
        capture_output=True,
        text=True,
        check=False,
        cwd=code,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"{shape.name}: {done.stderr[-3000:]}")
    shape.results.append(json.loads(done.stdout.strip().splitlines()[-1]))


def shapes_of(quick: bool) -> tuple[list[tuple[Shape, Shape]], Shape]:
    scale = 10 if quick else 1
    pairs = [
        (Shape("1 school", 1, 1_200 // scale), Shape("1 school", 1, 12_000 // scale)),
        (Shape("10 schools", 10, 120 // scale), Shape("100 schools", 100, 120 // scale)),
    ]
    return pairs, Shape("region", 1_000 // scale, 40)


def run(quick: bool, rounds: int, before: str | None, neighbour: bool) -> None:
    # Imported here, in the parent only: a child measuring another revision runs this file with that
    # revision's `bench.common`, which may not have it.
    from bench.common import source_of

    contenders: list[tuple[str, Path | None, list[tuple[Shape, Shape]], Shape]] = []
    with temporary_folder() as folder:
        for label in ([f"before ({before})"] if before else []) + ["this code"]:
            code = source_of(before, folder) if before and label.startswith("before") else None
            contenders.append((label, code, *shapes_of(quick)))
        files: dict[tuple[int, int], Path] = {}
        for _, _, pairs, region in contenders:
            for shape in [s for pair in pairs for s in pair] + [region]:
                key = (shape.schools, shape.pupils)
                if key not in files:
                    files[key] = folder / f"shape{len(files)}.csv"
                    write_csv(district(shape.schools, shape.pupils), files[key])
                    if neighbour:
                        other = files[key].with_suffix(".neighbour.csv")
                        write_csv(district(shape.schools, shape.pupils, NEIGHBOUR), other)
                shape.file = files[key]
                shape.neighbour = files[key].with_suffix(".neighbour.csv") if neighbour else None
        for round_number in range(rounds):
            order = contenders if round_number % 2 == 0 else contenders[::-1]
            for index in range(4):
                for _, code, pairs, _ in order:
                    shapes = [s for pair in pairs for s in pair]
                    measure(shapes[index if round_number % 2 == 0 else 3 - index], code)
        for _, code, _, region in contenders:
            measure(region, code)
    for label, _, pairs, region in contenders:
        report(label, pairs, region, rounds, quick)


def report(label: str, pairs: list[tuple[Shape, Shape]], region: Shape, rounds: int, quick: bool) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        store = engine_name(db_url)
    print(f"{label}: roster import, csv, {store}; {rounds} rounds alternating the shapes; {machine()}")
    print(f"  {'shape':28} {'rows':>8} {'fresh s, each round':>26} {'again s':>22} {'peak MB':>8}")
    for shape in [s for pair in pairs for s in pair] + [region]:
        label = f"{shape.name} of {shape.pupils:,}"
        fresh = " ".join(f"{r['fresh_s']:6.2f}" for r in shape.results)
        again = " ".join(f"{r['again_s']:6.2f}" for r in shape.results)
        peak = max(r["peak_all_mb"] for r in shape.results)
        rows = shape.results[0]["rows"]
        print(f"  {label:28} {rows:8,} {fresh:>26} {again:>22} {peak:8.0f}")
        if any(r["changed_again"] for r in shape.results):
            print(f"    the re-import changed {shape.results[0]['changed_again']} rows (expected 0)")
        if "after_other_s" in shape.results[0]:
            other = " ".join(f"{r['other_s']:6.2f}" for r in shape.results)
            after = " ".join(f"{r['after_other_s']:6.2f}" for r in shape.results)
            changed = max(r["changed_after_other"] for r in shape.results)
            print(f"    another file of its shape, fresh: {other} s; then this one again: {after} s", end="")
            print(f", {changed} changed")
    print("  ratios of the medians:")
    for small, large in pairs:
        ratio = large.median("fresh_s") / small.median("fresh_s")
        size = large.schools * large.pupils / (small.schools * small.pupils)
        print(
            f"    {large.name} of {large.pupils:,} ÷ {small.name} of {small.pupils:,}: "
            f"{ratio:5.2f}× the time for {size:.0f}× the pupils   (target ≤ {size * 1.2:.0f})"
        )
    for shape in [s for pair in pairs for s in pair] + [region]:
        ratio = shape.median("again_s") / shape.median("fresh_s")
        label = f"{shape.name} of {shape.pupils:,}"
        print(f"    unchanged re-import ÷ fresh, {label}: {ratio:4.2f}   (target ≤ 0.2)")
        if "after_other_s" in shape.results[0]:
            ratio = shape.median("after_other_s") / shape.median("fresh_s")
            print(f"      the same after another file's import: {ratio:4.2f}")
    target = "" if quick else "   (target < 60 s, < 500 MB)"
    print(
        f"  region of {region.schools:,} schools, {region.schools * region.pupils:,} pupils: "
        f"{region.median('fresh_s'):.1f} s, peak {region.median('peak_mb'):.0f} MB{target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the pupils, one round")
    parser.add_argument("--rounds", type=int, help="rounds of the four shapes (default 3; quick 1)")
    parser.add_argument("--before", help="a git revision whose importer runs beside this one, alternating")
    parser.add_argument(
        "--neighbour", action="store_true", help="then another file of the shape, then the first again"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--neighbour-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.neighbour_file)
        return
    run(args.quick, args.rounds or (1 if args.quick else 3), args.before, args.neighbour)


if __name__ == "__main__":
    main()
