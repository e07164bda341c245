"""Monthly inspection rules on small hand-built stores; F1 grading; the filled manual sheet; outputs."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import docx
import pytest
from openpyxl import load_workbook

from pipeline.checking.monthly import RULES, Facts, check_branch, load_standard
from pipeline.documents.monthly import run_check
from pipeline.samples.demo import roster_rows
from pipeline.documents.duty import duty_report, grading, vote_result
from pipeline.operations.ingest import ingest
from pipeline.core.issues import PipelineError
from pipeline.samples.college import make_png
from pipeline.samples.word import save_document, table_record

from .conftest import BRANCH, RECEIVED, write_book

TODAY = dt.date(2026, 11, 27)
BAD = "教务处党支部"
HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "缺席人员及原因", "议题"]


def put(ws, tmp_path, name, code, rows, branch=BRANCH, headers=None):
    result = ingest(write_book(tmp_path / name, code, rows, branch=branch, headers=headers), ws, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors]


@pytest.fixture(scope="module")
def stores(college, tmp_path_factory):
    """BRANCH in good order for 2026-03; BAD with a 8-member roster and little else. Built once:
    the tests only read it (the manual-sheet test scores its own copy)."""
    from pipeline.documents.blank import save_workbook
    from pipeline.samples.demo import registry_workbook
    from pipeline.workspace import Workspace
    tmp_path = tmp_path_factory.mktemp("assess")
    ws = Workspace.open(tmp_path / "ws")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp_path / "z1.xlsx"), ws, received=RECEIVED)
    branch = college.branch(BRANCH)
    put(ws, tmp_path, "a1.xlsx", "A1", roster_rows(branch))
    s = branch.secretary.name
    put(ws, tmp_path, "e1.xlsx", "E1", [[BRANCH, "机电工程学院党总支", "教工支部", None, s, None, "苏梓轩", "王芳", None,
                                         dt.date(2024, 1, 1), dt.date(2026, 12, 31), 2]])
    groups = {p.group for p in branch.members}
    talker, person = s, branch.members[-1].name
    rows = [["支委会", dt.date(2026, 3, 5), "会议室", s, s, 5, 4, "1人出差", "研究工作", None, None, None],
            ["党课", dt.date(2026, 3, 12), "报告厅", s, s, 17, 17, None, "党课", s, None, None],
            *[["党小组会", dt.date(2026, 3, 20 + k), "会议室", s, s, 6, 6, None, f"学习{k}", None, None, None]
              for k in range(len(groups))],
            ["谈心谈话", dt.date(2026, 2, 3), None, None, s, None, None, None, "谈心", None, talker, person]]
    put(ws, tmp_path, "b.xlsx", "B", rows, headers=HEAD + ["主讲人", "谈话人", "谈话对象"])
    for kind, day in (("支部党员大会", dt.date(2026, 3, 10)), ("主题党日", dt.date(2026, 3, 18))):
        meeting = {"会议类型": kind, "日期": day, "地点": "会议室", "主持人": s, "记录人": s, "应到人数": 17,
                   "实到人数": 16, "缺席人员及原因": "1人病假", "议题": f"{kind}议题", "会议内容": ["发言。"]}
        path = tmp_path / f"{kind}.docx"
        save_document(table_record(meeting, BRANCH, [make_png(seed=day.day)]), path)
        assert ingest(path, ws, received=RECEIVED).status == "accepted"
    from pipeline.samples.word import plan_document
    plan = tmp_path / "计划.docx"
    save_document(plan_document(BRANCH, 2026, "计划", ["一、任务"]), plan)
    ingest(plan, ws, received=RECEIVED)
    members = branch.members
    put(ws, tmp_path, "c1.xlsx", "C1", [[p.name, p.identity, p.base, None, p.dues, None, None] for p in members])
    put(ws, tmp_path, "c2.xlsx", "C2", [[p.name, f"2026-{m:02d}", p.dues, p.dues, dt.date(2026, m, 10), s, None]
                                        for p in members for m in (1, 2, 3) if p.joined <= dt.date(2026, m, 28)])
    put(ws, tmp_path, "c3.xlsx", "C3", [[dt.date(2026, 3, 28), "第一季度", 100, "党委组织部", "X1"]])
    put(ws, tmp_path, "d1.xlsx", "D1", [[members[0].name, "学生", "学生", dt.date(2026, 2, 1), "面谈", "帮扶", "完成"]])
    put(ws, tmp_path, "d2.xlsx", "D2", [[dt.date(2026, 3, 2), "义务支教", "社区", members[0].name, 2, 10, "支教"]])
    put(ws, tmp_path, "d3.xlsx", "D3", [[members[0].name, "承诺", dt.date(2026, 1, 5), None, None, "好"]])
    put(ws, tmp_path, "d4.xlsx", "D4", [[dt.date(2026, 2, 1), "学生", "建议", "已办理", dt.date(2026, 2, 10), "满意"]])
    put(ws, tmp_path, "e4.xlsx", "E4", [[dt.date(2026, 3, 3), "学习", "集中学习", s, 15]])
    put(ws, tmp_path, "e5.xlsx", "E5", [[dt.date(2026, 3, 1), "优秀党支部", "学院党委", BRANCH]])
    put(ws, tmp_path, "e6.xlsx", "E6", [[dt.date(2026, 1, 10), "组织部", "记录不规范", "统一模板", dt.date(2026, 2, 10),
                                         "已完成", s]])
    # the bad branch: 8 full members, an expired committee without 组织/宣传委员, one overdue rectification
    bad = college.branch(BAD)
    rows = roster_rows(bad)[:8]
    for r in rows:
        if r[7] == "预备党员":
            r[8] = dt.date(2019, 1, 1)
        r[7], r[9] = "正式党员", r[9] or dt.date(2020, 1, 1)
        r[11] = None
    rows[0][7], rows[0][8], rows[0][9] = "预备党员", dt.date(2024, 5, 1), None
    # the base facts were filed when the branch was small; the roster that grew it comes later
    put(ws, tmp_path, "bad-e1.xlsx", "E1", [[BAD, "机关党总支", "教工支部", None, rows[1][1], None, None, None, None,
                                             dt.date(2022, 6, 1), dt.date(2025, 5, 31), 1]], branch=BAD)
    put(ws, tmp_path, "bad-a1.xlsx", "A1", rows, branch=BAD)
    put(ws, tmp_path, "bad-e6.xlsx", "E6", [[dt.date(2026, 1, 10), "组织部", "会议记录缺失", "补齐记录",
                                             dt.date(2026, 2, 10), "整改中", rows[1][1]]], branch=BAD)
    put(ws, tmp_path, "bad-b.xlsx", "B", [["党员大会", dt.date(2026, 3, 5), "室", rows[1][1], rows[1][1], 8, 3, None,
                                           "学习"]], branch=BAD, headers=HEAD)
    put(ws, tmp_path, "bad-d4.xlsx", "D4", [[dt.date(2026, 1, 5), "学生", "建议", "办理中", None, None]], branch=BAD)
    return ws


# rule → evidence fragment for BAD in 2026-03 (None: not applicable there)
EXPECTED_BAD = {
    "committee_set": "未配备组织委员、宣传委员", "term_current": "已届满未换届", "roster_current": "本年度花名册已提交",
    "probation_on_time": "预备期已满未转正", "plan_submitted": "未提交本年度工作计划",
    "dues_base_current": "未提交2026年度党费基数核定表", "three_meetings_month": "3月未召开：支部委员会、党小组会",
    "committee_meeting_month": "3月未召开支部委员会", "general_meeting_quarter": None,
    "lecture_quarter": "第一季度未上党课", "records_complete": "缺席人员未写明原因", "quorum_met": None,
    "remittance_on_time": "第一季度党费未上缴", "theme_day_month": "3月未召开主题党日",
    "study_year": "尚无学习教育", "volunteering_year": "尚无志愿服务", "contacts_year": "尚无联系群众",
    "promises_year": "尚无承诺践诺", "honours_year": "尚无获得表彰", "ledger_c": "党费台账未提交",
    "ledger_d": "present", "rectification_on_time": "逾期未完成整改", "suggestions_handled": "超过30天未办结",
}


def test_every_automatic_rule_passes_on_the_good_branch(stores):
    facts = Facts(stores, BRANCH, 2026, 3, TODAY)
    failed = {name: rule(facts) for name, rule in RULES.items() if rule(facts)[0] is False}
    assert failed == {}


@pytest.mark.parametrize("name,evidence", sorted(EXPECTED_BAD.items()))
def test_rules_fail_with_evidence_on_the_bad_branch(stores, name, evidence):
    passed, text = RULES[name](Facts(stores, BAD, 2026, 3, TODAY))
    if name in ("roster_current", "general_meeting_quarter", "ledger_d"):
        assert passed is True          # present on the bad branch too: the contrast is the good one
        return
    if evidence is None:
        assert passed in (False, None)
        return
    assert passed is False and evidence in text, text


def test_member_count_and_not_applicable_rules(stores):
    facts = Facts(stores, "后勤保障处党支部", 2026, 3, TODAY)       # nothing stored at all
    assert RULES["member_count"](facts) == (False, "正式党员0人（应为3～50人）")
    assert RULES["committee_set"](facts)[0] is None
    assert RULES["life_meeting_year"](facts)[0] is None                   # checked from Q4
    assert RULES["life_meeting_year"](Facts(stores, BRANCH, 2026, 11, TODAY))[0] is False
    assert RULES["no_lapsed_members"](Facts(stores, BRANCH, 2026, 11, TODAY))[0] is False
    assert "未交党费" in RULES["no_lapsed_members"](Facts(stores, BRANCH, 2026, 11, TODAY))[1]


def test_standard_has_fifty_points_over_six_aspects():
    points = load_standard()
    assert len(points) >= 50 and len({p.aspect for p in points}) == 6
    assert all(p.rule == "manual" or p.rule in RULES for p in points)


@pytest.mark.parametrize("votes,score,grade", [((10, 0, 0, 0), "100.00", "好"), ((9, 1, 0, 0), "98.00", "好"),
                                              ((5, 5, 0, 0), "90.00", "好"), ((4, 6, 0, 0), "88.00", "较好"),
                                              ((0, 10, 0, 0), "80.00", "较好"), ((0, 9, 1, 0), "78.00", "一般"),
                                              ((0, 0, 10, 0), "60.00", "一般"), ((0, 0, 9, 1), "58.00", "差")])
def test_f1_grading_edges(registered, votes, score, grade):
    weights, grades = grading(registered)
    record = dict(zip(("好", "较好", "一般", "差"), votes), 测评对象="张三", 实参评人数=sum(votes))
    result = vote_result(record, weights, grades)
    assert (result["score"], result["grade"]) == (score, grade)


def test_f1_votes_must_add_up(registered):
    weights, grades = grading(registered)
    with pytest.raises(PipelineError, match="票数有误"):
        vote_result({"测评对象": "张三", "好": 5, "较好": 1, "一般": 0, "差": 0, "实参评人数": 7}, weights, grades)


def test_filled_manual_sheet_counts(stores, tmp_path):
    import shutil
    from pipeline.workspace import Workspace
    shutil.copytree(stores.home, tmp_path / "copy")
    stores = Workspace.open(tmp_path / "copy")
    results, sheets, college = run_check(stores, 2026, 3, [BRANCH], TODAY)
    before = results[0]
    assert any(o.score is None for o in before.outcomes)
    book = load_workbook(college)
    assert book.sheetnames == ["检查排名", "方面得分", "人工评分"] and book["方面得分"]._charts
    sheet = book["人工评分"]
    rows = list(sheet.iter_rows(min_row=4))
    for row in rows:
        row[4].value = 1
        row[5].value = "李检查"
    book.save(tmp_path / "已评分.xlsx")
    result = ingest(tmp_path / "已评分.xlsx", stores, received=RECEIVED)
    assert result.status == "accepted" and result.items == ["M1"], [i.text() for i in result.errors]
    after = check_branch(stores, BRANCH, 2026, 3, today=TODAY)
    assert all(o.score is not None for o in after.outcomes)
    manual = [o for o in after.outcomes if o.point.rule == "manual"]
    assert after.total == before.total + Decimal(len(manual))
    document = docx.Document(str(run_check(stores, 2026, 3, [BRANCH], TODAY)[1][0]))
    assert "待检查人员评分" not in "\n".join(p.text for p in document.paragraphs)


def test_inspection_sheet_and_duty_report_match_the_store(stores):
    results, sheets, _ = run_check(stores, 2026, 3, [BAD], TODAY)
    document = docx.Document(str(sheets[0]))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "3月未召开主题党日" in cells and sheets[0].name == f"2026年{BAD}月度检查表（3月）.docx"
    report, lists_docx, lists_xlsx, context = duty_report(stores, BRANCH, 2026, dt.date(2026, 3, 31))
    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert f"本支部现有党员{len(stores.store.roster(BRANCH, 2026))}名" in text and "【请填写" in text
    assert "尚未提交本年度民主测评统计表" in text
    sheet = load_workbook(lists_xlsx)
    assert sheet.sheetnames == ["问题清单", "责任清单", "整改清单"]
    assert [c.value for c in sheet["问题清单"][2]] == ["序号", "问题", "原因", "整改措施", "责任人", "时限", "完成情况"]


def test_general_branch_report_adds_up_its_branches(stores):
    from pipeline.documents.duty import duty_report_general
    report, lists_docx, lists_xlsx = duty_report_general(stores, "机电工程学院党总支", 2026, dt.date(2026, 3, 31))
    assert report.parent.name == "机电工程学院党总支" and lists_xlsx.exists()
    document = docx.Document(str(report))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"{BRANCH}：本支部现有党员" in text and "。；" not in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any("个支部达到要求" in c for c in cells)


def test_quorum_is_not_applicable_to_a_month_without_a_vote_or_committee(stores):
    """Issue 13 #14: a general meeting that voted on nothing does not need a quorum: neither pass nor fail."""
    passed, text = RULES["quorum_met"](Facts(stores, BAD, 2026, 3, TODAY))    # 3 of 8 at a study meeting
    assert passed is None and "没有须过半数到会的会议" in text


