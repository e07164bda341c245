"""Where things are on a sheet: title and info rows, the header (one or two rows),
data rows and footers; which ledger item the sheet is; its branch and period.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core.formats import (BRANCH_COLUMNS, DERIVED, EXCEL_ITEMS, FOOTER_WORDS, ITEMS, LABEL_INDEX, MEETING_ITEMS,
                                   SKIP_SHEETS, Item, field_for, fields_item, header_key, month_header,
                                   recognise_direction, recognise_title)
from pipeline.checking.branch import TITLE_BRANCH_RE, Forced, branch_key
from pipeline.core.issues import ERROR, WARNING, Issue, cell_ref, column_letter
from pipeline.reading.excel import RawSheet, fill_merged
from pipeline.core.values import Bad, as_date, clean_text, fold, parse_date

HEADER_SCAN_ROWS = 30
GRID_TOTAL = "合计"


@dataclass(frozen=True)
class Column:
    index: int            # 1-based
    header: str           # as the user wrote it (line breaks folded)
    field: str | None     # canonical field name, GRID_TOTAL, or None
    month: int | None = None
    where: str | None = None  # Word: "第2个表格第3行第2列" / "第5段" instead of a cell reference

    def cell(self, line: int | None) -> str | None:
        return self.where or cell_ref(self.index, line)


@dataclass(frozen=True)
class Layout:
    sheet: str
    item: Item
    header_rows: tuple[int, ...]
    columns: tuple[Column, ...]
    data: tuple             # ((excel row number, values), …)
    branch: str | None
    branch_from: str | None   # 'info' | 'title' | 'folder'
    branch_cell: str | None
    year: int | None
    month: int | None
    filled_on: dt.date | None
    grid: bool = False
    filled_cell: str | None = None    # where 填报日期 is written
    skipped: tuple = ()               # ((row, why), …): rows below the header that are not data
    unknown: tuple[str, ...] = ()     # headers that name no field: their columns are not stored
    year_from: str | None = None      # where the year was found when not in the sheet ('name' | 'option')
    branch_column: int | None = None  # a column naming several branches (0-based): split_by_branch
    title: str = ""                   # the text above the header (title and info rows)
    folder: str | None = None         # the branch the file's folder (or --branch) names
    by_title: bool = False            # the title or sheet name named the item (not the columns alone)

    def column_of(self, field: str) -> Column | None:
        for col in self.columns:
            if col.field == field:
                return col
        return None


def _text(value) -> str:
    return clean_text(value) if isinstance(value, str) else ""


def _info_text(value) -> str:
    """A cell above the header as text: a number typed into "年度：" | 2026 counts too."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}年{value.month}月{value.day}日"
    return _text(value)


def _header_hits(keys: list[str]) -> dict[str, set]:
    hits: dict[str, set] = {}
    months = 0
    for key in keys:
        if not key:
            continue
        for code, name in LABEL_INDEX.get(key, ()):
            hits.setdefault(code, set()).add(name)
        if month_header(key):
            months += 1
    if months >= 3:
        hits.setdefault("C2", set()).update({"月份", "实缴金额"})
    return hits


def _score(keys: list[str]) -> int:
    hits = _header_hits(keys)
    return max((len(v) for code, v in hits.items() if code in ITEMS), default=0)


def _matches(key: str) -> bool:
    return bool(key) and (key in LABEL_INDEX or month_header(key) is not None)


