"""The submission schedule (data/schedule.toml) and the 台账状态 it gives: for every branch, every
ledger it owes and every period, whether it has been submitted (通过, with the day), was sent back
and not corrected (退回未改), is still open (待交) or overdue (逾期), or does not apply (不适用).

It is drawn only from what branches already submit (nothing extra to fill in): the evidence of a
month is a record dated in it, of a year an accepted ledger of that year. When a file counts is
the day it was received, whether or not a later file replaced it. The 台账总览 pages, the 催交
notices, `taizhang status` and the monthly check's 按时报送 points all read this one computation.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pipeline import DATA
from pipeline.core.formats import ITEMS
from pipeline.core.issues import Issue, PipelineError
from pipeline.core.values import Bad, as_date, cn_date, month_day, period_months

PASSED, REJECTED, WAITING, OVERDUE, NA = "通过", "退回未改", "待交", "逾期", "不适用"
STATES = (PASSED, REJECTED, WAITING, OVERDUE, NA)
EVERY = ("month", "quarter", "year", "event")
OWNERS = ("支部", "党总支", "组织部")
ORGANISATION = "组织部"
QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
# the three colours of the overview: nothing unfinished · unfinished, not yet due · overdue
GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"


# --- the schedule --------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    name: str
    items: tuple[str, ...]
    by: str = "支部"
    every: str = "month"
    day: int = 5                      # month: the day of the next month
    months_after: int = 1             # quarter: the end of the n-th month after the quarter
    due: str = "12-31"                # year: "MM-DD" or "MM-end"
    next_year: bool = False
    month_field: str | None = None    # which field's month dates a record (default: its own date)
    where: tuple = ()                 # ((field, value), …) a record must match
    applies_if: str | None = None     # another entry whose evidence in a period makes this one due …
    applies_amount: str | None = None  # … where that entry's records show a positive amount in this field
    note: str = ""

    def periods(self, year: int) -> list["Period"]:
        if self.every == "month":
            return [Period(self, year, m, m, f"{m}月", m) for m in range(1, 13)]
        if self.every == "quarter":
            return [Period(self, year, 3 * q - 2, 3 * q, QUARTER_NAMES[q - 1], 3 * q) for q in range(1, 5)]
        if self.every == "year":
            due = self.due_on(year)
            return [Period(self, year, 1, 12, f"{year}年", due.month if due.year == year else 12)]
        return []

    def due_on(self, year: int, last_month: int = 12) -> dt.date:
        if self.every == "month":
            following = _add_months(year, last_month, 1)
            return following.replace(day=min(max(self.day, 1), _month_days(following.year, following.month)))
        if self.every == "quarter":
            target = _add_months(year, last_month, self.months_after)
            return target.replace(day=_month_days(target.year, target.month))
        month_text, day_text = self.due.split("-")
        due_year = year + 1 if self.next_year else year
        month = int(month_text)
        day = _month_days(due_year, month) if day_text == "end" else min(int(day_text), _month_days(due_year, month))
        return dt.date(due_year, month, day)

    def matches(self, record: dict) -> bool:
        return all(str(record.get(name) or "") == value for name, value in self.where)


@dataclass(frozen=True)
class Period:
    entry: Entry
    year: int
    first: int                    # first and last month
    last: int
    label: str                    # 10月 / 第三季度 / 2026年
    grid_month: int               # the month column of the overview it is shown under

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, self.last, _month_days(self.year, self.last))

    @property
    def due(self) -> dt.date:
        return self.entry.due_on(self.year, self.last)

    @property
    def months(self) -> list[tuple[int, int]]:
        return [(self.year, m) for m in range(self.first, self.last + 1)]


@dataclass(frozen=True)
class Schedule:
    entries: tuple[Entry, ...]
    new_branch_days: int = 30
    source: str = ""

    def due(self, by: str | None = None) -> list[Entry]:
        """The entries that can be missing (everything but `event`), optionally of one kind of owner."""
        return [e for e in self.entries if e.every != "event" and (by is None or e.by == by)]

    def entry(self, name: str) -> Entry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def monthly_for(self, item: str) -> Entry | None:
        return next((e for e in self.entries if e.every == "month" and item in e.items), None)


def load_schedule(home: Path | None = None) -> Schedule:
    """The workspace's schedule.toml if it has one, else the shipped default; a clear error when
    the file is wrong. Read once while the file stays as it is (every monthly check asks)."""
    path = home / "schedule.toml" if home is not None and (home / "schedule.toml").exists() else DATA / "schedule.toml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _load_schedule(path, stamp)


@functools.lru_cache(maxsize=16)
def _load_schedule(path: Path, stamp: int | None) -> Schedule:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        entries = tuple(_entry(raw) for raw in data["entry"])
        new_days = int(data.get("new_branch_days", 30))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise PipelineError(f"报送时间表 {path} 写法有误：{exc}") from None
    names = [e.name for e in entries]
    problems = [f"重复的名称“{n}”" for n in sorted({n for n in names if names.count(n) > 1})]
    for e in entries:
        unknown = [code for code in e.items if code not in ITEMS]
        if unknown:
            problems.append(f"“{e.name}”中有未知的台账编号 {'、'.join(unknown)}")
        if e.every not in EVERY:
            problems.append(f"“{e.name}”的 every 只能是 {' / '.join(EVERY)}")
        if e.by not in OWNERS:
            problems.append(f"“{e.name}”的 by 只能是 {' / '.join(OWNERS)}")
        if e.applies_if and e.applies_if not in names:
            problems.append(f"“{e.name}”的 applies_if 指向不存在的“{e.applies_if}”")
        if e.every == "year":
            try:
                e.due_on(2024)
            except ValueError:
                problems.append(f"“{e.name}”的截止日 due = “{e.due}” 应写作 MM-DD 或 MM-end")
    if problems:
        raise PipelineError(f"报送时间表 {path} 有误：" + "；".join(problems))
    return Schedule(entries, new_days, str(path))


def _entry(raw: dict) -> Entry:
    return Entry(str(raw["name"]), tuple(raw["items"]), raw.get("by", "支部"), raw.get("every", "month"),
                 int(raw.get("day", 5)), int(raw.get("months_after", 1)), str(raw.get("due", "12-31")),
                 bool(raw.get("next_year", False)), raw.get("month_field"),
                 tuple((str(k), str(v)) for k, v in (raw.get("where") or {}).items()), raw.get("applies_if"),
                 raw.get("applies_amount"), str(raw.get("note", "")))


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(year: int, month: int, n: int) -> dt.date:
    index = year * 12 + month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# --- what was submitted --------------------------------------------------------------

@dataclass(frozen=True)
class Submitted:
    """One submission as the overview shows it."""
    id: int
    file_name: str
    received: dt.datetime
    status: str
    branch: str | None
    items: tuple[str, ...]
    errors: int
    warnings: int
    receipt: Path | None
    stored: Path | None
    months: frozenset = frozenset()       # ((y, m), …) the rows were dated in (empty: not known)


@dataclass
class Rejection:
    file: Submitted
    first_errors: list[Issue] = field(default_factory=list)


@dataclass
class Cell:
    owner: str
    period: Period
    state: str
    due: dt.date
    received: dt.datetime | None = None
    file: Submitted | None = None
    rejection: Rejection | None = None
    overdue_days: int = 0
    reason: str = ""

    @property
    def entry(self) -> Entry:
        return self.period.entry

    @property
    def late_days(self) -> int:
        """How many days after the due day it was received (0: on time)."""
        return max(0, (self.received.date() - self.due).days) if self.received else 0

    @property
    def unfinished(self) -> bool:
        return self.state in (WAITING, OVERDUE, REJECTED)

    @property
    def colour(self) -> str:
        """green: done · yellow: open but not overdue, or a version passed while an update was sent
        back · red: overdue (also a file sent back and not corrected past the due day) · grey: n/a."""
        if self.state == PASSED:
            return GREEN
        if self.state == NA:
            return GREY
        if self.state == OVERDUE or (self.state == REJECTED and self.received is None and self.overdue_days > 0):
            return RED
        return YELLOW

    def day_text(self, day: dt.date) -> str:
        """11月5日 — with the year when it is not the period's (2027年1月31日)."""
        return month_day(day) if day.year == self.period.year else cn_date(day)

    @property
    def text(self) -> str:
        """One sentence: 通过（11月3日）· 通过（11月27日，逾期22天补交）· 逾期22天（应于11月5日前报送）…"""
        if self.state == PASSED:
            late = f"，逾期{self.late_days}天补交" if self.late_days else ""
            return f"通过（{self.day_text(self.received.date())}{late}）"
        if self.state == OVERDUE:
            return f"逾期{self.overdue_days}天（应于{self.day_text(self.due)}前报送）"
        if self.state == WAITING:
            if self.received is not None:
                return f"本期未结束（已收到{self.day_text(self.received.date())}报送的记录，{self.day_text(self.due)}前报齐）"
            return f"待交（{self.day_text(self.due)}前）"
        if self.state == REJECTED:
            errors = self.rejection.file.errors if self.rejection else 0
            if self.received is not None:
                return f"已通过，更新被退回未改（{errors}处错误；{self.day_text(self.received.date())}通过的版本仍有效）"
            overdue = f"，已逾期{self.overdue_days}天" if self.overdue_days else f"，{self.day_text(self.due)}前改正"
            return f"退回未改（{errors}处错误{overdue}）"
        return f"不适用（{self.reason}）" if self.reason else "不适用"

    @property
    def short(self) -> str:
        """The same in a few characters, for a table cell: 11月27日 · 11月27日补交 · 逾期22天 · 12月5日前交 …"""
        if self.state == PASSED:
            return f"{self.day_text(self.received.date())}{'补交' if self.late_days else ''}"
        if self.state == OVERDUE:
            return f"逾期{self.overdue_days}天"
        if self.state == WAITING:
            return f"{'已报部分，' if self.received else ''}{self.day_text(self.due)}前交"
        if self.state == REJECTED:
            errors = self.rejection.file.errors if self.rejection else 0
            return f"更新被退回（{errors}处错误）" if self.received else f"退回未改（{errors}处错误）"
        return "不适用"

    @property
    def shown_file(self) -> "Submitted | None":
        """The file this cell is about: the file sent back, else the file that passed."""
        return self.rejection.file if self.state == REJECTED and self.rejection else self.file

    @property
    def link(self) -> Path | None:
        """The file a reader opens from this cell: the receipt (a text file every browser shows),
        else the archived original."""
        chosen = self.shown_file
        if chosen is None:
            return None
        return chosen.receipt if chosen.receipt is not None else chosen.stored

    def as_json(self) -> dict:
        return {"单位": self.owner, "台账": self.entry.name, "台账编号": list(self.entry.items),
                "期间": self.period.label, "截止日期": self.due.isoformat(), "状态": self.state,
                "说明": self.text, "颜色": self.colour,
                "报送时间": self.received.isoformat(timespec="minutes") if self.received else None,
                "逾期天数": self.overdue_days, "补交逾期天数": self.late_days,
                "文件": self.shown_file.file_name if self.shown_file else None,
                "回执": str(self.link) if self.link else None}


