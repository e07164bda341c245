import datetime as dt
from decimal import Decimal

import pytest
from stdnum.cn import ric

from pipeline.core.formats import ITEMS
from pipeline.core.values import (Bad, clean_text, mask_id_card, mask_phone, parse_bool, parse_date,
                             parse_date_or_month, parse_enum, parse_hours, parse_id_card, parse_int,
                             parse_money, parse_month, parse_name, parse_names, parse_percent, parse_phone,
                             parse_text)


def bad(value) -> str | None:
    return value.code if isinstance(value, Bad) else None


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


class TestText:
    def test_trims_and_removes_invisible_characters(self):
        assert parse_text("\u200b 张三\u00a0 ") == "张三"
        assert clean_text("a\u3000b") == "a b"

    def test_free_text_keeps_full_width_characters(self):
        assert parse_text("ＡＢＣ（备注）") == "ＡＢＣ（备注）"


class TestName:
    @pytest.mark.parametrize("raw,expected", [("张三", "张三"), (" 欧阳修远 ", "欧阳修远"),
                                              ("阿依古丽•买买提", "阿依古丽·买买提"), ("John Smith", "John Smith")])
    def test_valid(self, raw, expected):
        assert parse_name(raw) == expected

    @pytest.mark.parametrize("raw", ["张", "张三3", "123", "张三（组长）", "一" * 21])
    def test_invalid(self, raw):
        assert bad(parse_name(raw)) == "bad-name"

    def test_names_lists_with_every_separator(self):
        assert parse_names("张三、李四，王五,赵六;钱七 孙八\n周九") == ("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九")
        assert bad(parse_names("张三、李4")) == "bad-name"


class TestDate:
    @pytest.mark.parametrize("raw", ["2026-03-05", "2026/3/5", "2026.3.5", "2026年3月5日", "20260305",
                                     "２０２６年３月５日", "2026 年 3 月 5 日", 20260305,
                                     dt.datetime(2026, 3, 5), dt.date(2026, 3, 5), 46086])
    def test_all_forms(self, raw):
        assert parse_date(raw) == dt.date(2026, 3, 5)

    def test_time_of_day_is_kept(self):
        assert parse_date("2026年3月10日下午2:30") == dt.datetime(2026, 3, 10, 14, 30)
        assert parse_date("2026-03-10 14:30") == dt.datetime(2026, 3, 10, 14, 30)

    @pytest.mark.parametrize("raw", ["2026.13.5", "2026-02-30", "明天", "2026-3", "3月5日", 12.5])
    def test_invalid(self, raw):
        assert bad(parse_date(raw)) == "bad-date"

    def test_message_names_the_impossible_day(self):
        assert "没有2月30日" in parse_date("2026-02-30").message

    def test_birth_accepts_a_month(self):
        assert parse_date_or_month("1985年6月") == dt.date(1985, 6, 1)
        assert parse_date_or_month("1985-06-12") == dt.date(1985, 6, 12)
        assert bad(parse_date_or_month("八五年")) == "bad-date"


class TestMonth:
    @pytest.mark.parametrize("raw", ["2026-03", "2026年3月", "2026.3", "2026/03", dt.datetime(2026, 3, 17),
                                     "2026年3月份", "２０２６－０３"])
    def test_all_forms(self, raw):
        assert parse_month(raw) == (2026, 3)

    def test_invalid(self):
        assert bad(parse_month("2026-13")) == "bad-month"
        assert bad(parse_month("三月")) == "bad-month"


class TestNumbers:
    @pytest.mark.parametrize("raw,expected", [(12, 12), (12.0, 12), ("12人", 12), ("１２", 12), ("30票", 30)])
    def test_int(self, raw, expected):
        assert parse_int(raw) == expected

    @pytest.mark.parametrize("raw", [12.5, "十二", "-3", True])
    def test_int_invalid(self, raw):
        assert bad(parse_int(raw)) == "bad-int"

    @pytest.mark.parametrize("raw,expected", [(1234.5, "1234.50"), ("1,234.50", "1234.50"), ("¥1234.5", "1234.50"),
                                              ("1234.50元", "1234.50"), ("１２３４．５", "1234.50"), (15, "15.00"),
                                              (0.30000000000000004, "0.30"), ("￥ 25", "25.00")])
    def test_money_is_decimal_to_the_fen(self, raw, expected):
        value = parse_money(raw)
        assert isinstance(value, Decimal) and value == Decimal(expected) and str(value) == expected

    @pytest.mark.parametrize("raw", ["-5", "12.345", "约5000元", "1,,000", "abc"])
    def test_money_invalid(self, raw):
        assert bad(parse_money(raw)) == "bad-money"

    @pytest.mark.parametrize("raw,expected", [("0.5%", "0.005"), ("0.5", "0.005"), (0.005, "0.005"), ("1%", "0.01"),
                                              (1.5, "0.015"), (0.02, "0.02"), ("２％", "0.02")])
    def test_percent(self, raw, expected):
        assert parse_percent(raw) == Decimal(expected)

    def test_hours(self):
        assert parse_hours(1.5) == Decimal("1.5")
        assert parse_hours("2小时") == Decimal("2")
        assert bad(parse_hours("1.25")) == "bad-int"


