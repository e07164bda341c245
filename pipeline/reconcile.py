"""Dues per member and month, with the reason, reconciled against what was paid.

应缴 comes from the C1 base tables (a later C1 with a 生效月份 takes over from that month), judged
by the rules of §5 (`dues.DuesRules`) and starting from the month the member was admitted
(A1 入党时间). 实缴 comes from C2. Money is Decimal all the way.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .dues import DuesRules, _pct
from .values import as_date
from .workspace import Workspace

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthDue:
    month: int
    base: Decimal | None
    rate: Decimal | None
    amount: Decimal
    why: str
    exempt: bool = False


@dataclass
class MemberDues:
    name: str
    identity: str = ""
    status: str = ""
    joined: dt.date | None = None
    in_roster: bool = True
    due: dict = field(default_factory=dict)        # month → MonthDue (absent: not yet a member)
    paid: dict = field(default_factory=dict)       # month → Decimal
    paid_on: dict = field(default_factory=dict)    # month → 缴纳日期
    collector: dict = field(default_factory=dict)  # month → 收缴人

    @property
    def due_total(self) -> Decimal:
        return sum((d.amount for d in self.due.values()), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    @property
    def shortfall(self) -> Decimal:
        """少缴/欠缴 over the months due so far; voluntary extra in one month does not offset another."""
        return sum((max(d.amount - self.paid.get(m, ZERO), ZERO) for m, d in self.due.items() if not d.exempt), ZERO)

    def first_base(self) -> MonthDue | None:
        return next(iter(sorted(self.due.items())), (None, None))[1]


@dataclass
class Flag:
    kind: str          # 少缴 欠缴 多交 大额 补交 连续未交 不在花名册
    name: str
    text: str


@dataclass
class BranchDues:
    branch: str
    year: int
    last_month: int
    members: list[MemberDues]
    flags: list[Flag]
    remitted: list[dict]
    uses: list[dict]

    @property
    def collected(self) -> Decimal:
        return sum((m.paid_total for m in self.members), ZERO)

    @property
    def due(self) -> Decimal:
        return sum((m.due_total for m in self.members), ZERO)

    @property
    def remitted_total(self) -> Decimal:
        return sum((r["金额"] for r in self.remitted), ZERO)

    @property
    def dues_used(self) -> Decimal:
        return sum((u["金额"] for u in self.uses if u.get("资金来源") == "党费"), ZERO)

    @property
    def balance(self) -> Decimal:
        """党费结余 = 收缴 − 上缴 − 党费支出 (activity funds are accounted separately)."""
        return self.collected - self.remitted_total - self.dues_used


def _bases(records: list[dict]) -> dict[str, list[tuple[int, dict]]]:
    """member → [(effective month, C1 record)] sorted; a record without 生效月份 starts in January."""
    by_member: dict = defaultdict(list)
    for record in records:
        month = record.get("生效月份")
        by_member[record["姓名"]].append((month[1] if month else 1, record))
    return {name: sorted(rows, key=lambda r: r[0]) for name, rows in by_member.items()}


def month_due(record: dict, month: int, year: int, rules: DuesRules) -> MonthDue:
    base, identity = record.get("计算基数"), record.get("党员身份")
    stated = record.get("月应缴党费") or ZERO
    note = str(record.get("备注") or "")
    expected = rules.expected(identity, base, dt.date(year, month, 1))
    if "减免" in note:
        return MonthDue(month, base, None, stated, f"减免（{note}），月应缴 {stated} 元", exempt=True)
    if expected is None:
        return MonthDue(month, base, None, stated, f"按核定表 {stated} 元")
    why = expected.explain(base)
    amount = expected.low if expected.exact else stated
    return MonthDue(month, base, expected.rate, amount, why)


def branch_dues(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> BranchDues:
    today = today or dt.date.today()
    last = 12 if year < today.year else today.month
    rules = ws.dues
    c1 = [r for r in ws.store.active_records("C1", branch) if _c1_year(r, year)]
    bases = _bases(c1)
    roster = {m.name: m for m in (ws.store.roster(branch, year) or [])}
    members: dict[str, MemberDues] = {}
    for name in [*roster, *bases]:
        if name in members:
            continue
        person = roster.get(name)
        entry = MemberDues(name, in_roster=person is not None,
                           identity=(person.identity if person else "") or "",
                           status=(person.status if person else "") or "", joined=person.joined if person else None)
        for month in range(1, last + 1):      # due so far: up to this month of the current year
            if entry.joined and (entry.joined.year, entry.joined.month) > (year, month):
                continue            # 预备党员 pay from the month the 支部大会 admits them
            current = [r for start, r in bases.get(name, []) if start <= month]
            if current:
                entry.due[month] = month_due(current[-1], month, year, rules)
                entry.identity = entry.identity or current[-1].get("党员身份", "")
        members[name] = entry
    for record in ws.store.active_records("C2", branch):
        month = record.get("月份")
        if not month or month[0] != year:
            continue
        entry = members.get(record["姓名"])
        if entry is None:
            entry = members[record["姓名"]] = MemberDues(record["姓名"], in_roster=False)
        entry.paid[month[1]] = entry.paid.get(month[1], ZERO) + (record.get("实缴金额") or ZERO)
        if record.get("缴纳日期"):
            entry.paid_on[month[1]] = as_date(record["缴纳日期"])
        if record.get("收缴人"):
            entry.collector[month[1]] = record["收缴人"]
    remitted = [r for r in ws.store.active_records("C3", branch) if as_date(r.get("上缴日期"))
                and as_date(r["上缴日期"]).year == year]
    uses = [r for r in ws.store.active_records("C4", branch) if as_date(r.get("日期")) and as_date(r["日期"]).year == year]
    result = BranchDues(branch, year, last, list(members.values()), [], sorted(remitted, key=lambda r: r["上缴日期"]),
                        sorted(uses, key=lambda r: r["日期"]))
    result.flags = flags(result)
    return result


def _c1_year(record: dict, year: int) -> bool:
    month = record.get("生效月份")
    return month is None or month[0] == year


def flags(book: BranchDues) -> list[Flag]:
    out = []
    for m in book.members:
        if not m.in_roster:
            out.append(Flag("不在花名册", m.name, f"{m.name} 交了党费，但不在本支部花名册中"))
        run: list[int] = []
        for month in range(1, book.last_month + 1):
            due = m.due.get(month)
            paid = m.paid.get(month, ZERO)
            if due is not None and not due.exempt:
                if paid == 0:
                    run.append(month)
                else:
                    if len(run) >= 6:
                        out.append(_unpaid(m.name, run))
                    run = []
                    if paid < due.amount:
                        out.append(Flag("少缴", m.name, f"{m.name} {month}月应缴 {due.amount} 元，实缴 {paid} 元"))
            if due is not None and paid - due.amount >= 1000:
                out.append(Flag("大额", m.name, f"{m.name} {month}月自愿多交 {paid - due.amount} 元（1000元以上，须单独登记、全额上缴）"))
        if len(run) >= 6:
            out.append(_unpaid(m.name, run))
        by_day: dict = defaultdict(list)
        for month, day in m.paid_on.items():
            by_day[day].append(month)
        for day, months in by_day.items():
            if len(months) > 6:
                out.append(Flag("补交", m.name, f"{m.name} 于 {day} 一次交纳 {len(months)} 个月党费（一般不超过6个月）"))
    return out


def _unpaid(name: str, months: list[int]) -> Flag:
    return Flag("连续未交", name, f"{name} 连续{len(months)}个月（{months[0]}月～{months[-1]}月）未交纳党费——"
                              "党章第九条：连续六个月不交纳党费又无正当理由的，按自行脱党处理，请支部核实")


def rate_text(due: MonthDue | None) -> str:
    if due is None or due.rate is None:
        return "定额" if due is not None else ""
    return _pct(due.rate)