@dataclass
class Owner:
    name: str
    kind: str                     # 支部 / 党总支 / 组织部
    general: str = ""             # the 党总支 a branch belongs to
    secretary: str = ""
    start: dt.date | None = None  # registered in the year (None: all year)


@dataclass
class Status:
    """The state of every owner × due entry × period of one year, as of `today`."""
    year: int
    today: dt.date
    schedule: Schedule
    owners: list[Owner]
    cells: dict[str, list[Cell]]             # owner → its cells (entry order, then period order)
    open_rejections: dict[str, list[Rejection]]
    files: list[Submitted]                   # every file received in the year, in order received
    started: dt.date | None = None           # the day the first 党组织设置表 was received

    @functools.cached_property
    def branch_numbers(self) -> dict[str, int]:
        """Branch → its place (1, 2, …) in the registry: the pages' anchors."""
        return {o.name: n for n, o in enumerate((o for o in self.owners if o.kind == "支部"), 1)}

    def owner(self, name: str) -> Owner:
        for o in self.owners:
            if o.name == name:
                return o
        raise KeyError(name)

    def month_cells(self, owner: str, month: int) -> list[Cell]:
        """What month `month` asks of `owner`: the periods shown under that month."""
        return [c for c in self.cells.get(owner, []) if c.period.grid_month == month]

    def due_cells(self, owner: str, month: int) -> list[Cell]:
        """The status of a month: its own periods, and what is still unfinished from earlier months."""
        return [c for c in self.cells.get(owner, [])
                if c.period.grid_month == month or (c.period.grid_month < month and c.state in (OVERDUE, REJECTED))]

    def upcoming(self, owner: str, days: int = 31) -> list[Cell]:
        """Not yet sent and due within `days` of today."""
        limit = self.today + dt.timedelta(days=days)
        return [c for c in self.cells.get(owner, []) if c.state == WAITING and c.due <= limit]

    def owed(self, owner: str) -> list[Cell]:
        """What to chase: every overdue period and every file sent back and not corrected."""
        return [c for c in self.cells.get(owner, []) if c.state in (OVERDUE, REJECTED)]

    def summary(self, owner: str, month: int) -> tuple[str, int]:
        """(colour, number unfinished) of one owner's month: green when nothing is unfinished,
        yellow when something is open but not overdue, red when something is overdue."""
        cells = self.month_cells(owner, month)
        unfinished = sum(1 for c in cells if c.unfinished)
        if any(c.colour == RED for c in cells):
            return RED, unfinished
        if unfinished:                     # (yellow is only ever 待交 or 退回未改)
            return YELLOW, unfinished
        if all(c.state == NA for c in cells):
            return GREY, 0
        return GREEN, 0


