"""Monthly inspection over the six aspects (LEDGER-FORMATS.md §7).

The standard is data (`data/standard.toml`, or `standard.toml` in the workspace): points with an
aspect, a text, a score, the period it is due in, and either an automatic rule named here or
"manual". Each rule looks at the store as of the end of the month and returns (verdict, evidence)
— the evidence is the text a secretary reads: "11月未召开支部委员会", "已谈话12/17人".

How a point is judged (§7): a verdict is 达标 or 未达标 only when the point is due and can be
judged. A point whose period has not ended is 未到期 (its evidence shows progress), one the branch
is not required to meet — or that has no data to judge — is 不适用, a manual point inspectors have
not scored is 待评分: all three are left out of both the score and the maximum, so 得分率 = score /
applicable maximum compares branches fairly.
"""
from __future__ import annotations

import calendar
import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pipeline import DATA
from pipeline.core.formats import COMMITTEE_FROM, MEETING_TYPES, NEEDS_PHOTOS
from pipeline.dues.ledger import branch_dues, months_ended, remitted_months
from pipeline.checking.rules import add_years, is_election, is_vote
from pipeline.core.values import as_date
from pipeline.workspace import Workspace

ASPECTS = ("组织健全", "制度完善", "运行规范", "活动经常", "档案齐全", "作用突出")
QUARTER_NAMES = "一二三四"


NA = "不适用"            # not required of this branch, or nothing to judge by
LATER = "未到期"         # the point's period has not ended: progress, not a verdict
PENDING = "待评分"       # a manual point not yet scored
SCORED = "已评分"         # a manual point inspectors scored
PASS, FAIL = "达标", "未达标"
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Point:
    id: str
    aspect: str
    text: str
    score: Decimal
    rule: str
    period: str = "month"              # when it is due: every month, a quarter's last month, December
    before_due: str = ""               # how it reads before it is due (standard.toml says)
    not_applicable: str = ""           # when it does not apply
    duty: str = "书记"                  # who answers for it by the committee's division of duties
    measures: tuple[str, ...] = ()     # the 整改措施 library for it
    problem: str = ""                  # an event point: how the 问题清单 says it was missed (months listed)

    def due_in(self, month: int) -> bool:
        return self.period == "month" or (self.period == "quarter" and month % 3 == 0) or \
            (self.period == "year" and month == 12)


@dataclass
class Outcome:
    point: Point
    score: Decimal | None          # None: not counted (不适用, 未到期, 待评分)
    evidence: str
    passed: bool | None = None     # None: not judged
    state: str = PASS

    @property
    def counted(self) -> bool:
        return self.score is not None


@dataclass
class BranchCheck:
    branch: str
    year: int
    month: int
    outcomes: list[Outcome]

    @property
    def total(self) -> Decimal:
        return sum((o.score for o in self.outcomes if o.score is not None), Decimal(0))

    @property
    def full(self) -> Decimal:
        """The applicable maximum: points judged (or scored by inspectors) this month."""
        return sum((o.point.score for o in self.outcomes if o.counted), Decimal(0))

    @property
    def rate(self) -> Decimal | None:
        """得分率 = score / applicable maximum (None when nothing could be judged)."""
        return self.total / self.full if self.full else None

    def aspect(self, name: str) -> Decimal:
        return sum((o.score for o in self.outcomes if o.point.aspect == name and o.counted), Decimal(0))

    def aspect_full(self, name: str) -> Decimal:
        return sum((o.point.score for o in self.outcomes if o.point.aspect == name and o.counted), Decimal(0))

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def gaps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed is False]


