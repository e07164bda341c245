"""Cross-row, item and cross-ledger rules (LEDGER-FORMATS.md §3, §5, §7).

Each rule is a plain function `rule(rows, ctx) -> Iterable[Issue]`; `RULES` lists them
by item code. A rule between two cells points at the cell that normally has to change
and says nothing when a cell it needs is already in error.
"""
from __future__ import annotations

import datetime as dt
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pipeline import DATA
from pipeline.dues.rates import percent_text
from pipeline.core.formats import COMMITTEE_FROM
from pipeline.dues.ledger import Payment, dues_flags, members_dues, months_so_far
from pipeline.core.issues import ERROR, WARNING, Issue
from pipeline.core.records import Context, Row
from pipeline.core.values import Bad, as_date, id_card_birth, id_card_sex, names_a_day, period_months


def add_years(day: dt.date, years: int, months: int = 0) -> dt.date:
    month0 = day.month - 1 + months
    year = day.year + years + month0 // 12
    month = month0 % 12 + 1
    while True:
        try:
            return day.replace(year=year, month=month)
        except ValueError:   # 29 Feb, 31st of a short month
            day = day.replace(day=day.day - 1)


def _d(row: Row, name: str) -> dt.date | None:
    return as_date(row.get(name)) if row.ok(name) else None


# --- shared rules -----------------------------------------------------------------

def dates_in_order(*names: str, severity: str = ERROR):
    """Each date of `names` is on or after the one before; the later one is blamed."""
    def rule(rows: list[Row], ctx: Context):
        for row in rows:
            for earlier, later in zip(names, names[1:]):
                a, b = _d(row, earlier), _d(row, later)
                if a and b and b < a:
                    yield row.issue(later, "date-order", f"{later}（{b}）早于{earlier}（{a}）",
                                    f"{later}应在{earlier}之后", severity)
    rule.__name__ = f"dates_in_order({', '.join(names)})"
    return rule


def unique(*names: str, unless: str | None = None):
    """No two rows share these fields (unless `unless` tells them apart)."""
    def rule(rows: list[Row], ctx: Context):
        seen: dict = {}
        for row in rows:
            if not row.ok(*names):
                continue
            key = (row.item, *(row.get(n) for n in names))
            first = seen.get(key)
            if first is None:
                seen[key] = row
                continue
            if unless and first.ok(unless) and row.ok(unless) and first.get(unless) != row.get(unless):
                continue
            label = "、".join(str(row.get(n)) for n in names)
            yield row.issue(names[0], "duplicate-row", f"与第{first.line}行重复（{label}）",
                            "同一记录只填一行；如确为不同的人，请填写身份证号区分" if unless else "同一记录只填一行")
    rule.__name__ = f"unique({', '.join(names)})"
    return rule


def in_roster(*names: str):
    """Names of members should be in the branch's roster (warning)."""
    def rule(rows: list[Row], ctx: Context):
        if ctx.roster is None:
            if rows:
                yield Issue("no-roster", WARNING, "系统中还没有本支部的党员花名册，无法核对姓名",
                            sheet=rows[0].sheet, hint="请先提交本支部《党员花名册》")
            return
        known = {m.name for m in ctx.roster}
        for row in rows:
            for name in names:
                value = row.get(name) if row.ok(name) else None
                for person in (value if isinstance(value, tuple) else (value,)):
                    if person and person not in known:
                        yield row.issue(name, "not-in-roster", f"“{person}”不在本支部党员花名册中",
                                        "请核对姓名是否有错别字；新转入党员请先更新花名册", WARNING)
    rule.__name__ = f"in_roster({', '.join(names)})"
    return rule


def attendance(present: str = "实到人数", expected: str = "应到人数"):
    def rule(rows: list[Row], ctx: Context):
        for row in rows:
            if row.ok(present, expected) and row.get(present) > row.get(expected):
                yield row.issue(present, "attendance-exceeds",
                                f"实到人数 {row.get(present)} 多于应到人数 {row.get(expected)}",
                                "请核对人数；列席人员不计入实到人数")
    return rule


