"""Generated .docx → PDF with LibreOffice (one warm instance per process), then pypdf sets
the metadata and a bookmark per chapter. Failures are reported per document."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from pipeline.reading.convert import ConversionError, shared_converter
from pipeline.core.files import write_atomic
from pipeline.documents.stable import stable_pdf


def _compact(text: str) -> str:
    return re.sub(r"[\s\u3000]", "", text or "")


def chapter_pages(reader: PdfReader, headings: list[str], after: str = "目录") -> dict[str, int]:
    """The first page (0-based) on which each heading appears, after the contents page."""
    texts = [_compact(page.extract_text() or "") for page in reader.pages]
    start = next((i + 1 for i, text in enumerate(texts) if _compact(after) in text), 0)
    found, page = {}, start
    for heading in headings:
        key = _compact(heading)
        for index in range(page, len(texts)):
            if key in texts[index]:
                found[heading] = page = index
                break
    return found


def to_pdf(docx_path: Path, pdf_path: Path, *, title: str, author: str, subject: str,
           headings: list[str], converter=None) -> Path:
    """Convert, add metadata and bookmarks, write atomically. Raises ConversionError."""
    converter = converter or shared_converter()
    with tempfile.TemporaryDirectory(prefix="tz-pdf-") as tmp:
        produced = converter.convert(docx_path, Path(tmp), "pdf")
        reader = PdfReader(produced)
        if not reader.pages:
            raise ConversionError("生成的 PDF 没有页面")
        writer = PdfWriter(clone_from=reader)
        writer.add_metadata({"/Title": title, "/Author": author, "/Subject": subject, "/Creator": "taizhang",
                             "/Producer": "taizhang + LibreOffice"})
        if headings and not reader.outline:   # LibreOffice exports nested bookmarks from the headings itself
            for heading, page in chapter_pages(reader, headings).items():
                writer.add_outline_item(heading, page)
        writer.page_mode = "/UseOutlines"
        data = stable_pdf(writer)
    write_atomic(pdf_path, data)
    return pdf_path
