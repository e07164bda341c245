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

from pipeline.checking.schedule import OVERDUE, REJECTED, RED, WAITING, Cell, Status, submission_status
from pipeline.core.files import safe_name
from pipeline.core.values import cn_date, mask_text, month_day
from pipeline.documents.render import render_docx, template_path, title_lines, working_days_later
from pipeline.documents.sheets import BORDER, HEAD_FILL, Book, print_setup

FOLDER = "催交"
NOTICE = "台账催交通知"
LIST = "台账催交清单"
NUMERALS = "一二三四五"
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
        notices.append(_notice(ws, status, owner.name, cells, month, today, deadline, college, folder))
    listing = _listing(status, rows, month, today, folder, college)
    return Reminded(notices, listing, clear)


def line_of(cell: Cell) -> str:
    """One line of a notice: what, which period, its state and, for a rejected file, the first error."""
    what = f"{cell.entry.name}（{cell.period.label}）"
    if cell.state == REJECTED and cell.rejection is not None:
        first = cell.rejection.first_errors[0].brief().rstrip("。") if cell.rejection.first_errors else "详见回执"
        more = f"（共{cell.rejection.file.errors}处错误）" if cell.rejection.file.errors > 1 else ""
        return mask_text(f"{what}：文件“{cell.rejection.file.file_name}”于{month_day(cell.rejection.file.received.date())}"
                         f"被退回，{first}{more}，请按回执修改后重新报送")
    if cell.state == OVERDUE:
        return f"{what}：应于{month_day(cell.due)}前报送，已逾期{cell.overdue_days}天"
    return f"{what}：请于{month_day(cell.due)}前报送"


def _notice(ws, status: Status, branch: str, cells: list[Cell], month: int, today: dt.date, deadline: dt.date,
            college: str, folder: Path) -> Path:
    kinds = (("逾期未报送的台账", OVERDUE), ("退回后尚未改正的文件", REJECTED), ("即将到期的台账", WAITING))
    sections = []
    for heading, state in kinds:
        lines = [line_of(c) for c in cells if c.state == state]
        if lines:
            sections.append({"heading": f"{NUMERALS[len(sections)]}、{heading}", "lines": lines})
    context = {"title_lines": title_lines(f"关于报送{status.year}年{month}月", "党建台账的催交通知"),
               "branch": branch, "date": cn_date(today), "deadline": cn_date(deadline),
               "sections": sections,
               "issuer": f"中共{college}委员会组织部" if college else "党委组织部"}
    target = folder / (safe_name(f"{status.year}年{month}月{branch}{NOTICE}", "催交通知", limit=150) + ".docx")
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
    ordered = sorted(rows, key=lambda r: (r[0].general, r[0].name, -r[1].overdue_days))
    for n, (owner, cell) in enumerate(ordered, 1):
        row = n + 2
        link = cell.link
        values = [n, owner.general, owner.name, owner.secretary, cell.entry.name, cell.period.label, cell.state,
                  cell.due.isoformat(), cell.overdue_days or None, line_of(cell).split("：", 1)[1]]
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
