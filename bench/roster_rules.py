"""The programmes' rules at district scale: `roster.rules.check` over a parsed roster of 10, 50 and
100 schools like the sample one (40 pupils, 4 groups, 8 lessons each; 100 schools is a district of
4,000 pupils), side by side in one run. Linear rules keep the time per pupil flat as the district
grows.

    .venv/bin/python -m bench.roster_rules [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import time as clock

from bench.common import machine
from roster.parsed import At, ClassRow, GroupRow, LessonRow, PersonRow, Roster, SchoolRow
from roster.rules import check
from roster.validate import default_programme, rules_of

GROUPS = (  # code, subject, class, pupils (numbers within the school), lessons (weekday, hour)
    ("ALG-8", "algebra", "8А", (1, 3, 5, 7, 9), ((0, 15), (2, 15))),
    ("CHEM-8", "chemistry", "8А", (3, 5, 11, 13), ((1, 16), (3, 16))),
    ("PHYS-9", "physics", "9Б", (21, 23, 25, 27), ((0, 16), (3, 15))),
    ("HIST-9", "history_kz", "9Б", (21, 29, 31), ((1, 15), (4, 15))),
)


def district(schools: int) -> Roster:
    roster = Roster()
    row = 1
    for n in range(schools):
        code = f"S{n:03d}"
        roster.schools[code] = SchoolRow(At("schools", n + 2), code, code, "", "", clock(8), clock(14, 30))
        for name, grade in (("8А", 8), ("9Б", 9)):
            roster.classes[(code, name)] = ClassRow(At("classes", row), code, name, grade, None)
        for p in range(1, 41):
            row += 1
            pupil = f"{code}-P{p:02d}"
            roster.people[pupil] = PersonRow(
                At("people", row), pupil, pupil, ("pupil",), code, "9Б" if p > 20 else "8А", None, "kk",
                True, False, "",
            )  # fmt: skip
        for t in range(3):
            tutor = f"{code}-T{t}"
            roster.people[tutor] = PersonRow(
                At("people", row + t + 1), tutor, tutor, ("tutor",), code, None, None, "kk", False, False, ""
            )
        for g, (group, subject, _klass, pupils, lessons) in enumerate(GROUPS):
            key = f"{code}-{group}"
            roster.groups[key] = GroupRow(
                At("groups", row), key, "digital-tutor", subject, code, f"{code}-T{g % 3}", None,
                tuple(f"{code}-P{p:02d}" for p in pupils),
            )  # fmt: skip
            for weekday, hour in lessons:
                start = clock(hour, 30 * (g // 3))
                roster.lessons[(key, weekday, start)] = LessonRow(
                    At("lessons", row), key, weekday, start, 60, ""
                )
    return roster


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    rules = {"digital-tutor": rules_of(default_programme())}
    print(f"roster rules at district scale — {machine()}")
    print(f"{'schools':>8} {'pupils':>7} {'median ms':>10} {'µs a pupil':>11} {'findings':>9}")
    for schools in (10, 50) if quick else (10, 50, 100):
        roster = district(schools)
        times = []
        for _ in range(3 if quick else 7):
            started = time.perf_counter()
            errors, notes = check("district.csv", roster, rules)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        pupils = schools * 40
        found = len(errors) + len(notes)
        print(f"{schools:>8} {pupils:>7} {median * 1000:>10.1f} {median * 1e6 / pupils:>11.1f} {found:>9}")


if __name__ == "__main__":
    main(sys.argv[1:])
