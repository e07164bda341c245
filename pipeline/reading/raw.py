"""What every reader of a workbook shares: the limits, the raw sheet it returns, the file-level
issue, and the decimals a number format fixes."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.issues import ERROR, Issue

MAX_EMPTY_RUN = 1000          # this many empty rows in a row end a sheet


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 50 * 2**20
    unpacked_bytes: int = 300 * 2**20
    ratio: int = 200
    rows: int = 50_000
    columns: int = 200


@dataclass(frozen=True)
class RawSheet:
    name: str
    rows: list            # rows[i] is Excel row i+1, a list of raw values
    merged: tuple         # (min_col, min_row, max_col, max_row), 1-based
    hidden: bool = False
    truncated: bool = False


def file_issue(code: str, message: str, hint: str | None = None) -> Issue:
    return Issue(code, ERROR, message, hint=hint)


_DECIMALS = re.compile(r"\.([0#]+)")


def fixed_decimals(code: str | None) -> int | None:
    section = re.sub(r'"[^"]*"|\\.', "", (code or "").split(";")[0])
    found = _DECIMALS.search(section)
    if found and "%" not in section and not re.search(r"[yYmMdDhHsS]", section):
        return found[1].count("0")
    return None
