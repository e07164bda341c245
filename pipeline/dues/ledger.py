"""THE dues engine: per member and month, 应缴 (with 减免), 实缴, the reason in words, and the flags.

Every reader goes through here — C2 validation warnings, the 收缴簿, the 登记证, the 公示, the record
book, the duty report and the monthly check — so a rule of §5 changes in one place:

- `month_due` is the one computation of 应缴 for a member-month (C1 base × rate, or the fixed
  amount; an approved 减免 is what is due, possibly 0);
- `unpaid_runs` is the one computation of "连续N个月未交纳" (any run in the year, not only the last);
- `dues_flags` turns the months into flags (连续未交, 少缴, 大额自愿多交, 一次补交/预交过多, 不在花名册);
- `members_dues` is pure (records in, months out); `branch_dues` loads a branch's year from the store.

应缴 starts in the month the member was admitted (A1 入党时间). The year's bases come from that year's
C1 (and its later C1s with a 生效月份); without one, the latest earlier year's (`bases_year` says which).
Money is Decimal all the way.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from pipeline.dues.rates import DuesRules, percent_text
from pipeline.core.values import Bad, as_date, period_months

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

ZERO = Decimal("0.00")
UNPAID_RUN = 6                        # 党章第九条: 连续六个月不交纳党费
LARGE_VOLUNTARY = Decimal("1000")     # 规定: 一次自愿多交1000元以上，单独登记、全额上缴
LUMP_MONTHS = 6                       # 补交/预交 一般一次不超过6个月
_LUMP_NOTE = re.compile(r"(?:补交|预交|补缴|预缴)\D{0,4}(\d+)\s*个?月")


ADVICE = {       # the rule behind each flag, in the words the register and the receipts both use
    "连续未交": "党章第九条：连续六个月不交纳党费又无正当理由的，按自行脱党处理，请支部核实",
    "少缴": "请核实是否少缴；经批准减免的，请在党费基数核定表备注中写明减免及批准文号",
    "大额": "一次自愿多交1000元以上的党费须单独登记、全额上缴",
    "补交": "补交、预交一般一次不超过6个月",
}


def months_so_far(year: int, today: dt.date) -> int:
    """The months of `year` that have come by `today`: all 12 of a past year."""
    return 12 if year < today.year else (today.month if year == today.year else 0)


def months_ended(year: int, today: dt.date) -> int:
    """The months of `year` that have ended by `today` (a month ends after its last day): what a
    monthly inspection can judge (§7)."""
    return months_so_far(year, today) - (1 if year == today.year else 0)


@dataclass(frozen=True)
class Payment:
    """One 实缴 of a C2 record (a grid cell or a row)."""
    name: str
    month: int
    amount: Decimal
    paid_on: dt.date | None = None
    collector: str | None = None
    stated_due: Decimal | None = None     # 应缴金额 as written in C2: used where no C1 base says
    note: str = ""
    ref: object = None                    # the validation Row it came from (to place a warning)

    @classmethod
    def from_record(cls, record: dict, ref=None) -> "Payment":
        return cls(record["姓名"], record["月份"][1], record.get("实缴金额") or ZERO, as_date(record.get("缴纳日期")),
                   record.get("收缴人"), record.get("应缴金额"), str(record.get("备注") or ""), ref)


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
    owed: set = field(default_factory=set)         # months a member (admitted) so far
    due: dict = field(default_factory=dict)        # month → MonthDue (absent: no base known, or not a member)
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


@dataclass(frozen=True)
class Flag:
    kind: str          # 连续未交 少缴 大额 补交 不在花名册
    name: str
    text: str          # what happened, in words
    months: tuple[int, ...] = ()
    day: dt.date | None = None
    payment: Payment | None = None       # the payment it is about, where there is one
    advice: str = ""   # the rule behind it and what to do

    @property
    def full(self) -> str:
        return f"{self.text}——{self.advice}" if self.advice else self.text


@dataclass
class BranchDues:
    branch: str
    year: int
    last_month: int
    members: list[MemberDues]
    flags: list[Flag]
    remitted: list[dict]                   # C3 上缴 rows
    uses: list[dict]                       # C4 rows (党费 and 活动经费)
    bases_year: int | None = None          # the year whose C1 gave the bases (earlier: 沿用)
    returned: list[dict] = field(default_factory=list)    # C3 返还 rows: dues the higher committee returned
    activity_fund: Decimal | None = None   # §6 支部活动经费 granted for the year (None: not known)

    @property
    def collected(self) -> Decimal:
        return sum((m.paid_total for m in self.members), ZERO)

    @property
    def due(self) -> Decimal:
        return sum((m.due_total for m in self.members), ZERO)

    def by_month(self) -> list[tuple[int, Decimal, Decimal]]:
        """(month, 应缴, 实缴) of the branch for each month of the year so far — the same member ×
        month figures whose sums are `due` and `collected`."""
        return [(month, sum((m.due[month].amount for m in self.members if month in m.due), ZERO),
                 sum((m.paid.get(month, ZERO) for m in self.members), ZERO))
                for month in range(1, max(self.last_month, 0) + 1)]

    @property
    def remitted_total(self) -> Decimal:
        return sum((r["金额"] for r in self.remitted), ZERO)

    @property
    def dues_used(self) -> Decimal:
        return sum((u["金额"] for u in self.uses if u.get("资金来源") == "党费"), ZERO)

    @property
    def spent_total(self) -> Decimal:
        """All spending recorded in C4 (党费 and 活动经费)."""
        return sum((u["金额"] for u in self.uses), ZERO)

    @property
    def bases_note(self) -> str:
        """"沿用2025年核定基数" when the year has no C1 of its own — every dues document says so."""
        if self.bases_year is not None and self.bases_year < self.year:
            return f"沿用{self.bases_year}年核定基数"
        return ""

    @property
    def bases_remark(self) -> str:
        """The note in brackets, to follow a sentence ("" when the year's own bases are used)."""
        return f"（{self.bases_note}）" if self.bases_note else ""

    # --- the three accounts of §5, never mixed ----------------------------------------------

    @property
    def to_remit(self) -> Decimal:
        """党费收缴: collected − remitted (待上缴). Negative means more was remitted than collected."""
        return self.collected - self.remitted_total

    @property
    def returned_total(self) -> Decimal:
        return sum((r["金额"] for r in self.returned), ZERO)

    @property
    def dues_use_balance(self) -> Decimal | None:
        """党费使用: returned − spent from dues; None when no return is recorded (nothing to set against)."""
        return self.returned_total - self.dues_used if self.returned else None

    @property
    def activity_used(self) -> Decimal:
        return sum((u["金额"] for u in self.uses if u.get("资金来源") == "活动经费"), ZERO)

    @property
    def activity_balance(self) -> Decimal | None:
        return self.activity_fund - self.activity_used if self.activity_fund is not None else None

    @property
    def account_flags(self) -> list[str]:
        """What does not add up between the accounts (the software flags, people check)."""
        out = []
        if self.to_remit < 0:
            out.append(f"上缴党费{self.remitted_total:.2f}元，多于本年实缴{self.collected:.2f}元（多{-self.to_remit:.2f}元），请核对上缴登记")
        if self.dues_used and not self.returned:
            out.append(f"党费支出{self.dues_used:.2f}元，但未登记上级党委返还的党费（党费上缴登记中类型填“返还”）")
        elif self.dues_use_balance is not None and self.dues_use_balance < 0:
            out.append(f"党费支出{self.dues_used:.2f}元，超过上级返还的{self.returned_total:.2f}元")
        return out

    @property
    def collection_text(self) -> str:
        """THE sentence of the 党费收缴 account (公示, 工作记录本, 述职报告 say the same)."""
        text = f"本年实缴党费{self.collected:.2f}元，已向上级党组织上缴{self.remitted_total:.2f}元"
        if self.to_remit >= 0:
            return text + f"，待上缴{self.to_remit:.2f}元"
        return text + f"，上缴多于实缴{-self.to_remit:.2f}元（请核对）"

    @property
    def use_text(self) -> str:
        """THE sentence of the 党费使用 account."""
        if not self.returned and not self.dues_used:
            return "本年未使用党费"
        if not self.returned:
            return f"使用党费{self.dues_used:.2f}元（未登记上级返还金额）"
        balance = self.dues_use_balance
        return f"上级党委返还党费{self.returned_total:.2f}元，使用{self.dues_used:.2f}元，" + \
            (f"结余{balance:.2f}元" if balance >= 0 else f"超支{-balance:.2f}元（请核对）")

    @property
    def activity_text(self) -> str:
        """THE sentence of the 活动经费 account (§6), kept apart from dues."""
        if self.activity_fund is None:
            return f"支部活动经费支出{self.activity_used:.2f}元"
        return f"支部活动经费下拨{self.activity_fund:.2f}元，支出{self.activity_used:.2f}元，结余{self.activity_balance:.2f}元"


def month_due(record: dict, month: int, year: int, rules: DuesRules) -> MonthDue:
    """THE 应缴 of one member-month from the C1 record in force. An approved 减免 (备注) is what is
    due, possibly 0; otherwise the rules of §5, or the stated amount where they cannot say."""
    base, identity = record.get("计算基数"), record.get("党员身份")
    stated = record.get("月应缴党费") or ZERO
    note = str(record.get("备注") or "")
    if "减免" in note:
        return MonthDue(month, base, None, stated, f"减免（{note}），月应缴 {stated} 元", exempt=True)
    expected = rules.expected(identity, base, dt.date(year, month, 1))
    if expected is None:
        return MonthDue(month, base, None, stated, f"按核定表 {stated} 元")
    amount = expected.low if expected.exact else stated
    return MonthDue(month, base, expected.rate, amount, expected.explain(base))


def _first_month(joined: dt.date | None, year: int) -> int | None:
    """The first month of `year` a member owes dues (admitted that month); None if admitted later."""
    if joined is None or joined.year < year:
        return 1
    return joined.month if joined.year == year else None


def members_dues(year: int, last: int, roster: list | None, bases: list[tuple[int, dict]],
                 payments: list[Payment], rules: DuesRules) -> list[MemberDues]:
    """Per member: the months owed so far (`last`) with their 应缴, and what was paid. Pure.

    `roster` (A1 members) may be None when no roster is known; `bases` are (effective month, C1
    record), earliest first."""
    by_member: dict = defaultdict(list)
    for start, record in sorted(bases, key=lambda b: b[0]):
        by_member[record["姓名"]].append((start, record))
    known = {m.name: m for m in roster or ()}
    stated = {(p.name, p.month): p.stated_due for p in payments if p.stated_due is not None}
    members: dict[str, MemberDues] = {}
    for name in dict.fromkeys([*known, *by_member, *(p.name for p in payments)]):
        person = known.get(name)
        entry = members[name] = MemberDues(
            name, identity=(person.identity if person else "") or "", status=(person.status if person else "") or "",
            joined=person.joined if person else None, in_roster=person is not None or roster is None)
        first = _first_month(entry.joined, year)
        for month in range(first or 13, last + 1):
            entry.owed.add(month)
            current = [r for start, r in by_member.get(name, []) if start <= month]
            if current:
                entry.due[month] = month_due(current[-1], month, year, rules)
                entry.identity = entry.identity or current[-1].get("党员身份", "")
            elif stated.get((name, month)) is not None:
                entry.due[month] = MonthDue(month, None, None, stated[(name, month)], "按收缴登记表所填应缴金额")
    for p in payments:
        entry = members[p.name]
        entry.paid[p.month] = entry.paid.get(p.month, ZERO) + p.amount
        if p.paid_on:
            entry.paid_on[p.month] = p.paid_on
        if p.collector:
            entry.collector[p.month] = p.collector
    return list(members.values())


def unpaid_runs(member: MemberDues, last: int) -> list[list[int]]:
    """THE runs of consecutive months owed and not paid (an approved 0 is never unpaid), in order."""
    runs, run = [], []
    for month in range(1, last + 1):
        due = member.due.get(month)
        owes = month in member.owed and not (due is not None and due.amount == 0)
        if owes and member.paid.get(month, ZERO) == 0:
            run.append(month)
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    return runs


def dues_flags(members: list[MemberDues], last: int, payments: list[Payment] = ()) -> list[Flag]:
    """What the branch must look at (the software flags, people decide)."""
    out = []
    first_payment = {}
    for p in payments:
        first_payment.setdefault((p.name, p.month), p)
    for m in members:
        if not m.in_roster:
            out.append(Flag("不在花名册", m.name, f"{m.name} 交了党费，但不在本支部花名册中"))
        for run in unpaid_runs(m, last):
            if len(run) >= UNPAID_RUN:
                out.append(Flag("连续未交", m.name, f"{m.name} 连续{len(run)}个月（{run[0]}月～{run[-1]}月）未交纳党费",
                                tuple(run), advice=ADVICE["连续未交"]))
        for month, due in sorted(m.due.items()):
            paid = m.paid.get(month, ZERO)
            payment = first_payment.get((m.name, month))
            if 0 < paid < due.amount:
                out.append(Flag("少缴", m.name, f"{m.name} {month}月应缴 {due.amount} 元，实缴 {paid} 元", (month,),
                                payment=payment, advice=ADVICE["少缴"]))
            if paid - due.amount >= LARGE_VOLUNTARY:
                out.append(Flag("大额", m.name, f"{m.name} {month}月自愿多交 {paid - due.amount} 元（1000元以上）",
                                (month,), payment=payment, advice=ADVICE["大额"]))
        by_day: dict = defaultdict(list)
        for month, day in m.paid_on.items():
            by_day[day].append(month)
        for day, months in sorted(by_day.items()):
            if len(months) > LUMP_MONTHS:
                out.append(Flag("补交", m.name, f"{m.name} 于 {day} 一次交纳 {len(months)} 个月党费",
                                tuple(sorted(months)), day, first_payment.get((m.name, min(months))), ADVICE["补交"]))
    for p in payments:
        claimed = _LUMP_NOTE.search(p.note)
        if claimed and int(claimed[1]) > LUMP_MONTHS:
            out.append(Flag("补交", p.name, f"{p.name} 一次{claimed[0][:2]}{claimed[1]}个月党费",
                            (p.month,), p.paid_on, p, ADVICE["补交"]))
    return out


def activity_fund(ws: Workspace, branch: str, year: int, roster: list | None = None) -> tuple[int, Decimal]:
    """§6: (members at the start of the year, 支部活动经费 = per-member rate × them) — THE figure of
    the 下拨表 and of the branch's own accounts. `roster`: the branch's, when the caller has it."""
    start = dt.date(year, 1, 1)
    roster = (roster if roster is not None else ws.store.roster(branch, year)) or []
    members = sum(1 for m in roster if m.joined is None or m.joined <= start)
    return members, ws.funding()["per_member"] * members


def branch_dues(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> BranchDues:
    """A branch's dues year as every document shows it."""
    today = today or dt.date.today()
    last = months_so_far(year, today)
    bases, bases_year = ws.store.dues_bases(branch, year)
    payments = [Payment.from_record(r) for r in ws.store.active_records("C2", branch)
                if r.get("月份") and r["月份"][0] == year]
    roster = ws.store.roster(branch, year)
    members = members_dues(year, last, roster, bases, payments, ws.dues)
    c3 = ws.store.records_in_year("C3", branch, year, "上缴日期")
    return BranchDues(branch, year, last, members, dues_flags(members, last, payments),
                      [r for r in c3 if r.get("类型") != "返还"],
                      ws.store.records_in_year("C4", branch, year, "日期"), bases_year,
                      [r for r in c3 if r.get("类型") == "返还"], activity_fund(ws, branch, year, roster)[1])


def remitted_months(record: dict) -> tuple:
    """THE months ((year, month), …) a stored C3 上缴 record covers (empty when its 所属期间 cannot
    be read, and for a 返还 row, which remits nothing)."""
    if record.get("类型") == "返还":
        return ()
    months = period_months(record.get("所属期间") or "", as_date(record.get("上缴日期")))
    return () if isinstance(months, Bad) else months


def rate_text(due: MonthDue | None) -> str:
    if due is None or due.rate is None:
        return "定额" if due is not None else ""
    return percent_text(due.rate)
