"""Item rules through the whole pipeline: one real workbook each, issues compared as tuples — on the
SQLite store and on a real PostgreSQL server (the rules read rosters, bases and registries from it)."""
import datetime as dt
from decimal import Decimal

import pytest
from stdnum.cn import ric

from pipeline.dues.rates import DuesRules
from pipeline.core.formats import DERIVED, EXCEL_ITEMS, ITEMS
from pipeline.operations.ingest import check_file

from .conftest import BRANCH, RECEIVED, codes, errors, write_book

@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


A1_HEAD = ["序号", "姓名", "性别", "民族", "出生年月", "身份证号", "学历", "人员类别", "入党时间", "转正时间", "党员身份",
           "所在党小组", "党内职务", "工作单位及职务", "联系电话", "备注"]


def idc(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def member(name="张三", sex="男", born="1980-05", idc=None, status="正式党员", joined=dt.date(2005, 6, 1),
           full=dt.date(2006, 6, 1), identity="在职教职工", phone="13812345678"):
    return [1, name, sex, "汉族", born, idc, "大学本科", status, joined, full, identity, "第1党小组", None, "机电系",
            phone, None]


def check(ws, tmp_path, code, rows, **kw):
    path = write_book(tmp_path / f"{code}.xlsx", code, rows, **kw)
    return check_file(path, ws, received=RECEIVED)


class TestRoster:
    def test_correct_roster_passes(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(), member("李四", "女", "1999-01", status="预备党员",
                                                                       joined=dt.date(2026, 1, 10), full=None)])
        assert result.status == "accepted", [i.text() for i in result.issues]

    def test_under_18_points_at_the_joining_date(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(born="1990-05", joined=dt.date(2007, 6, 1),
                                                           full=dt.date(2008, 6, 1))])
        assert errors(result) == [("under-18", "I4")]

    def test_full_date_before_joining_points_at_the_full_date(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(full=dt.date(2005, 1, 1))])
        assert errors(result) == [("date-order", "J4")]

    @pytest.mark.parametrize("full", [dt.date(2006, 3, 1), dt.date(2007, 9, 1)])
    def test_probation_shorter_than_a_year_or_longer_than_two(self, registered, tmp_path, full):
        result = check(registered, tmp_path, "A1", [member(full=full)])
        assert errors(result) == [("probation-period", "J4")]

    def test_extended_probation_within_two_years_is_fine(self, registered, tmp_path):
        assert errors(check(registered, tmp_path, "A1", [member(full=dt.date(2007, 3, 1))])) == []

    def test_full_member_needs_a_date_and_probationary_must_not_have_one(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(full=None),
                                                    member("李四", status="预备党员", joined=dt.date(2026, 1, 10),
                                                           full=dt.date(2026, 2, 1))])
        assert errors(result) == [("full-member-no-date", "J4"), ("probationary-with-date", "J5")]

    def test_overdue_probation_is_a_warning(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(status="预备党员", joined=dt.date(2024, 1, 10), full=None)])
        assert result.status == "accepted"
        assert codes(result, "warning") == [("probation-overdue", "H4")]

    def test_one_wrong_cell_gives_one_error(self, registered, tmp_path):
        # a bad 入党时间 must not also raise under-18 / probation / date-order
        result = check(registered, tmp_path, "A1", [member(joined="2005.13.01")])
        assert errors(result) == [("bad-date", "I4")]

    def test_future_date(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(joined=dt.date(2026, 12, 1), full=None, status="预备党员")])
        assert errors(result) == [("future-date", "I4")]

    def test_id_card_must_agree_with_birth_and_sex_warning(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(idc=idc("11010819810507123"), sex="女")])
        assert codes(result, "warning") == [("id-card-mismatch", "F4"), ("id-card-mismatch", "F4")]

    def test_duplicates(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(idc=idc("11010819800507123")),
                                                    member(idc=idc("11010819800507123")),
                                                    member("李四", idc=idc("11010819800507124"), sex="女"),
                                                    member("李四", idc=idc("11010819800507208"), sex="女")])
        assert errors(result) == [("duplicate-row", "B5"), ("duplicate-row", "F5")]

    def test_every_error_reported_at_once(self, registered, tmp_path):
        result = check(registered, tmp_path, "A1", [member(sex=None), member("王五", born="不详"),
                                                    member("赵六", phone="12345")])
        assert errors(result) == [("required", "C4"), ("bad-date", "E5"), ("bad-phone", "O6")]
        issue = result.issues[0]
        assert (issue.sheet, issue.column, issue.row) == ("党员花名册", "性别", 4)


