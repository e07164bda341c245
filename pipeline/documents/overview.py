"""台账总览: self-contained HTML pages of who has submitted what, what is missing and what is
overdue — `outbox/总览/台账总览.html` for the college and `outbox/回执/<支部>/本支部台账状态.html`
for each branch, next to its receipts.

Plain HTML and CSS with inline SVG: no CDN, no server, nothing to install; the pages open from the
shared folder in any browser, with JavaScript only for sorting and filtering. Every figure comes
from one computation: the submission status (`checking/schedule.py`), the monthly inspection
(`checking/monthly.py`) and the dues engine (`dues/ledger.py`). ID and mobile numbers quoted in
error messages are masked: the pages circulate.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from urllib.parse import quote

from pipeline.checking.schedule import (GREEN, GREY, NA, OVERDUE, PASSED, RED, REJECTED, WAITING, YELLOW, Cell,
                                        Status, default_month, period_labels, submission_status)
from pipeline.core.files import safe_name, write_atomic
from pipeline.core.values import cn_date, mask_text
from pipeline.dues.ledger import months_ended

log = logging.getLogger(__name__)

OVERVIEW_FOLDER = "总览"
OVERVIEW_NAME = "台账总览.html"
BRANCH_PAGE = "本支部台账状态.html"
RECENT = 30
STATE_MARK = {PASSED: "✓", WAITING: "…", OVERDUE: "!", REJECTED: "✗", NA: "—"}
COLOUR_NAME = {GREEN: "已完成", YELLOW: "待完成（未逾期）", RED: "逾期未交", GREY: "不适用"}
STATUS_TEXT = {"accepted": "通过", "rejected": "未通过", "duplicate": "重复"}


@dataclass
class Extras:
    """What the pages show beside the status: inspection score rates and dues by month, per branch."""
    rates: dict[str, list[tuple[int, Decimal | None]]] = field(default_factory=dict)
    dues: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)
    upcoming: dict[str, list[Cell]] = field(default_factory=dict)     # the next year's, in January


def report_month(status: Status) -> int:
    """The month the pages report on: the last month that has ended (its records are due in the
    following days), January of a year not yet begun."""
    return max(1, months_ended(status.year, status.today)) if status.year == status.today.year else \
        (12 if status.year < status.today.year else 1)


def gather(ws, year: int, today: dt.date, branches: list[str] | None = None) -> tuple[Status, Extras]:
    """The status and, for each branch, its monthly inspection rates (as published by the checks
    that were run) and its dues by month."""
    from pipeline.dues.ledger import branch_dues
    status = submission_status(ws, year, today)
    extras = Extras()
    names = [o.name for o in status.owners if o.kind == "支部" and (branches is None or o.name in branches)]
    published = recorded_rates(ws, year)
    for name in names:
        extras.rates[name] = published.get(name, [])
        extras.dues[name] = branch_dues(ws, name, year, today).by_month()
    return status, extras


RATES_FILE = ".taizhang-scores.json"     # beside the pages (outside outbox/<年度>: not in its manifest)


def record_rates(ws, year: int, results) -> None:
    """Keep the 得分率 of a monthly check as it was published (`taizhang check`, the year end): the
    trend on the pages is those figures, not a second computation."""
    path = ws.outbox / OVERVIEW_FOLDER / RATES_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        data = {}
    for r in results:
        data.setdefault(str(year), {}).setdefault(r.branch, {})[str(r.month)] = \
            str(r.rate) if r.rate is not None else None
    write_atomic(path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def recorded_rates(ws, year: int) -> dict[str, list[tuple[int, Decimal | None]]]:
    try:
        data = json.loads((ws.outbox / OVERVIEW_FOLDER / RATES_FILE).read_text("utf-8")).get(str(year), {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {branch: sorted((int(m), Decimal(r) if r is not None else None) for m, r in months.items())
            for branch, months in data.items() if isinstance(months, dict)}


def write_overviews(ws, year: int | None = None, today: dt.date | None = None) -> list[Path]:
    """Write the college page and every branch's own page (atomically); return their paths."""
    today = today or dt.date.today()
    year = year or default_month(today)[0]      # in January: last year, whose year-end ledgers are chased now
    status, extras = gather(ws, year, today)
    if year < today.year:                        # … and what the new year already asks, due soon
        ahead = submission_status(ws, today.year, today)
        extras.upcoming = {o.name: ahead.upcoming(o.name) for o in ahead.owners}
    generated = dt.datetime.now()
    college = ws.section("college").get("name", "")
    written = []
    target = ws.outbox / OVERVIEW_FOLDER / OVERVIEW_NAME
    write_atomic(target, college_page(status, extras, target.parent, college, generated).encode("utf-8"))
    written.append(target)
    for owner in status.owners:
        if owner.kind != "支部":
            continue
        page = ws.receipts / safe_name(owner.name) / BRANCH_PAGE
        write_atomic(page, branch_page(status, extras, owner.name, page.parent, college, generated).encode("utf-8"))
        written.append(page)
    return written


