"""The one dues engine: direct tests of its pure functions, and that validation, the register and the
record book all read it (the three implementations of the first version disagreed)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.dues.rates import DuesRules
from pipeline.operations.ingest import ingest
from pipeline.dues.ledger import (Payment, branch_dues, dues_flags, members_dues, months_so_far, unpaid_runs)
from pipeline.core.records import Member

from .conftest import BRANCH, RECEIVED, codes, write_book

RULES = DuesRules()
JOINED = dt.date(2005, 6, 1)


def member(name="张三", joined=JOINED):
    return Member(name, "正式党员", "在职教职工", joined, joined and dt.date(joined.year + 1, joined.month, 1))


def base(name="张三", amount="40.00", salary="4000", note=None):
    return {"姓名": name, "党员身份": "在职教职工", "计算基数": Decimal(salary) if salary else None,
            "月应缴党费": Decimal(amount), "备注": note}


def paid(name, months, amount="40.00", day=None):
    return [Payment(name, m, Decimal(amount), day) for m in months]


def kinds(flags):
    return [(f.kind, f.name, f.months) for f in flags]


def test_months_so_far():
    assert months_so_far(2025, dt.date(2026, 3, 1)) == 12
    assert months_so_far(2026, dt.date(2026, 3, 1)) == 3
    assert months_so_far(2027, dt.date(2026, 3, 1)) == 0


def test_a_run_of_unpaid_months_before_payments_is_flagged_not_only_the_last_run():
    members = members_dues(2026, 11, [member()], [(1, base())], paid("张三", range(8, 12)), RULES)
    assert unpaid_runs(members[0], 11) == [[1, 2, 3, 4, 5, 6, 7]]
    assert kinds(dues_flags(members, 11)) == [("连续未交", "张三", (1, 2, 3, 4, 5, 6, 7))]


def test_five_unpaid_months_are_not_six():
    members = members_dues(2026, 11, [member()], [(1, base())], paid("张三", [1, 2, 3, 4, 5, 6]), RULES)
    assert unpaid_runs(members[0], 11) == [[7, 8, 9, 10, 11]] and dues_flags(members, 11) == []


def test_dues_start_in_the_month_of_admission():
    joined = dt.date(2026, 5, 20)
    members = members_dues(2026, 11, [member(joined=joined)], [(1, base())], [], RULES)
    assert sorted(members[0].owed) == list(range(5, 12)) and unpaid_runs(members[0], 11) == [list(range(5, 12))]
    later = members_dues(2026, 11, [member(joined=dt.date(2027, 1, 5))], [(1, base())], [], RULES)
    assert later[0].owed == set() and dues_flags(later, 11) == []


def test_an_approved_zero_is_never_unpaid():
    exempt = base(amount="0", note="减免，院党委〔2026〕5号")
    members = members_dues(2026, 11, [member()], [(1, exempt)], [], RULES)
    assert members[0].due[3].exempt and unpaid_runs(members[0], 11) == [] and dues_flags(members, 11) == []


def test_an_approved_reduced_amount_is_owed_paying_less_is_shortfall():
    reduced = base(amount="10.00", note="减免，院党委〔2026〕5号")
    members = members_dues(2026, 11, [member()], [(1, reduced)], paid("张三", range(1, 12), "5.00"), RULES)
    assert [f.kind for f in dues_flags(members, 11)] == ["少缴"] * 11
    nothing = members_dues(2026, 11, [member()], [(1, reduced)], [], RULES)
    assert kinds(dues_flags(nothing, 11)) == [("连续未交", "张三", tuple(range(1, 12)))]


def test_a_mid_year_base_takes_over_from_its_month():
    members = members_dues(2026, 12, [member()], [(1, base()), (7, base(amount="75.00", salary="6000"))], [], RULES)
    assert members[0].due[6].amount == Decimal("40.00") and members[0].due[7].amount == Decimal("90.00")
    assert "1.5%" in members[0].due[7].why          # 6000 × 1.5%: the rules, not the stated figure, decide


def test_large_voluntary_and_lump_sums():
    day = dt.date(2026, 9, 1)
    payments = paid("张三", range(1, 8), day=day) + [Payment("张三", 8, Decimal("1040.00"))]
    flags = dues_flags(members_dues(2026, 8, [member()], [(1, base())], payments, RULES), 8, payments)
    assert kinds(flags) == [("大额", "张三", (8,)), ("补交", "张三", tuple(range(1, 8)))]
    noted = [Payment("张三", 1, Decimal("240.00"), note="补交8个月")]
    assert [f.kind for f in dues_flags(members_dues(2026, 1, [member()], [], noted, RULES), 1, noted)] == ["补交"]


def test_without_a_base_the_amount_written_in_c2_is_owed():
    payments = [Payment("李四", 3, Decimal("10.00"), stated_due=Decimal("15.00"))]
    members = members_dues(2026, 3, None, [], payments, RULES)
    assert kinds(dues_flags(members, 3, payments)) == [("少缴", "李四", (3,))]


# --- validation reads the engine --------------------------------------------------------

def c2_rows(name: str, months, amount="30.00"):
    return [[name, f"2026-{m:02d}", None, amount, f"2026-{m:02d}-10", "王收缴"] for m in months]


def test_c2_validation_warns_the_early_unpaid_run_at_the_members_name(with_roster, tmp_path):
    roster = with_roster.store.roster(BRANCH, 2026)
    name = next(m.name for m in roster if m.joined and m.joined.year < 2025)
    path = write_book(tmp_path / "党费.xlsx", "C2", c2_rows(name, range(8, 12)))
    result = ingest(path, with_roster, received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.errors]
    unpaid = [i for i in result.issues if i.code == "dues-unpaid-6-months" and name in i.message]
    assert [(i.cell, i.severity) for i in unpaid] == [("A4", "warning")]
    assert "1月～7月" in unpaid[0].message


def test_c2_validation_and_the_register_give_the_same_flags(with_roster, tmp_path):
    roster = with_roster.store.roster(BRANCH, 2026)
    names = [m.name for m in roster if m.joined and m.joined.year < 2025][:2]
    rows = c2_rows(names[0], range(8, 12)) + c2_rows(names[1], range(1, 12), "2.00")
    ingest(write_book(tmp_path / "党费.xlsx", "C2", rows), with_roster, received=RECEIVED)
    book = branch_dues(with_roster, BRANCH, 2026, RECEIVED.date())
    register = sorted(f.text for f in book.flags if f.name in names and f.kind != "少缴")
    result = ingest(write_book(tmp_path / "党费2.xlsx", "C2", rows, filled="2026年11月21日"), with_roster,
                    received=RECEIVED)
    warned = sorted(i.message for i in result.issues if i.code == "dues-unpaid-6-months" and
                    any(n in i.message for n in names))
    assert warned == register and warned


@pytest.mark.parametrize("code", ["dues-unpaid-6-months", "dues-underpaid", "dues-large-voluntary", "dues-lump-sum"])
def test_every_dues_warning_code_is_emitted_from_the_engine(code, with_roster, tmp_path):
    roster = with_roster.store.roster(BRANCH, 2026)
    name = next(m.name for m in roster if m.joined and m.joined.year < 2025)
    rows = {"dues-unpaid-6-months": c2_rows(name, [11]),
            "dues-underpaid": [[name, "2026-03", "30.00", "10.00", "2026-03-10", "王收缴"]],
            "dues-large-voluntary": [[name, "2026-03", "30.00", "1100.00", "2026-03-10", "王收缴"]],
            "dues-lump-sum": [[name, f"2026-{m:02d}", None, "30.00", "2026-09-01", "王收缴"] for m in range(1, 9)]}[code]
    result = ingest(write_book(tmp_path / "党费.xlsx", "C2", rows), with_roster, received=RECEIVED)
    assert code in [c for c, _ in codes(result, "warning")]


# --- documents read the engine ------------------------------------------------------------

def test_the_record_book_and_the_register_show_the_same_dues(with_roster, tmp_path):
    from pipeline.documents.recordbook import book_context
    roster = with_roster.store.roster(BRANCH, 2026)
    names = [m.name for m in roster if m.joined and m.joined.year < 2025][:3]
    rows = c2_rows(names[0], [1, 2, 3]) + c2_rows(names[1], range(1, 12), "50.00") + c2_rows(names[2], [5])
    ingest(write_book(tmp_path / "党费.xlsx", "C2", rows), with_roster, received=RECEIVED)
    book = branch_dues(with_roster, BRANCH, 2026, RECEIVED.date())
    dues = book_context(with_roster, BRANCH, 2026, RECEIVED.date())["dues"]
    assert dues["due"] == f"{book.due:.2f}" and dues["paid"] == f"{book.collected:.2f}"
    assert dues["paid"] == "670.00"                   # 3 × 30 + 11 × 50 + 30
    shown = {m["name"]: m for m in dues["members"]}
    for m in book.members:
        assert shown[m.name]["paid"] == f"{m.paid_total:.2f}"


def test_a_payment_of_another_year_is_said_so_not_lost(with_roster, tmp_path):
    """Issue 13 #10: a row of another year is a warning at its 月份, and the member is not reported as
    having no record at all."""
    roster = with_roster.store.roster(BRANCH, 2026)
    name = next(m.name for m in roster if m.joined and m.joined.year < 2025)
    rows = [[name, "2025-12", None, "30.00", "2025-12-10", "王收缴"]] + c2_rows(roster[1].name, range(1, 12))
    result = ingest(write_book(tmp_path / "党费.xlsx", "C2", rows), with_roster, received=RECEIVED)
    assert ("other-year", "B4") in codes(result, "warning")
    unpaid = [i for i in result.issues if i.code == "dues-unpaid-6-months" and name in i.message]
    assert [i.cell for i in unpaid] == ["A4"] and "没有其记录" not in unpaid[0].message


def test_approved_exemptions_end_to_end(with_roster, tmp_path):
    """Issue 13 #3: an approved 0 is never unpaid; an approved 10.00 is owed — C1 stored, then C2 checked."""
    roster = with_roster.store.roster(BRANCH, 2026)
    zero, ten = [m.name for m in roster if m.joined and m.joined.year < 2025][:2]
    c1 = [[zero, "在职教职工", "4000", None, "0", None, "减免，院党委〔2026〕5号"],
          [ten, "在职教职工", "4000", None, "10.00", None, "减免，院党委〔2026〕6号"]]
    accepted = ingest(write_book(tmp_path / "基数.xlsx", "C1", c1), with_roster, received=RECEIVED)
    assert accepted.status == "accepted", [i.text() for i in accepted.issues]
    others = [m.name for m in roster if m.name not in (zero, ten)]
    rows = [r for name in others for r in c2_rows(name, range(1, 12))]
    result = ingest(write_book(tmp_path / "党费.xlsx", "C2", rows), with_roster, received=RECEIVED)
    unpaid = {i.message.split(" ")[0] for i in result.issues if i.code == "dues-unpaid-6-months"}
    assert zero not in unpaid and ten in unpaid
    book = branch_dues(with_roster, BRANCH, 2026, RECEIVED.date())
    assert not any(f.name == zero for f in book.flags)
    assert [f.kind for f in book.flags if f.name == ten] == ["连续未交"]


