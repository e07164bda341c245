"""Year-end 述职评议考核 materials: the 述职报告 draft with the year's facts, the 民主测评 result
(F1), the 问题清单/责任清单/整改清单 prefilled from the year's checks, and the college ranking."""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.checking.monthly import year_checks
from pipeline.core.formats import MEETING_TYPES
from pipeline.core.issues import PipelineError
from pipeline.dues.ledger import branch_dues
from pipeline.documents.recordbook import REQUIREMENTS, branch_info
from pipeline.documents.render import output_path, render_docx, template_path
from pipeline.documents.sheets import HEAD_FILL, Book, print_setup
from pipeline.workspace import Workspace

REPORT, LISTS, RANKING = "述职报告", "问题清单责任清单整改清单", "书记述职评议考核汇总表"
WEIGHTS = {"好": 100, "较好": 80, "一般": 60, "差": 40}
GRADES = (("好", 90), ("较好", 80), ("一般", 60), ("差", 0))


def grading(ws: Workspace) -> tuple[dict, tuple]:
    cfg = ws.section("assessment")
    weights = {**WEIGHTS, **{k: Decimal(str(v)) for k, v in cfg.get("weights", {}).items()}}
    grades = tuple((name, Decimal(str(cfg.get("grades", {}).get(name, low)))) for name, low in GRADES)
    return {k: Decimal(str(v)) for k, v in weights.items()}, grades


