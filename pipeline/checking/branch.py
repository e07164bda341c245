"""Which branch and which period a ledger belongs to (LEDGER-FORMATS.md §1, §2).

The branch comes from the file (info row, title, a field), else from the folder it lies in,
`--branch` winning — the same for the watcher, `ingest` and `validate`. Two spellings are the
same branch only when they differ by the word 党; anything else is reported with the closest
registered names, never guessed.
"""
from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.formats import header_key
from pipeline.core.issues import ERROR, Issue
from pipeline.core.values import as_date, closest

if TYPE_CHECKING:
    from pipeline.reading.layout import Layout

TITLE_BRANCH_RE = re.compile(r"([\u4e00-\u9fff（）()A-Za-z0-9]{2,40}?党支部)")


def branch_key(name: str) -> str:
    return header_key(name).replace("党支部", "支部")


class Forced(str):
    """A branch given by `--branch`: it wins over whatever the file says (§2). A str, so it passes
    through every function that takes the folder's branch; only the layout and the Word reader look
    at the difference."""


@dataclass(frozen=True)
class BranchClaim:
    """A branch name as found in a file, and where."""
    name: str | None
    found_in: str | None          # 'info' | 'title' | 'folder' | 'field'
    sheet: str | None = None
    cell: str | None = None


def resolve_branch(claim: BranchClaim, registered: list[str]) -> tuple[str | None, list[Issue]]:
    where = {"sheet": claim.sheet, "cell": claim.cell, "value": claim.name}
    if not registered:
        return None, [Issue("no-registry", ERROR, "系统中还没有登记党组织设置，无法确认党支部", **where,
                            hint="请组织部先提交《党组织设置表》（Z1）")]
    if not claim.name:
        return None, [Issue("no-branch", ERROR, "无法确定这份台账属于哪个党支部", sheet=claim.sheet,
                            hint="请在表头上方（或会议记录中）写明“党支部：XXX党支部”，或把文件放到收件箱中以支部命名的子文件夹")]
    wanted = branch_key(claim.name)
    exact = [name for name in registered if branch_key(name) == wanted]
    if len(exact) == 1:
        return exact[0], []
    near = closest(claim.name, registered, n=3, cutoff=0.5)
    source = {"info": "表头信息行", "title": "标题", "folder": "子文件夹名", "field": "文中", "column": "党支部列",
              "name": "文件名", "option": "--branch 指定"}.get(claim.found_in, "")
    hint = f"是否为：{'、'.join(near)}？" if near else "请使用《党组织设置表》中登记的支部全称"
    return None, [Issue("unknown-branch", ERROR, f"{source}的党支部“{claim.name}”未在党组织设置中登记",
                        **where, hint=hint)]


def resolve_period(layout: Layout, rows, received: dt.date) -> tuple[str | None, int | None, dt.date]:
    """(period key, year, as-of date). Dates are judged as of 填报日期 or the period's end."""
    item = layout.item
    if item.period == "snapshot":
        return "snapshot", None, layout.filled_on or received
    year, month = layout.year, layout.month
    effective = {r.get("生效月份") for r in rows if r.get("生效月份")}
    if len(effective) == 1:
        # a mid-year C1 (new pay from a month) stands beside the yearly one instead of replacing it
        year, month = next(iter(effective))
    if year is None and layout.filled_on:
        year = layout.filled_on.year
    if year is None:
        years = Counter(as_date(r.get(d)).year for r in rows for d in item.dates if as_date(r.get(d)))
        year = years.most_common(1)[0][0] if years else received.year
    if month:
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
    else:
        end = dt.date(year, 12, 31)
    as_of = min(layout.filled_on or end, received)
    if item.period == "none":
        return None, year, as_of
    return (f"{year:04d}-{month:02d}" if month else f"{year:04d}"), year, as_of


def branch_from_folder(origin: Path, inbox: Path, registered: list[str]) -> str | None:
    """The branch named by the folder a file lies in (§2), for the watcher and the CLI alike:
    the nearest folder named after a registered branch; else, inside the inbox, its first
    sub-folder (an unregistered name there is reported with the closest registered ones)."""
    keys = {branch_key(name) for name in registered}
    origin = Path(os.path.abspath(origin))
    try:
        relative = origin.relative_to(inbox)
        folders = relative.parts[:-1]
    except ValueError:
        relative, folders = None, origin.parent.parts
    for name in reversed(folders):
        if branch_key(name) in keys:
            return name
    return folders[0] if relative is not None and folders else None
