"""The reads checking a file makes, written once (`store_reads.Reads`): through the full store
(SQLAlchemy) and through a read-only standard-library connection (what `validate` uses on a SQLite
workspace, so that it starts without SQLAlchemy) they give the same answers and the same verdicts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.operations.ingest import ingest, validate_path
from pipeline.store_reads import SQLiteReads, sqlite_reads
from pipeline.workspace import Workspace

from .conftest import BRANCH, RECEIVED, write_book

ROOT = Path(__file__).resolve().parent.parent
def _bases(ws, tmp_path):
    """An accepted 党费基数表 of the roster's members: 5,000 yuan at 1% (students: 0.20 a month)."""
    rows = [[m.name, m.identity, None if m.identity == "学生" else 5000, None if m.identity == "学生" else "1%",
             0.2 if m.identity == "学生" else 50, None, None] for m in ws.store.roster(BRANCH, 2026)]
    head = ["姓名", "党员身份", "计算基数", "缴纳比例", "月应缴党费", "生效月份", "备注"]
    result = ingest(write_book(tmp_path / "党费基数.xlsx", "C1", rows, headers=head), ws, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors][:3]


def test_both_ways_of_reading_give_the_same_answers(with_roster, tmp_path):
    ws = with_roster
    _bases(ws, tmp_path)
    fast = sqlite_reads(ws.db_url, ws.home)
    assert isinstance(fast, SQLiteReads)
    try:
        full = ws.store
        assert fast.registry() == full.registry() and len(full.registry()) >= 20
        assert fast.roster(BRANCH, 2026) == full.roster(BRANCH, 2026) and full.roster(BRANCH, 2026)
        assert fast.roster("没有这个支部") is None and full.roster("没有这个支部") is None
        assert fast.dues_bases(BRANCH, 2026) == full.dues_bases(BRANCH, 2026)
        assert fast.dues_bases(BRANCH, 2027) == full.dues_bases(BRANCH, 2027)
        assert fast.active_records("A1", BRANCH, "2026") == full.active_records("A1", BRANCH, "2026")
        with full.engine.connect() as conn:
            from sqlalchemy import text
            sha = conn.execute(text("select sha256 from submissions where status = 'accepted' order by id")).scalar()
        assert fast.accepted_with_hash(sha) == full.accepted_with_hash(sha) is not None
        assert fast.accepted_with_hash("0" * 64) is None
    finally:
        fast.close()


def test_validate_starts_without_sqlalchemy_and_judges_the_same(with_roster, tmp_path):
    """A whole `taizhang validate --json` process: no SQLAlchemy imported (python -X importtime),
    the same verdict (errors at the same cells) as the full store gives."""
    import json
    ws = with_roster
    ws.store.close()
    bad = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "李四", "男", "汉族", "1990-01", "110101199001011234",
                                                     "本科", "正式党员", "2030-01-01", None, "在职教职工"]])
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", "--home", str(ws.home), "validate",
                           "--json", "--branch", BRANCH, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "pipeline.store_reads" in imported and not any(m.split(".")[0] in ("sqlalchemy", "alembic")
                                                          for m in imported)
    (found,) = json.loads(done.stdout)
    expected = validate_path(bad, Workspace.open(ws.home), folder_branch=BRANCH)     # through SQLAlchemy
    assert [(i["code"], i["cell"]) for i in found["issues"]] == [(i.code, i.cell) for i in expected.issues]
    assert expected.errors


def test_an_older_or_missing_store_is_opened_by_the_full_store(tmp_path):
    """No database yet, or one at an older schema: `reads` is the full store (which makes or
    migrates it); a PostgreSQL URL never goes the standard-library way."""
    import sqlite3
    ws = Workspace.open(tmp_path / "ws")
    assert sqlite_reads(ws.db_url, ws.home) is None
    ws.init()
    ws.store.close()
    assert Workspace.open(ws.home).reads.__class__.__name__ == "Store"      # a command that may write
    reading = Workspace.open(ws.home)
    reading.read_only = True
    assert isinstance(reading.reads, SQLiteReads)
    with sqlite3.connect(ws.home / "taizhang.db") as db:
        db.execute("update alembic_version set version_num = '0002'")
    again = Workspace.open(ws.home)
    again.read_only = True
    assert sqlite_reads(again.db_url, again.home) is None
    assert again.reads is again.store                 # migrated by opening
    assert sqlite_reads("postgresql+psycopg://taizhang@/x", None) is None
