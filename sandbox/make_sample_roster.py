"""Write the sample school's roster: `sample_roster.xlsx` and the same rows as `sample_roster.csv`.

    .venv/bin/python -m sandbox.make_sample_roster      # rewrites both files next to this script

Deterministic (no clock, no randomness, fixed zip timestamps), so the committed outputs match a fresh
run — a test checks that. The school, people and numbers are made up: every phone is in the
+7 7xx 555 xx xx block, and the video links are placeholders.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from roster.schema import COLUMNS, SHEET_COLUMN, csv_header

HERE = Path(__file__).resolve().parent
XLSX = HERE / "sample_roster.xlsx"
CSV = HERE / "sample_roster.csv"
SCHOOL = "SH2"

KK_SURNAMES = [
    "Ахметов", "Серіков", "Жұмабаев", "Қасымов", "Нұрланов", "Төлеуов", "Сәрсенбаев", "Бекмұратов",
    "Оспанов", "Мұқанов", "Ержанов", "Байжанов", "Тоқтаров", "Әбенов", "Исабеков",
]  # fmt: skip
KK_BOYS = [
    "Алихан",
    "Нұрсұлтан",
    "Ерасыл",
    "Дәулет",
    "Арман",
    "Темірлан",
    "Бекзат",
    "Мирас",
    "Санжар",
    "Әлішер",
]
KK_GIRLS = ["Аружан", "Айым", "Томирис", "Әсем", "Жансая", "Дана", "Аяулым", "Мадина", "Інкәр", "Ақбота"]
KK_FATHERS = ["Ерлан", "Болат", "Серік", "Қанат", "Марат", "Талғат", "Асқар", "Нұрлан", "Бауыржан", "Дастан"]
KK_MOTHERS = [
    "Гүлнар",
    "Сәуле",
    "Айгүл",
    "Динара",
    "Ләззат",
    "Жанар",
    "Мейрамгүл",
    "Салтанат",
    "Әйгерім",
    "Назым",
]
RU_SURNAMES = [
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Волков",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
]
RU_BOYS = ["Артём", "Максим", "Дмитрий", "Кирилл", "Никита"]
RU_GIRLS = ["Анастасия", "Полина", "Виктория", "Дарья", "Ксения"]
RU_FATHERS = ["Сергей", "Александр", "Андрей", "Виктор", "Олег"]
RU_MOTHERS = ["Елена", "Ольга", "Наталья", "Ирина", "Светлана"]
RU_PATRONYMIC = {
    "Сергей": "Сергеев",
    "Александр": "Александров",
    "Андрей": "Андреев",
    "Виктор": "Викторов",
    "Олег": "Олегов",
}
PREFIXES = ["701", "702", "705", "707", "747", "771", "775", "777", "778", "700"]
STREETS = ["Абылай хан көшесі", "Бейбітшілік көшесі", "Мира көшесі", "Жастар көшесі"]

LOW_INCOME = {1, 3, 5, 7, 9, 11, 13, 21, 23, 25, 27, 29, 31}
BY_POST = {4, 13, 22, 33}  # families (their guardian) without internet: work goes by Kazpost
ENGLISH = {8, 26}
SECOND_GUARDIAN = {2, 24}
SIBLINGS = {12: 32, 16: 36}  # the 9th grader's guardian is the 8th grader's too


def phone(n: int) -> str:
    """The n-th fictional number, written the ways schools write them."""
    prefix, rest = PREFIXES[n % len(PREFIXES)], f"555{n:04d}"
    forms = [
        f"8 {prefix} {rest[:3]} {rest[3:5]} {rest[5:]}",
        f"+7 ({prefix}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
        f"+7{prefix}{rest}",
        f"8({prefix}){rest}",
    ]
    return forms[n % len(forms)]


def kazakh_pupil(i: int) -> tuple[str, str, str]:
    """(pupil, father, mother) full names of the i-th Kazakh family."""
    surname = KK_SURNAMES[i % len(KK_SURNAMES)]
    father = KK_FATHERS[i % len(KK_FATHERS)]
    girl = i % 2 == 1
    first = (KK_GIRLS if girl else KK_BOYS)[(i // 2) % 10]
    pupil_surname = surname + "а" if girl else surname
    pupil = f"{pupil_surname} {first} {father}{'қызы' if girl else 'ұлы'}"
    grandfather = KK_FATHERS[(i + 3) % len(KK_FATHERS)]
    return (
        pupil,
        f"{surname} {father} {grandfather}ұлы",
        f"{surname}а {KK_MOTHERS[i % len(KK_MOTHERS)]} {KK_FATHERS[(i + 5) % len(KK_FATHERS)]}қызы",
    )


def russian_pupil(i: int) -> tuple[str, str, str]:
    surname = RU_SURNAMES[i % len(RU_SURNAMES)]
    father = RU_FATHERS[i % len(RU_FATHERS)]
    girl = i % 2 == 0
    first = (RU_GIRLS if girl else RU_BOYS)[(i // 2) % 5]
    patronymic = RU_PATRONYMIC[father] + ("на" if girl else "ич")
    pupil = f"{surname + 'а' if girl else surname} {first} {patronymic}"
    grandfather = RU_FATHERS[(i + 2) % len(RU_FATHERS)]
    return (
        pupil,
        f"{surname} {father} {RU_PATRONYMIC[grandfather]}ич",
        f"{surname}а {RU_MOTHERS[i % len(RU_MOTHERS)]} {RU_PATRONYMIC[grandfather]}на",
    )


def build() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in COLUMNS}
    rows["programmes"].append(  # the Digital Tutor's rules, written out (the same as its defaults)
        {
            "code": "digital-tutor",
            "name": "Цифрлық ұстаз",
            "grades": "8-11",
            "subjects": "алгебра, геометрия, химия, физика, биология, Қазақстан тарихы",
            "subjects_per_pupil": 2,
            "lessons_per_week": 2,
            "lesson_minutes": 60,
            "group_min": 3,
            "group_max": 5,
            "mixed_grades": "no",
            "outside_school_hours": "yes",
            "low_income_only": "yes",
            "postal_interval_days": 14,
            "consent_name": "Цифрлық ұстаз",
            "consent_name_ru": "Цифровой наставник",
            "consent_name_en": "Digital Tutor",
            "weight_formative": 25,
            "weight_section": 25,
            "weight_term": 50,
        }
    )
    rows["schools"].append(
        {
            "code": SCHOOL,
            "name": "Шортанды кентінің №2 жалпы білім беретін мектебі",
            "locality": "Шортанды кенті, Ақмола облысы",
            "postal_point": "Қазпошта, Шортанды бөлімшесі",
            "day_start": time(8, 0),
            "day_end": time(14, 30),
            "school_days": "Mon-Fri",
        }
    )
    rows["classes"] += [
        {"school": SCHOOL, "name": "8А", "grade": 8, "class_teacher": "SH2-S02"},
        {"school": SCHOOL, "name": "9Б", "grade": 9, "class_teacher": "SH2-S03"},
    ]
    staff = [
        ("SH2-S01", "Қожахметова Ботагөз Серікқызы", "coordinator", "kk"),
        ("SH2-S02", "Омарова Гүлмира Асқарқызы", "class_teacher", "kk"),
        ("SH2-S03", "Белова Татьяна Николаевна", "class_teacher", "ru"),
        ("SH2-S04", "Сейітов Ержан Қайратұлы", "tutor", "kk"),
        ("SH2-S05", "Ким Виталий Олегович", "tutor", "ru"),
        ("SH2-S06", "Жақсылықова Айнұр Бекенқызы", "tutor", "kk"),
        ("SH2-S07", "Тұрсынбаев Нұрбол Маратұлы", "assistant", "kk"),
    ]
    number = 0
    for external_id, name, role, language in staff:
        number += 1
        rows["people"].append(
            {"id": external_id, "full_name": name, "role": role, "school": SCHOOL,
             "phone": phone(number), "language": language}
        )  # fmt: skip
    guardians: list[dict[str, Any]] = []
    for n in range(1, 41):
        pupil_id = f"SH2-P{n:02d}"
        russian = n % 4 == 2  # ten Russian-speaking families
        family = sum(1 for m in range(1, n) if (m % 4 == 2) == russian)
        pupil, father, mother = russian_pupil(family) if russian else kazakh_pupil(family)
        language = "en" if n in ENGLISH else "ru" if russian else "kk"
        grade9 = n > 20
        number += 1
        rows["people"].append(
            {
                "id": pupil_id,
                "full_name": pupil,
                "role": "pupil",
                "school": SCHOOL,
                "class": "9Б" if grade9 else "8А",
                "phone": phone(number) if grade9 or n % 2 == 0 else "",
                "language": language,
                "low_income": "yes" if n in LOW_INCOME else "",
            }
        )
        sibling_of = next((younger for younger, older in SIBLINGS.items() if older == n), None)
        if sibling_of is not None:
            rows["guardians"].append({"guardian": f"SH2-G{sibling_of:02d}", "pupil": pupil_id})
            continue
        parents = [(f"SH2-G{n:02d}", mother if n % 3 else father)]
        if n in SECOND_GUARDIAN:
            parents.append((f"SH2-G{n:02d}B", father if n % 3 else mother))
        for k, (guardian_id, guardian_name) in enumerate(parents):
            number += 1
            post = n in BY_POST and k == 0
            guardians.append(
                {
                    "id": guardian_id,
                    "full_name": guardian_name,
                    "role": "guardian",
                    "school": SCHOOL,
                    "phone": "" if post and n % 2 == 0 else phone(number),
                    "language": language,
                    "low_income": "yes" if n in LOW_INCOME else "",
                    "by_post": "yes" if post else "",
                    "postal_address": (
                        f"Шортанды кенті, {STREETS[n % len(STREETS)]}, {n + 3}-үй" if post else ""
                    ),
                }
            )
            rows["guardians"].append({"guardian": guardian_id, "pupil": pupil_id})
    rows["people"] += guardians
    groups = [
        ("ALG-8", "algebra", "SH2-S04", "SH2-S07", [1, 3, 5, 7, 9]),
        ("CHEM-8", "chemistry", "SH2-S05", "", [3, 5, 11, 13]),
        ("PHYS-9", "physics", "SH2-S05", "SH2-S07", [21, 23, 25, 27]),
        ("HIST-9", "history_kz", "SH2-S06", "", [21, 29, 31]),
    ]
    for code, subject, tutor, assistant, pupils in groups:
        rows["groups"].append(
            {
                "code": code,
                "programme": "digital-tutor",
                "subject": subject,
                "school": SCHOOL,
                "tutor": tutor,
                "assistant": assistant,
                "pupils": ", ".join(f"SH2-P{n:02d}" for n in pupils),
            }
        )
    lessons = [
        ("ALG-8", "Mon", time(15, 0)),
        ("ALG-8", "Wed", time(15, 0)),
        ("CHEM-8", "Tue", time(16, 0)),
        ("CHEM-8", "Thu", time(16, 0)),
        ("PHYS-9", "Mon", time(16, 30)),
        ("PHYS-9", "Thu", time(15, 0)),
        ("HIST-9", "Tue", time(15, 0)),
        ("HIST-9", "Fri", time(15, 0)),
    ]
    for group, weekday, start in lessons:
        rows["lessons"].append(
            {"group": group, "weekday": weekday, "start": start, "minutes": 60,
             "link": f"https://meet.jit.si/Ustaz-SH2-{group}"}
        )  # fmt: skip
    # The school's own calendar entries; Kazakhstan's calendar (schoolyear/years) is its default.
    rows["calendar"].append(
        {"school": SCHOOL, "kind": "day_off", "start": "2027-02-05", "end": "2027-02-05",
         "name": "Аудандық пән олимпиадасы (мектеп — өткізу орны)"}
    )  # fmt: skip
    return rows


def _csv_value(value: Any) -> str:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return "" if value is None else str(value)


def write_csv(rows: dict[str, list[dict[str, Any]]], path: Path) -> None:
    header = csv_header()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for sheet, items in rows.items():
        for item in items:
            writer.writerow([sheet if c == SHEET_COLUMN else _csv_value(item.get(c, "")) for c in header])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))  # BOM: Excel opens it as UTF-8


def write_xlsx(rows: dict[str, list[dict[str, Any]]], path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    fixed = datetime(2026, 9, 1, 9, 0, 0)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    workbook.properties.creator = "Ustaz"
    for sheet, columns in COLUMNS.items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(columns))
        for item in rows[sheet]:
            worksheet.append([item.get(c) if item.get(c) != "" else None for c in columns])
        for column in worksheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            worksheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps the zip entries and the "modified" property with the current time: fix both.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-09-01T09:00:00Z", data)
            stable = zipfile.ZipInfo(info.filename, date_time=(2026, 9, 1, 9, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stable, data)


def main(out_dir: Path = HERE) -> None:
    rows = build()
    write_xlsx(rows, out_dir / XLSX.name)
    write_csv(rows, out_dir / CSV.name)


if __name__ == "__main__":
    main()
