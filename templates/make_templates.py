"""Build the .docx templates in this folder (run by developers; the .docx files are committed).

The templates are ordinary Word documents holding the layout (GB/T 9704-2012 page setup,
styles with East-Asian fonts, footers with "— 1 —" page numbers) and docxtpl/Jinja tags
for the data. Staff may open them in Word or WPS and restyle them: the generators only
fill the tags. Re-running this script overwrites such changes — edit the .docx instead.

    .venv/bin/python templates/make_templates.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
H1_FONT, H2_FONT = "黑体", "楷体_GB2312"
PAGE_FONT = "宋体"
LINE = Pt(28.95)          # 225 mm / 22 lines


def fonts(style_or_run, east_asia: str, latin: str = "Times New Roman", size: float | None = None,
          bold: bool | None = None) -> None:
    font = style_or_run.font
    font.name = latin
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element if hasattr(style_or_run, "element") else style_or_run._element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def setup_document() -> docx.Document:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)      # 版心 225 mm high
    section.left_margin, section.right_margin = Mm(28), Mm(26)      # 订口 28 mm, 版心 156 mm wide
    section.footer_distance = Mm(25)
    styles = document.styles
    normal = styles["Normal"]
    fonts(normal, BODY_FONT, size=16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_after = Pt(0)
    for name, east, size, bold, align in (("Title", TITLE_FONT, 22, False, WD_ALIGN_PARAGRAPH.CENTER),
                                          ("Heading 1", H1_FONT, 16, False, None),
                                          ("Heading 2", H2_FONT, 16, False, None),
                                          ("Heading 3", BODY_FONT, 16, True, None)):
        style = styles[name]
        fonts(style, east, size=size, bold=bold)
        style.font.color.rgb = None
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = LINE if name != "Title" else Pt(40)
        if align is not None:
            style.paragraph_format.alignment = align
        style.paragraph_format.keep_with_next = True       # a heading never ends a page (§4)
        ppr = style.element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):      # the default Title has a blue rule: not in 公文
            ppr.remove(border)
        style.element.get_or_add_rPr()
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            style.element.rPr.rFonts.attrib.pop(qn(theme), None)
    table_text = styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    fonts(table_text, BODY_FONT, size=10.5)
    table_text.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    picture = styles.add_style("图片", WD_STYLE_TYPE.PARAGRAPH)
    picture.base_style = normal
    picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE   # exact spacing would clip photos
    picture.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.space_before = Pt(6)
    todo = styles.add_style("待填写", WD_STYLE_TYPE.PARAGRAPH)
    todo.base_style = normal
    fonts(todo, "楷体_GB2312", size=16)
    todo.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    todo.paragraph_format.first_line_indent = Pt(32)
    caption = styles.add_style("图片说明", WD_STYLE_TYPE.PARAGRAPH)
    caption.base_style = normal
    fonts(caption, "楷体_GB2312", size=12)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    caption.paragraph_format.space_after = Pt(6)
    _page_numbers(document)
    return document


def _page_number_paragraph(footer, align) -> None:
    para = footer.paragraphs[0]
    para.alignment = align
    for text in ("— ", None, " —"):
        if text is None:
            para._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r>'
                                     f'</w:fldSimple>'))
            run = None
        else:
            run = para.add_run(text)
        if run is not None:
            fonts(run, PAGE_FONT, size=14)
    for run in para._p.iter(qn("w:r")):
        rpr = run.find(qn("w:rPr"))
        if rpr is None:
            rpr = parse_xml(f'<w:rPr {nsdecls("w")}><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
                            f'w:eastAsia="{PAGE_FONT}"/><w:sz w:val="28"/></w:rPr>')
            run.insert(0, rpr)


def _page_numbers(document) -> None:
    """'— 1 —' in 4号宋体: odd pages at the right, even pages at the left (GB/T 9704 7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    _page_number_paragraph(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_paragraph(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def para(document, text: str = "", style: str | None = None, align=None, bold: bool | None = None):
    p = document.add_paragraph(text, style=style)
    if align is not None:
        p.alignment = align
    if bold is not None:
        for run in p.runs:
            run.bold = bold
    return p


def fix_widths(table, widths_mm: list[float]) -> None:
    """Fixed layout with a real grid, so Word, WPS and LibreOffice all keep the column widths."""
    table.autofit = False
    tbl = table._tbl
    layout = tbl.tblPr.find(qn("w:tblLayout"))
    if layout is None:
        layout = parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>')
        tbl.tblPr.append(layout)
    grid = tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(width / 25.4 * 1440)))
    for row in table.rows:
        for index, cell in enumerate(row.cells):
            cell.width = Mm(widths_mm[min(index, len(widths_mm) - 1)])


def print_rows(table, header_rows: int = 1, together: bool = False) -> None:
    """§4: the header row repeated on every page (w:tblHeader), no row split across pages
    (w:cantSplit); `together` keeps a small table whole on one page (and with what follows it)."""
    for index, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
        if index < header_rows:
            trpr.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
        if together and index < len(table.rows) - 1:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True


def table_text(table) -> None:
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.style = "表格文字"


def merge(table, row: int, first: int, last: int):
    """Merge cells and drop the empty paragraphs the merge leaves behind."""
    cell = table.cell(row, first).merge(table.cell(row, last))
    for extra in cell.paragraphs[1:]:
        if not extra.text:
            extra._p.getparent().remove(extra._p)
    return cell


def title_block(document) -> None:
    """The title, on as many lines as `title_lines` gives (render.title_lines)."""
    para(document, "{%p for line in title_lines %}")
    para(document, "{{ line }}", style="Title")
    para(document, "{%p endfor %}")


def page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def record_table(document, rows) -> None:
    """A meeting's (or a talk's) fixed table: label | value | label | value, a row with one value
    merged across; kept whole on one page."""
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(rows):
        for col, value in enumerate(values):
            table.cell(r, col).text = value
        if values[2] == "":
            merge(table, r, 1, 3)
    fix_widths(table, [34, 46, 28, 48])
    print_rows(table, header_rows=0, together=True)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.style = "表格文字"
                for run in p.runs:
                    run.font.size = Pt(12)


def loop_table(document, heads: list[str], cells: list[str], loop: str, widths: list[float] | None = None,
               font_size: float = 10.5, right: tuple[int, ...] = (), total: list[str] | None = None):
    """A table with a header row and one docxtpl row loop ({%tr for … %})."""
    table = document.add_table(rows=4, cols=len(heads))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, head in enumerate(heads):
        table.cell(0, c).text = head
    table.cell(1, 0).text = "{%tr for " + loop + " %}"
    for c, cell in enumerate(cells):
        table.cell(2, c).text = cell
    table.cell(3, 0).text = "{%tr endfor %}"
    if widths:
        fix_widths(table, widths)
    print_rows(table)
    for row in table.rows:
        for c, cell in enumerate(row.cells):
            for p in cell.paragraphs:
                p.style = "表格文字"
                for run in p.runs:
                    run.font.size = Pt(font_size)
    if total is not None:                    # a 合计 row after the rows (bold, kept with them)
        row = table.add_row()
        trpr = row._tr.get_or_add_trPr()
        trpr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
        for c, text in enumerate(total):
            cell = row.cells[c]
            cell.text = text
            for p in cell.paragraphs:
                p.style = "表格文字"
                for run in p.runs:
                    run.font.size = Pt(font_size)
                    run.bold = True
    for row in table.rows[2:]:               # amounts right-aligned (the row template and the total)
        for c in right:
            for p in row.cells[c].paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for cell in table.rows[0].cells:
        for p in cell.paragraphs:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in p.runs:
                run.bold = True
    return table


def empty_note(document, condition: str) -> None:
    para(document, "{%p if not " + condition + " %}")
    para(document, "本年度无记录。")
    para(document, "{%p endif %}")


def bookmark(paragraph, name: str, number: int) -> None:
    """A bookmark around a paragraph (a chapter heading), for the contents' page references."""
    p = paragraph._p
    start = parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{number}" w:name="{name}"/>')
    end = parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{number}"/>')
    ppr = p.find(qn("w:pPr"))
    (ppr.addnext if ppr is not None else (lambda e: p.insert(0, e)))(start)
    p.append(end)


def chapter(document, heading: str, number: int):
    """A Heading 1 with its bookmark tz_chN (the contents page refers to it)."""
    p = para(document, heading, style="Heading 1")
    bookmark(p, f"tz_ch{number}", 100 + number)
    return p


def contents_line(document, text: str, target: str) -> None:
    """'一、支部基本情况 ………… 3': a PAGEREF field that LibreOffice and Word compute when they lay
    the document out (the PDF always shows the real page)."""
    p = para(document, text)
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    p.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=WD_TAB_ALIGNMENT.RIGHT, leader=WD_TAB_LEADER.DOTS)
    p.add_run("\t")
    for xml in (f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> PAGEREF {target} \\h </w:instrText></w:r>',
                f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>',
                f'<w:r {nsdecls("w")}><w:t>1</w:t></w:r>',
                f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'):
        p._p.append(parse_xml(xml))


def section(document, landscape: bool) -> None:
    """A new section on a new page, landscape (a wide table) or back to portrait; the page numbers go on."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    new = document.add_section(WD_SECTION.NEW_PAGE)
    if landscape:
        new.orientation = WD_ORIENT.LANDSCAPE
        new.page_width, new.page_height = Mm(297), Mm(210)
        new.top_margin, new.bottom_margin, new.left_margin, new.right_margin = Mm(25), Mm(25), Mm(30), Mm(25)
        new.footer_distance = Mm(12)
    else:
        new.orientation = WD_ORIENT.PORTRAIT
        new.page_width, new.page_height = Mm(210), Mm(297)
        new.top_margin, new.bottom_margin = Mm(37), Mm(35)
        new.left_margin, new.right_margin = Mm(28), Mm(26)
        new.footer_distance = Mm(25)


def text_section(document, heading: str, var: str, number: int | None = None) -> None:
    """A chapter of running text (plan, summary): one indented paragraph per line, then a page break
    — or, when there is nothing, one line and no page of its own."""
    if number is None:
        para(document, heading, style="Heading 1")
    else:
        chapter(document, heading, number)
    para(document, "{%p for line in " + var + " %}")
    para(document, "{{ line }}").paragraph_format.first_line_indent = Pt(32)
    para(document, "{%p endfor %}")
    empty_note(document, var)
    para(document, "{%p if " + var + " %}")
    page_break(document)
    para(document, "{%p endif %}")


def record_book() -> docx.Document:
    d = setup_document()
    c = WD_ALIGN_PARAGRAPH.CENTER
    # cover
    for _ in range(3):
        para(d)
    para(d, "{{ college }}", style="Title")
    para(d)
    title = para(d, "党支部工作记录本", style="Title")
    for run in title.runs:
        run.font.size = Pt(36)
    for _ in range(3):
        para(d)
    for label, tag in (("支部名称", "branch.name"), ("所属党总支", "branch.general"), ("年　　度", "year"),
                       ("书　　记", "branch.secretary")):
        p = para(d, f"{label}：{{{{ {tag} }}}}")
        p.paragraph_format.left_indent = Mm(30)
    for _ in range(4):
        para(d)
    para(d, "{{ college }}党委组织部制", align=c)
    d.sections[0].different_first_page_header_footer = True        # the cover carries no page number
    page_break(d)
    # contents: each chapter with the page it starts on
    para(d, "目　　录", style="Title")
    para(d)
    para(d, "{%p for chapter in chapters %}")
    contents_line(d, "{{ chapter.number }}　{{ chapter.title }}{{ chapter.note }}", "{{ chapter.bookmark }}")
    para(d, "{%p endfor %}")
    page_break(d)
    # 一、支部基本情况
    chapter(d, "一、支部基本情况", 1)
    para(d, "{%p if basic %}")
    loop_table(d, ["项　目", "内　容"], ["{{ row.label }}", "{{ row.value }}"], "row in basic", [50, 106], 12)
    para(d, "{%p endif %}")
    empty_note(d, "basic")
    section(d, landscape=True)
    # 二、党员花名册 (landscape: IDs, dates and phone numbers each on one line)
    chapter(d, "二、党员花名册", 2)
    para(d, "{%p if members %}")
    para(d, "本支部共有党员 {{ members|length }} 名，其中正式党员 {{ full_members }} 名、预备党员 {{ members|length - full_members }} 名。"
            "（身份证号、联系电话已作脱敏处理。）")
    loop_table(d, ["序号", "姓名", "性别", "出生年月", "类别", "入党时间", "党员身份", "身份证号", "联系电话"],
               ["{{ m.n }}", "{{ m.name }}", "{{ m.sex }}", "{{ m.born }}", "{{ m.status }}", "{{ m.joined }}",
                "{{ m.identity }}", "{{ m.id_card }}", "{{ m.phone }}"], "m in members",
               [12, 24, 10, 20, 22, 26, 26, 46, 32], 10.5)
    para(d, "{%p endif %}")
    empty_note(d, "members")
    section(d, landscape=False)
    text_section(d, "三、年度工作计划", "plan", 3)
    # 四、组织生活记录
    chapter(d, "四、组织生活记录", 4)
    para(d, "{%p for chapter in meeting_chapters %}")
    para(d, "{{ chapter.heading }}", style="Heading 2")
    para(d, "{%p if chapter.note %}")
    para(d, "{{ chapter.note }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p endif %}")
    para(d, "{%p for m in chapter.meetings %}")
    para(d, "{{ m.heading }}", style="Heading 3")
    para(d, "{%p if m.talk %}")
    record_table(d, (("时　　间", "{{ m.when }}", "地　　点", "{{ m.place }}"),
                     ("谈 话 人", "{{ m.host }}", "记 录 人", "{{ m.recorder }}"),
                     ("谈话对象", "{{ m.expected }}", "", ""), ("谈话主题", "{{ m.topic }}", "", "")))
    para(d, "{%p else %}")
    record_table(d, (("时　　间", "{{ m.when }}", "地　　点", "{{ m.place }}"),
                     ("{{ m.host_label }}", "{{ m.host }}", "记 录 人", "{{ m.recorder }}"),
                     ("{{ m.expected_label }}", "{{ m.expected }}", "{{ m.present_label }}", "{{ m.present }}"),
                     ("缺席人员及原因", "{{ m.absent }}", "", ""), ("列席人员", "{{ m.attendees }}", "", ""),
                     ("{{ m.topic_label }}", "{{ m.topic }}", "", ""), ("决议事项", "{{ m.decision }}", "", "")))
    para(d, "{%p endif %}")
    para(d, "{%p if m.body %}")
    para(d, "{{ m.body_label }}", bold=True).paragraph_format.keep_with_next = True
    para(d, "{%p endif %}")
    para(d, "{%p for line in m.body %}")
    para(d, "{{ line }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p endfor %}")
    para(d, "{%p for photo in m.photos %}")
    para(d, "{{ photo.image }}", style="图片")
    para(d, "{{ photo.caption }}", style="图片说明")
    para(d, "{%p endfor %}")
    para(d)
    para(d, "{%p endfor %}")
    para(d, "{%p endfor %}")
    page_break(d)
    # 五～九: summaries
    chapter(d, "五、党费收缴和使用情况", 5)
    para(d, "{%p if dues.members %}")
    para(d, "全年应缴党费 {{ dues.due }} 元{{ dues.note }}。{{ dues.collection }}；{{ dues.use }}；{{ dues.activity }}。")
    loop_table(d, ["序号", "姓名", "月应缴（元）", "缴纳月数", "全年实缴（元）", "备注"],
               ["{{ p.n }}", "{{ p.name }}", "{{ p.monthly }}", "{{ p.months }}", "{{ p.paid }}", "{{ p.note }}"],
               "p in dues.members", [12, 24, 28, 22, 30, 40], 10.5)
    para(d, "{%p endif %}")
    empty_note(d, "dues.members")
    chapter(d, "六、党员联系服务群众", 6)
    para(d, "联系群众 {{ service.contacts }} 人次，志愿服务 {{ service.activities|length }} 次"
            "（累计 {{ service.hours }} 小时），党员承诺 {{ service.promises }} 项，办理群众意见建议 {{ service.suggestions }} 件。")
    para(d, "{%p if service.activities %}")
    loop_table(d, ["日期", "活动名称", "参加党员", "时长（小时）"],
               ["{{ a.date }}", "{{ a.name }}", "{{ a.members }}", "{{ a.hours }}"], "a in service.activities",
               [32, 46, 58, 20], 10.5)
    para(d, "{%p endif %}")
    for chapter_number, (number, title, var, heads, cells, widths) in enumerate((
            ("七", "学习教育", "study", ["日期", "学习主题", "形式", "领学人", "人数"],
             ["{{ r.date }}", "{{ r.topic }}", "{{ r.form }}", "{{ r.leader }}", "{{ r.count }}"], [32, 54, 24, 26, 20]),
            ("八", "荣誉表彰", "honours", ["日期", "荣誉名称", "授予单位", "获奖对象"],
             ["{{ r.date }}", "{{ r.name }}", "{{ r.by }}", "{{ r.who }}"], [32, 48, 34, 42]),
            ("九", "检查整改", "inspections", ["检查日期", "检查单位", "发现问题", "整改措施", "完成情况"],
             ["{{ r.date }}", "{{ r.by }}", "{{ r.problem }}", "{{ r.measure }}", "{{ r.state }}"],
             [32, 26, 38, 38, 22])), 7):
        chapter(d, f"{number}、{title}", chapter_number)
        para(d, "{%p if " + var + " %}")
        loop_table(d, heads, cells, "r in " + var, widths, 10.5)
        para(d, "{%p endif %}")
        empty_note(d, var)
    page_break(d)
    text_section(d, "十、年度工作总结", "summary", 10)
    chapter(d, "附录　缺项提示", 11)
    para(d, "对照《中国共产党支部工作条例（试行）》等规定，本年度以下组织生活次数不足，请支部核实补正：")
    para(d, "{%p if gaps %}")
    loop_table(d, ["项目", "要求", "实有", "缺少"], ["{{ g.name }}", "{{ g.rule }}", "{{ g.count }}", "{{ g.missing }}"],
               "g in gaps", [36, 70, 20, 30], 12)
    para(d, "{%p endif %}")
    para(d, "{%p if not gaps %}")
    para(d, "本年度各项组织生活次数均符合要求。")
    para(d, "{%p endif %}")
    # the closing lines and signatures stay together, after the last chapter (never a page of their own)
    for text, align in (("", None), ("以上记录共 {{ meeting_total }} 次会议（活动）。", c), ("", None),
                        ("支部书记（签字）：＿＿＿＿＿　记录人（签字）：＿＿＿＿＿", None), ("", None)):
        para(d, text, align=align).paragraph_format.keep_with_next = True
    para(d, "年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return d


def dues_cards() -> docx.Document:
    """《个人党费缴纳登记证》: one card a member, one card a page."""
    d = setup_document()
    para(d, "{%p for c in cards %}")
    para(d, "{%p if not loop.first %}")
    page_break(d)
    para(d, "{%p endif %}")
    para(d, "个人党费缴纳登记证", style="Title")
    para(d, "（{{ c.year }}年度）", align=WD_ALIGN_PARAGRAPH.CENTER)
    info = d.add_table(rows=2, cols=4)
    info.style = "Table Grid"
    for r, values in enumerate((("姓　　名", "{{ c.name }}", "人员类别", "{{ c.status }}"),
                                ("所在支部", "{{ c.branch }}", "年　　度", "{{ c.year }}"))):
        for col, value in enumerate(values):
            info.cell(r, col).text = value
    fix_widths(info, [24, 60, 24, 48])
    print_rows(info, header_rows=0, together=True)
    table_text(info)
    para(d)
    loop_table(d, ["月份", "计算基数（元）", "比例", "应缴（元）", "实缴（元）", "缴纳日期", "收缴人"],
               ["{{ r.month }}", "{{ r.base }}", "{{ r.rate }}", "{{ r.due }}", "{{ r.paid }}", "{{ r.day }}",
                "{{ r.collector }}"], "r in c.rows", [16, 28, 16, 22, 22, 22, 30], 11, right=(1, 3, 4))
    total = d.add_table(rows=2, cols=2)
    total.style = "Table Grid"
    total.cell(0, 0).text = "年度合计（小写）"
    total.cell(0, 1).text = "应缴 {{ c.due_total }} 元{{ c.note }}；实缴 {{ c.paid_total }} 元"
    total.cell(1, 0).text = "实缴合计（大写）"
    total.cell(1, 1).text = "{{ c.capital }}"
    fix_widths(total, [40, 116])
    print_rows(total, header_rows=0, together=True)
    table_text(total)
    para(d, "{{ c.as_of }}")
    para(d).paragraph_format.keep_with_next = True
    para(d, "收缴人（签章）：＿＿＿＿＿＿　　党支部（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.keep_with_next = True
    p = para(d, "年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    p.paragraph_format.right_indent = Pt(32)
    para(d, "{%p endfor %}")
    return d


def dues_notice() -> docx.Document:
    """党费收缴情况公示: GB/T 9704 layout."""
    d = setup_document()
    para(d, "关于{{ year }}年度党费收缴情况的公示", style="Title")
    para(d)
    para(d, "全体党员：")
    p = para(d, "根据《关于中国共产党党费收缴、使用和管理的规定》，现将本支部{{ year }}年度（截至{{ last_month }}月）"
                "党费收缴情况公示如下：")
    p.paragraph_format.first_line_indent = Pt(32)
    para(d, "一、收缴总体情况", style="Heading 1")
    p = para(d, "本支部共有交纳党费党员{{ count }}名，应缴党费{{ due }}元{{ bases_note }}。{{ collection }}。{{ use }}。")
    p.paragraph_format.first_line_indent = Pt(32)
    para(d, "二、党员个人交纳情况", style="Heading 1")
    loop_table(d, ["序号", "姓名", "月应缴（元）", "全年应缴（元）", "已缴月数", "全年实缴（元）"],
               ["{{ m.n }}", "{{ m.name }}", "{{ m.monthly }}", "{{ m.due }}", "{{ m.months }}", "{{ m.paid }}"],
               "m in members", [14, 30, 28, 30, 22, 32], 12, right=(2, 3, 4, 5),
               total=["合计", "{{ count }}人", "", "{{ due }}", "", "{{ collected }}"])
    p = para(d, "公示期为{{ date }}至{{ until }}。如有疑问，请向支部组织委员反映。")
    p.paragraph_format.first_line_indent = Pt(32)
    # GB/T 9704 7.3.5: the issuing body above the date, the date four characters from the right
    for text, indent in (("", 0), ("", 0), ("中共{{ college }}{{ branch }}", 2), ("{{ date }}", 4)):
        p = para(d, text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(16 * indent)
        p.paragraph_format.keep_with_next = text != "{{ date }}"
    return d


def reminder() -> docx.Document:
    """台账催交通知: GB/T 9704 layout — to one branch, one line per ledger owed, a date to send it by."""
    d = setup_document()
    title_block(d)
    para(d)
    para(d, "{{ branch }}：")
    p = para(d, "经核对各支部台账报送情况（截至{{ date }}，{{ scope }}），你支部尚有以下台账需要报送或改正。"
                "请于{{ deadline }}前通过台账共享文件夹报送，收到后系统将自动生成回执。")
    p.paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p for s in sections %}")            # only the kinds there are: 逾期 · 退回未改 · 即将到期
    para(d, "{{ s.heading }}", style="Heading 1").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p for line in s.lines %}")
    para(d, "{{ loop.index }}. {{ line }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p endfor %}")
    para(d, "{%p endfor %}")
    p = para(d, "请使用统一格式的台账模板报送。各项台账的报送情况可随时在本支部回执文件夹的“本支部台账状态”页面查看。")
    p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.keep_with_next = True       # the signature never stands alone on a page
    para(d, "{%p if contact %}")
    p = para(d, "联系人：{{ contact }}")
    p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.keep_with_next = True
    para(d, "{%p endif %}")
    # GB/T 9704 7.3.5.2 (no seal): the issuer two characters from the right; the date on the next line,
    # its first character two characters right of the issuer's (padded by the generator)
    para(d).paragraph_format.keep_with_next = True
    p = para(d, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    p.paragraph_format.right_indent = Pt(32)
    p.paragraph_format.keep_with_next = True
    para(d, "{{ date_line }}")
    para(d, "{%p if copy %}")
    para(d)
    para(d, "抄送：{{ copy }}。")
    para(d, "{%p endif %}")
    return d


def monthly_check() -> docx.Document:
    """月度检查表: every point with its score and the evidence or the gap. One template for one month
    and for a branch's year of them (one document, a page break between months: one PDF conversion)."""
    d = setup_document()
    para(d, "{%p for c in checks %}")
    para(d, "{%p for line in c.title_lines %}")
    para(d, "{{ line }}", style="Title")
    para(d, "{%p endfor %}")
    month = para(d, "（{{ c.year }}年{{ c.month }}月）", align=WD_ALIGN_PARAGRAPH.CENTER)
    # an outline level: LibreOffice exports a bookmark for each month's form (no text search in the PDF)
    month._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="0"/>'))
    para(d, "得分：{{ c.total }} 分，应得分 {{ c.full }} 分，得分率 {{ c.rate }}。{{ c.left_out }}")
    loop_table(d, ["方面", "得分", "应得分", "标准分"], ["{{ a.name }}", "{{ a.score }}", "{{ a.full }}", "{{ a.standard }}"],
               "a in c.aspects", [60, 32, 32, 32], 12)
    para(d, "一、检查明细", style="Heading 1")
    loop_table(d, ["编号", "方面", "检查内容", "分值", "得分", "情况"],
               ["{{ r.id }}", "{{ r.aspect }}", "{{ r.text }}", "{{ r.full }}", "{{ r.score }}", "{{ r.evidence }}"],
               "r in c.rows", [11, 17, 48, 11, 11, 58], 9)
    para(d, "二、存在问题", style="Heading 1")
    para(d, "{%p for g in c.gaps %}")
    para(d, "{{ loop.index }}. {{ g }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p endfor %}")
    para(d, "{%p if not c.gaps %}")
    para(d, "本月自动检查项均符合要求。")
    para(d, "{%p endif %}")
    para(d).paragraph_format.keep_with_next = True
    para(d, "检查人：＿＿＿＿＿＿　　支部书记：＿＿＿＿＿＿", align=WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.keep_with_next = True
    para(d, "{{ c.date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(d, "{%p if not loop.last %}")
    page_break(d)
    para(d, "{%p endif %}")
    para(d, "{%p endfor %}")
    return d


def duty_report() -> docx.Document:
    """述职报告 draft: the year's facts filled in, the secretary's own words marked 【请填写】."""
    d = setup_document()
    title_block(d)
    para(d, "述职人：{{ secretary }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(d)
    para(d, "一、基本情况", style="Heading 1")
    for text in ("{{ facts.members }}", "{{ facts.development }}"):
        para(d, text).paragraph_format.first_line_indent = Pt(32)
    para(d, "二、履行职责情况", style="Heading 1")
    para(d, "（一）组织生活开展情况", style="Heading 2")
    loop_table(d, ["项目", "要求", "实际召开", "情况"], ["{{ m.name }}", "{{ m.rule }}", "{{ m.count }}", "{{ m.state }}"],
               "m in meetings", [30, 36, 46, 44], 12)
    para(d, "（二）党费收缴和使用", style="Heading 2")
    para(d, "{{ facts.dues }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "（三）联系服务群众", style="Heading 2")
    para(d, "{{ facts.service }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "（四）月度检查情况", style="Heading 2")
    para(d, "{{ facts.checks }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p if checks %}")
    loop_table(d, ["月份", "得分", "应得分", "得分率"], ["{{ c.month }}", "{{ c.score }}", "{{ c.full }}", "{{ c.rate }}"],
               "c in checks", [36, 36, 36, 48], 12)
    para(d, "{%p endif %}")
    para(d, "（五）主要做法和成效", style="Heading 2")
    para(d, "【请填写：结合{{ unit }}实际，写明抓党建工作的主要做法、特色和成效。】", style="待填写")
    para(d, "三、存在的问题", style="Heading 1")
    para(d, "{%p for p in problems %}")
    para(d, "{{ loop.index }}. {{ p }}").paragraph_format.first_line_indent = Pt(32)
    para(d, "{%p endfor %}")
    para(d, "【请补充：问题产生的原因分析。】", style="待填写")
    para(d, "四、下一步打算", style="Heading 1")
    para(d, "【请填写：针对上述问题的整改措施和明年工作思路。】", style="待填写")
    para(d, "五、民主测评结果", style="Heading 1")
    para(d, "{%p if vote %}")
    loop_table(d, ["测评对象", "好", "较好", "一般", "差", "实参评", "得分", "等次"],
               ["{{ v.name }}", "{{ v.good }}", "{{ v.fair }}", "{{ v.ok }}", "{{ v.bad }}", "{{ v.total }}",
                "{{ v.score }}", "{{ v.grade }}"], "v in vote", [30, 16, 16, 16, 16, 20, 20, 22], 11)
    para(d, "{%p endif %}")
    para(d, "{{ vote_note }}")
    para(d)
    para(d, "{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return d


def issue_lists() -> docx.Document:
    """问题清单、责任清单、整改清单: three different tables, landscape (§7). The 原因 column asks the
    secretary to write: the document is a 草稿 until it is filled in."""
    from docx.enum.section import WD_ORIENT
    d = setup_document()
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(25)
    section.left_margin, section.right_margin = Mm(25), Mm(25)
    section.footer_distance = Mm(12)
    title_block(d)
    para(d, "（草稿：“原因分析”由支部填写后定稿）", align=WD_ALIGN_PARAGRAPH.CENTER)
    lists = (("一、问题清单", ["序号", "方面", "问题表现（事实和依据）", "来源", "原因分析"],
              ["{{ i.n }}", "{{ i.aspect }}", "{{ i.problem }}", "{{ i.source }}", "{{ i.cause }}"], "i in issues",
              [12, 24, 118, 22, 71]),
             ("二、责任清单", ["序号", "问题", "主体责任", "直接责任人", "责任内容"],
              ["{{ r.n }}", "{{ r.problem }}", "{{ r.main }}", "{{ r.direct }}", "{{ r.duty }}"], "r in duties",
              [12, 92, 52, 36, 55]),
             ("三、整改清单", ["序号", "问题", "整改措施", "整改目标", "时限", "责任人", "完成情况", "验收"],
              ["{{ f.n }}", "{{ f.problem }}", "{{ f.measure }}", "{{ f.target }}", "{{ f.deadline }}", "{{ f.owner }}",
               "{{ f.state }}", "{{ f.check }}"], "f in fixes", [12, 56, 58, 36, 30, 25, 16, 14]))
    for index, (heading, heads, cells, loop, widths) in enumerate(lists):
        if index:
            para(d).add_run().add_break(WD_BREAK.PAGE)
        para(d, heading, style="Heading 1")
        loop_table(d, heads, cells, loop, widths, 10.5)
        var = loop.split(" in ")[1]
        para(d, "{%p if not " + var + " %}")
        para(d, "本年度未发现问题。")
        para(d, "{%p endif %}")
    return d


def archive_index() -> docx.Document:
    """年终归档目录: the volumes (one a branch, one a 党总支) with their 件数 and 页数."""
    d = setup_document()
    title_block(d)
    para(d)
    loop_table(d, ["卷号", "党总支", "立卷单位", "件数", "页数"],
               ["{{ r.n }}", "{{ r.general }}", "{{ r.branch }}", "{{ r.docs }}", "{{ r.pages }}"],
               "r in rows", [14, 48, 62, 16, 16], 12, right=(3, 4),
               total=["合计", "", "{{ rows|length }}卷", "{{ docs }}", "{{ total }}"])
    para(d)
    para(d, "每卷为一个 PDF 文件，卷首为案卷封面和卷内目录，内设书签（文书→章节）。").paragraph_format.first_line_indent = Pt(32)
    return d


def archive_cover() -> docx.Document:
    """案卷封面 and 卷内目录 of one volume (a branch's or a 党总支's year): 件号, 题名, 页号, 页数, 备注."""
    d = setup_document()
    for _ in range(3):
        para(d)
    para(d, "{{ college }}", style="Title")
    para(d, "党组织台账档案", style="Title")
    for _ in range(2):
        para(d)
    for label, tag in (("立卷单位", "owner"), ("所属党总支", "general"), ("年　　度", "year"),
                       ("件　　数", "docs"), ("页　　数", "pages"), ("保管期限", "keep"), ("立卷日期", "date")):
        p = para(d, f"{label}：{{{{ {tag} }}}}")
        p.paragraph_format.left_indent = Mm(30)
    for _ in range(2):
        para(d)
    para(d, "{{ college }}党委组织部", align=WD_ALIGN_PARAGRAPH.CENTER)
    d.sections[0].different_first_page_header_footer = True
    page_break(d)
    para(d, "卷　内　目　录", style="Title")
    para(d)
    loop_table(d, ["件号", "题　名", "页号", "页数", "备注"],
               ["{{ r.n }}", "{{ r.title }}", "{{ r.page }}", "{{ r.pages }}", "{{ r.note }}"], "r in rows",
               [14, 96, 16, 14, 16], 10.5, right=(2, 3))
    return d


def main() -> None:
    for name, build in (("archive_index.docx", archive_index), ("archive_cover.docx", archive_cover),
                        ("record_book.docx", record_book), ("dues_cards.docx", dues_cards),
                        ("dues_notice.docx", dues_notice), ("monthly_check.docx", monthly_check),
                        ("duty_report.docx", duty_report), ("issue_lists.docx", issue_lists),
                        ("reminder.docx", reminder)):
        build().save(HERE / name)
        print("written", HERE / name)


if __name__ == "__main__":
    main()