# --- the computation -------------------------------------------------------------------

def submission_status(ws, year: int, today: dt.date | None = None, schedule: Schedule | None = None) -> Status:
    """THE status of `year` as of the end of `today` (files received after it do not count)."""
    today = today or dt.date.today()
    schedule = schedule or load_schedule(ws.home)
    store = ws.store
    window_start, window_end = dt.date(year - 1, 1, 1), min(today, dt.date(year + 1, 12, 31))
    files = [_submitted(row, store) for row in store.submissions_between(window_start, window_end)]
    by_id = {f.id: f for f in files}
    owners, started = _owners(store, year, by_id)
    evidence = _evidence(store, schedule, year, window_start, window_end, by_id)
    rejections = _open_rejections(store, files, year)
    cells: dict[str, list[Cell]] = {}
    for owner in owners:
        cells[owner.name] = []
        for entry in schedule.due(owner.kind):
            for period in entry.periods(year):
                if started is not None and period.year < started.year:
                    cells[owner.name].append(Cell(owner.name, period, NA, period.due,
                                                  reason=f"本系统{cn_date(started)}启用，此前的台账不在此统计"))
                    continue
                cell = _cell(owner, period, evidence, rejections.get(owner.name, []), today, schedule)
                if cell is not None:
                    cells[owner.name].append(cell)
    year_files = [f for f in files if f.received.year == year]
    return Status(year, today, schedule, owners, cells, rejections, year_files, started)


