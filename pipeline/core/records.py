"""The data model every stage shares: a row as read (with where each value came from), a member
of a branch's roster, the context rules are judged in, and what checking a file found. No stage imports another stage's
module for these.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.dues.rates import DuesRules
from pipeline.core.issues import ERROR, Issue, show_value
from pipeline.core.formats import ITEMS
from pipeline.core.values import as_date


NO_BAD: frozenset = frozenset()


class Cells(Mapping):
    """The raw values of one sheet row by field name: the row's own list read through the sheet's
    field → position map, shared by all its rows (a dict a row would hold as much as the values)."""
    __slots__ = ("_values", "_where")

    def __init__(self, values: list, where: dict):
        self._values, self._where = values, where

    def __getitem__(self, name: str):
        i = self._where[name]
        return self._values[i] if i < len(self._values) else None

    def __iter__(self):
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


@dataclass(frozen=True, slots=True)
class Row:
    """One record as read: parsed values, raw values and where each came from. `raw` and
    `columns` of a sheet's rows are shared maps (`Cells`, one field → Column dict): never
    change them in place."""
    sheet: str
    line: int
    item: str
    values: dict
    raw: Mapping
    columns: dict            # field name → Column
    bad: frozenset = NO_BAD

    def get(self, name: str):
        return self.values.get(name)

    def ok(self, *names: str) -> bool:
        """All these fields have a good, non-empty value."""
        return all(self.values.get(n) is not None and n not in self.bad for n in names)

    def issue(self, name: str, code: str, message: str, hint: str | None = None,
              severity: str = ERROR) -> Issue:
        col = self.columns.get(name)
        return Issue(code, severity, message, sheet=self.sheet,
                     cell=col.cell(self.line) if col else None,
                     column=col.header if col else name,
                     value=show_value(self.raw.get(name)), hint=hint, row=self.line)


@dataclass(frozen=True)
class Member:
    name: str
    status: str | None
    identity: str | None
    joined: dt.date | None
    full: dt.date | None
    id_card: str | None = None

    @classmethod
    def from_roster(cls, values: dict) -> "Member":
        """A member from an A1 record (parsed or decoded from the store)."""
        return cls(values.get("姓名"), values.get("人员类别"), values.get("党员身份"), as_date(values.get("入党时间")),
                   as_date(values.get("转正时间")), values.get("身份证号"))


@dataclass
class Context:
    """What rules need to know beyond the rows."""
    file: str
    received: dt.date
    branch: str | None = None
    year: int | None = None
    month: int | None = None
    as_of: dt.date | None = None
    roster: list[Member] | None = None
    dues: DuesRules = field(default_factory=DuesRules)
    dues_bases: list | None = None       # (effective month, C1 record) of the year, for C2
    branch_kind: str | None = None       # the branch's 支部类型 (教工支部 / 学生支部 / 离退休支部)
    title: str = ""                      # the sheet's title and sheet name, for what a title says
    known_members: dict = field(default_factory=dict)   # name → Member of the stored roster
    registered: tuple = ()               # the registered branch names

    def members_on(self, day: dt.date) -> list[Member]:
        return [m for m in self.roster or () if m.joined is None or m.joined <= day]


@dataclass(frozen=True)
class Checked:
    """What checking found. `sheets` are summaries for the receipt; `ledgers` what may be stored."""
    kind: str | None = None
    sheets: tuple = ()
    ledgers: tuple = ()
    pictures: tuple = ()                 # (record, bytes) of Word photos, written on accept
    issues: tuple = ()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


def row_months(rows) -> list[str]:
    """The months the rows are dated in ("2026-10"): a meeting's date, a payment's 月份 — kept with a
    rejected file too, so that the 台账总览 knows which months it was meant for."""
    found = set()
    for row in rows:
        value = row.values.get("月份") if row.item == "C2" else \
            next((row.values.get(d) for d in ITEMS[row.item].dates if row.values.get(d) is not None), None)
        if isinstance(value, tuple) and len(value) == 2:
            found.add(f"{value[0]:04d}-{value[1]:02d}")
        elif as_date(value) is not None:
            found.add(as_date(value).strftime("%Y-%m"))
    return sorted(found)
