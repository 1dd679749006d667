"""How a tutor's work is graded: the choices /homework offers, what a homework stores for each (kind,
label, scored) and the words that name it in the tutor's summary and the pupil's notice of new
homework — one table, so the flow that sets a work and the notices that tell of it (when it is set,
and again at catch-up) always name it alike."""

from __future__ import annotations

from dataclasses import dataclass

from locales import N, T, Text
from models.enums import HomeworkKind, WorkLabel
from models.homework import Homework

FORMATIVE, SUMMATIVE, DIAGNOSTIC = HomeworkKind.FORMATIVE, HomeworkKind.SUMMATIVE, HomeworkKind.DIAGNOSTIC


@dataclass(frozen=True)
class Grading:
    """A choice of how the work is graded: what the homework stores, and its names."""

    kind: HomeworkKind
    label: WorkLabel | None
    scored: bool
    choice: str  # the button's text key
    summary: str  # the key naming it in the summary and the notice (in points: a plural entry on {max})

    @property
    def in_points(self) -> bool:
        return self.kind != FORMATIVE


GRADINGS: dict[str, Grading] = {
    "formative": Grading(FORMATIVE, None, True, "homework.choice.formative", "homework.grading.formative"),
    "section": Grading(
        SUMMATIVE, WorkLabel.SECTION, True, "homework.choice.summative", "homework.grading.summative"
    ),
    "term": Grading(SUMMATIVE, WorkLabel.TERM, True, "work.choice.term", "work.grading.term"),
    "entry": Grading(DIAGNOSTIC, WorkLabel.ENTRY, True, "work.choice.entry", "work.grading.entry"),
    "final": Grading(DIAGNOSTIC, WorkLabel.FINAL, True, "work.choice.final", "work.grading.final"),
    "none": Grading(FORMATIVE, None, False, "homework.choice.no_grade", "homework.grading.none"),
}
NONE = GRADINGS["none"]
# A form begun before the choices were split keeps its earlier name: "summative" was a section's.
EARLIER = {"summative": "section"}


def chosen(name: object) -> Grading:
    """The grading a form's stored choice names (not graded, when it names none)."""
    text = str(name)
    return GRADINGS.get(EARLIER.get(text, text), NONE)


def grading_text(grading: Grading, max_points: int | None) -> Text:
    """How the work is graded, with its maximum (a count of points) when it is graded in points."""
    return N(grading.summary, "max", max=max_points) if grading.in_points else T(grading.summary)


def grading_of(homework: Homework) -> Grading:
    """The choice a stored homework was set with; a summative work set before labels is a section's."""
    if not homework.scored:
        return NONE
    label = homework.label or (WorkLabel.SECTION if homework.kind == SUMMATIVE else None)
    return next(
        (g for g in GRADINGS.values() if g.scored and g.kind == homework.kind and g.label == label),
        GRADINGS["formative"],
    )
