"""Word ledgers: meeting records (B1–B8) and the yearly plan and summary (E2).

Two shapes are read, as offices write them: a form table of label cells and value cells
(several pairs a row, labels with or without colons, merged cells, values spilling into
the next cell or row), and paragraphs "标签：内容" (several pairs in one paragraph,
spaced-out labels such as "主 持 人"). Every value remembers where it was — "第2个表格第3行
第2列" or "第5段" — so issues point there. Embedded pictures (inline and floating; EMF/WMF
converted to PNG) are stored content-addressed in the workspace. Nothing is executed.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.oxml.ns import qn

from pipeline.core.formats import ITEMS, MEETING_CODE, MEETING_TYPES, header_key, recognise_title
from pipeline.core.values import clean_text, fold
from pipeline.core.files import write_atomic

BODY_FIELDS = {"会议内容", "正文"}
TEXT_CONTINUES = {"会议内容", "决议事项", "缺席人员及原因", "列席人员", "正文"}
EXTRA_LABELS = {"党支部": ("党支部", "支部名称", "党支部名称", "所属党支部"), "年度": ("年度",),
                "正文": ("正文",), "照片": ("照片", "活动照片", "会议照片", "现场照片", "图片", "附图", "活动图片")}
TEXT_FIELDS = {f.name for f in ITEMS["B"].fields if f.type == "text"}
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/bmp": "bmp",
               "image/tiff": "tif", "image/x-emf": "emf", "image/x-wmf": "wmf", "image/emf": "emf",
               "image/wmf": "wmf"}


@dataclass(frozen=True)
class Place:
    """Where a value sits in the document, as a user would look for it."""
    where: str
    table: int | None = None      # 0-based index among top-level tables
    row: int | None = None
    col: int | None = None        # index into row.cells (python-docx repeats merged cells)
    para: int | None = None       # 0-based index among top-level paragraphs


@dataclass
class Picture:
    sha256: str
    ext: str
    blob: bytes


@dataclass
class WordDoc:
    title: str = ""
    title_place: Place | None = None
    fields: dict = field(default_factory=dict)       # canonical name → [text, Place, label as written]
    body: list = field(default_factory=list)          # paragraphs of 会议内容 / 正文
    loose: list = field(default_factory=list)         # unlabeled paragraphs after the title (plans)
    pictures: list = field(default_factory=list)
    floating: int = 0


def _label_index() -> dict[str, str]:
    index = {}
    for fld in ITEMS["B"].fields:
        for label in fld.labels:
            index[header_key(label)] = fld.name
    for name, labels in EXTRA_LABELS.items():
        for label in labels:
            index[header_key(label)] = name
    index[header_key("会议名称")] = "会议类型"
    for extra in ("会议记录", "发言记录", "会议纪要", "主要内容", "会议主要内容", "讲课内容", "谈话内容记录"):
        index[header_key(extra)] = "会议内容"
    return index


LABELS = _label_index()
_SPACED = sorted(LABELS, key=len, reverse=True)
# a label, its characters possibly spaced out ("主 持 人"), then a colon
_PAIR_RE = re.compile(r"(?:^|(?<=\s))(" + "|".join(r"\s*".join(map(re.escape, key)) for key in _SPACED) +
                      r")\s*[:：]")


def _cell_text(cell) -> str:
    return "\n".join(clean_text(p.text) for p in cell.paragraphs).strip()


def split_pairs(text: str) -> list[tuple[str, str, str]]:
    """'主持人：张三  记录人：李四' → [('主持人', '张三', '主持人'), ('记录人', '李四', '记录人')]:
    (field, value, label as written); [] if the text does not start with a label."""
    text = fold(text)
    matches = list(_PAIR_RE.finditer(text))
    if not matches or text[:matches[0].start()].strip():
        return []
    pairs = []
    for m, nxt in zip(matches, matches[1:] + [None]):
        value = text[m.end():nxt.start() if nxt else len(text)].strip()
        pairs.append((LABELS[header_key(m[1])], value, re.sub(r"\s+", " ", m[1]).strip()))
    return pairs


def _bare_label(text: str) -> str | None:
    """A cell holding only a label, with or without a colon: '主 持 人', '时间：'."""
    key = header_key(text)
    return LABELS.get(key) if key and len(text) <= 24 else None


class _Reader:
    def __init__(self, document):
        self.doc = WordDoc()
        self.document = document
        self.current: str | None = None       # the label that unlabeled text continues

    def put(self, name: str, text: str, place: Place, label: str) -> None:
        if name == "照片":
            self.current = None
            return
        if name in BODY_FIELDS:
            self.doc.body += [line for line in text.split("\n") if line.strip()]
            self.doc.fields.setdefault(name, ["", place, label])
        elif name not in self.doc.fields or not self.doc.fields[name][0]:
            self.doc.fields[name] = [text, place, label]
        self.current = name

    def continue_text(self, text: str, place: Place, any_text: bool = False) -> bool:
        """Unlabeled text continues the last field: in a table any text field (a value spilling
        into the next cell or row), in paragraphs only the long ones (内容, 决议, 缺席…)."""
        name = self.current
        if not name or not text or not (name in TEXT_CONTINUES or (any_text and name in TEXT_FIELDS)):
            return False
        if name in BODY_FIELDS:
            self.doc.body += [line for line in text.split("\n") if line.strip()]
        else:
            value = self.doc.fields[name][0]
            self.doc.fields[name][0] = f"{value}\n{text}" if value else text
        return True

    def paragraph(self, index: int, text: str, title_like: bool = False) -> None:
        place = Place(f"第{index + 1}段", para=index)
        pairs = split_pairs(text)
        if pairs:
            for name, value, label in pairs:
                self.put(name, value, place, label)
            return
        if not text:
            return
        if not self.doc.fields and not self.doc.loose and (not self.doc.title or title_like) and len(text) <= 60:
            # the heading lines before the first field make the title: "XX党支部" / "支部委员会会议记录"
            self.doc.title = f"{self.doc.title} {text}".strip()
            self.doc.title_place = self.doc.title_place or place
            return
        if not self.continue_text(text, place):
            self.doc.loose.append(text)

    def table(self, t_index: int, table) -> None:
        for r_index, row in enumerate(table.rows):
            seen, cells = set(), []
            for c_index, cell in enumerate(row.cells):
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    cells.append((c_index, cell))
            pending: tuple[str, str] | None = None
            for c_index, cell in cells:
                text = _cell_text(cell)
                place = Place(f"第{t_index + 1}个表格第{r_index + 1}行第{c_index + 1}列", t_index, r_index, c_index)
                bare = _bare_label(text)
                pairs = [] if bare else split_pairs(text)
                if bare or pairs:
                    if pending:
                        self.put(pending[0], "", place, pending[1])
                    pending = (bare, text.rstrip("：:").strip()) if bare else None
                    for name, value, label in pairs:
                        self.put(name, value, place, label)
                elif pending:
                    self.put(pending[0], text, place, pending[1])
                    pending = None
                elif text and not self.doc.title and not self.doc.fields:
                    self.doc.title, self.doc.title_place = text, place
                elif text:
                    self.continue_text(text, place, any_text=True)   # spilling into the next cell or row
            if pending:
                self.put(pending[0], "", Place(f"第{t_index + 1}个表格第{r_index + 1}行", t_index, r_index,
                                               cells[-1][0]), pending[1])


def _title_like(p) -> bool:
    """Centred, or styled as a title or heading."""
    jc = p.find(f"{qn('w:pPr')}/{qn('w:jc')}")
    style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    name = (style.get(qn("w:val")) or "").lower() if style is not None else ""
    return (jc is not None and jc.get(qn("w:val")) == "center") or name.startswith(("title", "heading", "标题"))


def _pictures(document) -> tuple[list[Picture], int]:
    found, floating, seen = [], 0, set()
    body = document.element.body
    for blip in body.iter(qn("a:blip")):
        rid = blip.get(qn("r:embed"))
        _add_picture(document, rid, found, seen)
    for anchor in body.iter(qn("wp:anchor")):
        floating += 1
    for image in body.iter("{urn:schemas-microsoft-com:vml}imagedata"):
        _add_picture(document, image.get(qn("r:id")), found, seen)
    return found, floating


def _add_picture(document, rid, found: list, seen: set) -> None:
    if not rid or rid not in document.part.related_parts:
        return
    part = document.part.related_parts[rid]
    ext = IMAGE_TYPES.get(part.content_type)
    if ext is None:
        return
    blob = part.blob
    sha = hashlib.sha256(blob).hexdigest()
    if sha not in seen:
        seen.add(sha)
        found.append(Picture(sha, ext, blob))


def read_docx(path: Path) -> WordDoc:
    """The labelled fields, body paragraphs and pictures of a .docx (python-docx; no macros run)."""
    document = docx.Document(str(path))
    reader = _Reader(document)
    paragraph_index = table_index = 0
    tables = {id(t._tbl): t for t in document.tables}
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = clean_text("".join(node.text or "" for node in child.iter(qn("w:t"))))
            reader.paragraph(paragraph_index, text, _title_like(child))
            paragraph_index += 1
        elif child.tag == qn("w:tbl") and id(child) in tables:
            reader.table(table_index, tables[id(child)])
            table_index += 1
    reader.doc.pictures, reader.doc.floating = _pictures(document)
    return reader.doc


def meeting_code(doc: WordDoc, file_name: str) -> str | None:
    """会议类型 field, else the title, else the file name."""
    kind = doc.fields.get("会议类型", [""])[0]
    for text in (kind, doc.title, Path(file_name).stem):
        if not text:
            continue
        code = MEETING_CODE.get(text)
        if code:
            return code
        item = recognise_title(text)
        if item is not None and item.code in MEETING_TYPES:
            return item.code
    return None


def plan_kind(doc: WordDoc, file_name: str) -> tuple[str, int | None] | None:
    """('计划'|'总结', year) for a yearly plan or summary, else None."""
    for text in (doc.title, Path(file_name).stem):
        folded = fold(text or "")
        kind = "计划" if "工作计划" in folded else "总结" if "工作总结" in folded else None
        if kind:
            m = re.search(r"(\d{4})\s*年", folded) or re.search(r"(\d{4})", doc.fields.get("年度", [""])[0])
            return kind, int(m[1]) if m else None
    return None


def prepare_pictures(pictures: list[Picture], converter=None) -> tuple[list[tuple[dict, bytes]], list[str]]:
    """Each picture as (its record, the bytes to keep); EMF/WMF converted to PNG where possible."""
    kept, notes = [], []
    for pic in pictures:
        blob, ext = pic.blob, pic.ext
        if ext in ("emf", "wmf"):
            converted = _to_png(pic, converter)
            if converted is None:
                notes.append(f"一张 {ext.upper()} 格式的图片未能转换为 PNG，已按原格式保存")
            else:
                blob, ext = converted, "png"
        sha = hashlib.sha256(blob).hexdigest()
        kept.append(({"sha256": sha, "file": f"media/{sha[:2]}/{sha}.{ext}", "type": ext}, blob))
    return kept, notes


def write_pictures(prepared: list[tuple[dict, bytes]], home: Path) -> None:
    """Content-addressed: the same photo submitted twice is stored once."""
    for record, blob in prepared:
        target = home / record["file"]
        if not target.exists():
            write_atomic(target, blob)


def _to_png(pic: Picture, converter) -> bytes | None:
    from pipeline.reading.convert import ConversionError, shared_converter
    converter = converter or shared_converter()
    with tempfile.TemporaryDirectory(prefix="tz-img-") as tmp:
        source = Path(tmp) / f"picture.{pic.ext}"
        source.write_bytes(pic.blob)
        try:
            return converter.convert(source, Path(tmp) / "out").read_bytes()
        except ConversionError:
            return None
