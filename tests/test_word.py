"""Word ledgers and legacy formats: real .docx built here, real LibreOffice conversions."""
from __future__ import annotations

import datetime as dt

import docx
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.reading.convert import Converter, convert_cold, find_soffice
from pipeline.operations.ingest import check_file, ingest
from pipeline.samples.college import make_png
from pipeline.reading.word import read_docx, split_pairs
from pipeline.samples.word import paragraph_record, plan_document, save_document, table_record

from .conftest import BRANCH, RECEIVED, errors, write_book

needs_libreoffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")


def meeting(**changes) -> dict:
    base = {"会议类型": "支部委员会", "日期": dt.datetime(2026, 3, 10, 14, 30), "地点": "党员活动室", "主持人": "毛建薇",
            "记录人": "苏梓轩", "应到人数": 5, "实到人数": 5, "议题": "研究发展党员工作",
            "会议内容": ["书记传达上级精神。", "委员逐一发言，同意将张三列为发展对象。"], "决议事项": "同意。"}
    base.update(changes)
    return base


def save(document, path):
    save_document(document, path)
    return path


class TestReading:
    def test_pairs_in_one_paragraph_with_spaced_labels(self):
        assert split_pairs("主 持 人：张三\u3000\u3000记录人: 李四") == [("主持人", "张三", "主 持 人"),
                                                                ("记录人", "李四", "记录人")]
        assert split_pairs("时    间：2026年3月5日  地    点：会议室")[1][:2] == ("地点", "会议室")
        assert split_pairs("今天开会，主持人：张三") == []          # prose, not a form line

    def test_table_form(self, tmp_path):
        doc = read_docx(save(table_record(meeting(), BRANCH, [make_png(seed=1)]), tmp_path / "t.docx"))
        assert doc.title == f"{BRANCH}支部委员会会议记录"
        assert doc.fields["主持人"][:1] == ["毛建薇"] and doc.fields["主持人"][1].where == "第1个表格第2行第2列"
        assert doc.fields["实到人数"][0] == "5人" and doc.fields["议题"][2] == "会议议题"
        assert doc.body == ["书记传达上级精神。", "委员逐一发言，同意将张三列为发展对象。"]
        assert doc.fields["决议事项"][0] == "同意。"             # the photo caption is not part of it
        assert len(doc.pictures) == 1 and doc.floating == 0

    def test_paragraph_form_with_floating_and_inline_pictures(self, tmp_path):
        path = save(paragraph_record(meeting(会议类型="主题党日"), BRANCH, [make_png(seed=2), make_png(seed=3)]),
                    tmp_path / "p.docx")
        doc = read_docx(path)
        assert doc.fields["日期"][0] == "2026年3月10日下午2:30" and doc.fields["日期"][1].where == "第3段"
        assert doc.fields["日期"][2] == "时 间"
        assert doc.fields["记录人"][0] == "苏梓轩" and doc.fields["议题"][2] == "活动主题"
        assert len(doc.pictures) == 2 and doc.floating == 1

    def test_label_cells_without_colons_and_values_spilling_over(self, tmp_path):
        document = docx.Document()
        document.add_paragraph("党小组会记录")
        table = document.add_table(rows=5, cols=4)
        for r, row in enumerate([("日期", "2026-04-08", "地点", "207室"), ("主持人", "毛建薇", "记录人", "苏梓轩"),
                                 ("应到", "6", "实到", "6"), ("议题", "学习党章", "", ""),
                                 ("", "（续）交流学习体会", "", "")]):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
        doc = read_docx(save(document, tmp_path / "s.docx"))
        assert doc.fields["议题"][0] == "学习党章\n（续）交流学习体会"
        assert doc.fields["应到人数"][0] == "6"


