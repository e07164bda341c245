"""Year-end 述职评议考核 materials: the 述职报告 draft with the year's facts, the 民主测评 result
(F1), the 问题清单/责任清单/整改清单 built from the year-end state (§7), and the college ranking.

问题清单: each problem once, as what happened with its evidence, its aspect and its source
(月度检查 / 台账校验 / 民主测评 / 上级检查); a monthly point that failed in some months is one problem
listing them; a yearly point met by December, or a state put right by the year end, is none.
责任清单: 主体责任 (the committee, the 书记 first) and the 直接责任人 by the committee's division
of duties (the standard's `duty`). 整改清单: measures from the standard's library, a target, a time
limit (`[assessment] rectify_months`, default 3), the person responsible."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.checking.monthly import FAIL, PASS, BranchCheck, Point, year_checks
from pipeline.checking.rules import add_years
from pipeline.core.issues import PipelineError
from pipeline.core.values import as_date
from pipeline.dues.ledger import branch_dues
from pipeline.documents.recordbook import QUARTERS, branch_info, meeting_counts, month_list
from pipeline.documents.render import output_path, render_docx, template_path, title_lines
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


SOURCES = ("月度检查", "台账校验", "民主测评", "上级检查")
LEDGER_RULES = {"no_open_rejections", "no_lapsed_members", "dues_full_month"}   # source 台账校验
COMPOSITES = {"three_meetings_month": {"committee_meeting_month", "group_meeting_month", "general_meeting_quarter",
                                       "lecture_quarter"}}
DUTIES = {"书记": "第一责任人，统筹支部建设，亲自抓、带头做",
          "组织委员": "负责组织生活、党员管理、党费收缴和发展党员工作",
          "宣传委员": "负责学习教育和宣传工作",
          "纪检委员": "负责党的纪律教育和监督检查"}


@dataclass
class Problem:
    """One entry of the 问题清单 (and, through it, of the 责任清单 and 整改清单)."""
    aspect: str
    text: str                      # what happened, with its evidence
    source: str                    # one of SOURCES
    point: Point | None = None
    duty: str = "书记"
    measures: tuple[str, ...] = ()
    target: str = ""


def _span(checks: list[BranchCheck]) -> str:
    return "全年" if len(checks) == 12 else f"1～{len(checks)}月"


def _missed(point: Point, judged: list[int], failed: list[int], checks: list[BranchCheck]) -> str:
    """"全年12个月中3个月未召开支部委员会（1月、5月、8月）", "全年每季度均未召开支部党员大会"."""
    if point.period == "quarter":
        unit, names = "个季度", "第" + "、".join(QUARTERS[(m - 1) // 3] for m in failed) + "季度"
    else:
        unit, names = "个月", month_list(failed)
    if len(failed) == len(judged) and len(judged) > 1:
        return f"{_span(checks)}{'每季度' if point.period == 'quarter' else '每月'}均{point.problem}"
    return f"{_span(checks)}{len(judged)}{unit}中{len(failed)}{unit}{point.problem}（{names}）"


def year_problems(checks: list[BranchCheck], votes: list[dict] = (), inspections: list[dict] = ()) -> list[Problem]:
    """THE problems of a branch's year, from the year-end state of its monthly checks, its 民主测评
    and the open items of 上级检查 (E6)."""
    if not checks:
        return []
    standard = [o.point for o in checks[0].outcomes if o.point.rule != "manual"]
    rules = {p.rule for p in standard}
    found = []
    for point in standard:
        if point.rule in COMPOSITES and COMPOSITES[point.rule] & rules:
            continue                            # its parts say it, each once
        if point.rule == "rectification_on_time" and inspections:
            continue                            # the E6 items are listed one by one below
        outcomes = [(c.month, next(o for o in c.outcomes if o.point.id == point.id)) for c in checks]
        judged = [(month, o) for month, o in outcomes if o.state in (PASS, FAIL)]
        failed = [month for month, o in judged if o.state == FAIL]
        if not failed:
            continue
        if point.problem:                       # an event point: one problem listing the months
            text = _missed(point, [m for m, _ in judged], failed, checks)
        elif judged[-1][1].state == FAIL:       # a state: a problem only if it still stands at the end
            text = judged[-1][1].evidence
        else:
            continue
        source = "台账校验" if point.rule in LEDGER_RULES else "月度检查"
        found.append(Problem(point.aspect, text, source, point, point.duty, point.measures,
                             f"做到“{re.sub(r'^本(月|季度)', '', point.text)}”"))
    for vote in votes:
        if vote["grade"] in ("一般", "差"):
            found.append(Problem("组织健全", f"书记抓党建工作民主测评等次为“{vote['grade']}”（得分{vote['score']}）",
                                 "民主测评", None, "书记", ("认真听取党员群众意见，针对测评反映的问题逐项改进，年中开展一次回头看",),
                                 "民主测评等次达到“较好”以上"))
    for item in inspections:
        limit = as_date(item.get("整改时限"))
        when = f"，整改时限{limit.year}年{limit.month}月{limit.day}日" if limit else ""
        found.append(Problem("作用突出", f"上级检查发现：{item.get('发现问题')}（{item.get('完成情况') or '未整改'}{when}）",
                             "上级检查", None, "书记", (str(item.get("整改措施") or "按检查意见逐项整改"),),
                             "按期完成整改并报上级党组织验收"))
    return found


def _committee(basic: dict | None, secretary: str) -> dict[str, str]:
    """Who holds each post (from E1; the 书记 answers for a post nobody holds)."""
    basic = basic or {}
    return {"书记": secretary or "（书记）", **{post: basic.get(post) or "" for post in ("组织委员", "宣传委员", "纪检委员")}}


def lists_items(problems: list[Problem], secretary: str, basic: dict | None, today: dt.date,
                rectify_months: int = 3) -> dict[str, list[dict]]:
    """The three tables: 问题清单, 责任清单, 整改清单 (each its own columns)."""
    posts = _committee(basic, secretary)
    deadline = add_years(today, 0, rectify_months)
    issues, duties, fixes = [], [], []
    for n, p in enumerate(problems, 1):
        holder = posts.get(p.duty) or ""
        owner = f"{p.duty} {holder}" if holder else f"书记 {posts['书记']}（未设{p.duty}）"
        issues.append({"n": n, "aspect": p.aspect, "problem": p.text, "source": p.source,
                       "cause": "【请填写：问题产生的原因】"})
        duties.append({"n": n, "problem": p.text, "main": f"支部委员会；书记 {posts['书记']} 为第一责任人",
                       "direct": owner, "duty": DUTIES.get(p.duty, p.duty) if holder or p.duty == "书记"
                       else f"{DUTIES.get(p.duty, p.duty)}（未设{p.duty}，由书记负责）"})
        fixes.append({"n": n, "problem": p.text, "measure": "；".join(p.measures) or "【请填写：整改措施】",
                      "target": p.target, "deadline": f"{deadline.year}年{deadline.month}月{deadline.day}日",
                      "owner": owner, "state": "", "check": ""})
    return {"issues": issues, "duties": duties, "fixes": fixes}


def _meetings(ws: Workspace, branch: str, year: int, checks: list[BranchCheck]) -> list[dict]:
    """The 述职's meeting table: counted per required period by the record book's one computation,
    with 支委会 and 党小组会 not applicable where the checks found them so."""
    not_needed = {}
    for o in (checks[-1].outcomes if checks else ()):
        if o.point.rule == "committee_meeting_month" and o.state == "不适用":
            not_needed["B2"] = o.evidence
        if o.point.rule == "group_meeting_month" and o.state == "不适用":
            not_needed["B3"] = o.evidence
    return meeting_counts(ws, branch, year, len(checks), not_needed)


def duty_context(ws: Workspace, branch: str, year: int, today: dt.date, checks: list | None = None) -> dict:
    info = branch_info(ws, branch)
    roster = ws.store.roster(branch, year) or []
    start = dt.date(year, 1, 1)
    new_members = [m for m in roster if m.joined and m.joined.year == year]
    moves = ws.store.records_in_year("A4", branch, year, "日期")
    activists = ws.store.records_in_year("A2", branch, year, "确定为入党积极分子时间")
    full = sum(1 for m in roster if m.status == "正式党员")
    checks = checks if checks is not None else year_checks(ws, branch, year, today)
    meetings = _meetings(ws, branch, year, checks)
    dues = branch_dues(ws, branch, year, today)
    d2 = ws.store.records_in_year("D2", branch, year, "日期")
    hours = sum((Decimal(str(r.get("服务时长（小时）") or 0)) for r in d2), Decimal(0))
    contacts = ws.store.records_in_year("D1", branch, year, "联系时间")
    trend = [{"month": f"{c.month}月", "score": f"{c.total:.1f}", "full": f"{c.full:.1f}",
              "rate": f"{c.rate:.1%}" if c.rate is not None else "—"} for c in checks]
    average = sum((c.total for c in checks), Decimal(0)) / len(checks) if checks else Decimal(0)
    rates = [c.rate for c in checks if c.rate is not None]
    average_rate = sum(rates, Decimal(0)) / len(rates) if rates else None
    weights, grades = grading(ws)
    votes = [r for r in ws.store.active_records("F1", branch, str(year))]
    vote_rows = [vote_result(r, weights, grades) for r in votes]
    secretary = info["secretary"]
    open_items = [r for r in ws.store.active_records("E6", branch) if r.get("完成情况") != "已完成"
                  and (as_date(r.get("检查日期")) is None or as_date(r["检查日期"]).year <= year)]
    problems = year_problems(checks, vote_rows, open_items)
    months = int(ws.section("assessment").get("rectify_months", 3))
    return {
        "title": f"{branch}书记{year}年度抓党建工作述职报告",
        "title_lines": title_lines(f"{branch}书记", f"{year}年度抓党建工作述职报告"),
        "secretary": secretary, "branch": branch, "year": year,
        "unit": "本支部",
        "facts": {
            "members": f"本支部现有党员{len(roster)}名，其中正式党员{full}名、预备党员{len(roster) - full}名；"
                       f"年初党员{sum(1 for m in roster if m.joined and m.joined < start)}名，本年度新接收预备党员"
                       f"{len(new_members)}名，组织关系转入转出{len(moves)}人次。",
            "development": f"本年度确定入党积极分子{len(activists)}名。",
            "dues": f"全年（截至{dues.last_month}月）应缴党费{dues.due:.2f}元{dues.bases_remark}；{dues.collection_text}；"
                    f"{dues.use_text}；{dues.activity_text}。",
            "service": f"党员联系群众{len(contacts)}人次，开展志愿服务{len(d2)}次、累计{hours}小时。",
            "checks": f"本年度月度检查{len(checks)}次（{_span(checks)}），平均得分率{average_rate:.1%}。"
                      if checks and average_rate is not None else "本年度尚无月度检查。",
        },
        "meetings": meetings, "checks": trend, "average": average, "average_rate": average_rate,
        "numbers": {"members": len(roster), "full": full, "new": len(new_members), "activists": len(activists),
                    "moves": len(moves), "contacts": len(contacts), "volunteering": len(d2), "hours": hours},
        "dues_book": dues,
        "problems": [p.text for p in problems] or ["本年度月度检查未发现问题。"],
        "problem_list": problems, **lists_items(problems, secretary, info["basic"], today, months), "vote": vote_rows,
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
                         output_path(ws, year, REPORT, branch), identity=(REPORT, branch, year))
    lists = {"branch": branch, "year": year, **{k: context[k] for k in ("issues", "duties", "fixes")},
             "title_lines": title_lines(f"{branch}{year}年度", "问题清单、责任清单、整改清单", width=31)}
    lists_docx = render_docx(template_path(ws, "issue_lists.docx"), lambda tpl: lists, output_path(ws, year, LISTS, branch),
                             identity=(LISTS, branch, year))
    lists_xlsx = _lists_workbook(ws, branch, year, lists)
    return report, lists_docx, lists_xlsx, context


LIST_SHEETS = (
    ("问题清单", "issues", (("序号", "n", 6), ("方面", "aspect", 10), ("问题表现（事实和依据）", "problem", 56),
                           ("来源", "source", 10), ("原因分析", "cause", 30))),
    ("责任清单", "duties", (("序号", "n", 6), ("问题", "problem", 46), ("主体责任", "main", 26),
                           ("直接责任人", "direct", 18), ("责任内容", "duty", 36))),
    ("整改清单", "fixes", (("序号", "n", 6), ("问题", "problem", 38), ("整改措施", "measure", 40),
                          ("整改目标", "target", 24), ("时限", "deadline", 14), ("责任人", "owner", 16),
                          ("完成情况", "state", 12), ("验收", "check", 10))),
)


def _lists_workbook(ws: Workspace, branch: str, year: int, lists: dict) -> Path:
    """The three lists, one sheet each, landscape — each with its own columns."""
    wb = Workbook()
    out = Book(wb)
    for index, (name, key, columns) in enumerate(LIST_SHEETS):
        sheet = wb.active if index == 0 else wb.create_sheet()
        sheet.title = name
        out.text(sheet, 1, 1, f"{branch}{year}年度{name}", bold=True, border=False)
        for c, (head, _, width) in enumerate(columns, 1):
            out.text(sheet, 2, c, head, bold=True, fill=HEAD_FILL, align="center")
            sheet.column_dimensions[get_column_letter(c)].width = width
        for r, item in enumerate(lists[key], 3):
            for c, (_, field, _) in enumerate(columns, 1):
                if field == "n":
                    out.number(sheet, r, c, item[field], "0", align="center")
                else:
                    out.text(sheet, r, c, item[field], wrap=True)
        if not lists[key]:
            out.text(sheet, 3, 1, "本年度未发现问题。", border=False)
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


def general_secretary(ws: Workspace, general: str) -> str:
    """The 党总支's 书记: from the 党组织设置表 (党总支书记), else an E1 the 党总支 filed for itself."""
    for entry in ws.store.registry():
        if (entry.get("党总支") or "") == general and entry.get("党总支书记"):
            return entry["党总支书记"]
    basic = ws.store.active_records("E1", general)
    return (basic[0].get("书记") if basic else None) or ""


