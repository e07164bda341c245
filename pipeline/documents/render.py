"""The rendering toolkit every generator uses.

Templates are .docx files (docxtpl) a user can restyle in Word: a workspace's own
`templates/` folder wins over the ones shipped in the repository. Jinja runs sandboxed
with autoescaping, so user text ("&", "<", "{{") is shown, never interpreted. Each
document gets a fresh template object from bytes kept in memory. After rendering, every
run carries its East-Asian font name (w:eastAsia) as well as the Latin one. Output is
written to a temporary file and moved into place: never half a document.
"""
from __future__ import annotations

import datetime as dt

import io
from functools import lru_cache
from pathlib import Path
from typing import Callable

from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from pipeline import TEMPLATES
from pipeline.core.files import safe_name, write_atomic
from pipeline.documents.stable import stable_package
from pipeline.workspace import Workspace

SHIPPED = TEMPLATES
COLLEGE_FOLDER = "学院"


def template_path(ws: Workspace | None, name: str) -> Path:
    if ws is not None and (ws.home / "templates" / name).exists():
        return ws.home / "templates" / name
    return SHIPPED / name


@lru_cache(maxsize=16)
def _template_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


def new_template(path: Path) -> DocxTemplate:
    """A fresh template object per document (docxtpl templates are single-use)."""
    return DocxTemplate(io.BytesIO(_template_bytes(path, path.stat().st_mtime)))


def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def document_name(owner: str, title: str) -> str:
    """<owner><title>, where a title that starts with the word ending the owner's name does not
    repeat it (§4): 机电工程系教工党支部 + 党支部工作记录本 → 机电工程系教工党支部工作记录本, + 支部党费收缴簿
    → 机电工程系教工党支部党费收缴簿 — never "党支部党支部" or "党支部支部"."""
    for k in range(min(len(owner), len(title)), 1, -1):
        if owner.endswith(title[:k]):
            return owner + title[k:]
    return owner + title


def title_lines(*parts: str, width: int = 20) -> list[str]:
    """A title set on as few lines as it needs, broken only between its parts (a branch name, a
    year, the document's name) — never "…抓 / 党建工作述职报告". `width`: characters a line holds
    (2号 on the 156 mm 版心: 20; landscape 247 mm: 31)."""
    lines: list[str] = []
    for part in (p for p in parts if p):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return lines


def output_path(ws: Workspace, year: int, title: str, branch: str | None = None, ext: str = "docx",
                college: str | None = None) -> Path:
    """outbox/<年度>/<支部>/<年度>年<支部><文书名>.docx — or outbox/<年度>/学院/… for college-wide outputs."""
    owner = branch or college or ""
    folder = ws.outbox / str(year) / safe_name(branch or COLLEGE_FOLDER)
    return folder / (safe_name(f"{year}年{document_name(owner, title)}", "文书", limit=150) + f".{ext}")


def working_days_later(day: dt.date, days: int) -> dt.date:
    """`days` working days (Monday to Friday) after `day`."""
    while days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


TO_FILL = "【请填写"              # a place the secretary must still write: the document is a 草稿 (§4)
IDENTITY = "taizhang"             # core property `identifier`: taizhang:<文书>:<owner>:<year>


def document_identity(kind: str, owner: str, year: int) -> str:
    return f"{IDENTITY}:{kind}:{owner}:{year}"


def read_identity(text: str | None) -> tuple[str, str, int] | None:
    """(文书, owner, year) of a document taizhang made, from its `identifier` — kept by Word and WPS
    when the secretary fills it in, so the finished file is recognised when it comes back."""
    parts = (text or "").split(":")
    if len(parts) == 4 and parts[0] == IDENTITY and parts[3].isdigit():
        return parts[1], parts[2], int(parts[3])
    return None


def places_to_fill(document) -> int:
    """How many 【请填写…】 places a document still holds (body and tables): one pass over the XML's
    text, not python-docx's paragraph objects (a record book has thousands)."""
    from lxml import etree
    return etree.tostring(document.element.body, encoding="unicode").count(TO_FILL)


def all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def mark_draft(document) -> None:
    """A 草稿 mark at the top right of every page (the header), and content status 草稿."""
    from docx.shared import Pt, RGBColor
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    for section in document.sections:
        for header in (section.header, section.even_page_header, section.first_page_header):
            para = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = para.add_run("草稿")
            run.bold, run.font.size, run.font.color.rgb = True, Pt(16), RGBColor(0xC0, 0x00, 0x00)
            run.font.name = "黑体"
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")
    document.core_properties.content_status = "草稿"


def render_docx(template: Path, build_context: Callable[[DocxTemplate], dict], target: Path,
                identity: tuple[str, str, int] | None = None) -> Path:
    """Render, give every run its East-Asian font, mark a draft (§4), stamp what document it is
    (`identity`: 文书, owner, year — so the finished version is recognised when it is dropped back)."""
    tpl = new_template(template)
    tpl.render(build_context(tpl), jinja_env=environment(), autoescape=True)
    set_run_fonts(tpl.docx)
    props = tpl.docx.core_properties
    props.title = target.stem
    if identity is not None:
        props.identifier = document_identity(*identity)
    if places_to_fill(tpl.docx):
        mark_draft(tpl.docx)
    else:
        props.content_status = "定稿"
    buffer = io.BytesIO()
    tpl.save(buffer)
    write_atomic(target, stable_package(buffer.getvalue()))
    return target


def _style_fonts(style) -> tuple[str | None, str | None]:
    """(eastAsia, ascii) of a style, following its base styles."""
    while style is not None:
        rpr = style.element.rPr
        rfonts = rpr.rFonts if rpr is not None else None
        if rfonts is not None and rfonts.get(qn("w:eastAsia")):
            return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))
        style = style.base_style
    return None, None


def set_run_fonts(document) -> None:
    """Give every run its paragraph style's East-Asian font explicitly (Word and WPS pick a
    Latin fallback for CJK text when only w:ascii is set). Walks the XML once: fast on big books."""
    styles = {s.style_id: s for s in document.styles if s.type == 1}      # paragraph styles
    default = document.styles.default(1) if hasattr(document.styles, "default") else None
    cache: dict = {}
    roots = [document.element.body]
    for section in document.sections:
        roots += [part._element for part in (section.footer, section.even_page_footer, section.header)
                  if part._has_definition]
    for root in roots:
        for para in root.iter(qn("w:p")):
            style_el = para.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            style_id = style_el.get(qn("w:val")) if style_el is not None else None
            if style_id not in cache:
                cache[style_id] = _style_fonts(styles.get(style_id, default))
            east, latin = cache[style_id]
            if east is None:
                continue
            for run in para.iter(qn("w:r")):
                rpr = run.find(qn("w:rPr"))
                if rpr is None:
                    rpr = run.makeelement(qn("w:rPr"), {})
                    run.insert(0, rpr)
                rfonts = rpr.find(qn("w:rFonts"))
                if rfonts is None:
                    rfonts = rpr.makeelement(qn("w:rFonts"), {})
                    rpr.insert(0, rfonts)
                if not rfonts.get(qn("w:eastAsia")):
                    rfonts.set(qn("w:eastAsia"), east)
                if latin and not rfonts.get(qn("w:ascii")):
                    rfonts.set(qn("w:ascii"), latin)
                    rfonts.set(qn("w:hAnsi"), latin)