def find_header(rows: list[list]) -> tuple[tuple[int, ...], list[str], list[str]] | None:
    """(header row numbers, normalised keys, texts as written) — or None."""
    best = None
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        keys = [header_key(_text(v)) for v in rows[r]]
        score = _score(keys)
        if score < 2:
            continue
        texts = [re.sub(r"\s+", " ", _text(v)) for v in rows[r]]
        candidate = (score, (r + 1,), keys, texts)
        if r + 1 < len(rows):
            lower = [header_key(_text(v)) for v in rows[r + 1]]
            combined, ctexts = list(keys), list(texts)
            for c, key in enumerate(lower):
                if _matches(key) and key != (keys[c] if c < len(keys) else ""):
                    if c >= len(combined):
                        combined.extend([""] * (c + 1 - len(combined)))
                        ctexts.extend([""] * (c + 1 - len(ctexts)))
                    combined[c] = key
                    ctexts[c] = re.sub(r"\s+", " ", _text(rows[r + 1][c]))
            two = _score(combined)
            if two > score:
                candidate = (two, (r + 1, r + 2), combined, ctexts)
        if best is None or candidate[0] > best[0]:
            best = candidate
    return None if best is None else best[1:]


# Header words that say nothing about which ledger a sheet is (they are in almost every form).
GENERIC_FIELDS = frozenset({"序号", "姓名", "党员姓名", "备注", "党支部", "支部名称", "说明", "日期"})
CLEAR_WIN = 1.0          # the winner's header evidence must beat the runner-up's by this much …
CLEAR_RATIO = 1.5        # … and by this factor


def _family(code: str) -> str:
    return "B" if code in MEETING_ITEMS else code


def _key_weights() -> dict[str, dict[str, float]]:
    """header key → {item family: weight}: 1 / the number of families whose fields it names; 0 for
    generic words (序号, 姓名 …) — a column that many ledgers share tells little."""
    out = {}
    for key, pairs in LABEL_INDEX.items():
        families = {_family(code) for code, _ in pairs}
        generic = any(name in GENERIC_FIELDS for _, name in pairs)
        out[key] = {family: 0.0 if generic else 1 / len(families) for family in families}
    return out


KEY_WEIGHTS = _key_weights()


@dataclass(frozen=True)
class Candidate:
    item: Item
    evidence: float            # Σ weights of its columns in the header
    distinctive: int           # columns that name this ledger (or at most one other)
    found: frozenset           # its field names present
    missing: tuple[str, ...]   # its required fields absent

def candidates(keys: list[str]) -> list[Candidate]:
    """Every Excel item with the evidence the header gives for it, best first."""
    hits = _header_hits(keys)
    evidence: dict[str, float] = {}
    distinctive: dict[str, int] = {}
    for key in set(k for k in keys if k):
        for family, weight in KEY_WEIGHTS.get(key, {}).items():
            evidence[family] = evidence.get(family, 0.0) + weight
            distinctive[family] = distinctive.get(family, 0) + (weight >= 0.5)
    named = any("姓名" in {name for _, name in LABEL_INDEX.get(k, ())} for k in keys if k)
    if named and sum(1 for k in keys if k and month_header(k)) >= 3:     # a C2 year grid: 姓名 | 1月 … 12月
        evidence["C2"] = evidence.get("C2", 0.0) + 2
        distinctive["C2"] = distinctive.get("C2", 0) + 2
    out = []
    for item in EXCEL_ITEMS:
        found = frozenset(hits.get(item.code, set()) | (hits.get("B", set()) if item.code in MEETING_ITEMS else set()))
        if item.code == "C2" and named and sum(1 for k in keys if k and month_header(k)) >= 3:
            found |= {"月份", "实缴金额"}
        missing = tuple(f.name for f in item.required_fields() if f.name not in found)
        out.append(Candidate(item, round(evidence.get(_family(item.code), 0.0), 3),
                             distinctive.get(_family(item.code), 0), found, missing))
    return sorted(out, key=lambda c: (-c.evidence, len(c.missing), c.item.code))


