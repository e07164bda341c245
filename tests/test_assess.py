"""Monthly inspection rules on small hand-built stores; F1 grading; the filled manual sheet; outputs."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import docx
import pytest
from openpyxl import load_workbook

from pipeline.checking.monthly import FAIL, LATER, NA, PASS, RULES, Facts, check_branch, load_standard
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


ON_TIME = dt.datetime(2026, 4, 1, 9, 0)       # the good branch files its first quarter before 5 April


def put(ws, tmp_path, name, code, rows, branch=BRANCH, headers=None):
    on_time = branch == BRANCH
    path = write_book(tmp_path / name, code, rows, branch=branch, headers=headers,
                      filled="2026年4月1日" if on_time else "2026年11月20日")
    result = ingest(path, ws, received=ON_TIME if on_time else RECEIVED)
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
    roster = []                       # the roster as it stood on 1 April, when it was filed
    for row in roster_rows(branch):
        if row[8] <= ON_TIME.date():
            if row[9] and row[9] > ON_TIME.date():
                row[7], row[9] = "预备党员", None
            roster.append(row)
    put(ws, tmp_path, "a1.xlsx", "A1", roster)
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
        assert ingest(path, ws, received=ON_TIME).status == "accepted"
    from pipeline.samples.word import plan_document
    plan = tmp_path / "计划.docx"
    save_document(plan_document(BRANCH, 2026, "计划", ["一、任务"]), plan)
    ingest(plan, ws, received=ON_TIME)
    members = [p for p in branch.members if p.joined <= ON_TIME.date()]
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


# rule → (state, evidence fragment) for BAD in 2026-03, judged as check_branch judges
EXPECTED_BAD = {
    "member_count": (PASS, "正式党员7人"), "committee_set": (FAIL, "未配备组织委员、宣传委员"),
    "term_current": (FAIL, "已届满未换届"), "roster_current": (PASS, "本年度花名册已提交"),
    "probation_on_time": (FAIL, "预备期已满未转正"), "plan_submitted": (FAIL, "未提交本年度工作计划"),
    "dues_base_current": (FAIL, "未提交2026年度党费基数核定表"),
    "three_meetings_month": (FAIL, "3月未按要求召开：支部委员会、党课"),
    "committee_meeting_month": (FAIL, "3月未召开支部委员会"), "general_meeting_quarter": (PASS, "第一季度召开支部党员大会1次"),
    "lecture_quarter": (FAIL, "第一季度未上党课"), "records_complete": (FAIL, "缺席人员未写明原因"),
    "quorum_met": (NA, "没有须过半数到会的会议"), "remittance_on_time": (NA, "无法判断"),
    "theme_day_month": (FAIL, "3月未召开主题党日"), "study_year": (LATER, "尚无学习教育"),
    "volunteering_year": (LATER, "尚无志愿服务"), "contacts_year": (LATER, "尚无联系群众"),
    "promises_year": (LATER, "尚无承诺践诺"), "honours_year": (LATER, "尚无获得表彰"),
    "life_meeting_year": (LATER, "尚未召开组织生活会"), "talks_coverage": (LATER, "已谈话0/8人"),
    "ledger_a": (FAIL, "未在4月5日前报送（11月27日补报）"), "ledger_c": (FAIL, "党费台账未在4月5日前报送"),
    "rectification_on_time": (FAIL, "逾期未完成整改"), "suggestions_handled": (FAIL, "超过30天未办结"),
    "dues_full_month": (NA, "无法判断"), "no_lapsed_members": (NA, "无法判断"), "groups_set": (NA, "可不划分党小组"),
    "group_meeting_month": (NA, "未划分党小组"), "meetings_with_photos": (FAIL, "无照片：3月5日支部党员大会"),
}


def _by_rule(result):
    return {o.point.rule: o for o in result.outcomes}


def test_every_automatic_point_passes_or_is_left_out_on_the_good_branch(stores):
    """The good branch filed its first quarter by 5 April: nothing fails in March; yearly points are
    not yet due, points it is not required to meet are not applicable — none of them counted."""
    result = check_branch(stores, BRANCH, 2026, 3, today=TODAY)
    assert [(o.point.id, o.evidence) for o in result.outcomes if o.state == FAIL] == []
    by_rule = _by_rule(result)
    assert by_rule["study_year"].state == LATER and by_rule["study_year"].score is None
    assert by_rule["ledger_b"].state == PASS and "4月5日前报送" in by_rule["ledger_b"].evidence
    assert result.full == sum(o.point.score for o in result.outcomes if o.state in (PASS, FAIL))
    assert result.total == result.full and result.rate == 1


@pytest.mark.parametrize("rule,expected", sorted(EXPECTED_BAD.items()))
def test_points_on_the_bad_branch_with_evidence(stores, rule, expected):
    state, evidence = expected
    outcome = _by_rule(check_branch(stores, BAD, 2026, 3, today=TODAY))[rule]
    assert (outcome.state, evidence in outcome.evidence) == (state, True), outcome.evidence
    assert (outcome.score is None) == (state in (NA, LATER))


def test_member_count_and_not_applicable_rules(stores):
    facts = Facts(stores, "后勤保障处党支部", 2026, 3, TODAY)       # nothing stored at all
    assert RULES["member_count"](facts) == (NA, "未提交花名册，无法判断")
    assert RULES["committee_set"](facts)[0] is NA
    assert RULES["life_meeting_year"](Facts(stores, BRANCH, 2026, 11, TODAY))[0] is False
    december = _by_rule(check_branch(stores, BRANCH, 2026, 12, today=dt.date(2027, 1, 4)))
    assert december["life_meeting_year"].state == FAIL and december["life_meeting_year"].score == 0
    assert RULES["no_lapsed_members"](Facts(stores, BRANCH, 2026, 11, TODAY))[0] is False
    assert "名党员连续6个月以上未交纳党费" in RULES["no_lapsed_members"](Facts(stores, BRANCH, 2026, 11, TODAY))[1]


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
    assert book.sheetnames == ["检查排名", "方面得分", "图表", "人工评分"] and book["图表"]._charts
    sheet = book["人工评分"]
    rows = list(sheet.iter_rows(min_row=4))
    for row in rows:
        row[4].value = 1
        row[5].value = "李检查"
    book.save(tmp_path / "已评分.xlsx")
    result = ingest(tmp_path / "已评分.xlsx", stores, received=RECEIVED)
    assert result.status == "accepted" and result.items == ["M1"], [i.text() for i in result.errors]
    after = check_branch(stores, BRANCH, 2026, 3, today=TODAY)
    manual = [o for o in after.outcomes if o.point.rule == "manual"]
    assert all(o.score == 1 and o.state == "已评分" for o in manual)
    assert before.count("待评分") == len(manual) and after.count("待评分") == 0
    # scored manual points join both the score and the applicable maximum (得分率 = score / maximum)
    assert after.total == before.total + Decimal(len(manual))
    assert after.full == before.full + sum(o.point.score for o in manual)
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
    assert [c.value for c in sheet["问题清单"][2]] == ["序号", "方面", "问题表现（事实和依据）", "来源", "原因分析"]
    assert [c.value for c in sheet["责任清单"][2]] == ["序号", "问题", "主体责任", "直接责任人", "责任内容"]
    assert [c.value for c in sheet["整改清单"][2]] == ["序号", "问题", "整改措施", "整改目标", "时限", "责任人", "完成情况",
                                                   "验收"]
    assert all(sheet[name].page_setup.orientation == "landscape" for name in sheet.sheetnames)


def test_general_branch_report_adds_up_its_branches(stores):
    from pipeline.documents.duty import duty_report_general
    report, lists_docx, lists_xlsx = duty_report_general(stores, "机电工程学院党总支", 2026, dt.date(2026, 3, 31))
    assert report.parent.name == "机电工程学院党总支" and lists_xlsx.exists()
    document = docx.Document(str(report))
    text = "\n".join(p.text for p in document.paragraphs)
    head = next(r["党总支书记"] for r in stores.store.registry() if r.get("党总支") == "机电工程学院党总支")
    assert head and f"述职人：{head}" in text
    assert "本党总支下设3个党支部" in text and "本支部" not in text and "。；" not in text
    roster = len(stores.store.roster(BRANCH, 2026))
    assert f"共有党员{roster}名" in text                       # only BRANCH of the three filed a roster
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any("个支部达到要求" in c for c in cells)


def test_quorum_is_not_applicable_to_a_month_without_a_vote_or_committee(stores):
    """Issue 13 #14: a general meeting that voted on nothing does not need a quorum: neither pass nor fail."""
    passed, text = RULES["quorum_met"](Facts(stores, BAD, 2026, 3, TODAY))    # 3 of 8 at a study meeting
    assert passed is NA and "没有须过半数到会的会议" in text


