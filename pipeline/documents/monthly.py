"""Monthly inspection outputs: a 月度检查表 per branch (.docx) and the college workbook (.xlsx:
ranking, branch × aspect with a native chart, and the 人工评分 sheet inspectors fill in)."""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pipeline.checking.monthly import ASPECTS, LATER, NA, PENDING, BranchCheck, check_all, load_standard
from pipeline.documents.render import output_path, render_docx, template_path, title_lines
from pipeline.documents.sheets import HEAD_FILL, Book, print_setup
from pipeline.workspace import Workspace

TITLE = "月度检查表"
COLLEGE_TITLE = "月度检查汇总表"


def _n(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


SHOWN_SCORE = {NA: "—", LATER: "—", PENDING: "待评"}


def rate_text(result: BranchCheck) -> str:
    return f"{result.rate:.1%}" if result.rate is not None else "—"


def left_out(result: BranchCheck) -> str:
    """"不适用3项、未到期5项、待评分17项，不计得分也不计应得分。" — or ""."""
    parts = [f"{state}{result.count(state)}项" for state in (NA, LATER, PENDING) if result.count(state)]
    return f"{'、'.join(parts)}，不计得分也不计应得分。" if parts else ""


def _sheet_context(result: BranchCheck, today: dt.date | None) -> dict:
    end = dt.date(result.year, result.month, calendar.monthrange(result.year, result.month)[1])
    made = min(end, today or dt.date.today())          # dated at the end of its month (or the day made)
    rows = [{"id": o.point.id, "aspect": o.point.aspect, "text": o.point.text, "full": _n(o.point.score),
             "score": SHOWN_SCORE.get(o.state, _n(o.score)),
             "evidence": o.evidence + (f"（{o.state}，不计分）" if o.state in (NA, LATER) else "")}
            for o in result.outcomes]
    aspects = [{"name": a, "score": _n(result.aspect(a)), "full": _n(result.aspect_full(a)),
                "standard": _n(sum((o.point.score for o in result.outcomes if o.point.aspect == a), Decimal(0)))}
               for a in ASPECTS]
    return {"branch": result.branch, "year": result.year, "month": result.month, "rows": rows,
            "title_lines": title_lines(result.branch, TITLE),
            "aspects": aspects, "total": _n(result.total), "full": _n(result.full), "rate": rate_text(result),
            "left_out": left_out(result),
            "gaps": [f"{o.point.text}（{o.evidence}）" for o in result.gaps],
            "date": f"{made.year}年{made.month}月{made.day}日"}


def inspection_sheet(ws: Workspace, result: BranchCheck, today: dt.date | None = None) -> Path:
    """The branch's 月度检查表 of one month."""
    target = output_path(ws, result.year, f"{TITLE}（{result.month}月）", result.branch)
    return render_docx(template_path(ws, "monthly_check.docx"),
                       lambda tpl: {"checks": [_sheet_context(result, today)]}, target)


def inspection_book(ws: Workspace, results: list[BranchCheck], today: dt.date | None = None) -> Path:
    """A branch's 月度检查表 of every month so far in one document (a page break between months): what
    the year-end prints and archives — one PDF conversion instead of one a month."""
    first, last = results[0], results[-1]
    span = f"{first.month}月" if first.month == last.month else f"{first.month}—{last.month}月"
    target = output_path(ws, first.year, f"{TITLE}（{span}）", first.branch)
    return render_docx(template_path(ws, "monthly_check.docx"),
                       lambda tpl: {"checks": [_sheet_context(r, today) for r in results]}, target)


def college_workbook(ws: Workspace, results: list[BranchCheck], year: int, month: int) -> Path:
    from pipeline.documents.overview import record_rates
    record_rates(ws, year, results)          # the 台账总览's trend shows what this workbook publishes
    standard = load_standard(ws)
    registry = {r["党支部"]: r.get("党总支") or "（党委直属）" for r in ws.store.registry()}
    wb = Workbook()
    out = Book(wb)
    rank = wb.active
    rank.title = "检查排名"
    college = ws.section("college").get("name", "")
    rank["A1"] = f"{college}{year}年{month}月党支部月度检查排名"
    rank["A1"].font = Font(size=14, bold=True)
    heads = ["名次", "党总支", "党支部", "得分", "应得分", "得分率", *ASPECTS, "待人工评分项"]
    for c, head in enumerate(heads, 1):
        out.text(rank, 3, c, head, bold=True, fill=HEAD_FILL, align="center", wrap=True)
    ordered = sorted(results, key=lambda r: (-(r.rate or 0), -r.total, r.branch))
    place, previous = 0, None
    for n, result in enumerate(ordered, 1):
        if (result.rate, result.total) != previous:        # ranked by 得分率 (§7); equal rates share a place
            place, previous = n, (result.rate, result.total)
        row = 3 + n
        out.number(rank, row, 1, place, "0", align="center")
        out.text(rank, row, 2, registry.get(result.branch, ""))
        out.text(rank, row, 3, result.branch)
        out.number(rank, row, 4, result.total, "0.0")
        out.number(rank, row, 5, result.full, "0.0")
        out.formula(rank, row, 6, f"=D{row}/E{row}", (result.total / result.full) if result.full else 0, "0.0%")
        for k, aspect in enumerate(ASPECTS, 7):
            out.number(rank, row, k, result.aspect(aspect), "0.0")
        out.number(rank, row, 13, result.count(PENDING), "0")
    for c, width in enumerate((6, 18, 26, 8, 8, 9, 9, 9, 9, 9, 9, 9, 12), 1):
        rank.column_dimensions[get_column_letter(c)].width = width
    rank.freeze_panes = "D4"
    print_setup(rank, "3:3")
    _aspect_sheet(out, wb.create_sheet("方面得分"), ordered, year, month)
    _manual_sheet(out, wb.create_sheet("人工评分"), results, standard, year, month)
    target = output_path(ws, year, f"{COLLEGE_TITLE}（{month}月）", None, "xlsx", college=college)
    out.save(target)
    return target


def _aspect_sheet(out: Book, ws, results: list[BranchCheck], year: int, month: int) -> None:
    """The branch × aspect table (titled, printable), and its chart on a sheet of its own, sized and
    scaled to print as one whole page with every branch labelled."""
    ws["A1"] = f"{year}年{month}月各党支部六个方面得分"
    ws["A1"].font = Font(size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=1 + len(ASPECTS))
    out.text(ws, 2, 1, "党支部", bold=True, fill=HEAD_FILL)
    for c, aspect in enumerate(ASPECTS, 2):
        out.text(ws, 2, c, aspect, bold=True, fill=HEAD_FILL, align="center")
    for r, result in enumerate(results, 3):
        out.text(ws, r, 1, result.branch)
        for c, aspect in enumerate(ASPECTS, 2):
            out.number(ws, r, c, result.aspect(aspect), "0.0")
    ws.column_dimensions["A"].width = 26
    for c in range(2, 2 + len(ASPECTS)):
        ws.column_dimensions[get_column_letter(c)].width = 10
    print_setup(ws, "2:2", landscape=False)
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.title = f"{year}年{month}月各党支部六个方面得分"
    chart.y_axis.title = "得分"
    chart.x_axis.tickLblSkip = 1                 # every branch's name, not every other one
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=2, max_col=1 + len(ASPECTS), min_row=2, max_row=2 + len(results))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=3, max_row=2 + len(results)))
    sheet = out.wb.create_sheet("图表")
    chart.width, chart.height = 25, max(15, 0.75 * len(results))     # cm: one landscape page, a bar per branch
    sheet.add_chart(chart, "A1")
    print_setup(sheet, None)
    sheet.page_setup.fitToHeight = 1


