"""The roster and timetable importer: a school's people, classes, groups and lessons from xlsx/csv."""

# The command line, the run command and the dashboard's upload page all call `import_roster` and print
# `format_report`. Modules, one job each: `schema` (sheets, columns, aliases — the file format is
# documented there), `reader` (xlsx/csv → rows of text), `fields` (one cell → a value or a reason),
# `validate` (rows → a typed roster + every error of form and reference), `rules` (the programmes'
# rules, one function each, as errors or warnings), `scope` (an upload limited to the uploader's
# schools), `apply` (the difference into the store), `report` (the result and its text), `importer`
# (the transaction around them).

from roster.importer import import_roster
from roster.report import ImportReport, IssuedInvite, RowError, format_report

__all__ = ["ImportReport", "IssuedInvite", "RowError", "format_report", "import_roster"]
