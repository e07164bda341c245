"""Rules are plain functions of (rows, context): each is tested here directly, with rows built in
memory (the end-to-end tests in test_rules.py run the same rules through real workbooks)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from stdnum.cn import ric

from pipeline.checking import rules
from pipeline.core.formats import fields_item
from pipeline.core.records import Context, Member, Row
from pipeline.reading.layout import Column

DAY = dt.date(2026, 11, 20)


def row(item: str, line: int = 4, bad=(), **values) -> Row:
    """A parsed row of `item` with each field in its own column (A, B, C … in the item's order)."""
    names = [f.name for f in fields_item(item).fields]
    columns = {name: Column(names.index(name) + 1, name, name) for name in names}
    return Row("表", line, item, values, dict(values), columns, frozenset(bad))


def ctx(roster=None, **kw) -> Context:
    return Context("x.xlsx", DAY, "某党支部", 2026, None, as_of=DAY, roster=roster, **kw)


def found(rule, rows, context=None) -> list[tuple]:
    return [(i.code, i.cell, i.severity) for i in rule(rows, context or ctx())]


def full_member(name: str, joined=dt.date(2005, 6, 1)) -> Member:
    return Member(name, "正式党员", "在职教职工", joined, dt.date(joined.year + 1, joined.month, joined.day))


def idc(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# --- generic rules ----------------------------------------------------------------------

def test_dates_in_order_points_at_the_later_date():
    rule = rules.dates_in_order("承诺时间", "完成时限")
    rows = [row("D3", 4, 承诺时间=dt.date(2026, 3, 1), 完成时限=dt.date(2026, 2, 1)),
            row("D3", 5, 承诺时间=dt.date(2026, 3, 1), 完成时限=dt.date(2026, 3, 1)),
            row("D3", 6, 承诺时间=dt.date(2026, 3, 1), 完成时限=dt.date(2026, 4, 1))]
    assert found(rule, rows) == [("date-order", "D4", "error")]


def test_unique_unless_another_column_tells_them_apart():
    rule = rules.unique("姓名", unless="身份证号")
    rows = [row("A1", 4, 姓名="张三", 身份证号="1"), row("A1", 5, 姓名="张三", 身份证号="2"),
            row("A1", 6, 姓名="李四"), row("A1", 7, 姓名="李四")]
    assert found(rule, rows) == [("duplicate-row", "B7", "error")]


def test_in_roster_warns_only_when_a_roster_is_known():
    rule = rules.in_roster("党员姓名")
    rows = [row("D1", 4, 党员姓名="张三"), row("D1", 5, 党员姓名="王五")]
    assert found(rule, rows, ctx([full_member("张三")])) == [("not-in-roster", "A5", "warning")]
    assert found(rule, rows, ctx(None)) == [("no-roster", None, "warning")]      # said once, not per row


def test_attendance_present_over_expected():
    assert found(rules.attendance(), [row("B2", 4, 实到人数=6, 应到人数=5)])[0][0] == "attendance-exceeds"
    assert found(rules.attendance(), [row("B2", 4, 实到人数=5, 应到人数=5)]) == []


# --- A 党员信息 ---------------------------------------------------------------------------

@pytest.mark.parametrize("born,joined,full,status,expected", [
    (dt.date(1990, 5, 1), dt.date(2008, 5, 1), dt.date(2009, 5, 1), "正式党员", []),             # 18 that day
    (dt.date(1990, 5, 2), dt.date(2008, 5, 1), dt.date(2009, 5, 1), "正式党员", ["under-18"]),
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), dt.date(2006, 6, 1), "预备党员", ["probationary-with-date"]),
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), dt.date(2005, 6, 1), "正式党员", ["date-order"]),
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), dt.date(2006, 5, 31), "正式党员", ["probation-period"]),
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), dt.date(2007, 6, 1), "正式党员", []),              # extended a year
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), dt.date(2007, 6, 2), "正式党员", ["probation-period"]),
    (dt.date(1980, 1, 1), dt.date(2005, 6, 1), None, "正式党员", ["full-member-no-date"]),
    (dt.date(1980, 1, 1), dt.date(2025, 6, 1), None, "预备党员", ["probation-overdue"]),
    (dt.date(1980, 1, 1), dt.date(2026, 1, 1), None, "预备党员", []),
])
def test_member_dates(born, joined, full, status, expected):
    rows = [row("A1", 4, 出生年月=born, 入党时间=joined, 转正时间=full, 人员类别=status)]
    assert [c for c, _, _ in found(rules.member_dates, rows)] == expected