# --- pages ---------------------------------------------------------------------------

def college_page(status: Status, extras: Extras, folder: Path, college: str, generated: dt.datetime) -> str:
    month = report_month(status)
    branches = [o for o in status.owners if o.kind == "支部"]
    others = [o for o in status.owners if o.kind != "支部" and status.cells.get(o.name)]
    body = [_header(status, f"{college}党支部台账总览", generated),
            _nav([("本月", "#month"), ("全年", "#year"), ("催交名单", "#remind"), ("各支部", "#branches"),
                  ("最近收件", "#recent")]),
            _filter_box(),
            _month_table(status, branches + others, month, folder),
            _upcoming(status, extras, branches + others, folder),
            _year_matrix(status, branches + others),
            _remind_list(status, branches + others, folder),
            '<section id="branches"><h2>各支部详情</h2>',
            *(_branch_section(status, extras, o.name, folder, i) for i, o in enumerate(branches, 1)),
            "</section>",
            _unowned(status, folder),
            _recent(status.files, folder)]
    return _page(f"台账总览（{status.year}年）", body)


def branch_page(status: Status, extras: Extras, branch: str, folder: Path, college: str,
                generated: dt.datetime) -> str:
    month = report_month(status)
    owner = status.owner(branch)
    files = [f for f in status.files if f.branch == branch]
    body = [_header(status, f"{branch}台账状态", generated, secretary=owner.secretary),
            _nav([("本月", "#month"), ("催交", "#remind"), ("全年", "#b1"), ("本支部收件", "#recent")]),
            _month_table(status, [owner], month, folder),
            _upcoming(status, extras, [owner], folder),
            _remind_list(status, [owner], folder),
            _branch_section(status, extras, branch, folder, 1),
            _recent(files, folder, title="本支部收件记录", limit=None)]
    return _page(f"{branch}台账状态（{status.year}年）", body)


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def _header(status: Status, title: str, generated: dt.datetime, secretary: str = "") -> str:
    legend = "".join(f'<span class="chip {c}">{STATE_MARK[s]} {escape(text)}</span>'
                     for c, s, text in ((GREEN, PASSED, "已完成"), (YELLOW, WAITING, "待交（未到截止日）"),
                                        (YELLOW, REJECTED, "退回未改（过截止日后为红色）"), (RED, OVERDUE, "逾期未交"),
                                        (GREY, NA, "不适用")))
    who = f"　书记：{escape(secretary)}" if secretary else ""
    return (f'<header><h1>{escape(title)}（{status.year}年）</h1>'
            f'<p class="meta">数据截至 {cn_date(status.today)}{who}　·　生成于 {cn_date(generated.date())} '
            f'{generated:%H:%M}'
            f'　·　根据已报送的台账自动生成，无需另行填报</p>'
            f'<p class="legend">{legend}</p></header>')