def recognise(sheet_name: str, title_text: str, keys: list[str]) -> tuple[Item | None, list[Candidate], bool]:
    """Which ledger a sheet is, with a confidence — or (None, the closest candidates); and whether the
    title (or sheet name) decided it.

    A title or sheet name that names an item decides, as long as the header has at least one
    column distinctive of that item. Otherwise the header decides, but only when one item clearly
    wins (its evidence ahead by CLEAR_WIN and by CLEAR_RATIO). Rows are never stored under an item
    none of whose distinctive columns is present."""
    ranked = candidates(keys)
    by_code = {c.item.code: c for c in ranked}
    for text in (title_text, sheet_name):
        named = recognise_title(text)
        if named is None:
            continue
        own = by_code.get("B") if named.code in MEETING_ITEMS else by_code.get(named.code)
        if own is not None and own.distinctive:
            return named, ranked, True
    top = [c for c in ranked if c.distinctive]
    if not top:
        return None, ranked, False
    best, runner = top[0], (top[1] if len(top) > 1 else None)
    clear = runner is None or (best.evidence - runner.evidence >= CLEAR_WIN and
                               best.evidence >= runner.evidence * CLEAR_RATIO)
    if clear and _covers(best, title_text):
        return best.item, ranked, False
    return None, ranked, False


def _covers(candidate: Candidate, title_text: str) -> bool:
    """By its header alone a sheet is an item only if it has at least two thirds of the item's
    required columns that cannot be derived from others (性别 and 出生年月 come from the ID number …)."""
    derivable = {f for f, source in DERIVED.get(candidate.item.code, {}).items()
                 if source is None or source in candidate.found or (source == "title" and recognise_direction(title_text))}
    core = [f.name for f in candidate.item.required_fields() if f.name not in derivable]
    have = sum(1 for name in core if name in candidate.found)
    return have * 3 >= len(core) * 2


def unclear_issue(sheet: str, ranked: list[Candidate]) -> Issue:
    """"无法确定是哪一类台账", naming the two closest items and the columns each lacks."""
    close = [c for c in ranked if c.evidence > 0][:2] or ranked[:2]
    named = "；".join(f"《{c.item.name}》（缺少：{'、'.join(c.missing)}）" if c.missing else
                     f"《{c.item.name}》（必填列都有，但与其他台账的列难以区分）" for c in close)
    return Issue("item-unclear", ERROR, f"无法确定是哪一类台账：最接近的是{named}", sheet=sheet,
                 hint="请在第一行写明表名（如“党员花名册”），并按统一模板补齐所缺的列；"
                      "可用 taizhang templates 生成空白模板")


_BRANCH_RE = re.compile(r"(?:党支部名称|支部名称|所属党支部|所在党支部|党支部|支部|填报单位)\s*[:：]\s*([^\s:：]+)(?=\s|$)")
_FILLED_RE = re.compile(r"(?:填报日期|填表日期|填报时间|填表时间|报送日期)\s*[:：]?\s*([0-9０-９年月日./\-]+日?)")
_YEAR_RE = re.compile(r"(?:年度\s*[:：]\s*(\d{4}))|(?:(\d{4})\s*年度)|(?:(\d{4})\s*年(?!\s*\d{1,2}\s*月\s*\d{1,2}\s*日))")
_MONTH_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)|月份\s*[:：]\s*(\d{4})\s*[-年.]\s*(\d{1,2})")
_LABEL_RE = re.compile(r"(?:党支部名称|支部名称|所属党支部|所在党支部|党支部|支部|填报单位|年度|填报日期)\s*[:：]")


def read_info(text: str, registered: tuple[str, ...]) -> dict:
    """Branch, year, month and 填报日期 from the title and info rows above the header."""
    info: dict = {}
    text = fold(text)
    m = _FILLED_RE.search(text)
    if m:
        filled = parse_date(m[1])
        if not isinstance(filled, Bad):
            info["filled_on"] = as_date(filled)
        text = text[:m.start()] + " " + text[m.end():]
    m = _BRANCH_RE.search(text)
    if m:
        info["branch"], info["branch_from"] = m[1], "info"
    else:
        key = header_key(text)
        names = sorted((n for n in registered if header_key(n) and header_key(n) in key), key=len, reverse=True)
        if names:
            info["branch"], info["branch_from"] = names[0], "title"
        else:
            for token in _LABEL_RE.sub(" ", text).split():
                m = TITLE_BRANCH_RE.search(token)
                if m:
                    info["branch"], info["branch_from"] = m[1], "title"
                    break
    m = _MONTH_RE.search(text)
    if m:
        year, month = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
        if 1 <= month <= 12:
            info["year"], info["month"] = year, month
    if "year" not in info:
        m = _YEAR_RE.search(text)
        if m:
            info["year"] = int(next(g for g in m.groups() if g))
    return info