def test_id_card_agrees_with_birth_and_sex():
    number = idc("33010619800515001")                 # born 1980-05-15; 17th digit odd: male
    good = row("A1", 4, 身份证号=number, 出生年月=dt.date(1980, 5, 1), 性别="男")
    wrong = row("A1", 5, 身份证号=number, 出生年月=dt.date(1980, 6, 1), 性别="女")
    assert found(rules.id_card_agrees, [good]) == []
    assert found(rules.id_card_agrees, [wrong]) == [("id-card-mismatch", "F5", "warning")] * 2


def test_activist_period():
    short = row("A2", 4, 确定为入党积极分子时间=dt.date(2025, 3, 1), 确定为发展对象时间=dt.date(2026, 2, 28))
    enough = row("A2", 5, 确定为入党积极分子时间=dt.date(2025, 3, 1), 确定为发展对象时间=dt.date(2026, 3, 1))
    assert [c for c, _, _ in found(rules.activist_period, [short, enough])] == ["activist-too-short"]


def test_probation_record():
    rows = [row("A3", 4, 入党介绍人=("张三",), 接收为预备党员时间=dt.date(2025, 1, 1), 转正时间=dt.date(2026, 1, 1)),
            row("A3", 5, 入党介绍人=("张三", "李四"), 接收为预备党员时间=dt.date(2025, 1, 1),
                转正时间=dt.date(2027, 3, 1))]
    assert [c for c, _, _ in found(rules.probation_record, rows)] == ["introducers", "probation-period"]


# --- B 组织生活 ----------------------------------------------------------------------------

def test_quorum_for_a_committee_and_for_a_vote_in_the_general_meeting():
    committee = row("B2", 4, 实到人数=2, 应到人数=5, 议题="研究工作")
    vote = row("B1", 5, 实到人数=6, 应到人数=12, 议题="表决接收预备党员", 日期=dt.date(2026, 3, 1))
    no_vote = row("B1", 6, 实到人数=3, 应到人数=12, 议题="学习讨论", 日期=dt.date(2026, 3, 1))
    assert [c for c, _, _ in found(rules.quorum, [committee, vote, no_vote])] == ["quorum", "quorum"]


def test_a_vote_passes_only_with_more_than_half_of_those_entitled():
    members = [full_member(f"党员{i}") for i in range(10)] + \
              [Member("预备甲", "预备党员", "在职教职工", dt.date(2026, 1, 5), None)]
    motion = row("B1", 4, 实到人数=11, 应到人数=11, 议题="表决", 日期=dt.date(2026, 3, 1), 决议事项="赞成5票，通过")
    assert found(rules.quorum, [motion], ctx(members)) == [("vote-not-passed", "L4", "warning")]
    passed = row("B1", 4, 实到人数=11, 应到人数=11, 议题="表决", 日期=dt.date(2026, 3, 1), 决议事项="赞成6票，通过")
    assert found(rules.quorum, [passed], ctx(members)) == []     # 6 of the 10 entitled (预备党员 have no vote)


def test_roster_attendance_for_the_general_meeting():
    members = [full_member(f"党员{i}") for i in range(8)]
    rows = [row("B1", 4, 应到人数=8, 日期=dt.date(2026, 3, 1)), row("B1", 5, 应到人数=9, 日期=dt.date(2026, 3, 1))]
    assert [c for c, _, _ in found(rules.roster_attendance, rows, ctx(members))] == ["attendance-roster"]
    assert found(rules.roster_attendance, rows, ctx(None)) == []


# --- C 党费, E 综合, F 述职, Z 组织 --------------------------------------------------------------

def test_dues_amount_against_the_rules():
    good = row("C1", 4, 姓名="甲", 党员身份="在职教职工", 计算基数=Decimal("3000.00"), 月应缴党费=Decimal("15.00"))
    edge = row("C1", 5, 姓名="乙", 党员身份="在职教职工", 计算基数=Decimal("3000.01"), 月应缴党费=Decimal("15.00"))
    missing = row("C1", 6, 姓名="丙", 党员身份="离退休", 月应缴党费=Decimal("10.00"))
    assert [c for c, _, _ in found(rules.dues_amount, [good, edge, missing])] == ["dues-mismatch", "required"]


