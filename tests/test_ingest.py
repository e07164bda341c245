"""Ingest end to end: store, duplicates, superseding, receipts, originals kept, branch checks."""
import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from pipeline.samples.demo import roster_rows
from pipeline.operations.ingest import check_file, ingest

from .conftest import BRANCH, RECEIVED, codes, errors, write_book


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Every test here runs on the SQLite store and on a real PostgreSQL server."""
    return request.param


def db_rows(ws, sql):
    from sqlalchemy import text
    with ws.store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_accepted_file_is_stored_with_its_records(with_roster, college):
    ws = with_roster
    stored = ws.store.active_records("A1", BRANCH)
    assert [r["姓名"] for r in stored] == [p.name for p in college.branch(BRANCH).members]
    assert isinstance(stored[0]["入党时间"], dt.date)
    (sub,) = db_rows(ws, "select status, branch, items, length(sha256) from submissions where file_name='花名册.xlsx'")
    assert sub == ("accepted", BRANCH, "A1", 64)


def test_same_bytes_twice_is_a_duplicate_stored_once(with_roster, tmp_path):
    ws = with_roster
    again = tmp_path / "花名册（再次提交）.xlsx"
    again.write_bytes((tmp_path / "花名册.xlsx").read_bytes())
    result = ingest(again, ws, received=RECEIVED)
    assert result.status == "duplicate" and result.duplicate_of
    assert db_rows(ws, "select count(*) from ledgers where item='A1'") == [(1,)]
    assert db_rows(ws, "select status from submissions order by id") == [("accepted",), ("accepted",), ("duplicate",)]
    assert "重复提交" in result.receipt.read_text("utf-8-sig")
    assert result.stored.exists() and "重复提交" in str(result.stored)


def test_newer_submission_supersedes_older_and_history_stays(with_roster, college, tmp_path):
    ws = with_roster
    rows = roster_rows(college.branch(BRANCH))[:-1]          # one member transferred out
    path = write_book(tmp_path / "花名册（更新）.xlsx", "A1", rows, filled="2026年11月25日")
    assert ingest(path, ws, received=RECEIVED).status == "accepted"
    assert len(ws.store.active_records("A1", BRANCH)) == len(rows)
    history = ws.store.ledger_history(BRANCH, "A1")
    assert len(history) == 2 and history[0].superseded_by == history[1].id and history[1].superseded_by is None
    assert db_rows(ws, "select count(*) from records where item='A1'") == [(2 * len(rows) + 1,)]


def test_meeting_resubmission_replaces_that_meeting_only(registered, tmp_path):
    ws = registered
    head = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "议题", "决议事项"]
    first = [["支委会", dt.date(2026, 3, 5), "会议室", "毛建薇", "苏梓轩", 5, 5, "研究工作", "原决议"],
             ["支委会", dt.date(2026, 4, 5), "会议室", "毛建薇", "苏梓轩", 5, 5, "研究工作", None]]
    ingest(write_book(tmp_path / "a.xlsx", "B", first, headers=head), ws, received=RECEIVED)
    fixed = [["支委会", dt.date(2026, 3, 5), "会议室", "毛建薇", "苏梓轩", 5, 4, "研究工作", "更正后的决议"]]
    ingest(write_book(tmp_path / "b.xlsx", "B", fixed, headers=head), ws, received=RECEIVED)
    meetings = sorted(ws.store.active_records("B2", BRANCH), key=lambda m: m["日期"])
    assert [(m["日期"], m["实到人数"], m.get("决议事项")) for m in meetings] == [
        (dt.date(2026, 3, 5), 4, "更正后的决议"), (dt.date(2026, 4, 5), 5, None)]


def test_rejected_file_stores_nothing_and_keeps_the_original(registered, tmp_path):
    ws = registered
    path = write_book(tmp_path / "花名册（待修改）.xlsx", "A1", [[1, "张三", None, None, "1980-05", None, None, "正式党员",
                                                            dt.date(2005, 6, 1), dt.date(2006, 6, 1), "在职"]])
    result = ingest(path, ws, received=RECEIVED)
    assert result.status == "rejected"
    assert ws.store.active_records("A1", BRANCH) == []
    assert result.stored == ws.rejected / BRANCH / "花名册（待修改）.xlsx"
    assert result.stored.read_bytes() == path.read_bytes()
    assert db_rows(ws, "select code, cell, column_name from issues where severity='error'") == [("required", "C4", "性别")]


def test_name_clashes_never_overwrite(registered, tmp_path):
    ws = registered
    for n in range(2):
        path = write_book(tmp_path / "表.xlsx", "A1", [[1, "张三", None]], filled=f"2026年3月{n + 1}日")
        ingest(path, ws, received=RECEIVED)
    assert {p.name for p in (ws.rejected / BRANCH).iterdir()} == {
        "表(2).xlsx.回执.txt", "表(2).xlsx", "表.xlsx.回执.txt", "表.xlsx"}      # each with its receipt beside it


def test_text_receipt_lists_every_issue_with_cell_and_hint(registered, tmp_path):
    path = write_book(tmp_path / "花名册（待修改）.xlsx", "A1",
                      [[1, "张三", "男", None, "1980-05", "110108198005071230", None, "正式", dt.date(2005, 6, 1),
                        dt.date(2006, 6, 1), "在职", None, None, None, "12345"]])
    result = ingest(path, registered, received=RECEIVED)
    text = result.receipt.read_text("utf-8-sig")
    assert result.receipt == registered.receipts / BRANCH / "花名册（待修改）.xlsx.回执.txt"
    assert "未通过" in text and "党员花名册!F4（身份证号）" in text and "党员花名册!O4（联系电话）" in text
    assert "第18位应为" in text and "共 2 处错误" in text


def test_annotated_workbook_marks_cells_and_links_them(registered, tmp_path):
    path = write_book(tmp_path / "花名册（待修改）.xlsx", "A1",
                      [[1, "张三", "男", None, "1980-05", None, None, "正式", dt.date(2005, 6, 1),
                        dt.date(2006, 6, 1), "在职"], [2, "=HYPERLINK(\"http://x\")", "男", None, "明年"]])
    result = ingest(path, registered, received=RECEIVED)
    wb = load_workbook(result.annotated)
    assert wb.sheetnames[0] == "校验结果"
    summary = wb["校验结果"]
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.issues)
    link_cells = [c for c in summary["D"][1:] if c.hyperlink]
    assert [c.hyperlink.location for c in link_cells] == [f"'党员花名册'!{i.cell}" for i in result.issues if i.cell]
    roster = wb["党员花名册"]
    assert roster["E5"].fill.fgColor.rgb == "FFFF7C80"
    assert "日期" in roster["E5"].comment.text and roster["E5"].comment.author == "台账校验"
    assert roster["A4"].fill.fgColor.rgb != "FFFF7C80"
    # user text is never turned into a formula in what we write
    for row in summary.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"


def test_unknown_branch_suggests_the_closest(registered, tmp_path):
    path = write_book(tmp_path / "a.xlsx", "A1", [[1, "张三"]], branch="机电学院教工支部")
    result = check_file(path, registered, received=RECEIVED)
    (issue,) = [i for i in result.issues if i.code == "unknown-branch"]
    assert issue.cell == "A2" and BRANCH in issue.hint


def test_branch_spelled_with_zhibu_matches_registered_dangzhibu(registered, tmp_path):
    path = write_book(tmp_path / "a.xlsx", "A1", [], branch="机电工程学院教工支部")
    assert ("unknown-branch", "A2") not in errors(check_file(path, registered, received=RECEIVED))


def test_no_registry_yet(ws, tmp_path):
    path = write_book(tmp_path / "a.xlsx", "A1", [[1, "张三"]])
    assert ("no-registry", "A2") in errors(check_file(path, ws, received=RECEIVED))


def test_branch_from_inbox_subfolder(registered, tmp_path):
    path = write_book(tmp_path / "a.xlsx", "D1", [], branch="")
    result = check_file(path, registered, folder_branch=BRANCH, received=RECEIVED)
    assert result.branch == BRANCH and not result.errors
    assert codes(result) == [("no-data", None)]          # an event ledger may be empty: a warning
    assert errors(check_file(path, registered, received=RECEIVED)) == [("no-branch", None)]


@pytest.mark.parametrize("code", ["Z1", "A1", "C1", "E1"])
def test_a_state_ledger_with_a_header_and_no_rows_is_rejected(registered, tmp_path, code):
    path = write_book(tmp_path / "a.xlsx", code, [])
    result = check_file(path, registered, received=RECEIVED)
    assert result.status == "rejected" and ("no-data-state", None) in errors(result)


def test_roster_in_the_same_workbook_is_used_for_later_sheets(registered, college, tmp_path):
    from openpyxl import Workbook

    from pipeline.documents.blank import add_ledger_sheet, save_workbook
    from pipeline.core.formats import ITEMS
    branch = college.branch(BRANCH)
    wb = Workbook()
    wb.remove(wb.active)
    c1 = add_ledger_sheet(wb, ITEMS["C1"], BRANCH, 2026, "2026年1月5日", rows=1)
    c1.append([branch.members[0].name, branch.members[0].identity, float(branch.members[0].base), None,
               float(branch.members[0].dues)])
    c1.delete_rows(4)
    a1 = add_ledger_sheet(wb, ITEMS["A1"], BRANCH, 2026, "2026年1月5日", rows=1)
    for values in roster_rows(branch):
        a1.append(values)
    a1.delete_rows(4)
    path = save_workbook(wb, tmp_path / "合并.xlsx")
    result = check_file(path, registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    assert not [i for i in result.issues if i.code in ("no-roster", "not-in-roster")]


def test_json_shape(registered, tmp_path):
    path = write_book(tmp_path / "a.xlsx", "A1", [[1, "张三"]])
    data = check_file(path, registered, received=RECEIVED).as_json()
    assert set(data) >= {"file", "status", "branch", "items", "issues"}
    assert set(data["issues"][0]) >= {"severity", "code", "sheet", "cell", "column", "value", "message"}
    json.dumps(data, ensure_ascii=False)


def test_the_store_answers_with_the_day_of_receipt(with_roster, tmp_path):
    """Named questions with an as-of date: what was received by a day, the latest status per file."""
    store = with_roster.store
    assert {"A1", "Z1"} - store.live_items(BRANCH) == {"Z1"}                    # Z1 is the college's
    assert store.live_items(BRANCH, RECEIVED.date()) == {"A1"}
    assert store.live_items(BRANCH, RECEIVED.date() - dt.timedelta(days=1)) == set()
    bad = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "张三"]])
    ingest(bad, with_roster, received=RECEIVED + dt.timedelta(days=2))
    assert store.latest_statuses(BRANCH, 2026, RECEIVED.date()) == {"花名册.xlsx": "accepted"}
    assert store.latest_statuses(BRANCH, 2026, RECEIVED.date() + dt.timedelta(days=2)) == {"花名册.xlsx": "rejected"}
    assert store.latest_statuses(BRANCH, 2027, dt.date(2027, 12, 31)) == {}


def test_a_filled_date_after_the_day_of_receipt_is_an_error(registered, tmp_path):
    """Issue 13 #10: dates are judged as of the ledger's own date, which cannot be in the future."""
    path = write_book(tmp_path / "联系.xlsx", "D1", [], filled="2026年12月25日")
    result = check_file(path, registered, received=RECEIVED)
    assert errors(result) == [("future-date", "A2")]
    assert "2026-12-25" in result.errors[0].message