def load_standard(ws: Workspace | None = None) -> list[Point]:
    path = ws.home / "standard.toml" if ws is not None and (ws.home / "standard.toml").exists() else \
        DATA / "standard.toml"
    from pipeline.core.issues import PipelineError
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        points = [Point(str(p["id"]), p["aspect"], p["text"], Decimal(str(p["score"])), p.get("rule", "manual"),
                        p.get("period", "month"), p.get("before_due", ""), p.get("not_applicable", ""),
                        p.get("duty", "书记"), tuple(p.get("measures", ())), p.get("problem", ""))
                  for p in data["point"]]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ArithmeticError) as e:
        raise PipelineError(f"考核标准 {path} 写法有误：{e}") from None
    unknown = [p.rule for p in points if p.rule != "manual" and p.rule not in RULES]
    if unknown:
        raise PipelineError(f"考核标准 {path} 中有未知的自动规则：{'、'.join(unknown)}")
    periods = [f"{p.id}（{p.period}）" for p in points if p.period not in PERIODS]
    if periods:
        raise PipelineError(f"考核标准 {path} 中检查周期只能是 month、quarter 或 year：{'、'.join(periods)}")
    return points


def submission_due(ws: Workspace, year: int, month: int) -> dt.date:
    """The day a month's records are due at the 组织部: the submission schedule's day for the
    组织生活 records (default the 5th of the next month) — the same day the 台账总览 uses;
    `[assessment] submit_day` in taizhang.toml still overrides it."""
    configured = ws.section("assessment").get("submit_day")
    if configured is None:
        from pipeline.checking.schedule import load_schedule
        entry = load_schedule(ws.home).monthly_for("B")
        if entry is not None:
            return entry.due_on(year, month)
    day = int(configured or 5)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following.replace(day=min(max(day, 1), calendar.monthrange(following.year, following.month)[1]))


