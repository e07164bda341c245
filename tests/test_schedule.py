"""The submission schedule and the 台账状态 on small hand-built stores: due days and their edges,
quarters, event items, branches registered mid-year, rejected files and their corrections; the
status command, the 催交 outputs, and the watcher keeping the pages up to date."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from pipeline.checking.schedule import (NA, OVERDUE, PASSED, REJECTED, WAITING, default_month, load_schedule,
                                        month_view, submission_status)
from pipeline.core.issues import PipelineError
from pipeline.documents.blank import save_workbook
from pipeline.documents.overview import BRANCH_PAGE, OVERVIEW_FOLDER, OVERVIEW_NAME, write_overviews
from pipeline.documents.remind import reminders
from pipeline.operations.ingest import ingest
from pipeline.samples.demo import registry_workbook

from .conftest import BRANCH, write_book

HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "缺席人员及原因", "议题"]
OTHER = "教务处党支部"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def sent(ws, path: Path, code: str, rows: list, received: dt.datetime, **options):
    """A workbook filled in on the day it is received, ingested as received then."""
    filled = f"{received.year}年{received.month}月{received.day}日"
    return ingest(write_book(path, code, rows, filled=filled, **options), ws, received=received)


def registry_filled(college, day: dt.date):
    """The demo college's 党组织设置表, filled in on `day`."""
    return registry_workbook(college, day)


def roster_before(branch, day: dt.date) -> list[list]:
    """The branch's roster as it stood on `day` (members admitted later left out, later 转正 not yet)."""
    from pipeline.samples.demo import roster_rows
    rows = []
    for row in roster_rows(branch):
        if row[8] <= day:
            if row[9] and row[9] > day:
                row[7], row[9] = "预备党员", None
            rows.append(row)
    return rows


def meetings(ws, tmp_path, days: list[dt.date], received: dt.datetime, branch: str = BRANCH, name: str = "b.xlsx"):
    rows = [["支委会", day, "会议室", "张三", "李四", 5, 5, None, f"研究{day:%m月%d日}工作"] for day in days]
    result = sent(ws, tmp_path / name, "B", rows, received, branch=branch, headers=HEAD)
    assert result.status == "accepted", [i.text() for i in result.errors]
    return result


def cell(status, entry: str, label: str, owner: str = BRANCH):
    found = [c for c in status.cells[owner] if c.entry.name == entry and c.period.label == label]
    assert len(found) == 1, (entry, label, [(c.entry.name, c.period.label) for c in status.cells[owner]])
    return found[0]


# --- the schedule itself ------------------------------------------------------------------

def test_the_shipped_schedule_and_its_due_days():
    schedule = load_schedule()
    life = schedule.entry("组织生活记录")
    assert life.due_on(2026, 10) == dt.date(2026, 11, 5)
    assert life.due_on(2026, 12) == dt.date(2027, 1, 5)                 # December's records: next January
    remit = schedule.entry("党费上缴")
    assert [p.due for p in remit.periods(2026)] == [dt.date(2026, 4, 30), dt.date(2026, 7, 31),
                                                    dt.date(2026, 10, 31), dt.date(2027, 1, 31)]
    assert [p.grid_month for p in remit.periods(2026)] == [3, 6, 9, 12]  # shown in the quarter's last month
    plan = schedule.entry("年度工作计划")
    assert plan.due_on(2028) == dt.date(2028, 2, 29) and plan.due_on(2026) == dt.date(2026, 2, 28)
    assert schedule.entry("民主测评").due_on(2026) == dt.date(2027, 1, 31)
    assert schedule.entry("年度工作总结").periods(2026)[0].grid_month == 12
    events = {e.name for e in schedule.entries if e.every == "event"}
    assert events and not events & {e.name for e in schedule.due()}
    covered = {code for e in schedule.entries for code in e.items}
    from pipeline.core.formats import ITEMS
    assert set(ITEMS) - covered == {"W1", "M1"}                          # every ledger item has its place