def _submitted(row, store) -> Submitted:
    months = set()
    try:
        for sheet in (json.loads(row.summary or "{}").get("sheets") or []):
            months.update((int(m[:4]), int(m[5:7])) for m in sheet.get("months") or [])
    except (ValueError, TypeError, AttributeError):
        pass                                # an older row without months: not known
    return Submitted(row.id, row.file_name, row.received_at, row.status, row.branch,
                     tuple(i for i in (row.items or "").split(",") if i), row.error_count or 0,
                     row.warning_count or 0, store.resolve(row.receipt_path), store.resolve(row.stored_path),
                     frozenset(months))


def _owners(store, year: int, by_id: dict[int, Submitted]) -> tuple[list[Owner], dt.date | None]:
    """The registered branches (the live 党组织设置表), their 党总支 and the 组织部, with the day a
    branch was registered when that happened during the year; and the day the first registry came."""
    registry = store.registry()
    owners: list[Owner] = []
    generals: dict[str, str] = {}
    firsts, started = _first_registered(store, by_id)
    basics = {r.get("支部名称"): r for r in store.active_records("E1")}
    for row in registry:
        name = row.get("党支部")
        if not name:
            continue
        general = row.get("党总支") or ""
        if general and general not in generals:
            generals[general] = row.get("党总支书记") or ""
        basic = basics.get(name) or {}
        start = firsts.get(name)
        founded = as_date(basic.get("成立时间"))
        if founded is not None and founded.year == year and (start is None or founded > start):
            start = founded
        if start is not None and start <= dt.date(year, 1, 1):
            start = None
        owners.append(Owner(name, "支部", general, basic.get("书记") or row.get("书记") or "", start))
    owners += [Owner(g, "党总支", "", secretary) for g, secretary in generals.items()]
    owners.append(Owner(ORGANISATION, "组织部"))
    return owners, started


