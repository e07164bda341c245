"""The one-command demo: a whole sample college through the pipeline."""
import sqlite3

import pytest
from click.testing import CliRunner

from cli import main
from pipeline.demo import demo_files
from pipeline.sample import make_college


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
    receipt = home / "outbox" / "回执" / "机电工程学院教工党支部" / "党员花名册（待修改）.回执.txt"
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
    from pipeline.convert import find_soffice
    home, output = demo_home
    books = sorted((home / "outbox" / "2026").glob("*/2026年*党支部工作记录本.docx"))
    assert len(books) == 20 and "《党支部工作记录本》：20 本" in output
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
    assert len(list(year.glob("*/2026年*月度检查表（11月）.docx"))) == 20
    assert len(list(year.glob("*/2026年*述职报告.docx"))) == 20
    assert len(list(year.glob("*/2026年*问题清单责任清单整改清单.xlsx"))) == 20
    book = load_workbook(next((year / "学院").glob("*月度检查汇总表（11月）.xlsx")))
    assert book.sheetnames == ["检查排名", "方面得分", "人工评分"] and book["方面得分"]._charts
    assert next((year / "学院").glob("*书记述职评议考核汇总表.xlsx"))