# --- issue 13 #14: points that cannot judge say so --------------------------------------------------------

def test_dues_in_full_cannot_be_judged_without_bases_or_payments(stores):
    """BAD filed no C1 and no C2: the point is not applicable, not passed (the submission points fail apart)."""
    passed, text = RULES["dues_full_month"](Facts(stores, BAD, 2026, 3, TODAY))
    assert passed is NA and "无法判断" in text


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
    outcome = _by_rule(check_branch(ws, BAD, 2026, 3, today=TODAY))["talks_coverage"]
    assert (outcome.state, outcome.score) == (LATER, None) and f"2/{len(roster)}" in outcome.evidence
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


# --- issue 13 #11–#16: how a point is judged (§7) --------------------------------------------------

def _copy(stores, tmp_path):
    import shutil

    from pipeline.workspace import Workspace
    shutil.copytree(stores.home, tmp_path / "copy")
    return Workspace.open(tmp_path / "copy")


def test_a_month_that_has_not_ended_cannot_be_checked(stores):
    with pytest.raises(PipelineError, match="2026年11月尚未结束.*12月1日"):
        check_branch(stores, BRANCH, 2026, 11, today=dt.date(2026, 11, 30))
    assert check_branch(stores, BRANCH, 2026, 11, today=dt.date(2026, 12, 1)).month == 11


