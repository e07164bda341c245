"""Dues documents: 《支部党费收缴簿》 (.xlsx, printable .pdf), 《个人党费缴纳登记证》 (.docx),
党费收缴情况公示 (.docx) and the college's 活动经费下拨表 (.xlsx)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import cn2an
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pipeline.dues.ledger import ZERO, BranchDues, activity_fund, branch_dues, rate_text
from pipeline.documents.render import output_path, render_docx, template_path, working_days_later
from pipeline.documents.sheets import HEAD_FILL, MONEY, TOTAL_FILL, Book, print_setup
from pipeline.core.values import as_date, cn_date
from pipeline.workspace import Workspace

REGISTER, CARDS, NOTICE, FUNDS = "支部党费收缴簿", "个人党费缴纳登记证", "党费收缴情况公示", "活动经费下拨表"
MONTH_COL = 7          # column of 1月 in the register


def yuan(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}"


def capital(amount: Decimal) -> str:
    """大写金额: 1234.50 → 壹仟贰佰叁拾肆元伍角; 0 → 零元整."""
    if amount == 0:
        return "零元整"
    return cn2an.an2cn(f"{amount:.2f}", "rmb")


# --- 支部党费收缴簿 -------------------------------------------------------------------

def dues_register(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> Path:
    book = branch_dues(ws, branch, year, today)
    wb = Workbook()
    out = Book(wb)
    sheet = wb.active
    sheet.title = "党费收缴簿"
    total_cell = _grid(out, sheet, book, ws, today)
    _money_flow(out, wb.create_sheet("上缴和使用"), book, total_cell)
    if book.flags:                    # no sheet (and no printed page) holding only "无"
        _flags(out, wb.create_sheet("提示"), book)
    _rates(out, wb.create_sheet("说明"), ws)
    target = output_path(ws, year, REGISTER, branch, "xlsx")
    out.save(target)
    return target


def _grid(out: Book, ws, book: BranchDues, workspace: Workspace, today) -> str:
    heads = ["序号", "姓名", "党员身份", "计算基数", "比例", "月应缴", *[f"{m}月" for m in range(1, 13)],
             "实缴合计", "应缴合计", "少缴/欠缴", "备注"]
    last_col = len(heads)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    title = ws.cell(row=1, column=1, value=f"{book.year}年{book.branch}党费收缴簿")
    title.font, title.alignment = Font(size=16, bold=True), Alignment(horizontal="center")
    made = today or dt.date.today()
    out.text(ws, 2, 1, f"党支部：{book.branch}　　年度：{book.year}　　统计至：{book.year}年{book.last_month}月　　"
                       f"制表日期：{made.year}年{made.month}月{made.day}日　　{book.bases_note}", border=False)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_col)
    for c, head in enumerate(heads, 1):
        out.text(ws, 3, c, head, bold=True, fill=HEAD_FILL, align="center")
    row = 4
    for n, m in enumerate(book.members, 1):
        current = m.due[max(m.due)] if m.due else None
        out.number(ws, row, 1, n, "0", align="center")
        out.text(ws, row, 2, m.name)
        out.text(ws, row, 3, m.identity)
        if current and current.base is not None:
            out.number(ws, row, 4, current.base)
        else:
            out.text(ws, row, 4, "—" if current else "", align="center")
        out.text(ws, row, 5, rate_text(current), align="center")
        if current:
            out.number(ws, row, 6, current.amount)
        else:
            out.text(ws, row, 6, "")
        for month in range(1, 13):
            col = MONTH_COL + month - 1
            if month in m.paid:
                out.number(ws, row, col, m.paid[month])
            elif month not in m.due:
                out.text(ws, row, col, "—" if month <= book.last_month else "", align="center")
            else:
                out.text(ws, row, col, "")
        first, last = get_column_letter(MONTH_COL), get_column_letter(MONTH_COL + 11)
        out.formula(ws, row, MONTH_COL + 12, f"=SUM({first}{row}:{last}{row})", m.paid_total)
        out.number(ws, row, MONTH_COL + 13, m.due_total)
        out.number(ws, row, MONTH_COL + 14, m.shortfall)
        out.text(ws, row, MONTH_COL + 15, _member_note(m), wrap=True)
        row += 1
    out.text(ws, row, 1, "合计", bold=True, fill=TOTAL_FILL)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    sums = {
        **{MONTH_COL + k: sum((m.paid.get(k + 1, ZERO) for m in book.members), ZERO) for k in range(12)},
        MONTH_COL + 12: book.collected, MONTH_COL + 13: book.due,
        MONTH_COL + 14: sum((m.shortfall for m in book.members), ZERO)}
    for col, value in sums.items():
        letter = get_column_letter(col)
        out.formula(ws, row, col, f"=SUM({letter}4:{letter}{row - 1})", value, bold=True, fill=TOTAL_FILL)
    out.text(ws, row, last_col, "", fill=TOTAL_FILL)
    widths = [5, 10, 11, 10, 7, 8, *[8] * 12, 10, 10, 10, 26]
    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "C4"
    print_setup(ws, "3:3")
    return f"'党费收缴簿'!{get_column_letter(MONTH_COL + 12)}{row}"


def _member_note(m) -> str:
    notes = []
    changes = []
    previous = None
    for month, due in sorted(m.due.items()):
        if previous is not None and due.amount != previous.amount:
            changes.append(f"{month}月起月应缴{due.amount}元")
        previous = due
    notes += changes
    if m.joined and m.due and min(m.due) > 1:
        notes.append(f"{min(m.due)}月起交纳")
    if any(d.exempt for d in m.due.values()):
        notes.append("减免")
    if not m.in_roster:
        notes.append("不在花名册")
    return "；".join(notes)


def _money_flow(out: Book, ws, book: BranchDues, collected_cell: str) -> None:
    out.text(ws, 1, 1, f"{book.year}年{book.branch}党费上缴和使用情况", bold=True, border=False)
    row = 3
    out.text(ws, row, 1, "一、党费上缴", bold=True, border=False)
    row += 1
    for c, head in enumerate(("上缴日期", "所属期间", "金额（元）", "接收单位", "票据号"), 1):
        out.text(ws, row, c, head, bold=True, fill=HEAD_FILL, align="center")
    first = row + 1
    for r in book.remitted:
        row += 1
        out.text(ws, row, 1, f"{as_date(r['上缴日期']):%Y-%m-%d}")
        out.text(ws, row, 2, r.get("所属期间"))
        out.number(ws, row, 3, r["金额"])
        out.text(ws, row, 4, r.get("接收单位"))
        out.text(ws, row, 5, r.get("票据号"))
    row += 1
    out.text(ws, row, 1, "小计", bold=True, fill=TOTAL_FILL)
    remitted_cell = f"C{row}"
    out.formula(ws, row, 3, f"=SUM(C{first}:C{max(row - 1, first)})", book.remitted_total, bold=True, fill=TOTAL_FILL)
    row += 2
    out.text(ws, row, 1, "二、党费和活动经费使用", bold=True, border=False)
    row += 1
    for c, head in enumerate(("日期", "事项", "类别", "金额（元）", "资金来源", "经办人", "审批人", "凭证号"), 1):
        out.text(ws, row, c, head, bold=True, fill=HEAD_FILL, align="center")
    first = row + 1
    for u in book.uses:
        row += 1
        for c, key in enumerate(("日期", "事项", "类别", "金额", "资金来源", "经办人", "审批人", "凭证号"), 1):
            value = u.get(key)
            if key == "金额":
                out.number(ws, row, c, value)
            else:
                out.text(ws, row, c, f"{as_date(value):%Y-%m-%d}" if key == "日期" else value)
    last = max(row, first)
    row += 1
    out.text(ws, row, 1, "其中党费支出", bold=True, fill=TOTAL_FILL)
    used_cell = f"D{row}"
    out.formula(ws, row, 4, f'=SUMIF(E{first}:E{last},"党费",D{first}:D{last})', book.dues_used, bold=True,
                fill=TOTAL_FILL)
    activity_cell = f"D{row + 1}"
    out.text(ws, row + 1, 1, "其中活动经费支出", bold=True, fill=TOTAL_FILL)
    out.formula(ws, row + 1, 4, f'=SUMIF(E{first}:E{last},"活动经费",D{first}:D{last})', book.activity_used, bold=True,
                fill=TOTAL_FILL)
    row += 3
    # §5: three accounts, never mixed — no "结余" from subtracting spending from dues already remitted
    out.text(ws, row, 1, "三、账目（党费收缴、党费使用、活动经费分别核算）", bold=True, border=False)
    for title, lines in (
            ("党费收缴", (("本年实缴", f"={collected_cell}", book.collected),
                      ("已上缴", f"={remitted_cell}", book.remitted_total),
                      ("待上缴", "={a}-{b}", book.to_remit))),
            ("党费使用", (("上级返还", None, book.returned_total),
                      ("党费支出", f"={used_cell}", book.dues_used),
                      ("结余" if book.returned else "结余（未登记返还）", "={a}-{b}", book.dues_use_balance))),
            ("活动经费", (("下拨", None, book.activity_fund),
                      ("支出", f"={activity_cell}", book.activity_used),
                      ("结余", "={a}-{b}", book.activity_balance)))):
        row += 1
        out.text(ws, row, 1, title, bold=True, fill=HEAD_FILL)
        out.text(ws, row, 2, "金额（元）", bold=True, fill=HEAD_FILL, align="center")
        cells = []
        for label, formula, value in lines:
            row += 1
            out.text(ws, row, 1, label, bold=label.startswith(("待上缴", "结余")),
                     fill=TOTAL_FILL if label.startswith(("待上缴", "结余")) else None)
            if formula and formula.startswith("={a}"):
                if value is None:
                    out.text(ws, row, 2, "—", align="right")
                else:
                    out.formula(ws, row, 2, formula.format(a=cells[0], b=cells[1]), value, bold=True, fill=TOTAL_FILL)
            elif formula:
                out.formula(ws, row, 2, formula, value)
            elif value is None:
                out.text(ws, row, 2, "—", align="right")
            else:
                out.number(ws, row, 2, value)
            cells.append(f"B{row}")
    for flag in book.account_flags:
        row += 1
        out.text(ws, row, 1, f"提示：{flag}", border=False)
    if not book.flags:
        row += 2
        out.text(ws, row, 1, "本年度没有少缴、连续未交、大额自愿多交或一次补交超过6个月的情况。", border=False)
    for letter, width in zip("ABCDEFGH", (14, 26, 18, 14, 12, 12, 12, 12)):
        ws.column_dimensions[letter].width = width
    print_setup(ws, "1:1", landscape=False)


def _flags(out: Book, ws, book: BranchDues) -> None:
    for c, head in enumerate(("类型", "姓名", "说明"), 1):
        out.text(ws, 1, c, head, bold=True, fill=HEAD_FILL)
    for r, flag in enumerate(book.flags, 2):
        out.text(ws, r, 1, flag.kind)
        out.text(ws, r, 2, flag.name)
        out.text(ws, r, 3, flag.full, wrap=True)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 12, 10, 64
    ws.freeze_panes = "A2"
    print_setup(ws, "1:1", landscape=False)


def _rates(out: Book, ws, workspace: Workspace) -> None:
    out.text(ws, 1, 1, "党费交纳比例（依据中组发〔2008〕3号《关于中国共产党党费收缴、使用和管理的规定》）", bold=True, border=False)
    heads = ("生效日期", "类别", "基数下限（不含）", "基数上限（含）", "比例", "定额（元/月）", "依据")
    for c, head in enumerate(heads, 1):
        out.text(ws, 3, c, head, bold=True, fill=HEAD_FILL)
    for r, band in enumerate(workspace.dues.bands, 4):
        fixed = "" if band.fixed_min is None else (yuan(band.fixed_min) if band.fixed_min == band.fixed_max
                                                   else f"{yuan(band.fixed_min)}～{yuan(band.fixed_max)}")
        values = (band.effective_from.isoformat(), band.category, yuan(band.base_above), yuan(band.base_upto),
                  rate_text_band(band.rate), fixed, band.basis)
        for c, value in enumerate(values, 1):
            out.text(ws, r, c, value, wrap=c == 7)
    row = 5 + len(workspace.dues.bands)
    rounding = workspace.dues.rounding_text or "四舍五入到分"
    for line in ("说明：", f"1. 月应缴 = 计算基数 × 比例（按整个基数适用一档比例，不分段累进），{rounding}。",
                 "2. 预备党员从支部大会接收之月起交纳党费；年中工资变动，从新工资发放之月起按新基数计算。",
                 "3. “—”表示该月尚未入党，不需交纳；空白表示应交未交（或该月尚未到）。",
                 "4. 减免须经支部研究并报上级党委批准；自愿多交的部分计入实缴，单笔1000元以上单独登记、全额上缴。"):
        out.text(ws, row, 1, line, border=False, wrap=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
        ws.row_dimensions[row].height = 30 if line != "说明：" else 18
        row += 1
    for letter, width in zip("ABCDEFG", (12, 8, 16, 16, 8, 14, 46)):
        ws.column_dimensions[letter].width = width
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
    print_setup(ws, "3:3", landscape=False)


def rate_text_band(rate) -> str:
    from pipeline.dues.rates import percent_text
    return "" if rate is None else percent_text(rate)


# --- 个人党费缴纳登记证 and the 公示 ------------------------------------------------------------

def card_context(book: BranchDues, member_filter: str | None = None) -> list[dict]:
    cards = []
    for m in book.members:
        if member_filter and m.name != member_filter:
            continue
        rows = []
        for month in range(1, 13):
            due = m.due.get(month)
            paid = m.paid.get(month)
            day = m.paid_on.get(month)
            if month > book.last_month and paid is None:       # not yet come: blank, not "—" (not a member)
                rows.append({"month": f"{month}月", "base": "", "rate": "", "due": "", "paid": "", "day": "",
                             "collector": ""})
                continue
            rows.append({"month": f"{month}月", "base": yuan(due.base) if due and due.base is not None else ("定额" if due else "—"),
                         "rate": rate_text(due) if due else "—", "due": yuan(due.amount) if due else "—",
                         "paid": yuan(paid) if paid is not None else "", "day": f"{day:%m-%d}" if day else "",
                         "collector": m.collector.get(month, "")})
        cards.append({"name": m.name, "branch": book.branch, "status": m.status or m.identity, "year": book.year,
                      "rows": rows, "due_total": yuan(m.due_total), "paid_total": yuan(m.paid_total),
                      "capital": capital(m.paid_total), "note": book.bases_remark,
                      "as_of": f"注：统计截至{book.year}年{book.last_month}月；“—”表示该月尚未入党、不需交纳，"
                               f"空白表示该月尚未到或未交纳。" if book.last_month < 12 else
                               "注：“—”表示该月尚未入党、不需交纳；实缴空白表示应交未交。"})
    return cards


def dues_cards(ws: Workspace, branch: str, year: int, member: str | None = None,
               today: dt.date | None = None) -> Path:
    book = branch_dues(ws, branch, year, today)
    context = {"cards": card_context(book, member), "college": ws.section("college").get("name", "")}
    title = CARDS if member is None else f"{CARDS}（{member}）"
    return render_docx(template_path(ws, "dues_cards.docx"), lambda tpl: context,
                       output_path(ws, year, title, branch))


def dues_notice(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> Path:
    book = branch_dues(ws, branch, year, today)
    made = today or dt.date.today()
    members = [{"n": n, "name": m.name, "monthly": yuan(m.due[max(m.due)].amount) if m.due else "—",
                "due": yuan(m.due_total), "months": sum(1 for v in m.paid.values() if v > 0), "paid": yuan(m.paid_total)}
               for n, m in enumerate(book.members, 1)]
    context = {"branch": branch, "year": year, "college": ws.section("college").get("name", ""), "last_month": book.last_month, "members": members,
               "count": len(members), "collected": yuan(book.collected), "due": yuan(book.due),
               "collection": book.collection_text, "use": book.use_text,
               "date": f"{made.year}年{made.month}月{made.day}日", "bases_note": book.bases_remark,
               "until": cn_date(working_days_later(made, 5))}
    return render_docx(template_path(ws, "dues_notice.docx"), lambda tpl: context,
                       output_path(ws, year, NOTICE, branch))


# --- 活动经费下拨表 -----------------------------------------------------------------------

def july_first_awards(honours: list[dict], patterns: list[str], generals) -> tuple[bool, set[str]]:
    """(whether the branch itself got a "七一" recognition, the 党总支 that got one) from E5 records:
    the 荣誉名称 must match a pattern (a 五四 "共建先进党支部" does not); a 获奖对象 that is a 党总支's
    name awards that 党总支, not the branch that recorded it."""
    compiled = [re.compile(p) for p in patterns]
    branch, awarded = False, set()
    for honour in honours:
        name = re.sub(r"\s", "", str(honour.get("荣誉名称") or ""))
        if not any(p.search(name) for p in compiled):
            continue
        target = str(honour.get("获奖对象") or "").strip()
        if target and target in generals:
            awarded.add(target)
        else:
            branch = True
    return branch, awarded


def funds(ws: Workspace, year: int) -> Path:
    """§6: 200 元 × members at the start of the year per branch, 5000 元 per 党总支, 350 元 × 12 for
    each secretary, and the 七一 awards recorded in E5 — every rate from the config."""
    cfg = ws.funding()
    per_member, general_rate = cfg["per_member"], cfg["general_branch"]
    stipend, award_branch = cfg["secretary_monthly"] * 12, cfg["award_branch"]
    wb = Workbook()
    out = Book(wb)
    sheet = wb.active
    sheet.title = "活动经费下拨表"
    college = ws.section("college").get("name", "")
    sheet.merge_cells("A1:I1")
    title = sheet.cell(row=1, column=1, value=f"{college}{year}年度党组织活动经费下拨表")
    title.font, title.alignment = Font(size=16, bold=True), Alignment(horizontal="center")
    out.text(sheet, 2, 1, f"标准：支部活动经费 {per_member} 元/人·年（按年初党员数）；党总支活动经费 {general_rate} 元/年；"
                          f"支部书记岗位津贴 {cfg['secretary_monthly']} 元/月；“七一”表彰奖励：党支部 {award_branch} 元，"
                          f"党总支 {cfg['award_general']} 元。",
             border=False)
    heads = ("序号", "党总支", "党支部", "年初党员数", "支部活动经费", "书记岗位津贴", "“七一”表彰奖励", "党总支活动经费", "合计")
    for c, head in enumerate(heads, 1):
        out.text(sheet, 4, c, head, bold=True, fill=HEAD_FILL, align="center", wrap=True)
    row, n = 5, 0
    registry = ws.store.registry()
    generals = sorted({r.get("党总支") or "" for r in registry})
    awarded_generals: set[str] = set()
    for entry in registry:         # a 党总支's own honour is recorded by one of its branches
        awarded_generals |= july_first_awards(ws.store.records_in_year("E5", entry["党支部"], year, "日期"),
                                              ws.award_patterns(), generals)[1]
    totals = {c: ZERO for c in range(4, 10)}
    for general in generals:
        branches = [r for r in registry if (r.get("党总支") or "") == general]
        first = row
        for entry in branches:
            n += 1
            name = entry["党支部"]
            members, grant = activity_fund(ws, name, year)
            branch_award = july_first_awards(ws.store.records_in_year("E5", name, year, "日期"),
                                             ws.award_patterns(), generals)[0]
            award = award_branch if branch_award else ZERO
            values = {4: Decimal(members), 5: grant, 6: stipend if entry.get("书记") else ZERO,
                      7: award, 8: ZERO}
            out.number(sheet, row, 1, n, "0", align="center")
            out.text(sheet, row, 2, general or "（党委直属）")
            out.text(sheet, row, 3, name)
            out.number(sheet, row, 4, members, "0")
            for col in (5, 6, 7, 8):
                out.number(sheet, row, col, values[col])
            out.formula(sheet, row, 9, f"=SUM(E{row}:H{row})", sum((values[c] for c in (5, 6, 7, 8)), ZERO))
            for col in range(4, 9):
                totals[col] += values[col]
            totals[9] += sum((values[c] for c in (5, 6, 7, 8)), ZERO)
            row += 1
        if general:
            out.text(sheet, row, 2, general)
            out.text(sheet, row, 3, "（党总支）")
            for col in range(4, 8):
                out.text(sheet, row, col, "")
            general_award = cfg["award_general"] if general in awarded_generals else ZERO
            out.number(sheet, row, 7, general_award)
            out.number(sheet, row, 8, general_rate)
            out.formula(sheet, row, 9, f"=SUM(E{row}:H{row})", general_rate + general_award)
            totals[7] += general_award
            totals[8] += general_rate
            totals[9] += general_rate + general_award
            row += 1
        if row - first > 1:              # the 党总支 named once, beside all its rows
            sheet.merge_cells(start_row=first, start_column=2, end_row=row - 1, end_column=2)
            sheet.cell(row=first, column=2).alignment = Alignment(vertical="center", wrap_text=True)
    out.text(sheet, row, 1, "合计", bold=True, fill=TOTAL_FILL)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    for col in range(4, 10):
        letter = get_column_letter(col)
        out.formula(sheet, row, col, f"=SUM({letter}5:{letter}{row - 1})", totals[col], "0" if col == 4 else MONEY,
                    bold=True, fill=TOTAL_FILL)
    out.text(sheet, 3, 9, "单位：元", border=False, align="right")
    row += 2
    out.text(sheet, row, 1, "制表：＿＿＿＿＿＿　　审核：＿＿＿＿＿＿　　审批：＿＿＿＿＿＿", border=False)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    out.text(sheet, row, 7, "（党委组织部盖章）", border=False, align="center")
    sheet.merge_cells(start_row=row, start_column=7, end_row=row, end_column=9)
    out.text(sheet, row + 1, 7, "年　　月　　日", border=False, align="center")
    sheet.merge_cells(start_row=row + 1, start_column=7, end_row=row + 1, end_column=9)
    for c, width in enumerate((5, 18, 26, 10, 13, 13, 13, 14, 13), 1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.merge_cells("A2:I2")
    sheet.cell(row=2, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 32
    sheet.freeze_panes = "D5"
    print_setup(sheet, "4:4")
    if row < 40:                         # one college's sheet: on one page, with its signature block
        sheet.page_setup.fitToHeight = 1
    target = output_path(ws, year, FUNDS, None, "xlsx", college=college)
    out.save(target)
    return target