def test_a_workspace_schedule_replaces_the_default_and_a_wrong_one_is_explained(ws, tmp_path):
    text = (Path(__file__).parent.parent / "pipeline" / "data" / "schedule.toml").read_text("utf-8")
    (ws.home / "schedule.toml").write_text(text.replace("day = 5", "day = 10"), "utf-8")
    assert load_schedule(ws.home).entry("组织生活记录").due_on(2026, 10) == dt.date(2026, 11, 10)
    from pipeline.checking.monthly import submission_due
    assert submission_due(ws, 2026, 10) == dt.date(2026, 11, 10)     # the monthly check reads the same day
    (ws.home / "schedule.toml").write_text(text.replace('items = ["C1"]', 'items = ["C9"]')
                                           .replace('due = "02-end"', 'due = "二月底"'), "utf-8")
    with pytest.raises(PipelineError) as caught:
        load_schedule(ws.home)
    assert "未知的台账编号 C9" in str(caught.value) and "MM-DD" in str(caught.value)


# --- states and their edges -----------------------------------------------------------------

def test_the_due_day_itself_counts_and_the_day_after_is_late(registered, tmp_path):
    ws = registered
    due = dt.date(2026, 11, 5)
    assert cell(submission_status(ws, 2026, due), "组织生活记录", "10月").state == WAITING
    after = cell(submission_status(ws, 2026, due + dt.timedelta(days=1)), "组织生活记录", "10月")
    assert (after.state, after.overdue_days, after.colour) == (OVERDUE, 1, "red")
    assert "逾期1天" in after.text
    meetings(ws, tmp_path, [dt.date(2026, 10, 9)], at(due, 23))            # late in the evening of the due day
    on_time = cell(submission_status(ws, 2026, dt.date(2026, 11, 20)), "组织生活记录", "10月")
    assert (on_time.state, on_time.late_days, on_time.colour) == (PASSED, 0, "green")
    assert on_time.text == "通过（11月5日）"
    # what was received after the day the status is taken for does not count yet
    assert cell(submission_status(ws, 2026, dt.date(2026, 11, 4)), "组织生活记录", "10月").state == WAITING


def test_records_count_for_the_month_they_are_dated_in_and_a_late_file_says_so(registered, tmp_path):
    ws = registered
    meetings(ws, tmp_path, [dt.date(2026, 9, 8), dt.date(2026, 10, 9)], at(dt.date(2026, 11, 20)))
    status = submission_status(ws, 2026, dt.date(2026, 11, 27))
    september = cell(status, "组织生活记录", "9月")
    assert (september.state, september.late_days) == (PASSED, (dt.date(2026, 11, 20) - dt.date(2026, 10, 5)).days)
    assert "逾期46天补交" in september.text and september.colour == "green"
    assert cell(status, "组织生活记录", "8月").state == OVERDUE            # nothing dated in August
    assert cell(status, "组织生活记录", "11月").state == WAITING           # November's are due on 5 December
    assert not [c for c in status.cells[BRANCH] if c.period.start > dt.date(2026, 11, 27)]   # December: not begun


