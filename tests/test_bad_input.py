"""Bad input: each gets a clear Chinese message, is rejected, and nothing is lost."""
import datetime as dt
import io
import re
import zipfile

from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from pipeline.operations.ingest import check_file, ingest
from pipeline.reading.excel import OLE_MAGIC, Limits, inspect_file

from .conftest import RECEIVED, errors, write_book


def rejected_with(ws, path, code):
    result = ingest(path, ws, received=RECEIVED)
    assert result.status == "rejected"
    assert [i.code for i in result.errors] == [code], [i.text() for i in result.issues]
    assert result.stored.exists() and result.stored.read_bytes() == path.read_bytes()   # nothing lost
    assert result.receipt.exists()
    message = result.errors[0].message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return result


def good_workbook(tmp_path, name="good.xlsx"):
    return write_book(tmp_path / name, "A1", [[1, "张三"]])


def test_zero_byte_file(registered, tmp_path):
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    rejected_with(registered, path, "file-empty")


def test_truncated_workbook(registered, tmp_path):
    data = good_workbook(tmp_path).read_bytes()
    path = tmp_path / "截断.xlsx"
    path.write_bytes(data[: len(data) // 2])
    rejected_with(registered, path, "file-corrupt")


def test_garbage_inside_a_zip(registered, tmp_path):
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "this is not xml")
    rejected_with(registered, path, "file-corrupt")


def test_csv_named_xlsx(registered, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes("姓名,性别\n张三,男\n".encode("gbk"))
    result = rejected_with(registered, path, "file-not-excel")
    assert "CSV" in result.errors[0].message and "另存为" in result.errors[0].hint


def test_html_export_named_xls(registered, tmp_path):
    path = tmp_path / "导出.xls"
    path.write_bytes(b"<html><table><tr><td>x</td></tr></table></html>")
    assert "HTML" in rejected_with(registered, path, "file-not-excel").errors[0].message


def test_broken_word_document_named_xlsx(registered, tmp_path):
    path = tmp_path / "会议记录.xlsx"          # judged by content: a (broken) Word document
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word" in rejected_with(registered, path, "file-corrupt").errors[0].message


def test_password_protected_workbook(registered, tmp_path):
    plain = good_workbook(tmp_path)
    path = tmp_path / "加密.xlsx"
    with plain.open("rb") as src, path.open("wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    result = rejected_with(registered, path, "file-encrypted")
    assert "密码" in result.errors[0].message


def test_junk_in_an_ole_container_is_answered(registered, tmp_path):
    path = tmp_path / "旧版.xls"
    path.write_bytes(OLE_MAGIC + b"\x00" * 4096)
    result = ingest(path, registered, received=RECEIVED)
    assert result.status == "rejected" and result.stored.read_bytes() == path.read_bytes()
    assert {i.code for i in result.errors} <= {"file-legacy-format", "no-ledger"}


def test_zip_bomb_is_refused_before_parsing(registered, tmp_path):
    path = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 2**20))
    assert path.stat().st_size < 200_000
    rejected_with(registered, path, "file-too-large")


def test_declared_sizes_over_the_limit(tmp_path):
    path = good_workbook(tmp_path)
    assert inspect_file(path, Limits(unpacked_bytes=1000))[1][0].code == "file-too-large"
    assert inspect_file(path, Limits(file_bytes=100))[1][0].code == "file-too-large"
    assert inspect_file(path) == ("xlsx", [])


def test_unsupported_type(registered, tmp_path):
    path = tmp_path / "照片.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0")
    rejected_with(registered, path, "file-unsupported")


def test_sheet_without_a_header(registered, tmp_path):
    wb = Workbook()
    wb.active.title = "党员花名册"
    wb.active["A1"] = "党员花名册"
    wb.active["A3"] = "张三"
    wb.save(tmp_path / "无表头.xlsx")
    rejected_with(registered, tmp_path / "无表头.xlsx", "no-header")


def test_workbook_with_no_ledger(registered, tmp_path):
    wb = Workbook()
    wb.active["A1"] = "随手记"
    wb.active["A2"] = "明天开会"
    wb.save(tmp_path / "杂项.xlsx")
    result = rejected_with(registered, tmp_path / "杂项.xlsx", "no-ledger")
    assert [i.code for i in result.issues] == ["sheet-skipped", "no-ledger"]


def test_formula_without_value_and_error_cells(registered, tmp_path):
    path = write_book(tmp_path / "f.xlsx", "C3", [[dt.date(2026, 3, 28), "2026年第1季度", "=SUM(1,2)", "党委", None]])
    result = check_file(path, registered, received=RECEIVED)
    assert errors(result) == [("formula-no-value", "C4")]
    assert "打开并保存" in result.errors[0].hint
    # an error value cached by Excel (#REF!) — written as Excel would store it
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet], count = re.subn(rb'<c r="C4"[^>]*>.*?</c>', b'<c r="C4" t="e"><f>A1/0</f><v>#REF!</v></c>',
                                  parts[sheet])
    assert count == 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    bad = tmp_path / "ref.xlsx"
    bad.write_bytes(buffer.getvalue())
    assert errors(check_file(bad, registered, received=RECEIVED)) == [("cell-error", "C4")]


def test_macro_workbook_is_read_without_running_anything(registered, tmp_path):
    path = write_book(tmp_path / "宏.xlsm", "A1", [[1, "张三"]])
    result = check_file(path, registered, received=RECEIVED)
    assert ("required", "C4") in errors(result)


def test_too_many_rows(registered, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["党员花名册"])
    ws.append(["姓名", "性别"])
    ws.cell(row=60_001, column=1, value="张三")
    wb.save(tmp_path / "大.xlsx")
    assert errors(check_file(tmp_path / "大.xlsx", registered, received=RECEIVED)) == [("too-many-rows", None)]


def test_damaged_copies_of_a_real_workbook_never_crash(registered, tmp_path):
    """Flip bytes all over a valid workbook: every copy is answered, none raises."""
    import random
    data = bytearray(good_workbook(tmp_path).read_bytes())
    rng = random.Random(1)
    for n in range(40):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"damaged{n}.xlsx"
        path.write_bytes(bytes(damaged))
        result = check_file(path, registered, received=RECEIVED)
        assert result.status in ("accepted", "rejected")
        assert all(i.message for i in result.issues)


def test_xml_entity_bomb_is_refused(registered, tmp_path):
    """Billion laughs in sharedStrings: parsed through defusedxml, so refused, not expanded."""
    import openpyxl
    assert openpyxl.DEFUSEDXML is True
    path = good_workbook(tmp_path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    doctype = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
               b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = doctype + re.sub(rb"<t>[^<]*</t>", b"<t>&lol3;</t>", sheet, count=1)
    parts["xl/worksheets/sheet1.xml"] = sheet
    bad = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    rejected_with(registered, bad, "file-corrupt")


def test_real_workbook_with_an_old_extension_is_read(registered, tmp_path):
    path = tmp_path / "花名册.xls"
    path.write_bytes(write_book(tmp_path / "x.xlsx", "A1", [[1, "张三"]]).read_bytes())
    result = check_file(path, registered, received=RECEIVED)
    assert ("required", "C4") in errors(result)        # read as the workbook it is