def test_the_database_lets_only_one_acceptance_of_the_same_bytes(registered, tmp_path):
    """Two processes (or hosts) that accept the same bytes: the unique index decides, the loser is told."""
    from pipeline.store import AlreadyAccepted, Store
    ws = registered
    row = {"file_name": "a.xlsx", "sha256": "f" * 64, "size": 1, "received_at": RECEIVED, "status": "accepted",
           "branch": BRANCH, "items": "A1", "error_count": 0, "warning_count": 0}
    ws.store.record_submission(dict(row, claim="one"), [], [])
    other = Store(ws.db_url)                        # a second connection, as another process would have
    try:
        with pytest.raises(AlreadyAccepted):
            other.record_submission(dict(row, claim="two", file_name="b.xlsx"), [], [])
        other.record_submission(dict(row, claim="three", status="duplicate"), [], [])   # as a duplicate: fine
    finally:
        other.close()
    assert db_rows(ws, "select status from submissions where sha256 = '" + "f" * 64 + "' order by id") == \
        [("accepted",), ("duplicate",)]


def test_paths_are_kept_relative_to_the_workspace(with_roster, tmp_path):
    """Hosts mount the shared workspace at different places: the database names files from its root."""
    ws = with_roster
    ((stored, receipt, summary),) = db_rows(ws, "select stored_path, receipt_path, summary from submissions "
                                                "where file_name = '花名册.xlsx'")
    assert not stored.startswith("/") and stored.startswith("archive/") and (ws.home / stored).exists()
    assert receipt.startswith("outbox/回执/") and (ws.home / receipt).exists()
    moved = tmp_path / "elsewhere"                      # the same workspace, mounted somewhere else
    ws.store.close()
    import shutil
    shutil.copytree(ws.home, moved)
    from pipeline.checking.schedule import submission_status
    from pipeline.workspace import Workspace
    there = Workspace.open(moved)
    status = submission_status(there, 2026, RECEIVED.date())
    roster = next(c for c in status.cells[BRANCH] if c.entry.name == "党员花名册")
    assert roster.link is not None and roster.link.is_relative_to(moved) and roster.link.exists()


def test_one_watcher_per_inbox_across_hosts(ws, tmp_path, backend):
    """On PostgreSQL a second host mounting the same workspace elsewhere is refused by the database's
    advisory lock, even though its file lock (on its own mount) would be free; the lock goes with
    the holder. On SQLite the file lock is the rule (one host)."""
    import shutil

    from pipeline.operations.watcher import InboxLock, LockHeld
    from pipeline.workspace import Workspace
    first = InboxLock(ws).__enter__()
    try:
        ws.store.close()
        other_mount = tmp_path / "other-host"
        shutil.copytree(ws.home, other_mount)            # the same files, seen at another path
        other = Workspace.open(other_mount)
        if backend == "postgresql":
            with pytest.raises(LockHeld) as refused:
                InboxLock(other).__enter__()
            assert "另一台主机" in str(refused.value)
        else:                                          # one host: the copy's own file lock is free
            second = InboxLock(other).__enter__()
            second.__exit__(None, None, None)
    finally:
        first.__exit__(None, None, None)
    if backend == "postgresql":
        again = InboxLock(Workspace.open(tmp_path / "other-host")).__enter__()   # released: the next may take it
        again.__exit__(None, None, None)
