"""Value parsing for every cell type of LEDGER-FORMATS.md §2.

Each parser takes the raw cell value (str, int, float, datetime, bool, …) and returns
the parsed value, or a `Bad` describing why it could not — a failed cast yields no
value and a note, never an exception (the frictionless habit). Structured types fold
full-width ASCII to half-width first; free text keeps its characters.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from stdnum import numdb
from stdnum.cn import ric


@dataclass(frozen=True, slots=True)
class Bad:
    code: str
    message: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class CellError:
    """An Excel error value (#REF!, #VALUE!, …) in a cell."""
    text: str

    def __str__(self) -> str:
        return self.text


class _Uncalculated:
    """A formula cell saved without its cached value (e.g. written by a program)."""

    def __str__(self) -> str:
        return "（公式，无计算结果）"


UNCALCULATED = _Uncalculated()
FEN = Decimal("0.01")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_INVISIBLE.update({0xA0: " ", 0x3000: " "})


def clean_text(raw) -> str:
    """Trim, drop zero-width characters, NBSP and ideographic space become spaces. A text that
    is clean already is returned itself (not an equal copy: a big sheet holds each value once)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw)
    clean = text.translate(_INVISIBLE).strip()
    return text if clean == text else clean


def fold(text: str) -> str:
    """Full-width ASCII → half-width (NFKC), for structured values and headers."""
    return unicodedata.normalize("NFKC", text)


_BLANK_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u200c\u200d\u2060\ufeff"


def is_blank(raw) -> bool:
    """Nothing, or only spaces and invisible characters (what `clean_text` makes empty)."""
    return raw is None or (isinstance(raw, str) and not raw.strip(_BLANK_CHARS))


# --- text, names ----------------------------------------------------------------

def parse_text(raw, field=None):
    text = clean_text(raw)
    if isinstance(raw, (dt.datetime, dt.date)):
        text = show_date(raw)
    return text


_NAME_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·][\u3400-\u9fff\uf900-\ufaffA-Za-z· .\-]*$")
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "\u00b7": "·", "\u2027": "·", "\u30fb": "·"})


_SPACES = re.compile(r"\s+")


def parse_name(raw, field=None):
    text = clean_text(raw)
    squeezed = _SPACES.sub(" ", text.translate(_DOTS))
    text = text if squeezed == text else squeezed
    if isinstance(raw, (int, float)) or not _NAME_RE.match(text):
        return Bad("bad-name", "姓名只能包含汉字、字母和间隔号“·”", "如：张三、阿依古丽·买买提")
    if not 2 <= len(text) <= 20:
        return Bad("bad-name", f"姓名长度应为2～20个字，当前为{len(text)}个字")
    return text


_NAMES_SPLIT = re.compile(r"[、，,;；\s]+")


def parse_names(raw, field=None):
    parts = [p for p in _NAMES_SPLIT.split(clean_text(raw)) if p]
    names = []
    for part in parts:
        name = parse_name(part)
        if isinstance(name, Bad):
            return Bad("bad-name", f"“{part}”不是有效的姓名；多个姓名请用顿号“、”分隔",
                       "如：张三、李四")
        names.append(name)
    return tuple(names)


# --- dates and months -------------------------------------------------------------

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(?:上午|下午|晚上|中午)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?(?:\s*[:：]\s*\d{1,2}\s*秒?)?)?\s*$")
_DATE8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$")
DATE_FORMS = "2026-03-05、2026/3/5、2026.3.5、2026年3月5日 或 20260305"
MONTH_FORMS = "2026-03、2026年3月 或 2026.3"


def show_date(value) -> str:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _excel_serial(number: float):
    """An Excel serial day number typed into a cell not formatted as a date."""
    if 18264 <= number <= 73051:   # 1950-01-01 … 2099-12-31
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(number))
    return None


def _bad_date(text: str) -> Bad:
    return Bad("bad-date", f"无法识别的日期“{text}”", f"请填写如 {DATE_FORMS}")


def _make_date(y: int, m: int, d: int, text: str):
    try:
        return dt.date(y, m, d)
    except ValueError:
        return Bad("bad-date", f"日期“{text}”不存在（{y}年没有{m}月{d}日）", f"请填写如 {DATE_FORMS}")


def parse_date(raw, field=None):
    """A date; a time of day after it ("2026年3月10日下午2:30") is kept as a datetime."""
    if isinstance(raw, dt.datetime):
        return raw.date() if raw.time() == dt.time(0) else raw.replace(second=0, microsecond=0)
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 19000101 <= raw <= 21001231:
            return parse_date(str(int(raw)))
        day = _excel_serial(raw)
        return day if day else _bad_date(clean_text(raw))
    text = fold(clean_text(raw))
    m = _DATE8_RE.match(text)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    m = _DATE_RE.match(text)
    if not m:
        return _bad_date(text)
    day = _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if isinstance(day, Bad) or m[4] is None:
        return day
    hour, minute = int(m[4]), int(m[5] or 0)
    if ("下午" in text or "晚上" in text) and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return Bad("bad-date", f"时间“{text}”无效", "时间请写成 14:30")
    return dt.datetime.combine(day, dt.time(hour, minute))


def as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


class Shown(float):
    """A number cell with the text Excel displays for it ("2026.10" for the number 2026.1 in a
    two-decimal format): the number for arithmetic, the text where the display is what was meant."""
    __slots__ = ("shown",)

    def __new__(cls, value: float, shown: str):
        number = super().__new__(cls, value)
        number.shown = shown
        return number


_AMBIGUOUS_MONTH = re.compile(r"^\d{4}\.1$")


def parse_month(raw, field=None):
    """(year, month). A full date or an Excel date cell gives its month. A number is read as it is
    displayed; where that cannot tell 1 from 10 ("2026.1" for a typed 2026.10) it is an error."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return (raw.year, raw.month)
    if isinstance(raw, float):
        shown = getattr(raw, "shown", None) or repr(float(raw))
        if _AMBIGUOUS_MONTH.match(shown):
            return Bad("bad-month", f"“{shown}”看不出是1月还是10月（Excel 会把 2026.10 存成 2026.1）",
                       f"请写成 {int(raw)}-01 或 {int(raw)}-10，或把单元格设为文本后填写")
        raw = shown
    text = fold(clean_text(raw))
    m = _MONTH_RE.match(text)
    if m:
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return (year, month)
        return Bad("bad-month", f"月份“{text}”无效：月份应在1～12之间", f"请填写如 {MONTH_FORMS}")
    day = parse_date(raw)
    if not isinstance(day, Bad):
        return (day.year, day.month)
    return Bad("bad-month", f"无法识别的月份“{text}”", f"请填写如 {MONTH_FORMS}")


def names_a_day(raw) -> bool:
    """Whether a 出生年月 cell gives the day: a text with a day, or a date cell not on the 1st (Excel
    turns a typed "1985-06" into 1 June, so a date of the 1st tells only the month)."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return raw.day != 1
    return not isinstance(parse_date(raw), Bad)


def parse_date_or_month(raw, field=None):
    """出生年月: a full date, or a month (kept as the first of the month)."""
    value = parse_date(raw)
    if not isinstance(value, Bad):
        return as_date(value)
    month = parse_month(raw)
    if isinstance(month, Bad):
        return Bad("bad-date", f"无法识别的日期“{clean_text(raw)}”", f"请填写如 1985-06、1985年6月 或 {DATE_FORMS}")
    return dt.date(month[0], month[1], 1)


_PERIOD_YEAR = re.compile(r"^(\d{4})\s*(?:年度?|[-/.])?\s*")
_QUARTER = re.compile(r"^(?:第\s*)?([一二三四1-4])\s*季度?$|^q([1-4])$", re.I)
_MONTH_SPAN = re.compile(r"^(\d{1,2})\s*月?\s*(?:[-~～—–至到])\s*(\d{1,2})\s*月份?$")
_ONE_MONTH = re.compile(r"^(\d{1,2})\s*月?份?$")
PERIOD_FORMS = "2026年第一季度、2026年1-3月 或 2026-03"


def period_months(raw, on: dt.date | None = None):
    """The months a 所属期间 covers: ((year, month), …). "第一季度", "2026年1季度", "Q1", "1-3月",
    "2026-03", "3月", "上半年", "全年". Without a year it is the year of `on` (the remittance
    date) — the year before when the period would start after that date (Q4 remitted in January)."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return ((raw.year, raw.month),)
    if isinstance(raw, float):
        month = parse_month(raw)
        return month if isinstance(month, Bad) else (month,)
    text = fold(clean_text(raw)).replace(" ", "")
    bad = Bad("bad-period", f"看不出所属期间“{clean_text(raw)}”是哪几个月", f"请填写如 {PERIOD_FORMS}")
    year = None
    m = _PERIOD_YEAR.match(text)
    if m and (len(text) > m.end() or text.isdigit() is False):
        year, text = int(m[1]), text[m.end():]
    text = text.removesuffix("党费")
    months: list[int] = []
    if (q := _QUARTER.match(text)):
        n = "一二三四".find(q[1]) + 1 if q[1] and q[1] in "一二三四" else int(q[1] or q[2])
        months = [n * 3 - 2, n * 3 - 1, n * 3]
    elif text in ("上半年",):
        months = list(range(1, 7))
    elif text in ("下半年",):
        months = list(range(7, 13))
    elif text in ("全年", "", "年") and year is not None:
        months = list(range(1, 13))
    elif (span := _MONTH_SPAN.match(text)):
        first, last = int(span[1]), int(span[2])
        months = list(range(first, last + 1)) if 1 <= first <= last <= 12 else []
    elif (one := _ONE_MONTH.match(text)):
        months = [int(one[1])] if 1 <= int(one[1]) <= 12 else []
    if not months:
        return bad
    if year is None:
        if on is None:
            return bad
        year = on.year - 1 if months[0] > on.month else on.year
    return tuple((year, month) for month in months)


# --- numbers and money ----------------------------------------------------------

_INT_RE = re.compile(r"^(\d+)\s*(?:人|名|个|次|票|户|位)?$")


def parse_int(raw, field=None):
    if isinstance(raw, bool):
        return Bad("bad-int", "应填写整数")
    if isinstance(raw, int):
        return raw if raw >= 0 else Bad("bad-int", "不能为负数")
    if isinstance(raw, float):
        if raw.is_integer() and raw >= 0:
            return int(raw)
        return Bad("bad-int", f"应填写整数，当前为 {raw:g}")
    text = fold(clean_text(raw)).replace(",", "")
    m = _INT_RE.match(text)
    if not m:
        return Bad("bad-int", f"“{text}”不是整数", "请只填写数字，如 12")
    return int(m[1])


def _one_decimal(raw, unit_re: str, what: str, example: str):
    """A number ≥ 0 with at most one decimal place; `what` names it in the message."""
    value = _decimal(raw, unit_re=unit_re)
    if not isinstance(value, Bad):
        value = value.normalize()
    if isinstance(value, Bad) or value < 0 or value.as_tuple().exponent < -1:
        return Bad("bad-int", f"“{clean_text(raw)}”不是有效的{what}", f"请填写{example}，最多一位小数，如 2 或 1.5")
    return value


def parse_hours(raw, field=None):
    """服务时长（小时）: an integer or one decimal place."""
    return _one_decimal(raw, r"(?:小时|h|H|个小时)?", "时长", "小时数")


def parse_score(raw, field=None):
    """A score: a number ≥ 0 with at most one decimal place (2, 1.5)."""
    return _one_decimal(raw, r"(?:分)?", "分数", "分数")


_MONEY_RE = re.compile(r"^[¥￥]?\s*([+-]?[\d,]*\.?\d+)\s*(?:元|圆)?$")


def _decimal(raw, unit_re: str = ""):
    if isinstance(raw, bool):
        return Bad("bad-money", "应填写数字")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        # Excel stores 0.1+0.2 as 0.30000000000000004; a value within 1e-9 of a
        # cent is that cent.
        value = Decimal(repr(raw))
        cents = value.quantize(FEN, rounding=ROUND_HALF_UP)
        return cents if abs(value - cents) < Decimal("1e-9") else value
    text = fold(clean_text(raw)).replace(" ", "")
    pattern = _MONEY_RE if not unit_re else re.compile(rf"^([+-]?[\d,]*\.?\d+){unit_re}$")
    m = pattern.match(text)
    if not m or ",," in m[1]:
        return Bad("bad-money", f"“{text}”不是数字")
    try:
        return Decimal(m[1].replace(",", ""))
    except InvalidOperation:
        return Bad("bad-money", f"“{text}”不是数字")


def parse_money(raw, field=None):
    value = _decimal(raw)
    if isinstance(value, Bad):
        return Bad("bad-money", value.message, "请填写金额，如 1234.50（可带“元”或“¥”）")
    if value < 0:
        return Bad("bad-money", "金额不能为负数")
    if value.as_tuple().exponent < -2:
        return Bad("bad-money", f"金额最多两位小数（到分），当前为 {value}", f"如 {value.quantize(FEN)}")
    return value.quantize(FEN)


def parse_percent(raw, field=None):
    """A rate, returned as a fraction: "0.5%", "0.5" and 0.005 (a %-formatted cell) → 0.005.

    A bare number below 0.1 is taken as a fraction already (a cell formatted as %),
    otherwise as a number of percent: dues rates lie between 0.2% and 2%.
    """
    text = fold(clean_text(raw)).replace(" ", "")
    has_sign = text.endswith("%") or text.endswith("％")
    value = _decimal(text.rstrip("%％") if isinstance(raw, str) else raw)
    if isinstance(value, Bad) or value < 0:
        return Bad("bad-percent", f"“{text}”不是有效的比例", "请填写如 0.5%、1%、1.5%")
    if has_sign or value >= Decimal("0.1"):
        value = value / 100
    return value.normalize()


# --- enums, booleans ------------------------------------------------------------

def match_key(text) -> str:
    """Normalise for matching labels and enum values: fold, drop spaces and marks."""
    return re.sub(r"[\s*＊:：_]", "", fold(clean_text(text))).lower()


def closest(text: str, choices, n: int = 3, cutoff: float = 0.4) -> list[str]:
    """The closest valid values, for a hint. Substrings count as close."""
    choices = list(dict.fromkeys(choices))
    hits = [c for c in choices if text and (text in c or c in text)]
    hits += difflib.get_close_matches(text, choices, n=n, cutoff=cutoff)
    return list(dict.fromkeys(hits))[:n]


def parse_enum(raw, field):
    text = clean_text(raw)
    key = match_key(text)
    found = field.enum_lookup.get(key)
    if found:
        return found
    # a value written inside a longer text ("2023年第二季度支部党员大会", "主题党日活动"): taken when
    # exactly one value (by a name of 3 characters or more) is in it
    inside = {value for term, value in field.enum_lookup.items() if len(term) >= 3 and term in key}
    also = {value for term, value in field.enum_lookup.items() if len(term) >= 2 and term in key}
    if len(inside) == 1 and also == inside:
        return inside.pop()
    if len(also) > 1 and inside:       # "党员大会暨党课": two of them — never one taken silently
        return Bad("bad-enum", f"“{text}”含有{'、'.join(sorted(also))}，{field.name}只能填一种",
                   "两种活动一起开的，请分两行登记")
    values = list(field.enum)
    near = closest(key, [match_key(v) for v in values])
    near = [v for v in values if match_key(v) in near]
    hint = "可选值：" + "、".join(values)
    if near:
        hint = f"是否应为“{near[0]}”？" + hint
    return Bad("bad-enum", f"“{text}”不是{field.name}的可选值", hint)


_TRUE = {"是", "√", "✓", "✔", "y", "yes", "true", "有", "1", "对"}
_FALSE = {"否", "×", "✗", "✘", "x", "n", "no", "false", "无", "0", "不是"}


def parse_bool(raw, field=None):
    if isinstance(raw, bool):
        return raw
    key = match_key(raw)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return Bad("bad-bool", f"“{clean_text(raw)}”无法识别为是/否", "请填写“是”或“否”（也可用 √/×、Y/N）")


# --- ID numbers and phones ------------------------------------------------------

@lru_cache(maxsize=4096)
def _known_region(code: str) -> bool:
    parts = numdb.get("cn/loc").info(code)
    return all(props for _, props in parts) and any("county" in props for _, props in parts)


def parse_id_card(raw, field=None, today: dt.date | None = None):
    """18-char 居民身份证号. Region code known (any era), check digit, real birth date.

    stdnum's ric.validate also ties the region code to the birth year, which rejects
    real numbers of people born before their county's code existed; we don't.
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Bad("bad-id-card", "身份证号被 Excel 存成了数字，末几位已丢失",
                   "请把该列设为“文本”格式后重新录入")
    text = fold(clean_text(raw)).replace(" ", "").upper()
    if len(text) != 18:
        return Bad("bad-id-card", f"身份证号应为18位，当前为{len(text)}位")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return Bad("bad-id-card", "身份证号前17位应为数字，最后一位为数字或X")
    if not _known_region(text[:6]):
        return Bad("bad-id-card", f"身份证号前6位“{text[:6]}”不是有效的行政区划代码", "请核对前6位")
    try:
        born = ric.get_birth_date(text)
    except Exception:   # stdnum raises its own ValidationError subclasses
        return Bad("bad-id-card", f"身份证号中的出生日期“{text[6:14]}”不存在", "请核对第7～14位")
    if born > (today or dt.date.today()) or born.year < 1900:
        return Bad("bad-id-card", f"身份证号中的出生日期“{text[6:14]}”不合理", "请核对第7～14位")
    check = ric.calc_check_digit(text)
    if text[17] != check:
        return Bad("bad-id-card", "身份证号校验位不符，号码中有录入错误",
                   f"按前17位计算，第18位应为“{check}”；若前17位有误请逐位核对")
    return text


def id_card_birth(number: str) -> dt.date:
    """The birth date inside a (validated) 居民身份证号."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_card_sex(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


_MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


@lru_cache(maxsize=4096)
def _parse_phone_text(text: str):
    digits = re.sub(r"[\s\-()（）]", "", text)
    m = _MOBILE_RE.match(digits)
    if m:
        return m[1]
    if not (digits.startswith("0") or digits.startswith("+86") or digits.startswith("86")):
        return Bad("bad-phone", f"“{text}”不是有效的电话号码",
                   "手机号为11位（如 13812345678）；座机请带区号（如 0571-87654321）")
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return Bad("bad-phone", f"“{text}”不是有效的电话号码",
                   "手机号为11位（如 13812345678）；座机请带区号（如 0571-87654321）")
    significant = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_geographical_area_code(number)
    if not area:
        return significant if significant.startswith("1") else "0" + significant
    return f"0{significant[:area]}-{significant[area:]}"


def parse_phone(raw, field=None):
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return _parse_phone_text(fold(clean_text(raw)))


# --- masking (documents meant for circulation) -----------------------------------

def mask_id_card(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:] if len(number) == 18 else "*" * len(number)


def mask_phone(number: str) -> str:
    digits = number.replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def cn_date(day: dt.date) -> str:
    """2026年11月27日"""
    return f"{day.year}年{day.month}月{day.day}日"


def month_day(day: dt.date) -> str:
    """11月27日"""
    return f"{day.month}月{day.day}日"


# an ID or mobile number quoted in a message (a receipt, the 台账总览) is masked where it circulates
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


PERSONAL_COLUMNS = ("身份证", "身份号码", "证件号", "电话", "手机", "联系方式")


def mask_value(value: str) -> str:
    """Any value of a personal column, whatever its shape (a mistyped ID, "138-1234-5678"):
    the first three and last two characters kept."""
    text = str(value)
    return text[:3] + "*" * max(4, len(text) - 5) + text[-2:] if len(text) > 6 else "*" * len(text)


def mask_text(text: str, phones: bool = True) -> str:
    """`text` with every ID number (and mobile number) in it masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_card(m[0]), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m[0]), text) if phones else text


PARSERS = {
    "text": parse_text,
    "name": parse_name,
    "names": parse_names,
    "date": parse_date,
    "birth": parse_date_or_month,
    "month": parse_month,
    "int": parse_int,
    "hours": parse_hours,
    "score": parse_score,
    "money": parse_money,
    "percent": parse_percent,
    "enum": parse_enum,
    "id_card": parse_id_card,
    "phone": parse_phone,
    "bool": parse_bool,
}

TYPE_FORMS = {
    "date": f"日期，如 {DATE_FORMS}",
    "birth": "年月或日期，如 1985-06 或 1985年6月",
    "month": f"月份，如 {MONTH_FORMS}",
    "int": "整数，如 12",
    "hours": "小时数，如 2 或 1.5",
    "score": "分数，如 2 或 1.5",
    "money": "金额（元，到分），如 25.50",
    "percent": "比例，如 0.5%、1%",
    "id_card": "18位居民身份证号（请设为文本格式）",
    "phone": "11位手机号，或带区号的座机号",
    "bool": "是 / 否",
    "names": "多个姓名用顿号分隔，如 张三、李四",
    "name": "姓名",
}