def test_a_quarter_is_due_after_its_last_month_and_only_when_dues_were_collected(with_roster, college, tmp_path):
    ws = with_roster
    members = college.branch(BRANCH).members[:3]
    rows = [[p.name, f"2026-{m:02d}", p.dues, p.dues, dt.date(2026, m, 10), "张三", None] for p in members for m in (7, 8, 9)]
    result = sent(ws, tmp_path / "c2.xlsx", "C2", rows, at(dt.date(2026, 10, 3)))
    assert result.status == "accepted", [i.text() for i in result.errors]
    on_last_day = submission_status(ws, 2026, dt.date(2026, 10, 31))
    q3 = cell(on_last_day, "党费上缴", "第三季度")
    assert q3.state == WAITING and q3.period.grid_month == 9
    # no 党费收缴 sent for Q2: the Q2 remittance is still due (never quietly 不适用) …
    assert cell(on_last_day, "党费上缴", "第二季度").state == OVERDUE
    late = cell(submission_status(ws, 2026, dt.date(2026, 11, 1)), "党费上缴", "第三季度")
    assert (late.state, late.overdue_days) == (OVERDUE, 1)
    # the month view of October still lists the overdue Q3 remittance (unfinished from earlier)
    view = month_view(submission_status(ws, 2026, dt.date(2026, 11, 1)), 10, [BRANCH])
    assert ("党费上缴", "第三季度", OVERDUE) in {(c["台账"], c["期间"], c["状态"]) for c in view["单位"][0]["事项"]}
    total = sum(p.dues for p in members) * 3
    result = sent(ws, tmp_path / "c3.xlsx", "C3", [[dt.date(2026, 11, 2), "2026年第三季度", total, "党委组织部", "0001", None]],
                  at(dt.date(2026, 11, 2)))
    assert result.status == "accepted", [i.text() for i in result.errors]
    done = cell(submission_status(ws, 2026, dt.date(2026, 11, 3)), "党费上缴", "第三季度")
    assert (done.state, done.late_days) == (PASSED, 2)
    assert cell(submission_status(ws, 2026, dt.date(2026, 11, 3)), "党费收缴", "9月").state == PASSED
    # … and once the 收缴 of Q1 is sent showing nothing collected (all exempt), Q1 needs no 上缴
    rows = [[p.name, f"2026-{m:02d}", 0, 0, None, "张三", "免交"] for p in members for m in (1, 2, 3)]
    result = sent(ws, tmp_path / "c2-q1.xlsx", "C2", rows, at(dt.date(2026, 11, 3)))
    assert result.status == "accepted", [i.text() for i in result.errors]
    q1 = cell(submission_status(ws, 2026, dt.date(2026, 11, 3)), "党费上缴", "第一季度")
    assert q1.state == NA and "没有收缴金额" in q1.text


def test_event_items_are_never_missing(registered):
    status = submission_status(registered, 2026, dt.date(2026, 12, 31))
    names = {c.entry.name for cells in status.cells.values() for c in cells}
    assert "发展党员和组织关系" not in names and "奖惩和荣誉" not in names and "其他登记" not in names
    assert {c.entry.items for c in status.cells[BRANCH]}.isdisjoint({("A4",), ("A5",)})
    assert all(c.state != PASSED for c in status.cells[BRANCH])          # nothing sent: nothing passes by accident


def test_a_branch_registered_during_the_year(registered, college, tmp_path):
    ws = registered
    wb = registry_filled(college, dt.date(2026, 7, 10))
    sheet = wb.worksheets[0]
    row = sheet.max_row + 1
    while row > 1 and not sheet.cell(row=row - 1, column=2).value:
        row -= 1
    for c in range(1, sheet.max_column + 1):
        sheet.cell(row=row, column=c, value=sheet.cell(row=row - 1, column=c).value)
    sheet.cell(row=row, column=2, value="新能源学院教工党支部")
    result = ingest(save_workbook(wb, tmp_path / "z1-july.xlsx"), ws, received=at(dt.date(2026, 7, 10)))
    assert result.status == "accepted", [i.text() for i in result.errors]
    status = submission_status(ws, 2026, dt.date(2026, 8, 20))
    new = "新能源学院教工党支部"
    assert status.owner(new).start == dt.date(2026, 7, 10)
    june = cell(status, "组织生活记录", "6月", new)
    assert june.state == NA and "7月10日登记成立" in june.text
    assert cell(status, "组织生活记录", "7月", new).state == OVERDUE      # July is its own (due 5 August)
    roster = cell(status, "党员花名册", "2026年", new)                   # due 30 days after registration
    assert roster.due == dt.date(2026, 8, 9) and roster.state == OVERDUE and roster.overdue_days == 11
    # the branches of the first registry existed all year
    assert status.owner(BRANCH).start is None
    assert cell(status, "组织生活记录", "1月").state == OVERDUE