class TestChecking:
    def test_table_record_is_accepted_with_its_photo(self, with_roster, tmp_path):
        path = save(table_record(meeting(), BRANCH, [make_png(seed=1)]), tmp_path / "支委会.docx")
        result = ingest(path, with_roster, received=RECEIVED)
        assert result.status == "accepted", [i.text() for i in result.issues]
        assert result.items == ["B2"] and result.branch == BRANCH
        (stored,) = with_roster.store.active_records("B2", BRANCH)
        assert stored["日期"] == dt.datetime(2026, 3, 10, 14, 30) and stored["实到人数"] == 5
        assert stored["会议内容"].startswith("书记传达")
        (photo,) = stored["照片"]
        assert (with_roster.home / photo["file"]).read_bytes() == make_png(seed=1)
        assert "照片 1 张" in result.receipt.read_text("utf-8-sig")

    def test_missing_and_wrong_fields_point_at_paragraphs(self, with_roster, tmp_path):
        document = docx.Document()
        document.add_paragraph("支部党员大会记录")
        document.add_paragraph("时间：2026年13月5日\u3000\u3000地点：会议室")
        document.add_paragraph("应到人数：20人\u3000\u3000实到人数：25人")
        document.add_paragraph("议题：学习")
        path = save(document, tmp_path / "大会.docx")
        result = ingest(path, with_roster, received=RECEIVED, folder_branch=BRANCH)
        assert result.status == "rejected"
        assert errors(result) == [("bad-date", "第2段"), ("required", None), ("required", None),
                                  ("attendance-exceeds", "第3段")]
        assert {i.column for i in result.errors if i.code == "required"} == {"主持人", "记录人"}
        bad_date = result.errors[0]
        assert bad_date.value == "2026年13月5日" and "第2段" in bad_date.text()
        annotated = docx.Document(str(result.annotated))
        assert result.annotated.name == "大会.docx.回执.docx"
        comments = [c.text for c in annotated.comments]
        assert any("13月" in c for c in comments) and any("主持人" in c for c in comments)
        from docx.enum.text import WD_COLOR_INDEX
        assert any(r.font.highlight_color == WD_COLOR_INDEX.PINK for r in annotated.paragraphs[1].runs)

    def test_party_lecture_needs_a_speaker_and_quorum_rules_apply(self, with_roster, tmp_path):
        path = save(table_record(meeting(会议类型="党课", 主讲人=None), BRANCH), tmp_path / "党课.docx")
        assert ("required", None) in errors(check_file(path, with_roster, received=RECEIVED))
        path = save(table_record(meeting(实到人数=2), BRANCH), tmp_path / "支委会.docx")
        assert errors(check_file(path, with_roster, received=RECEIVED)) == [("quorum", "第1个表格第3行第4列")]

    def test_type_from_the_file_name_when_the_title_says_nothing(self, with_roster, tmp_path):
        document = paragraph_record(meeting(会议类型="组织生活会"), BRANCH)
        document.paragraphs[1].text = "会议记录"
        path = save(document, tmp_path / "2026年组织生活会.docx")
        assert check_file(path, with_roster, received=RECEIVED).items == ["B6"]

    def test_unrecognisable_document(self, registered, tmp_path):
        document = docx.Document()
        document.add_paragraph("随便写写")
        result = check_file(save(document, tmp_path / "笔记.docx"), registered, received=RECEIVED)
        assert errors(result) == [("no-ledger", None)]

    def test_yearly_plan(self, registered, tmp_path):
        path = save(plan_document(BRANCH, 2026, "计划", ["一、指导思想", "二、主要任务", "三、保障措施"]),
                    tmp_path / "计划.docx")
        result = ingest(path, registered, received=RECEIVED)
        assert result.status == "accepted" and result.items == ["E2"]
        (plan,) = registered.store.active_records("E2", BRANCH)
        assert (plan["年度"], plan["类型"]) == (2026, "计划") and plan["正文"].split("\n")[1] == "二、主要任务"

    def test_real_docx_named_xlsx_is_read_as_word(self, with_roster, tmp_path):
        path = save(table_record(meeting(), BRANCH), tmp_path / "会议记录.xlsx")
        assert check_file(path, with_roster, received=RECEIVED).items == ["B2"]

    def test_encrypted_word_document(self, registered, tmp_path):
        plain = save(table_record(meeting(), BRANCH), tmp_path / "plain.docx")
        for name in ("加密.docx", "加密.doc"):
            with plain.open("rb") as src, (tmp_path / name).open("wb") as out:
                OOXMLFile(src).encrypt("pw", out)
            assert errors(check_file(tmp_path / name, registered, received=RECEIVED)) == [("file-encrypted", None)]