_FOOTERS = tuple(fold(w) for w in FOOTER_WORDS)


_TOTAL_WORDS = re.compile(r"合计|小计|总计|共计")
_SIGN_OFF = re.compile(r"盖章|签字|签名|^(填报|填表|报送|制表)(日期|时间|人)|^日期[:：]|^年月日$")


_SPACE = re.compile(r"\s")


def _squash(value) -> str:
    """A cell as compared with marker and footer words: folded, no spaces at all."""
    return _SPACE.sub("", fold(str(value)))


def _filled(values: list) -> list:
    return [v for v in values if v is not None and (v.strip() if isinstance(v, str) else str(v).strip())]


def _is_footer(cells: list, first: str) -> bool:
    """A total row (合计, 本月合计, 本页小计 … in its first text cell) or a sign-off row (a sparse row
    with 盖章, 签字, 填报日期, 年 月 日): not data. `cells`: the row's filled cells; `first`: the
    first one squashed."""
    if first.startswith(_FOOTERS):
        return True
    first_text = next((first if n == 0 else _squash(v) for n, v in enumerate(cells) if isinstance(v, str)), "")
    if _TOTAL_WORDS.search(first_text):
        return True
    return len(cells) <= 3 and any(isinstance(v, str) and _SIGN_OFF.search(_squash(v)) for v in cells)


def _columns(item: Item, keys: list[str], texts: list[str], grid_allowed: bool) -> list[Column]:
    fields = fields_item(item.code)
    cols, taken = [], set()
    for c, key in enumerate(keys):
        if not key:
            continue
        fld = field_for(fields, key)
        month = month_header(key) if grid_allowed and fld is None else None
        name = fld.name if fld else None
        if name in taken:             # a second column for the same field (联系电话 and 手机号码): not stored, said
            name = None
        if grid_allowed and key in ("合计", "全年合计", "年度合计", "小计", "总计", "合计元"):
            name = GRID_TOTAL
        if name:
            taken.add(name)
        cols.append(Column(c + 1, texts[c] if c < len(texts) else key, name, month))
    return cols


