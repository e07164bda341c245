"""催交: a 催交通知 (.docx, GB/T 9704 layout) for each branch that still owes something in a month,
and the college's 催交清单 (.xlsx) — in outbox/<年度>/催交/. Both are drawn from the submission
status (`checking/schedule.py`), the same computation as the 台账总览 and `taizhang status`.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipeline.checking.schedule import OVERDUE, REJECTED, RED, WAITING, Cell, Status, period_labels, submission_status
from pipeline.core.files import safe_name
from pipeline.core.values import cn_date, mask_text
from pipeline.documents.render import render_docx, template_path, title_lines, working_days_later
from pipeline.documents.sheets import BORDER, HEAD_FILL, Book, print_setup

FOLDER = "催交"
NOTICE = "台账催交通知"
LIST = "台账催交清单"
NUMERALS = "一二三四五"
LINE_CHARS = 27                 # 3号 characters on a line of the 156 mm 版心
REMIND_DAYS = 5                 # working days a notice gives to send what is overdue


@dataclass
class Reminded:
    notices: list[Path]
    listing: Path
    clear: list[str]            # branches that owe nothing this month


def reminders(ws, year: int, month: int, today: dt.date | None = None) -> Reminded:
    today = today or dt.date.today()
    status = submission_status(ws, year, today)
    folder = ws.outbox / str(year) / FOLDER
    college = ws.section("college").get("name", "")
    deadline = working_days_later(today, REMIND_DAYS)
    notices, clear, rows = [], [], []
    for owner in status.owners:
        if owner.kind != "支部":
            continue
        cells = [c for c in status.due_cells(owner.name, month) if c.unfinished]
        if not cells:
            clear.append(owner.name)
            continue
        rows += [(owner, c) for c in cells]
        notices.append(_notice(ws, status, owner, cells, month, today, deadline, college, folder))
    listing = _listing(status, rows, month, today, folder, college)
    return Reminded(notices, listing, clear)


def line_of(cell: Cell) -> str:
    """One line of a notice: what, which period, its state and, for a rejected file, the first error."""
    return lines_of([cell])[0]


def lines_of(cells: list[Cell]) -> list[str]:
    """The lines of a notice, one per ledger: months of one ledger together ("组织生活记录（1—9月）"),
    each file sent back on its own line with its first error."""
    lines, groups = [], {}
    for cell in cells:
        if cell.state == REJECTED and cell.rejection is not None:
            lines.append(_rejected_line(cell))
        else:
            groups.setdefault((cell.entry.name, cell.state), []).append(cell)
    for (name, state), group in groups.items():
        first = min(group, key=lambda c: c.due)
        periods = period_labels(group)
        when = first.day_text(first.due)
        if state == OVERDUE:
            worst = max(c.overdue_days for c in group)
            late = f"已逾期{worst}天" if len(group) == 1 else f"最长已逾期{worst}天"
            lines.append(f"{name}（{periods}）：应于{when}前报送，{late}。")
        else:
            lines.append(f"{name}（{periods}）：请于{when}前报送。")
    return lines


def _rejected_line(cell: Cell) -> str:
    file = cell.rejection.file
    what = f"{cell.entry.name}（{cell.period.label}）"
    first = ""
    if cell.rejection.first_errors:
        issue = cell.rejection.first_errors[0].masked()
        where = f"{issue.sheet}表{issue.cell}单元格" if issue.sheet and issue.cell else (issue.sheet or "")
        column = f"（{issue.column}）" if issue.column else ""
        first = f"，如{where}{column}{issue.message.rstrip('。')}"
    kept = "（此前通过的版本仍有效）" if cell.received else ""
    return mask_text(f"{what}：文件“{file.file_name}”于{cell.day_text(file.received.date())}被退回{kept}，"
                     f"共{file.errors}处错误{first}。请按回执逐项修改后重新报送。")


def _notice(ws, status: Status, owner, cells: list[Cell], month: int, today: dt.date, deadline: dt.date,
            college: str, folder: Path) -> Path:
    kinds = (("逾期未报送的台账", OVERDUE), ("退回后尚未改正的文件", REJECTED), ("即将到期的台账", WAITING))
    sections = []
    for heading, state in kinds:
        lines = lines_of([c for c in cells if c.state == state])
        if lines:
            sections.append({"heading": f"{NUMERALS[len(sections)]}、{heading}", "lines": lines})
    issuer = f"中共{college}委员会组织部" if college else "党委组织部"
    # GB/T 9704 7.3.5.2 (no seal): the issuer two characters from the right, the date below it, its first
    # character two characters right of the issuer's — on a line of LINE_CHARS characters
    date_pad = "\u3000" * max(0, LINE_CHARS - len(issuer))
    context = {"title_lines": title_lines("关于催交党建台账的通知"),
               "branch": owner.name, "date": cn_date(today), "deadline": cn_date(deadline),
               "scope": f"{status.year}年{month}月及以前应报送的台账", "sections": sections,
               "contact": ws.section("remind").get("contact", ""), "copy": owner.general,
               "issuer": issuer, "date_line": date_pad + cn_date(today)}
    target = folder / (safe_name(f"{status.year}年{month}月{owner.name}{NOTICE}", "催交通知", limit=150) + ".docx")
    return render_docx(template_path(ws, "reminder.docx"), lambda tpl: context, target)


def _relative_link(path: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:                       # another drive
        return Path(path).as_uri()


def _listing(status: Status, rows: list, month: int, today: dt.date, folder: Path, college: str) -> Path:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "催交清单"
    out = Book(wb)
    heads = ["序号", "党总支", "党支部", "书记", "台账", "期间", "状态", "截止日期", "逾期天数", "情况", "回执"]
    widths = [5, 16, 22, 8, 13, 9, 9, 11, 8, 58, 6]
    sheet.cell(row=1, column=1, value=f"{college}{status.year}年{month}月党建台账催交清单（截至{cn_date(today)}）")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads))
    sheet.cell(row=1, column=1).font = Font(size=14, bold=True)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    for c, (head, width) in enumerate(zip(heads, widths), 1):
        out.text(sheet, 2, c, head, bold=True, fill=HEAD_FILL, align="center")
        sheet.column_dimensions[chr(64 + c)].width = width
    ordered = sorted(rows, key=lambda r: (-r[1].overdue_days, r[0].general or "~", r[0].name, r[1].entry.name))
    for n, (owner, cell) in enumerate(ordered, 1):
        row = n + 2
        link = cell.link
        values = [n, owner.general, owner.name, owner.secretary, cell.entry.name, cell.period.label, cell.state,
                  cell.due.isoformat(), cell.overdue_days or None, line_of(cell).split("：", 1)[1].rstrip("。")]
        for c, value in enumerate(values, 1):
            if isinstance(value, int):
                out.number(sheet, row, c, value, fmt="0", align="center")
            else:
                out.text(sheet, row, c, value, wrap=c in (2, 3, 10))
        target = out.text(sheet, row, 11, "查看" if link is not None else None, align="center")
        if link is not None:                 # relative: the shared folder may be mounted anywhere
            target.hyperlink = _relative_link(link, folder)
            target.font = Font(color="FF0563C1", underline="single")       # (setting a link resets the style)
            target.alignment = Alignment(horizontal="center", vertical="center")
            target.border = BORDER
        if cell.colour == RED:
            sheet.cell(row=row, column=7).font = Font(color="FFC00000", bold=True)
    if not ordered:
        out.text(sheet, 3, 1, "本月各支部台账均已报送，无需催交。")
        sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=len(heads))
    for line in sheet.iter_rows(min_row=3):
        for cell in line:
            cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="center",
                                       wrap_text=cell.alignment.wrap_text)
    sheet.freeze_panes = "A3"
    print_setup(sheet, "2:2")
    target = folder / (safe_name(f"{status.year}年{month}月{LIST}", "催交清单", limit=150) + ".xlsx")
    out.save(target)
    return target