def _manual_sheet(out: Book, ws, results: list[BranchCheck], standard, year: int, month: int) -> None:
    """The sheet inspectors fill in; dropped into the inbox it is read as item M1."""
    ws["A1"] = f"{year}年{month}月月度检查人工评分表"
    ws["A1"].font = Font(size=14, bold=True)
    ws.merge_cells("A1:G1")
    ws["A1"].alignment = Alignment(horizontal="center")
    out.text(ws, 2, 1, f"月份：{year}年{month}月　　请在“得分”列填写（不超过分值），填好后放入收件箱即可计入本月检查结果。",
             border=False)
    heads = ("党支部", "检查项编号", "检查内容", "分值", "得分", "检查人", "说明")
    for c, head in enumerate(heads, 1):
        out.text(ws, 3, c, head, bold=True, fill=HEAD_FILL)
    manual = [p for p in standard if p.rule == "manual"]
    row = 4
    for result in results:
        scored = {o.point.id: o for o in result.outcomes}
        for point in manual:
            out.text(ws, row, 1, result.branch)
            out.text(ws, row, 2, point.id)
            out.text(ws, row, 3, point.text)
            out.number(ws, row, 4, point.score, "0.0")
            current = scored.get(point.id)
            if current is not None and current.score is not None:
                out.number(ws, row, 5, current.score, "0.0")
            else:
                out.text(ws, row, 5, None)
            out.text(ws, row, 6, None)
            out.text(ws, row, 7, None)
            row += 1
    for c, width in enumerate((26, 10, 44, 6, 6, 10, 30), 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A4"
    print_setup(ws, "3:3")


def run_check(ws: Workspace, year: int, month: int, branches: list[str] | None = None,
              today: dt.date | None = None) -> tuple[list[BranchCheck], list[Path], Path]:
    results = check_all(ws, year, month, branches, today)
    sheets = [inspection_sheet(ws, r, today) for r in results]
    college = college_workbook(ws, results, year, month)
    return results, sheets, college
