"""The one-command demo: a whole sample college through the pipeline."""
import re
import sqlite3

import pytest
from click.testing import CliRunner

from cli import main
from pipeline.samples.demo import demo_files
from pipeline.samples.college import make_college


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "college"
    result = CliRunner().invoke(main, ["demo", "--dir", str(home), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return home, result.output


def test_sample_college_shape():
    college = make_college(2026)
    assert len(college.branches) == 20
    assert 300 <= college.members <= 700
    assert len({b.general for b in college.branches}) >= 5
    assert all(b.secretary for b in college.branches)


def test_every_correct_file_is_accepted_and_every_mistake_rejected(demo_home):
    home, output = demo_home
    college = make_college(2026)
    files = demo_files(college, 2026)
    with sqlite3.connect(home / "taizhang.db") as conn:
        status = dict(conn.execute("select file_name || '@' || coalesce(branch, ''), status from submissions"))
        assert conn.execute("select count(*) from submissions").fetchone()[0] == len(files)
        rejected = [name for name, s in status.items() if s == "rejected"]
        assert len(rejected) == 6 and all(("有误" in n or "待修改" in n or "支部花名册" in n or "导出" in n
                                           or "空文件" in n) for n in rejected)
        members = conn.execute("select count(*) from records r join ledgers l on r.ledger_id = l.id "
                               "where r.item='A1' and l.superseded_by is null").fetchone()[0]
        assert members == college.members
        meeting_types = {row[0] for row in conn.execute("select distinct item from records where item like 'B%'")}
        assert meeting_types == {f"B{i}" for i in range(1, 9)}
    assert f"通过 {len(files) - 6}" in output and "未通过 6" in output
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]                # every file handled…
    archived = [p for p in (home / "archive").rglob("*") if p.is_file()]
    assert len(archived) == len(files) - 6                                            # …and kept
    assert len(list((home / "rejected").rglob("*.xlsx"))) == 6


def test_word_records_with_photos_win_over_the_register(demo_home):
    home, _ = demo_home
    with sqlite3.connect(home / "taizhang.db") as conn:
        word = conn.execute("select data from records where source='word' and superseded_by is null "
                            "and item like 'B%'").fetchall()
        assert len(word) == 40                              # two a branch
        replaced = conn.execute("select count(*) from records r join records w on r.superseded_by = w.id "
                                "where r.source='excel' and w.source='word'").fetchone()[0]
        assert replaced == 40
        plans = conn.execute("select count(*) from records where item='E2'").fetchone()[0]
        assert plans == 20
    photos = [p for p in (home / "media").rglob("*.png")]
    assert len(photos) == 60 and all(p.read_bytes()[:4] == b"\x89PNG" for p in photos)


def test_rejected_demo_files_have_receipts_pointing_at_cells(demo_home):
    home, _ = demo_home
    receipt = home / "outbox" / "回执" / "机电工程学院教工党支部" / "党员花名册（待修改）.xlsx.回执.txt"
    text = receipt.read_text("utf-8-sig")
    for expected in ("身份证号校验位不符", "未满18周岁", "不存在", "正式党员须填写转正时间", "不是有效的电话号码"):
        assert expected in text
    assert receipt.with_suffix(".xlsx").exists()
    assert len(list((home / "outbox" / "空白台账模板").glob("*.xlsx"))) >= 20


def test_demo_refuses_to_wipe_a_folder_that_is_not_a_demo(tmp_path):
    (tmp_path / "重要文件.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path), "-q"])
    assert result.exit_code == 2 and "误删" in result.output
    assert (tmp_path / "重要文件.txt").exists()


def test_record_books_for_every_branch(demo_home):
    from pipeline.reading.convert import find_soffice
    home, output = demo_home
    books = sorted((home / "outbox" / "2026").glob("*/2026年*党支部工作记录本.docx"))
    assert len(books) == 20 and "年终批处理完成" in output
    if find_soffice() is not None:
        assert all(book.with_suffix(".pdf").stat().st_size > 10_000 for book in books)


def test_dues_documents_for_every_branch_and_the_college(demo_home):
    home, _ = demo_home
    year = home / "outbox" / "2026"
    for kind in ("支部党费收缴簿.xlsx", "个人党费缴纳登记证.docx", "党费收缴情况公示.docx"):
        assert len(list(year.glob(f"*/2026年*{kind}"))) == 20, kind
    assert len(list((year / "学院").glob("2026年*活动经费下拨表.xlsx"))) == 1


def test_monthly_check_and_duty_materials(demo_home):
    from openpyxl import load_workbook
    home, _ = demo_home
    year = home / "outbox" / "2026"
    # the demo's "today" is 27 November: October is the last month that has ended (§7)
    assert len(list(year.glob("*/2026年*月度检查表（1—10月）.docx"))) == 20     # the months ended, one document
    assert not list(year.glob("*/2026年*月度检查表（*11月）.docx"))
    assert len(list(year.glob("*党支部/2026年*述职报告.docx"))) == 20
    assert len(list(year.glob("*党总支/2026年*党总支述职报告.docx"))) == 6        # each 党总支's own
    assert len(list(year.glob("*党支部/2026年*问题清单责任清单整改清单.xlsx"))) == 20
    book = load_workbook(next((year / "学院").glob("*月度检查汇总表（10月）.xlsx")))
    assert book.sheetnames == ["检查排名", "方面得分", "图表", "人工评分"] and book["图表"]._charts
    assert next((year / "学院").glob("*书记述职评议考核汇总表.xlsx"))


def test_year_end_archive_bookmarks_and_verification(demo_home, tmp_path):
    import shutil

    from pypdf import PdfReader

    from pipeline.reading.convert import find_soffice
    home, _ = demo_home
    year = home / "outbox" / "2026"
    runner = CliRunner()
    ok = runner.invoke(main, ["verify-archive", str(year)])
    assert ok.exit_code == 0 and "全部一致" in ok.output
    if find_soffice() is not None:
        archives = sorted((year / "年终归档").glob("2026年*党支部年终归档.pdf"))
        assert len(archives) == 20 and list((year / "年终归档").glob("*年终归档目录.pdf"))
        assert len(list((year / "年终归档").glob("2026年*党总支年终归档.pdf"))) == 6      # the 党总支 volumes too
        reader = PdfReader(archives[0])
        branch = archives[0].name.removeprefix("2026年").removesuffix("年终归档.pdf")
        top = [item.title for item in reader.outline if not isinstance(item, list)]
        # bookmarks are the documents' own names (as their files and titles); drafts say so
        assert top[:8] == ["案卷封面和卷内目录", f"2026年{branch}工作记录本", f"2026年{branch}党费收缴簿",
                           f"2026年{branch}个人党费缴纳登记证", f"2026年{branch}党费收缴情况公示",
                           f"2026年{branch}述职报告（草稿）", f"2026年{branch}问题清单责任清单整改清单（草稿）",
                           f"2026年{branch}月度检查表（1—10月）"]
        months = next(item for item in reader.outline[reader.outline.index(next(
            i for i in reader.outline if not isinstance(i, list) and "月度检查表" in i.title)) + 1:]
            if isinstance(item, list))
        assert [m.title for m in months] == [f"{m}月" for m in range(1, 11)]       # one PDF, a bookmark a month
        assert all(f"2026年{branch}{t}.pdf" in {p.name for p in (year / branch).glob("*.pdf")}
                   for t in ("工作记录本", "党费收缴簿", "述职报告"))
        contents = "\n".join(reader.pages[i].extract_text() for i in range(2))
        flat = "".join(contents.split())
        assert "卷内目录" in flat and "草稿" in flat and f"2026年{branch}工作记录本" in flat
        # dated the day the year end was run for (the demo's 27 November), not the machine's day
        assert "2026年11月27日" in flat and reader.metadata["/CreationDate"].startswith("D:20261127")
        nested = [item for item in reader.outline if isinstance(item, list)]
        assert nested and any("组织生活记录" in getattr(i, "title", "") for i in nested[0])
        assert reader.metadata.title.endswith("年终归档") and reader.page_labels[0] == "卷首-1"
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    victim = next(copy.glob("*/2026年*支部党费收缴簿.xlsx"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    (next(copy.glob("*/2026年*党费收缴情况公示.docx"))).unlink()
    bad = runner.invoke(main, ["verify-archive", str(copy)])
    assert bad.exit_code == 1 and "已改动" in bad.output and "缺失" in bad.output


def _numbers(text: str, *labels: str) -> dict:
    """The figure after each label in running text ('应缴党费55230.89元' → {'应缴党费': Decimal})."""
    import re
    from decimal import Decimal
    found = {}
    for label in labels:
        m = re.search(re.escape(label) + r"\s*([0-9]+\.[0-9]{2})\s*元", text)
        if m:
            found[label] = Decimal(m[1])
    return found


def test_every_dues_figure_shown_in_two_documents_is_the_same_number(demo_home):
    """Register, cards, 公示, record book and duty report of every branch against the one engine."""
    from decimal import Decimal

    import docx
    from openpyxl import load_workbook

    from pipeline.dues.ledger import branch_dues
    from pipeline.workspace import Workspace
    home, _ = demo_home
    ws = Workspace.open(home)
    college = make_college(2026)
    checked = 0
    for folder in sorted((home / "outbox" / "2026").iterdir()):
        notice = next(folder.glob("*党费收缴情况公示.docx"), None)
        if notice is None:
            continue
        book = branch_dues(ws, folder.name, 2026, college.today)
        engine = {"due": book.due, "paid": book.collected, "remitted": book.remitted_total, "to_remit": book.to_remit,
                  "used": book.dues_used}
        text = lambda path: "\n".join(p.text for p in docx.Document(path).paragraphs)   # noqa: E731
        shown = {
            "公示": _numbers(text(notice), "应缴党费", "实缴党费", "上缴", "待上缴"),
            "述职报告": _numbers(text(next(folder.glob("*述职报告.docx"))), "应缴党费", "实缴党费", "上缴", "待上缴"),
            "工作记录本": _numbers(text(next(folder.glob("*工作记录本.docx"))), "应缴党费", "实缴党费", "上缴", "待上缴"),
        }
        as_engine = {"应缴党费": "due", "实缴党费": "paid", "上缴": "remitted", "待上缴": "to_remit"}
        for document, figures in shown.items():
            assert len(figures) == 4, (folder.name, document, figures)
            for label, value in figures.items():
                assert value == engine[as_engine[label]], (folder.name, document, label, value, engine)
        # §5: the three accounts are kept apart — the same sentences everywhere, never a negative 结余
        for document in (notice, next(folder.glob("*述职报告.docx")), next(folder.glob("*工作记录本.docx"))):
            body = text(document)
            assert book.collection_text in body and book.use_text in body, (folder.name, document.name)
            assert not re.search(r"结余-|结余－", body), (folder.name, document.name)
        assert book.to_remit >= 0, folder.name
        register = load_workbook(next(folder.glob("*党费收缴簿.xlsx")), data_only=True)
        flow = {}
        for sheet in register.worksheets:
            for row in sheet.iter_rows(values_only=True):
                if row and row[0] in ("本年实缴", "已上缴", "待上缴", "党费支出") and isinstance(row[1], (int, float)):
                    flow[row[0]] = Decimal(str(row[1])).quantize(Decimal("0.01"))
        assert flow == {"本年实缴": engine["paid"], "已上缴": engine["remitted"], "待上缴": engine["to_remit"],
                        "党费支出": engine["used"]}, folder.name
        cards = docx.Document(next(folder.glob("*个人党费缴纳登记证.docx")))
        card_totals = []
        for table in cards.tables:                            # one total line a card (merged cells repeat it)
            texts = {cell.text for row in table.rows for cell in row.cells if "应缴" in cell.text and "实缴" in cell.text}
            card_totals += [_numbers(t, "应缴", "实缴") for t in texts]
        assert len(card_totals) == len(book.members), folder.name
        assert sum(c["实缴"] for c in card_totals) == engine["paid"], folder.name
        assert sum(c["应缴"] for c in card_totals) == engine["due"], folder.name
        checked += 1
    assert checked == 20


# --- issue 14: what the printed pages look like, checked on the PDFs -------------------------------

ALLOWED_FONTS = re.compile(r"^(Fandol(Fang|Song|Hei|Kai)|NotoSerifCJK|LiberationSerif|OpenSymbol)")


def _fonts(reader) -> set[str]:
    found = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            found.add(str(font.get("/BaseFont", "")).lstrip("/").split("+", 1)[-1])
    return found


def _flat(text: str) -> str:
    return "".join(text.split())


def test_printed_documents_of_a_branch(demo_home):
    """Every kind of document of one branch, as PDF: fonts only from the mapped list (no fallback face),
    no page that is empty or holds only 无, no table row split across pages, the header row at the top
    of each page a table continues on, titles on one line where they fit."""
    import docx
    from pypdf import PdfReader

    from pipeline.reading.convert import find_soffice
    if find_soffice() is None:
        pytest.skip("LibreOffice is not installed: no PDFs to look at")
    home, _ = demo_home
    folder = home / "outbox" / "2026" / "机电工程学院教工党支部"
    pdfs = sorted(folder.glob("*.pdf"))
    kinds = {"工作记录本", "党费收缴簿", "个人党费缴纳登记证", "党费收缴情况公示", "述职报告", "问题清单责任清单整改清单",
             "月度检查表（1—10月）"}
    assert kinds <= {p.stem.split("党支部", 1)[1] for p in pdfs}, [p.name for p in pdfs]
    for pdf in pdfs:
        reader = PdfReader(pdf)
        bad_fonts = {f for f in _fonts(reader) if not ALLOWED_FONTS.match(f)}
        assert not bad_fonts, (pdf.name, bad_fonts)
        pages = [_flat(page.extract_text() or "") for page in reader.pages]
        for n, text in enumerate(pages, 1):
            body = re.sub(r"—\d+—|第\d+页，共\d+页|草稿", "", text)
            assert body not in ("", "无"), (pdf.name, n, text)
        source = pdf.with_suffix(".docx")
        if not source.exists():
            continue
        for table in docx.Document(str(source)).tables:
            rows = [[_flat(c.text) for c in row.cells] for row in table.rows]
            head = [t for t in rows[0] if t]
            where = []
            for cells in rows[1:]:
                first = next((t for t in cells if len(t) >= 4), None)
                last = next((t for t in reversed(cells) if t), None)
                if first is None or last is None:
                    continue
                found = [n for n, text in enumerate(pages) if first in text]
                if len(found) != 1:
                    continue                     # not unique in the document: nothing to say
                assert last in pages[found[0]], (pdf.name, "row split across pages", cells)
                where.append(found[0])
            if len(head) >= 3 and len(set(where)) > 1:                # a table over several pages
                for n in set(where):
                    assert head[0] in pages[n], (pdf.name, "header not repeated on page", n + 1)
    report = PdfReader(next(folder.glob("*述职报告.pdf")))
    lines = (report.pages[0].extract_text() or "").splitlines()
    assert any(_flat(line) == "2026年度抓党建工作述职报告" for line in lines), lines[:4]