def _names(branches: list[str]) -> str:
    return "、".join(branches)


def duty_report_general(ws: Workspace, general: str, year: int, today: dt.date | None = None,
                        checks_of: dict | None = None) -> tuple[Path, Path, Path]:
    """The 党总支's 述职报告 and lists: prose about its branches — their figures added up from the same
    computations as the branches' own reports, each problem with the branches it concerns.
    `checks_of`: the branches' year of monthly inspections where they were made already."""
    today = today or dt.date.today()
    branches = [r["党支部"] for r in ws.store.registry() if (r.get("党总支") or "") == general]
    if not branches:
        raise PipelineError(f"党组织设置中没有“{general}”下属的党支部")
    contexts = [duty_context(ws, branch, year, today, (checks_of or {}).get(branch)) for branch in branches]
    n = {key: sum(c["numbers"][key] for c in contexts) for key in contexts[0]["numbers"]}
    books = [c["dues_book"] for c in contexts]
    due, collected = sum((b.due for b in books), Decimal(0)), sum((b.collected for b in books), Decimal(0))
    remitted = sum((b.remitted_total for b in books), Decimal(0))
    carried = [b.branch for b in books if b.bases_note]
    secretary = general_secretary(ws, general)
    facts = {
        "members": f"本党总支下设{len(branches)}个党支部（{_names(branches)}），共有党员{n['members']}名，其中正式党员"
                   f"{n['full']}名、预备党员{n['members'] - n['full']}名；本年度新接收预备党员{n['new']}名，"
                   f"组织关系转入转出{n['moves']}人次。",
        "development": f"各党支部本年度共确定入党积极分子{n['activists']}名。",
        "dues": f"各党支部全年应缴党费{due:.2f}元，实缴{collected:.2f}元，已向上级党组织上缴{remitted:.2f}元"
                + (f"；{_names(carried)}尚未核定本年度党费基数，沿用上年基数计算" if carried else "") + "。",
        "service": f"党员联系群众{n['contacts']}人次，开展志愿服务{n['volunteering']}次、累计{n['hours']}小时。",
    }
    rated = [(c["branch"], c["average_rate"]) for c in contexts if c["average_rate"] is not None]
    if rated:
        best, worst = max(rated, key=lambda r: r[1]), min(rated, key=lambda r: r[1])
        average = sum((r for _, r in rated), Decimal(0)) / len(rated)
        facts["checks"] = (f"所属{len(branches)}个党支部本年度月度检查平均得分率{average:.1%}，最高的是{best[0]}"
                           f"（{best[1]:.1%}），最低的是{worst[0]}（{worst[1]:.1%}）。")
    else:
        facts["checks"] = "所属党支部本年度尚无月度检查。"
    meetings = []
    for index, first in enumerate(contexts[0]["meetings"]):
        rows = [c["meetings"][index] for c in contexts]
        met = [b for b, r in zip(branches, rows) if r["state"] == "达到要求"]
        short = [b for b, r in zip(branches, rows) if r["state"] != "达到要求" and not r["state"].startswith("不适用")]
        total = sum(int(re.findall(r"(\d+)次", r["count"])[-1]) for r in rows)
        meetings.append({"name": first["name"], "rule": f"各支部{first['rule']}", "count": f"{total}次",
                         "state": f"{len(met)}个支部达到要求" if not short else
                         f"{len(met)}个支部达到要求；未达到：{_names(short)}"})
    months = {}
    for c in contexts:
        for point in c["checks"]:
            if point["rate"] != "—":
                months.setdefault(point["month"], []).append(Decimal(point["rate"].rstrip("%")) / 100)
    trend = [{"month": m, "score": "", "full": "", "rate": f"{sum(v) / len(v):.1%}（各支部平均）"} for m, v in months.items()]
    grouped: dict = {}
    for branch, c in zip(branches, contexts):
        for problem in c["problem_list"]:
            key = problem.point.id if problem.point else problem.source
            grouped.setdefault(key, (problem, []))[1].append(branch)
    problems = []
    for problem, where in grouped.values():
        if problem.point is None:
            what = {"民主测评": "书记民主测评等次为一般或差", "上级检查": "上级检查发现的问题未按期整改"}[problem.source]
        elif problem.point.problem:
            what = f"部分{'季度' if problem.point.period == 'quarter' else '月份'}{problem.point.problem}"
        else:
            what = f"“{problem.point.text}”未达标"
        problems.append(Problem(problem.aspect, f"{len(where)}个党支部{what}（{_names(where)}）", problem.source,
                                problem.point, problem.duty,
                                tuple(f"督促所属党支部{m}" for m in problem.measures[:1]), problem.target))
    vote_rows = [row for c in contexts for row in c["vote"]]
    months_limit = int(ws.section("assessment").get("rectify_months", 3))
    lists = lists_items(problems, secretary, None, today, months_limit)
    for row in lists["duties"]:
        row["main"] = f"党总支委员会；党总支书记 {secretary or '【请填写】'} 为第一责任人"
        row["direct"], row["duty"] = "党总支书记及相关党支部书记", "督促、指导所属党支部整改，跟踪销号"
    for row in lists["fixes"]:
        row["owner"] = f"党总支书记 {secretary}" if secretary else "党总支书记"
    context = {"title": f"{general}{year}年度抓党建工作述职报告",
               "title_lines": title_lines(general, f"{year}年度抓党建工作述职报告"),
               "secretary": secretary or "【请填写：党总支书记】",
               "branch": general, "unit": "本党总支", "year": year, "facts": facts, "meetings": meetings, "checks": trend,
               "problems": [p.text for p in problems] or ["本年度所属党支部月度检查未发现问题。"],
               "vote": vote_rows, "vote_note": "表中为所属各党支部书记的民主测评结果。",
               "date": f"{today.year}年{today.month}月{today.day}日"}
    report = render_docx(template_path(ws, "duty_report.docx"), lambda tpl: context, output_path(ws, year, REPORT, general),
                         identity=(REPORT, general, year))
    data = {"branch": general, "year": year, **lists,
            "title_lines": title_lines(f"{general}{year}年度", "问题清单、责任清单、整改清单", width=31)}
    lists_docx = render_docx(template_path(ws, "issue_lists.docx"), lambda tpl: data, output_path(ws, year, LISTS, general),
                             identity=(LISTS, general, year))
    return report, lists_docx, _lists_workbook(ws, general, year, data)