# --- issue 13 #14: points that cannot judge say so --------------------------------------------------------

def test_dues_in_full_cannot_be_judged_without_bases_or_payments(stores):
    """BAD filed no C1 and no C2: the point is not applicable, not passed (the submission points fail apart)."""
    passed, text = RULES["dues_full_month"](Facts(stores, BAD, 2026, 3, TODAY))
    assert passed is None and "无法判断" in text


def test_talks_show_progress_before_december_and_need_everyone_by_then(stores, tmp_path):
    """谈心谈话: before December progress ("已谈话 n/m 人"), in December every member at least once."""
    import shutil

    from pipeline.operations.ingest import ingest
    from pipeline.workspace import Workspace
    shutil.copytree(stores.home, tmp_path / "copy")                   # the module's workspace stays as it is
    ws = Workspace.open(tmp_path / "copy")
    roster = ws.store.roster(BAD, 2026)
    talk = [["谈心谈话", dt.date(2026, 3, 10), "办公室", None, roster[1].name, None, None, None, None, "思想交流", None,
             None, roster[1].name, roster[2].name]]
    head = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "缺席人员及原因", "列席人员", "议题",
            "决议事项", "主讲人", "谈话人", "谈话对象"]
    from .conftest import write_book
    path = write_book(tmp_path / "谈话.xlsx", "B", talk, branch=BAD, headers=head, filled="2026年3月15日")
    result = ingest(path, ws, received=dt.datetime(2026, 3, 20))
    assert result.status == "accepted", [i.text() for i in result.issues]
    passed, text = RULES["talks_coverage"](Facts(ws, BAD, 2026, 3, TODAY))
    assert passed is None and f"2/{len(roster)}" in text
    passed, text = RULES["talks_coverage"](Facts(ws, BAD, 2026, 12, dt.date(2027, 1, 5)))
    assert passed is False and f"2/{len(roster)}" in text


