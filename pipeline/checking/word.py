"""Checking a Word ledger: a meeting record (B1–B8) or a yearly plan/summary (E2).

The same fields, casts and rules as the Excel register, so a meeting is judged the same
way whichever form it came in; issues point at the paragraph or table cell and quote it.
"""
from __future__ import annotations

import datetime as dt

from pipeline.core.formats import ITEMS, MEETING_TYPES, NEEDS_PHOTOS, header_key
from pipeline.core.issues import ERROR, WARNING, Issue
from pipeline.checking.branch import TITLE_BRANCH_RE, BranchClaim, Forced, resolve_branch
from pipeline.reading.layout import Column
from pipeline.store_reads import LedgerRows
from pipeline.core.records import Checked, Context, Row, row_months
from pipeline.checking.cells import cast_cell, validate
from pipeline.reading.word import WordDoc, meeting_code, plan_kind, prepare_pictures, read_docx

DOC_SHEET = None     # Word issues have no sheet: the place is the paragraph or table cell


def _branch_claim(doc: WordDoc, registry: list[str], folder_branch: str | None):
    if isinstance(folder_branch, Forced):        # --branch wins over all (§2)
        return BranchClaim(str(folder_branch), "option")
    if doc.fields.get("党支部", [""])[0]:
        text, place, _ = doc.fields["党支部"]
        return BranchClaim(text.split()[0], "field", DOC_SHEET, place.where)
    title_key = header_key(doc.title)
    named = sorted((n for n in registry if header_key(n) and header_key(n) in title_key), key=len, reverse=True)
    where = doc.title_place.where if doc.title_place else None
    if named:
        return BranchClaim(named[0], "title", DOC_SHEET, where)
    m = TITLE_BRANCH_RE.search(doc.title.replace(" ", "")) if doc.title else None
    if m:
        return BranchClaim(m[1], "title", DOC_SHEET, where)
    return BranchClaim(folder_branch, "folder" if folder_branch else None)


def check_word(path, ws, name: str, received: dt.datetime, registry: list[str], folder_branch: str | None):
    """A Word ledger: a meeting record or a yearly plan/summary. Returns a `checking.file.Checked`."""
    try:
        doc = read_docx(path)
    except Exception:   # python-docx raises many types on damaged documents
        return Checked("docx", issues=(Issue("file-corrupt", ERROR, "Word 文档已损坏或格式不规范，无法读取",
                                              hint="请在 Word/WPS 中打开确认无误，另存为 .docx 后重新提交"),))
    final = _finished_document(path, received)
    if final is not None:
        return final
    code = meeting_code(doc, name)
    plan = None if code else plan_kind(doc, name)
    if code is None and plan is None:
        return Checked("docx", issues=(Issue("no-ledger", ERROR, "无法识别这份 Word 文档是哪类台账",
                                             hint="标题请写明会议类型，如“支部委员会会议记录”“主题党日活动记录”，"
                                                  "或写“会议类型：支部委员会”；年度计划/总结请以“2026年度工作计划”为题"),))
    branch, issues = resolve_branch(_branch_claim(doc, registry, folder_branch), registry)
    if code is not None:
        sheet, ledger, pictures, more = _check_meeting(doc, code, branch, name, received.date(), ws)
    else:
        sheet, ledger, more = _check_plan(doc, plan, branch, name, received.date(), failed=bool(issues))
        pictures = []
    issues += more
    ledgers = (ledger,) if ledger is not None and not any(i.is_error for i in issues) else ()
    return Checked("docx", (sheet,), ledgers, tuple(pictures), tuple(issues))


def _finished_document(path, received: dt.datetime) -> Checked | None:
    """A document taizhang made (述职报告, 问题清单…) dropped back filled in: its `identifier` says
    which. With every 【请填写…】 place written it is the 定稿 (item W1) the year-end archive takes;
    with places left it is refused, saying how many and the first one."""
    import docx

    from pipeline.documents.render import TO_FILL, all_paragraphs, read_identity
    try:
        document = docx.Document(str(path))
    except Exception:   # python-docx raises many types on damaged documents
        return None
    found = read_identity(document.core_properties.identifier)
    if found is None:
        return None
    kind, owner, year = found
    sheet = {"sheet": f"{kind}（定稿）", "item": "W1", "codes": ["W1"], "branch": owner, "period": str(year),
             "rows": 1, "word": True}
    left = [p.text for p in all_paragraphs(document) if TO_FILL in p.text]
    if left:
        first = left[0].strip()[:40]
        return Checked("docx", (sheet,), (), (), (Issue(
            "draft-unfinished", ERROR, f"《{kind}》还有{sum(t.count(TO_FILL) for t in left)}处“【请填写…】”没有填写，"
            f"第一处：“{first}”", hint="请把每一处【请填写…】换成实际内容（连同括号一起删去）后重新提交"),))
    branch = owner            # written by taizhang itself: the branch or the 党总支 the document is of
    row = Row(DOC_SHEET, 1, "W1", {"文书名称": kind, "年度": year, "党组织": owner}, {}, {})
    ledger = LedgerRows("W1", branch, None, f"{kind}（定稿）", received.date(), [row], source="word")
    return Checked("docx", (sheet,), (ledger,), (), ())