def test_without_a_c1_of_the_year_every_document_says_whose_bases_it_uses(with_roster, tmp_path):
    """Issue 13 #1: the year's own C1 wins; without one, the latest earlier one, and every dues document
    says "沿用2025年核定基数"."""
    import docx
    from openpyxl import load_workbook

    from pipeline.documents.dues import dues_cards, dues_notice, dues_register
    from pipeline.documents.duty import duty_report
    from pipeline.documents.recordbook import generate
    roster = with_roster.store.roster(BRANCH, 2026)
    name = next(m.name for m in roster if m.joined and m.joined.year < 2024)
    c1_2025 = write_book(tmp_path / "2025.xlsx", "C1", [[name, "在职教职工", "4000", None, "40.00", None, None]], year=2025,
                         filled="2025年1月20日")
    assert ingest(c1_2025, with_roster, received=RECEIVED).status == "accepted"
    book = branch_dues(with_roster, BRANCH, 2026, RECEIVED.date())
    assert book.bases_year == 2025 and book.bases_note == "沿用2025年核定基数"
    assert next(m for m in book.members if m.name == name).due[3].amount == Decimal("40.00")
    today = RECEIVED.date()
    register = load_workbook(dues_register(with_roster, BRANCH, 2026, today)).worksheets[0]["A2"].value
    texts = {"收缴簿": register,
             "登记证": "".join(c.text for t in docx.Document(dues_cards(with_roster, BRANCH, 2026, today=today)).tables
                              for r in t.rows for c in r.cells),
             "公示": "".join(p.text for p in docx.Document(dues_notice(with_roster, BRANCH, 2026, today)).paragraphs),
             "工作记录本": "".join(p.text for p in docx.Document(generate(with_roster, BRANCH, 2026, today)).paragraphs),
             "述职报告": "".join(p.text for p in docx.Document(duty_report(with_roster, BRANCH, 2026, today)[0]).paragraphs)}
    assert {doc: "沿用2025年核定基数" in text for doc, text in texts.items()} == dict.fromkeys(texts, True)
    c1_2026 = write_book(tmp_path / "2026.xlsx", "C1", [[name, "在职教职工", "6000", None, "90.00", None, None]],
                         filled="2026年1月20日")
    assert ingest(c1_2026, with_roster, received=RECEIVED).status == "accepted"
    book = branch_dues(with_roster, BRANCH, 2026, RECEIVED.date())
    assert book.bases_year == 2026 and book.bases_note == "" and \
        next(m for m in book.members if m.name == name).due[3].amount == Decimal("90.00")