def _first_registered(store, by_id: dict[int, Submitted]) -> tuple[dict[str, dt.date], dt.date | None]:
    """(branch → the day it first appeared in a 党组织设置表, for branches added by a later one — the
    branches of the first registry existed before it; the day the first registry was received)."""
    ledgers = store.accepted_ledgers_between(dt.date(1900, 1, 1), dt.date(9999, 12, 30), items=("Z1",))
    if not ledgers:
        return {}, None
    first_sub = min(l.submission_id for l in ledgers)
    started = store.received_at(first_sub).date()
    when = {l.id: l.submission_id for l in ledgers}
    seen: dict[str, int] = {}
    for ledger_id, _item, _day, data in store.ledger_records([l.id for l in ledgers]):
        name = json.loads(data).get("党支部")
        sub = when[ledger_id]
        if name and (name not in seen or sub < seen[name]):
            seen[name] = sub
    found = {}
    for name, sub in seen.items():
        if sub != first_sub:
            file = by_id.get(sub)
            found[name] = file.received.date() if file else None
    return {k: v for k, v in found.items() if v is not None}, started


@dataclass
class _Evidence:
    months: dict = field(default_factory=dict)    # (owner, entry name) → {(y, m): first Submitted}
    years: dict = field(default_factory=dict)     # (owner, entry name) → first Submitted
    amounts: dict = field(default_factory=dict)   # (owner, entry name) → {(y, m) with a positive amount}


def _earlier(current: Submitted | None, new: Submitted) -> Submitted:
    return new if current is None or (new.received, new.id) < (current.received, current.id) else current


def _evidence(store, schedule: Schedule, year: int, since: dt.date, until: dt.date,
              by_id: dict[int, Submitted]) -> _Evidence:
    found = _Evidence()
    entries = schedule.due()
    wanted = {code for e in entries for code in e.items}
    ledgers = store.accepted_ledgers_between(since, until, items=tuple(wanted))
    ledger_of = {l.id: l for l in ledgers}
    # yearly entries without a record filter: an accepted ledger of the year is enough
    need_records = set()
    for entry in entries:
        if entry.every == "year" and not entry.where:
            for l in ledgers:
                if l.item in entry.items and _of_year(l, by_id, year):
                    key = (l.branch or ORGANISATION, entry.name)
                    found.years[key] = _earlier(found.years.get(key), by_id[l.submission_id])
        else:
            need_records.update(entry.items)
    ids = [l.id for l in ledgers if l.item in need_records]
    for ledger_id, item, day, data in store.ledger_records(ids):
        ledger = ledger_of[ledger_id]
        sub = by_id[ledger.submission_id]
        owner = ledger.branch or ORGANISATION
        record = None
        for entry in entries:
            if item not in entry.items or entry.every == "year" and not entry.where:
                continue
            if record is None:
                record = json.loads(data)
            if entry.every == "year":
                if entry.matches(record) and _of_year(ledger, by_id, year, record):
                    key = (owner, entry.name)
                    found.years[key] = _earlier(found.years.get(key), sub)
                continue
            for month in _record_months(entry, item, day, record):
                if month[0] == year:
                    bucket = found.months.setdefault((owner, entry.name), {})
                    bucket[month] = _earlier(bucket.get(month), sub)
                    if _feeds_amount(entries, entry) and _positive(record.get(_feeds_amount(entries, entry))):
                        found.amounts.setdefault((owner, entry.name), set()).add(month)
    return found


def _feeds_amount(entries: list[Entry], entry: Entry) -> str | None:
    """The amount field another entry asks of this one's records (党费上缴 asks 党费收缴 for 实缴金额)."""
    return next((e.applies_amount for e in entries if e.applies_if == entry.name and e.applies_amount), None)


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def _of_year(ledger, by_id: dict[int, Submitted], year: int, record: dict | None = None) -> bool:
    if record is not None and isinstance(record.get("年度"), int):
        return record["年度"] == year
    if ledger.period and ledger.period[:4].isdigit():
        return ledger.period[:4] == str(year)
    return by_id[ledger.submission_id].received.year == year       # a snapshot (the registry)