def _row(doc: WordDoc, code: str, fields, ctx: Context, issues: list[Issue]) -> Row:
    values, raw, columns, bad = {}, {}, {}, set()
    for fld in fields:
        found = doc.fields.get(fld.name)
        if fld.name == "会议类型":
            continue
        if found is None:
            if fld.is_required(code):
                issues.append(Issue("required", ERROR, f"记录中没有“{fld.name}”", column=fld.name,
                                    hint=f"请写明“{fld.name}：……”（表格中一格写标签、后一格写内容也可以）"))
                bad.add(fld.name)
            continue
        text, place, label = found
        column = Column(0, label or fld.name, fld.name, where=place.where)
        value, issue = cast_cell(fld, column, None, DOC_SHEET, text, code, ctx)
        raw[fld.name] = text
        columns[fld.name] = column
        if issue:
            issues.append(issue)
            bad.add(fld.name)
        elif value is not None:
            values[fld.name] = value
    return Row(DOC_SHEET, 0, code, values, raw, columns, frozenset(bad))


def _check_meeting(doc: WordDoc, code: str, branch, name: str, received: dt.date, ws):
    """(the sheet summary, the ledger, the prepared photos, the issues) of one meeting record."""
    issues: list[Issue] = []
    ctx = Context(name, received, branch, received.year, as_of=received, dues=ws.dues)
    if branch is not None:
        ctx.roster = ws.reads.roster(branch, received.year)
    row = _row(doc, code, ITEMS["B"].fields, ctx, issues)
    row.values["会议类型"] = MEETING_TYPES[code][0]
    body = "\n".join(doc.body)
    if body:
        row.values["会议内容"] = body
    prepared, notes = prepare_pictures(doc.pictures)
    pictures = [record for record, _ in prepared]
    if pictures:
        row.values["照片"] = pictures
    issues += [Issue("picture-format", WARNING, note) for note in notes]
    if not pictures and code in NEEDS_PHOTOS:
        issues.append(Issue("no-photo", WARNING, "会议记录中没有照片", hint="“有作为，必有记录，有照片可看”：请附活动照片"))
    if not body and code != "B8":
        issues.append(Issue("no-body", WARNING, "没有会议内容（发言记录）", hint="请在“会议内容：”后记录主要发言和讨论情况"))
    issues += validate([row], ITEMS[code], ctx)
    sheet = {"sheet": doc.title or name, "item": code, "codes": [code], "branch": branch,
             "period": None, "rows": 1, "word": True, "photos": len(pictures), "months": row_months([row])}
    ledger = LedgerRows(code, branch, None, doc.title or name, received, [row], "word")
    return sheet, ledger, prepared, issues


def _check_plan(doc: WordDoc, plan, branch, name: str, received: dt.date, failed: bool):
    """(the sheet summary, the ledger or None, the issues) of a yearly plan or summary."""
    kind, year = plan
    issues: list[Issue] = []
    where = doc.title_place.where if doc.title_place else None
    if year is None:
        issues.append(Issue("no-period", ERROR, "无法确定计划/总结的年度", cell=where, value=doc.title,
                            hint="请在标题中写明年度，如“2026年度党支部工作计划”"))
    elif year > received.year + 1:
        issues.append(Issue("bad-date", ERROR, f"年度 {year} 不合理", cell=where, value=doc.title))
    if not doc.body and not doc.loose:
        issues.append(Issue("required", ERROR, f"{kind}正文为空", cell=where, hint="请填写计划/总结的正文"))
    body = doc.body or doc.loose
    values = {"年度": year, "类型": kind, "正文": "\n".join(body), "标题": doc.title}
    row = Row(DOC_SHEET, 0, "E2", values, {}, {}, frozenset())
    sheet = {"sheet": doc.title or name, "item": "E2", "codes": ["E2"], "branch": branch,
             "period": f"{year}年度{kind}" if year else None, "rows": 1, "word": True}
    if branch is None or failed:
        return sheet, None, issues
    return sheet, LedgerRows("E2", branch, f"{year}-{kind}", doc.title or name, received, [row], "word"), issues