def test_a_rejected_file_stays_open_until_it_is_corrected(with_roster, college, tmp_path):
    ws = with_roster
    other = college.branch(OTHER)
    bad_rows = roster_before(other, dt.date(2026, 2, 1))
    bad_rows[0][5] = "110101199003071235"                                # a wrong check digit
    bad = sent(ws, tmp_path / "花名册.xlsx", "A1", bad_rows, at(dt.date(2026, 2, 3)), branch=OTHER)
    assert bad.status == "rejected"
    status = submission_status(ws, 2026, dt.date(2026, 2, 20))
    roster = cell(status, "党员花名册", "2026年", OTHER)
    assert roster.state == REJECTED and roster.colour == "red" and roster.overdue_days == 20
    assert roster.link == bad.receipt and roster.rejection.first_errors
    assert [r.file.file_name for r in status.open_rejections[OTHER]] == ["花名册.xlsx"]
    good = sent(ws, tmp_path / "花名册.xlsx", "A1", roster_before(other, dt.date(2026, 2, 1)), at(dt.date(2026, 2, 25)),
                branch=OTHER)
    assert good.status == "accepted", [i.text() for i in good.errors]
    status = submission_status(ws, 2026, dt.date(2026, 3, 1))
    roster = cell(status, "党员花名册", "2026年", OTHER)
    assert (roster.state, roster.late_days) == (PASSED, 25)
    assert OTHER not in status.open_rejections
    # a later rejected update of a roster that passed: 退回未改, but the branch has a version (yellow)
    sent(ws, tmp_path / "花名册（更新）.xlsx", "A1", bad_rows, at(dt.date(2026, 3, 5)), branch=OTHER)
    roster = cell(submission_status(ws, 2026, dt.date(2026, 3, 6)), "党员花名册", "2026年", OTHER)
    assert roster.state == REJECTED and roster.colour == "yellow" and "2月25日通过的版本仍有效" in roster.text


# --- the pages, the command, the 催交 outputs ------------------------------------------------

@pytest.fixture
def month_of_files(with_roster, college, tmp_path):
    """BRANCH sent October's records on time; OTHER sent a roster that was rejected; the rest nothing."""
    ws = with_roster
    meetings(ws, tmp_path, [dt.date(2026, 10, 9)], at(dt.date(2026, 11, 3)))
    from pipeline.samples.demo import roster_rows
    rows = roster_rows(college.branch(OTHER))
    rows[0][5] = "110101199003071235"
    rows[1][1] = "=HYPERLINK(\"http://x\")"                             # user text that looks like a formula
    sent(ws, tmp_path / "=花名册.xlsx", "A1", rows, at(dt.date(2026, 11, 4)), branch=OTHER)
    return ws


def test_the_pages_link_to_receipts_that_exist(month_of_files):
    ws = month_of_files
    written = write_overviews(ws, 2026, dt.date(2026, 11, 10))
    college_page = ws.outbox / OVERVIEW_FOLDER / OVERVIEW_NAME
    assert written[0] == college_page and len(written) == 1 + 20
    text = college_page.read_text("utf-8")
    assert "<script src" not in text and "http://" not in text.replace('"http://x', "") and "<link" not in text
    links = re.findall(r'href="([^"#][^"]*)"', text)
    assert links
    from urllib.parse import unquote
    for link in links:
        assert not link.startswith(("/", "file:")), link                 # relative: the share mounts anywhere
        assert (college_page.parent / unquote(link)).resolve().is_file(), link
    assert "110101199003071235" not in text and "〔填写内容：110" in text        # masked where it circulates
    assert not re.search(r"\d{15,}", text)
    page = ws.receipts / OTHER / BRANCH_PAGE
    own = page.read_text("utf-8")
    assert OTHER in own and BRANCH not in own
    for link in re.findall(r'href="([^"#][^"]*)"', own):
        assert (page.parent / unquote(link)).resolve().is_file(), link


