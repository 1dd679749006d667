"""The roster file's schema: sheets, columns, header aliases and value vocabularies.

One schema for both formats.

* **xlsx** — one sheet per kind, named ``programmes``, ``schools``, ``classes``, ``people``,
  ``guardians``, ``groups``, ``lessons``; the first row of each sheet holds the column names.
* **csv** — one table (UTF-8, a BOM is tolerated, ``;`` or ``,`` as delimiter) whose first column is
  ``sheet`` and says which kind each row is; the header is the union of every sheet's columns and a row
  fills only its own. Row numbers in error reports are spreadsheet rows (the header is row 1).

The six sheets from ``schools`` on must be present (they may be empty): the file is the whole roster
of the schools it lists, so something absent from it is removed (memberships, group members) or
deactivated (lessons). Two are optional. ``programmes``: a programme it defines is created or its
rules updated; a group's programme not in it must be in the store already (``digital-tutor`` is
created with the Digital Tutor's rules when absent). ``calendar``: when present it is the whole of
its schools' own calendar entries (an empty sheet clears them; in csv, present means at least one
``calendar`` row); when absent, the schools' entries stay as they are.

Columns (``*`` required):

=========  ==================================================================================
programmes code*, name*, grades (8-11; blank: any), subjects* (separated by commas),
           subjects_per_pupil (2), lessons_per_week (2, per group), lesson_minutes (60, at least),
           group_min (3), group_max (5), mixed_grades (no: a group's classes are of one grade),
           outside_school_hours (yes), low_income_only (yes: a warning for pupils not marked so),
           postal_interval_days (14), consent_name (how the consent request names the programme,
           Kazakh; default: name), consent_name_ru, consent_name_en, weight_formative (25),
           weight_section (25), weight_term (50): the quarter mark's parts, in per cent, adding to 100
schools    code*, name*, locality, postal_point, day_start (HH:MM, default 08:00), day_end (14:00),
           school_days (Mon-Fri; a six-day school: Mon-Sat)
classes    school, name* (8А), grade* (1–12), class_teacher (a person id)
people     id*, full_name*, role* (pupil, guardian, tutor, assistant, class_teacher, coordinator;
           several separated by commas), school, class (pupils), phone, language (kk, ru, en;
           default kk), low_income, by_post (yes/no), postal_address (required when by_post)
guardians  guardian* (person id), pupil* (person id)
groups     code*, programme (default digital-tutor), subject*, school, tutor*, assistant,
           pupils* (person ids separated by commas, semicolons or spaces)
lessons    group*, weekday* (Mon…Sun, 1–7 with Monday 1, or Kazakh/Russian names), start* (HH:MM,
           Asia/Almaty), minutes (default: the programme's lesson length), link (https://…)
calendar   school, kind* (day_off, working_day, break, quarter, year; or Kazakh/Russian words),
           start* (YYYY-MM-DD or DD.MM.YYYY), end (default: start), name, grades (e.g. 1 or 1, 2;
           default: every grade)
=========  ==================================================================================

A blank ``school`` means the only school of the file (and, for a guardian, their pupils' schools).
Kazakh and Russian names are accepted for sheets and columns (see ``SHEET_ALIASES`` and
``COLUMN_ALIASES``), and for roles, languages, weekdays, subjects and yes/no values.
"""

from __future__ import annotations

from typing import Final

from models.school import DIGITAL_TUTOR

PROGRAMMES: Final = "programmes"
SCHOOLS: Final = "schools"
CLASSES: Final = "classes"
PEOPLE: Final = "people"
GUARDIANS: Final = "guardians"
GROUPS: Final = "groups"
LESSONS: Final = "lessons"
CALENDAR: Final = "calendar"