class TestRequiredColumns:
    @pytest.mark.parametrize("item,required", [(i, f) for i in EXCEL_ITEMS for f in i.fields
                                               if (f.is_required(i.code) or f.column_required)
                                               and f.name not in DERIVED.get(i.code, {})],
                             ids=lambda v: getattr(v, "code", None) or v.name)
    def test_missing_required_column_is_one_error(self, registered, tmp_path, item, required):
        headers = [f.name for f in item.fields if f is not required]
        result = check(registered, tmp_path, item.code, [], headers=headers)
        assert ("missing-column", None) in errors(result)
        missing = [i for i in result.issues if i.code == "missing-column"]
        assert missing[0].column == required.name and required.name in missing[0].message

    def test_synonyms_in_any_order(self, registered, tmp_path):
        headers = ["联系方式", "公民身份号码", "入党日期", "党员姓名", "性别", "出生日期", "党籍状态", "转正日期", "人员身份"]
        row = ["13812345678", None, dt.date(2005, 6, 1), "张三", "男", "1980-05", "正式", dt.date(2006, 6, 1), "在职"]
        result = check(registered, tmp_path, "A1", [row], headers=headers)
        assert result.status == "accepted", [i.text() for i in result.issues]


class TestMeetings:
    HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "缺席人员及原因", "列席人员", "议题",
            "会议内容", "决议事项", "主讲人", "谈话人", "谈话对象"]

    def meeting(self, kind="支部委员会", day=dt.date(2026, 10, 9), expected=5, present=5, topic="研究工作",
                decision=None, speaker=None):
        return [kind, day, "党员活动室", "毛建薇", "苏梓轩", expected, present, None, None, topic, None, decision,
                speaker, None, None]

    def test_attendance_and_quorum(self, registered, tmp_path):
        rows = [self.meeting(present=6), self.meeting(present=2, topic="研究发展党员"),
                self.meeting("支部党员大会", expected=20, present=10, topic="讨论接收预备党员"),
                self.meeting("党员大会", expected=20, present=10, topic="学习交流"),
                self.meeting("党课", topic="党课", speaker=None)]
        result = check(registered, tmp_path, "B", rows, headers=self.HEAD)
        assert errors(result) == [("attendance-exceeds", "G4"), ("quorum", "G5"), ("quorum", "G6"),
                                  ("required", "M8")]

    def test_talk_needs_talker_and_person_not_attendance(self, registered, tmp_path):
        row = ["谈心谈话", dt.date(2026, 4, 16), None, None, "苏梓轩", None, None, None, None, "谈心", None, None,
               None, "毛建薇", None]
        result = check(registered, tmp_path, "B", [row], headers=self.HEAD)
        assert errors(result) == [("required", "O4")]

    def test_vote_counted_against_those_entitled(self, registered, tmp_path):
        row = self.meeting("支部党员大会", expected=20, present=15, topic="讨论接收预备党员",
                           decision="赞成10票，反对0票，表决通过")
        result = check(registered, tmp_path, "B", [row], headers=self.HEAD)
        assert ("vote-not-passed", "L4") in codes(result, "warning")

    def test_same_meeting_twice_in_one_sheet(self, registered, tmp_path):
        result = check(registered, tmp_path, "B", [self.meeting(), self.meeting()], headers=self.HEAD)
        assert errors(result) == [("duplicate-row", "B5")]

    def test_records_get_their_meeting_type(self, registered, tmp_path):
        rows = [self.meeting(), self.meeting("主题党日", expected=20, present=18, topic="参观")]
        result = check(registered, tmp_path, "B", rows, headers=self.HEAD)
        assert result.items == ["B2", "B5"]


class TestDues:
    HEAD = ["姓名", "党员身份", "计算基数", "缴纳比例", "月应缴党费", "生效月份", "备注"]

    @pytest.mark.parametrize("base,amount", [("3000.00", "15.00"), ("3000.01", "30.00"), ("5000", "50.00"),
                                             ("5000.01", "75.00"), ("10000", "150.00"), ("10000.01", "200.00"),
                                             ("2999.99", "15.00")])
    def test_whole_base_times_one_rate(self, base, amount):
        expected = DuesRules().expected("在职教职工", Decimal(base), dt.date(2026, 1, 1))
        assert expected.low == Decimal(amount)

    def test_retired_students_and_others(self):
        rules = DuesRules()
        assert rules.expected("离退休", Decimal("5000"), dt.date(2026, 1, 1)).low == Decimal("25.00")
        assert rules.expected("离退休", Decimal("5000.01"), dt.date(2026, 1, 1)).low == Decimal("50.00")
        assert rules.expected("学生", None, dt.date(2026, 1, 1)).low == Decimal("0.20")
        other = rules.expected("其他", None, dt.date(2026, 1, 1))
        assert (other.low, other.high) == (Decimal("0.20"), Decimal("1.00"))

    def test_rounding_half_up_and_configurable(self):
        base = Decimal("3333.50")        # × 1% = 33.335
        assert DuesRules().expected("在职教职工", base, dt.date(2026, 1, 1)).low == Decimal("33.34")
        assert DuesRules(rounding="ROUND_DOWN").expected("在职教职工", base, dt.date(2026, 1, 1)).low == Decimal("33.33")

    def test_a_new_rate_row_changes_the_rule_from_its_date(self):
        rules = DuesRules()
        newer = tuple(b for b in rules.bands if b.category == "学生")[0]
        changed = DuesRules(rules.bands + (newer.__class__(dt.date(2027, 1, 1), "学生", None, None, None,
                                                           Decimal("0.50"), Decimal("0.50"), "新规定"),))
        assert changed.expected("学生", None, dt.date(2026, 12, 1)).low == Decimal("0.20")
        assert changed.expected("学生", None, dt.date(2027, 1, 1)).low == Decimal("0.50")

    def test_mismatch_points_at_the_amount_with_the_expected_figure(self, registered, tmp_path):
        rows = [["张三", "在职教职工", 3000.01, None, 15, None, None],
                ["李四", "在职教职工", 8000, "1%", 120, None, None],
                ["王五", "学生", None, None, 0.2, None, None],
                ["赵六", "在职教职工", None, None, 20, None, None]]
        result = check(registered, tmp_path, "C1", rows, headers=self.HEAD)
        assert errors(result) == [("dues-mismatch", "E4"), ("dues-rate-mismatch", "D5"), ("required", "C7")]
        first = result.errors[0]
        assert "30.00" in first.message and "3000.01" in first.hint and "1%" in first.hint

    def test_exemption_needs_an_approval_reference(self, registered, tmp_path):
        rows = [["张三", "在职教职工", 4000, None, 0, None, "减免"],
                ["李四", "在职教职工", 4000, None, 0, None, "减免，院党委〔2026〕5号"]]
        result = check(registered, tmp_path, "C1", rows, headers=self.HEAD)
        assert result.status == "accepted"
        assert codes(result, "warning") == [("no-roster", None), ("dues-no-approval", "G4")]


