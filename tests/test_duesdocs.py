"""Dues: the month-by-month engine, reconciliation, the register, cards, notice and funding sheet."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import docx
import pytest
from openpyxl import load_workbook

from pipeline.documents.blank import save_workbook
from pipeline.samples.demo import RAISE_BRANCH, dues_workbook, roster_rows
from pipeline.dues.rates import DuesRules
from pipeline.documents.dues import capital, dues_cards, dues_notice, dues_register, funds
from pipeline.operations.ingest import ingest
from pipeline.dues.ledger import branch_dues, month_due

from .conftest import RECEIVED, write_book

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize("identity,base,amount", [
    ("在职教职工", "2999.99", "15.00"), ("在职教职工", "3000.00", "15.00"), ("在职教职工", "3000.01", "30.00"),
    ("在职教职工", "5000", "50.00"), ("在职教职工", "5000.01", "75.00"), ("在职教职工", "10000", "150.00"),
    ("在职教职工", "10000.01", "200.00"), ("离退休", "5000", "25.00"), ("离退休", "5000.01", "50.00"),
    ("学生", None, "0.20"), ("其他", "4000", "40.00")])
def test_every_band_edge_with_its_reason(identity, base, amount):
    record = {"姓名": "张三", "党员身份": identity, "计算基数": Decimal(base) if base else None,
              "月应缴党费": Decimal(amount)}
    due = month_due(record, 3, 2026, DuesRules())
    assert due.amount == Decimal(amount)
    assert ("计算基数" in due.why and "%" in due.why) if base else "每月" in due.why


def test_rounding_modes():
    record = {"姓名": "张三", "党员身份": "在职教职工", "计算基数": Decimal("3333.50"), "月应缴党费": Decimal("33.34")}
    assert month_due(record, 1, 2026, DuesRules()).amount == Decimal("33.34")
    assert month_due(record, 1, 2026, DuesRules(rounding="ROUND_DOWN")).amount == Decimal("33.33")
    assert month_due(record, 1, 2026, DuesRules(rounding="ROUND_HALF_EVEN")).amount == Decimal("33.34")


def test_exemption_is_shown_as_such():
    record = {"姓名": "张三", "党员身份": "在职教职工", "计算基数": Decimal("4000"), "月应缴党费": Decimal("0"),
              "备注": "减免，院党委〔2026〕5号"}
    due = month_due(record, 1, 2026, DuesRules())
    assert due.exempt and due.amount == 0 and "〔2026〕5号" in due.why


@pytest.fixture
def dues_ws(registered, college, tmp_path):
    """The raise branch of the sample college: roster, C1 (+ a July change), C2 grid, C3, C4."""
    branch = college.branch(RAISE_BRANCH)
    ws = registered
    assert ingest(write_book(tmp_path / "花名册.xlsx", "A1", roster_rows(branch), branch=RAISE_BRANCH), ws,
                  received=RECEIVED).status == "accepted"
    book = dues_workbook(branch, college, random.Random(3))
    result = ingest(save_workbook(book, tmp_path / "党费.xlsx"), ws, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors]
    return ws


def test_mid_year_change_and_admission_month(dues_ws, college):
    book = branch_dues(dues_ws, RAISE_BRANCH, 2026, TODAY)
    changed = [m for m in book.members if len({d.amount for d in m.due.values()}) > 1]
    assert len(changed) == 1
    m = changed[0]
    assert m.due[6].amount < m.due[7].amount and "计算基数" in m.due[7].why
    assert m.due[7].base - m.due[6].base == Decimal("3000.00")
    for member in college.branch(RAISE_BRANCH).members:
        if member.joined.year == 2026:
            dues = next(x for x in book.members if x.name == member.name)
            assert min(dues.due) == member.joined.month               # from the month admitted


def test_register_totals_formats_and_no_formula_from_user_text(dues_ws, tmp_path):
    head = ["日期", "事项", "类别", "金额", "资金来源", "经办人", "审批人", "凭证号"]
    row = [dt.date(2026, 9, 1), "placeholder", "支部活动", 12.5, "党费", "毛建薇", "苏梓轩", "+86-001"]
    path = write_book(tmp_path / "c4.xlsx", "C4", [row], branch=RAISE_BRANCH, headers=head)
    wb = load_workbook(path)
    cell = wb.active["B4"]
    cell.value, cell.data_type = "=SUM(A1:A9)", "s"          # text a user typed that looks like a formula
    wb.save(path)
    assert ingest(path, dues_ws, received=RECEIVED).status == "accepted"
    path = dues_register(dues_ws, RAISE_BRANCH, 2026, TODAY)
    book = branch_dues(dues_ws, RAISE_BRANCH, 2026, TODAY)
    values = load_workbook(path, data_only=True)
    formulas = load_workbook(path)
    grid, live = values["党费收缴簿"], formulas["党费收缴簿"]
    total_row = grid.max_row
    assert grid.cell(row=total_row, column=1).value == "合计"
    assert live.cell(row=total_row, column=19).value.startswith("=SUM(")            # a live formula …
    assert Decimal(str(grid.cell(row=total_row, column=19).value)) == book.collected  # … with our cached sum
    for month in range(1, 13):
        expected = sum((m.paid.get(month, Decimal(0)) for m in book.members), Decimal(0))
        assert Decimal(str(grid.cell(row=total_row, column=6 + month).value)).quantize(Decimal("0.01")) == expected
    assert grid.cell(row=4, column=7).number_format == "#,##0.00" and grid.freeze_panes == "C4"
    assert live.print_title_rows == "$3:$3" and live.page_setup.orientation == "landscape"
    flow = formulas["上缴和使用"]
    texts = [c for r in flow.iter_rows() for c in r if c.value in ("=SUM(A1:A9)", "+86-001")]
    assert len(texts) == 2 and all(c.data_type == "s" for c in texts)
    to_remit = [r for r in values["上缴和使用"].iter_rows(values_only=True) if r[0] == "待上缴"][0][1]
    assert Decimal(str(to_remit)).quantize(Decimal("0.01")) == book.to_remit
    assert live_flow_formula(formulas["上缴和使用"], "待上缴").startswith("=B")       # 本年实缴 − 已上缴, live
    assert "党费交纳比例" in values["说明"]["A1"].value


def live_flow_formula(sheet, label: str) -> str:
    return next(row[1].value for row in sheet.iter_rows() if row[0].value == label)


def test_cards_one_per_member_with_capital_amounts(dues_ws, college):
    path = dues_cards(dues_ws, RAISE_BRANCH, 2026, today=TODAY)
    document = docx.Document(str(path))
    titles = [p for p in document.paragraphs if p.text == "个人党费缴纳登记证"]
    book = branch_dues(dues_ws, RAISE_BRANCH, 2026, TODAY)
    assert len(titles) == len(book.members) == len(college.branch(RAISE_BRANCH).members)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    member = book.members[0]
    assert capital(member.paid_total) in cells
    one = docx.Document(str(dues_cards(dues_ws, RAISE_BRANCH, 2026, member.name, TODAY)))
    assert len([p for p in one.paragraphs if p.text == "个人党费缴纳登记证"]) == 1


@pytest.mark.parametrize("amount,text", [("1234.50", "壹仟贰佰叁拾肆元伍角"), ("0.20", "贰角"), ("300", "叁佰元整"),
                                         ("1005.07", "壹仟零伍元零柒分"), ("0", "零元整")])
def test_capital_amounts(amount, text):
    assert capital(Decimal(amount)) == text


def test_notice_and_funds(dues_ws, college):
    notice = docx.Document(str(dues_notice(dues_ws, RAISE_BRANCH, 2026, TODAY)))
    body = "\n".join(p.text for p in notice.paragraphs)
    book = branch_dues(dues_ws, RAISE_BRANCH, 2026, TODAY)
    assert f"实缴党费{book.collected:.2f}元" in body and "公示期为" in body
    sheet = load_workbook(funds(dues_ws, 2026), data_only=True).active
    rows = {r[2]: r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2]}
    members_at_start = sum(1 for p in college.branch(RAISE_BRANCH).members if p.joined <= dt.date(2026, 1, 1))
    row = rows[RAISE_BRANCH]
    assert row[3] == members_at_start and row[4] == 200 * members_at_start and row[5] == 4200
    total = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] == "合计"][0]
    generals = {r.get("党总支") for r in dues_ws.store.registry() if r.get("党总支")}
    assert total[7] == 5000 * len(generals)


# --- issue 13 #6: "七一" awards by the honour's name, for branches and 党总支 ----------------------------

@pytest.mark.parametrize("title,target,branch,general", [
    ("“七一”先进基层党组织", None, True, set()),
    ("2026年 七一 先进党支部", None, True, set()),
    ("五四红旗团支部共建先进党支部", None, False, set()),          # not a 七一 recognition
    ("优秀共产党员", None, False, set()),
    ("“七一”先进基层党组织", "机关党总支", False, {"机关党总支"}),
])
def test_july_first_awards_are_matched_by_pattern(title, target, branch, general):
    from pipeline.documents.dues import july_first_awards
    from pipeline.workspace import AWARD_PATTERNS
    honours = [{"荣誉名称": title, "获奖对象": target or "某党支部"}]
    assert july_first_awards(honours, AWARD_PATTERNS, {"机关党总支", ""}) == (branch, general)


def test_funds_pay_branch_and_general_branch_awards(registered, tmp_path):
    from pipeline.operations.ingest import ingest
    from .conftest import BRANCH
    general = next(r["党总支"] for r in registered.store.registry() if r["党支部"] == BRANCH)
    rows = [[dt.date(2026, 7, 1), "“七一”先进基层党组织", "学院党委", BRANCH],
            [dt.date(2026, 7, 1), "“七一”先进基层党组织", "学院党委", general],
            [dt.date(2026, 5, 4), "五四共建先进党支部", "团委", BRANCH]]
    assert ingest(write_book(tmp_path / "荣誉.xlsx", "E5", rows), registered, received=RECEIVED).status == "accepted"
    sheet = load_workbook(funds(registered, 2026), data_only=True).active
    rows, current = {}, None
    for r in sheet.iter_rows(min_row=5, values_only=True):
        current = r[1] or current                 # the 党总支 is written once, merged beside its rows
        if r[2]:
            rows[(current, r[2])] = r
    assert rows[(general, BRANCH)][6] == 2000
    assert sheet["I3"].value == "单位：元" and any("审核" in str(c.value) for row in sheet.iter_rows() for c in row)
    assert rows[(general, "（党总支）")][6] == 3000 and rows[(general, "（党总支）")][8] == 8000
    others = [r[6] for (g, b), r in rows.items() if b not in (BRANCH, "（党总支）")]
    assert set(others) == {0}