def test_status_command_text_json_and_exit_code(month_of_files):
    home = str(month_of_files.home)
    runner = CliRunner()
    out = runner.invoke(main, ["--home", home, "status", "--month", "2026-10", "--date", "2026-11-10", "--json"])
    assert out.exit_code == 0, out.output
    view = json.loads(out.output)
    states = {(o["名称"], c["台账"], c["期间"]): c["状态"] for o in view["单位"] for c in o["事项"]}
    assert states[(BRANCH, "组织生活记录", "10月")] == PASSED
    assert states[(OTHER, "组织生活记录", "10月")] == OVERDUE
    assert states[(OTHER, "党员花名册", "2026年")] == REJECTED
    assert view["合计"][OVERDUE] >= 19 and view["逾期"] > 0
    failing = runner.invoke(main, ["--home", home, "status", "--month", "2026-10", "--date", "2026-11-10",
                                   "--branch", BRANCH, "--fail-on-overdue"])
    assert failing.exit_code == 1 and "通过（11月3日）" in failing.output and OTHER not in failing.output
    early = runner.invoke(main, ["--home", home, "status", "--month", "2026-10", "--date", "2026-11-05",
                                 "--branch", BRANCH, "--fail-on-overdue"])
    assert early.exit_code == 1                     # the roster (due 31 January) is overdue already
    unknown = runner.invoke(main, ["--home", home, "status", "--branch", "不存在党支部"])
    assert unknown.exit_code == 2 and "没有登记" in unknown.output and "Traceback" not in unknown.output
    assert default_month(dt.date(2027, 1, 3)) == (2026, 12)