def test_submission_points_go_by_the_day_of_receipt(stores):
    """The good branch filed on 1 April: on time for March (due 5 April), not counted for January or
    February (due 5 February / 5 March); BAD filed in November: late for March, and the verdict is
    the same whenever the check is re-run."""
    for month, state in ((1, FAIL), (2, FAIL), (3, PASS), (4, PASS)):
        outcome = _by_rule(check_branch(stores, BRANCH, 2026, month, today=TODAY))["ledger_a"]
        assert outcome.state == state, (month, outcome.evidence)
    january = _by_rule(check_branch(stores, BRANCH, 2026, 1, today=TODAY))["ledger_b"]
    assert january.evidence == "党组织生活台账未在2月5日前报送（4月1日补报）"
    # checked on 3 April, before the due day: filed already (on time) or not yet due — never a failure
    early = _by_rule(check_branch(stores, BRANCH, 2026, 3, today=dt.date(2026, 4, 3)))["ledger_b"]
    assert early.state == PASS
    early = _by_rule(check_branch(stores, BAD, 2026, 3, today=dt.date(2026, 4, 3)))["ledger_b"]
    assert early.state == LATER and "报送期限为4月5日" in early.evidence
    for today in (dt.date(2026, 11, 27), dt.date(2027, 6, 1)):
        bad = _by_rule(check_branch(stores, BAD, 2026, 3, today=today))["ledger_a"]
        assert bad.state == FAIL and "11月27日补报" in bad.evidence


def test_a_backfilled_meeting_dated_later_never_makes_an_earlier_month_pass(stores, tmp_path):
    ws = _copy(stores, tmp_path)
    before = _by_rule(check_branch(ws, BAD, 2026, 3, today=TODAY))["committee_meeting_month"]
    s = ws.store.roster(BAD, 2026)[1].name
    put(ws, tmp_path, "later.xlsx", "B", [["支委会", dt.date(2026, 4, 2), "室", s, s, 1, 1, None, "研究"]],
        branch=BAD, headers=HEAD)
    after = _by_rule(check_branch(ws, BAD, 2026, 3, today=TODAY))["committee_meeting_month"]
    assert (before.state, after.state) == (FAIL, FAIL) and after.evidence == before.evidence
    assert _by_rule(check_branch(ws, BAD, 2026, 4, today=TODAY))["committee_meeting_month"].state == PASS


@pytest.mark.parametrize("period,state", [("第一季度", PASS), ("2026年1-3月", PASS), ("2026年1-6月", PASS),
                                          ("2026年第二季度", FAIL), ("2026-03", FAIL), ("2025年第一季度", FAIL)])
