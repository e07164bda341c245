"""Sample Word ledgers as offices write them — for the demo and the tests.

`table_record` writes the 会议记录 form as a table of label and value cells (several pairs
a row, merged value cells); `paragraph_record` writes "标签：内容" paragraphs with
spaced-out labels and several pairs in one paragraph; both embed photos, inline or
floating. `plan_document` writes a yearly plan or summary.
"""
from __future__ import annotations

import copy
import datetime as dt
import io

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from pipeline.core.formats import MEETING_TYPES


def _when(day) -> str:
    if isinstance(day, dt.datetime):
        hour = day.hour
        noon = "上午" if hour < 12 else "下午"
        return f"{day.year}年{day.month}月{day.day}日{noon}{hour if hour <= 12 else hour - 12}:{day.minute:02d}"
    if isinstance(day, str):
        return day
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _title(document, text: str) -> None:
    para = document.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run(text)
    run.bold = True
    run.font.size = Pt(18)
    run.font.name = "SimHei"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")


def make_floating(run) -> None:
    """Turn the run's inline picture into a floating (anchored) one, as Word does for 'square wrap'."""
    inline = run._element.find(f".//{qn('wp:inline')}")
    extent = inline.find(qn("wp:extent"))
    doc_pr = inline.find(qn("wp:docPr"))
    graphic = inline.find(qn("a:graphic"))
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp", "a", "pic", "r")} distT="0" distB="0" distL="114300" distR="114300" '
        f'simplePos="0" relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        f'<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="column"><wp:posOffset>3000000</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{extent.get("cx")}" cy="{extent.get("cy")}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:wrapSquare wrapText="bothSides"/>'
        f'<wp:docPr id="{doc_pr.get("id")}" name="{doc_pr.get("name")}"/><wp:cNvGraphicFramePr/></wp:anchor>')
    anchor.append(copy.deepcopy(graphic))
    inline.getparent().replace(inline, anchor)


def _photos(document, photos: list[bytes], floating: bool) -> None:
    if not photos:
        return
    para = document.add_paragraph("活动照片：")
    for n, photo in enumerate(photos):
        run = para.add_run()
        run.add_picture(io.BytesIO(photo), width=Cm(6))
        if floating and n == 0:
            make_floating(run)


def table_record(meeting: dict, branch: str, photos: list[bytes] = (), floating: bool = False):
    """The form-table shape: label | value | label | value, long values in merged cells."""
    document = docx.Document()
    kind = meeting["会议类型"]
    _title(document, f"{branch}{kind}会议记录" if kind != "谈心谈话" else f"{branch}谈心谈话记录")
    talk = kind == "谈心谈话"
    rows = [("时    间", _when(meeting.get("日期")), "地    点", meeting.get("地点") or "")]
    if talk:
        rows.append(("谈话人", meeting.get("谈话人") or "", "谈话对象", meeting.get("谈话对象") or ""))
        rows.append(("记录人", meeting.get("记录人") or "", "", ""))
    else:
        rows.append(("主 持 人", meeting.get("主持人") or "", "记 录 人", meeting.get("记录人") or ""))
        rows.append(("应到人数", f"{meeting.get('应到人数')}人", "实到人数", f"{meeting.get('实到人数')}人"))
    if meeting.get("主讲人"):
        rows.append(("主讲人", meeting["主讲人"], "", ""))
    long_rows = [("缺席人员及原因", meeting.get("缺席人员及原因") or "无"),
                 ("列席人员", meeting.get("列席人员") or "无"),
                 ("会议议题" if not talk else "谈话主题", meeting.get("议题") or "")]
    table = document.add_table(rows=len(rows) + len(long_rows) + 2, cols=4)
    table.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
        if values[2] == "":
            table.cell(r, 1).merge(table.cell(r, 3))
    r = len(rows)
    for label, value in long_rows:
        table.cell(r, 0).text = label
        merged = table.cell(r, 1).merge(table.cell(r, 3))
        merged.text = value
        r += 1
    table.cell(r, 0).text = "会议内容" if not talk else "谈话内容"
    body = table.cell(r, 1).merge(table.cell(r, 3))
    body.text = ""
    for n, text in enumerate(meeting.get("会议内容") or []):
        (body.paragraphs[0] if n == 0 else body.add_paragraph()).text = text
    table.cell(r + 1, 0).text = "决议事项"
    table.cell(r + 1, 1).merge(table.cell(r + 1, 3)).text = meeting.get("决议事项") or ""
    _photos(document, photos, floating)
    return document


def paragraph_record(meeting: dict, branch: str, photos: list[bytes] = (), floating: bool = True):
    """The paragraph shape: several pairs a paragraph, spaced labels, full-width colons."""
    document = docx.Document()
    kind = meeting["会议类型"]
    _title(document, branch)
    _title(document, f"{kind}活动记录" if kind == "主题党日" else f"{kind}记录")
    gap = "\u3000\u3000"
    document.add_paragraph(f"时\u3000\u3000间：{_when(meeting.get('日期'))}{gap}地\u3000\u3000点：{meeting.get('地点') or ''}")
    if kind == "谈心谈话":
        document.add_paragraph(f"谈话人：{meeting.get('谈话人')}{gap}谈话对象：{meeting.get('谈话对象')}")
        document.add_paragraph(f"记录人：{meeting.get('记录人')}")
    else:
        document.add_paragraph(f"主持人：{meeting.get('主持人')}{gap}记录人：{meeting.get('记录人')}")
        document.add_paragraph(f"应到人数：{meeting.get('应到人数')}人{gap}实到人数：{meeting.get('实到人数')}人")
        document.add_paragraph(f"缺席人员及原因：{meeting.get('缺席人员及原因') or '无'}")
    if meeting.get("主讲人"):
        document.add_paragraph(f"主讲人：{meeting['主讲人']}")
    document.add_paragraph(f"{'活动主题' if kind == '主题党日' else '议题'}：{meeting.get('议题') or ''}")
    document.add_paragraph("会议内容：")
    for text in meeting.get("会议内容") or []:
        document.add_paragraph(text)
    if meeting.get("决议事项"):
        document.add_paragraph(f"决议事项：{meeting['决议事项']}")
    _photos(document, photos, floating)
    return document


def plan_document(branch: str, year: int, kind: str, paragraphs: list[str]):
    document = docx.Document()
    _title(document, f"{branch}{year}年度工作{kind}")
    for text in paragraphs:
        document.add_paragraph(text)
    return document


def meeting_from_row(row: list) -> dict:
    """A meeting of the demo's Excel register (its row layout) as a dict for the writers above."""
    names = ("会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "缺席人员及原因", "列席人员",
             "议题", "会议内容", "决议事项", "主讲人", "谈话人", "谈话对象")
    meeting = dict(zip(names, row))
    assert meeting["会议类型"] in {name for name, _ in MEETING_TYPES.values()}
    return meeting


def save_document(document, path) -> None:
    from pathlib import Path

    from pipeline.core.files import write_atomic
    buffer = io.BytesIO()
    document.save(buffer)
    write_atomic(Path(path), buffer.getvalue())
