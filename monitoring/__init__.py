"""The dashboard's read model: the overview's figures, who needs attention, the monitoring tables,
delivery and pupil pages over the store, limited to a scope and a period."""

from monitoring.pupil import Point, PupilView, pupil_view
from monitoring.scope import Scope, scope_of
from monitoring.table import Cell, Table
from monitoring.tables import TABLES, table

__all__ = ["TABLES", "Cell", "Point", "PupilView", "Scope", "Table", "pupil_view", "scope_of", "table"]
