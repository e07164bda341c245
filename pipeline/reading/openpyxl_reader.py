"""The openpyxl reader: for workbooks python-calamine cannot tell everything about (formulas and
their cached values, error values, long numbers, huge sheets). Imported only when needed — openpyxl
is a slow import for a command that reads one small file."""
from __future__ import annotations

import logging
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from pipeline.core.issues import ERROR, Issue
from pipeline.core.values import UNCALCULATED, CellError, Shown
from pipeline.reading.raw import MAX_EMPTY_RUN, Limits, RawSheet, file_issue, fixed_decimals

log = logging.getLogger(__name__)


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser, marking cells whose formula has no cached value, and giving a number
    shown with fixed decimals its displayed text (a typed 2026.10 is stored as 2026.1)."""

    decimals: dict = {}

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        value = cell["value"]
        if value is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = UNCALCULATED
        elif cell["data_type"] == "e" and value is not None:
            cell["value"] = CellError(str(value))
        elif type(value) is float and self.decimals.get(cell.get("style_id")) is not None:
            cell["value"] = Shown(value, f"{value:.{self.decimals[cell['style_id']]}f}")
        return cell


def _decimal_places(wb) -> dict[int, int]:
    """style id → decimals its number format shows ("0.00" → 2), for formats that fix them."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS
    custom = list(getattr(wb, "_number_formats", []) or [])
    places = {}
    for style_id, style in enumerate(getattr(wb, "_cell_styles", []) or []):
        fmt_id = getattr(style, "numFmtId", 0) or 0
        code = BUILTIN_FORMATS.get(fmt_id) if fmt_id < 164 else (custom[fmt_id - 164] if fmt_id - 164 < len(custom)
                                                                   else None)
        fixed = fixed_decimals(code)
        if fixed is not None:
            places[style_id] = fixed
    return places


def _read_sheet(ws, wb, limits: Limits, decimals: dict[int, int]) -> RawSheet:
    rows: list = []
    truncated = False
    empty_run = 0
    with ws._get_source() as src:
        parser = _Parser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                         date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        parser.decimals = decimals
        for idx, cells in parser.parse():
            values = [None] * min(max((c["column"] for c in cells), default=0), limits.columns)
            for c in cells:
                if c["column"] <= limits.columns and c["value"] is not None:
                    values[c["column"] - 1] = c["value"]
            if not any(v is not None and v != "" for v in values):
                empty_run += 1
                if empty_run > MAX_EMPTY_RUN:
                    break
                continue
            empty_run = 0
            if idx > limits.rows:
                truncated = True
                break
            rows.extend([] for _ in range(idx - 1 - len(rows)))
            rows.append(values)
        merged = []
        if parser.merged_cells is not None:
            for rng in parser.merged_cells.mergeCell:
                try:
                    merged.append(range_boundaries(rng.ref))
                except (TypeError, ValueError):
                    continue
    return RawSheet(ws.title, rows, tuple(merged), ws.sheet_state != "visible", truncated)




def read_with_openpyxl(path: Path, limits: Limits) -> tuple[list[RawSheet], list[Issue]]:
    # A file object, not a path: openpyxl refuses a real workbook named .xls by its name alone.
    stream = path.open("rb")
    try:
        wb = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:   # openpyxl raises many types for damaged files
        stream.close()
        log.info("openpyxl could not open %s: %s", path, exc)
        return [], [file_issue("file-corrupt", "文件无法作为 Excel 工作簿打开（内容损坏或格式不规范）",
                                "请在 Excel/WPS 中打开确认无误，另存为 .xlsx 后重新提交")]
    sheets, issues = [], []
    decimals = _decimal_places(wb)
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "_get_source"):
                continue   # a chart sheet
            try:
                sheets.append(_read_sheet(ws, wb, limits, decimals))
            except Exception as exc:
                log.info("sheet %s of %s unreadable: %s", ws.title, path, exc)
                issues.append(Issue("file-corrupt", ERROR, "工作表内容损坏，无法读取", sheet=ws.title,
                                    hint="请在 Excel/WPS 中打开确认无误，重新保存后提交"))
    finally:
        wb.close()
        stream.close()
    return sheets, issues
