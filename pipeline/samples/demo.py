"""`taizhang demo`: a sample college's year of ledgers, dropped into an inbox and processed.

The correct workbooks are written the way branch offices really fill them (title and
info rows, synonyms, a two-row header, footers); a few files carry deliberate mistakes
so that the receipts show what users get back.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipeline.documents.blank import FIRST_DATA_ROW, add_ledger_sheet, save_workbook, write_templates
from pipeline.core.formats import ITEMS, MEETING_TYPES
from pipeline.core.issues import PipelineError
from pipeline.samples.college import Branch, College, make_college, person_name
from pipeline.workspace import CONFIG_NAME, Workspace

TOPICS = {
    "B1": ["学习贯彻党的二十届四中全会精神", "讨论接收预备党员", "审议支部年度工作计划", "讨论预备党员转正",
           "通报党费收缴情况", "学习《中国共产党支部工作条例（试行）》"],
    "B2": ["研究本月支部工作安排", "研究发展党员工作", "研究主题党日活动方案", "研究党员教育培训计划",
           "研究支部考核评议工作", "研究党费使用计划"],
    "B3": ["学习党章和党规党纪", "交流学习体会", "讨论党员承诺事项"],
    "B4": ["坚定理想信念 做合格党员", "弘扬教育家精神", "全面从严治党永远在路上", "以学正风 以学促干"],
    "B5": ["参观革命纪念馆", "志愿服务进社区", "重温入党誓词", "学习英模事迹", "垃圾分类宣传", "校园环境整治"],
    "B6": ["2025年度组织生活会"], "B7": ["2025年度民主评议党员"], "B8": ["思想工作情况谈心谈话"],
}
LAPSED_BRANCH = "经济管理学院教工党支部"
RAISE_BRANCH = "建筑工程学院教工党支部"
PLACES = ("党员活动室", "第一会议室", "行政楼305会议室", "图书馆报告厅")


def _fill(ws, rows: list[list], start: int = FIRST_DATA_ROW) -> int:
    for r, values in enumerate(rows, start):
        for c, value in enumerate(values, 1):
            ws.cell(row=r, column=c, value=value)
    return start + len(rows)


def _footer(ws, row: int, filler: str, checker: str) -> None:
    ws.cell(row=row + 1, column=1, value=f"填表人：{filler}        审核人：{checker}")


def _sheet(wb, code: str, branch: Branch, college: College, rows: list[list], filled: dt.date | None = None):
    filled = filled or college.today
    ws = add_ledger_sheet(wb, ITEMS[code], branch.name if branch else "", college.year,
                          f"{filled.year}年{filled.month}月{filled.day}日", rows=len(rows))
    end = _fill(ws, rows)
    if branch is not None:
        _footer(ws, end, branch.post("组织委员").name if branch.post("组织委员") else branch.secretary.name,
                branch.secretary.name)
    return ws


def _new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _d(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the workbooks ---------------------------------------------------------------------

def registry_workbook(college: College, filled: dt.date | None = None) -> Workbook:
    wb = _new_workbook()
    generals = sorted({b.general for b in college.branches if b.general})
    heads = {general: person_name(random.Random(general), set()) for general in generals}
    rows = [[b.general, b.name, b.kind, b.secretary.name, b.post("组织委员").name if b.post("组织委员") else None,
             len(b.members), heads.get(b.general) if b.general else None] for b in college.branches]
    _sheet(wb, "Z1", None, college, rows, filled)
    return wb


def roster_rows(branch: Branch) -> list[list]:
    return [[n, p.name, p.sex, p.ethnic, p.born.strftime("%Y-%m"), p.id_card, p.degree, p.status,
             p.joined, p.full, p.identity, p.group, p.post or None, p.unit, p.phone, None]
            for n, p in enumerate(branch.members, 1)]


def member_workbook(branch: Branch, college: College, rng: random.Random) -> Workbook:
    wb = _new_workbook()
    _sheet(wb, "A1", branch, college, roster_rows(branch), dt.date(college.year, 3, 5))
    names = [p.name for p in branch.members]
    activists = []
    for i in range(rng.randint(2, 5)):
        applied = dt.date(college.year - 1, rng.randint(3, 9), rng.randint(1, 28))
        active = applied + dt.timedelta(days=rng.randint(60, 120))
        target = active + dt.timedelta(days=400) if i % 2 == 0 and active + dt.timedelta(days=400) < college.today else None
        activists.append([f"{rng.choice('赵钱孙李周吴郑')}{rng.choice('子晨思雨欣宇')}{'一二三四五'[i]}", rng.choice("男女"),
                          f"{college.year - 20}-{rng.randint(1, 12):02d}", applied, active,
                          "、".join(rng.sample(names, 2)), target, None])
    _sheet(wb, "A2", branch, college, activists)
    probation = [p for p in branch.members if p.status == "预备党员"]
    _sheet(wb, "A3", branch, college, [[p.name, p.joined, "、".join(rng.sample([n for n in names if n != p.name], 2)),
                                         p.joined.replace(year=p.joined.year + 1), None, "否", "表现良好"]
                                        for p in probation] or [])
    moves = [[p.name, "转入", p.joined + dt.timedelta(days=3), "外校党委", f"JS{college.year}{n:03d}", branch.secretary.name]
             for n, p in enumerate(branch.members[-2:], 1) if p.joined.year == college.year]
    _sheet(wb, "A4", branch, college, moves)
    _sheet(wb, "A5", branch, college, [[rng.choice(names), "奖励", dt.date(college.year, 7, 1), "优秀共产党员",
                                        "学院党委"]])
    return wb


def meeting_rows(branch: Branch, college: College, rng: random.Random) -> list[list]:
    rows = []
    committee = branch.committee
    recorder = (branch.post("组织委员") or branch.secretary).name
    last_month = college.today.month if college.today.day > 25 else college.today.month - 1

    def members_on(day):
        return [p for p in branch.members if p.joined <= day]

    def add(code, day, topic, expected, present, host=None, extra=None):
        absent = "" if present == expected else f"{expected - present}人请假（出差、病假）"
        decision = extra or "会议明确了下一步工作安排。"
        speaker = branch.secretary.name if code == "B4" else None
        talker, target = (branch.secretary.name, rng.choice(branch.members[1:]).name) if code == "B8" else (None, None)
        rows.append([MEETING_TYPES[code][0], day, None if code == "B8" else rng.choice(PLACES),
                     None if code == "B8" else (host or branch.secretary.name), recorder,
                     None if code == "B8" else expected, None if code == "B8" else present, absent or None, None,
                     topic, None, decision, speaker, talker, target])

    for month in range(1, last_month + 1):
        if len(committee) >= 3:
            add("B2", dt.date(college.year, month, rng.randint(3, 8)), rng.choice(TOPICS["B2"]), len(committee),
                len(committee) - rng.choice((0, 0, 1)))
        day = dt.date(college.year, month, rng.randint(15, 25))
        everyone = len(members_on(day))
        add("B5", day, rng.choice(TOPICS["B5"]), everyone, everyone - rng.randint(0, max(1, everyone // 8)))
        if month % 2 == 0:
            group_size = max(3, everyone // 3)
            add("B3", day - dt.timedelta(days=2), rng.choice(TOPICS["B3"]), group_size, group_size)
        if month % 3 == 0:
            day = dt.date(college.year, month, rng.randint(9, 14))
            everyone = len(members_on(day))
            full = len([p for p in members_on(day) if p.status == "正式党员" or (p.full and p.full <= day)])
            present = everyone - rng.randint(0, max(1, everyone // 10))
            topic = TOPICS["B1"][month // 3 % len(TOPICS["B1"])]
            votes = f"应参加表决正式党员{full}人，赞成{max(full - 1, full // 2 + 1)}票，反对0票，弃权0票，表决通过。"
            add("B1", day, topic, everyone, present, extra=votes if "讨论" in topic else None)
            add("B4", day + dt.timedelta(days=1), rng.choice(TOPICS["B4"]), everyone, present)
    jan = len(members_on(dt.date(college.year, 1, 20)))
    add("B6", dt.date(college.year, 1, 20), TOPICS["B6"][0], jan, jan)
    add("B7", dt.date(college.year, 1, 22), TOPICS["B7"][0], jan, jan)
    for month in (4, 9):
        add("B8", dt.date(college.year, month, 16), TOPICS["B8"][0], None, None)
    rows.sort(key=lambda r: r[1])
    return rows


def meeting_workbook(branch: Branch, college: College, rng: random.Random, rows: list | None = None) -> Workbook:
    wb = _new_workbook()
    _sheet(wb, "B", branch, college, rows if rows is not None else meeting_rows(branch, college, rng))
    return wb


SPEECH = ("书记传达了上级党组织的有关精神和工作要求。", "与会党员结合岗位实际逐一发言，交流学习体会。",
          "大家一致认为，要把学习成果转化为推动专业群建设和立德树人的实际成效。", "书记对下一阶段工作作了部署。")


def word_records(branch: Branch, college: College, rows: list, rng: random.Random) -> list["DemoFile"]:
    """Word records of meetings that are also in the register: the Word one (with its body and
    photos) is the one kept. A 支委会 as a form table, a 主题党日 as paragraphs with photos."""
    from pipeline.samples.college import make_png
    from pipeline.samples.word import meeting_from_row, paragraph_record, plan_document, table_record
    files = []
    picks = {"支部委员会": table_record, "主题党日": paragraph_record}
    for kind, writer in picks.items():
        row = next((r for r in rows if r[0] == kind and r[1].month in (3, 5)), None)
        if row is None:
            continue
        meeting = meeting_from_row(row)
        meeting["会议内容"] = list(SPEECH)
        photos = [make_png(seed=rng.randrange(10**6)) for _ in range(2 if kind == "主题党日" else 1)]
        name = f"{row[1]:%Y%m%d}{kind}记录.docx"
        files.append(DemoFile(branch.name, name, document=writer(meeting, branch.name, photos)))
    plan = ["一、指导思想", "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针。",
            "二、主要任务", f"（一）加强思想政治建设。（二）严格落实“三会一课”。（三）做好{college.year}年党员发展工作。",
            "三、保障措施", "支部委员会每月研究一次计划落实情况。"]
    files.append(DemoFile(branch.name, f"{college.year}年度工作计划.docx",
                          document=plan_document(branch.name, college.year, "计划", plan)))
    return files


def _months(college: College) -> int:
    return college.today.month - (0 if college.today.day >= 25 else 1)


def dues_workbook(branch: Branch, college: College, rng: random.Random) -> Workbook:
    """C1, C2 (a two-row-header year grid for staff branches, monthly rows for students), C3, C4."""
    wb = _new_workbook()
    c1 = [[p.name, p.identity, p.base, None, p.dues, None, None] for p in branch.members]
    _sheet(wb, "C1", branch, college, c1, dt.date(college.year, 1, 10))
    months = _months(college)
    paid = {p.name: {m: p.dues + (Decimal(rng.choice((0, 0, 0, 10))) if p.identity != "学生" else 0)
                     for m in range(1, months + 1) if p.joined <= dt.date(college.year, m, 28)}
            for p in branch.members}
    if branch.name == RAISE_BRANCH:
        # a mid-year pay change: a second 基数核定表 with 生效月份, dues from July at the new rate
        from pipeline.dues.rates import DuesRules
        person = next(p for p in branch.members if p.identity == "在职教职工")
        new_base = person.base + Decimal("3000.00")
        new_dues = DuesRules().expected(person.identity, new_base, dt.date(college.year, 7, 1)).low
        paid[person.name] = {m: (new_dues if m >= 7 else a) for m, a in paid[person.name].items()}
        _sheet(wb, "C1", branch, college, [[person.name, person.identity, new_base, None, new_dues,
                                            f"{college.year}-07", "7月起岗位工资调整"]], dt.date(college.year, 7, 5))
    if branch.name == LAPSED_BRANCH:
        # one member stopped paying after April: the receipt shows the 党章第九条 warning
        lapsed = branch.members[-1].name
        paid[lapsed] = {m: a for m, a in paid[lapsed].items() if m <= 4}
    if branch.kind == "学生支部":
        rows = [[p.name, f"{college.year}-{m:02d}", p.dues, amount, dt.date(college.year, m, 10),
                 branch.secretary.name, None]
                for p in branch.members for m, amount in paid[p.name].items()]
        _sheet(wb, "C2", branch, college, rows)
    else:
        _grid_sheet(wb, branch, college, paid)
    remit = []
    for quarter in range(1, (months // 3) + 1):
        total = sum(a for p in paid.values() for m, a in p.items() if (m - 1) // 3 + 1 == quarter)
        remit.append([dt.date(college.year, quarter * 3, 28) if quarter * 3 < college.today.month else college.today,
                      f"{college.year}年第{quarter}季度", total, "学院党委组织部", f"DF{college.year}{quarter:02d}"])
    _sheet(wb, "C3", branch, college, remit)
    uses = [[dt.date(college.year, 6, 20), "“七一”慰问困难党员", "慰问困难党员", Decimal("800.00"), "党费",
             branch.secretary.name, "学院党委组织部", "PZ-0620"],
            [dt.date(college.year, 4, 12), "主题党日活动交通费", "支部活动", Decimal("360.00"), "活动经费",
             branch.secretary.name, branch.secretary.name, "PZ-0412"]]
    _sheet(wb, "C4", branch, college, uses)
    return wb


def _grid_sheet(wb, branch: Branch, college: College, paid: dict) -> None:
    """Hand-made layout: merged title, info row, 姓名 | 实缴党费（元）→ 1月…12月 | 合计."""
    ws = wb.create_sheet("党费收缴")
    ws["A1"] = f"{branch.name}{college.year}年度党费收缴登记表"
    ws.merge_cells("A1:O1")
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = f"党支部：{branch.name}"
    ws["H2"] = f"填报日期：{_d(college.today)}"
    ws["A3"], ws["B3"], ws["C3"], ws["O3"] = "序号", "姓  名", "实缴党费（元）", "合计"
    ws.merge_cells("C3:N3")
    for cell in ("A3:A4", "B3:B4", "O3:O4"):
        ws.merge_cells(cell)
    for m in range(1, 13):
        ws.cell(row=4, column=m + 2, value=f"{m}月")
    r = 5
    for n, p in enumerate(branch.members, 1):
        ws.cell(row=r, column=1, value=n)
        ws.cell(row=r, column=2, value=p.name)
        for m, amount in paid[p.name].items():
            ws.cell(row=r, column=m + 2, value=float(amount))
        ws.cell(row=r, column=15, value=float(sum(paid[p.name].values())))
        r += 1
    ws.cell(row=r, column=1, value="合计")
    ws.cell(row=r + 1, column=1, value=f"收缴人：{branch.secretary.name}")


def service_workbook(branch: Branch, college: College, rng: random.Random) -> Workbook:
    wb = _new_workbook()
    members = branch.members
    _sheet(wb, "D1", branch, college, [[p.name, f"{rng.choice('王李张刘')}同学" if rng.random() < .5 else "社区居民",
                                        rng.choice(("学生", "群众", "教职工")),
                                        dt.date(college.year, rng.randint(1, 10), rng.randint(1, 28)), "面谈",
                                        rng.choice(("学业困难帮扶", "就业指导", "心理疏导", "生活困难走访")), "已解决"]
                                       for p in rng.sample(members, min(6, len(members)))])
    _sheet(wb, "D2", branch, college, [[dt.date(college.year, m, 18), rng.choice(("社区志愿服务", "义务支教", "校园清洁")),
                                        "春晖社区", "、".join(p.name for p in rng.sample(members, 3)), rng.choice((2, 3, 1.5)),
                                        rng.randint(10, 60), "服务群众"] for m in (3, 5, 9)])
    _sheet(wb, "D3", branch, college, [[p.name, rng.choice(("每月联系2名学生", "完成1项教改课题", "参加志愿服务20小时")),
                                        dt.date(college.year, 3, 1), dt.date(college.year, 12, 31), "按计划推进", "好"]
                                       for p in rng.sample(members, min(5, len(members)))])
    _sheet(wb, "D4", branch, college, [[dt.date(college.year, 5, 8), "学生代表", "食堂晚餐供应时间偏短",
                                        "已与后勤沟通延长30分钟", dt.date(college.year, 5, 20), "已反馈，满意"]])
    return wb


def general_workbook(branch: Branch, college: College, rng: random.Random) -> Workbook:
    wb = _new_workbook()
    start = dt.date(college.year - rng.randint(0, 2), rng.randint(1, 6), rng.randint(1, 28))
    if start > college.today:
        start = dt.date(college.year, 1, 15)
    end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
    post = lambda title: branch.post(title).name if branch.post(title) else None  # noqa: E731
    _sheet(wb, "E1", branch, college, [[branch.name, branch.general or None, branch.kind, dt.date(2010, 9, 1),
                                        branch.secretary.name, post("副书记"), post("组织委员"), post("宣传委员"),
                                        post("纪检委员"), start, end, 2 if len(branch.members) < 20 else 3]])
    if start.year == college.year:
        full = len([p for p in branch.members if p.status == "正式党员"])
        _sheet(wb, "E3", branch, college, [[start, full, full, "、".join(p.name for p in branch.committee),
                                            "、".join(f"{p.name}{full}票" for p in branch.committee),
                                            start + dt.timedelta(days=10)]])
    _sheet(wb, "E4", branch, college, [[dt.date(college.year, m, 12), rng.choice(("学习党的创新理论", "学习党纪学习教育读本",
                                                                             "学习全国教育大会精神")),
                                        rng.choice(("集中学习", "专题研讨", "线上学习")), branch.secretary.name,
                                        max(3, len(branch.members) - rng.randint(0, 3))] for m in (2, 4, 6, 8, 10)])
    honours = [[dt.date(college.year, 7, 1), "“七一”先进基层党组织" if rng.random() < .3 else "优秀共产党员",
                "学院党委", branch.name]]
    _sheet(wb, "E5", branch, college, honours)
    _sheet(wb, "E6", branch, college, [[dt.date(college.year, 6, 10), "学院党委组织部", "会议记录不够规范",
                                        "统一使用会议记录模板", dt.date(college.year, 7, 10), "已完成",
                                        branch.secretary.name]])
    votes = len(branch.members)
    good = votes - rng.randint(0, 3)
    _sheet(wb, "F1", branch, college, [[branch.secretary.name, good, votes - good, 0, 0, votes, votes]])
    return wb


# --- deliberate mistakes ---------------------------------------------------------------

def mistaken_roster(branch: Branch, college: College) -> Workbook:
    """A roster with the mistakes offices really make; the receipt points at each cell."""
    wb = _new_workbook()
    rows = roster_rows(branch)[:8]
    rows[1][5] = rows[1][5][:17] + ("0" if rows[1][5][17] != "0" else "1")      # check digit typo
    rows[2][9] = rows[2][8] - dt.timedelta(days=30)                               # 转正 before 入党
    rows[3][8] = dt.date(rows[3][4] and int(rows[3][4][:4]) + 16, 5, 4)            # joined at 16
    rows[3][9] = None
    rows[3][7] = "预备党员"
    rows[4][8] = "2026.13.05"                                                     # no 13th month
    rows[5][2] = None                                                             # 性别 missing
    rows[6][9] = None                                                             # 正式 without 转正
    rows[7][14] = "1381234567"                                                    # 10-digit phone
    _sheet(wb, "A1", branch, college, rows)
    return wb


def mistaken_dues(branch: Branch, college: College) -> Workbook:
    wb = _new_workbook()
    rows = [[p.name, p.identity, p.base, None, p.dues, None, None] for p in branch.members[:6]]
    rows[0][2], rows[0][4] = Decimal("3000.01"), Decimal("15.00")     # the whole base pays 1%: 30.00
    rows[1][4] = rows[1][4] + Decimal("5")                            # overpaid in the base table
    rows[2][2] = "约5000元"                                            # not a number
    _sheet(wb, "C1", branch, college, rows, dt.date(college.year, 1, 10))
    return wb


def mistaken_meetings(branch: Branch, college: College) -> Workbook:
    wb = _new_workbook()
    s = branch.secretary.name
    rows = [["支委会", dt.date(college.year, 10, 9), "党员活动室", s, s, 5, 2, "3人出差", None, "研究发展党员工作",
             None, None, None, None, None],
            ["党员大会", dt.date(college.year, 10, 16), "第一会议室", s, s, 12, 14, None, None, "学习贯彻全会精神",
             None, None, None, None, None],
            ["党课", dt.date(college.year, 10, 20), "报告厅", s, s, 12, 11, None, None, "弘扬教育家精神",
             None, None, None, None, None]]
    _sheet(wb, "B", branch, college, rows)
    return wb


def unknown_branch_roster(branch: Branch, college: College) -> Workbook:
    wb = _new_workbook()
    ws = add_ledger_sheet(wb, ITEMS["A1"], "", college.year, _d(college.today), rows=3)
    ws["A2"] = f"党支部：{branch.name.replace('工程学院', '学院').replace('党支部', '支部')}    年度：{college.year}"
    _fill(ws, roster_rows(branch)[:3])
    return wb


# --- running it ------------------------------------------------------------------------

@dataclass
class DemoFile:
    folder: str
    name: str
    workbook: Workbook | None = None
    raw: bytes | None = None
    document: object | None = None        # a python-docx Document


def demo_files(college: College, seed: int) -> list[DemoFile]:
    rng = random.Random(seed)
    # 组织部 registers the branches at the start of the year (the demo receives it on 6 January)
    files = [DemoFile("组织部", "党组织设置表.xlsx", registry_workbook(college, dt.date(college.year, 1, 6)))]
    makers = (("党员信息台账", member_workbook), ("组织生活台账", meeting_workbook), ("党费台账", dues_workbook),
              ("联系服务群众台账", service_workbook), ("综合台账", general_workbook))
    behind = {b.name for b in college.branches[-2:]}     # two branches that have not sent everything yet
    for branch in college.branches:
        meetings = meeting_rows(branch, college, rng)
        for title, maker in makers:
            book = maker(branch, college, rng, meetings) if maker is meeting_workbook else maker(branch, college, rng)
            if branch.name in behind and maker is service_workbook:
                continue                                    # … the 台账总览 shows them overdue
            files.append(DemoFile(branch.name, f"{college.year}年{title}.xlsx", book))
        files += word_records(branch, college, meetings, rng)
    b1, b2, b3 = college.branches[0], college.branches[3], college.branches[4]
    files += [DemoFile(b1.name, "党员花名册（待修改）.xlsx", mistaken_roster(b1, college)),
              DemoFile(b2.name, "党费基数核定表（有误）.xlsx", mistaken_dues(b2, college)),
              DemoFile(b3.name, "组织生活登记（有误）.xlsx", mistaken_meetings(b3, college)),
              DemoFile("", "信息学院教工支部花名册.xlsx", unknown_branch_roster(b2, college)),
              DemoFile("", "党员名单（导出）.xlsx", raw="姓名,性别,入党时间\n张三,男,2010-07-01\n".encode("gbk")),
              DemoFile("", "空文件.xlsx", raw=b"")]
    return files


def _prepare(directory: Path) -> Workspace:
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()) and not (directory / CONFIG_NAME).exists():
        raise PipelineError(f"目录 {directory} 不是空目录，也不是演示工作区；为避免误删，请换一个 --dir")
    if directory.exists():
        shutil.rmtree(directory)
    ws = Workspace.open(directory)
    ws.init()
    return ws


def _drop(ws: Workspace, files: list[DemoFile]) -> None:
    for f in files:
        target = ws.inbox / f.folder / f.name if f.folder else ws.inbox / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.workbook is not None:
            save_workbook(f.workbook, target)
        elif f.document is not None:
            from pipeline.samples.word import save_document
            save_document(f.document, target)
        else:
            target.write_bytes(f.raw)


def run_demo(directory: Path, seed: int = 2026, progress: bool = True) -> str:
    """Drop the sample files into the inbox and let the watcher take them, as in real use."""
    from pipeline.operations.watcher import Watcher
    started = time.perf_counter()
    progress = progress and sys.stdout.isatty()
    ws = _prepare(directory)
    college = make_college(seed)
    files = demo_files(college, seed)
    total = len(files)

    results = []

    def show(result) -> None:
        results.append(result)
        if progress:
            print(f"\r处理收件箱 {len(results)}/{total}", end="", flush=True)

    # 组织部 registers the branches at the start of the year; the sample branches then file their
    # year's ledgers on the college's "today" (fixed days, so that the demo's documents are the same
    # whenever it runs)
    received = [dt.datetime(college.year, 1, 6, 9)]
    watcher = Watcher(ws, delay=0.1, on_result=show, clock=lambda: received[0], overview=False)
    _drop(ws, files[:1])
    watcher.once()
    received[0] = dt.datetime.combine(college.today, dt.time(10))
    _drop(ws, files[1:])
    watcher.once()
    if progress:
        print()
    counts = {"accepted": 0, "rejected": 0, "duplicate": 0}
    for result in results:
        counts[result.status] += 1
    rejected = [r for r in results if r.status == "rejected"]
    dropped = files
    from pipeline.operations.batch import summary, year_end
    from pipeline.reading.convert import find_soffice
    with_pdf = find_soffice() is not None
    done = year_end(ws, college.year, pdf=with_pdf, today=college.today,
                    progress=(lambda run: print(f"\r年终批处理 {run.branch}", end="", flush=True)) if progress else None)
    if progress:
        print()
    templates = write_templates(ws.outbox / "空白台账模板")
    elapsed = time.perf_counter() - started
    lines = [f"演示完成（{elapsed:.1f} 秒）：{college.name}，{len(college.branches)} 个党支部，{college.members} 名党员。",
             f"收件 {len(dropped)} 个文件：通过 {counts['accepted']}，未通过 {counts['rejected']}，重复 {counts['duplicate']}。",
             f"工作区：{ws.home}",
             f"  回执：{ws.receipts}（每个文件一份 <原文件名>.回执.txt；未通过的另有标出问题并加批注的 <原文件名>.回执.xlsx / .docx）",
             f"  已入库原件：{ws.archive}",
             f"  退回原件：{ws.rejected}",
             f"  空白模板：{len(templates)} 个，在 {templates[0].parent}",
             "  台账总览：outbox/总览/台账总览.html（用浏览器打开；各支部的在 回执/<支部>/本支部台账状态.html）",
             "年终批处理（taizhang year-end）：",
             *("  " + line for line in summary(done, ws).splitlines()),
             "未通过的文件（故意出错，查看回执了解如何指出每个问题）："]
    for r in rejected:
        lines.append(f"  ✘ {r.file}：{len(r.errors)} 处错误 → {r.receipt}")
    return "\n".join(lines)
