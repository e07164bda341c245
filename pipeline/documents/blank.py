"""Blank ledger templates generated from the registry, so users start from the right format.

Each sheet: a merged title row, an info row (党支部 / 年度 / 填报日期), the header with
required columns in red and an input hint on each, dropdowns for every enum, date and
money formats, ID and phone columns as text (so Excel does not turn 18 digits into
1.1E+17), frozen header and print settings; plus a 填表说明 sheet.
"""
from __future__ import annotations

import io
from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.core.formats import EXCEL_ITEMS, Item
from pipeline.core.values import TYPE_FORMS
from pipeline.core.files import safe_name, write_atomic

HEADER_ROW = 3
FIRST_DATA_ROW = 4
TEMPLATE_ROWS = 200
THIN = Side(style="thin", color="FF808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "birth": "yyyy-mm", "month": "yyyy-mm", "money": "0.00",
                  "percent": "0.0%", "id_card": "@", "phone": "@", "int": "0", "hours": "0.0"}
WIDTHS = {"id_card": 21, "phone": 14, "date": 12, "birth": 10, "names": 18, "text": 16}


def field_hint(fld, code: str) -> str:
    """必填/选填, the choices or the form, and the field's own hint — each said once."""
    parts = ["必填" if fld.is_required(code) else "选填"]
    if fld.enum:
        parts.append("可选：" + "、".join(fld.enum))
    elif fld.type in TYPE_FORMS:
        parts.append(TYPE_FORMS[fld.type])
    said = "".join(parts)
    extra = [clause for clause in (fld.hint or "").replace("，", "；").split("；") if clause and clause not in said]
    if extra:
        parts.append("，".join(extra))
    return "；".join(parts)


PRINTED_ROWS = 25          # ruled rows on the printed blank form


def add_ledger_sheet(wb: Workbook, item: Item, branch: str = "", year: int | str = "", filled: str = "",
                     rows: int = TEMPLATE_ROWS):
    """Add a ledger sheet laid out as the reader expects; returns the worksheet."""
    rows = max(rows, 1)
    ws = wb.create_sheet(item.name[:31])
    fields = [f for f in item.fields]
    last = get_column_letter(len(fields))
    title = f"{branch}{item.name}" if branch else item.name
    ws["A1"] = title
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    if item.code == "Z1":
        info = f"填报单位：组织部    填报日期：{filled}"
    else:
        info = f"党支部：{branch}    年度：{year}    填报日期：{filled}"
    ws["A2"] = info
    ws.merge_cells(f"A2:{last}2")
    for c, fld in enumerate(fields, 1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=fld.name)
        cell.font = Font(bold=True, color="FFC00000" if fld.is_required(item.code) else "FF000000")
        cell.fill = PatternFill("solid", fgColor="FFDDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        comment = Comment(field_hint(fld, item.code), "台账模板")
        comment.width, comment.height = 260, 90
        cell.comment = comment
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = max(WIDTHS.get(fld.type, 12), len(fld.name) * 2 + 2)
        fmt = NUMBER_FORMATS.get(fld.type)
        first = ws.cell(row=FIRST_DATA_ROW, column=c)
        first.border = BORDER
        if fmt:
            first.number_format = fmt
            ws.column_dimensions[letter].number_format = fmt   # cells typed later get it too
        for r in range(FIRST_DATA_ROW + 1, FIRST_DATA_ROW + rows):
            ws.cell(row=r, column=c)._style = copy(first._style)   # one style object, copied: fast
        if fld.enum:
            listing = ",".join(fld.enum)
            dv = DataValidation(type="list", formula1=f'"{listing}"', allow_blank=True, showErrorMessage=True,
                                errorTitle="请从下拉列表选择", error="可选：" + "、".join(fld.enum),
                                promptTitle=fld.name, prompt=field_hint(fld, item.code)[:250], showInputMessage=True)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + rows - 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    from pipeline.documents.sheets import print_setup
    print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    if rows == TEMPLATE_ROWS:       # a blank form prints with ruled rows to write in, not a bare header
        ws.print_area = f"A1:{last}{FIRST_DATA_ROW + PRINTED_ROWS - 1}"
    return ws


def add_instructions(wb: Workbook, items: list[Item]) -> None:
    ws = wb.create_sheet("填表说明")
    ws.append(["台账", "列名", "是否必填", "填写要求"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in items:
        ws.append([f"{item.code} {item.name}", "", "", item.note])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        for fld in item.fields:
            other = "；也可写作：" + "、".join(fld.synonyms[:5]) if fld.synonyms else ""
            ws.append(["", fld.name, "必填" if fld.is_required(item.code) else "选填",
                       field_hint(fld, item.code).split("；", 1)[-1] + other])
    ws.append([])
    for line in ("通用说明：",
                 "1. 第一行为表名，第二行写明“党支部：XXX党支部  年度：2026  填报日期：2026年3月5日”。",
                 "2. 日期可写 2026-03-05、2026/3/5、2026.3.5、2026年3月5日；金额到分，可带“元”。",
                 "3. 身份证号请保持“文本”格式，否则 Excel 会丢失末几位。",
                 "4. 表尾的“合计”“填表人：”“审核人：”行不作为数据读取。",
                 "5. 一个工作簿可包含多张台账（每张一个工作表）；本“填表说明”表会被自动跳过。"):
        ws.append([line])
    for letter, width in zip("ABCD", (24, 20, 8, 60)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        if row[3].value:
            row[3].alignment = Alignment(wrap_text=True, vertical="top")
        elif row[0].value and not row[1].value and len(str(row[0].value)) > 24:     # the 通用说明 lines
            ws.merge_cells(start_row=row[0].row, start_column=1, end_row=row[0].row, end_column=4)
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
    from pipeline.documents.sheets import fit_rows, print_setup
    print_setup(ws, "1:1", landscape=False)
    fit_rows(wb)


def template_workbook(item: Item) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    add_ledger_sheet(wb, item)
    add_instructions(wb, [item])
    return wb


def save_workbook(wb: Workbook, target: Path) -> Path:
    from pipeline.documents.sheets import cjk_fonts
    cjk_fonts(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomic(target, buffer.getvalue())
    return target


def write_templates(folder: Path) -> list[Path]:
    paths = []
    for item in EXCEL_ITEMS:
        name = safe_name(f"{item.code} {item.name}") + ".xlsx"
        paths.append(save_workbook(template_workbook(item), Path(folder) / name))
    return paths