# --- issue 13 #5: three accounts, never mixed (§5) ------------------------------------------------

def _book(collected, remitted, used=(), returned=(), fund=None):
    from pipeline.dues.ledger import BranchDues, MemberDues
    m = MemberDues("张三", "在职教职工", "正式党员", JOINED, True)
    m.paid = {1: Decimal(collected)} if collected else {}
    return BranchDues(BRANCH, 2026, 12, [m], [], [{"金额": Decimal(a)} for a in remitted],
                      [{"金额": Decimal(a), "资金来源": src} for a, src in used], 2026,
                      [{"金额": Decimal(a)} for a in returned], None if fund is None else Decimal(fund))


def test_spending_is_never_taken_from_dues_already_remitted():
    """The audit's demo 公示 said "结余-530.50元": collected − remitted − spent. Now: 待上缴 = collected −
    remitted; 党费使用 is set against what was returned; 活动经费 is its own account."""
    book = _book("1200.00", ["1200.00"], [("530.50", "党费"), ("300.00", "活动经费")], ["800.00"], "3400.00")
    assert book.to_remit == 0 and book.dues_use_balance == Decimal("269.50")
    assert book.activity_balance == Decimal("3100.00")
    assert book.collection_text == "本年实缴党费1200.00元，已向上级党组织上缴1200.00元，待上缴0.00元"
    assert book.use_text == "上级党委返还党费800.00元，使用530.50元，结余269.50元"
    assert book.activity_text == "支部活动经费下拨3400.00元，支出300.00元，结余3100.00元"
    assert book.account_flags == []


