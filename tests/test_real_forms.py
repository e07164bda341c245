"""Real forms from real offices (issue 18): 35 layouts published by university party-work systems,
组织部 pages and public code — their header wording, each with the source it was seen in
(`tests/data/real_forms.json`, collected for this test; example rows follow each form's rules).

For each: which ledger taizhang takes it for (or that it honestly cannot tell), the branch, and the
verdict. A rejection must name errors of one item only, each actionable."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.operations.ingest import ingest

from .conftest import BRANCH

FORMS = json.loads((Path(__file__).parent / "data" / "real_forms.json").read_text("utf-8"))
RECEIVED = dt.datetime(2026, 11, 27, 10, 0)
# the columns in which these forms name the branch: their example values are set to a registered branch
BRANCH_HEADS = {"所属党支部", "所在党支部", "所属支部", "党支部", "所在组织(请不要输入特殊符号)", "所在党组织", "所属党组织",
                "编入党支部", "党组织", "所在基层党组织"}

# index → (item taken, status, codes the receipt must hold). Item None: not taken for any ledger.
# "folder": the file lies in the branch's folder (the form has no branch of its own).
EXPECTED = {
    0: ("A1", "accepted", {"derived", "column-unknown"}),          # owip 学生党员信息: 党员身份 from the branch type
    1: ("A1", "accepted", {"derived", "column-unknown"}),          # owip 在职教职工党员信息
    2: ("A2", "accepted", {"column-unknown"}),                     # 提交书面申请书时间 …; no 培养联系人 (now optional)
    3: ("A3", "accepted", {"column-unknown"}),                     # 预备党员转正: 入党时间 = 接收为预备党员时间
    4: ("A4", "accepted", {"derived"}),                            # 组织关系转入: 转接类型 from the title
    5: ("A4", "accepted", {"derived"}),                            # 组织关系转出: the other party is 转入单位
    6: ("B1", "accepted", {"column-unknown"}),                     # 会议名称 "2023年第二季度支部党员大会"
    7: ("B5", "rejected", {"missing-column"}),                     # 主题党日 list has no 主持人 column
    8: ("B", "rejected", {"missing-column"}),                      # 活动名称 is the topic: no 会议类型 column
    9: (None, "rejected", {"no-ledger"}),                          # salary components: no base, no dues
    10: ("C1", "accepted", {"derived"}),                           # 离退休党费计算基数: 党员身份 from the title
    11: ("C2", "accepted", {"column-unknown"}),                    # online payments
    12: (None, "rejected", {"item-unclear"}),                      # 党员补缴党费: not a C2, said so
    13: (None, "rejected", {"no-ledger"}),                         # statistics per 党委
    14: (None, "rejected", {"item-unclear"}),                      # committee members with duties: not A1
    15: ("A1", "rejected", {"missing-column"}),                    # no 人员类别 and no 转正时间 to derive it
    16: ("C2", "accepted", {"column-unknown"}),                    # year grid, the year in the file name
    17: (None, "rejected", {"no-ledger"}),                         # remittances per 党组织 by month: not a C2
    18: ("A1", "accepted", {"derived", "column-unknown"}),         # jtrc import, in the branch folder
    19: ("A1", "rejected", {"full-member-no-date"}),               # the example's 正式党员 has no 转正时间
    20: (None, "rejected", {"item-unclear"}),                      # 组织信息 of a party-building system
    21: ("A1", "rejected", {"bad-enum"}),                          # 人员类别 “民警” there means a staff category
    22: ("A2", "accepted", {"column-unknown"}),
    23: ("A2", "accepted", {"column-unknown"}),
    24: ("C1", "accepted", {"derived"}),
    25: (None, "rejected", {"item-unclear"}),                      # 民主评议 by person: not F1 (votes) nor A1
    26: ("A5", "rejected", {"required"}),
    27: ("E5", "accepted", {"column-unknown"}),
    28: ("E1", "rejected", {"missing-column"}),
    29: ("E4", "rejected", {"missing-column"}),
    30: ("D4", "rejected", {"missing-column"}),
    31: ("C1", "accepted", {"derived", "row-skipped"}),
    32: ("C1", "rejected", {"bad-name"}),
    33: (None, "rejected", {"no-header"}),
    34: ("D2", "rejected", {"missing-column"}),
}


def write_form(form: dict, folder: Path) -> Path:
    wb = Workbook()
    sheet = wb.active
    sheet.title = form.get("sheet") or "Sheet1"
    row = 1
    notes = form.get("notes", "")
    if form["title"]:
        sheet.cell(row, 1, form["title"])
        row += 1
    if "column-letter" in notes:                      # a row of column letters A, B, C … above the header
        for c in range(1, len(form["headers"]) + 1):
            sheet.cell(row, c, chr(64 + c))
        row += 1
    for c, head in enumerate(form["headers"], 1):
        sheet.cell(row, c, head)
    for values in form["example_rows"]:
        row += 1
        for c, value in enumerate(values, 1):
            head = form["headers"][c - 1] if c <= len(form["headers"]) else ""
            sheet.cell(row, c, BRANCH if head in BRANCH_HEADS and value else (value if value != "" else None))
    if "注" in notes:
        sheet.cell(row + 1, 1, "（单位：元）")
        sheet.cell(row + 2, 1, "注：1.表格含有计算公式，请勿任意改动。")
    name = form["title"] or f"{form['kind']}导出"
    path = folder / f"2026年{name}.xlsx".replace("/", "／")
    wb.save(path)
    return path


def judge(form: dict, ws, folder: Path):
    path = write_form(form, folder)
    own_branch = any(h in BRANCH_HEADS for h in form["headers"])
    return ingest(path, ws, received=RECEIVED, folder_branch=None if own_branch else BRANCH)


def test_at_least_twenty_real_layouts_with_their_sources():
    assert len(FORMS) >= 20 and all(f["source"] and f["headers"] for f in FORMS)
    assert len({(f["title"], tuple(f["headers"])) for f in FORMS}) == len(FORMS)


@pytest.mark.parametrize("index", sorted(EXPECTED))
def test_real_form(index, registered, tmp_path):
    form = FORMS[index]
    item, status, codes = EXPECTED[index]
    result = judge(form, registered, tmp_path)
    found = {i.code for i in result.issues}
    assert (result.items[0] if result.items else None, result.status) == (item, status), \
        (form["source"], [i.text() for i in result.issues][:4])
    assert codes <= found, (form["source"], sorted(found), [i.text() for i in result.issues][:4])
    if item is not None and result.branch:
        assert result.branch == BRANCH
    if status == "rejected" and item is not None:
        # errors of one item only: every error is about this sheet's own item
        assert len({s["item"] for s in result.sheets}) == 1


# --- the confidence rule, branch and year from anywhere, derived and unknown columns --------------

def _book(path: Path, rows: list[list], title: str | None = None, sheet: str = "Sheet1") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_a_roster_missing_optional_columns_is_still_a_roster(registered, tmp_path):
    path = _book(tmp_path / "名单.xlsx", [["姓名", "身份证号", "入党时间", "转正时间", "所在党支部"],
                                          ["张三", "110105198506155317", dt.date(2010, 7, 1), dt.date(2011, 7, 1), BRANCH]])
    result = ingest(path, registered, received=RECEIVED)
    assert (result.items, result.status, result.branch) == (["A1"], "accepted", BRANCH), \
        [i.text() for i in result.issues]
    member = registered.store.roster(BRANCH, 2026)[0]
    assert (member.status, member.identity) == ("正式党员", "在职教职工")       # 教工支部 → 在职教职工
    record = registered.store.active_records("A1", BRANCH)[0]
    assert (record["性别"], record["出生年月"]) == ("男", dt.date(1985, 6, 15))
    derived = next(i for i in result.issues if i.code == "derived")
    assert "性别（按身份证号）" in derived.message and "党员身份（按支部类型记为“在职教职工”1人）" in derived.message


def test_a_list_of_names_and_branches_is_not_taken_for_anything(registered, tmp_path):
    """序号, 姓名 and a branch column say nothing about the ledger: "cannot tell", never M1."""
    path = _book(tmp_path / "名单.xlsx", [["序号", "姓名", "所在党支部"], [1, "张三", BRANCH], [2, "李四", BRANCH]])
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "rejected" and result.items == []
    assert "M1" not in {s["item"] for s in result.sheets}


def test_no_file_is_stored_under_an_item_whose_distinctive_columns_are_absent(registered, tmp_path):
    """A title naming the roster over a sheet of meetings: the title alone does not decide."""
    path = _book(tmp_path / "花名册.xlsx", [["日期", "会议类型", "主持人", "记录人", "应到人数", "实到人数", "议题", "地点"],
                                            [dt.date(2026, 3, 5), "支委会", "张三", "李四", 5, 5, "研究工作", "会议室"]],
                 title=f"{BRANCH}党员花名册")
    result = ingest(path, registered, received=RECEIVED)
    assert "A1" not in result.items


def test_an_unclear_sheet_names_the_two_closest_items_and_what_each_lacks(registered, tmp_path):
    path = _book(tmp_path / "名单.xlsx", [["姓名", "性别", "身份证号", "评议结果", "所在党支部"],
                                          ["张三", "男", "110105198506155317", "合格", BRANCH]])
    result = ingest(path, registered, received=RECEIVED)
    issue = next(i for i in result.issues if i.code == "item-unclear")
    assert issue.message.startswith("无法确定是哪一类台账：最接近的是《党员花名册》（缺少：")
    assert "入党时间" in issue.message and "；《" in issue.message
    receipt = Path(result.receipt).read_text("utf-8")
    assert "无法确定是哪一类台账" in receipt and "请在第一行写明表名" in receipt


def test_several_branches_in_one_column_are_stored_each_as_its_own(registered, tmp_path):
    other = "教务处党支部"
    path = _book(tmp_path / "积极分子.xlsx", [
        ["姓名", "所属党支部", "申请入党时间", "列入培养对象的时间"],
        ["张三", BRANCH, dt.date(2025, 3, 1), dt.date(2025, 9, 1)],
        ["李四", other, dt.date(2025, 4, 1), dt.date(2025, 10, 1)],
        ["王五", BRANCH, dt.date(2025, 5, 1), dt.date(2025, 11, 1)]])
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    assert sorted(s["branch"] for s in result.sheets) == sorted([BRANCH, other])
    assert [r["姓名"] for r in registered.store.active_records("A2", BRANCH)] == ["张三", "王五"]
    assert [r["姓名"] for r in registered.store.active_records("A2", other)] == ["李四"]


def test_branch_and_year_from_the_file_name_and_the_option(registered, tmp_path):
    rows = [["姓名", "1月", "2月", "3月"], ["张三", 25, 25, 25]]
    named = _book(tmp_path / f"{BRANCH}2026年党费交纳.xlsx", rows)
    result = ingest(named, registered, received=RECEIVED)
    assert (result.status, result.branch, result.sheets[0]["period"]) == ("accepted", BRANCH, "2026"), \
        [i.text() for i in result.issues]
    bare = _book(tmp_path / "党费交纳.xlsx", [["姓名", "1月", "2月", "3月"], ["李四", 25, 25, 25]])
    refused = ingest(bare, registered, received=RECEIVED, folder_branch=BRANCH)
    assert refused.status == "rejected" and any("年度" in i.message for i in refused.issues)
    again = _book(tmp_path / "党费交纳2.xlsx", [["姓名", "1月", "2月", "3月"], ["李四", 25, 25, 25]])
    taken = ingest(again, registered, received=RECEIVED, folder_branch=BRANCH, year=2026)
    assert taken.status == "accepted" and taken.sheets[0]["period"] == "2026"


def test_rows_that_are_not_data_are_skipped_and_said(registered, tmp_path):
    path = _book(tmp_path / "联系.xlsx", [
        ["A", "B", "C", "D", "E"],
        ["党员姓名", "联系对象", "联系时间", "联系内容", "所在党支部"],
        ["必填", "必填", "必填", "必填", "选填"],
        ["张三", "学生甲", dt.date(2026, 3, 1), "谈心", BRANCH],
        ["（以下空白）"],
        ["注：联系时间写到日。"]])
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    skipped = [i.message for i in result.issues if i.code == "row-skipped"]
    assert skipped == ["第3行为“必填/选填”标记行，未作为数据", "第5行为括号中的说明，未作为数据", "第6行为注释，未作为数据"]
    assert len(registered.store.active_records("D1", BRANCH)) == 1


def test_the_other_party_of_a_transfer_whatever_the_column_order(registered, tmp_path):
    head = ["姓名", "所在党支部", "转入单位", "转出单位", "办理时间"]
    path = _book(tmp_path / "转出.xlsx", [head, ["张三", BRANCH, "某大学化学学院党委", "本院机电党支部", dt.date(2026, 3, 1)]],
                 title="组织关系转出登记")
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    record = registered.store.active_records("A4", BRANCH)[0]
    assert (record["转接类型"], record["转出单位或转入单位"]) == ("转出", "某大学化学学院党委")


@pytest.mark.parametrize("rounding,unit,base,expected", [("ROUND_HALF_UP", "分", "4606", "46.06"),
                                                         ("ROUND_UP", "元", "4606", "47.00"),
                                                         ("ROUND_UP", "角", "4606", "46.10"),
                                                         ("ROUND_UP", "元", "3000", "15.00")])
def test_local_rounding_rules(rounding, unit, base, expected):
    from decimal import Decimal

    from pipeline.dues.rates import DuesRules
    rules = DuesRules(rounding=rounding, unit=unit)
    assert rules.expected("在职教职工", Decimal(base), dt.date(2026, 1, 1)).low == Decimal(expected)


def test_a_bad_rounding_setting_is_a_clear_error(ws):
    from pipeline.core.issues import PipelineError
    (ws.home / "taizhang.toml").write_text('[dues]\nrounding = "ROUND_UP"\nround_to = "十元"\n', "utf-8")
    from pipeline.workspace import Workspace
    with pytest.raises(PipelineError, match="round_to 只能是 分、角、元"):
        Workspace.open(ws.home).dues


def test_label_and_value_in_neighbouring_cells(registered, tmp_path):
    """"支部名称：" | "<branch>" and "年度：" | "2026" in separate (merged) cells above the header."""
    wb = Workbook()
    ws = wb.active
    ws.append(["入党积极分子名册"])
    ws.append(["支部名称：", None, BRANCH, None, "年度：", 2026])
    ws.merge_cells("A2:B2")
    ws.merge_cells("C2:D2")
    ws.append(["姓名", "申请入党时间", "列入培养对象的时间", "培养人"])
    ws.append(["张三", dt.date(2025, 3, 1), dt.date(2025, 9, 1), "李四"])
    wb.save(tmp_path / "名册.xlsx")
    result = ingest(tmp_path / "名册.xlsx", registered, received=RECEIVED)
    assert (result.status, result.branch, result.sheets[0]["item"]) == ("accepted", BRANCH, "A2"), \
        [i.text() for i in result.issues]
    assert result.sheets[0]["period"] == "2026"


def test_an_error_in_a_merged_cell_is_marked_and_answered(registered, tmp_path):
    """Review finding: an error in a merged cell crashed the marked copy and left no receipt."""
    wb = Workbook()
    ws = wb.active
    ws.append(["组织生活登记表"])
    ws.append([f"党支部：{BRANCH}"])
    ws.append(["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "议题"])
    ws.append(["支部委会议", dt.date(2026, 3, 5), "室", "张三", "李四", 5, 5, "研究"])
    ws.append([None, dt.date(2026, 3, 6), "室", "张三", "李四", 5, 5, "研究二"])
    ws.merge_cells("A4:A5")
    wb.save(tmp_path / "会议.xlsx")
    result = ingest(tmp_path / "会议.xlsx", registered, received=RECEIVED)
    assert result.status == "rejected"
    assert "会议类型" in Path(result.receipt).read_text("utf-8-sig")
    from openpyxl import load_workbook
    marked = load_workbook(result.annotated)
    assert marked["Sheet"]["A4"].comment is not None


@pytest.mark.parametrize("label", ["本月合计", "本页小计", "应缴党费合计", "共计"])
def test_a_total_row_is_never_a_member(registered, tmp_path, label):
    """Review finding: "本月合计" in the 姓名 column was stored as a member and doubled the total."""
    path = _book(tmp_path / "收缴.xlsx", [["姓名", "月份", "实缴金额", "所在党支部"],
                                          ["张三", "2026-03", 25, BRANCH], ["李四", "2026-03", 30, BRANCH],
                                          [label, None, 55, None], [None, "填报日期：2026年4月1日", None, None],
                                          [None, None, "（盖章）", None]],
                 title="党费收缴登记表")
    result = ingest(path, registered, received=RECEIVED, year=2026)
    assert result.status == "accepted", [i.text() for i in result.issues]
    assert sorted(r["姓名"] for r in registered.store.active_records("C2", BRANCH)) == ["张三", "李四"]


# --- findings of the independent review (each failed before its fix) ------------------------------

def _roster_in(registered, tmp_path):
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import roster_rows

    from .conftest import write_book
    rows = roster_rows(make_college(2026).branch(BRANCH))
    assert ingest(write_book(tmp_path / "花名册.xlsx", "A1", rows), registered, received=RECEIVED).status == "accepted"
    return rows


def test_a_short_list_never_replaces_the_roster(registered, tmp_path):
    rows = _roster_in(registered, tmp_path)
    committee = [["姓名", "党内职务", "性别", "出生年月", "入党时间", "转正时间", "联系电话"]] + \
        [[r[1], "委员", r[2], r[4], r[8], r[9], None] for r in rows[:5]]
    result = ingest(_book(tmp_path / "支委名单.xlsx", committee, title="支部委员会成员名单"), registered,
                    received=RECEIVED, folder_branch=BRANCH)
    assert result.status == "rejected" and "ledger-shrinks" in {i.code for i in result.errors}
    assert len(registered.store.roster(BRANCH, 2026)) == len(rows)
    # titled as the roster, it replaces it, and says who is no longer in it
    titled = ingest(_book(tmp_path / "新花名册.xlsx", committee, title="党员花名册"), registered,
                    received=RECEIVED, folder_branch=BRANCH)
    warning = next(i for i in titled.issues if i.code == "ledger-shrinks")
    assert titled.status == "accepted" and rows[5][1] in warning.message


def test_a_roster_in_two_sheets_is_stored_whole(registered, tmp_path):
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import roster_rows
    rows = roster_rows(make_college(2026).branch(BRANCH))
    head = ["序号", "姓名", "性别", "民族", "出生年月", "身份证号", "学历", "人员类别", "入党时间", "转正时间", "党员身份"]
    wb = Workbook()
    for title, part in (("正式党员", [r for r in rows if r[7] == "正式党员"]),
                        ("预备党员", [r for r in rows if r[7] == "预备党员"])):
        sheet = wb.create_sheet(title)
        sheet.append([f"{BRANCH}党员花名册（{title}）"])
        sheet.append(head)
        for r in part:
            sheet.append(r[:11])
    wb.remove(wb["Sheet"])
    wb.save(tmp_path / "花名册.xlsx")
    result = ingest(tmp_path / "花名册.xlsx", registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors]
    assert len(registered.store.roster(BRANCH, 2026)) == len(rows)


def test_the_branch_column_wins_and_a_conflict_is_said(registered, tmp_path):
    other = "教务处党支部"
    rows = [["姓名", "所在党支部", "申请入党时间", "列入培养对象的时间"], ["张三", other, dt.date(2025, 3, 1), dt.date(2025, 9, 1)]]
    said = ingest(_book(tmp_path / "a.xlsx", rows, title=f"{BRANCH}入党积极分子名册"), registered, received=RECEIVED)
    assert said.status == "rejected" and "branch-conflict" in {i.code for i in said.errors}
    # dropped into BRANCH's folder in the inbox: that branch submits only its own rows
    (registered.inbox / BRANCH).mkdir(parents=True, exist_ok=True)
    dropped = _book(registered.inbox / BRANCH / "b.xlsx", rows, title="入党积极分子名册")
    folder = ingest(dropped, registered, received=RECEIVED)
    assert folder.status == "rejected" and "branch-conflict" in {i.code for i in folder.errors}
    assert registered.store.active_records("A2", other) == []
    # --branch wins over all (§2): the rows are that branch's
    forced = ingest(_book(tmp_path / "c.xlsx", rows, title="入党积极分子名册"), registered, received=RECEIVED,
                    folder_branch=BRANCH)
    assert forced.status == "accepted" and forced.branch == BRANCH, [i.text() for i in forced.issues]


def test_dues_identity_comes_from_the_roster_then_the_title_never_a_branch_name(registered, tmp_path):
    _roster_in(registered, tmp_path)
    roster = {m.name: m for m in registered.store.roster(BRANCH, 2026)}
    name = next(n for n, m in roster.items() if m.identity == "在职教职工")
    rows = [["姓名", "计算基数", "所在党支部"], [name, "4000.00", BRANCH]]
    result = ingest(_book(tmp_path / "基数.xlsx", rows, title="2026年党费基数核定表"), registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    record = next(r for r in registered.store.active_records("C1", BRANCH, "2026") if r["姓名"] == name)
    assert (record["党员身份"], record["月应缴党费"]) == ("在职教职工", Decimal("40.00"))
    assert "按花名册1人" in next(i for i in result.issues if i.code == "derived").message


def test_a_staff_member_of_a_student_branch_pays_by_salary(registered, tmp_path):
    branch = "软件技术专业群学生党支部"
    rows = [["姓名", "计算基数", "所在党支部"], ["宋军飞", "12049.09", branch]]
    result = ingest(_book(tmp_path / "基数.xlsx", rows, title="2026年党费基数核定表"), registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    record = registered.store.active_records("C1", branch, "2026")[0]
    assert (record["党员身份"], record["月应缴党费"]) == ("在职教职工", Decimal("240.98"))


def test_two_columns_for_one_field_and_data_without_a_header_are_said(registered, tmp_path):
    rows = [["党员姓名", "联系对象", "联系时间", "联系内容", "内容", "所在党支部", None],
            ["张三", "学生甲", dt.date(2026, 3, 1), "谈心", "补充说明", BRANCH, "无列名的内容"]]
    result = ingest(_book(tmp_path / "联系.xlsx", rows), registered, received=RECEIVED)
    note = next(i for i in result.issues if i.code == "column-unknown").message
    assert "内容" in note and "第G列（没有列名）" in note


def test_a_month_only_joining_date_is_taken_as_the_first_with_a_warning(registered, tmp_path):
    rows = [["姓名", "性别", "出生年月", "入党年月", "转正年月", "人员类别", "党员身份", "所在党支部"],
            ["张三", "男", "1985-06", "2014.07", "2015.07", "正式党员", "在职", BRANCH]]
    result = ingest(_book(tmp_path / "花名册.xlsx", rows, title="党员花名册"), registered, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors]
    assert [i.code for i in result.issues].count("date-month-only") == 2
    assert registered.store.roster(BRANCH, 2026)[0].joined == dt.date(2014, 7, 1)


def test_two_meetings_in_one_type_cell_are_not_one(registered, tmp_path):
    from pipeline.core.formats import ITEMS
    from pipeline.core.values import Bad, parse_enum
    assert isinstance(parse_enum("党员大会暨党课", ITEMS["B"].by_name["会议类型"]), Bad)