SHEET_COLUMN: Final = "sheet"

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    PROGRAMMES: (
        "code",
        "name",
        "grades",
        "subjects",
        "subjects_per_pupil",
        "lessons_per_week",
        "lesson_minutes",
        "group_min",
        "group_max",
        "mixed_grades",
        "outside_school_hours",
        "low_income_only",
        "postal_interval_days",
        "consent_name",
        "consent_name_ru",
        "consent_name_en",
        "weight_formative",
        "weight_section",
        "weight_term",
    ),
    SCHOOLS: ("code", "name", "locality", "postal_point", "day_start", "day_end", "school_days"),
    CLASSES: ("school", "name", "grade", "class_teacher"),
    PEOPLE: (
        "id",
        "full_name",
        "role",
        "school",
        "class",
        "phone",
        "language",
        "low_income",
        "by_post",
        "postal_address",
    ),
    GUARDIANS: ("guardian", "pupil"),
    GROUPS: ("code", "programme", "subject", "school", "tutor", "assistant", "pupils"),
    LESSONS: ("group", "weekday", "start", "minutes", "link"),
    CALENDAR: ("school", "kind", "start", "end", "name", "grades"),
}

REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    PROGRAMMES: ("code", "name", "subjects"),
    SCHOOLS: ("code", "name"),
    CLASSES: ("name", "grade"),
    PEOPLE: ("id", "full_name", "role"),
    GUARDIANS: ("guardian", "pupil"),
    GROUPS: ("code", "subject", "tutor", "pupils"),
    LESSONS: ("group", "weekday", "start"),
    CALENDAR: ("kind", "start"),
}

SHEETS: Final = tuple(COLUMNS)
# A file without one of these keeps what the store has: its programmes, its schools' calendar entries.
OPTIONAL_SHEETS: Final = frozenset({PROGRAMMES, CALENDAR})


def csv_header() -> list[str]:
    """The csv header: `sheet`, then every sheet's columns once, in sheet order."""
    header = [SHEET_COLUMN]
    for columns in COLUMNS.values():
        header.extend(c for c in columns if c not in header)
    return header


SHEET_ALIASES: Final[dict[str, str]] = {
    "бағдарламалар": PROGRAMMES,
    "программы": PROGRAMMES,
    "мектептер": SCHOOLS,
    "школы": SCHOOLS,
    "сыныптар": CLASSES,
    "классы": CLASSES,
    "адамдар": PEOPLE,
    "тізім": PEOPLE,
    "люди": PEOPLE,
    "список": PEOPLE,
    "ата-аналар": GUARDIANS,
    "заңды_өкілдер": GUARDIANS,
    "родители": GUARDIANS,
    "опекуны": GUARDIANS,
    "топтар": GROUPS,
    "группы": GROUPS,
    "сабақтар": LESSONS,
    "кесте": LESSONS,
    "уроки": LESSONS,
    "расписание": LESSONS,
    "күнтізбе": CALENDAR,
    "оқу_күнтізбесі": CALENDAR,
    "календарь": CALENDAR,
}

COLUMN_ALIASES: Final[dict[str, str]] = {
    "парақ": SHEET_COLUMN,
    "лист": SHEET_COLUMN,
    "коды": "code",
    "код": "code",
    "атауы": "name",
    "аты": "name",
    "название": "name",
    "елді_мекен": "locality",
    "населённый_пункт": "locality",
    "населенный_пункт": "locality",
    "пошта_бөлімшесі": "postal_point",
    "почтовое_отделение": "postal_point",
    "сабақ_басталуы": "day_start",
    "начало_дня": "day_start",
    "сабақ_аяқталуы": "day_end",
    "конец_дня": "day_end",
    "оқу_күндері": "school_days",
    "учебные_дни": "school_days",
    "сынып_деңгейлері": "grades",
    "параллели": "grades",
    "пәндер": "subjects",
    "предметы": "subjects",
    "мектеп": "school",
    "школа": "school",
    "параллель": "grade",
    "сынып_деңгейі": "grade",
    "сынып_жетекшісі": "class_teacher",
    "классный_руководитель": "class_teacher",
    "external_id": "id",
    "сәйкестендіргіш": "id",
    "идентификатор": "id",
    "аты-жөні": "full_name",
    "аты_жөні": "full_name",
    "фио": "full_name",
    "рөлі": "role",
    "роль": "role",
    "сынып": "class",
    "класс": "class",
    "телефон": "phone",
    "тіл": "language",
    "язык": "language",
    "тто": "low_income",
    "малообеспеченные": "low_income",
    "пошта_арқылы": "by_post",
    "по_почте": "by_post",
    "пошта_мекенжайы": "postal_address",
    "почтовый_адрес": "postal_address",
    "ата-ана": "guardian",
    "родитель": "guardian",
    "оқушы": "pupil",
    "ученик": "pupil",
    "бағдарлама": "programme",
    "программа": "programme",
    "пән": "subject",
    "предмет": "subject",
    "цифрлық_ұстаз": "tutor",
    "тьютор": "tutor",
    "ассистент": "assistant",
    "оқушылар": "pupils",
    "ученики": "pupils",
    "топ": "group",
    "группа": "group",
    "апта_күні": "weekday",
    "день_недели": "weekday",
    "басталуы": "start",
    "начало": "start",
    "минут": "minutes",
    "минуты": "minutes",
    "сілтеме": "link",
    "ссылка": "link",
    "түрі": "kind",
    "тип": "kind",
    "аяқталуы": "end",
    "окончание": "end",
    "конец": "end",
    "параллельдер": "grades",
}

