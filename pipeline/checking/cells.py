"""From a laid-out sheet to validated rows: cells, then rows, then item rules.

`parse_rows` casts every cell by its field type and collects one issue per bad cell;
`Row.bad` remembers those cells so that rules depending on them stay silent (one
wrong cell gives one error). `rules.py` holds the per-item rules.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from decimal import Decimal

from pipeline.core.formats import (DERIVED, MEETING_CODE, MEETING_ITEMS, Field, Item, fields_item, header_key,
                                   recognise_direction)
from pipeline.core.issues import ERROR, WARNING, Issue, show_value
from pipeline.reading.layout import GRID_TOTAL, Column, Layout
from pipeline.core.records import NO_BAD, Cells, Context, Row
from pipeline.core.values import (UNCALCULATED, Bad, CellError, TYPE_FORMS, as_date, clean_text, id_card_birth,
                                  id_card_sex, is_blank, parse_month)

# values that repeat down a column (dates, amounts, choices) are cast once; names, ID and phone
# numbers and free text are nearly all different, and caching them only holds memory
_CACHED_TYPES = frozenset({"date", "birth", "month", "int", "hours", "score", "money", "percent", "enum", "bool"})
MONTH_ONLY_ITEMS = frozenset({"A1", "A2", "A3"})     # member forms often give 入党年月 only
_cache: dict = {}


def parse_value(fld: Field, raw):
    """Cast a raw cell; results of the same (field, value) are computed once."""
    if fld.type not in _CACHED_TYPES:
        return fld.parser(raw, fld)
    key = (id(fld), type(raw), raw, getattr(raw, "shown", None))
    try:
        return _cache[key]
    except KeyError:
        pass
    except TypeError:
        return fld.parser(raw, fld)
    value = fld.parser(raw, fld)
    if len(_cache) < 100_000:
        _cache[key] = value
    return value


def _cell_issue(col: Column, line: int, sheet: str, raw, code: str, message: str,
                hint: str | None = None, severity: str = ERROR) -> Issue:
    return Issue(code, severity, message, sheet=sheet, cell=col.cell(line),
                 column=col.header, value=show_value(raw), hint=hint, row=line)


def cast_cell(fld: Field, col: Column, line: int, sheet: str, raw, item_code: str, ctx: Context):
    """(value, issue) for one cell."""
    if isinstance(raw, CellError):
        return None, _cell_issue(col, line, sheet, raw, "cell-error", f"单元格是错误值 {raw}",
                                 "请修正该单元格的公式或改为直接填写数值")
    if raw is UNCALCULATED:
        return None, _cell_issue(col, line, sheet, None, "formula-no-value", "该单元格是公式，但文件中没有保存计算结果",
                                 "请在 Excel 中打开并保存后重新提交")
    if is_blank(raw):
        if fld.is_required(item_code):
            form = TYPE_FORMS.get(fld.type)
            return None, _cell_issue(col, line, sheet, None, "required", f"“{col.header}”为必填项，不能为空",
                                     f"请填写{form}" if form else None)
        return None, None
    value = parse_value(fld, raw)
    if isinstance(value, Bad) and fld.type == "date" and item_code in MONTH_ONLY_ITEMS:
        month = parse_month(raw)         # 入党年月 "2014.07" on a member's form: the month is what it says
        if not isinstance(month, Bad):
            day = dt.date(month[0], month[1], 1)
            return day, _cell_issue(col, line, sheet, raw, "date-month-only",
                                    f"“{col.header}”只写到月（{month[0]}年{month[1]}月），按当月1日计",
                                    "请写明具体日期，如 2014-07-01；预备期、转正时间按日计算", WARNING)
    if isinstance(value, Bad):
        return None, _cell_issue(col, line, sheet, raw, value.code, value.message, value.hint)
    day = as_date(value)
    if day is not None and day > ctx.received and not fld.future_ok:
        return None, _cell_issue(col, line, sheet, raw, "future-date",
                                 f"日期 {day.isoformat()} 晚于提交日期 {ctx.received.isoformat()}",
                                 "请核对年份和月份")
    return value, None


# 党员身份 by the kind of branch when a form leaves it out (§2: derive before you demand)
IDENTITY_BY_BRANCH = {"教工支部": "在职教职工", "学生支部": "学生", "离退休支部": "离退休"}
IDENTITY_WORDS = (("离退休", "离退休"), ("退休", "离退休"), ("在职", "在职教职工"), ("教职工", "在职教职工"),
                  ("学生", "学生"))


def derivable(layout: Layout) -> set[str]:
    """Required fields this sheet may leave out: their source column is there (or a title or a
    default gives them)."""
    present = {c.field for c in layout.columns if c.field}
    out = set()
    for name, source in DERIVED.get(layout.item.code, {}).items():
        if name in present:
            continue
        if source is None or source in present or (source == "title" and recognise_direction(layout_title(layout))):
            out.add(name)
    return out


def layout_title(layout: Layout) -> str:
    return f"{layout.title} {layout.sheet}"


def derive(layout: Layout, rows: list[Row], ctx: Context) -> list[Issue]:
    """Fill the required fields the form left out from what it has: 性别 and 出生年月 from the ID
    number, 人员类别 from 转正时间, 党员身份 from the title or the kind of branch, 月应缴党费 from the
    base, 转接类型 from the title. One warning a sheet says what was derived; a row that cannot be
    derived gets an error at the cell it would have come from."""
    _counterpart(layout, rows)
    fields = derivable(layout)
    if not fields or not rows:
        return []
    issues: list[Issue] = []
    title = layout_title(layout)
    for name in sorted(ctx.registered, key=len, reverse=True):    # "学生工作处党支部" says nothing of 学生
        title = title.replace(name, " ")
    said_by_title = {value for word, value in IDENTITY_WORDS if word in title}
    by_title = next(iter(said_by_title)) if len(said_by_title) == 1 else None     # "在职及离退休": neither
    by_branch = IDENTITY_BY_BRANCH.get(ctx.branch_kind or "")
    sources: Counter = Counter()
    direction = recognise_direction(title)
    for row in rows:
        if {"性别", "出生年月"} & fields:
            if row.ok("身份证号"):
                number = row.get("身份证号")
                if "性别" in fields:
                    row.values["性别"] = id_card_sex(number)
                if "出生年月" in fields:
                    row.values["出生年月"] = id_card_birth(number)
            elif "身份证号" not in row.bad:
                issues.append(row.issue("身份证号", "required", "表中没有性别、出生年月列，须填写身份证号以便推算",
                                        "请填写18位身份证号，或在表中增加性别、出生年月两列"))
        if "人员类别" in fields and "转正时间" not in row.bad:
            row.values["人员类别"] = "正式党员" if row.get("转正时间") else "预备党员"
        if "党员身份" in fields:
            identity, source = _identity(row, ctx, by_title, by_branch, layout.item.code)
            if identity:
                row.values["党员身份"] = identity
                sources[source] += 1
            else:
                issues.append(row.issue("姓名", "missing-column", "表中没有“党员身份”列，也无法从花名册、表名或支部类型判断",
                                        "请增加“党员身份”列（在职教职工、离退休、学生…）"))
        if "月应缴党费" in fields and row.ok("计算基数") and row.get("党员身份"):
            expected = ctx.dues.expected(row.get("党员身份"), row.get("计算基数"), ctx.as_of or ctx.received)
            if expected is not None and expected.exact:
                row.values["月应缴党费"] = expected.low
            else:
                issues.append(row.issue("计算基数", "missing-column", "表中没有“月应缴党费”列，按该身份无法由基数算出",
                                        "请增加“月应缴党费”列"))
        if "转接类型" in fields and direction:
            row.values["转接类型"] = direction
    how = "、".join(f"{source}{n}人" for source, n in sources.most_common())
    said = {"性别": "性别（按身份证号）", "出生年月": "出生年月（按身份证号）", "人员类别": "人员类别（按有无转正时间）",
            "党员身份": f"党员身份（{how}）" if how else "党员身份", "月应缴党费": "月应缴党费（按计算基数和比例）",
            "转接类型": f"转接类型（按表名，记为“{direction}”）"}
    issues.insert(0, Issue("derived", WARNING, "表中没有以下列，已由其他信息推算：" + "、".join(said[f] for f in sorted(fields)),
                           sheet=layout.sheet, hint="如推算不对，请在表中增加这些列后重新提交"))
    return issues


def _counterpart(layout: Layout, rows: list[Row]) -> None:
    """A transfer sheet with both 转出单位 and 转入单位: the other party is 转入单位 for a 转出 and
    转出单位 for a 转入, whatever the column order (one of the two is the branch's own unit)."""
    if layout.item.code != "A4" or not rows:
        return
    by_key = {header_key(c.header): c for c in layout.columns if c.field == "转出单位或转入单位"}
    out_col, in_col = by_key.get("转出单位"), by_key.get("转入单位")
    if out_col is None or in_col is None:
        return
    direction = recognise_direction(layout_title(layout))
    for n, ((line, values), row) in enumerate(zip(layout.data, rows)):
        kind = row.get("转接类型") or direction
        col = in_col if kind == "转出" else out_col if kind == "转入" else None
        if col is not None and col.index <= len(values) and not is_blank(values[col.index - 1]):
            row.values["转出单位或转入单位"] = clean_text(values[col.index - 1])
            # this row's other party is another column: its own maps (the sheet's are shared)
            rows[n] = replace(row, raw={**row.raw, "转出单位或转入单位": values[col.index - 1]},
                              columns={**row.columns, "转出单位或转入单位": col})


def _identity(row: Row, ctx: Context, by_title: str | None, by_branch: str | None, code: str):
    """(党员身份, how it was found) for a row of a form without the column: the stored roster by
    name first, then one identity the title names, then — a salary or pension base says the member
    is paid — the kind of branch."""
    member = ctx.known_members.get(row.get("姓名"))
    if member is not None and member.identity:
        return member.identity, "按花名册"
    if by_title:
        return by_title, f"按表名记为“{by_title}”"
    if by_branch:
        if code == "C1" and row.get("计算基数") and by_branch == "学生":
            return "在职教职工", "有计算基数记为“在职教职工”"
        return by_branch, f"按支部类型记为“{by_branch}”"
    return None, ""


def missing_columns(layout: Layout, item_codes: set[str]) -> list[Issue]:
    """Required columns absent from the header: one error each, not one per row."""
    item = fields_item(layout.item.code)
    present = {c.field for c in layout.columns if c.field} | derivable(layout)
    if layout.grid:
        present |= {"月份", "实缴金额"}
    codes = item_codes or {layout.item.code}
    issues = []
    for fld in item.fields:
        if fld.name in present:
            continue
        if layout.item.code in MEETING_ITEMS and fld.name == "会议类型" and layout.item.code != "B":
            continue
        needed = [c for c in sorted(codes) if fld.is_required(c) or fld.column_required]
        if needed:
            labels = "、".join(fld.labels[:6])
            issues.append(Issue("missing-column", ERROR, f"缺少必填列“{fld.name}”", sheet=layout.sheet,
                                cell=None, column=fld.name, row=layout.header_rows[-1],
                                hint=f"请在表头增加该列（列名可写作：{labels}）"))
    return issues


def parse_rows(layout: Layout, ctx: Context) -> tuple[list[Row], list[Issue]]:
    if layout.grid:
        return _parse_grid(layout, ctx)
    item = fields_item(layout.item.code)
    cols = [(c, item.by_name[c.field]) for c in layout.columns if c.field in item.by_name]
    type_col = next(((c, f) for c, f in cols if f.name == "会议类型"), None)
    columns = {c.field: c for c, _ in cols}                   # one map for all the rows of the sheet
    where = {f.name: c.index - 1 for c, f in cols}
    rows, issues, codes = [], [], set()
    for line, values in layout.data:
        parsed, bad = {}, set()
        code = layout.item.code
        if type_col:
            c, f = type_col
            value = values[c.index - 1] if c.index <= len(values) else None
            kind, _ = cast_cell(f, c, line, layout.sheet, value, "B", ctx)
            code = MEETING_CODE.get(kind, code) if kind else code
        for col, fld in cols:
            value = values[col.index - 1] if col.index <= len(values) else None
            result, issue = cast_cell(fld, col, line, layout.sheet, value, code, ctx)
            if issue:
                issues.append(issue)
                if issue.is_error:
                    bad.add(fld.name)
            if result is not None:
                parsed[fld.name] = result
        codes.add(code)
        rows.append(Row(layout.sheet, line, code, parsed, Cells(values, where), columns,
                        frozenset(bad) if bad else NO_BAD))
    return rows, missing_columns(layout, codes) + issues


def _parse_grid(layout: Layout, ctx: Context) -> tuple[list[Row], list[Issue]]:
    """C2 as a year grid: 姓名 | 1月 … 12月 | 合计 → one row per member and month."""
    item = layout.item
    name_col = layout.column_of("姓名")
    total_col = layout.column_of(GRID_TOTAL)
    months = [c for c in layout.columns if c.month]
    issues = missing_columns(layout, {item.code})
    rows: list[Row] = []
    if name_col is None:
        return rows, issues
    if ctx.year is None:
        return rows, issues + [Issue("no-period", ERROR, "按月份列填写的党费收缴表需要写明年度", sheet=layout.sheet,
                                     hint="请在表名或表头上方写明，如“2026年度党费收缴登记表”")]
    paid_field = item.by_name["实缴金额"]
    for line, values in layout.data:
        get = lambda c: values[c.index - 1] if c and c.index <= len(values) else None  # noqa: E731
        name, issue = cast_cell(item.by_name["姓名"], name_col, line, layout.sheet, get(name_col), "C2", ctx)
        if issue:
            issues.append(issue)
            continue
        total = Decimal(0)
        any_bad = False
        for col in months:
            if is_blank(get(col)):
                continue   # no payment that month
            amount, issue = cast_cell(paid_field, col, line, layout.sheet, get(col), "C2", ctx)
            if issue:
                issues.append(issue)
                any_bad = True
                continue
            if amount is None:
                continue
            total += amount
            rows.append(Row(layout.sheet, line, "C2", {"姓名": name, "月份": (ctx.year, col.month), "实缴金额": amount},
                            {"姓名": get(name_col), "实缴金额": get(col)},
                            {"姓名": name_col, "实缴金额": col}))
        if total_col and not any_bad:
            stated, issue = (None, None) if is_blank(get(total_col)) else cast_cell(
                paid_field, total_col, line, layout.sheet, get(total_col), "C2", ctx)
            if issue:
                issues.append(issue)
            elif stated is not None and stated != total:
                issues.append(_cell_issue(total_col, line, layout.sheet, get(total_col), "count-mismatch",
                                          f"合计 {stated} 元与1～12月之和 {total} 元不符", "请核对合计或各月金额",
                                          WARNING))
    return rows, issues


def validate(rows: list[Row], layout_item: Item, ctx: Context) -> list[Issue]:
    from pipeline.checking.rules import rules_for
    issues: list[Issue] = []
    for rule in rules_for(layout_item.code):
        issues.extend(rule(rows, ctx))
    return issues
