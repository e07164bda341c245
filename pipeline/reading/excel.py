"""Reading submitted files: safety checks, then the raw cells of every worksheet.

`inspect_file` refuses what must not be parsed (empty, not a workbook, encrypted,
legacy, zip bombs) with a clear issue. `read_workbook` streams each sheet once with
openpyxl's own parser in read-only, cached-values mode (macros never run; XML parsed
through defusedxml, which openpyxl uses when it is installed), keeping merged ranges
and marking formulas saved without a cached value and Excel error values.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import warnings
import zipfile
from pathlib import Path

import msoffcrypto

from pipeline.core.issues import Issue
from pipeline.core.values import Shown
from pipeline.reading.raw import Limits, RawSheet, file_issue, fixed_decimals

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
LEGACY_SUFFIXES = {".xls", ".et", ".doc", ".wps"}
WORD_SUFFIXES = {".docx", ".docm"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
def _sniff_text(head: bytes) -> str:
    sample = head.lstrip(b"\xef\xbb\xbf").lstrip()[:200].lower()
    if sample.startswith((b"<html", b"<!doctype html", b"<?xml", b"<table")):
        return "网页/HTML 文件（常见于从系统“导出 Excel”）"
    if b"," in sample or b"\t" in sample:
        return "文本/CSV 文件"
    return "文本文件"


def _office_encrypted(path: Path) -> bool | None:
    try:
        with path.open("rb") as fp:
            return msoffcrypto.OfficeFile(fp).is_encrypted()
    except Exception:   # not an Office container msoffcrypto understands
        return None


WORD_FAMILY = {".doc", ".docx", ".docm", ".wps", ".dot", ".dotx", ".rtf"}


def inspect_file(path: Path, limits: Limits = Limits()) -> tuple[str | None, list[Issue]]:
    """What the file really is — 'xlsx', 'docx', 'legacy-xls', 'legacy-doc' — judged by its
    content, not its name; or (None, issues) for what must not be parsed at all."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        return None, [file_issue("file-empty", "文件是空的（0 字节），可能保存或复制时出错", "请重新保存后再提交")]
    if size > limits.file_bytes:
        return None, [file_issue("file-too-large",
                                  f"文件过大（{size / 2**20:.1f} MB），超过 {limits.file_bytes // 2**20} MB 上限",
                                  "请删除无关的工作表和图片，或拆分后提交")]
    with path.open("rb") as fp:
        head = fp.read(512)
    if head.startswith(OLE_MAGIC):
        if _office_encrypted(path):
            return None, [file_issue("file-encrypted", "文件设有密码（已加密），无法读取",
                                      "请在 Excel/WPS/Word 中取消“文件加密”或“打开权限密码”后重新提交")]
        return ("legacy-doc" if suffix in WORD_FAMILY else "legacy-xls"), []
    if not head.startswith(b"PK"):
        kind = "PDF 文件" if head.startswith(b"%PDF") else _sniff_text(head)
        what = "Word 文档" if suffix in WORD_FAMILY else "Excel 工作簿"
        return None, [file_issue("file-not-excel", f"文件内容不是{what}，而是{kind}，只是扩展名为“{suffix}”",
                                  f"请在 {'Word/WPS' if suffix in WORD_FAMILY else 'Excel/WPS'} 中打开后"
                                  f"“另存为”{what}（{'.docx' if suffix in WORD_FAMILY else '.xlsx'}）")]
    return _inspect_zip(path, limits)


def _inspect_zip(path: Path, limits: Limits) -> tuple[str | None, list[Issue]]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None, [file_issue("file-corrupt", "文件已损坏（可能未保存完整或传输中断），无法打开",
                                  "请在 Excel/WPS 中打开确认无误，重新保存后提交")]
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > limits.unpacked_bytes or (unpacked > 10 * 2**20 and unpacked / packed > limits.ratio):
        return None, [file_issue("file-too-large", f"文件解压后达 {unpacked / 2**20:.0f} MB，超出处理上限，已拒收",
                                  "请删除多余的空行、空列和图片后重新保存提交")]
    if "word/document.xml" in names:
        return "docx", []
    if "xl/workbook.xml" in names:
        return "xlsx", []
    return None, [file_issue("file-corrupt", "文件不是有效的 Excel 工作簿或 Word 文档（缺少正文内容）",
                              "请在 Excel/WPS/Word 中打开后另存为 .xlsx/.docx 再提交")]