def layout_sheet(raw: RawSheet, registered: tuple[str, ...], folder_branch: str | None, file_name: str | None = None,
                 default_year: int | None = None) -> tuple[Layout | None, list[Issue]]:
    """Lay out one sheet; (None, issues) for skipped or unreadable sheets. The branch: the info row
    or title, else a branch column, else the folder (or --branch), else the file name; the year: the
    sheet, else the file name, else --year."""
    name = raw.name
    if raw.truncated:
        return None, [Issue("too-many-rows", ERROR, "工作表行数过多，超出处理上限", sheet=name,
                            hint="一张台账请不要超过 50000 行；请拆分后提交")]
    if raw.hidden or not any(any(v not in (None, "") for v in r) for r in raw.rows):
        why = "隐藏的工作表" if raw.hidden else "空白工作表"
        return None, [Issue("sheet-skipped", WARNING, f"{why}，已跳过", sheet=name)]
    rows = fill_merged(raw)
    found = find_header(rows)
    title_item = recognise_title(name)
    if found is None:
        if any(w in name for w in SKIP_SHEETS) or (title_item is None and not _has_title(rows)):
            return None, [Issue("sheet-skipped", WARNING, "不是台账表（如填表说明），已跳过", sheet=name)]
        return None, [Issue("no-header", ERROR, "找不到表头行，无法识别各列", sheet=name,
                            hint="表头应为一行列名（如 姓名、性别、出生年月…），请使用统一模板")]
    header_rows, keys, texts = found
    # the text above the header, from the cells as written (merged titles once, not per cell)
    title_text = "  ".join(_info_text(v) for r in raw.rows[:header_rows[0] - 1] for v in r if _info_text(v))
    item, ranked, by_title = recognise(name, title_text, keys)
    instructions = re.search(r"(填表|填写|填报|使用)说明", title_text or "")
    if (any(w in name for w in SKIP_SHEETS) or instructions) and recognise_title(title_text.replace("说明", "")) is None:
        return None, [] if name == "填表说明" else \
            [Issue("sheet-skipped", WARNING, "不是台账表（如填表说明），已跳过", sheet=name)]
    if item is None:
        if not any(c.distinctive for c in ranked):
            return None, [Issue("sheet-skipped", WARNING, "未能识别为任何台账，已跳过", sheet=name,
                                hint="如这是台账，请在第一行写明表名（如“党员花名册”），并使用统一模板的列名")]
        return None, [unclear_issue(name, ranked)]
    info = read_info(title_text, registered)
    grid_allowed = item.code == "C2"
    columns = _columns(item, keys, texts, grid_allowed)
    grid = grid_allowed and sum(1 for c in columns if c.month) >= 3
    start = header_rows[-1]
    content = tuple(c.index - 1 for c in columns
                    if (c.field or c.month) and c.field != "序号" and header_key(c.header) != "序号")
    data, skipped = [], []
    for i in range(start, len(rows)):
        why = _not_data(rows[i], content)
        if why == "":
            data.append((i + 1, rows[i]))
        elif why is not None:
            skipped.append((i + 1, why))
    branch_cols = [c for c in range(len(keys)) if keys[c] in BRANCH_COLUMNS and
                   not (c < len(columns) and any(col.index == c + 1 and col.field for col in columns))]
    grid_kept = {"姓名", GRID_TOTAL}
    unknown = tuple(texts[c] for c in range(len(keys)) if keys[c] and c not in branch_cols
                    and not any(col.index == c + 1 and (col.month or (col.field and (not grid or col.field in grid_kept)))
                                for col in columns)
                    and header_key(texts[c]) != "序号")
    headless = [c for c in range(max((len(v) for _, v in data), default=0))
                if not (c < len(keys) and keys[c]) and any(c < len(v) and v[c] not in (None, "") for _, v in data)]
    unknown += tuple(f"第{column_letter(c + 1)}列（没有列名）" for c in headless)
    branch, branch_from, branch_cell, branch_column = info.get("branch"), info.get("branch_from"), None, None
    issues: list[Issue] = []
    found = _branch_column(data, branch_cols)
    if isinstance(folder_branch, Forced):        # --branch wins over all (§2)
        branch, branch_from, found = str(folder_branch), "option", None
    elif found is not None:                      # the rows say their branch: that wins
        col, values = found
        if branch is not None and {branch_key(v) for v in values} != {branch_key(branch)}:
            issues.append(Issue("branch-conflict", ERROR,
                                f"表头写的党支部是“{branch}”，但“{texts[col]}”列写的是“{'、'.join(sorted(values))}”",
                                sheet=name, cell=_find_cell(rows[:header_rows[0] - 1], branch),
                                hint="请核对：一个支部的台账，表头和党支部列应写同一个支部"))
        if len(values) == 1:
            branch, branch_from = next(iter(values)), "column"
            branch_cell = cell_ref(col + 1, next(n for n, v in data if col < len(v) and _text(v[col])))
        else:
            branch, branch_from, branch_column = None, "column", col   # split_by_branch: one layout a branch
    elif branch is not None:
        branch_cell = _find_cell(rows[:header_rows[0] - 1], branch)
    elif folder_branch:
        branch, branch_from = folder_branch, "folder"
    elif file_name and (named := read_info(Path(file_name).stem, registered)).get("branch"):
        branch, branch_from = named["branch"], "name"
    year, year_from = info.get("year"), None
    if year is None and file_name and (named_year := _year_in_name(Path(file_name).stem)):
        year, year_from = named_year, "name"
    if year is None and default_year:
        year, year_from = default_year, "option"
    filled_cell = _find_cell(rows[:header_rows[0] - 1], "填") if info.get("filled_on") else None
    layout = Layout(name, item, header_rows, tuple(columns), tuple(data), branch, branch_from, branch_cell,
                    year, info.get("month"), info.get("filled_on"), grid, filled_cell, tuple(skipped), unknown,
                    year_from, branch_column, title_text, folder_branch, by_title)
    return layout, issues