def test_remittance_is_judged_per_period(stores, tmp_path, period, state):
    """Dues were collected in the first quarter only (C2: January–March); in July the first quarter is
    due. Only a remittance whose 所属期间 covers all of it counts: a Q2 or a single month does not."""
    ws = _copy(stores, tmp_path)
    put(ws, tmp_path, "c3-again.xlsx", "C3", [[dt.date(2026, 3, 31), period, 100, "党委组织部", "X2"]])
    outcome = _by_rule(check_branch(ws, BRANCH, 2026, 7, today=TODAY))["remittance_on_time"]
    assert outcome.state == state, outcome.evidence
    assert ("第一季度党费未上缴" in outcome.evidence) == (state == FAIL)


def test_remittance_period_must_be_readable(registered, tmp_path):
    path = write_book(tmp_path / "上缴.xlsx", "C3", [[dt.date(2026, 4, 10), "春季", 100, "党委组织部", "X"],
                                                    [dt.date(2026, 4, 10), "2026年第三季度", 100, "党委组织部", "Y"]],
                      filled="2026年4月20日")
    result = ingest(path, registered, received=dt.datetime(2026, 4, 20))
    texts = [i.text() for i in result.issues]
    assert result.status == "rejected"
    assert any("所属期间“春季”" in t and "2026年第一季度" in t for t in texts), texts
    assert any("所属期间从2026年7月开始，晚于上缴日期 2026-04-10" in t for t in texts), texts


def test_yearly_points_show_progress_until_december_and_are_not_problems_when_met(stores):
    """组织生活会 and the yearly 本年度 points: 未到期 with the count so far from January to November, judged
    in December; a month's problem list never lists them before."""
    from pipeline.documents.duty import duty_context
    for month in (1, 6, 11):
        result = check_branch(stores, BRANCH, 2026, month, today=dt.date(2027, 1, 4))
        by_rule = _by_rule(result)
        for rule in ("life_meeting_year", "appraisal_year", "study_year", "volunteering_year", "honours_year",
                     "talks_coverage"):
            assert by_rule[rule].state == LATER and by_rule[rule].score is None, (month, rule)
        assert not any(o.point.period == "year" for o in result.gaps)
    context = duty_context(stores, BRANCH, 2026, dt.date(2027, 1, 4))
    problems = "\n".join(item["problem"] for item in context["issues"])
    assert "学习教育" not in problems                      # held on 3 March: met by December, not a problem
    assert "组织生活会" in problems and "1月" not in problems.split("组织生活会")[1].split("\n")[0]


def test_not_applicable_points_are_out_of_both_score_and_maximum(stores):
    """§7: 不适用, 未到期 and 待评分 count neither way; 得分率 = score / applicable maximum."""
    result = check_branch(stores, BAD, 2026, 3, today=TODAY)
    counted = [o for o in result.outcomes if o.state in (PASS, FAIL)]
    assert result.full == sum(o.point.score for o in counted)
    assert result.total == sum(o.point.score for o in counted if o.state == PASS)
    assert result.rate == result.total / result.full
    assert all(o.score is None for o in result.outcomes if o.state in (NA, LATER, "待评分"))
    assert result.count("待评分") == sum(1 for p in load_standard() if p.rule == "manual")


def _small_branch(stores, tmp_path):
    """A registered branch with 5 full members, no committee and no groups: it holds its quarter's
    党员大会 and 党课 and a 主题党日 each month, with photos."""
    ws = _copy(stores, tmp_path)
    name = "后勤保障处党支部"
    from pipeline.samples.demo import roster_rows as rows_of
    from pipeline.samples.college import make_college
    branch = make_college(2026).branch(name)
    roster = rows_of(branch)[:5]
    for r in roster:
        r[7], r[8], r[9], r[11] = "正式党员", dt.date(2015, 7, 1), dt.date(2016, 7, 1), None
    put(ws, tmp_path, "small-a1.xlsx", "A1", roster, branch=name)
    s = roster[0][1]
    for month in (1, 2, 3):
        for kind, day in (("主题党日", 18), *((("支部党员大会", 10), ("党课", 12)) if month == 3 else ())):
            meeting = {"会议类型": kind, "日期": dt.date(2026, month, day), "地点": "会议室", "主持人": s, "记录人": s,
                       "应到人数": 5, "实到人数": 5, "议题": f"{kind}{month}月", "会议内容": ["学习。"],
                       **({"主讲人": s} if kind == "党课" else {})}
            path = tmp_path / f"small-{kind}-{month}.docx"
            save_document(table_record(meeting, name, [make_png(seed=month * 40 + day)]), path)
            result = ingest(path, ws, received=RECEIVED)
            assert result.status == "accepted", [i.text() for i in result.errors]
    return ws, name