def test_branch_committee_and_terms():
    long_term = row("E1", 4, 本届任期开始=dt.date(2022, 1, 1), 本届任期结束=dt.date(2025, 6, 1))
    assert [c for c, _, _ in found(rules.branch_committee, [long_term])] == ["term-too-long"]
    expired = row("E1", 5, 本届任期开始=dt.date(2022, 1, 1), 本届任期结束=dt.date(2024, 12, 31))
    assert "term-expired" in [c for c, _, _ in found(rules.branch_committee, [expired])]
    members = [full_member(f"党员{i}") for i in range(7)]
    no_committee = row("E1", 6, 本届任期开始=dt.date(2025, 1, 1), 本届任期结束=dt.date(2027, 12, 31))
    assert "committee-missing" in [c for c, _, _ in found(rules.branch_committee, [no_committee], ctx(members))]
    small = [full_member(f"党员{i}") for i in range(6)]
    assert "committee-missing" not in [c for c, _, _ in found(rules.branch_committee, [no_committee], ctx(small))]


@pytest.mark.parametrize("present,expected,fails", [(9, 10, False), (8, 10, True), (10, 12, False), (9, 12, True)])
def test_election_needs_more_than_four_fifths(present, expected, fails):
    result = found(rules.election_quorum, [row("E3", 4, 实到人数=present, 应到人数=expected)])
    assert bool(result) == fails


def test_ballots_add_up():
    ok = row("F1", 4, 好=10, 较好=5, 一般=1, 差=0, 实参评人数=16)
    wrong = row("F1", 5, 好=10, 较好=5, 一般=1, 差=0, 实参评人数=17)
    assert [c for c, _, _ in found(rules.ballots, [ok, wrong])] == ["count-mismatch"]


def test_a_branch_needs_three_members():
    rows = [row("Z1", 4, 党支部="甲党支部", 党员人数=2), row("Z1", 5, 党支部="乙党支部", 党员人数=3)]
    assert found(rules.registry_rules, rows) == [("too-few-members", "F4", "warning")]


# --- issue 13 #4: a base of 0, and the fixed 0.20 of 下岗失业 ------------------------------------------

@pytest.mark.parametrize("identity", ["在职教职工", "离退休"])
def test_a_base_of_zero_without_an_exemption_is_an_error(identity):
    zero = row("C1", 4, 姓名="甲", 党员身份=identity, 计算基数=Decimal("0"), 月应缴党费=Decimal("1.00"))
    assert [c for c, cell, _ in found(rules.dues_amount, [zero])] == ["dues-no-base"]
    exempt = row("C1", 5, 姓名="乙", 党员身份=identity, 计算基数=Decimal("0"), 月应缴党费=Decimal("0"),
                 备注="减免，院党委〔2026〕5号")
    assert found(rules.dues_amount, [exempt]) == []


@pytest.mark.parametrize("identity,amount,ok", [("下岗失业", "0.20", True), ("下岗失业", "1.00", False),
                                                ("领取最低生活保障金", "0.20", True), ("农民", "1.00", True),
                                                ("农民", "1.20", False)])
def test_fixed_amounts_by_what_a_member_lives_on(identity, amount, ok):
    from pipeline.checking.cells import parse_value
    canonical = parse_value(fields_item("C1").by_name["党员身份"], identity)      # as the C1 column reads it
    assert canonical == identity
    record = row("C1", 4, 姓名="甲", 党员身份=canonical, 月应缴党费=Decimal(amount))
    assert (found(rules.dues_amount, [record]) == []) is ok


# --- issue 13 #9: the 18th birthday from the ID number's exact date -------------------------------------

