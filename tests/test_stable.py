"""Reproducible outputs: the same inputs made for the same day give the same bytes — whenever, by
whichever process and whichever LibreOffice instance (issue 17: the queued year end and the
single-machine one give the same manifest hashes)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.documents.stable import eexec, made_on, stable_package, type1_steady
from pipeline.operations.batch import year_end
from pipeline.workspace import Workspace

from .conftest import BRANCH, RECEIVED, write_book

TODAY = dt.date(2026, 3, 20)


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")
            and p.name != "manifest.json"}


def test_the_year_end_documents_are_the_same_bytes_when_made_again(with_roster, tmp_path):
    """Two runs a second apart, the second in a copy of the workspace elsewhere: every Word and
    Excel document byte for byte the same, dated the day they are made for, and the manifest's
    hashes the same."""
    import json

    from pipeline.operations.ingest import ingest
    meetings = [["支部委员会", dt.date(2026, 3, d), "党员活动室", "张三", "李四", 5, 5, None, None, f"议题{d}"]
                for d in (3, 17)]
    ingest(write_book(tmp_path / "会议.xlsx", "B", meetings), with_roster, received=RECEIVED)
    first = year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)
    time.sleep(1.1)
    copy = tmp_path / "elsewhere"
    shutil.copytree(with_roster.home, copy, ignore=shutil.ignore_patterns("outbox"))
    second = year_end(Workspace.open(copy), 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)
    made = _hashes(with_roster.outbox / "2026")
    assert len(made) >= 8 and made == _hashes(copy / "outbox" / "2026")
    entries = [json.loads(m.read_text("utf-8"))["files"] for m in (first.manifest, second.manifest)]
    assert entries[0] == entries[1]
    docx = next(p for p in (with_roster.outbox / "2026").rglob("*.docx"))
    with zipfile.ZipFile(docx) as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(2026, 3, 20, 0, 0, 0)}
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2026-03-20T00:00:00Z"] * 2


def test_an_office_package_is_rewritten_with_the_day_only():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("docProps/core.xml", '<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">'
                   '2031-01-02T03:04:05Z</dcterms:created><dc:title>标题</dc:title></cp:coreProperties>')
        z.writestr("word/document.xml", "<w:document>正文</w:document>")
    with made_on(dt.date(2026, 12, 31)):
        once = stable_package(data.getvalue())
        again = stable_package(once, lambda name, content: content)
    assert once == again
    with zipfile.ZipFile(io.BytesIO(once)) as z:
        assert "2026-12-31T00:00:00Z</dcterms:created><dc:title>标题" in z.read("docProps/core.xml").decode()
        assert z.read("word/document.xml").decode() == "<w:document>正文</w:document>"


def test_eexec_and_a_type1_uniqueid():
    plain = b"\x01\x02\x03\x04dup /Private 8 dict dup begin\n/UniqueID 4100012 def\n/password 5839 def"
    secret = eexec(plain, decrypt=False)
    assert secret != plain and eexec(secret, decrypt=True) == plain
    clear = b"%!PS-AdobeFont-1.0: X\n/FontName /X def\n/UniqueID 4100012 def\ncurrentfile eexec\n"
    program = clear + secret + b"0" * 64 + b"cleartomark\n"
    other = clear.replace(b"4100012", b"4100064") + \
        eexec(plain.replace(b"4100012", b"4100064"), decrypt=False) + b"0" * 64 + b"cleartomark\n"
    a, b = type1_steady(program, len(clear), len(secret)), type1_steady(other, len(clear), len(secret))
    assert a == b                                  # the counter LibreOffice left there is gone
    steady, clear_length, secret_length = a
    private = eexec(steady[clear_length:clear_length + secret_length], decrypt=True)
    assert b"UniqueID" not in steady[:clear_length] and b"UniqueID" not in private
    assert steady[:clear_length] == b"%!PS-AdobeFont-1.0: X\n/FontName /X def\ncurrentfile eexec\n"
    assert private == b"\x01\x02\x03\x04dup /Private 8 dict dup begin\n/password 5839 def"
    assert steady.endswith(b"0" * 64 + b"cleartomark\n")
    assert type1_steady(b"%!PS no id\n", 11, 0) is None
    assert type1_steady(steady, clear_length, secret_length) is None      # steady already: left as it is


def test_a_document_converted_twice_by_one_libreoffice_is_the_same_pdf(tmp_path):
    """LibreOffice numbers the Type 1 fonts it embeds from its start (so a warm instance never
    gives the same bytes twice) and stamps the time: the PDFs written are the same all the same."""
    from docx import Document

    from pipeline.documents.pdf import to_pdf
    from pipeline.reading.convert import find_soffice, shared_converter
    if find_soffice() is None:
        pytest.skip("LibreOffice is not installed (quickstart.sh installs it)")
    doc = Document()
    doc.add_heading("关于党费收缴情况的公示", 1)
    doc.add_paragraph("全体党员：根据规定，现将本支部党费收缴情况公示如下。")
    doc.save(tmp_path / "公示.docx")
    converter = shared_converter()
    raw = [_convert(converter, tmp_path / "公示.docx", tmp_path / f"raw{n}") for n in (1, 2)]
    assert raw[0] != raw[1]                        # what LibreOffice itself gives
    made = []
    for n in (1, 2):
        with made_on(TODAY):
            to_pdf(tmp_path / "公示.docx", tmp_path / f"公示{n}.pdf", title="公示", author=BRANCH, subject="",
                   headings=[], converter=converter)
        made.append((tmp_path / f"公示{n}.pdf").read_bytes())
        time.sleep(1.1)
    assert made[0] == made[1]
    from pypdf import PdfReader
    assert PdfReader(io.BytesIO(made[0])).metadata["/CreationDate"] == "D:20260320000000+00'00'"


def _convert(converter, source: Path, folder: Path) -> bytes:
    folder.mkdir()
    return converter.convert(source, folder, "pdf").read_bytes()