def test_a_five_member_branch_fails_nothing_it_was_not_required_to_have(stores, tmp_path):
    ws, name = _small_branch(stores, tmp_path)
    for month in (2, 3):
        by_rule = _by_rule(check_branch(ws, name, 2026, month, today=TODAY))
        for rule in ("committee_set", "committee_meeting_month", "groups_set", "group_meeting_month"):
            assert by_rule[rule].state == NA, (month, rule, by_rule[rule].evidence)
        assert by_rule["member_count"].state == PASS
    february = _by_rule(check_branch(ws, name, 2026, 2, today=TODAY))
    assert february["three_meetings_month"].state == NA                  # nothing of 三会一课 due in February
    march = _by_rule(check_branch(ws, name, 2026, 3, today=TODAY))
    assert march["three_meetings_month"].state == PASS, march["three_meetings_month"].evidence
    assert "支部党员大会、党课" in march["three_meetings_month"].evidence
    assert march["general_meeting_quarter"].state == PASS and march["lecture_quarter"].state == PASS
    assert march["meetings_with_photos"].state == PASS


def test_every_rule_for_no_data_full_data_and_a_small_branch(stores, tmp_path):
    """No point fails for lack of something the branch was not required to have. With no data at all
    only what every branch must file or hold can fail."""
    required = {"term_current", "roster_current", "plan_submitted", "dues_base_current", "theme_day_month",
                "general_meeting_quarter", "lecture_quarter", "three_meetings_month", "ledger_a", "ledger_b", "ledger_c", "ledger_d", "ledger_e"}
    for month in (1, 3, 12):
        empty = check_branch(stores, "后勤保障处党支部", 2026, month, today=dt.date(2027, 1, 4))
        failed = {o.point.rule for o in empty.outcomes if o.state == FAIL}
        yearly = {p.rule for p in load_standard() if p.period == "year"}
        assert failed <= required | (yearly if month == 12 else set()), (month, failed - required)
        assert all(o.state in (NA, LATER, "待评分") for o in empty.outcomes if o.point.rule in
                   ("member_count", "committee_set", "groups_set", "dues_full_month", "no_lapsed_members",
                    "remittance_on_time", "quorum_met", "meetings_with_photos", "records_complete"))
    full = check_branch(stores, BRANCH, 2026, 3, today=TODAY)
    assert not full.gaps
    ws, name = _small_branch(stores, tmp_path)
    small = check_branch(ws, name, 2026, 3, today=TODAY)
    assert {o.point.rule for o in small.gaps} <= required | {"dues_base_current"}


def test_member_ceiling_counts_every_member(stores, tmp_path):
    """§7: at most 50 members — 正式 and 预备 alike (48 full + 3 预备 is 51)."""
    from pipeline.checking.monthly import member_count
    from pipeline.core.records import Member

    class Fake:
        has_roster = True
        full_members = 48
        roster = [Member(f"甲{i}", "正式党员" if i < 48 else "预备党员", None, None, None) for i in range(51)]
    verdict, text = member_count(Fake())
    assert verdict is False and "超过50人" in text and "党员51人" in text
    Fake.roster = Fake.roster[:50]
    assert member_count(Fake())[0] is True


def test_ranking_goes_by_rate_and_ties_share_a_place(stores, tmp_path):
    from pipeline.documents.monthly import college_workbook
    results = [check_branch(stores, b, 2026, 3, today=TODAY) for b in (BRANCH, BAD, BAD)]
    results[2].branch = "教务处党支部（副本）"
    book = load_workbook(college_workbook(stores, results, 2026, 3))
    rows = [[c.value for c in row[:6]] for row in book["检查排名"].iter_rows(min_row=4) if row[2].value]
    assert [r[2] for r in rows] == [BRANCH, BAD, "教务处党支部（副本）"]
    assert [r[0] for r in rows] == [1, 2, 2]
    assert rows[0][4] == float(results[0].full) and rows[1][4] == float(results[1].full)