# --- A 党员信息 -----------------------------------------------------------------------

def birth_date(row: Row) -> dt.date | None:
    """The exact birth date where the row tells it: 出生年月 with its day, else the date inside the ID
    number when it is in the same month, else the first of the 出生年月 month."""
    born = _d(row, "出生年月")
    if born and names_a_day(row.raw.get("出生年月")):
        return born
    if row.ok("身份证号"):
        inside = id_card_birth(row.get("身份证号"))
        if born is None or (inside.year, inside.month) == (born.year, born.month):
            return inside
    return born


def member_dates(rows: list[Row], ctx: Context):
    """18th birthday, 预备期 of 1 year (extendable once by 6–12 months), 正式/预备 vs 转正时间."""
    for row in rows:
        born, joined, full = birth_date(row), _d(row, "入党时间"), _d(row, "转正时间")
        if born and joined and joined < add_years(born, 18):
            yield row.issue("入党时间", "under-18", f"入党时间 {joined} 时未满18周岁（出生年月 {born:%Y-%m}）",
                            "请核对入党时间或出生年月")
        status = row.get("人员类别") if row.ok("人员类别") else None
        if status == "预备党员" and full:
            yield row.issue("转正时间", "probationary-with-date", "人员类别为预备党员，却填写了转正时间",
                            "已转正的请把人员类别改为“正式党员”；未转正的请清空转正时间")
            continue
        if joined and full:
            if full <= joined:
                yield row.issue("转正时间", "date-order", f"转正时间 {full} 不晚于入党时间 {joined}",
                                "转正时间应在入党时间之后")
            elif full < add_years(joined, 1) or full > add_years(joined, 2):
                yield row.issue("转正时间", "probation-period",
                                f"转正时间 {full} 与入党时间 {joined} 相隔不符合规定",
                                f"预备期为1年（应于 {add_years(joined, 1)} 后转正），延长最多一次且不超过1年"
                                f"（最晚 {add_years(joined, 2)}）")
        if status == "正式党员" and "转正时间" not in row.bad and not full:
            yield row.issue("转正时间", "full-member-no-date", "正式党员须填写转正时间", "请填写转正日期，如 2020-06-30")
        if status == "预备党员" and joined and ctx.as_of and ctx.as_of > add_years(joined, 1) and not full:
            yield row.issue("人员类别", "probation-overdue",
                            f"入党时间 {joined}，预备期已于 {add_years(joined, 1)} 期满，仍为预备党员",
                            "请及时讨论其转正；已转正的请更新人员类别和转正时间", WARNING)


def id_card_agrees(rows: list[Row], ctx: Context):
    """The birth date and sex inside the ID number agree with 出生年月 and 性别 (warning)."""
    for row in rows:
        if not row.ok("身份证号"):
            continue
        number = row.get("身份证号")
        inside = id_card_birth(number)
        born = _d(row, "出生年月")
        exact = born is not None and names_a_day(row.raw.get("出生年月"))
        if born and ((born != inside) if exact else (born.year, born.month) != (inside.year, inside.month)):
            shown = born.isoformat() if exact else f"{born:%Y-%m}"
            yield row.issue("身份证号", "id-card-mismatch",
                            f"身份证号中的出生日期 {inside} 与出生年月 {shown} 不一致",
                            "请核对身份证号或出生年月", WARNING)
        if row.ok("性别") and row.get("性别") != id_card_sex(number):
            yield row.issue("身份证号", "id-card-mismatch",
                            f"身份证号显示性别为{id_card_sex(number)}，与填写的“{row.get('性别')}”不一致",
                            "请核对身份证号或性别", WARNING)


