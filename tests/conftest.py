"""Fixtures: a fresh workspace in tmp_path, a registered college, and tiny workbooks.

Workbooks are real .xlsx files written with openpyxl and read back through the whole
pipeline; nothing is mocked.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.documents.blank import FIRST_DATA_ROW, add_ledger_sheet, save_workbook
from pipeline.samples.demo import registry_workbook, roster_rows
from pipeline.core.formats import ITEMS
from pipeline.operations.ingest import ingest
from pipeline.samples.college import make_college
from pipeline.workspace import Workspace

RECEIVED = dt.datetime(2026, 11, 27, 10, 0)
BRANCH = "机电工程学院教工党支部"


@pytest.fixture(scope="session")
def college():
    return make_college(2026)


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the session, started on first use."""
    from .pgserver import Server
    try:
        server = Server()
    except (RuntimeError, OSError) as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def backend() -> str:
    """The store the `ws` fixtures use; a module parametrizes it to run on SQLite and PostgreSQL."""
    return "sqlite"


@pytest.fixture
def ws(tmp_path, backend, request) -> Workspace:
    home = tmp_path / "ws"
    if backend == "postgresql":
        url = request.getfixturevalue("pg_server").new_database()
        home.mkdir(parents=True)
        (home / "taizhang.toml").write_text(f'[store]\nurl = "{url}"\n', "utf-8")
    workspace = Workspace.open(home)
    workspace.init()
    return workspace


@pytest.fixture
def registered(ws, college, tmp_path) -> Workspace:
    """A workspace whose 党组织设置表 is stored."""
    path = save_workbook(registry_workbook(college), tmp_path / "党组织设置表.xlsx")
    result = ingest(path, ws, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    return ws


@pytest.fixture
def with_roster(registered, college, tmp_path) -> Workspace:
    """Registered, plus the roster of BRANCH."""
    branch = college.branch(BRANCH)
    path = tmp_path / "花名册.xlsx"
    write_book(path, "A1", roster_rows(branch))
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    return registered


@pytest.fixture
def home(tmp_path, college) -> Path:
    """A workspace folder whose registry is stored, for tests that run real watcher and CLI processes."""
    ws = Workspace.open(tmp_path / "ws")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp_path / "z1.xlsx"), ws)
    ws.store.close()
    return ws.home


def write_book(path: Path, code: str, rows: list[list], branch: str = BRANCH, year=2026,
               filled: str = "2026年11月20日", headers: list[str] | None = None) -> Path:
    """A one-sheet workbook in the template layout (title, info row, header at row 3)."""
    wb = Workbook()
    wb.remove(wb.active)
    ws = add_ledger_sheet(wb, ITEMS[code], branch, year, filled, rows=max(len(rows), 1))
    if headers is not None:
        for c in range(1, ws.max_column + 1):
            ws.cell(row=3, column=c).value = None
        for c, head in enumerate(headers, 1):
            ws.cell(row=3, column=c, value=head)
    for r, values in enumerate(rows, FIRST_DATA_ROW):
        for c, value in enumerate(values, 1):
            ws.cell(row=r, column=c, value=value)
    return save_workbook(wb, path)


def codes(result_or_issues, severity: str | None = None) -> list[tuple]:
    issues = getattr(result_or_issues, "issues", result_or_issues)
    return [(i.code, i.cell) for i in issues if severity is None or i.severity == severity]


def errors(result) -> list[tuple]:
    return codes(result, "error")
