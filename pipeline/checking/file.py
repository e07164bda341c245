"""Checking one submitted file, start to end, without changing anything: what it is, what it holds,
whose it is, whether every cell and rule holds. Each stage takes what it needs and returns
(value, issues); `check` reads top to bottom:

    kind     = what the file is (by content, not by name)          reading.excel.inspect_file
    content  = a readable form (legacy .xls/.doc through LibreOffice) reading.convert
    sheets   = the ledger sheets and their layout                  reading.excel, reading.layout
    checked  = per sheet: branch, period, rows, rules              checking.branch, .cells, .rules
               (a Word document: checking.word)

Nothing here writes: the store, the original and the receipts are `operations.ingest`'s.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.checking.branch import BranchClaim, resolve_branch, resolve_period
from pipeline.checking.cells import derive, parse_rows, validate
from pipeline.core.files import safe_name
from pipeline.core.issues import ERROR, WARNING, Issue, PipelineError
from pipeline.core.records import Checked, Context, Member, row_months
from pipeline.reading.excel import EXCEL_SUFFIXES, LEGACY_SUFFIXES, WORD_SUFFIXES, inspect_file, read_workbook
from pipeline.reading.layout import Layout, layout_sheet, split_by_branch
from pipeline.store_reads import LedgerRows

log = logging.getLogger(__name__)
SHEET_ORDER = {"Z1": 0, "A1": 1}     # the registry first, then rosters: later sheets check against them


@dataclass(frozen=True)
class Known:
    """What the checks of one file know beyond the file: the registry and rosters so far."""
    registry: tuple[str, ...]
    rosters: dict = field(default_factory=dict)      # branch → [Member] from this same file


def check(path: Path, ws, *, name: str, folder_branch: str | None, received: dt.datetime,
          year: int | None = None) -> Checked:
    """Everything but the store. A bug met on odd input rejects the file (logged), never crashes."""
    try:
        return _check(path, ws, name, folder_branch, received, year)
    except PipelineError:
        raise
    except Exception:   # a bug met on odd input: reject this file, keep it, log the details, go on
        log.exception("unexpected failure while checking %s", path)
        return Checked(issues=(Issue("internal-error", ERROR, "系统处理该文件时发生意外错误，文件已保留，未入库",
                                     hint="请联系管理员查看日志；也可检查文件能否在 Excel 中正常打开"),))


def _check(path: Path, ws, name: str, folder_branch: str | None, received: dt.datetime,
           year: int | None = None) -> Checked:
    kind, issues = file_kind(path, ws.limits)
    if kind is None:
        return Checked(kind, issues=tuple(issues))
    known = Known(tuple(r["党支部"] for r in ws.reads.registry()))
    if not kind.startswith("legacy"):
        checked = check_content(path, kind, ws, name, folder_branch, received, known, year)
        return Checked(kind, checked.sheets, checked.ledgers, checked.pictures, (*issues, *checked.issues))
    with tempfile.TemporaryDirectory(prefix="tz-conv-") as tmp:
        converted, more = convert_legacy(path, kind, Path(tmp))
        if converted is None:
            return Checked(kind, issues=(*issues, *more))
        modern = "docx" if kind == "legacy-doc" else "xlsx"
        checked = check_content(converted, modern, ws, name, folder_branch, received, known, year)
    return Checked(kind, checked.sheets, checked.ledgers, checked.pictures, (*issues, *more, *checked.issues))


def file_kind(path: Path, limits) -> tuple[str | None, list[Issue]]:
    """xlsx, docx, legacy-xls, legacy-doc — by content; None (with the reason) when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES | LEGACY_SUFFIXES | WORD_SUFFIXES:
        return None, [Issue("file-unsupported", ERROR, f"不支持的文件类型“{suffix or '无扩展名'}”",
                            hint="请提交 Excel 工作簿（.xlsx/.xls）或 Word 文档（.docx/.doc）")]
    return inspect_file(path, limits)


def convert_legacy(path: Path, kind: str, tmp: Path) -> tuple[Path | None, list[Issue]]:
    """.doc/.wps → .docx, .xls/.et → .xlsx with LibreOffice; the original is what gets archived."""
    from pipeline.reading.convert import ConversionError, shared_converter
    legacy = tmp / f"{safe_name(path.stem, 'source')}{'.doc' if kind == 'legacy-doc' else '.xls'}"
    shutil.copyfile(path, legacy)
    try:
        return shared_converter().convert(legacy, tmp / "converted"), []
    except ConversionError as exc:
        modern = ".docx" if kind == "legacy-doc" else ".xlsx"
        return None, [Issue("file-legacy-format", ERROR, f"旧版格式文件未能自动转换：{exc}",
                            hint=f"请在 Word/Excel/WPS 中“另存为” {modern} 后重新提交")]