READER_ENV = "TAIZHANG_READER"      # "openpyxl" forces the openpyxl reader (tests compare the two)
# Excel's built-in number formats that fix decimals (numFmtId → decimals), as openpyxl's table gives
BUILTIN_DECIMALS = {2: 2, 4: 2, 7: 2, 8: 2, 11: 2, 39: 2, 40: 2, 43: 2, 44: 2, 48: 1}


def read_workbook(path: Path, limits: Limits = Limits()) -> tuple[list[RawSheet], list[Issue]]:
    """Every worksheet's raw cells. The Rust-backed python-calamine reads the values (about ten
    times faster than openpyxl); openpyxl reads a workbook calamine cannot tell everything about —
    one with formulas (a formula saved without a cached value, an error value) — decided from the
    sheet XML before parsing. Both give the same RawSheets (a test compares them cell by cell)."""
    if os.environ.get(READER_ENV) != "openpyxl":
        found = _read_with_calamine(path, limits)
        if found is not None:
            return found
    from pipeline.reading.openpyxl_reader import read_with_openpyxl     # only when needed: a slow import
    with warnings.catch_warnings():
        # openpyxl warns about WPS/Excel extensions it skips (data validation lists, defined names)
        warnings.simplefilter("ignore")
        return read_with_openpyxl(path, limits)


# what calamine cannot tell: a formula (its cached value, or none), an error value, a number of 16
# digits or more (an ID typed as a number: exact as an int only when read from the XML)
_FORMULA = re.compile(rb'<(?:\w+:)?f[ >/]')
_LONG_NUMBER = re.compile(rb'<v>-?\d{16,}</v>')


