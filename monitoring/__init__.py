"""The dashboard's read model: monitoring tables and pupil pages over the store, limited to a scope."""

from monitoring.pupil import Point, PupilView, pupil_view
from monitoring.scope import Scope, scope_of
from monitoring.table import Cell, Table
from monitoring.tables import TABLES, table

__all__ = ["TABLES", "Cell", "Point", "PupilView", "Scope", "Table", "pupil_view", "scope_of", "table"]