class TestEnum:
    def test_synonyms_give_the_canonical_value(self):
        status = ITEMS["A1"].by_name["人员类别"]
        assert parse_enum("预备", status) == "预备党员"
        assert parse_enum(" 正式 ", status) == "正式党员"
        identity = ITEMS["A1"].by_name["党员身份"]
        assert parse_enum("退休", identity) == "离退休"

    def test_unknown_value_suggests_the_closest(self):
        identity = ITEMS["A1"].by_name["党员身份"]
        result = parse_enum("离退干部", identity)
        assert bad(result) == "bad-enum"
        assert "离退休" in result.hint and "可选值" in result.hint

    def test_a_value_inside_a_longer_text(self):
        """"2023年第二季度支部党员大会" is a 支部党员大会; two values inside is not one of them."""
        kind = ITEMS["B"].by_name["会议类型"]
        assert parse_enum("2023年第二季度支部党员大会", kind) == "支部党员大会"
        assert parse_enum("离退休干部", ITEMS["A1"].by_name["党员身份"]) == "离退休"
        assert bad(parse_enum("支部委员会和支部党员大会", kind)) == "bad-enum"
        assert bad(parse_enum("正常", ITEMS["A1"].by_name["人员类别"])) == "bad-enum"     # not by a 1-letter 正

    @pytest.mark.parametrize("raw,expected", [("是", True), ("√", True), ("Y", True), ("否", False), ("×", False),
                                              ("n", False), (True, True)])
    def test_bool(self, raw, expected):
        assert parse_bool(raw) is expected
        assert bad(parse_bool("也许")) == "bad-bool"


class TestIdCard:
    def test_valid_number_upper_cased(self):
        number = valid_id("11010819900307123")
        assert parse_id_card(number.lower()) == number.upper()

    def test_full_width_digits(self):
        number = valid_id("33010219851201002")
        full = "".join(chr(ord(c) + 0xFEE0) for c in number)
        assert parse_id_card(full) == number

    def test_wrong_check_digit_names_the_expected_digit(self):
        number = valid_id("33010219851201002")
        wrong = number[:17] + ("0" if number[17] != "0" else "1")
        result = parse_id_card(wrong)
        assert bad(result) == "bad-id-card" and f"“{number[17]}”" in result.hint

    def test_old_people_whose_county_code_is_younger_than_them_are_accepted(self):
        # 330106 (西湖区) was created long after 1940; stdnum's ric.validate rejects this
        number = valid_id("33010619400101001")
        assert not ric.is_valid(number)
        assert parse_id_card(number) == number

    @pytest.mark.parametrize("raw,word", [("1101081990030712", "18位"), ("99999919900307123X", "行政区划"),
                                          ("11010819901307123X", "出生日期"), ("1101081990030712Y3", "前17位"),
                                          (110108199003071230, "数字")])
    def test_invalid(self, raw, word):
        result = parse_id_card(raw)
        assert bad(result) == "bad-id-card" and word in result.message

    def test_birth_date_in_the_future(self):
        number = valid_id("11010820990101123")
        assert bad(parse_id_card(number, today=dt.date(2026, 11, 27))) == "bad-id-card"

    def test_masking(self):
        assert mask_id_card("210602198001011234") == "2106**********1234"
        assert mask_phone("13812345678") == "138****5678"


class TestPhone:
    @pytest.mark.parametrize("raw,expected", [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
                                              ("+86 138-1234-5678", "13812345678"), (13812345678, "13812345678"),
                                              ("0571-87654321", "0571-87654321"), ("（010）12345678", "010-12345678")])
    def test_valid(self, raw, expected):
        assert parse_phone(raw) == expected

    @pytest.mark.parametrize("raw", ["1381234567", "12812345678", "87654321", "0571-123", "电话"])
    def test_invalid(self, raw):
        assert bad(parse_phone(raw)) == "bad-phone"


# --- issue 13 #2: "2026.10" typed into Excel is the number 2026.1 ----------------------------------------

def test_a_month_typed_as_a_number_is_read_as_it_is_displayed(registered, tmp_path):
    """Excel keeps a typed 2026.10 as 2026.1; with a two-decimal format it shows 2026.10 (October); with
    the General format it cannot tell January from October: an error asking for 2026-10, never January."""
    from openpyxl import load_workbook as load

    from pipeline.operations.ingest import check_file
    from .conftest import RECEIVED, write_book
    path = write_book(tmp_path / "党费.xlsx", "C2", [["张三", 2026.1, None, "30.00", None, None],
                                                      ["张三", 2026.1, None, "30.00", None, None],
                                                      ["张三", 2026.11, None, "30.00", None, None]])
    wb = load(path)
    for cell, shown in (("B4", "0.00"), ("B5", "General"), ("B6", "General")):     # 2026.10, 2026.1, 2026.11
        wb.active[cell].number_format = shown
    wb.save(path)
    result = check_file(path, registered, received=RECEIVED)
    assert [(i.code, i.cell) for i in result.errors] == [("bad-month", "B5")]
    assert "2026-10" in result.errors[0].hint
    assert result.ledgers == []                        # rejected whole
    wb["党费收缴登记表"].delete_rows(5)
    wb.save(path)
    (ledger,) = check_file(path, registered, received=RECEIVED).ledgers
    assert [r.get("月份") for r in ledger.rows] == [(2026, 10), (2026, 11)]