def activist_period(rows: list[Row], ctx: Context):
    for row in rows:
        a, b = _d(row, "确定为入党积极分子时间"), _d(row, "确定为发展对象时间")
        if a and b and a <= b < add_years(a, 1):
            yield row.issue("确定为发展对象时间", "activist-too-short",
                            f"确定为入党积极分子（{a}）后不满1年即确定为发展对象", "培养考察期一般应在1年以上",
                            WARNING)


def probation_record(rows: list[Row], ctx: Context):
    for row in rows:
        if row.ok("入党介绍人") and len(row.get("入党介绍人")) != 2:
            yield row.issue("入党介绍人", "introducers", f"入党介绍人应为2名，当前为{len(row.get('入党介绍人'))}名",
                            "多个姓名请用顿号分隔，如 张三、李四")
        joined = _d(row, "接收为预备党员时间")
        if joined:
            yield from _probation_dates(row, joined)


def _probation_dates(row: Row, joined: dt.date):
    """预备期 is 1 year; extended once by 6–12 months (延长预备期 = 是); 转正 is at its end."""
    expiry, full = _d(row, "预备期满时间"), _d(row, "转正时间")
    extended = row.get("延长预备期") is True
    year_end = add_years(joined, 1)
    if expiry and not extended and expiry != year_end:
        yield row.issue("预备期满时间", "probation-extension", f"预备期满时间 {expiry} 不是接收后满1年（{year_end}），"
                        "但未填写延长预备期", "未延长的预备期为1年；延长的请在“延长预备期”填“是”")
        return
    if expiry and extended and not add_years(joined, 1, 6) <= expiry <= add_years(joined, 2):
        yield row.issue("预备期满时间", "probation-extension", f"预备期延长到 {expiry}，延长时间不在6～12个月之内",
                        f"延长预备期只能一次，时间为6～12个月：期满应在 {add_years(joined, 1, 6)} 至 {add_years(joined, 2)} 之间")
        return
    if not full or full <= joined:
        return
    end = expiry or year_end
    if extended and not expiry:
        if add_years(joined, 1, 6) <= full <= add_years(joined, 2):
            return
        end = None
    if full != end:
        when = f"预备期满之日 {end}" if end else f"{add_years(joined, 1, 6)} 至 {add_years(joined, 2)} 之间（延长后期满之日）"
        yield row.issue("转正时间", "probation-period", f"转正时间 {full} 不是预备期满之日",
                        f"预备党员的转正时间为{when}；未按期讨论转正的应及时讨论，延长预备期须填写“延长预备期”")


# --- B 组织生活 -----------------------------------------------------------------------

_VOTES = re.compile(r"赞成\s*(\d+)\s*票")


def _load_patterns(path) -> dict[str, re.Pattern]:
    """data/votes.toml: what a vote and an election are called, as data (one regular expression)."""
    data = tomllib.loads(path.read_text("utf-8"))
    return {kind: re.compile("|".join(f"(?:{p})" for p in data[kind]["patterns"])) for kind in ("vote", "election")}


MEANINGS = _load_patterns(DATA / "votes.toml")


def is_vote(text: str) -> bool:
    return bool(MEANINGS["vote"].search(re.sub(r"\s", "", text or "")))


def is_election(text: str) -> bool:
    return bool(MEANINGS["election"].search(re.sub(r"\s", "", text or "")))


