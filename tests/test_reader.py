"""The Excel reader and layout: titles, info rows, headers, merged cells, footers, items."""
import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from pipeline.core.formats import EXCEL_ITEMS, ITEMS, header_key, recognise_title
from pipeline.reading.layout import layout_sheet
from pipeline.reading.excel import fill_merged, read_workbook

from .conftest import BRANCH


def messy_roster(path, *, title=True, info=True, two_row=False, footer=True):
    """A roster as an office really makes it: merged title, info row, spaced headers."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    r = 1
    if title:
        ws["A1"] = f"示例职业技术学院{BRANCH}党员花名册"
        ws.merge_cells("A1:H1")
        r += 1
    if info:
        ws.cell(row=r, column=1, value="党支部：")
        ws.cell(row=r, column=2, value=BRANCH)
        ws.cell(row=r, column=5, value="填报日期：２０２６年３月５日")
        r += 1
    if two_row:
        ws.cell(row=r, column=1, value="序 号")
        ws.cell(row=r, column=2, value="党员\n姓名")
        ws.cell(row=r, column=3, value="基本情况")
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=4)
        ws.cell(row=r + 1, column=3, value="性别")
        ws.cell(row=r + 1, column=4, value="出生日期")
        ws.merge_cells(start_row=r, start_column=1, end_row=r + 1, end_column=1)
        ws.merge_cells(start_row=r, start_column=2, end_row=r + 1, end_column=2)
        rest = ["正式/预备", "入党日期", "转正日期", "人员身份"]
        for c, head in enumerate(rest, 5):
            ws.cell(row=r, column=c, value=head)
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        r += 2
    else:
        for c, head in enumerate(["序号", "姓  名", "性别（必填）", "出生年月*", "人员类别", "入党\n时间", "转正时间",
                                  "党员身份"], 1):
            ws.cell(row=r, column=c, value=head)
        r += 1
    first = r
    ws.append([1, "张三", "男", "1980.05", "正式", dt.datetime(2005, 6, 1), "2006年6月1日", "在职"])
    ws.append([2, "李四", "女", "1999年1月", "预备", "2026-01-10", None, "在职教职工"])
    ws.append([3])                      # only a 序号: empty
    ws.append([])
    if footer:
        ws.append(["合计", "2人"])
        ws.append(["填表人：王五", None, None, "审核人：赵六"])
    wb.save(path)
    return first


def lay(path, folder=None, registered=(BRANCH,)):
    sheets, issues = read_workbook(path)
    assert issues == []
    return layout_sheet(sheets[0], registered, folder)


def test_messy_roster_is_laid_out(tmp_path):
    first = messy_roster(tmp_path / "a.xlsx")
    layout, issues = lay(tmp_path / "a.xlsx")
    assert issues == []
    assert layout.item.code == "A1"
    assert layout.header_rows == (3,)
    assert layout.branch == BRANCH and layout.branch_from == "info" and layout.branch_cell == "B2"
    assert layout.filled_on == dt.date(2026, 3, 5)
    assert [line for line, _ in layout.data] == [first, first + 1]      # 序号-only, blank and footer rows skipped
    fields = {c.field: c.header for c in layout.columns}
    assert fields["入党时间"] == "入党 时间" and fields["性别"] == "性别（必填）"


def test_two_row_header_under_merged_group_cells(tmp_path):
    messy_roster(tmp_path / "a.xlsx", two_row=True)
    layout, _ = lay(tmp_path / "a.xlsx")
    assert layout.header_rows == (3, 4)
    assert {c.field for c in layout.columns} >= {"姓名", "性别", "出生年月", "人员类别", "入党时间", "转正时间", "党员身份"}
    assert [line for line, _ in layout.data][0] == 5


def test_item_from_header_when_there_is_no_title(tmp_path):
    messy_roster(tmp_path / "a.xlsx", title=False, info=False)
    layout, _ = lay(tmp_path / "a.xlsx", folder=BRANCH)
    assert layout.item.code == "A1"
    assert layout.branch == BRANCH and layout.branch_from == "folder"


def test_branch_from_title_when_no_info_row(tmp_path):
    messy_roster(tmp_path / "a.xlsx", info=False)
    layout, _ = lay(tmp_path / "a.xlsx")
    assert layout.branch == BRANCH and layout.branch_from == "title"


def test_merged_data_cells_are_filled_down(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["党员花名册"])
    ws.append(["姓名", "性别", "所在党小组"])
    ws.append(["张三", "男", "第一党小组"])
    ws.append(["李四", "女", None])
    ws.merge_cells("C3:C4")
    wb.save(tmp_path / "m.xlsx")
    sheets, _ = read_workbook(tmp_path / "m.xlsx")
    rows = fill_merged(sheets[0])
    assert rows[3][2] == "第一党小组"


def test_instruction_and_blank_sheets_are_skipped(tmp_path):
    wb = Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "请按模板填写，日期格式为 2026-03-05。"
    wb.create_sheet("Sheet2")
    wb.save(tmp_path / "s.xlsx")
    sheets, _ = read_workbook(tmp_path / "s.xlsx")
    for sheet in sheets:
        layout, issues = layout_sheet(sheet, (), None)
        assert layout is None and [i.code for i in issues] == ["sheet-skipped"]


def test_formula_without_cached_value_and_error_cells_are_marked(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "=SUM(1,2)", 5
    wb.save(tmp_path / "f.xlsx")
    sheets, _ = read_workbook(tmp_path / "f.xlsx")
    assert str(sheets[0].rows[0][0]) == "（公式，无计算结果）"
    assert sheets[0].rows[0][1] == 5


def test_every_excel_item_is_recognised_from_its_title():
    for item in EXCEL_ITEMS:
        assert recognise_title(f"某某学院某某党支部2026年度{item.name}").code == item.code
    assert recognise_title("支部委员会会议记录").code == "B2"
    assert recognise_title("Sheet1") is None


def test_header_normalisation():
    assert header_key("入党\n时间（必填）*") == header_key("入党时间")
    assert header_key("ＩＤ　号") == "id号"
    assert header_key("月应缴党费(元)") == header_key("月应缴党费")


def test_every_item_has_required_fields_and_unique_labels():
    for item in ITEMS.values():
        assert item.required_fields(), item.code
        labels = [header_key(label) for f in item.fields for label in f.labels]
        assert len(labels) == len(set(labels)), (item.code, [x for x in labels if labels.count(x) > 1])


# --- issue 15: the calamine reader gives what openpyxl gives -------------------------------------

def _both(path):
    import os

    from pipeline.reading.excel import READER_ENV, read_workbook
    fast = read_workbook(path)
    os.environ[READER_ENV] = "openpyxl"
    try:
        slow = read_workbook(path)
    finally:
        del os.environ[READER_ENV]
    return fast, slow


def _same(fast, slow, where):
    def trim(row):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        return row
    (fs, fi), (ss, si) = fast, slow
    assert [i.code for i in fi] == [i.code for i in si], where
    assert [s.name for s in fs] == [s.name for s in ss], where
    for a, b in zip(fs, ss):
        assert (a.hidden, a.truncated, sorted(a.merged)) == (b.hidden, b.truncated, sorted(b.merged)), (where, a.name)
        rows_a = [trim(r) for r in a.rows]
        rows_b = [trim(r) for r in b.rows]
        while rows_a and not rows_a[-1]:
            rows_a.pop()
        while rows_b and not rows_b[-1]:
            rows_b.pop()
        assert len(rows_a) == len(rows_b), (where, a.name)
        for n, (x, y) in enumerate(zip(rows_a, rows_b), 1):
            assert [(type(v).__name__, v, getattr(v, "shown", None)) for v in x] == \
                   [(type(v).__name__, v, getattr(v, "shown", None)) for v in y], (where, a.name, n)


def test_both_readers_agree_on_every_fixture(tmp_path, college):
    """Every workbook the tests and the demo use — the sample college's ledgers, the mistaken ones,
    the blank templates, the real published layouts, and edge cases (merged cells, hidden sheets,
    fixed decimals, dates with times, long numbers, formulas) — read by both readers, compared cell
    by cell (values, their types, the displayed text of fixed-decimal numbers)."""
    import datetime as dt
    import json

    from openpyxl import Workbook

    from pipeline.documents.blank import save_workbook, write_templates
    from pipeline.samples.demo import demo_files
    paths = []
    for n, f in enumerate(demo_files(college, 2026)):
        if f.workbook is not None:
            paths.append(save_workbook(f.workbook, tmp_path / f"demo{n}.xlsx"))
    paths += write_templates(tmp_path / "templates")
    forms = json.loads((Path(__file__).parent / "data" / "real_forms.json").read_text("utf-8"))
    for n, form in enumerate(forms):
        wb = Workbook()
        ws = wb.active
        ws.append([form["title"]] if form["title"] else [])
        ws.append(form["headers"])
        for row in form["example_rows"]:
            ws.append([v if v != "" else None for v in row])
        wb.save(tmp_path / f"form{n}.xlsx")
        paths.append(tmp_path / f"form{n}.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.append(["月份", "金额", "日期", "时刻", "身份证号", "小数"])
    for v in (2026.1, 2026.12, 3.5):
        ws.append([v, v, dt.datetime(2026, 3, 5, 14, 30), dt.datetime(2026, 3, 5), 110105198506155317, 0.1 + 0.2])
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = row[1].number_format = "0.00"
    ws.merge_cells("A6:C7")
    ws["A6"] = "合并"
    hidden = wb.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    hidden["B3"] = "x"
    wb.create_sheet("空白")
    wb.save(tmp_path / "edge.xlsx")
    paths.append(tmp_path / "edge.xlsx")
    formula = Workbook()
    formula.active["A1"], formula.active["A2"] = 1, "=A1+1"
    formula.save(tmp_path / "formula.xlsx")
    paths.append(tmp_path / "formula.xlsx")
    assert len(paths) > 150
    for path in paths:
        _same(*_both(path), path.name)


def test_sheet_xml_is_scanned_in_pieces(tmp_path):
    """The sheet XML is scanned 1 MB at a time, cut between cells: a formula or a fixed-decimal
    number far past the first megabyte is still seen, and a sheet starting at column D keeps its
    columns."""
    from openpyxl import Workbook

    from pipeline.core.values import UNCALCULATED
    from pipeline.reading.excel import read_workbook
    wb = Workbook()
    ws = wb.active
    for n in range(1, 30001):
        ws.cell(n, 4, f"第{n}行的一段文字").number_format = "@"
    ws["E29999"] = 2026.1
    ws["E29999"].number_format = "0.00"
    wb.save(tmp_path / "decimals.xlsx")
    import zipfile
    assert zipfile.ZipFile(tmp_path / "decimals.xlsx").getinfo("xl/worksheets/sheet1.xml").file_size > 2 << 20
    (sheet,), issues = read_workbook(tmp_path / "decimals.xlsx")
    assert sheet.rows[0] == [None, None, None, "第1行的一段文字"]
    assert sheet.rows[29998][4].shown == "2026.10"
    from pipeline.reading.excel import _scan_sheet, _style_decimals
    with zipfile.ZipFile(tmp_path / "decimals.xlsx") as z:
        assert _scan_sheet(z, "xl/worksheets/sheet1.xml", _style_decimals(z)) == {(29999, 5): 2}
    ws["F30000"] = "=1+1"                   # the last cell: openpyxl must read the workbook
    wb.save(tmp_path / "formula.xlsx")
    (sheet,), issues = read_workbook(tmp_path / "formula.xlsx")
    assert sheet.rows[29999][5] is UNCALCULATED
    with zipfile.ZipFile(tmp_path / "formula.xlsx") as z:
        assert _scan_sheet(z, "xl/worksheets/sheet1.xml", _style_decimals(z)) is None
