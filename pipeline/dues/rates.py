"""Party dues rules (LEDGER-FORMATS.md §5) as data with effective dates.

The rate table is `data/dues_rates.csv` (or a file named in the workspace config): a
change of the rules is a new row with a later `effective_from`, not new code. The
whole base is multiplied by one rate (3000.00 → 15.00, 3000.01 → 30.00). Rounding is
in one place, `round_fen`, half-up to the fen unless configured otherwise.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipeline import DATA

FEN = Decimal("0.01")
FIXED_CATEGORIES = {"学生": "学生", "其他": "其他"}


@dataclass(frozen=True)
class Band:
    effective_from: dt.date
    category: str
    base_above: Decimal | None
    base_upto: Decimal | None
    rate: Decimal | None
    fixed_min: Decimal | None
    fixed_max: Decimal | None
    basis: str

    def holds(self, base: Decimal | None) -> bool:
        if self.rate is None:
            return True
        if base is None:
            return False
        above = self.base_above if self.base_above is not None else Decimal("-1")
        return above < base and (self.base_upto is None or base <= self.base_upto)


@dataclass(frozen=True)
class Expected:
    """What a member should pay a month, and why."""
    low: Decimal
    high: Decimal
    rate: Decimal | None
    band: Band

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def explain(self, base: Decimal | None) -> str:
        if self.rate is not None:
            return (f"计算基数 {base} 元 × {percent_text(self.rate)} = {self.low} 元"
                    f"（{self.band.basis}）")
        if self.exact:
            return f"每月 {self.low} 元（{self.band.basis}）"
        return f"每月 {self.low}～{self.high} 元（{self.band.basis}）"


def percent_text(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _dec(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def load_bands(path: Path | None = None) -> tuple[Band, ...]:
    if path is None:
        text = (DATA / "dues_rates.csv").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8-sig")
    bands = []
    for row in csv.DictReader(text.splitlines()):
        bands.append(Band(dt.date.fromisoformat(row["effective_from"]), row["category"],
                          _dec(row["base_above"]), _dec(row["base_upto"]), _dec(row["rate"]),
                          _dec(row["fixed_min"]), _dec(row["fixed_max"]), row["basis"]))
    return tuple(bands)


def category(identity: str, base: Decimal | None) -> str:
    """在职教职工 → 在职; 其他 with a salary base pays as 在职, without as a fixed amount."""
    if identity == "在职教职工" or (identity == "其他" and base is not None):
        return "在职"
    return identity


ROUNDINGS = {"ROUND_HALF_UP": "四舍五入", "ROUND_UP": "只入不舍", "ROUND_DOWN": "只舍不入",
             "ROUND_HALF_EVEN": "四舍六入五成双"}
ROUND_UNITS = {"分": Decimal("0.01"), "角": Decimal("0.1"), "元": Decimal("1")}


class DuesRules:
    """The rate table and the local rounding rule: half-up to the fen by default; a college may
    round up to the jiao or to the whole yuan ("只入不舍，取整数收缴": rounding ROUND_UP, unit 元)."""

    def __init__(self, bands: tuple[Band, ...] | None = None, rounding: str = "ROUND_HALF_UP", unit: str = "分"):
        if rounding not in ROUNDINGS or unit not in ROUND_UNITS:
            raise ValueError(f"党费取整方式 rounding 只能是 {'、'.join(ROUNDINGS)}，取整到 round_to 只能是 "
                             f"{'、'.join(ROUND_UNITS)}（现为 {rounding}、{unit}）")
        self.bands = bands if bands is not None else load_bands()
        self.rounding = getattr(decimal, rounding)
        self.unit = ROUND_UNITS[unit]
        self.rounding_text = "" if (rounding, unit) == ("ROUND_HALF_UP", "分") else f"{ROUNDINGS[rounding]}到{unit}"

    def round_fen(self, amount: Decimal) -> Decimal:
        """THE rounding of a computed amount (kept to the fen for display)."""
        return amount.quantize(self.unit, rounding=self.rounding).quantize(FEN)

    def _in_force(self, cat: str, on: dt.date) -> list[Band]:
        dated = [b for b in self.bands if b.category == cat and b.effective_from <= on]
        if not dated:
            return []
        latest = max(b.effective_from for b in dated)
        return [b for b in dated if b.effective_from == latest]

    def expected(self, identity: str, base: Decimal | None, on: dt.date) -> Expected | None:
        """None when the rules cannot say (a salaried member without a base)."""
        for band in self._in_force(category(identity, base), on):
            if not band.holds(base):
                continue
            if band.rate is not None:
                amount = self.round_fen(base * band.rate)
                return Expected(amount, amount, band.rate, band)
            return Expected(band.fixed_min, band.fixed_max, None, band)
        return None