def _nav(links: list[tuple[str, str]]) -> str:
    return "<nav>" + " · ".join(f'<a href="{href}">{escape(text)}</a>' for text, href in links) + "</nav>"


def _filter_box() -> str:
    return ('<p class="js-only" hidden><label>按支部名称筛选：<input type="search" id="filter" '
            'placeholder="输入支部名称中的字"></label></p>')


def _month_table(status: Status, owners, month: int, folder: Path) -> str:
    rows = []
    per_owner = {owner.name: status.due_cells(owner.name, month) for owner in owners}
    present = {c.entry.name for cells in per_owner.values() for c in cells}
    names = [e.name for e in status.schedule.due() if e.name in present]       # the schedule's order
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    for owner in owners:
        cells = per_owner[owner.name]
        if not cells:
            continue
        tds = []
        for name in names:
            chosen = [c for c in cells if c.entry.name == name]
            now = [c for c in chosen if c.period.grid_month == month]
            earlier = [c for c in chosen if c.period.grid_month != month]
            parts = [_cell_html(c, folder) for c in now]
            if len(earlier) == 1:
                parts.append(_cell_html(earlier[0], folder, with_period=True))
            elif earlier:
                parts.append(_earlier_html(earlier, owner, status))
            tds.append(f"<td>{'<br>'.join(parts)}</td>" if parts else '<td class="none"></td>')
        rows.append(f'<tr data-name="{escape(owner.name)}"><th scope="row">{escape(owner.name)}</th>{"".join(tds)}</tr>')
    due = _entry_due(status, month)
    return (f'<section id="month"><h2>{month}月报送情况</h2>'
            f'<p class="note">{escape(due)}；往月仍未完成的事项也列在这里。点击单元格查看回执。</p>'
            f'<div class="scroll"><table class="status"><thead><tr><th>单位</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _entry_due(status: Status, month: int) -> str:
    entry = next((e for e in status.schedule.due() if e.every == "month"), None)
    if entry is None:
        return f"{month}月应报事项"
    return f"{month}月的月度台账应于{cn_date(entry.due_on(status.year, month))}前报送"


def _cell_html(cell: Cell, folder: Path, with_period: bool = False) -> str:
    period = f"{escape(cell.period.label)}：" if with_period else ""
    text = f'{STATE_MARK[cell.state]} {period}{escape(cell.short)}'
    link = _href(cell.link, folder) if cell.link else None
    inner = f'<a href="{link}">{text}</a>' if link else text
    title = f"{cell.period.label}：{cell.text}" + (f"。{cell.entry.note}" if cell.entry.note else "")
    return f'<span class="cell {cell.colour}" data-state="{cell.state}" title="{escape(title)}">{inner}</span>'


def _earlier_html(cells: list[Cell], owner, status: Status) -> str:
    """Several earlier periods still unfinished, in one line: "往月未完成：1—9月（逾期）"."""
    colour = RED if any(c.colour == RED for c in cells) else YELLOW
    labels = period_labels(cells)
    anchor = f"#b{_index(status, owner.name)}" if owner.kind == "支部" else "#remind"
    worst = max(cells, key=lambda c: c.overdue_days)
    return (f'<span class="cell {colour}" data-state="{worst.state}"><a href="{anchor}">{STATE_MARK[worst.state]} '
            f'往月未完成：{escape(labels)}（最长逾期{worst.overdue_days}天）</a></span>')


def _upcoming(status: Status, extras: Extras, owners, folder: Path) -> str:
    """Not yet sent and due within a month — this year's and, in January, the new year's."""
    groups: dict[tuple, list] = {}
    for owner in owners:
        for c in status.upcoming(owner.name) + extras.upcoming.get(owner.name, []):
            label = c.period.label if c.period.year == status.year or c.entry.every == "year" else \
                f"{c.period.year}年{c.period.label}"
            groups.setdefault((c.due, c.entry.name, label), []).append((owner, c))
    if not groups:
        return ""
    rows = []
    for (due, name, label), found in sorted(groups.items()):
        left = (due - status.today).days
        partly = [o.name for o, c in found if c.received is not None]
        nothing = [o.name for o, c in found if c.received is None]
        who = "；".join(part for part in (
            f"尚未报送：{'、'.join(nothing)}" if nothing else "",
            f"本期未结束、已报部分：{'、'.join(partly)}" if partly else "") if part)
        if len(owners) > 1 and len(found) == len([o for o in owners if o.kind == "支部"]):
            who = f"全部{len(found)}个党支部（" + ("本期未结束，已报部分记录" if not nothing else "尚未报送") + "）"
        rows.append(f'<tr><td>{escape(name)}（{escape(label)}）</td><td>{cn_date(due)}</td>'
                    f'<td class="num">{left}</td><td>{escape(who)}</td></tr>')
    return ('<section id="upcoming"><h2>近期到期</h2><p class="note">一个月内到截止日、尚未报齐的台账。</p>'
            '<div class="scroll"><table class="status"><thead><tr><th>台账</th><th>截止日期</th>'
            f'<th class="num">剩余天数</th><th>单位</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div></section>')


def _year_matrix(status: Status, owners) -> str:
    months = range(1, 13)
    head = "".join(f'<th class="num">{m}月</th>' for m in months) + '<th class="num">累计未完成</th>'
    current = status.today.month if status.year == status.today.year else (13 if status.year < status.today.year else 0)
    rows = []
    for owner in owners:
        tds = []
        for m in months:
            cells = status.month_cells(owner.name, m)
            if not cells:
                tds.append('<td class="none"></td>')
                continue
            if m > current:                     # a month to come: what will be due, not a verdict
                detail = "；".join(f"{c.entry.name}：{c.text}" for c in cells)
                tds.append(f'<td class="none num future" data-sort="0" title="{escape(detail)}">·</td>')
                continue
            colour, count = status.summary(owner.name, m)
            detail = "；".join(f"{c.entry.name}{c.period.label if c.entry.every != 'year' else ''}：{c.state}"
                              for c in cells)
            anchor = f"#b{_index(status, owner.name)}" if owner.kind == "支部" else "#remind"
            label = str(count) if count else STATE_MARK[PASSED if colour == GREEN else NA]
            tds.append(f'<td class="{colour} num" data-sort="{count}" title="{escape(detail)}">'
                       f'<a href="{anchor}">{label}</a></td>')
        owed = status.owed(owner.name)
        colour = RED if any(c.colour == RED for c in owed) else (YELLOW if owed else GREEN)
        detail = "；".join(f"{c.entry.name}（{c.period.label}）：{c.state}" for c in owed) or "没有未完成的台账"
        tds.append(f'<td class="{colour} num total" data-sort="{len(owed)}" title="{escape(detail)}">'
                   f'<a href="#remind">{len(owed) or STATE_MARK[PASSED]}</a></td>')
        rows.append(f'<tr data-name="{escape(owner.name)}"><th scope="row">{escape(owner.name)}</th>{"".join(tds)}</tr>')
    return (f'<section id="year"><h2>全年报送矩阵</h2><p class="note">每格是该月应报台账中尚未完成的项数：'
            f'绿色已全部完成，黄色有未到期或被退回待改的，红色有逾期未交的；尚未到来的月份不着色。'
            f'“累计未完成”是全年至今逾期和退回未改的项数（与催交名单一致）。点击格子查看详情；点击表头可排序。</p><div class="scroll"><table class="matrix sortable"><thead><tr><th>单位</th>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div></section>')


def _index(status: Status, name: str) -> int:
    return status.branch_numbers[name]


def _remind_list(status: Status, owners, folder: Path) -> str:
    rows = []
    for owner in owners:
        groups: dict[str, list[Cell]] = {}
        for cell in status.owed(owner.name):
            groups.setdefault(cell.entry.name, []).append(cell)
        for name, cells in sorted(groups.items(), key=lambda g: (-max(c.overdue_days for c in g[1]), g[0])):
            first = min(cells, key=lambda c: c.due)
            periods = period_labels(cells)
            if len(cells) == 1:
                receipt = _href(first.link, folder) if first.link else None
                state = f'<a href="{receipt}">{escape(first.text)}</a>' if receipt else escape(first.text)
            else:
                state = f"{len(cells)}期未报送"
            worst = max(cells, key=lambda c: c.overdue_days)
            days = str(worst.overdue_days) if worst.overdue_days else "—"
            rows.append(f'<tr data-name="{escape(owner.name)}"><th scope="row">{escape(owner.name)}</th>'
                        f'<td>{escape(owner.secretary or "—")}</td><td>{escape(name)}（{escape(periods)}）</td>'
                        f'<td data-sort="{first.due.isoformat()}">{cn_date(first.due)}</td>'
                        f'<td class="num {worst.colour}" data-sort="{worst.overdue_days}">{days}</td>'
                        f'<td>{state}</td></tr>')
    if not rows:
        return '<section id="remind"><h2>催交名单</h2><p class="ok">没有逾期未交或退回未改的台账。</p></section>'
    return ('<section id="remind"><h2>催交名单</h2><p class="note">已过截止日仍未报送的，以及被退回后仍未改正的台账'
            '（已有旧版本通过的，逾期天数记“—”）。</p>'
            '<div class="scroll"><table class="status sortable"><thead><tr><th>单位</th><th>书记</th><th>逾期事项</th>'
            '<th>最早应交日期</th><th class="num">最长逾期天数</th><th>情况</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _branch_section(status: Status, extras: Extras, branch: str, folder: Path, index: int) -> str:
    owner = status.owner(branch)
    cells = status.cells.get(branch, [])
    entries: list = []
    for c in cells:
        if c.entry not in entries:
            entries.append(c.entry)
    grid_rows = []
    for entry in entries:
        tds = []
        for m in range(1, 13):
            chosen = [c for c in cells if c.entry is entry and c.period.grid_month == m]
            if not chosen:
                tds.append('<td class="none"></td>')
                continue
            c = chosen[0]
            link = _href(c.link, folder) if c.link else None
            mark = f'<a href="{link}">{STATE_MARK[c.state]}</a>' if link else STATE_MARK[c.state]
            tds.append(f'<td class="{c.colour} num" data-state="{c.state}" title="{escape(c.period.label + "：" + c.text)}">'
                       f'{mark}</td>')
        grid_rows.append(f'<tr><th scope="row">{escape(entry.name)}</th>{"".join(tds)}</tr>')
    months = "".join(f'<th class="num">{m}月</th>' for m in range(1, 13))
    rejected = status.open_rejections.get(branch, [])
    rejected_html = ""
    if rejected:
        items = []
        for r in rejected:
            link = _href(r.file.receipt, folder) if r.file.receipt else None
            name = escape(mask_text(r.file.file_name))
            name = f'<a href="{link}">{name}</a>' if link else name
            errors = "".join(f"<li>{escape(i.masked().text())}</li>" for i in r.first_errors)
            more = f"<li>……共{r.file.errors}处错误，详见回执</li>" if r.file.errors > len(r.first_errors) else ""
            items.append(f"<li>{name}（{cn_date(r.file.received.date())}退回，{r.file.errors}处错误）<ol>{errors}{more}</ol></li>")
        rejected_html = f'<h4>退回后尚未改正的文件</h4><ul class="rejected">{"".join(items)}</ul>'
    files = [f for f in status.files if f.branch == branch]
    counts = {k: sum(1 for f in files if f.status == k) for k in STATUS_TEXT}
    summary = "，".join(f"{STATUS_TEXT[k]}{v}个" for k, v in counts.items() if v) or "尚未收到文件"
    general = f"　党总支：{escape(owner.general)}" if owner.general else ""
    start = f"　{cn_date(owner.start)}登记成立" if owner.start else ""
    return (f'<section class="branch" id="b{index}" data-name="{escape(branch)}"><h3>{escape(branch)}</h3>'
            f'<p class="meta">书记：{escape(owner.secretary or "—")}{general}{start}　·　本年收件：{summary}</p>'
            f'<div class="scroll"><table class="grid"><thead><tr><th>台账</th>{months}</tr></thead>'
            f'<tbody>{"".join(grid_rows)}</tbody></table></div>{rejected_html}'
            f'<div class="charts">{_score_chart(extras.rates.get(branch))}{_dues_chart(extras.dues.get(branch))}</div>'
            f'{_files_details(files, folder)}</section>')


def _files_details(files, folder: Path) -> str:
    """The branch's files of the year, folded (open by default where <details> is not known)."""
    if not files:
        return ""
    rows = "".join(f'<li>{f.received:%m-%d} {_file_link(f, folder)} · {STATUS_TEXT[f.status]}'
                   f'{f"（{f.errors}处错误）" if f.errors else ""}</li>' for f in reversed(files))
    return f'<details><summary>本年收到的文件（{len(files)}个）</summary><ul class="files">{rows}</ul></details>'


def _score_chart(rates) -> str:
    title = "<h4>月度检查得分率</h4>"
    points = [(m, r) for m, r in (rates or []) if r is not None]
    if not points:
        return f'<figure>{title}<p class="note">尚无月度检查结果（组织部运行月度检查后显示）。</p></figure>'
    width, height, left, top, step = 380, 180, 36, 12, 28
    y = lambda rate: top + (1 - float(rate)) * (height - top - 28)       # noqa: E731
    x = lambda month: left + (month - 0.5) * step                        # noqa: E731
    grid = "".join(f'<line x1="{left}" x2="{left + 12 * step}" y1="{y(v / 100):.1f}" y2="{y(v / 100):.1f}" class="axis"/>'
                   f'<text x="{left - 4}" y="{y(v / 100) + 4:.1f}" class="tick" text-anchor="end">{v}%</text>'
                   for v in (0, 50, 100))
    labels = "".join(f'<text x="{x(m):.1f}" y="{height - 10}" class="tick" text-anchor="middle">{m}</text>'
                     for m in range(1, 13))
    line = " ".join(f"{x(m):.1f},{y(r):.1f}" for m, r in points)
    dots = "".join(f'<circle cx="{x(m):.1f}" cy="{y(r):.1f}" r="3"><title>{m}月：{float(r) * 100:.1f}%</title></circle>'
                   f'<text x="{x(m):.1f}" y="{y(r) - 6:.1f}" class="value" text-anchor="middle">{float(r) * 100:.0f}</text>'
                   for m, r in points)
    return (f'<figure>{title}<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="月度检查得分率">{grid}{labels}<polyline points="{line}" class="trend"/>{dots}</svg></figure>')


def _dues_chart(months) -> str:
    title = "<h4>党费：应缴与实缴（元）</h4>"
    if not months:
        return f'<figure>{title}<p class="note">尚未报送党费收缴登记。</p></figure>'
    width, height, left, top, step = 380, 180, 46, 12, 28
    peak = max([max(d, p) for _, d, p in months] + [Decimal(1)])
    h = lambda v: float(v) / float(peak) * (height - top - 28)             # noqa: E731
    base = height - 28
    bars = []
    for m, due, paid in months:
        x0 = left + (m - 1) * step + 3
        short = paid < due
        bars.append(f'<rect x="{x0}" y="{base - h(due):.1f}" width="10" height="{h(due):.1f}" class="due">'
                    f'<title>{m}月应缴 {due:.2f}</title></rect>'
                    f'<rect x="{x0 + 11}" y="{base - h(paid):.1f}" width="10" height="{h(paid):.1f}" '
                    f'class="paid{" short" if short else ""}"><title>{m}月实缴 {paid:.2f}</title></rect>')
    labels = "".join(f'<text x="{left + (m - 0.5) * step:.1f}" y="{height - 10}" class="tick" text-anchor="middle">{m}</text>'
                     for m in range(1, 13))
    axis = (f'<line x1="{left}" x2="{left + 12 * step}" y1="{base}" y2="{base}" class="axis"/>'
            f'<text x="{left - 4}" y="{top + 4}" class="tick" text-anchor="end">{peak:.0f}</text>')
    legend = ('<p class="note"><span class="key due"></span>应缴　<span class="key paid"></span>实缴　'
              '<span class="key short"></span>实缴少于应缴</p>')
    return (f'<figure>{title}<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="党费应缴与实缴">{axis}{"".join(bars)}{labels}</svg>{legend}</figure>')


def _unowned(status: Status, folder: Path) -> str:
    rejected = status.open_rejections.get("", [])
    if not rejected:
        return ""
    rows = "".join(f'<li>{_file_link(r.file, folder)}（{cn_date(r.file.received.date())}，{r.file.errors}处错误）</li>'
                   for r in rejected)
    return ('<section id="unowned"><h2>未能确定支部的退回文件</h2><p class="note">请文件的报送人按回执修改后，'
            f'放入本支部的文件夹或在文件中写明支部名称后重新提交。</p><ul>{rows}</ul></section>')


def _recent(files, folder: Path, title: str = "最近收件", limit: int | None = RECENT) -> str:
    chosen = list(reversed(files))
    if limit is not None:
        chosen = chosen[:limit]
    if not chosen:
        return f'<section id="recent"><h2>{escape(title)}</h2><p class="note">本年尚未收到文件。</p></section>'
    rows = "".join(
        f'<tr><td>{f.received:%m-%d %H:%M}</td><td>{escape(f.branch or "（未确定）")}</td>'
        f'<td>{_file_link(f, folder)}</td><td class="{_status_colour(f.status)}">{STATUS_TEXT[f.status]}'
        f'{f"（{f.errors}处错误）" if f.errors else ""}</td></tr>' for f in chosen)
    return (f'<section id="recent"><h2>{escape(title)}</h2><div class="scroll"><table class="status">'
            f'<thead><tr><th>收到时间</th><th>单位</th><th>文件</th><th>结果</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></div></section>')


def _status_colour(status: str) -> str:
    return {"accepted": GREEN, "rejected": RED, "duplicate": GREY}[status]


def _file_link(f, folder: Path) -> str:
    name = escape(mask_text(f.file_name))
    link = _href(f.receipt, folder) if f.receipt else None
    return f'<a href="{link}">{name}</a>' if link else name


def _href(target: Path | None, folder: Path) -> str | None:
    """A relative link from a page in `folder` to `target` (the shared folder may be mounted
    anywhere); an absolute file: link only where no relative path exists (another drive)."""
    if target is None:
        return None
    try:
        rel = os.path.relpath(target, folder)
    except ValueError:
        return escape(Path(target).as_uri())
    return escape(quote(Path(rel).as_posix(), safe="/"))


CSS = """
[hidden]{display:none}
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",SimSun,sans-serif;
margin:0 auto;padding:0 16px 40px;max-width:1400px;color:#222;font-size:14px;line-height:1.5}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;border-bottom:2px solid #c00;padding-bottom:2px;margin-top:28px}
h3{font-size:16px;margin:20px 0 4px}h4{font-size:14px;margin:10px 0 4px}
.meta,.note{color:#555;margin:2px 0}.ok{color:#1a7f37}
nav{margin:8px 0;padding:6px 0;border-top:1px solid #ddd;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top}
thead th{background:#f2f2f2;white-space:nowrap}tbody th{text-align:left;font-weight:normal;white-space:nowrap}
.scroll{overflow-x:auto}.num{text-align:center}
.green{background:#d4edda}.yellow{background:#fff3bf}.red{background:#f8d0cc}.grey{background:#eee;color:#666}
td.none{background:#fff}
.cell{display:inline-block;padding:1px 4px;margin:1px 0;border-radius:3px}
.cell a,td a{color:inherit}.cell.red{font-weight:bold}
.chip{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #bbb;border-radius:3px}
.matrix td{min-width:2.2em}.matrix td.future{color:#999}.matrix td.total{font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}
svg .axis{stroke:#999;stroke-width:1}svg .tick{font-size:10px;fill:#555}svg .value{font-size:9px;fill:#333}
svg .trend{fill:none;stroke:#c00;stroke-width:2}svg circle{fill:#c00}
svg .due,.key.due{fill:#9bb7d4;background:#9bb7d4}svg .paid,.key.paid{fill:#2e7d32;background:#2e7d32}
svg .paid.short,.key.short{fill:#d9822b;background:#d9822b}
.key{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px}
ul.rejected li{margin-bottom:4px}ul.rejected ol{margin:2px 0;color:#8a1c1c}
th.sorted-asc:after{content:" ▲"}th.sorted-desc:after{content:" ▼"}.sortable thead th{cursor:pointer}
@media print{nav,.js-only{display:none}body{max-width:none}}
"""

# Sorting and filtering only; the page reads the same without it. Plain ES5 for old browsers.
SCRIPT = """
(function(){
  if(!document.querySelectorAll){return;}
  var boxes=document.querySelectorAll('.js-only');
  for(var i=0;i<boxes.length;i++){boxes[i].removeAttribute('hidden');}
  var filter=document.getElementById('filter');
  if(filter){filter.addEventListener('input',function(){
    var q=filter.value.replace(/\\s+/g,'');
    var rows=document.querySelectorAll('[data-name]');
    for(var i=0;i<rows.length;i++){
      var name=rows[i].getAttribute('data-name')||'';
      rows[i].style.display=(!q||name.indexOf(q)>=0)?'':'none';
    }
  });}
  var tables=document.querySelectorAll('table.sortable');
  for(var t=0;t<tables.length;t++){(function(table){
    var heads=table.querySelectorAll('thead th');
    for(var h=0;h<heads.length;h++){(function(th,col){
      th.addEventListener('click',function(){
        var body=table.tBodies[0];var rows=[];
        for(var r=0;r<body.rows.length;r++){rows.push(body.rows[r]);}
        var desc=th.className.indexOf('sorted-asc')>=0;
        for(var k=0;k<heads.length;k++){heads[k].className=heads[k].className.replace(/ ?sorted-(asc|desc)/,'');}
        th.className+=(desc?' sorted-desc':' sorted-asc');
        function key(row){var c=row.cells[col];if(!c){return '';}
          var v=c.getAttribute('data-sort');if(v===null){v=c.textContent;}
          var n=parseFloat(v);return isNaN(n)?v:n;}
        rows.sort(function(a,b){var x=key(a),y=key(b);var s=(x>y)?1:(x<y?-1:0);return desc?-s:s;});
        for(var r2=0;r2<rows.length;r2++){body.appendChild(rows[r2]);}
      });
    })(heads[h],h);}
  })(tables[t]);}
})();
"""


def refresh(ws, today: dt.date | None = None, year: int | None = None) -> Path | None:
    """Regenerate the pages after ingest, check or the year end; a failure is logged, never raised
    (the pages must not stand in the way of the work they report on)."""
    try:
        return write_overviews(ws, year, today)[0]
    except Exception as exc:
        log.warning("台账总览未能更新：%s", exc)
        return None