def test_duty_report_counts_meetings_per_required_period(stores, tmp_path):
    """Issue 13 #15: 13 支委会 of which 12 in January is "10个月中2个月召开", not 达到要求."""
    from pipeline.documents.duty import duty_context
    ws = _copy(stores, tmp_path)
    s = ws.store.roster(BAD, 2026)[1].name
    rows = [["支委会", dt.date(2026, 1, 1 + k), "室", s, s, 3, 3, None, f"研究{k}"] for k in range(12)]
    rows.append(["支委会", dt.date(2026, 6, 3), "室", s, s, 3, 3, None, "研究六月"])
    put(ws, tmp_path, "many.xlsx", "B", rows, branch=BAD, headers=HEAD)
    context = duty_context(ws, BAD, 2026, TODAY)
    committee = next(m for m in context["meetings"] if m["name"] == "支部委员会")
    assert committee["count"] == "10个月中2个月召开（共13次）"
    assert committee["state"] == "8个月未召开（2月、3月、4月、5月、7月、8月、9月、10月）"
    general = next(m for m in context["meetings"] if m["name"] == "支部党员大会")
    assert general["count"] == "3个季度中1个季度召开（共1次）" and general["state"] == "第二、三季度未召开"
    life = next(m for m in context["meetings"] if m["name"] == "组织生活会")
    assert life["state"] == "截至10月尚未开展（年底前完成）"
    problems = [i["problem"] for i in context["issues"]]
    assert "1～10月10个月中8个月未召开支部委员会（2月、3月、4月、5月、7月、8月、9月、10月）" in problems


def test_the_standard_says_how_each_point_is_judged(stores):
    """Every automatic point names its period; one due only at a quarter's end or in December says how
    it reads before; any point that came out 不适用 for a branch with no data says when it does not apply."""
    points = load_standard()
    assert all(p.period in ("month", "quarter", "year") for p in points)
    assert [p.id for p in points if p.rule != "manual" and p.period != "month" and not p.before_due] == []
    assert all(p.measures and p.duty in ("书记", "组织委员", "宣传委员", "纪检委员") for p in points)
    seen_na = set()
    for branch in ("后勤保障处党支部", BAD, BRANCH):
        for month in (1, 2, 3, 12):
            result = check_branch(stores, branch, 2026, month, today=dt.date(2027, 1, 4))
            seen_na |= {o.point.id for o in result.outcomes if o.state == NA}
    missing = [p.id for p in points if p.id in seen_na and not p.not_applicable]
    assert missing == [], missing


def test_a_draft_says_so_and_its_finished_version_comes_back(stores, tmp_path):
    """§4: a document with 【请填写…】 places is a 草稿 (marked in its header); filled in and dropped into
    the inbox it is recognised (its identifier survives Word and WPS) and kept as the 定稿."""
    from pipeline.documents.render import TO_FILL
    ws = _copy(stores, tmp_path)
    report, lists_docx, _, _ = duty_report(ws, BRANCH, 2026, TODAY)
    document = docx.Document(str(report))
    assert document.core_properties.content_status == "草稿"
    assert "草稿" in document.sections[0].header.paragraphs[0].text
    assert document.core_properties.identifier == f"taizhang:述职报告:{BRANCH}:2026"
    half = tmp_path / "述职报告.docx"
    document.save(str(half))
    refused = ingest(half, ws, received=RECEIVED)
    assert refused.status == "rejected" and refused.errors[0].code == "draft-unfinished"
    for paragraph in document.paragraphs:                    # the secretary writes every place
        if TO_FILL in paragraph.text:
            for run in paragraph.runs:
                run.text = ""
            paragraph.runs[0].text = "支部坚持以学促干，按月召开支委会。"
    document.save(str(half))
    taken = ingest(half, ws, received=RECEIVED)
    assert taken.status == "accepted" and taken.items == ["W1"], [i.text() for i in taken.issues]
    assert ws.store.final_document(BRANCH, 2026, "述职报告") == taken.stored
    assert ws.store.final_document(BRANCH, 2026, "问题清单责任清单整改清单") is None
