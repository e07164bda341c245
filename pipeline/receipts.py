"""Receipts (回执): a short text for every file; for a rejected workbook, a copy with
each bad cell filled and commented, and a first sheet 校验结果 listing every issue
with a link to its cell. User text is always written as text, never as a formula.
"""
from __future__ import annotations

import io
import logging
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink

from .formats import ITEMS
from .issues import ERROR, Issue
from .workspace import write_atomic

log = logging.getLogger(__name__)

ERROR_FILL = PatternFill("solid", fgColor="FFFF7C80")
WARNING_FILL = PatternFill("solid", fgColor="FFFFE699")
HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
STATUS_TEXT = {"accepted": "已通过，已入库", "rejected": "未通过，请按下列问题修改后重新提交",
               "duplicate": "重复提交（内容与已入库的文件完全相同），无需处理"}


def put_text(ws, row: int, column: int, value):
    """Write a value that must stay text even if it starts with '=' (no formula injection)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def text_receipt(result) -> str:
    errors = [i for i in result.issues if i.is_error]
    warnings = [i for i in result.issues if not i.is_error]
    lines = ["台账提交回执", "=" * 20,
             f"文件：{result.file}",
             f"收到时间：{result.received:%Y-%m-%d %H:%M}",
             f"党支部：{result.branch or '（未能确定）'}",
             f"结果：{STATUS_TEXT[result.status]}"]
    for sheet in result.sheets:
        item = ITEMS[sheet["item"]]
        period = f"，{sheet['period']}" if sheet.get("period") else ""
        lines.append(f"台账：{item.code} {item.name}（工作表“{sheet['sheet']}”，{sheet['rows']} 条记录{period}）")
    if result.duplicate_of:
        lines.append(f"说明：与 {result.duplicate_of} 提交的文件内容相同，已入库的是那一份。")
    lines.append(f"共 {len(errors)} 处错误，{len(warnings)} 条提示。")
    for title, group in (("错误（必须修改）", errors), ("提示（请核实，不影响入库）", warnings)):
        if group:
            lines += ["", f"—— {title} ——"]
            lines += [f"{n}. {issue.text()}" for n, issue in enumerate(group, 1)]
    if result.status == "rejected":
        lines += ["", "整个文件未入库。请在原文件上修改后重新放入收件箱；"
                      "标红的单元格和批注见同名的“.回执.xlsx”文件（如有）。"]
    return "\n".join(lines) + "\n"


def _sheet_link(sheet: str, cell: str) -> str:
    return "'{}'!{}".format(sheet.replace("'", "''"), cell)


def annotate_workbook(source: Path, issues: list[Issue], target: Path) -> Path | None:
    """A copy of the submitted workbook with the problems marked; None if it cannot be opened."""
    try:
        wb = load_workbook(source, keep_vba=False, keep_links=False, rich_text=False)
    except Exception as exc:   # a workbook we could not read is answered by the text receipt alone
        log.info("cannot annotate %s: %s", source, exc)
        return None
    for issue in issues:
        if not (issue.sheet and issue.cell and issue.sheet in wb.sheetnames):
            continue
        cell = wb[issue.sheet][issue.cell]
        if type(cell).__name__ == "MergedCell":
            col, row = coordinate_from_string(issue.cell)
            cell = wb[issue.sheet].cell(row=row, column=cell.column)
        cell.fill = ERROR_FILL if issue.is_error else WARNING_FILL
        note = ("【错误】" if issue.is_error else "【提示】") + issue.message + (f"\n{issue.hint}" if issue.hint else "")
        if cell.comment is not None and cell.comment.author == "台账校验":
            note = cell.comment.text + "\n" + note
        comment = Comment(note, "台账校验")
        comment.width, comment.height = 320, 140
        cell.comment = comment
    _summary_sheet(wb, issues)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomic(target, buffer.getvalue())
    return target


def _summary_sheet(wb, issues: list[Issue]) -> None:
    ws = wb.create_sheet("校验结果", 0)
    wb.active = 0
    for sheet in wb.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    heads = ("序号", "级别", "工作表", "单元格", "列", "填写内容", "问题说明", "修改提示")
    widths = (6, 8, 16, 10, 16, 24, 50, 50)
    for c, (head, width) in enumerate(zip(heads, widths), 1):
        cell = put_text(ws, 1, c, head)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = width
    ordered = sorted(issues, key=lambda i: (i.severity != ERROR, i.sheet or "", i.row or 0, i.cell or ""))
    for n, issue in enumerate(ordered, 1):
        r = n + 1
        put_text(ws, r, 1, n)
        level = put_text(ws, r, 2, "错误" if issue.is_error else "提示")
        level.fill = ERROR_FILL if issue.is_error else WARNING_FILL
        put_text(ws, r, 3, issue.sheet)
        ref = put_text(ws, r, 4, issue.cell)
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            ref.hyperlink = Hyperlink(ref=ref.coordinate, location=_sheet_link(issue.sheet, issue.cell),
                                      tooltip="跳转到该单元格")
            ref.font = Font(color="FF0563C1", underline="single")
        put_text(ws, r, 5, issue.column)
        put_text(ws, r, 6, issue.value)
        put_text(ws, r, 7, issue.message).alignment = Alignment(wrap_text=True, vertical="top")
        put_text(ws, r, 8, issue.hint).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.auto_filter.ref = f"A1:H{max(len(ordered) + 1, 2)}"