def vote_result(record: dict, weights: dict, grades: tuple) -> dict:
    """民主测评: Σ votes × weight ÷ valid ballots, graded by the thresholds. Raises on bad counts."""
    votes = {k: int(record.get(k) or 0) for k in ("好", "较好", "一般", "差")}
    total = sum(votes.values())
    stated = record.get("实参评人数")
    if stated is not None and stated != total:
        raise PipelineError(f"民主测评票数有误：{record.get('测评对象')} 好、较好、一般、差合计 {total} 票，"
                            f"实参评人数 {stated} 人")
    if total == 0:
        raise PipelineError(f"民主测评没有有效票：{record.get('测评对象')}")
    score = (sum(Decimal(n) * weights[k] for k, n in votes.items()) / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
    grade = next(name for name, low in grades if score >= low)
    return {"name": record.get("测评对象"), "good": votes["好"], "fair": votes["较好"], "ok": votes["一般"],
            "bad": votes["差"], "total": total, "score": f"{score:.2f}", "grade": grade, "value": score}


def _problems(checks) -> "OrderedDict[str, list[int]]":
    """Each failed point of the year, with the months it failed in (most frequent first)."""
    found: dict[str, list[int]] = {}
    for result in checks:
        for outcome in result.gaps:
            found.setdefault(outcome.point.text, []).append(result.month)
    return OrderedDict(sorted(found.items(), key=lambda kv: -len(kv[1])))


def _months(months: list[int]) -> str:
    return "、".join(f"{m}月" for m in months)


def duty_context(ws: Workspace, branch: str, year: int, today: dt.date, checks: list | None = None) -> dict:
    info = branch_info(ws, branch)
    roster = ws.store.roster(branch, year) or []
    start = dt.date(year, 1, 1)
    new_members = [m for m in roster if m.joined and m.joined.year == year]
    moves = ws.store.records_in_year("A4", branch, year, "日期")
    activists = ws.store.records_in_year("A2", branch, year, "确定为入党积极分子时间")
    full = sum(1 for m in roster if m.status == "正式党员")
    checks = checks if checks is not None else year_checks(ws, branch, year, today)
    meetings = []
    for code, (name, _) in MEETING_TYPES.items():
        held = ws.store.records_in_year(code, branch, year, "日期")
        rule, text = REQUIREMENTS[code]
        needed = {"month": len(checks), "quarter": (len(checks) + 2) // 3}.get(rule, rule[1] if isinstance(rule, tuple) else 1)
        meetings.append({"name": name, "rule": text, "count": f"{len(held)}次",
                         "state": "达到要求" if len(held) >= needed else f"少于要求（应约{needed}次）"})
    dues = branch_dues(ws, branch, year, today)
    d2 = ws.store.records_in_year("D2", branch, year, "日期")
    hours = sum((Decimal(str(r.get("服务时长（小时）") or 0)) for r in d2), Decimal(0))
    contacts = ws.store.records_in_year("D1", branch, year, "联系时间")
    trend = [{"month": f"{c.month}月", "score": f"{c.total:.1f}", "rate": f"{c.total / c.full:.1%}" if c.full else ""}
             for c in checks]
    average = sum((c.total for c in checks), Decimal(0)) / len(checks) if checks else Decimal(0)
    problems = _problems(checks)
    weights, grades = grading(ws)
    votes = [r for r in ws.store.active_records("F1", branch, str(year))]
    vote_rows = [vote_result(r, weights, grades) for r in votes]
    secretary = info["secretary"]
    return {
        "title": f"{branch}书记{year}年度抓党建工作述职报告", "secretary": secretary, "branch": branch, "year": year,
        "facts": {
            "members": f"本支部现有党员{len(roster)}名，其中正式党员{full}名、预备党员{len(roster) - full}名；"
                       f"年初党员{sum(1 for m in roster if m.joined and m.joined < start)}名，本年度新接收预备党员"
                       f"{len(new_members)}名，组织关系转入转出{len(moves)}人次。",
            "development": f"本年度确定入党积极分子{len(activists)}名。",
            "dues": f"全年（截至{dues.last_month}月）应缴党费{dues.due:.2f}元{dues.bases_remark}，实缴{dues.collected:.2f}元，"
                    f"上缴{dues.remitted_total:.2f}元，党费支出{dues.dues_used:.2f}元，结余{dues.balance:.2f}元。",
            "service": f"党员联系群众{len(contacts)}人次，开展志愿服务{len(d2)}次、累计{hours}小时。",
            "checks": f"本年度月度检查{len(checks)}次，平均得分{average:.1f}分。" if checks else "本年度尚无月度检查。",
        },
        "meetings": meetings, "checks": trend, "average": average,
        "problems": [f"{text}（{_months(months)}）" for text, months in problems.items()] or ["本年度月度检查未发现问题。"],
        "problem_map": problems, "vote": vote_rows,
        "vote_note": "" if vote_rows else "尚未提交本年度民主测评统计表（F1）。",
        "vote_value": vote_rows[0]["value"] if vote_rows else None, "vote_grade": vote_rows[0]["grade"] if vote_rows else "",
        "date": f"{today.year}年{today.month}月{today.day}日"}


def duty_report(ws: Workspace, branch: str, year: int, today: dt.date | None = None,
                checks: list | None = None) -> tuple[Path, Path, Path, dict]:
    """The 述职报告 (.docx) and the three lists (.docx and .xlsx); `checks`: the year's monthly
    inspections when the caller has them already (the year-end run computes them once)."""
    today = today or dt.date.today()
    context = duty_context(ws, branch, year, today, checks)
    report = render_docx(template_path(ws, "duty_report.docx"), lambda tpl: context,
                         output_path(ws, year, REPORT, branch))
    items = _list_items(context, year)
    lists_docx = render_docx(template_path(ws, "issue_lists.docx"),
                             lambda tpl: {"branch": branch, "year": year, "items": items},
                             output_path(ws, year, LISTS, branch))
    lists_xlsx = _lists_workbook(ws, branch, year, items)
    return report, lists_docx, lists_xlsx, context


def _list_items(context: dict, year: int) -> list[dict]:
    items = []
    for n, (text, months) in enumerate(context["problem_map"].items(), 1):
        items.append({"n": n, "problem": f"{text}未落实（{_months(months)}）", "cause": "【请填写】",
                      "measure": f"严格落实“{text}”，建立提醒和台账报送机制", "owner": context["secretary"],
                      "deadline": f"{year + 1}年3月31日", "state": "未完成"})
    return items


def _lists_workbook(ws: Workspace, branch: str, year: int, items: list[dict]) -> Path:
    wb = Workbook()
    out = Book(wb)
    heads = ("序号", "问题", "原因", "整改措施", "责任人", "时限", "完成情况")
    keys = ("n", "problem", "cause", "measure", "owner", "deadline", "state")
    for index, name in enumerate(("问题清单", "责任清单", "整改清单")):
        sheet = wb.active if index == 0 else wb.create_sheet()
        sheet.title = name
        out.text(sheet, 1, 1, f"{branch}{year}年度{name}", bold=True, border=False)
        for c, head in enumerate(heads, 1):
            out.text(sheet, 2, c, head, bold=True, fill=HEAD_FILL)
        for r, item in enumerate(items, 3):
            for c, key in enumerate(keys, 1):
                if key == "n":
                    out.number(sheet, r, c, item[key], "0")
                else:
                    out.text(sheet, r, c, item[key], wrap=True)
        for c, width in enumerate((6, 40, 20, 40, 10, 14, 10), 1):
            sheet.column_dimensions[get_column_letter(c)].width = width
        print_setup(sheet, "2:2")
    target = output_path(ws, year, LISTS, branch, "xlsx")
    out.save(target)
    return target


def college_ranking(ws: Workspace, year: int, rows: list[dict]) -> Path:
    """All secretaries ranked by the 民主测评 score, then the average monthly check."""
    wb = Workbook()
    out = Book(wb)
    sheet = wb.active
    sheet.title = "述职评议考核汇总"
    college = ws.section("college").get("name", "")
    out.text(sheet, 1, 1, f"{college}{year}年度党支部书记抓党建工作述职评议考核汇总", bold=True, border=False)
    heads = ("名次", "党总支", "党支部", "书记", "民主测评得分", "等次", "月度检查平均分")
    for c, head in enumerate(heads, 1):
        out.text(sheet, 3, c, head, bold=True, fill=HEAD_FILL)
    ordered = sorted(rows, key=lambda r: (-(r["vote"] or Decimal(-1)), -r["average"], r["branch"]))
    for n, row in enumerate(ordered, 1):
        r = 3 + n
        out.number(sheet, r, 1, n, "0")
        out.text(sheet, r, 2, row["general"])
        out.text(sheet, r, 3, row["branch"])
        out.text(sheet, r, 4, row["secretary"])
        if row["vote"] is None:
            out.text(sheet, r, 5, "未测评")
        else:
            out.number(sheet, r, 5, row["vote"], "0.00")
        out.text(sheet, r, 6, row["grade"])
        out.number(sheet, r, 7, row["average"], "0.0")
    for c, width in enumerate((6, 18, 26, 10, 12, 8, 14), 1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    print_setup(sheet, "3:3", landscape=False)
    target = output_path(ws, year, RANKING, None, "xlsx", college=college)
    out.save(target)
    return target


def all_duty_reports(ws: Workspace, year: int, today: dt.date | None = None) -> Path:
    today = today or dt.date.today()
    rows = []
    for entry in ws.store.registry():
        _, _, _, context = duty_report(ws, entry["党支部"], year, today)
        rows.append({"branch": entry["党支部"], "general": entry.get("党总支") or "（党委直属）",
                     "secretary": context["secretary"], "vote": context["vote_value"], "grade": context["vote_grade"],
                     "average": context["average"]})
    return college_ranking(ws, year, rows)


def duty_report_general(ws: Workspace, general: str, year: int, today: dt.date | None = None) -> tuple[Path, Path, Path]:
    """The 党总支's 述职报告 and lists: its branches' facts added up, each branch's gaps named."""
    today = today or dt.date.today()
    branches = [r["党支部"] for r in ws.store.registry() if (r.get("党总支") or "") == general]
    if not branches:
        raise PipelineError(f"党组织设置中没有“{general}”下属的党支部")
    contexts = [duty_context(ws, branch, year, today) for branch in branches]
    meetings = []
    for index, first in enumerate(contexts[0]["meetings"]):
        rows = [c["meetings"][index] for c in contexts]
        total = sum(int(r["count"].rstrip("次")) for r in rows)
        meeting_ok = sum(1 for r in rows if r["state"] == "达到要求")
        meetings.append({"name": first["name"], "rule": f"各支部{first['rule']}", "count": f"{total}次",
                         "state": f"{meeting_ok}/{len(rows)}个支部达到要求"})
    months = {}
    for c in contexts:
        for point in c["checks"]:
            months.setdefault(point["month"], []).append(Decimal(point["score"]))
    trend = [{"month": m, "score": f"{sum(v) / len(v):.1f}", "rate": "（各支部平均）"} for m, v in months.items()]
    problems = OrderedDict()
    for branch, c in zip(branches, contexts):
        for text, when in c["problem_map"].items():
            problems.setdefault(text, []).append(f"{branch}（{_months(when)}）")
    facts = {key: "；".join(f"{b}：{c['facts'][key].rstrip('。')}" for b, c in zip(branches, contexts)) + "。"
             for key in ("members", "development", "dues", "service")}
    average = sum((c["average"] for c in contexts), Decimal(0)) / len(contexts)
    facts["checks"] = f"所属{len(branches)}个党支部本年度月度检查平均得分{average:.1f}分。"
    context = {"title": f"{general}{year}年度抓党建工作述职报告", "secretary": "（党总支书记）", "branch": general,
               "year": year, "facts": facts, "meetings": meetings, "checks": trend,
               "problems": [f"{text}：{'、'.join(where)}" for text, where in problems.items()] or ["本年度未发现问题。"],
               "vote": [row for c in contexts for row in c["vote"]],
               "vote_note": "表中为所属各党支部书记的民主测评结果。", "date": f"{today.year}年{today.month}月{today.day}日"}
    report = render_docx(template_path(ws, "duty_report.docx"), lambda tpl: context, output_path(ws, year, REPORT, general))
    items = [{"n": n, "problem": f"{text}未落实：{'、'.join(where)}", "cause": "【请填写】",
              "measure": f"督促所属党支部落实“{text}”", "owner": "党总支书记", "deadline": f"{year + 1}年3月31日",
              "state": "未完成"} for n, (text, where) in enumerate(problems.items(), 1)]
    lists_docx = render_docx(template_path(ws, "issue_lists.docx"),
                             lambda tpl: {"branch": general, "year": year, "items": items},
                             output_path(ws, year, LISTS, general))
    return report, lists_docx, _lists_workbook(ws, general, year, items)
