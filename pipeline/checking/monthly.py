"""Monthly inspection over the six aspects (LEDGER-FORMATS.md §7).

The standard is data (`data/standard.toml`, or `standard.toml` in the workspace): points with an
aspect, a text, a score and either an automatic rule named here or "manual". Each rule looks at
the store as of the end of the month and returns (passed, evidence) — the evidence is the text a
secretary reads: "11月未召开支部委员会", "谈心谈话覆盖 12/17 名党员".
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
from pipeline.dues.ledger import branch_dues, months_so_far
from pipeline.checking.rules import add_years, is_election, is_vote
from pipeline.core.values import as_date
from pipeline.workspace import Workspace

ASPECTS = ("组织健全", "制度完善", "运行规范", "活动经常", "档案齐全", "作用突出")
QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Point:
    id: str
    aspect: str
    text: str
    score: Decimal
    rule: str


@dataclass
class Outcome:
    point: Point
    score: Decimal | None          # None: a manual point not yet scored
    evidence: str
    passed: bool | None = None     # None: manual or not applicable


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
        return sum((o.point.score for o in self.outcomes), Decimal(0))

    def aspect(self, name: str) -> Decimal:
        return sum((o.score for o in self.outcomes if o.point.aspect == name and o.score is not None), Decimal(0))

    @property
    def gaps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed is False]


def load_standard(ws: Workspace | None = None) -> list[Point]:
    path = ws.home / "standard.toml" if ws is not None and (ws.home / "standard.toml").exists() else \
        DATA / "standard.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    points = [Point(str(p["id"]), p["aspect"], p["text"], Decimal(str(p["score"])), p.get("rule", "manual"))
              for p in data["point"]]
    unknown = [p.rule for p in points if p.rule != "manual" and p.rule not in RULES]
    if unknown:
        from pipeline.core.issues import PipelineError
        raise PipelineError(f"考核标准 {path} 中有未知的自动规则：{'、'.join(unknown)}")
    return points


@dataclass
class Facts:
    """What the store says about one branch as of the end of one month."""
    ws: Workspace
    branch: str
    year: int
    month: int
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def end(self) -> dt.date:
        return min(dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1]), self.today)

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    @cached_property
    def roster(self):
        return [m for m in (self.ws.store.roster(self.branch, self.year) or []) if m.joined is None or m.joined <= self.end]

    @cached_property
    def roster_records(self) -> list[dict]:
        return self.ws.store.active_records("A1", self.branch, str(self.year)) or \
            self.ws.store.active_records("A1", self.branch)

    @cached_property
    def full_members(self) -> int:
        return sum(1 for m in self.roster if m.status == "正式党员")

    @cached_property
    def basic(self) -> dict | None:
        found = self.ws.store.active_records("E1", self.branch)
        return found[0] if found else None

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
    def ledger_items(self) -> set[str]:
        """Items with a live ledger, whenever received. (Judging by the day of receipt against the
        submission schedule — received by the 5th of the next month — comes with that schedule.)"""
        return self.ws.store.live_items(self.branch)

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


# --- the automatic rules ------------------------------------------------------------------

def member_count(f: Facts):
    n = f.full_members
    return 3 <= n <= 50, f"正式党员{n}人" + ("" if 3 <= n <= 50 else "（应为3～50人）")


def committee_set(f: Facts):
    if f.full_members < COMMITTEE_FROM:
        return None, f"正式党员{f.full_members}人，不需设支部委员会"
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
    groups = {r.get("所在党小组") for r in f.roster_records if r.get("所在党小组")}
    if len(f.roster) < 10:
        return None, f"党员{len(f.roster)}人，可不划分党小组"
    return bool(groups), f"党小组{len(groups)}个" if groups else "花名册中未划分党小组"


def roster_current(f: Facts):
    return "A1" in f.ledger_items and bool(f.ws.store.active_records("A1", f.branch, str(f.year))), \
        ("本年度花名册已提交" if f.ws.store.active_records("A1", f.branch, str(f.year)) else f"{f.year}年度花名册未提交")


def probation_on_time(f: Facts):
    """A 预备党员 past the end of the 预备期 — the extended end where A3 records an approved extension."""
    probationers = [m for m in f.roster if m.status == "预备党员" and m.joined]
    if not probationers:
        return None, "本支部没有预备党员"
    extended = {r["姓名"]: as_date(r["预备期满时间"]) for r in f.ws.store.active_records("A3", f.branch)
                if r.get("延长预备期") is True and as_date(r.get("预备期满时间"))}
    late = [m.name for m in probationers if extended.get(m.name, add_years(m.joined, 1)) < f.end]
    return not late, "预备党员均在预备期内" if not late else f"{'、'.join(late)}预备期已满未转正"


def plan_submitted(f: Facts):
    found = any(r.get("年度") == f.year and r.get("类型") == "计划" for r in f.ws.store.active_records("E2", f.branch))
    return found, "本年度工作计划已提交" if found else "未提交本年度工作计划"


def dues_base_current(f: Facts):
    found = any(r.get("生效月份") is None or r["生效月份"][0] == f.year
                for r in f.ws.store.active_records("C1", f.branch, str(f.year)))
    return found, "本年度党费基数已核定" if found else f"未提交{f.year}年度党费基数核定表"


def three_meetings_month(f: Facts):
    missing = [MEETING_TYPES[c][0] for c in ("B2", "B3") if not f.in_month(c)]
    if f.month % 3 == 0:
        missing += [MEETING_TYPES[c][0] for c in ("B1", "B4") if not f.in_quarter(c)]
    return not missing, "本月“三会一课”按要求召开" if not missing else f"{f.month}月未召开：{'、'.join(missing)}"


def _yearly(code: str, f: Facts):
    held = f.meetings(code)
    name = MEETING_TYPES[code][0]
    if held:
        return True, f"已召开{name}（{'、'.join(_d(r['日期']) for r in held)}）"
    if f.quarter < 4:
        return None, f"尚未召开{name}（第四季度起检查）"
    return False, f"本年度未召开{name}"


def life_meeting_year(f: Facts):
    return _yearly("B6", f)


def appraisal_year(f: Facts):
    return _yearly("B7", f)


def talks_coverage(f: Facts):
    """§7: by the end of the year the 书记 and 支委 have talked with every member at least once. Before
    December the point shows progress; it is judged in December."""
    talked = {r.get("谈话对象") for r in f.meetings("B8")} | {r.get("谈话人") for r in f.meetings("B8")}
    talked.discard(None)
    covered = sum(1 for m in f.roster if m.name in talked)
    progress = f"已谈话{covered}/{len(f.roster)}人（谈心谈话{len(f.meetings('B8'))}次）"
    if f.month < 12:
        return None, progress + "，年底前覆盖全体党员"
    missing = len(f.roster) - covered
    return missing == 0, progress if missing == 0 else progress + f"，还有{missing}名党员全年未谈话"


def committee_meeting_month(f: Facts):
    if f.full_members < COMMITTEE_FROM and not f.meetings("B2"):
        return None, "未设支部委员会"
    return _held(f.in_month("B2"), "支部委员会", f"{f.month}月")


def general_meeting_quarter(f: Facts):
    ok, text = _held(f.in_quarter("B1"), "支部党员大会", f"第{QUARTER_NAMES[f.quarter - 1]}季度")
    if not ok and f.month % 3 != 0:
        return None, text + "（季度末检查）"
    return ok, text


def group_meeting_month(f: Facts):
    groups = {r.get("所在党小组") for r in f.roster_records if r.get("所在党小组")}
    held = f.in_month("B3")
    if not groups:
        return None, "未划分党小组"
    ok = len(held) >= len(groups)
    return ok, f"{f.month}月党小组会{len(held)}次（党小组{len(groups)}个）" + ("" if ok else "，未全覆盖")


def lecture_quarter(f: Facts):
    ok, text = _held(f.in_quarter("B4"), "党课", f"第{QUARTER_NAMES[f.quarter - 1]}季度")
    if not ok and f.month % 3 != 0:
        return None, text + "（季度末检查）"
    return ok, text.replace("召开党课", "上党课").replace("未召开党课", "未上党课")


def records_complete(f: Facts):
    bad = []
    for code in MEETING_TYPES:
        for r in f.in_month(code):
            if code != "B8" and r.get("实到人数") is not None and r.get("应到人数") is not None \
                    and r["实到人数"] < r["应到人数"] and not r.get("缺席人员及原因"):
                bad.append(f"{_d(r['日期'])}{MEETING_TYPES[code][0]}缺席人员未写明原因")
    return not bad, "本月会议记录要素齐全" if not bad else "；".join(bad)


def quorum_met(f: Facts):
    """支部委员会, and 支部党员大会 that voted, need more than half present (an election 4/5). Not
    applicable in a month without such a meeting."""
    judged = [(c, r) for c in ("B1", "B2") for r in f.in_month(c)
              if (c == "B2" or is_vote(f"{r.get('议题') or ''} {r.get('决议事项') or ''}"))
              and r.get("实到人数") is not None and r.get("应到人数")]
    if not judged:
        return None, f"{f.month}月没有须过半数到会的会议"
    bad = [f"{_d(r['日期'])}{MEETING_TYPES[c][0]}" for c, r in judged if r["实到人数"] * 2 <= r["应到人数"]
           or (c == "B1" and is_election(str(r.get("议题") or "")) and r["实到人数"] * 5 <= r["应到人数"] * 4)]
    return not bad, "本月会议到会人数均符合规定" if not bad else f"到会人数不足：{'、'.join(bad)}"


def dues_full_month(f: Facts):
    owed = [m for m in f.dues.members if f.month in m.due]
    if not owed:
        return None, f"未提交党费基数核定表、收缴登记中也没有应缴金额，{f.month}月是否足额无法判断"
    short = [m.name for m in owed if not m.due[f.month].exempt
             and m.paid.get(f.month, Decimal(0)) < m.due[f.month].amount]
    return not short, f"{f.month}月党费足额收缴" if not short else f"{f.month}月未足额交纳：{'、'.join(short[:8])}" + \
        (f"等{len(short)}人" if len(short) > 8 else "")


def no_lapsed_members(f: Facts):
    lapsed = [flag.name for flag in f.dues.flags if flag.kind == "连续未交"]
    return not lapsed, "无连续6个月未交党费的党员" if not lapsed else f"{'、'.join(lapsed)}连续6个月以上未交党费"


def remittance_on_time(f: Facts):
    due_quarters = [q for q in range(1, 5) if q * 3 < f.month or (q * 3 == f.month and f.end.day >= 28)]
    if not due_quarters:
        return None, "本年度尚无到期的季度上缴"
    remitted = {(as_date(r["上缴日期"]).month - 1) // 3 + 1 for r in f.dues.remitted}
    missing = [q for q in due_quarters if q not in remitted and q + 1 not in remitted]
    return not missing, "党费按季度上缴" if not missing else \
        f"第{'、'.join(QUARTER_NAMES[q - 1] for q in missing)}季度党费未上缴"


def theme_day_month(f: Facts):
    return _held(f.in_month("B5"), "主题党日", f"{f.month}月")


def meetings_with_photos(f: Facts):
    held = [r for c in sorted(NEEDS_PHOTOS) for r in f.in_month(c)]
    if not held:
        return None, "本月无需附照片的活动"
    without = [f"{_d(r['日期'])}{r.get('会议类型', '')}" for r in held if not r.get("照片")]
    return not without, "本月活动均有照片" if not without else f"无照片：{'、'.join(without)}"


def _exists(item: str, date_field: str, what: str):
    def rule(f: Facts):
        n = len(f.records(item, date_field))
        return n > 0, f"本年度{what}{n}次" if n else f"本年度尚无{what}记录"
    rule.__name__ = f"exists_{item}"
    return rule


def _ledger(category: str, name: str):
    def rule(f: Facts):
        have = sorted(i for i in f.ledger_items if i.startswith(category))
        return bool(have), f"{name}已提交（{'、'.join(have)}）" if have else f"{name}未提交"
    return rule


def no_open_rejections(f: Facts):
    open_ = f.open_rejections
    return not open_, "无退回未改的台账" if not open_ else f"退回后尚未改正：{'、'.join(open_[:5])}"


def rectification_on_time(f: Facts):
    late = [r for r in f.ws.store.active_records("E6", f.branch)
            if as_date(r.get("整改时限")) and as_date(r["整改时限"]) < f.end and r.get("完成情况") != "已完成"]
    return not late, "整改事项均按期完成" if not late else \
        f"逾期未完成整改：{'；'.join(str(r.get('发现问题')) for r in late[:3])}"


def suggestions_handled(f: Facts):
    open_ = [r for r in f.records("D4", "收到日期") if not r.get("办结日期")
             and (f.end - as_date(r["收到日期"])).days > 30]
    if not f.records("D4", "收到日期"):
        return None, "本年度未收到群众意见建议"
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


def manual_scores(ws: Workspace, branch: str, year: int, month: int) -> dict[str, tuple[Decimal, str]]:
    """Inspectors' scores from the filled 月度检查人工评分表 (item M1) for this month."""
    found = {}
    for r in ws.store.active_records("M1", None, f"{year:04d}-{month:02d}"):
        if r.get("党支部") == branch and r.get("得分") is not None:
            found[str(r["检查项编号"])] = (r["得分"], r.get("说明") or (f"检查人：{r['检查人']}" if r.get("检查人") else ""))
    return found