def _year_in_name(stem: str) -> int | None:
    """The year a file name gives: "2026年…", or a bare 20xx ("党费2026.xlsx")."""
    year = read_info(stem, ()).get("year")
    if year is None and (m := re.search(r"(?<!\d)(20\d{2})(?!\d)", stem)):
        year = int(m[1])
    return year


def _branch_column(data: list, columns: list[int]) -> tuple[int, set[str]] | None:
    """(index, its values) of the column that names the branch (所在党支部 …): the first one with
    values in it."""
    for c in columns:
        values = {_text(v[c]) for _, v in data if c < len(v) and _text(v[c])}
        if values:
            return c, values
    return None


def split_by_branch(layout: Layout) -> list[Layout]:
    """A sheet whose branch column names several branches: one layout a branch, each checked and
    stored as that branch's ledger (rows without a branch stay together and are reported)."""
    if layout.branch_column is None:
        return [layout]
    c = layout.branch_column
    groups: dict[str, list] = {}
    for line, values in layout.data:
        groups.setdefault(_text(values[c]) if c < len(values) else "", []).append((line, values))
    return [replace(layout, data=tuple(rows), branch=name or None, branch_from="column" if name else "column-empty",
                    branch_cell=cell_ref(c + 1, rows[0][0]), branch_column=None)
            for name, rows in groups.items()]


def _has_title(rows) -> bool:
    return any(recognise_title(_text(v)) for r in rows[:5] for v in r if _text(v))


_MARKERS = {"必填", "选填", "非必填", "可选", "必填项", "选填项", "可不填", "*"}
_LETTERS = re.compile(r"^[A-Z]{1,2}$")
_BRACKETED = re.compile(r"^[（(【\[].*[）)】\]]$")


def _not_data(values: list, content_columns: tuple[int, ...]) -> str | None:
    """"" for a data row; why a row below the header is not data ("注释", "“必填”标记行" …); None
    for an empty row (nothing to say). Cells are squashed only as far as a test needs them: a data
    row is told by its first cell or two."""
    cells = _filled(values)
    if not cells:
        return None
    first = _squash(cells[0])
    if first in _MARKERS and all(_squash(v) in _MARKERS for v in cells[1:]):
        return "为“必填/选填”标记行"
    if len(cells) >= 3 and _LETTERS.match(first) and all(_LETTERS.match(_squash(v)) for v in cells[1:]):
        return "为列标（A、B、C…）"
    if len(cells) == 1 and _BRACKETED.match(first):
        return "为括号中的说明"
    if _is_footer(cells, first):
        # a note is said in the receipt; totals and sign-offs are what every form has (not worth a line)
        return "为注释" if first.startswith(("注", "说明", "备注")) else None
    for index in content_columns:
        if index < len(values):
            value = values[index]
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return ""
    return None


def _find_cell(rows, text: str) -> str | None:
    """The last cell above the header that holds `text` (info rows come after the title)."""
    for r in range(len(rows) - 1, -1, -1):
        row = rows[r]
        for c, v in enumerate(row):
            if isinstance(v, str) and text in fold(v):
                return cell_ref(c + 1, r + 1)
    return None