class TestWordBeatsExcel:
    HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "议题"]

    def test_same_meeting_in_both_forms_is_one_meeting_and_word_wins(self, with_roster, tmp_path):
        ws = with_roster
        row = ["支委会", dt.date(2026, 3, 10), "活动室", "毛建薇", "苏梓轩", 5, 5, "研究发展党员工作"]
        ingest(write_book(tmp_path / "登记表.xlsx", "B", [row], headers=self.HEAD), ws, received=RECEIVED)
        ingest(save(table_record(meeting(议题="研究 发展党员工作"), BRANCH, [make_png(seed=4)]), tmp_path / "a.docx"),
               ws, received=RECEIVED)
        (only,) = ws.store.active_records("B2", BRANCH)
        assert only["照片"] and only["会议内容"]
        # the register sent again later does not replace the Word record
        ingest(write_book(tmp_path / "登记表2.xlsx", "B", [row], headers=self.HEAD, filled="2026年11月26日"), ws,
               received=RECEIVED)
        (still,) = ws.store.active_records("B2", BRANCH)
        assert still["照片"] and still["地点"] == "党员活动室"


@needs_libreoffice
class TestLegacy:
    def test_xls_and_doc_made_by_libreoffice_are_converted_and_read(self, with_roster, tmp_path):
        xlsx = write_book(tmp_path / "src" / "花名册.xlsx", "A1", [[1, "张三"]])
        xls = convert_cold(xlsx, "xls", tmp_path / "legacy")
        docx_path = save(table_record(meeting(), BRANCH), tmp_path / "src" / "支委会.docx")
        # straight docx→doc drops python-docx tables in LibreOffice 7.4; via ODT it keeps them
        doc = convert_cold(convert_cold(docx_path, "odt", tmp_path / "odt"), "doc", tmp_path / "legacy")
        assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0" and doc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
        result = ingest(xls, with_roster, received=RECEIVED)
        assert ("required", "C4") in errors(result)                # read as the roster it is
        assert result.stored.suffix == ".xls" and result.stored.read_bytes() == xls.read_bytes()
        result = ingest(doc, with_roster, received=RECEIVED)
        assert result.status == "accepted" and result.items == ["B2"], [i.text() for i in result.issues]
        assert result.stored.suffix == ".doc"

    def test_missing_libreoffice_gives_a_clear_receipt(self, registered, tmp_path, monkeypatch):
        xlsx = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "张三"]])
        xls = convert_cold(xlsx, "xls", tmp_path / "legacy")
        import pipeline.reading.convert as convert
        monkeypatch.setattr(convert, "_shared", Converter(warm=False))
        monkeypatch.setattr(convert._shared, "soffice", None)
        result = check_file(xls, registered, received=RECEIVED)
        assert errors(result) == [("file-legacy-format", None)]
        assert ".xlsx" in result.errors[0].hint and "LibreOffice" in result.errors[0].message

    def test_warm_converter_converts_many_files(self, tmp_path):
        xlsx = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "张三"]])
        xls = convert_cold(xlsx, "xls", tmp_path / "legacy")
        with Converter(warm=True) as converter:
            outs = [converter.convert(xls, tmp_path / f"out{n}") for n in range(3)]
        assert all(o.read_bytes()[:2] == b"PK" for o in outs)

    def test_a_hanging_conversion_is_killed(self, tmp_path):
        fake = tmp_path / "soffice"
        fake.write_text("#!/bin/sh\nsleep 60\n")
        fake.chmod(0o755)
        from pipeline.reading.convert import ConversionError
        source = tmp_path / "x.xls"
        source.write_bytes(b"x")
        started = dt.datetime.now()
        with pytest.raises(ConversionError, match="超时"):
            convert_cold(source, "xlsx", tmp_path / "out", timeout=1, soffice=str(fake))
        assert (dt.datetime.now() - started).total_seconds() < 10

    def test_emf_pictures_are_converted_to_png(self, tmp_path):
        from pipeline.reading.word import Picture, prepare_pictures
        png = tmp_path / "pic.png"
        png.write_bytes(make_png(seed=5))
        emf = convert_cold(png, "emf", tmp_path / "emf")      # LibreOffice Draw makes a real EMF
        prepared, notes = prepare_pictures([Picture("x", "emf", emf.read_bytes())], Converter(warm=False))
        assert notes == [] and prepared[0][0]["type"] == "png" and prepared[0][1][:4] == b"\x89PNG"