def check_content(path: Path, kind: str, ws, name: str, folder_branch: str | None, received: dt.datetime,
                  known: Known, year: int | None = None) -> Checked:
    if kind == "docx":
        from pipeline.checking.word import check_word
        return check_word(path, ws, name, received, list(known.registry), folder_branch)
    layouts, issues = read_layouts(path, ws.limits, known.registry, folder_branch, name, year)
    sheets, ledgers = [], []
    for layout in sorted(layouts, key=lambda lay: SHEET_ORDER.get(lay.item.code, 2)):
        sheet, ledger, more, known = check_sheet(layout, ws, name, received.date(), known)
        sheets.append(sheet)
        issues += more
        if ledger is not None:
            ledgers.append(ledger)
    if not layouts and not any(i.is_error for i in issues):
        issues.append(Issue("no-ledger", ERROR, "文件中没有可识别的台账工作表",
                            hint="请使用统一的台账模板（taizhang templates 可生成），第一行写明表名"))
    return Checked(kind, tuple(sheets), tuple(_one_ledger_each(ledgers)), (), tuple(issues))


def _one_ledger_each(ledgers: list[LedgerRows]) -> list[LedgerRows]:
    """Sheets of one file that are the same ledger (a roster split into 正式党员 and 预备党员 sheets)
    are stored as one — not the second replacing the first."""
    merged: dict = {}
    for ledger in ledgers:
        key = (ledger.item, ledger.branch, ledger.period)
        if key in merged:
            first = merged[key]
            merged[key] = replace(first, sheet=f"{first.sheet}、{ledger.sheet}"[:100], rows=[*first.rows, *ledger.rows])
        else:
            merged[key] = ledger
    return list(merged.values())


def read_layouts(path: Path, limits, registry: tuple[str, ...], folder_branch: str | None,
                 file_name: str | None = None, year: int | None = None) -> tuple[list[Layout], list[Issue]]:
    """The workbook's ledger sheets, each with its title, info and header rows found; a sheet whose
    branch column names several branches is one layout a branch."""
    raw_sheets, issues = read_workbook(path, limits)
    layouts = []
    for raw in raw_sheets:
        layout, more = layout_sheet(raw, registry, folder_branch, file_name, year)
        issues += more
        if layout is not None:
            layouts += split_by_branch(layout)
    return layouts, issues


def check_sheet(layout: Layout, ws, name: str, received: dt.date, known: Known
                ) -> tuple[dict, LedgerRows | None, list[Issue], Known]:
    """One sheet: (its summary, the ledger to store or None, its issues, what later sheets know)."""
    item = layout.item
    issues: list[Issue] = []
    branch = None
    if not item.college:
        if layout.branch_from == "column-empty":
            lines = "、".join(str(line) for line, _ in layout.data[:8])
            issues.append(Issue("no-branch", ERROR, f"第{lines}行的党支部列是空的，不知道这些行属于哪个党支部",
                                sheet=layout.sheet, cell=layout.branch_cell, hint="请在党支部列填写支部全称"))
        claim = BranchClaim(layout.branch, layout.branch_from, layout.sheet, layout.branch_cell)
        branch, found = resolve_branch(claim, list(known.registry)) if layout.branch_from != "column-empty" \
            else (None, [])
        issues += found
        folder = resolve_branch(BranchClaim(layout.folder, "folder"), list(known.registry))[0] if layout.folder else None
        if branch and folder and branch != folder and layout.branch_from == "column":
            issues.append(Issue("branch-conflict", ERROR, f"文件来自“{folder}”（子文件夹或 --branch），但这些行的党支部是"
                                f"“{branch}”：一个支部只报送本支部的台账", sheet=layout.sheet, cell=layout.branch_cell,
                                hint=f"请由{branch}自己提交，或把文件放到收件箱中“{branch}”的子文件夹"))
    if layout.filled_on and layout.filled_on > received:
        issues.append(Issue("future-date", ERROR, f"填报日期 {layout.filled_on} 晚于收到文件的日期 {received}",
                            sheet=layout.sheet, cell=layout.filled_cell, value=layout.filled_on.isoformat(),
                            hint="请填写实际填报的日期"))
    ctx = _context(layout, ws, name, received, branch, known)
    rows, found = parse_rows(layout, ctx)
    issues += found + derive(layout, rows, ctx) + _not_stored(layout)
    if item.code == "M1":
        issues += _college_rows(rows, known.registry, layout)
    period, ctx.year, ctx.as_of = resolve_period(layout, rows, received)
    if not rows and not any(i.is_error for i in issues):
        issues.append(_empty_sheet(layout))
    issues += validate(rows, item, ctx)
    issues.sort(key=lambda i: (i.row or 0, i.cell or ""))
    codes = sorted({r.item for r in rows}) if item.code == "B" else [item.code]
    sheet = {"sheet": layout.sheet, "item": item.code, "codes": codes, "branch": branch,
             "period": period if period != "snapshot" else None, "rows": len(rows), "months": row_months(rows)}
    issues += _shrinks(layout, ws, branch, period, rows)
    if any(i.is_error for i in issues):
        return sheet, None, issues, known
    return sheet, LedgerRows(item.code, branch, period, layout.sheet, ctx.as_of, rows), issues, \
        _learned(known, item.code, branch, rows)


