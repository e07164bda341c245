"""《党支部工作记录本》: a branch's year, from the store, through templates/record_book.docx."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

from docx.shared import Mm
from docxtpl import InlineImage

from pipeline.core.formats import MEETING_TYPES
from pipeline.dues.ledger import branch_dues, months_ended
from pipeline.documents.render import output_path, render_docx, template_path
from pipeline.core.values import as_date, mask_id_card, mask_phone
from pipeline.workspace import Workspace

TITLE = "党支部工作记录本"
CN_NUMBERS = "一二三四五六七八九十"

# LEDGER-FORMATS §7 (支部工作条例): per meeting type, how often. 'quarter' = each quarter, 'month' = each
# month, ('year', n) = at least n a year. 党课 has no national figure: each quarter by default.
REQUIREMENTS = {"B1": ("quarter", "一般每季度召开1次"), "B2": ("month", "一般每月召开1次"),
                "B3": ("month", "一般每月召开1次"), "B4": ("quarter", "每季度至少1次（本校规定）"),
                "B5": ("month", "每月1天"), "B6": (("year", 1), "每年至少1次"),
                "B7": (("year", 1), "一般每年1次"), "B8": (("year", 1), "每年不少于1次")}


def _d(value) -> str:
    day = as_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _when(value) -> str:
    if isinstance(value, dt.datetime):
        return f"{_d(value)} {value:%H:%M}"
    return _d(value)


def branch_info(ws: Workspace, branch: str) -> dict:
    registry = {r["党支部"]: r for r in ws.store.registry()}
    basic = ws.store.active_records("E1", branch)
    entry = registry.get(branch, {})
    secretary = (basic[0].get("书记") if basic else None) or entry.get("书记") or ""
    return {"name": branch, "general": entry.get("党总支") or "学院党委直属", "secretary": secretary,
            "basic": basic[0] if basic else None}


def _basic_rows(basic: dict | None) -> list[dict]:
    if not basic:
        return []
    order = ("支部名称", "所属党总支", "支部类型", "成立时间", "书记", "副书记", "组织委员", "宣传委员", "纪检委员",
             "本届任期开始", "本届任期结束", "党小组数")
    rows = []
    for key in order:
        value = basic.get(key)
        if value is None or value == "":
            continue
        rows.append({"label": key, "value": _d(value) if as_date(value) else str(value)})
    return rows


def _members(ws: Workspace, branch: str, year: int) -> list[dict]:
    roster = ws.store.active_records("A1", branch, str(year)) or ws.store.active_records("A1", branch)
    members = []
    for n, m in enumerate(roster, 1):
        born = as_date(m.get("出生年月"))
        members.append({"n": n, "name": m.get("姓名", ""), "sex": m.get("性别", ""),
                        "born": f"{born.year}.{born.month:02d}" if born else "", "status": m.get("人员类别", ""),
                        "joined": f"{as_date(m['入党时间']):%Y.%m.%d}" if m.get("入党时间") else "",
                        "identity": m.get("党员身份", ""),
                        "id_card": mask_id_card(m["身份证号"]) if m.get("身份证号") else "",
                        "phone": mask_phone(m["联系电话"]) if m.get("联系电话") else ""})
    return members


def _text_lines(ws: Workspace, branch: str, year: int, kind: str) -> list[str]:
    for record in ws.store.active_records("E2", branch):
        if record.get("年度") == year and record.get("类型") == kind:
            return [line for line in (record.get("正文") or "").split("\n") if line.strip()]
    return []


def _meetings(ws: Workspace, branch: str, year: int) -> tuple[list[dict], list, int]:
    chapters, photos, total = [], [], 0
    for index, (code, (name, _)) in enumerate(MEETING_TYPES.items()):
        found = ws.store.records_in_year(code, branch, year, "日期")
        found.sort(key=lambda r: (as_date(r["日期"]), str(r["日期"])))          # meetings of one day by their hour
        meetings = []
        for n, r in enumerate(found, 1):
            talk = code == "B8"
            meeting = {"heading": f"{n}. {_d(r['日期'])}　{r.get('议题', '')}", "when": _when(r.get("日期")),
                       "place": r.get("地点") or "", "recorder": r.get("记录人") or "",
                       "host_label": "谈 话 人" if talk else "主 持 人",
                       "host": (r.get("谈话人") if talk else r.get("主持人")) or "",
                       "expected_label": "谈话对象" if talk else "应到人数",
                       "expected": r.get("谈话对象") or "" if talk else f"{r.get('应到人数', '')}人",
                       "present_label": "主讲人" if code == "B4" else ("—" if talk else "实到人数"),
                       "present": (r.get("主讲人") or "") if code == "B4" else ("" if talk else f"{r.get('实到人数', '')}人"),
                       "absent": r.get("缺席人员及原因") or "无", "attendees": r.get("列席人员") or "无",
                       "topic_label": "谈话主题" if talk else ("授课题目" if code == "B4" else "议　　题"),
                       "topic": r.get("议题") or "", "decision": r.get("决议事项") or "无",
                       "body_label": "谈话内容：" if talk else "会议内容：",
                       "body": [line for line in (r.get("会议内容") or "").split("\n") if line.strip()],
                       "talk": talk, "photos": []}
            for k, photo in enumerate(r.get("照片") or [], 1):
                path = ws.home / photo["file"]
                if path.exists() and photo.get("type") in ("png", "jpg", "gif", "bmp"):
                    caption = f"图 {_d(r['日期'])}{name}照片" + (f"（{k}）" if len(r["照片"]) > 1 else "")
                    meeting["photos"].append({"path": path, "caption": caption})
                    photos.append(path)
            meetings.append(meeting)
        total += len(meetings)
        bare = sum(1 for m in meetings if not m["body"])
        note = "本年度无记录。" if not meetings else \
            (f"其中{bare}次只有登记表，未提交{'谈话' if code == 'B8' else '会议'}内容记录。" if bare else "")
        chapters.append({"heading": f"（{CN_NUMBERS[index]}）{name}（共 {len(meetings)} 次）", "meetings": meetings,
                         "code": code, "note": note})
    return chapters, photos, total


MET, NOT_NEEDED = "达到要求", "不适用"
QUARTERS = "一二三四"


def month_list(months: list[int]) -> str:
    return "、".join(f"{m}月" for m in months)


def meeting_counts(ws: Workspace, branch: str, year: int, months: int,
                   not_needed: dict[str, str] | None = None) -> list[dict]:
    """§7: THE count of each meeting type per required period over the `months` that have ended —
    "12个月中9个月召开（共13次）", never 13 meetings of which 12 in January called 达到要求. The
    record book's 缺项提示 and the 述职报告 both show it. `not_needed`: code → why it does not apply."""
    not_needed = not_needed or {}
    rows = []
    for code, (name, _) in MEETING_TYPES.items():
        rule, text = REQUIREMENTS[code]
        held = [r for r in ws.store.records_in_year(code, branch, year, "日期")
                if as_date(r["日期"]).month <= max(months, 1)]
        by_month = Counter(as_date(r["日期"]).month for r in held)
        count = f"{len(held)}次"
        if code in not_needed and not held:
            state = f"{NOT_NEEDED}（{not_needed[code]}）"
        elif not months:
            state = "尚无已结束的月份"
        elif rule == "month":
            missing = [m for m in range(1, months + 1) if not by_month[m]]
            count = f"{months}个月中{months - len(missing)}个月召开（共{len(held)}次）"
            state = MET if not missing else f"{len(missing)}个月未召开（{month_list(missing)}）"
        elif rule == "quarter":
            quarters = months // 3
            if not quarters:
                state = "第一季度尚未结束"
            else:
                missing = [q for q in range(1, quarters + 1) if not any(by_month[m] for m in range(q * 3 - 2, q * 3 + 1))]
                count = f"{quarters}个季度中{quarters - len(missing)}个季度召开（共{len(held)}次）"
                state = MET if not missing else \
                    "第" + "、".join(QUARTERS[q - 1] for q in missing) + "季度未召开"
        else:
            needed = rule[1]
            if len(held) >= needed:
                state = MET
            elif months < 12:
                state = f"截至{months}月尚未开展（年底前完成）"
            else:
                state = f"全年未达到要求（应至少{needed}次）"
        rows.append({"name": name, "rule": text, "count": count, "state": state,
                     "short": months > 0 and not state.startswith((MET, NOT_NEEDED, "第一季度尚未结束"))})
    return rows