def check_branch(ws: Workspace, branch: str, year: int, month: int, standard: list[Point] | None = None,
                 today: dt.date | None = None) -> BranchCheck:
    standard = standard or load_standard(ws)
    facts = Facts(ws, branch, year, month, today or dt.date.today())
    manual = manual_scores(ws, branch, year, month)
    outcomes = []
    for point in standard:
        if point.rule == "manual":
            if point.id in manual:
                score, note = manual[point.id]
                outcomes.append(Outcome(point, min(score, point.score), note or "人工评分"))
            else:
                outcomes.append(Outcome(point, None, "待检查人员评分"))
            continue
        passed, evidence = RULES[point.rule](facts)
        score = point.score if passed in (True, None) else Decimal(0)
        outcomes.append(Outcome(point, score, evidence + ("（不适用，计满分）" if passed is None else ""), passed))
    return BranchCheck(branch, year, month, outcomes)


def year_checks(ws: Workspace, branch: str, year: int, today: dt.date) -> list[BranchCheck]:
    """The branch's inspection for every month of the year so far (the 述职 and the year end use them)."""
    standard = load_standard(ws)
    return [check_branch(ws, branch, year, month, standard, today)
            for month in range(1, months_so_far(year, today) + 1)]


def check_all(ws: Workspace, year: int, month: int, branches: list[str] | None = None,
              today: dt.date | None = None) -> list[BranchCheck]:
    standard = load_standard(ws)
    names = branches or [r["党支部"] for r in ws.store.registry()]
    return [check_branch(ws, name, year, month, standard, today) for name in names]


def aspect_counts(standard: list[Point]) -> Counter:
    return Counter(p.aspect for p in standard)