def quorum(rows: list[Row], ctx: Context):
    """支部党员大会 with a vote and 支部委员会: more than half present; motions by majority."""
    for row in rows:
        if not row.ok("实到人数", "应到人数"):
            continue
        present, expected = row.get("实到人数"), row.get("应到人数")
        if present > expected:
            continue   # attendance() reports it
        topic = f"{row.get('议题') or ''} {row.get('决议事项') or ''}"
        voting = row.item == "B1" and is_vote(topic)
        if row.item == "B1" and is_election(topic) and present * 5 <= expected * 4:
            yield row.issue("实到人数", "election-quorum",
                            f"选举须有应到会人数五分之四以上到会，实到 {present} 人，应到 {expected} 人",
                            f"至少应到 {expected * 4 // 5 + 1} 人")
        elif (voting or row.item == "B2") and present * 2 <= expected:
            what = "有表决事项的支部党员大会" if voting else "支部委员会"
            yield row.issue("实到人数", "quorum", f"{what}须有半数以上应到人员到会，实到 {present} 人，应到 {expected} 人",
                            f"至少应到 {expected // 2 + 1} 人")
        decision = f"{row.get('决议事项') or ''} {row.get('会议内容') or ''}"
        votes = _VOTES.search(decision)
        if votes and "通过" in decision and "未通过" not in decision:
            entitled = expected
            if row.item == "B1" and ctx.roster is not None and row.ok("日期"):
                full = [m for m in ctx.members_on(as_date(row.get("日期"))) if m.status == "正式党员"]
                entitled = len(full) or expected
            if int(votes[1]) * 2 <= entitled:
                yield row.issue("决议事项", "vote-not-passed",
                                f"赞成 {votes[1]} 票未超过有表决权人数 {entitled} 的半数，决议不能通过",
                                f"须超过半数（至少 {entitled // 2 + 1} 票）；预备党员无表决权", WARNING)


def roster_attendance(rows: list[Row], ctx: Context):
    """支部党员大会: 应到 should match the roster on that day (warning)."""
    if ctx.roster is None:
        return
    for row in rows:
        if row.item == "B1" and row.ok("应到人数", "日期"):
            count = len(ctx.members_on(as_date(row.get("日期"))))
            if count and row.get("应到人数") != count:
                yield row.issue("应到人数", "attendance-roster",
                                f"应到人数 {row.get('应到人数')} 与花名册当日党员数 {count} 不一致",
                                "支部党员大会应到人数一般为全体党员数", WARNING)


# --- C 党费 ---------------------------------------------------------------------------

def dues_amount(rows: list[Row], ctx: Context):
    """月应缴党费 = the §5 amount for the base; 减免 needs an approval reference."""
    day = ctx.as_of or ctx.received
    for row in rows:
        if not row.ok("党员身份") or "计算基数" in row.bad or "缴纳比例" in row.bad:
            continue
        identity, base = row.get("党员身份"), row.get("计算基数")
        note = str(row.get("备注") or "")
        exempt = "减免" in note
        if exempt and not re.search(r"〔\d{4}〕|\[\d{4}\]|\d+号|文号|批复", note):
            yield row.issue("备注", "dues-no-approval", "减免党费须经上级党委批准，备注中未见批准文号",
                            "请在备注写明批准文号，如“减免，院党委〔2026〕5号”", WARNING)
        if identity in ("在职教职工", "离退休") and not base and not exempt:
            hint = "在职填税后月工资收入，离退休填基本离退休费；确有困难的，经批准后在备注写明减免及批准文号"
            if base is None:
                yield row.issue("计算基数", "required", f"党员身份为{identity}，须填写计算基数", hint)
            else:
                yield row.issue("计算基数", "dues-no-base", f"党员身份为{identity}，计算基数不能为 0（未经批准减免）", hint)
            continue
        expected = ctx.dues.expected(identity, base, day)
        if expected is None:
            continue
        if expected.rate is not None and row.ok("缴纳比例") and row.get("缴纳比例") != expected.rate:
            yield row.issue("缴纳比例", "dues-rate-mismatch",
                            f"缴纳比例应为 {percent_text(expected.rate)}，填写的是 {percent_text(row.get('缴纳比例'))}",
                            expected.explain(base))
        if not row.ok("月应缴党费"):
            continue
        amount = row.get("月应缴党费")
        if exempt:
            if amount > expected.high:
                yield row.issue("月应缴党费", "dues-mismatch", f"标注减免，但月应缴党费 {amount} 元高于规定的 {expected.high} 元",
                                expected.explain(base))
            continue
        if not expected.low <= amount <= expected.high:
            target = f"{expected.low}" if expected.exact else f"{expected.low}～{expected.high}"
            yield row.issue("月应缴党费", "dues-mismatch", f"月应缴党费应为 {target} 元，填写的是 {amount} 元",
                            expected.explain(base) + "；自愿多交请在收缴登记的实缴金额中体现")


