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
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.core.formats import ITEMS
from pipeline.core.values import mask_text
from pipeline.core.issues import ERROR, Issue
from pipeline.core.files import write_atomic

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
        if sheet.get("word"):
            photos = f"，照片 {sheet['photos']} 张" if sheet.get("photos") is not None else ""
            lines.append(f"台账：{item.code} {item.name}（Word 文档“{sheet['sheet']}”{photos}{period}）")
        else:
            lines.append(f"台账：{item.code} {item.name}（工作表“{sheet['sheet']}”，{sheet['rows']} 条记录{period}）")
    if result.duplicate_of:
        lines.append(f"说明：与 {result.duplicate_of} 提交的文件内容相同，已入库的是那一份。")
    lines.append(f"共 {len(errors)} 处错误，{len(warnings)} 条提示。")
    for title, group in (("错误（必须修改）", errors), ("提示（请核实，不影响入库）", warnings)):
        if group:
            lines += ["", f"—— {title} ——"]
            lines += [f"{n}. {issue.text()}" for n, issue in enumerate(group, 1)]
    if result.status == "rejected":
        marked = f"问题处已在回执副本“{result.annotated.name}”中标出并加批注。" if result.annotated else ""
        lines += ["", f"整个文件未入库。请在原文件上修改后重新放入收件箱。{marked}"]
    # an ID number quoted back is masked: the receipt lies in a shared folder, the cell reference finds it
    return mask_text("\n".join(lines), phones=False) + "\n"


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
        sheet = wb[issue.sheet]
        cell = sheet[issue.cell]
        if type(cell).__name__ == "MergedCell":          # the merged range's top-left cell holds it
            top = next((r for r in sheet.merged_cells.ranges if issue.cell in r), None)
            if top is None:
                continue
            cell = sheet.cell(row=top.min_row, column=top.min_col)
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


def annotate_document(source: Path, issues: list[Issue], target: Path) -> Path | None:
    """A copy of a rejected Word ledger: each problem field highlighted with a Word comment on it;
    problems without a place (a missing field) are commented on the title."""
    import docx
    from docx.enum.text import WD_COLOR_INDEX

    from pipeline.reading.word import read_docx
    try:
        document = docx.Document(str(source))
        places = {entry[1].where: entry[1] for entry in read_docx(source).fields.values()}
    except Exception as exc:   # a document we could not read is answered by the text receipt alone
        log.info("cannot annotate %s: %s", source, exc)
        return None
    tables, paragraphs = document.tables, document.paragraphs
    general = []
    for issue in issues:
        place = places.get(issue.cell)
        if place is None:
            general.append(issue)
            continue
        if place.table is not None:
            cell = tables[place.table].rows[place.row].cells[place.col]
            targets = cell.paragraphs
        else:
            targets = [paragraphs[place.para]]
        runs = [run for para in targets for run in para.runs if run.text]
        if not runs:
            runs = [targets[0].add_run("（未填写）")]
        for run in runs:
            run.font.highlight_color = WD_COLOR_INDEX.PINK if issue.is_error else WD_COLOR_INDEX.YELLOW
        document.add_comment(runs, text=_comment_text(issue), author="台账校验", initials="TZ")
    if general:
        anchor = next((p for p in paragraphs if p.runs and p.text.strip()), None)
        if anchor is None:
            anchor = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
            anchor.add_run("（校验意见）")
        document.add_comment([r for r in anchor.runs if r.text] or anchor.runs,
                             text="\n".join(_comment_text(i) for i in general), author="台账校验", initials="TZ")
    buffer = io.BytesIO()
    document.save(buffer)
    write_atomic(target, buffer.getvalue())
    return target


def _comment_text(issue: Issue) -> str:
    head = "【错误】" if issue.is_error else "【提示】"
    return head + issue.message + (f"（{issue.hint}）" if issue.hint else "")