class TestDuesPayments:
    def test_six_unpaid_months_underpaid_and_large_voluntary(self, with_roster, college, tmp_path):
        names = [p.name for p in college.branch(BRANCH).members]
        rows = [[names[0], f"2026-{m:02d}", 20, 20, None, None, None] for m in range(1, 5)]
        rows += [[names[1], f"2026-{m:02d}", 20, 20, None, None, None] for m in range(1, 12)]
        rows[4][3] = 10                                      # 少缴
        rows[5][3] = 1500                                    # 1000+ voluntary
        rows.append(["不在册", "2026-01", 20, 20, None, None, None])
        path = write_book(tmp_path / "C2.xlsx", "C2", rows)
        result = check_file(path, with_roster, received=RECEIVED)
        warnings = codes(result, "warning")
        assert ("dues-underpaid", "D8") in warnings and ("dues-large-voluntary", "D9") in warnings
        assert ("not-in-roster", f"A{4 + len(rows) - 1}") in warnings
        unpaid = [i for i in result.issues if i.code == "dues-unpaid-6-months"]
        assert any(names[0] in i.message and "5月～11月" in i.message for i in unpaid)
        assert not any(names[1] in i.message for i in unpaid)


class TestOther:
    def test_election_needs_four_fifths(self, registered, tmp_path):
        rows = [[dt.date(2026, 3, 1), 30, 24, "张三、李四、王五", None, None],
                [dt.date(2026, 3, 2), 30, 25, "张三、李四、王五", None, None]]
        assert errors(check(registered, tmp_path, "E3", rows)) == [("election-quorum", "C4")]

    def test_ballots_add_up(self, registered, tmp_path):
        rows = [["张三", 20, 5, 1, 0, 30, 27], ["李四", 20, 5, 1, 0, 25, 26]]
        assert errors(check(registered, tmp_path, "F1", rows)) == [("count-mismatch", "G4"), ("attendance-exceeds", "G5")]

    def test_term_rules(self, registered, tmp_path):
        row = [BRANCH, "机电工程学院党总支", "教工支部", None, "张三", None, "李四", "王五", None,
               dt.date(2023, 1, 1), dt.date(2026, 1, 1), 2]
        result = check(registered, tmp_path, "E1", [row, row[:10] + [dt.date(2026, 6, 1), 2]])
        assert codes(result) == [("term-expired", "K4"), ("term-too-long", "K5")]

    def test_activist_dates_in_order(self, registered, tmp_path):
        rows = [["张三", "男", "2004-01", dt.date(2025, 9, 1), dt.date(2025, 8, 1), "李四、王五", None, None],
                ["李四", "女", "2004-01", dt.date(2025, 3, 1), dt.date(2025, 5, 1), "李四、王五", dt.date(2025, 11, 1),
                 None]]
        result = check(registered, tmp_path, "A2", rows)
        assert codes(result) == [("date-order", "E4"), ("activist-too-short", "G5")]

    def test_two_introducers(self, registered, tmp_path):
        rows = [["张三", dt.date(2026, 1, 5), "李四", None, None, "否", None]]
        assert errors(check(registered, tmp_path, "A3", rows)) == [("introducers", "C4")]

    def test_items_listing(self):
        assert len(ITEMS) == 32 and {f"B{i}" for i in range(1, 9)} <= set(ITEMS) and {"M1", "W1"} <= set(ITEMS)