_FLAG_ISSUES = {      # engine flag → (issue code, the cell it points at); the words are the engine's
    "连续未交": ("dues-unpaid-6-months", "姓名"),
    "少缴": ("dues-underpaid", "实缴金额"),
    "大额": ("dues-large-voluntary", "实缴金额"),
    "补交": ("dues-lump-sum", "缴纳日期"),
}


def dues_payments(rows: list[Row], ctx: Context):
    """The dues engine's flags for the payments in this sheet, each at its cell (warnings)."""
    year = ctx.year or (ctx.as_of or ctx.received).year
    payments, first_row = [], {}
    for row in rows:
        if not row.ok("姓名", "月份", "实缴金额"):
            continue
        first_row.setdefault(row.get("姓名"), row)
        if row.get("月份")[0] == year:
            payments.append(Payment.from_record(row.values, row))
        else:
            month = row.get("月份")
            yield row.issue("月份", "other-year", f"月份 {month[0]}-{month[1]:02d} 不在本表的 {year} 年度内，未计入本年度收缴",
                            f"请把 {month[0]} 年的交纳登记在 {month[0]} 年度的收缴登记表中；补交往年党费请在备注写明", WARNING)
    if not payments:
        return
    last = min(months_so_far(year, ctx.as_of or ctx.received), 12)
    members = members_dues(year, last, ctx.roster, ctx.dues_bases or [], payments, ctx.dues)
    for flag in dues_flags(members, last, payments):
        if flag.kind not in _FLAG_ISSUES:
            continue                        # 不在花名册: the roster rule says it, at the name
        code, column = _FLAG_ISSUES[flag.kind]
        hint = flag.advice
        row = flag.payment.ref if flag.payment is not None else first_row.get(flag.name)
        if row is None:
            yield Issue(code, WARNING, flag.text + "（收缴登记中没有其记录）", sheet=rows[0].sheet, value=flag.name,
                        hint=hint)
            continue
        if column == "缴纳日期" and not row.ok("缴纳日期"):
            column = "备注" if row.ok("备注") else "实缴金额"
        yield row.issue(column, code, flag.text, hint, WARNING)


# --- E 综合, F 述职 ------------------------------------------------------------------

def branch_committee(rows: list[Row], ctx: Context):
    for row in rows:
        start, end = _d(row, "本届任期开始"), _d(row, "本届任期结束")
        if start and end and end <= start:
            yield row.issue("本届任期结束", "date-order", f"任期结束 {end} 不晚于任期开始 {start}")
        elif start and end and end > add_years(start, 3):
            yield row.issue("本届任期结束", "term-too-long", f"任期 {start} 至 {end} 超过3年",
                            f"党支部委员会每届任期3年，应不晚于 {add_years(start, 3)}")
        elif end and ctx.as_of and end < ctx.as_of:
            yield row.issue("本届任期结束", "term-expired", f"本届任期已于 {end} 届满，请及时换届",
                            "换届须报上级党组织批准", WARNING)
        if ctx.roster is not None:
            full = sum(1 for m in ctx.roster if m.status == "正式党员")
            for post in ("组织委员", "宣传委员"):
                if full >= COMMITTEE_FROM and post not in row.bad and not row.get(post):
                    yield row.issue(post, "committee-missing", f"本支部有正式党员 {full} 人，应设支部委员会，{post}不能为空",
                                    "正式党员7人以上的党支部设立支部委员会（3～5人）")