def test_accounts_that_do_not_add_up_are_flagged_not_netted():
    over = _book("100.00", ["150.00"])
    assert over.to_remit == Decimal("-50.00") and "多于本年实缴" in over.account_flags[0]
    assert "上缴多于实缴50.00元（请核对）" in over.collection_text
    unreturned = _book("100.00", ["100.00"], [("530.50", "党费")])
    assert unreturned.dues_use_balance is None and "未登记上级党委返还" in unreturned.account_flags[0]
    assert unreturned.use_text == "使用党费530.50元（未登记上级返还金额）"
    overspent = _book("100.00", ["100.00"], [("530.50", "党费")], ["500.00"])
    assert "超过上级返还" in overspent.account_flags[0] and "超支30.50元" in overspent.use_text


def test_a_returned_row_in_c3_is_not_a_remittance(with_roster, tmp_path):
    from pipeline.dues.ledger import remitted_months
    rows = [[dt.date(2026, 4, 10), "2026年第一季度", "300.00", "党委组织部", "A1", None],
            [dt.date(2026, 5, 10), "2026年上半年", "150.00", "本支部", "B1", "下拨"]]
    result = ingest(write_book(tmp_path / "上缴.xlsx", "C3", rows, filled="2026年11月20日"), with_roster,
                    received=RECEIVED)
    assert result.status == "accepted", [i.text() for i in result.issues]
    book = branch_dues(with_roster, BRANCH, 2026, dt.date(2026, 11, 27))
    assert book.remitted_total == Decimal("300.00") and book.returned_total == Decimal("150.00")
    stored = with_roster.store.active_records("C3", BRANCH)
    assert [len(remitted_months(r)) for r in stored] == [3, 0]
