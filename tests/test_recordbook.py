"""《党支部工作记录本》: reopen the generated document and check it; convert it to PDF and check that."""
from __future__ import annotations

import datetime as dt

import docx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from pipeline.reading.convert import find_soffice
from pipeline.operations.ingest import ingest
from pipeline.documents.recordbook import generate, generate_all
from pipeline.samples.college import make_png
from pipeline.samples.word import save_document, table_record

from .conftest import BRANCH, RECEIVED, write_book

TODAY = dt.date(2026, 11, 27)
HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "议题", "决议事项"]


@pytest.fixture
def book_ws(with_roster, college, tmp_path):
    ws = with_roster
    rows = [["支委会", dt.date(2026, 3, 5), "会议室", "毛建薇", "苏梓轩", 5, 5, "研究<工作>&安排{{ 7*7 }}", "同意"],
            ["党员大会", dt.date(2026, 2, 5), "报告厅", "毛建薇", "苏梓轩", 17, 16, "学习全会精神", None]]
    assert ingest(write_book(tmp_path / "登记.xlsx", "B", rows, headers=HEAD), ws, received=RECEIVED).status == "accepted"
    meeting = {"会议类型": "主题党日", "日期": dt.datetime(2026, 5, 18, 14, 30), "地点": "纪念馆", "主持人": "毛建薇",
               "记录人": "苏梓轩", "应到人数": 17, "实到人数": 15, "议题": "参观革命纪念馆",
               "会议内容": ["第一段发言。", "第二段 {% if %} 照原样。"], "决议事项": "无"}
    path = tmp_path / "主题党日.docx"
    save_document(table_record(meeting, BRANCH, [make_png(seed=7)]), path)
    assert ingest(path, ws, received=RECEIVED).status == "accepted"
    return ws


def texts(document) -> list[str]:
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out += [c.text for c in row.cells]
    return out


def test_sections_in_order_and_empty_ones_say_so(book_ws):
    path = generate(book_ws, BRANCH, 2026, TODAY)
    assert path == book_ws.outbox / "2026" / BRANCH / f"2026年{BRANCH}工作记录本.docx"      # never 党支部党支部
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、支部基本情况", "二、党员花名册", "三、年度工作计划", "四、组织生活记录", "五、党费收缴和使用情况",
                        "六、党员联系服务群众", "七、学习教育", "八、荣誉表彰", "九、检查整改", "十、年度工作总结", "附录　缺项提示"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "本年度无记录" in body                               # no plan, no E1 … stored: said, not dropped
    assert "以上记录共 3 次会议（活动）。" in body
    assert any(p.text == "党支部工作记录本" for p in document.paragraphs[:10])


def test_every_meeting_with_fields_body_and_photo(book_ws):
    document = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    all_text = "\n".join(texts(document))
    assert "（一）支部党员大会（共 1 次）" in all_text and "（二）支部委员会（共 1 次）" in all_text
    assert "（五）主题党日（共 1 次）" in all_text and "（八）谈心谈话（共 0 次）" in all_text
    assert "2026年5月18日 14:30" in all_text and "纪念馆" in all_text and "15人" in all_text
    assert "第一段发言。" in all_text
    assert len(document.inline_shapes) == 1
    assert "2026年5月18日主题党日照片" in all_text
    # user text is shown literally, never interpreted
    assert "研究<工作>&安排{{ 7*7 }}" in all_text and "第二段 {% if %} 照原样。" in all_text
    assert "研究<工作>&安排{{ 7*7 }}" in [c.text for t in document.tables for row in t.rows for c in row.cells]


def test_roster_is_masked(book_ws, college):
    document = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    member = college.branch(BRANCH).members[0]
    all_text = "\n".join(texts(document))
    assert member.name in all_text
    assert member.id_card not in all_text and member.phone not in all_text
    assert member.id_card[:4] + "*" * 10 + member.id_card[-4:] in all_text


def test_gaps_appendix_lists_missing_meetings(book_ws):
    document = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    all_text = "\n".join(texts(document))
    assert "一般每月召开1次" in all_text and "1月、2月、4月" in all_text    # 支委会 only in March
    assert "谈心谈话" in all_text.split("附录")[-1]


def test_page_setup_and_fonts(book_ws):
    document = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    emu_per_mm = 36000
    assert round((section.page_width - section.left_margin - section.right_margin) / emu_per_mm) == 156
    assert round((section.page_height - section.top_margin - section.bottom_margin) / emu_per_mm) == 225
    assert document.settings.odd_and_even_pages_header_footer
    assert section.footer.paragraphs[0].alignment == 2 and section.even_page_footer.paragraphs[0].alignment == 0
    assert "— " in section.footer.paragraphs[0].text or section.footer.paragraphs[0].runs[0].text == "— "
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16 and normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert document.styles["Title"].element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    runs = [r for p in document.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r._element.rPr is not None and r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs)


def test_a_branch_with_nothing_stored_still_gets_a_complete_book(registered):
    branch = "教务处党支部"
    document = docx.Document(str(generate(registered, branch, 2026, TODAY)))
    assert "\n".join(p.text for p in document.paragraphs).count("本年度无记录") >= 5


def test_generation_is_repeatable(book_ws):
    first = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    second = docx.Document(str(generate(book_ws, BRANCH, 2026, TODAY)))
    assert texts(first) == texts(second)


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_pdf_has_pages_chinese_text_and_bookmarks(book_ws, college):
    (entry,) = generate_all(book_ws, 2026, [BRANCH], pdf=True, today=TODAY)
    assert entry["error"] is None and entry["pdf"].exists()
    reader = PdfReader(entry["pdf"])
    assert len(reader.pages) > 1
    text = "".join(page.extract_text() or "" for page in reader.pages).replace(" ", "")
    assert BRANCH in text and college.branch(BRANCH).members[0].name in text
    assert "\ufffd" not in text
    titles = []

    def walk(items):
        for item in items:
            walk(item) if isinstance(item, list) else titles.append(item.title)
    walk(reader.outline)
    assert "四、组织生活记录" in titles and any(t.startswith("附录") for t in titles)
    assert any(t.startswith("（五）主题党日") for t in titles)          # nested: document → chapter → meeting type
    assert reader.metadata.title == f"2026年{BRANCH}工作记录本" and reader.metadata.author == BRANCH


@pytest.mark.parametrize("owner,title,name", [
    ("机电工程系教工党支部", "党支部工作记录本", "机电工程系教工党支部工作记录本"),
    ("机电工程系教工党支部", "支部党费收缴簿", "机电工程系教工党支部党费收缴簿"),
    ("机电工程系教工党支部", "个人党费缴纳登记证", "机电工程系教工党支部个人党费缴纳登记证"),
    ("机电工程学院党总支", "述职报告", "机电工程学院党总支述职报告"),
    ("示例职业技术学院", "月度检查汇总表（3月）", "示例职业技术学院月度检查汇总表（3月）")])
def test_document_names_never_repeat_the_branch_word(owner, title, name):
    from pipeline.documents.render import document_name
    assert document_name(owner, title) == name