ROLE_ALIASES: Final[dict[str, str]] = {
    "pupil": "pupil",
    "оқушы": "pupil",
    "ученик": "pupil",
    "guardian": "guardian",
    "parent": "guardian",
    "ата-ана": "guardian",
    "родитель": "guardian",
    "tutor": "tutor",
    "цифрлық ұстаз": "tutor",
    "тьютор": "tutor",
    "assistant": "assistant",
    "мұғалім-ассистент": "assistant",
    "ассистент": "assistant",
    "class_teacher": "class_teacher",
    "сынып жетекшісі": "class_teacher",
    "классный руководитель": "class_teacher",
    "coordinator": "coordinator",
    "үйлестіруші": "coordinator",
    "координатор": "coordinator",
}

LANGUAGE_ALIASES: Final[dict[str, str]] = {
    "kk": "kk",
    "kz": "kk",
    "қаз": "kk",
    "қазақ": "kk",
    "қазақша": "kk",
    "каз": "kk",
    "казахский": "kk",
    "ru": "ru",
    "орыс": "ru",
    "орысша": "ru",
    "рус": "ru",
    "русский": "ru",
    "en": "en",
    "eng": "en",
    "english": "en",
    "ағылшын": "en",
    "английский": "en",
}

TRUE_WORDS: Final = frozenset({"1", "yes", "y", "true", "x", "+", "иә", "ия", "да"})
FALSE_WORDS: Final = frozenset({"0", "no", "n", "false", "-", "жоқ", "нет"})

WEEKDAY_ALIASES: Final[dict[str, int]] = {
    **{str(n + 1): n for n in range(7)},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: n
        for n, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{name: n for n, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
    **{
        name: n
        for n, name in enumerate(
            ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
        )
    },
    **{name: n for n, name in enumerate(("дс", "сс", "ср", "бс", "жм", "сн", "жс"))},
    **{
        name: n
        for n, name in enumerate(
            ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")
        )
    },
}

SUBJECT_ALIASES: Final[dict[str, str]] = {
    "алгебра": "algebra",
    "геометрия": "geometry",
    "химия": "chemistry",
    "физика": "physics",
    "биология": "biology",
    "history": "history_kz",
    "қазақстан тарихы": "history_kz",
    "история казахстана": "history_kz",
    "математика": "mathematics",
    "ағылшын тілі": "english",
    "английский язык": "english",
}

# The calendar sheet's kinds (models.calendar.CalendarKind), in the words schools use. Public holidays
# are the law's and come with the national calendar: a school adds its own days off instead.
CALENDAR_KIND_ALIASES: Final[dict[str, str]] = {
    "day_off": "day_off",
    "day off": "day_off",
    "quarantine": "day_off",
    "демалыс күні": "day_off",
    "карантин": "day_off",
    "выходной": "day_off",
    "выходной день": "day_off",
    "working_day": "working_day",
    "working day": "working_day",
    "жұмыс күні": "working_day",
    "рабочий день": "working_day",
    "break": "break",
    "holidays": "break",
    "каникул": "break",
    "каникулы": "break",
    "quarter": "quarter",
    "тоқсан": "quarter",
    "четверть": "quarter",
    "year": "year",
    "оқу жылы": "year",
    "учебный год": "year",
}

DEFAULT_PROGRAMME: Final = DIGITAL_TUTOR
DEFAULT_PROGRAMME_NAME: Final = "Цифрлық ұстаз"