def _shrinks(layout: Layout, ws, branch: str | None, period: str | None, rows) -> list[Issue]:
    """A roster or a bases table replaces the stored one: the members it leaves out are said. A sheet
    recognised by its columns alone (no title naming it) that would drop more than half the stored
    people is refused — a 名单 of 5 committee members must never replace a roster of 17."""
    code = layout.item.code
    if code not in ("A1", "C1") or branch is None or not rows or any(r.get("生效月份") for r in rows):
        return []
    stored = ws.reads.active_records(code, branch, period) if period and period != "snapshot" \
        else ws.reads.active_records(code, branch)
    before = {r.get("姓名") for r in stored} - {None}
    now = {r.get("姓名") for r in rows} - {None}
    gone = sorted(before - now)
    if not gone:
        return []
    name = layout.item.name
    listed = "、".join(gone[:10]) + (f"等{len(gone)}人" if len(gone) > 10 else "")
    if not layout.by_title and len(gone) > len(before) / 2:
        return [Issue("ledger-shrinks", ERROR, f"这张表只有{len(now)}人，已入库的《{name}》有{len(before)}人；"
                      f"按{name}入库会去掉{listed}", sheet=layout.sheet,
                      hint=f"如确为完整的{name}，请在第一行写明“{name}”后重新提交；部分人员的名单不必按{name}报送"
                           + ("；年中调整个别党员的基数，请增加“生效月份”列" if code == "C1" else ""))]
    return [Issue("ledger-shrinks", WARNING, f"新的《{name}》替换已入库的一份，以下人员不在新表中：{listed}",
                  sheet=layout.sheet, hint="如有遗漏，请补全后重新提交")]


def _context(layout: Layout, ws, name: str, received: dt.date, branch: str | None, known: Known) -> Context:
    item = layout.item
    year = layout.year or (layout.filled_on.year if layout.filled_on else None)
    ctx = Context(name, received, branch, year, layout.month, dues=ws.dues, title=f"{layout.title} {layout.sheet}")
    if branch is not None and item.code in ("A1", "C1"):     # who is who, for what a form leaves out (党员身份)
        stored = known.rosters.get(branch) or ws.reads.roster(branch, year) or []
        ctx.known_members = {m.name: m for m in stored}
    ctx.registered = known.registry
    if branch is not None:
        ctx.branch_kind = next((r.get("支部类型") for r in ws.reads.registry() if r.get("党支部") == branch), None)
    if branch is not None and item.code not in ("A1", "Z1"):
        ctx.roster = known.rosters[branch] if branch in known.rosters else ws.reads.roster(branch, year)
    if branch is not None and item.code == "C2":
        ctx.dues_bases = ws.reads.dues_bases(branch, year or received.year)[0]
    return ctx


def _not_stored(layout: Layout) -> list[Issue]:
    """What of the sheet was not read as data, said once each: rows that are notes or markers, and
    columns that name no field (never dropped without a word)."""
    issues = [Issue("row-skipped", WARNING, f"第{line}行{why}，未作为数据", sheet=layout.sheet, row=line)
              for line, why in layout.skipped]
    if layout.unknown:
        issues.append(Issue("column-unknown", WARNING, f"以下列没有入库（列名未能识别，或与前面的列是同一项）："
                                                       f"{'、'.join(layout.unknown)}",
                            sheet=layout.sheet, row=layout.header_rows[-1],
                            hint="如这些列有需要保存的内容，请改用统一模板的列名"))
    return issues


def _learned(known: Known, code: str, branch: str | None, rows) -> Known:
    """A registry or a roster in this file is what its later sheets are checked against."""
    if code == "Z1":
        return Known(tuple(r.get("党支部") for r in rows if r.ok("党支部")), known.rosters)
    if code == "A1" and branch:
        return Known(known.registry, {**known.rosters, branch: [Member.from_roster(r.values) for r in rows]})
    return known


def _college_rows(rows, registry: tuple[str, ...], layout: Layout) -> list[Issue]:
    """A college-wide sheet names a branch on every row: each must be registered; it needs a month."""
    issues = []
    if layout.month is None:
        issues.append(Issue("no-period", ERROR, "人工评分表需要写明月份", sheet=layout.sheet,
                            hint="请在表名中写明，如“2026年11月月度检查人工评分表”"))
    for row in rows:
        if row.ok("党支部"):
            branch, found = resolve_branch(BranchClaim(row.get("党支部"), "field"), list(registry))
            if branch is None:
                issues += [row.issue("党支部", i.code, i.message, i.hint) for i in found]
            else:
                row.values["党支部"] = branch
    return issues


def _empty_sheet(layout: Layout) -> Issue:
    """A ledger of a state (registry, roster, bases, committee) cannot be empty; one of events may."""
    if layout.item.state:
        return Issue("no-data-state", ERROR, f"《{layout.item.name}》中没有数据行",
                     sheet=layout.sheet, hint="这张表登记的是现状，不能为空：请在表头下逐行填写后重新提交")
    return Issue("no-data", WARNING, "表中没有数据行（本期确无记录的可忽略此提示）", sheet=layout.sheet)