def test_probation_is_judged_against_an_approved_extension(stores, tmp_path):
    import shutil

    from pipeline.operations.ingest import ingest
    from pipeline.workspace import Workspace

    from .conftest import write_book
    passed, text = RULES["probation_on_time"](Facts(stores, BAD, 2026, 3, TODAY))
    assert passed is False and "预备期已满未转正" in text            # joined 2024-05-01, still 预备党员
    shutil.copytree(stores.home, tmp_path / "copy")
    ws = Workspace.open(tmp_path / "copy")
    probationer = next(m for m in ws.store.roster(BAD, 2026) if m.status == "预备党员")
    a3 = [[probationer.name, probationer.joined, "张三、李四", dt.date(2026, 5, 1), None, "是", "延长预备期一年"]]
    result = ingest(write_book(tmp_path / "考察.xlsx", "A3", a3, branch=BAD, filled="2026年3月1日"), ws,
                    received=dt.datetime(2026, 3, 2))
    assert result.status == "accepted", [i.text() for i in result.issues]
    passed, text = RULES["probation_on_time"](Facts(ws, BAD, 2026, 3, TODAY))
    assert passed is True                                           # extended to 2026-05-01: not yet late
    passed, text = RULES["probation_on_time"](Facts(ws, BAD, 2026, 6, TODAY))
    assert passed is False