def _record_months(entry: Entry, item: str, day: str | None, record: dict) -> list[tuple[int, int]]:
    """The months a record gives evidence for: its own date's month; the month in `month_field`;
    for a 党费上缴 row, the months of its 所属期间."""
    if item == "C3":
        if record.get("类型") == "返还":
            return []
        months = period_months(record.get("所属期间") or "", as_date(record.get("上缴日期")))
        return [] if isinstance(months, Bad) else list(months)
    if entry.month_field:
        value = record.get(entry.month_field)
        if isinstance(value, str) and len(value) >= 7 and value[4] == "-":
            return [(int(value[:4]), int(value[5:7]))]
        return []
    if day:
        return [(int(day[:4]), int(day[5:7]))]
    return []


def _open_rejections(store, files: list[Submitted], year: int) -> dict[str, list[Rejection]]:
    """Owner → the rejected files of the year not yet corrected: no accepted file from the same
    owner with the same name or one of the same ledgers came after it."""
    open_by_owner: dict[str, list[Submitted]] = defaultdict(list)
    names, items = set(), set()              # (branch, …) of the files that passed after the one in hand
    for f in reversed(files):
        if f.status in ("accepted", "duplicate"):
            names.add((f.branch, f.file_name))
            items.update((f.branch, code) for code in f.items)
        elif f.status == "rejected" and f.received.year == year and (f.branch, f.file_name) not in names \
                and not any((f.branch, code) in items for code in f.items):
            open_by_owner[f.branch or ""].insert(0, f)
    errors = store.first_errors([f.id for fs in open_by_owner.values() for f in fs])
    return {owner: [Rejection(f, errors.get(f.id, [])) for f in fs] for owner, fs in open_by_owner.items()}


def _cell(owner: Owner, period: Period, evidence: _Evidence, rejections: list[Rejection], today: dt.date,
          schedule: Schedule) -> Cell | None:
    entry = period.entry
    if period.start > today:
        return None                                       # not begun: nothing to show yet
    due = period.due
    if owner.start is not None:
        if owner.start > period.end:
            return Cell(owner.name, period, NA, due, reason=f"{month_day(owner.start)}登记成立，此前不适用")
        if entry.every == "year" and due < owner.start + dt.timedelta(days=schedule.new_branch_days):
            due = owner.start + dt.timedelta(days=schedule.new_branch_days)
    key = (owner.name, entry.name)
    if entry.every == "year":
        first = evidence.years.get(key)
    else:
        months = period.months
        if entry.applies_if:
            # due for the months the other ledger shows money in; when that ledger says nothing
            # about the period (not sent), the period is due as a whole — never quietly 不适用
            sent = evidence.months.get((owner.name, entry.applies_if), {})
            if any(m in sent for m in months):
                months = [m for m in months if m in evidence.amounts.get((owner.name, entry.applies_if), set())]
                if not months:
                    return Cell(owner.name, period, NA, due, reason=f"本期{entry.applies_if}登记中没有收缴金额")
        bucket = evidence.months.get(key, {})
        firsts = [bucket.get(m) for m in months]
        # every month of the period must be covered; the period counts from the last one covered
        first = None if any(f is None for f in firsts) else max(firsts, key=lambda f: (f.received, f.id))
    if first is not None and first.received.date() > today:
        first = None
    rejection = next((r for r in reversed(rejections) if set(r.file.items) & set(entry.items)
                      and r.file.received.date() <= today and _concerns(r.file, period, first)), None)
    overdue = max(0, (today - due).days)
    if first is not None:
        if rejection is not None and (rejection.file.received, rejection.file.id) > (first.received, first.id):
            return Cell(owner.name, period, REJECTED, due, first.received, first, rejection)
        if entry.every != "year" and today <= period.end:
            return Cell(owner.name, period, WAITING, due, first.received, first)   # the month is not over
        return Cell(owner.name, period, PASSED, due, first.received, first)
    if rejection is not None:
        return Cell(owner.name, period, REJECTED, due, rejection=rejection, overdue_days=overdue)
    if today <= due:
        return Cell(owner.name, period, WAITING, due)
    return Cell(owner.name, period, OVERDUE, due, overdue_days=overdue)