def election_quorum(rows: list[Row], ctx: Context):
    for row in rows:
        if row.ok("实到人数", "应到人数") and row.get("实到人数") <= row.get("应到人数"):
            present, expected = row.get("实到人数"), row.get("应到人数")
            if present * 5 <= expected * 4:
                yield row.issue("实到人数", "election-quorum",
                                f"选举须有应到会人数五分之四以上到会，实到 {present} 人，应到 {expected} 人",
                                f"至少应到 {expected * 4 // 5 + 1} 人")


def ballots(rows: list[Row], ctx: Context):
    for row in rows:
        votes = ("好", "较好", "一般", "差")
        if not row.ok(*votes):
            continue
        total = sum(row.get(v) for v in votes)
        if row.ok("实参评人数") and total != row.get("实参评人数"):
            yield row.issue("实参评人数", "count-mismatch",
                            f"好、较好、一般、差票数之和 {total} 与实参评人数 {row.get('实参评人数')} 不符",
                            "请核对各项票数或实参评人数")
        if row.ok("实参评人数", "应参评人数") and row.get("实参评人数") > row.get("应参评人数"):
            yield row.issue("实参评人数", "attendance-exceeds",
                            f"实参评人数 {row.get('实参评人数')} 多于应参评人数 {row.get('应参评人数')}")


def remittance_period(rows: list[Row], ctx: Context):
    """C3 所属期间 must say which months it covers (上缴 is judged per period, §7), and not a
    period that has not begun by the day it was remitted."""
    for row in rows:
        if not row.ok("所属期间"):
            continue
        day = as_date(row.get("上缴日期")) if row.ok("上缴日期") else None
        months = period_months(row.raw.get("所属期间"), day or ctx.as_of or ctx.received)
        if isinstance(months, Bad):
            yield row.issue("所属期间", months.code, months.message, months.hint)
        elif day is not None and months[0] > (day.year, day.month):
            yield row.issue("所属期间", "date-order", f"所属期间从{months[0][0]}年{months[0][1]}月开始，"
                            f"晚于上缴日期 {day.isoformat()}", "请核对所属期间和上缴日期", WARNING)


def registry_rules(rows: list[Row], ctx: Context):
    for row in rows:
        if row.ok("党员人数") and row.get("党员人数") < 3:
            yield row.issue("党员人数", "too-few-members", f"党员人数 {row.get('党员人数')} 人，不足3人",
                            "正式党员3人以上的单位应成立党支部；不足3人的可成立联合党支部", WARNING)


MEETING_RULES = (attendance(), quorum, roster_attendance, unique("日期", "议题"), in_roster("主持人", "记录人"))

RULES: dict[str, tuple] = {
    "Z1": (unique("党支部"), registry_rules),
    "A1": (member_dates, id_card_agrees, unique("姓名", unless="身份证号"), unique("身份证号")),
    "A2": (dates_in_order("递交入党申请书时间", "确定为入党积极分子时间", "确定为发展对象时间"), activist_period,
           unique("姓名")),
    "A3": (dates_in_order("接收为预备党员时间", "预备期满时间"), dates_in_order("接收为预备党员时间", "转正时间"),
           probation_record, unique("姓名"), in_roster("姓名")),
    "A5": (in_roster("姓名"),),
    "B": MEETING_RULES,
    **{f"B{i}": MEETING_RULES for i in range(1, 9)},
    "C1": (dues_amount, unique("姓名", unless="生效月份"), in_roster("姓名")),
    "C2": (dues_payments, in_roster("姓名")),
    "C3": (remittance_period,),
    "D1": (in_roster("党员姓名"),),
    "D3": (dates_in_order("承诺时间", "完成时限"), in_roster("党员姓名")),
    "D4": (dates_in_order("收到日期", "办结日期"),),
    "E1": (branch_committee, dates_in_order("成立时间", "本届任期开始")),
    "E3": (attendance(), election_quorum, dates_in_order("选举日期", "上级批复日期")),
    "E6": (dates_in_order("检查日期", "整改时限"),),
    "F1": (ballots, unique("测评对象")),
}


def rules_for(code: str) -> tuple:
    return RULES.get(code, ())