def _openpyxl_only(xml: bytes) -> bool:
    """Three searches, each with a fast path (one alternation of the three was twice as slow); an
    error value's t="e" is found as plain bytes (a false alarm only sends the file to openpyxl)."""
    return b't="e"' in xml or _FORMULA.search(xml) is not None or _LONG_NUMBER.search(xml) is not None
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name → its part in the package, from the workbook and its relationships."""
    from defusedxml import ElementTree
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in book.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _style_decimals(z: zipfile.ZipFile) -> dict[int, int]:
    """Style id → the decimals its number format fixes ("0.00" → 2), as the openpyxl reader finds them."""
    from defusedxml import ElementTree
    if "xl/styles.xml" not in z.namelist():
        return {}
    styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    custom = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.findall("m:numFmts/m:numFmt", _NS)}
    places = {}
    for style_id, xf in enumerate(styles.findall("m:cellXfs/m:xf", _NS)):
        fmt_id = int(xf.get("numFmtId") or 0)
        places_for = fixed_decimals(custom.get(fmt_id)) if fmt_id >= 164 else BUILTIN_DECIMALS.get(fmt_id)
        if places_for is not None:
            places[style_id] = places_for
    return places


_CHUNK = 1 << 20


def _scan_sheet(z: zipfile.ZipFile, part: str, decimals: dict[int, int]) -> dict[tuple[int, int], int] | None:
    """One pass over a sheet's XML, read 1 MB at a time and cut between cells (a 30,000-row sheet
    is ~27 MB of XML, never held whole): None when openpyxl must read the workbook (a formula, an
    error value, a long number); else (row, column) → decimals of the number cells whose style
    fixes them (a typed 2026.10)."""
    shown = None
    if decimals:
        styles = b"|".join(str(s).encode() for s in decimals)
        shown = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*?)\bs="(' + styles + rb')"([^>]*)>\s*<v>[^<]*\.[^<]*</v>')
    found: dict[tuple[int, int], int] = {}
    carry = b""
    with z.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            text = carry + chunk
            carry = b""
            if chunk:                       # keep the last cell, perhaps cut short, for the next round
                cut = max(text.rfind(b"<c "), text.rfind(b":c "))
                if cut <= 0:
                    carry = text
                    continue
                text, carry = text[:cut], text[cut:]
            if _openpyxl_only(text):
                return None
            for m in shown.finditer(text) if shown else ():
                attrs = m[3] + m[5]
                if b' t="' in attrs and b' t="n"' not in attrs:
                    continue
                col = 0
                for ch in m[1]:
                    col = col * 26 + ch - 64
                found[(int(m[2]), col)] = decimals[int(m[4])]
            if not chunk:
                return found


def _plain(value):
    """A calamine value as openpyxl gives it: no empty strings, whole numbers as int, dates as datetime."""
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _read_with_calamine(path: Path, limits: Limits) -> tuple[list[RawSheet], list[Issue]] | None:
    """The values with python-calamine; None when openpyxl must read the file (formulas, or a
    package calamine cannot open)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:                      # pragma: no cover - a dependency
        return None
    try:
        with zipfile.ZipFile(path) as z:
            parts = _sheet_parts(z)
            decimals = _style_decimals(z)
            members = set(z.namelist())
            scanned = {name: _scan_sheet(z, part, decimals) for name, part in parts.items() if part in members}
            if any(found is None for found in scanned.values()):
                return None
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:   # an odd package: openpyxl reads it, or says it cannot
        log.info("calamine: %s left to openpyxl: %s", path, exc)
        return None
    sheets = []
    for meta in book.sheets_metadata:
        if str(getattr(meta, "typ", "WorkSheet")).split(".")[-1] not in ("WorkSheet",):
            continue                            # a chart sheet
        try:
            sheet = book.get_sheet_by_name(meta.name)
        except Exception as exc:               # entity bombs, broken XML: openpyxl says what is wrong
            log.info("calamine: %s left to openpyxl: %s", path, exc)
            return None
        if sheet.height > limits.rows:          # a huge or padded sheet: openpyxl streams it and stops
            return None
        shown: dict[int, list] = {}
        for (r, c), places in scanned.get(meta.name, {}).items():
            shown.setdefault(r, []).append((c, places))
        rows: list = []
        merged = tuple((c0 + 1, r0 + 1, c1 + 1, r1 + 1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or ()))
        # row by row (never the whole sheet twice): iter_rows starts at row 1 but at the first used
        # column, as to_python(skip_empty_area=False) would not; an empty sheet has no start (and
        # iter_rows would panic)
        lead = [None] * (sheet.start[1] if sheet.start else 0)
        same: dict[str, str] = {}                   # one object for a text repeated down a column
        for index, raw in enumerate(sheet.iter_rows() if sheet.start else (), 1):
            values = lead + [_plain(v) for v in raw[:max(0, limits.columns - len(lead))]]
            del values[limits.columns:]
            for c, v in enumerate(values):
                if type(v) is str and len(v) <= 8:
                    values[c] = same.setdefault(v, v)
            while values and values[-1] is None:
                values.pop()
            if not any(v is not None and v != "" for v in values):
                continue
            for c, places in shown.get(index, ()):
                if c <= len(values) and type(values[c - 1]) in (float, int):
                    values[c - 1] = Shown(float(values[c - 1]), f"{float(values[c - 1]):.{places}f}")
            rows.extend([] for _ in range(index - 1 - len(rows)))
            rows.append(values)
        hidden = str(meta.visible).split(".")[-1] != "Visible"
        sheets.append(RawSheet(meta.name, rows, merged, hidden, False))
    return sheets, []


def fill_merged(sheet: RawSheet) -> list[list]:
    """The rows with every merged range's value copied into all its cells: a new list, in which
    a row a range touches is a copy and the others are the sheet's own (never change them)."""
    rows = list(sheet.rows)
    copied: set[int] = set()
    for min_col, min_row, max_col, max_row in sheet.merged:
        if min_row > len(rows):
            continue
        max_row = min(max_row, len(rows))
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for r in range(min_row - 1, max_row):
            if r not in copied:
                rows[r] = list(rows[r])
                copied.add(r)
            row = rows[r]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col - 1, max_col):
                row[c] = value
    return rows