def _concerns(file: Submitted, period: Period, first: Submitted | None) -> bool:
    """Whether a file sent back was meant for this period: a yearly ledger always; a month or a
    quarter when the file's rows were dated in it — or, where its months are not known, when
    nothing else was sent for the period."""
    if period.entry.every == "year":
        return True
    if file.months:
        return any(m in file.months for m in period.months)
    return first is None


def period_labels(cells: list[Cell]) -> str:
    """The periods of several cells of one ledger: "1—9月" for months, else their labels listed."""
    months = [c.period.last for c in cells if c.entry.every == "month"]
    return month_ranges(months) if len(months) == len(cells) else "、".join(c.period.label for c in cells)


def month_ranges(months: list[int]) -> str:
    """[1, 2, 3, 5] → "1—3月、5月"."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return "、".join(f"{r[0]}—{r[-1]}月" if len(r) > 2 else "、".join(f"{m}月" for m in r) for r in runs)


# --- one month's view (taizhang status) -----------------------------------------------------

def default_month(today: dt.date) -> tuple[int, int]:
    """The month a status reports on by default: the last month that has ended."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def month_view(status: Status, month: int, branches: list[str] | None = None) -> dict:
    """What `taizhang status --month` shows: for each owner, its cells of that month and what is
    still unfinished from earlier months; counts by state. Plain data (the --json output)."""
    unknown = [b for b in branches or [] if b not in {o.name for o in status.owners}]
    if unknown:
        raise PipelineError(f"没有登记这些党支部：{'、'.join(unknown)}（请核对名称，或先报送党组织设置表）")
    owners = []
    totals = {state: 0 for state in STATES}
    for owner in status.owners:
        if branches and owner.name not in branches:
            continue
        cells = status.due_cells(owner.name, month)
        if not cells:
            continue
        for c in cells:
            totals[c.state] += 1
        owners.append({"名称": owner.name, "类型": owner.kind, "党总支": owner.general or None,
                       "书记": owner.secretary or None,
                       "登记成立": owner.start.isoformat() if owner.start else None,
                       "事项": [c.as_json() for c in cells]})
    entry = next((e for e in status.schedule.due() if e.every == "month"), None)
    return {"年度": status.year, "月份": month, "截至": status.today.isoformat(),
            "月度台账截止日期": entry.due_on(status.year, month).isoformat() if entry else None,
            "单位": owners, "合计": totals, "逾期": sum(1 for o in owners for c in o["事项"] if c["颜色"] == RED)}


def view_lines(view: dict, style=lambda text, colour: text) -> list[str]:
    """The month's view as terminal lines; `style(text, colour)` colours a state."""
    due = view["月度台账截止日期"]
    head = f"{view['年度']}年{view['月份']}月台账报送状态（截至{_iso_cn(view['截至'])}"
    head += f"；月度台账应于{_iso_cn(due)}前报送）" if due else "）"
    lines = [head]
    if not view["单位"]:
        lines.append("（该月没有应报送的台账，或尚未登记党组织）")
    for owner in view["单位"]:
        who = f"（书记：{owner['书记']}）" if owner["书记"] else ""
        lines.append(f"{owner['名称']}{who}")
        width = max(_width(c["台账"]) for c in owner["事项"])
        for c in owner["事项"]:
            name = c["台账"] + " " * (width - _width(c["台账"]))
            period = c["期间"] + " " * max(2, 10 - _width(c["期间"]))
            receipt = f"  回执：{c['回执']}" if c["回执"] and c["状态"] == REJECTED else ""
            lines.append(f"  {name}  {period}{style(c['说明'], c['颜色'])}{receipt}")
    totals = "，".join(f"{state} {n}" for state, n in view["合计"].items())
    lines.append(f"合计：{totals}")
    return lines


def _iso_cn(text: str) -> str:
    return cn_date(dt.date.fromisoformat(text)) if text else ""


def _width(text: str) -> int:
    """Display width in a terminal: a Chinese character takes two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