@dataclass
class Facts:
    """What the store says about one branch as of the end of one month (the month has ended)."""
    ws: Workspace
    branch: str
    year: int
    month: int
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    @cached_property
    def roster(self):
        return [m for m in (self.ws.store.roster(self.branch, self.year) or []) if m.joined is None or m.joined <= self.end]

    @cached_property
    def has_roster(self) -> bool:
        return bool(self.roster)

    @cached_property
    def roster_records(self) -> list[dict]:
        return self.ws.store.active_records("A1", self.branch, str(self.year)) or \
            self.ws.store.active_records("A1", self.branch)

    @cached_property
    def full_members(self) -> int:
        return sum(1 for m in self.roster if m.status == "正式党员")

    @cached_property
    def groups(self) -> set[str]:
        return {r.get("所在党小组") for r in self.roster_records if r.get("所在党小组")}

    @cached_property
    def basic(self) -> dict | None:
        found = self.ws.store.active_records("E1", self.branch)
        return found[0] if found else None

    @cached_property
    def needs_committee(self) -> bool:
        """A 支部委员会 is required from 7 full members; a smaller branch that holds 支委会 has one."""
        return self.full_members >= COMMITTEE_FROM or bool(self.meetings("B2"))

    def meetings(self, code: str) -> list[dict]:
        return self._meetings[code]

    @cached_property
    def _meetings(self) -> dict[str, list[dict]]:
        out = {}
        for code in MEETING_TYPES:
            out[code] = self.ws.store.records_in_year(code, self.branch, self.year, "日期", self.end)
        return out

    def in_month(self, code: str) -> list[dict]:
        return [r for r in self.meetings(code) if as_date(r["日期"]).month == self.month]

    def in_quarter(self, code: str) -> list[dict]:
        return [r for r in self.meetings(code) if (as_date(r["日期"]).month - 1) // 3 + 1 == self.quarter]

    def records(self, item: str, date_field: str) -> list[dict]:
        return self.ws.store.records_in_year(item, self.branch, self.year, date_field, self.end)

    @cached_property
    def dues(self):
        return branch_dues(self.ws, self.branch, self.year, self.end)

    @cached_property
    def paid_any(self) -> bool:
        """Whether any payment of the year is recorded (without a C2 nothing can be said of arrears)."""
        return any(m.paid for m in self.dues.members)

    @property
    def submit_by(self) -> dt.date:
        return submission_due(self.ws, self.year, self.month)

    @cached_property
    def received(self) -> dict[str, dt.datetime]:
        """Items the branch had submitted (accepted) this year by the month's due day — or by the day
        the check runs, if that is earlier: a file received later cannot have counted."""
        return self.ws.store.items_received(self.branch, dt.date(self.year, 1, 1), min(self.submit_by, self.today))

    @cached_property
    def received_late(self) -> dict[str, dt.datetime]:
        """Items first received after the due day (up to the day the check runs)."""
        if self.today <= self.submit_by:
            return {}
        found = self.ws.store.items_received(self.branch, self.submit_by + dt.timedelta(days=1), self.today)
        return {item: day for item, day in found.items() if item not in self.received}

    @cached_property
    def open_rejections(self) -> list[str]:
        """Files whose latest submission this year was rejected (not yet corrected)."""
        latest = self.ws.store.latest_statuses(self.branch, self.year, self.end)
        return [name for name, status in latest.items() if status == "rejected"]


def _d(day) -> str:
    day = as_date(day)
    return f"{day.month}月{day.day}日"


def _held(records: list[dict], what: str, when: str) -> tuple[bool, str]:
    if records:
        return True, f"{when}召开{what}{len(records)}次（{'、'.join(_d(r['日期']) for r in records)}）"
    return False, f"{when}未召开{what}"


NO_ROSTER = "未提交花名册，无法判断"


# --- the automatic rules: (verdict, evidence), verdict True / False / NA / LATER --------------

def member_count(f: Facts):
    """§7: 3 or more full members, at most 50 members in all (正式 and 预备)."""
    if not f.has_roster:
        return NA, NO_ROSTER
    n, total = f.full_members, len(f.roster)
    text = f"党员{total}人（正式党员{n}人）"
    if n < 3:
        return False, text + "，正式党员不足3人"
    if total > 50:
        return False, text + "，超过50人，应考虑分设党支部"
    return True, text


def committee_set(f: Facts):
    if not f.has_roster:
        return NA, NO_ROSTER
    if f.full_members < COMMITTEE_FROM:
        return NA, f"正式党员{f.full_members}人，不需设支部委员会"
    b = f.basic or {}
    missing = [post for post in ("组织委员", "宣传委员") if not b.get(post)]
    return not missing, "支部委员会健全" if not missing else f"未配备{'、'.join(missing)}"


def term_current(f: Facts):
    b = f.basic
    if not b or not as_date(b.get("本届任期结束")):
        return False, "未提交支部基本情况（任期）"
    end = as_date(b["本届任期结束"])
    return end >= f.end, f"本届任期至{end:%Y年%m月%d日}" + ("" if end >= f.end else "，已届满未换届")


def secretary_set(f: Facts):
    b = f.basic or {}
    registry = {r["党支部"]: r for r in f.ws.store.registry()}
    name = b.get("书记") or registry.get(f.branch, {}).get("书记")
    return bool(name), f"书记：{name}" if name else "未配备支部书记"


def groups_set(f: Facts):
    if not f.has_roster:
        return NA, NO_ROSTER
    if len(f.roster) < 10:
        return NA, f"党员{len(f.roster)}人，可不划分党小组"
    return bool(f.groups), f"党小组{len(f.groups)}个" if f.groups else "花名册中未划分党小组"


def roster_current(f: Facts):
    found = bool(f.ws.store.active_records("A1", f.branch, str(f.year)))
    return found, "本年度花名册已提交" if found else f"{f.year}年度花名册未提交"


def probation_on_time(f: Facts):
    """A 预备党员 past the end of the 预备期 — the extended end where A3 records an approved extension."""
    probationers = [m for m in f.roster if m.status == "预备党员" and m.joined]
    if not probationers:
        return NA, "本支部没有预备党员" if f.has_roster else NO_ROSTER
    extended = {r["姓名"]: as_date(r["预备期满时间"]) for r in f.ws.store.active_records("A3", f.branch)
                if r.get("延长预备期") is True and as_date(r.get("预备期满时间"))}
    late = [m.name for m in probationers if extended.get(m.name, add_years(m.joined, 1)) < f.end]
    return not late, "预备党员均在预备期内" if not late else f"{'、'.join(late)}预备期已满未转正"


def plan_submitted(f: Facts):
    found = any(r.get("年度") == f.year and r.get("类型") == "计划" for r in f.ws.store.active_records("E2", f.branch))
    if not found and f.month < 2:
        return LATER, "本年度工作计划尚未提交（2月底前制定）"
    return found, "本年度工作计划已提交" if found else "未提交本年度工作计划"


def dues_base_current(f: Facts):
    found = any(r.get("生效月份") is None or r["生效月份"][0] == f.year
                for r in f.ws.store.active_records("C1", f.branch, str(f.year)))
    return found, "本年度党费基数已核定" if found else f"未提交{f.year}年度党费基数核定表"


def three_meetings_month(f: Facts):
    """The composite agrees with its parts: the month's 支委会 and 党小组会 where the branch has a
    committee and groups, and at a quarter's end its 党员大会 and 党课."""
    parts = [("支部委员会", committee_meeting_month(f)), ("党小组会", group_meeting_month(f))]
    if f.month % 3 == 0:
        parts += [("支部党员大会", general_meeting_quarter(f)), ("党课", lecture_quarter(f))]
    judged = [(name, verdict) for name, (verdict, _) in parts if verdict in (True, False)]
    if not judged:
        return NA, "本月没有须召开的“三会一课”（未设支部委员会、未划分党小组）"
    missing = [name for name, verdict in judged if verdict is False]
    names = "、".join(name for name, _ in judged)
    return not missing, f"本月“三会一课”按要求召开（{names}）" if not missing else \
        f"{f.month}月未按要求召开：{'、'.join(missing)}"


def _yearly(code: str, f: Facts):
    held = f.meetings(code)
    name = MEETING_TYPES[code][0]
    if held:
        return True, f"本年度已召开{name}{len(held)}次（{'、'.join(_d(r['日期']) for r in held)}）"
    return False, f"本年度尚未召开{name}"


def life_meeting_year(f: Facts):
    return _yearly("B6", f)


def appraisal_year(f: Facts):
    return _yearly("B7", f)


def talks_coverage(f: Facts):
    """§7: by the end of the year the 书记 and 支委 have talked with every member at least once. Due
    in December (period "year"); before that the evidence is the progress."""
    if not f.has_roster:
        return NA, NO_ROSTER
    talked = {r.get("谈话对象") for r in f.meetings("B8")} | {r.get("谈话人") for r in f.meetings("B8")}
    talked.discard(None)
    covered = sum(1 for m in f.roster if m.name in talked)
    progress = f"已谈话{covered}/{len(f.roster)}人（谈心谈话{len(f.meetings('B8'))}次）"
    missing = len(f.roster) - covered
    return missing == 0, progress if missing == 0 else progress + f"，还有{missing}名党员未谈话"


def committee_meeting_month(f: Facts):
    if not f.needs_committee:
        return NA, "未设支部委员会" if f.has_roster else NO_ROSTER
    return _held(f.in_month("B2"), "支部委员会", f"{f.month}月")


def general_meeting_quarter(f: Facts):
    return _held(f.in_quarter("B1"), "支部党员大会", f"第{QUARTER_NAMES[f.quarter - 1]}季度")


def group_meeting_month(f: Facts):
    held = f.in_month("B3")
    if not f.groups:
        return NA, "未划分党小组"
    ok = len(held) >= len(f.groups)
    return ok, f"{f.month}月党小组会{len(held)}次（党小组{len(f.groups)}个）" + ("" if ok else "，未全覆盖")


def lecture_quarter(f: Facts):
    ok, text = _held(f.in_quarter("B4"), "党课", f"第{QUARTER_NAMES[f.quarter - 1]}季度")
    return ok, text.replace("召开党课", "上党课").replace("未召开党课", "未上党课")


def records_complete(f: Facts):
    judged = [(code, r) for code in MEETING_TYPES if code != "B8" for r in f.in_month(code)]
    if not judged:
        return NA, f"{f.month}月没有会议记录"
    bad = [f"{_d(r['日期'])}{MEETING_TYPES[code][0]}缺席人员未写明原因" for code, r in judged
           if r.get("实到人数") is not None and r.get("应到人数") is not None
           and r["实到人数"] < r["应到人数"] and not r.get("缺席人员及原因")]
    return not bad, "本月会议记录要素齐全" if not bad else "；".join(bad)


def quorum_met(f: Facts):
    """支部委员会, and 支部党员大会 that voted, need more than half present (an election 4/5). Not
    applicable in a month without such a meeting."""
    judged = [(c, r) for c in ("B1", "B2") for r in f.in_month(c)
              if (c == "B2" or is_vote(f"{r.get('议题') or ''} {r.get('决议事项') or ''}"))
              and r.get("实到人数") is not None and r.get("应到人数")]
    if not judged:
        return NA, f"{f.month}月没有须过半数到会的会议"
    bad = [f"{_d(r['日期'])}{MEETING_TYPES[c][0]}" for c, r in judged if r["实到人数"] * 2 <= r["应到人数"]
           or (is_election(f"{r.get('议题') or ''} {r.get('决议事项') or ''}")
               and r["实到人数"] * 5 <= r["应到人数"] * 4)]
    return not bad, "本月会议到会人数均符合规定" if not bad else f"到会人数不足：{'、'.join(bad)}"


def dues_full_month(f: Facts):
    owed = [m for m in f.dues.members if f.month in m.due]
    if not owed:
        return NA, f"未提交党费基数核定表、收缴登记中也没有应缴金额，{f.month}月是否足额无法判断"
    if not f.paid_any:
        return NA, f"未提交{f.year}年党费收缴登记，{f.month}月是否足额无法判断"
    short = [m.name for m in owed if m.paid.get(f.month, Decimal(0)) < m.due[f.month].amount]
    return not short, f"{f.month}月党费足额收缴" if not short else f"{f.month}月未足额交纳：{'、'.join(short[:8])}" + \
        (f"等{len(short)}人" if len(short) > 8 else "")


def no_lapsed_members(f: Facts):
    if not f.paid_any:
        return NA, f"未提交{f.year}年党费收缴登记，无法判断"
    lapsed = sorted({flag.name for flag in f.dues.flags if flag.kind == "连续未交"})
    return not lapsed, "无连续6个月未交党费的党员" if not lapsed else \
        f"{len(lapsed)}名党员连续6个月以上未交纳党费（{'、'.join(lapsed)}）"


def remittance_on_time(f: Facts):
    """§7: judged per 所属期间 — a quarter is due once it has ended (remitted in the month after) if
    dues were collected in it, and only a remittance whose 所属期间 covers the quarter, dated by the
    end of the checked month, counts (a Q1 remittance does not cover Q2)."""
    if not f.paid_any:
        return NA, f"未提交{f.year}年党费收缴登记，无法判断"
    collected = {month for m in f.dues.members for month, amount in m.paid.items() if amount > 0}
    due_quarters = [q for q in range(1, 5) if q * 3 < f.month and collected & set(range(q * 3 - 2, q * 3 + 1))]
    if not due_quarters:
        return NA, "本年度尚无到期的季度上缴（季度结束后次月上缴）"
    covered = {month for r in f.ws.store.active_records("C3", f.branch)
               if as_date(r.get("上缴日期")) and as_date(r["上缴日期"]) <= f.end
               for year, month in remitted_months(r) if year == f.year}
    missing = [q for q in due_quarters if not set(range(q * 3 - 2, q * 3 + 1)) <= covered]
    return not missing, f"第{'、'.join(QUARTER_NAMES[q - 1] for q in due_quarters)}季度党费均已上缴" if not missing \
        else f"第{'、'.join(QUARTER_NAMES[q - 1] for q in missing)}季度党费未上缴"


def theme_day_month(f: Facts):
    return _held(f.in_month("B5"), "主题党日", f"{f.month}月")


def meetings_with_photos(f: Facts):
    held = [r for c in sorted(NEEDS_PHOTOS) for r in f.in_month(c)]
    if not held:
        return NA, "本月无需附照片的活动"
    without = [f"{_d(r['日期'])}{r.get('会议类型', '')}" for r in held if not r.get("照片")]
    return not without, "本月活动均有照片" if not without else f"以下活动无照片：{'、'.join(without)}"


def _exists(item: str, date_field: str, what: str):
    def rule(f: Facts):
        n = len(f.records(item, date_field))
        return n > 0, f"本年度已有{what}记录{n}次" if n else f"本年度尚无{what}记录"
    rule.__name__ = f"exists_{item}"
    return rule


def _ledger(category: str, name: str):
    """A submission point: the category's ledgers received by the month's due day (§7)."""
    def rule(f: Facts):
        have = sorted(i for i in f.received if i.startswith(category))
        due = f"{f.submit_by.month}月{f.submit_by.day}日"
        if have:
            return True, f"{name}已于{due}前报送"
        if f.today < f.submit_by:
            return LATER, f"{name}报送期限为{due}，截至{_d(f.today)}尚未报送"
        late = sorted({_d(day) for item, day in f.received_late.items() if item.startswith(category)})
        return False, f"{name}未在{due}前报送" + (f"（{'、'.join(late)}补报）" if late else "")
    rule.__name__ = f"ledger_{category.lower()}"
    return rule


def no_open_rejections(f: Facts):
    open_ = f.open_rejections
    return not open_, "无退回未改的台账" if not open_ else f"退回后尚未改正：{'、'.join(open_[:5])}"


def rectification_on_time(f: Facts):
    items = f.ws.store.active_records("E6", f.branch)
    if not items:
        return NA, "没有需要整改的问题"
    late = [r for r in items if as_date(r.get("整改时限")) and as_date(r["整改时限"]) < f.end
            and r.get("完成情况") != "已完成"]
    return not late, "整改事项均按期完成" if not late else \
        f"逾期未完成整改：{'；'.join(str(r.get('发现问题')) for r in late[:3])}"


def suggestions_handled(f: Facts):
    if not f.records("D4", "收到日期"):
        return NA, "本年度未收到群众意见建议"
    open_ = [r for r in f.records("D4", "收到日期") if not r.get("办结日期")
             and (f.end - as_date(r["收到日期"])).days > 30]
    return not open_, "群众意见建议均已办结" if not open_ else f"{len(open_)}件意见建议超过30天未办结"


RULES = {
    "member_count": member_count, "committee_set": committee_set, "term_current": term_current,
    "secretary_set": secretary_set, "groups_set": groups_set, "roster_current": roster_current,
    "probation_on_time": probation_on_time, "plan_submitted": plan_submitted, "dues_base_current": dues_base_current,
    "three_meetings_month": three_meetings_month, "life_meeting_year": life_meeting_year,
    "appraisal_year": appraisal_year, "talks_coverage": talks_coverage,
    "committee_meeting_month": committee_meeting_month, "general_meeting_quarter": general_meeting_quarter,
    "group_meeting_month": group_meeting_month, "lecture_quarter": lecture_quarter,
    "records_complete": records_complete, "quorum_met": quorum_met, "dues_full_month": dues_full_month,
    "no_lapsed_members": no_lapsed_members, "remittance_on_time": remittance_on_time,
    "theme_day_month": theme_day_month, "meetings_with_photos": meetings_with_photos,
    "study_year": _exists("E4", "日期", "学习教育"), "volunteering_year": _exists("D2", "日期", "志愿服务"),
    "contacts_year": _exists("D1", "联系时间", "联系群众"), "promises_year": _exists("D3", "承诺时间", "承诺践诺"),
    "honours_year": _exists("E5", "日期", "获得表彰"),
    "ledger_a": _ledger("A", "党员信息台账"), "ledger_b": _ledger("B", "党组织生活台账"),
    "ledger_c": _ledger("C", "党费台账"), "ledger_d": _ledger("D", "联系服务群众台账"),
    "ledger_e": _ledger("E", "综合台账"), "no_open_rejections": no_open_rejections,
    "rectification_on_time": rectification_on_time, "suggestions_handled": suggestions_handled,
}


def judge(point: Point, facts: Facts) -> Outcome:
    """One automatic point: the rule's verdict, then 未到期 if its period has not ended."""
    verdict, evidence = RULES[point.rule](facts)
    if verdict is NA:
        return Outcome(point, None, evidence, None, NA)
    if verdict is LATER or not point.due_in(facts.month):
        return Outcome(point, None, evidence, None, LATER)
    return Outcome(point, point.score if verdict else Decimal(0), evidence, bool(verdict), PASS if verdict else FAIL)


def manual_scores(ws: Workspace, branch: str, year: int, month: int) -> dict[str, tuple[Decimal, str]]:
    """Inspectors' scores from the filled 月度检查人工评分表 (item M1) for this month."""
    found = {}
    for r in ws.store.active_records("M1", None, f"{year:04d}-{month:02d}"):
        if r.get("党支部") == branch and r.get("得分") is not None:
            found[str(r["检查项编号"])] = (r["得分"], r.get("说明") or (f"检查人：{r['检查人']}" if r.get("检查人") else ""))
    return found


def check_branch(ws: Workspace, branch: str, year: int, month: int, standard: list[Point] | None = None,
                 today: dt.date | None = None) -> BranchCheck:
    """The branch's inspection of one month. The month must have ended (§7)."""
    today = today or dt.date.today()
    if month > months_ended(year, today):
        from pipeline.core.issues import PipelineError
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        raise PipelineError(f"{year}年{month}月尚未结束，不能做月度检查：最早在{following.year}年{following.month}月"
                            f"{following.day}日检查（检查看的是月底以前的记录）")
    standard = standard or load_standard(ws)
    facts = Facts(ws, branch, year, month, today)
    manual = manual_scores(ws, branch, year, month)
    outcomes = []
    for point in standard:
        if point.rule != "manual":
            outcomes.append(judge(point, facts))
        elif point.id in manual:
            score, note = manual[point.id]
            score = min(score, point.score)
            outcomes.append(Outcome(point, score, note or "人工评分", None, SCORED))
        else:
            outcomes.append(Outcome(point, None, "待检查人员评分", None, PENDING))
    return BranchCheck(branch, year, month, outcomes)


def year_checks(ws: Workspace, branch: str, year: int, today: dt.date) -> list[BranchCheck]:
    """The branch's inspection for every month of the year that has ended (the 述职 and the year end use them)."""
    standard = load_standard(ws)
    return [check_branch(ws, branch, year, month, standard, today)
            for month in range(1, months_ended(year, today) + 1)]


def checks_to_json(checks: list[BranchCheck]) -> list[dict]:
    """A branch's inspections as JSON (kept beside its year-end documents, for the college's part)."""
    return [{"branch": c.branch, "year": c.year, "month": c.month,
             "outcomes": [{"point": o.point.id, "score": None if o.score is None else str(o.score),
                           "evidence": o.evidence, "passed": o.passed, "state": o.state} for o in c.outcomes]}
            for c in checks]


def checks_from_json(data: list[dict], standard: list[Point]) -> list[BranchCheck] | None:
    """The inspections back, their points from the standard in force; None when they do not fit it
    (a point removed or renamed since): then they are made again."""
    points = {p.id: p for p in standard}
    try:
        return [BranchCheck(c["branch"], int(c["year"]), int(c["month"]),
                            [Outcome(points[o["point"]], None if o["score"] is None else Decimal(o["score"]),
                                     o["evidence"], o["passed"], o["state"]) for o in c["outcomes"]])
                for c in data]
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def check_all(ws: Workspace, year: int, month: int, branches: list[str] | None = None,
              today: dt.date | None = None) -> list[BranchCheck]:
    standard = load_standard(ws)
    names = branches or [r["党支部"] for r in ws.store.registry()]
    return [check_branch(ws, name, year, month, standard, today) for name in names]


def aspect_counts(standard: list[Point]) -> Counter:
    return Counter(p.aspect for p in standard)
