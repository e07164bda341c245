"""Writing .xlsx outputs: text that never becomes a formula, live formulas whose cached
values are written too (so viewers, previews and pandas see the totals without Excel
recalculating), print setup, and atomic saving."""
from __future__ import annotations

import io
import math
import re
from copy import copy
from decimal import Decimal

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList

from pipeline.core.files import write_atomic
from pipeline.documents.stable import stable_package

THIN = Side(style="thin", color="FF808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="FFDDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="FFF2F2F2")
MONEY = "#,##0.00"
_RISKY = ("=", "+", "-", "@")


class Book:
    """A workbook plus the cached values of the formulas written into it."""

    def __init__(self, workbook):
        self.wb = workbook
        self.cached: dict[tuple[str, str], object] = {}

    def text(self, ws, row: int, col: int, value, **style):
        """User text: always a string cell, even '=1+1', '+86…', '-', '@…'."""
        cell = ws.cell(row=row, column=col)
        cell.value = None if value is None else str(value)
        if cell.value is not None and cell.value.startswith(_RISKY):
            cell.data_type = "s"
        return _style(cell, **style)

    def number(self, ws, row: int, col: int, value, fmt: str = MONEY, **style):
        cell = ws.cell(row=row, column=col, value=float(value) if isinstance(value, Decimal) else value)
        cell.number_format = fmt
        return _style(cell, **style)

    def formula(self, ws, row: int, col: int, formula: str, value, fmt: str = MONEY, **style):
        """A live formula, with `value` (computed by us, in Decimal) stored as its cached result."""
        cell = ws.cell(row=row, column=col, value=formula)
        cell.number_format = fmt
        self.cached[(ws.title, cell.coordinate)] = value
        return _style(cell, **style)

    def save(self, target) -> None:
        cjk_fonts(self.wb)
        fit_rows(self.wb)
        buffer = io.BytesIO()
        self.wb.save(buffer)
        write_atomic(target, with_cached_values(buffer.getvalue(), self.wb.sheetnames, self.cached))


SHEET_FONT = "宋体"          # Excel outputs: a CJK face (mapped like the documents' fonts), never Calibri


def cjk_fonts(wb) -> None:
    """Every cell in SHEET_FONT (keeping its size, bold, colour): Chinese text in a Chinese face and
    digits beside it that match, in Excel, WPS and the PDF alike. Done on the workbook's font table
    (cells refer to fonts by index), not cell by cell: called just before saving."""
    fonts = []
    for font in wb._fonts:
        if font.name in (None, "Calibri"):
            font = copy(font)
            font.name = SHEET_FONT
        fonts.append(font)
    wb._fonts = IndexedList(fonts)


def _text_width(text: str) -> float:
    """Width in Excel's character units: a CJK character counts two."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text)


def fit_rows(wb) -> None:
    """Rows with wrapped text get the height their text needs: LibreOffice (the PDF) and WPS keep a
    row's stored height, so without this the lines of a wrapped cell overlap the next row."""
    for ws in wb.worksheets:
        merged, tall = {}, set()
        for rng in ws.merged_cells.ranges:
            if rng.max_row > rng.min_row:           # merged down several rows: their height is enough
                tall.add((rng.min_row, rng.min_col))
                continue
            width = sum((ws.column_dimensions[get_column_letter(c)].width or 8.43)
                        for c in range(rng.min_col, rng.max_col + 1))
            merged[(rng.min_row, rng.min_col)] = width
        for row in ws.iter_rows():
            lines = 1
            size = 11
            for cell in row:
                if not isinstance(cell.value, str) or not cell.alignment.wrap_text or \
                        (cell.row, cell.column) in tall:
                    continue
                width = merged.get((cell.row, cell.column)) or \
                    (ws.column_dimensions[get_column_letter(cell.column)].width or 8.43)
                needed = sum(max(1, math.ceil(_text_width(part) / max(width - 1, 1))) for part in cell.value.split("\n"))
                lines = max(lines, needed)
                size = max(size, cell.font.sz or 11)
            if lines > 1:
                current = ws.row_dimensions[row[0].row].height
                ws.row_dimensions[row[0].row].height = max(current or 0, lines * size * 1.35)


def _style(cell, bold: bool = False, fill=None, border: bool = True, align: str | None = None, wrap: bool = False):
    if bold:
        cell.font = Font(bold=True)
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    if align or wrap:
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    return cell


def with_cached_values(data: bytes, sheetnames: list[str], cached: dict) -> bytes:
    """Fill openpyxl's empty <v></v> of formula cells with our computed values (in the one pass
    that makes the package reproducible, `stable_package`)."""
    by_sheet: dict[str, dict[str, object]] = {}
    for (title, coord), value in cached.items():
        by_sheet.setdefault(f"xl/worksheets/sheet{sheetnames.index(title) + 1}.xml", {})[coord] = value

    def rewrite(name: str, content: bytes) -> bytes:
        values = by_sheet.get(name)
        if not values:
            return content

        def fill(m):
            value = values.get(m[1])
            if value is None:
                return m[0]
            text = format(value, "f") if isinstance(value, Decimal) else str(value)
            return f'<c r="{m[1]}"{m[2]}><f>{m[3]}</f><v>{text}</v></c>'
        return re.sub(r'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                      fill, content.decode("utf-8")).encode("utf-8")
    return stable_package(data, rewrite)


def print_setup(ws, title_rows: str | None, landscape: bool = True) -> None:
    """A4, fitted to the page width, centred, page numbers; `title_rows` ("3:3") repeat on every page."""
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = f"{SHEET_FONT},Regular"      # not the default Calibri: one face on the page
    ws.oddFooter.center.size = 10