def test_age_at_admission_uses_the_exact_birth_date_inside_the_id_number():
    number = idc("33010619880520001")                  # born 1988-05-20
    month_only = row("A1", 4, 出生年月=dt.date(1988, 5, 1), 身份证号=number, 入党时间=dt.date(2006, 5, 10),
                     转正时间=dt.date(2007, 5, 10), 人员类别="正式党员")
    month_only.raw["出生年月"] = "1988-05"
    assert [c for c, _, _ in found(rules.member_dates, [month_only])] == ["under-18"]     # 17 years, 355 days
    later = row("A1", 5, 出生年月=dt.date(1988, 5, 1), 身份证号=number, 入党时间=dt.date(2006, 5, 20),
                转正时间=dt.date(2007, 5, 20), 人员类别="正式党员")
    later.raw["出生年月"] = "1988-05"
    assert found(rules.member_dates, [later]) == []


def test_a_full_birth_date_is_compared_with_the_id_to_the_day():
    number = idc("33010619880520001")
    exact = row("A1", 4, 身份证号=number, 出生年月=dt.date(1988, 5, 21), 性别="男")
    exact.raw["出生年月"] = "1988-05-21"
    assert [c for c, _, _ in found(rules.id_card_agrees, [exact])] == ["id-card-mismatch"]
    month = row("A1", 5, 身份证号=number, 出生年月=dt.date(1988, 5, 1), 性别="男")
    month.raw["出生年月"] = dt.datetime(1988, 5, 1)    # an Excel date of the 1st: only the month is meant
    assert found(rules.id_card_agrees, [month]) == []


# --- issue 13 #7: a vote is recognised by meaning, and an election needs 4/5 wherever it is recorded -------

@pytest.mark.parametrize("topic,vote", [
    ("讨论接收孙新同志为中共预备党员", True),
    ("讨论张三同志转为正式党员", True),
    ("研究李四同志预备党员按期转正问题", True),
    ("讨论延长王五同志预备期", True),
    ("讨论给予赵六同志党内警告处分", True),
    ("选举产生新一届支部委员会", True),
    ("学习《中国共产党纪律处分条例》", False),
    ("学习贯彻全会精神", False),
    ("确定入党积极分子为发展对象的情况通报", False),
])
def test_votes_are_recognised_by_meaning(topic, vote):
    low = row("B1", 4, 实到人数=5, 应到人数=12, 议题=topic, 日期=dt.date(2026, 3, 1))
    assert (found(rules.quorum, [low]) != []) is vote


@pytest.mark.parametrize("present,expected,fails", [(9, 12, True), (10, 12, False), (8, 10, True), (9, 10, False)])
def test_an_election_in_a_general_meeting_needs_four_fifths(present, expected, fails):
    meeting = row("B1", 4, 实到人数=present, 应到人数=expected, 议题="选举产生新一届支部委员会", 日期=dt.date(2026, 3, 1))
    assert ("election-quorum" in [c for c, _, _ in found(rules.quorum, [meeting])]) is fails


# --- issue 13 #8: 预备期 — extended once by 6 to 12 months; 转正 at the end of the (extended) 预备期 ------------

JOINED = dt.date(2024, 3, 1)


@pytest.mark.parametrize("extended,expiry,full,codes", [
    (False, None, dt.date(2025, 3, 1), []),                                   # on time
    (False, dt.date(2025, 3, 1), dt.date(2025, 3, 1), []),
    (True, dt.date(2025, 9, 1), dt.date(2025, 9, 1), []),                     # extended 6 months
    (True, dt.date(2026, 3, 1), None, []),                                    # extended 12 months, not yet due
    (True, dt.date(2025, 6, 1), dt.date(2025, 6, 1), ["probation-extension"]),  # 3 months: too short
    (True, dt.date(2026, 6, 1), None, ["probation-extension"]),                  # 15 months: too long
    (False, None, dt.date(2025, 8, 1), ["probation-period"]),                 # +1y5m without an extension
    (False, dt.date(2025, 3, 1), dt.date(2025, 11, 1), ["probation-period"]),  # 8 months after the expiry
    (False, dt.date(2025, 9, 1), None, ["probation-extension"]),               # expiry moved without 延长
])
def test_probation_extensions(extended, expiry, full, codes):
    record = row("A3", 4, 姓名="甲", 入党介绍人=("张三", "李四"), 接收为预备党员时间=JOINED, 预备期满时间=expiry,
                 转正时间=full, 延长预备期=extended)
    assert [c for c, _, _ in found(rules.probation_record, [record])] == codes