def _dues(ws: Workspace, branch: str, year: int, today: dt.date) -> dict:
    """The record book's dues summary: the same engine and figures as the 收缴簿 and the 公示."""
    book = branch_dues(ws, branch, year, today)
    members = []
    for n, m in enumerate(book.members, 1):
        latest = m.due[max(m.due)] if m.due else None
        members.append({"n": n, "name": m.name, "monthly": f"{latest.amount:.2f}" if latest else "—",
                        "months": sum(1 for month in m.paid if m.paid[month] > 0), "paid": f"{m.paid_total:.2f}",
                        "note": "减免" if any(d.exempt for d in m.due.values()) else ""})
    return {"members": members, "due": f"{book.due:.2f}", "paid": f"{book.collected:.2f}",
            "remitted": f"{book.remitted_total:.2f}", "note": book.bases_remark, "collection": book.collection_text,
            "use": book.use_text, "activity": book.activity_text}


def _rows(ws: Workspace, branch: str, year: int, item: str, date_field: str, make) -> list[dict]:
    return [make(r) for r in ws.store.records_in_year(item, branch, year, date_field)]


def book_context(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> dict:
    today = today or dt.date.today()
    info = branch_info(ws, branch)
    members = _members(ws, branch, year)
    chapters, _, total = _meetings(ws, branch, year)
    d2 = _rows(ws, branch, year, "D2", "日期", lambda r: {
        "date": _d(r["日期"]), "name": r.get("活动名称", ""), "members": "、".join(r.get("参加党员") or ()),
        "hours": str(r.get("服务时长（小时）", ""))})
    service = {"contacts": len(_rows(ws, branch, year, "D1", "联系时间", dict)), "activities": d2,
               "hours": str(sum((Decimal(a["hours"] or 0) for a in d2), Decimal(0))),
               "promises": len(_rows(ws, branch, year, "D3", "承诺时间", dict)),
               "suggestions": len(_rows(ws, branch, year, "D4", "收到日期", dict))}
    context = {
        "college": ws.section("college").get("name", ""), "year": year,
        "branch": {"name": branch, "general": info["general"], "secretary": info["secretary"]},
        "basic": _basic_rows(info["basic"]), "members": members,
        "full_members": sum(1 for m in members if m["status"] == "正式党员"),
        "plan": _text_lines(ws, branch, year, "计划"), "summary": _text_lines(ws, branch, year, "总结"),
        "meeting_chapters": chapters, "meeting_total": total, "dues": _dues(ws, branch, year, today), "service": service,
        "study": _rows(ws, branch, year, "E4", "日期", lambda r: {
            "date": _d(r["日期"]), "topic": r.get("学习主题", ""), "form": r.get("形式") or "",
            "leader": r.get("领学人或主讲人") or "", "count": r.get("参加人数", "")}),
        "honours": _rows(ws, branch, year, "E5", "日期", lambda r: {
            "date": _d(r["日期"]), "name": r.get("荣誉名称", ""), "by": r.get("授予单位", ""),
            "who": r.get("获奖对象", "")}),
        "inspections": _rows(ws, branch, year, "E6", "检查日期", lambda r: {
            "date": _d(r["检查日期"]), "by": r.get("检查单位", ""), "problem": r.get("发现问题", ""),
            "measure": r.get("整改措施", ""), "state": r.get("完成情况") or ""}),
        "gaps": [{"name": m["name"], "rule": m["rule"], "count": m["count"], "missing": m["state"]}
                 for m in meeting_counts(ws, branch, year, months_ended(year, today)) if m["short"]]}
    context["chapters"] = [
        {"number": "一、", "title": "支部基本情况", "note": ""},
        {"number": "二、", "title": "党员花名册", "note": f"（{len(members)} 名党员）"},
        {"number": "三、", "title": "年度工作计划", "note": "" if context["plan"] else "（本年度无记录）"},
        {"number": "四、", "title": "组织生活记录", "note": f"（共 {total} 次）"},
        {"number": "五、", "title": "党费收缴和使用情况", "note": ""},
        {"number": "六、", "title": "党员联系服务群众", "note": ""},
        {"number": "七、", "title": "学习教育", "note": ""},
        {"number": "八、", "title": "荣誉表彰", "note": ""},
        {"number": "九、", "title": "检查整改", "note": ""},
        {"number": "十、", "title": "年度工作总结", "note": "" if context["summary"] else "（本年度无记录）"},
        {"number": "附录", "title": "缺项提示", "note": f"（{len(context['gaps'])} 项）" if context["gaps"] else ""}]
    for n, entry in enumerate(context["chapters"], 1):
        entry["bookmark"] = f"tz_ch{n}"            # the headings' bookmarks: the contents show their pages
    return context


CHAPTER_TITLES = ("支部基本情况", "党员花名册", "年度工作计划", "组织生活记录", "党费收缴和使用情况", "党员联系服务群众",
                  "学习教育", "荣誉表彰", "检查整改", "年度工作总结", "缺项提示")


def generate(ws: Workspace, branch: str, year: int, today: dt.date | None = None) -> Path:
    """Render the record book of `branch` for `year` into outbox/<年度>/<支部>/."""
    context = book_context(ws, branch, year, today)
    target = output_path(ws, year, TITLE, branch)

    def with_images(tpl) -> dict:
        for chapter in context["meeting_chapters"]:
            for meeting in chapter["meetings"]:
                for photo in meeting["photos"]:
                    photo["image"] = InlineImage(tpl, str(photo["path"]), width=Mm(110))
        return context

    return render_docx(template_path(ws, "record_book.docx"), with_images, target)


HEADINGS = [f"{CN_NUMBERS[i]}、{title}" for i, title in enumerate(CHAPTER_TITLES[:-1])] + ["附录　缺项提示"]


def generate_all(ws: Workspace, year: int, branches: list[str] | None = None, pdf: bool = False,
                 today: dt.date | None = None, on_done=None) -> list[dict]:
    """Record books for the named branches (default: every registered branch). One entry per
    branch: the paths made, or the reason it failed — one failure never stops the others."""
    from pipeline.reading.convert import ConversionError
    from pipeline.documents.pdf import to_pdf
    names = branches or [r["党支部"] for r in ws.store.registry()]
    done = []
    for branch in names:
        entry = {"branch": branch, "docx": None, "pdf": None, "error": None}
        try:
            entry["docx"] = generate(ws, branch, year, today)
            if pdf:
                entry["pdf"] = to_pdf(entry["docx"], entry["docx"].with_suffix(".pdf"),
                                      title=entry["docx"].stem, author=branch,
                                      subject=f"{ws.section('college').get('name', '')}{TITLE}", headings=HEADINGS)
        except ConversionError as exc:
            entry["error"] = f"PDF 未生成：{exc}"
        done.append(entry)
        if on_done:
            on_done(entry)
    return done