def test_remind_writes_a_notice_per_branch_that_owes_and_the_college_list(month_of_files):
    ws = month_of_files
    done = reminders(ws, 2026, 10, dt.date(2026, 11, 10))
    owed = {p.name.split("10月", 1)[1].replace("台账催交通知.docx", "") for p in done.notices}
    assert OTHER in owed and len(done.notices) + len(done.clear) == 20
    notice = next(p for p in done.notices if OTHER in p.name)
    body = "\n".join(p.text for p in docx.Document(notice).paragraphs)
    assert "逾期未报送的台账" in body and "退回后尚未改正的文件" in body
    assert "组织生活记录（1—10月）：应于2月5日前报送，最长已逾期278天。" in body       # months together
    assert "抄送：" in body and "中共示例职业技术学院委员会组织部" in body
    assert "110101199003071235" not in body
    assert re.search(r"请于2026年11月17日前", body)                        # five working days after 10 November
    sheet = load_workbook(done.listing).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert any(r[2] == OTHER and r[6] == REJECTED for r in rows)
    formulas = [c for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    assert not formulas                                                  # user text never becomes a formula
    linked = [c.hyperlink.target for r in sheet.iter_rows(min_row=3) for c in r if c.hyperlink]
    assert linked and all((done.listing.parent / t).resolve().is_file() for t in linked)


def test_the_watcher_regenerates_the_pages_after_a_burst(registered, tmp_path):
    from pipeline.operations.watcher import Refresher, Watcher
    ws = registered
    target = ws.outbox / OVERVIEW_FOLDER / OVERVIEW_NAME
    write_book(ws.inbox / BRANCH / "组织生活.xlsx", "B",
               [["支委会", dt.date(2026, 10, 9), "会议室", "张三", "李四", 5, 5, None, "研究工作"]], headers=HEAD,
               filled="2026年11月3日")
    Watcher(ws, delay=0.05, clock=lambda: at(dt.date(2026, 11, 3))).once()
    assert target.exists()
    text = target.read_text("utf-8")
    assert "数据截至 2026年11月3日" in text and "组织生活.xlsx" in text
    # a burst is written once, after it has been quiet for the delay, by a process of its own
    target.unlink()
    refresher = Refresher(ws, lambda: dt.date(2026, 11, 3), delay=0.3, separate=True)
    refresher.start()
    try:
        import time
        for _ in range(5):
            refresher.touch()
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while refresher.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        assert refresher.runs == 1 and not refresher.pending and target.exists()
    finally:
        refresher.stop()


def test_the_score_trend_is_what_the_monthly_checks_published(month_of_files):
    from pipeline.documents.monthly import run_check
    from pipeline.documents.overview import gather
    ws = month_of_files
    today = dt.date(2026, 11, 10)
    assert gather(ws, 2026, today)[1].rates[BRANCH] == []                 # no check run yet: no trend
    results, _, _ = run_check(ws, 2026, 10, today=today)
    run_check(ws, 2026, 9, [BRANCH], today=today)
    rates = gather(ws, 2026, today)[1].rates
    published = {r.branch: r.rate for r in results}
    assert rates[OTHER] == [(10, published[OTHER])]
    assert [m for m, _ in rates[BRANCH]] == [9, 10] and rates[BRANCH][1] == (10, published[BRANCH])
    page = write_overviews(ws, 2026, today)[0].read_text("utf-8")
    assert f"10月：{float(published[BRANCH]) * 100:.1f}%" in page


def test_a_file_sent_back_for_a_month_marks_that_month_even_when_other_records_passed(registered, tmp_path):
    ws = registered
    meetings(ws, tmp_path, [dt.date(2026, 9, 8), dt.date(2026, 10, 9)], at(dt.date(2026, 11, 3)))
    bad = [["支委会", dt.date(2026, 10, 16), "会议室", "张三", "李四", 5, 9, None, "实到多于应到"]]
    result = sent(ws, tmp_path / "十月补充.xlsx", "B", bad, at(dt.date(2026, 11, 4)), headers=HEAD)
    assert result.status == "rejected"
    status = submission_status(ws, 2026, dt.date(2026, 11, 10))
    october = cell(status, "组织生活记录", "10月")
    assert october.state == REJECTED and october.colour == "yellow" and october.received is not None
    assert october.link == result.receipt and "更新被退回" in october.short
    assert cell(status, "组织生活记录", "9月").state == PASSED            # the file was about October only
    assert october in status.owed(BRANCH)                                 # the 催交 list shows it too


def test_a_month_not_over_periods_before_the_system_and_the_january_pages(registered, tmp_path):
    ws = registered
    meetings(ws, tmp_path, [dt.date(2026, 11, 9)], at(dt.date(2026, 11, 20)))
    november = cell(submission_status(ws, 2026, dt.date(2026, 11, 20)), "组织生活记录", "11月")
    assert november.state == WAITING and november.received is not None     # not green before the month ends
    assert "本期未结束" in november.text
    assert cell(submission_status(ws, 2026, dt.date(2026, 12, 1)), "组织生活记录", "11月").state == PASSED
    before = submission_status(ws, 2025, dt.date(2026, 11, 20))             # the registry came in 2026
    assert {c.state for c in before.cells[BRANCH]} == {NA} and "启用" in before.cells[BRANCH][0].text
    # in January the pages still report on December (and the year's ledgers), and show what is due soon
    page = write_overviews(ws, today=dt.date(2027, 1, 10))[0].read_text("utf-8")
    assert "台账总览（2026年）" in page and "12月报送情况" in page
    assert "近期到期" in page and "2027年" in page and "民主测评" in page


def test_status_refuses_a_month_still_to_come(registered):
    runner = CliRunner()
    home = str(registered.home)
    out = runner.invoke(main, ["--home", home, "status", "--month", "2026-12", "--date", "2026-11-20"])
    assert out.exit_code == 2 and "还没有开始" in out.output
    out = runner.invoke(main, ["--home", home, "remind", "--month", "2027-03", "--date", "2026-11-20"])
    assert out.exit_code == 2 and not (registered.outbox / "2027").exists()
    later = runner.invoke(main, ["--home", home, "status", "--date", (dt.date.today() + dt.timedelta(days=40)).isoformat()])
    assert later.exit_code == 0 and "晚于今天" in later.output
