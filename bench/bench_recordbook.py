"""Benchmark: one record book (50 meetings, 10 photos) to .docx and to PDF; 20 books to PDF
with one warm LibreOffice vs. a cold `soffice --convert-to` per file. Figures printed only.

    .venv/bin/python bench/bench_recordbook.py [--books 20]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.documents.blank import save_workbook  # noqa: E402
from pipeline.reading.convert import Converter, convert_cold, find_soffice  # noqa: E402
from pipeline.samples.demo import registry_workbook, roster_rows  # noqa: E402
from pipeline.operations.ingest import ingest  # noqa: E402
from pipeline.documents.recordbook import generate  # noqa: E402
from pipeline.samples.college import make_college, make_png  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402
from pipeline.samples.word import save_document, table_record  # noqa: E402
from tests.conftest import write_book  # noqa: E402

BRANCH = "机电工程学院教工党支部"
HEAD = ["会议类型", "日期", "地点", "主持人", "记录人", "应到人数", "实到人数", "议题"]
KINDS = ("支委会", "主题党日", "党小组会", "党员大会")


def workspace(tmp: Path) -> Workspace:
    college = make_college(2026)
    ws = Workspace.open(tmp / "ws")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
    ingest(write_book(tmp / "a1.xlsx", "A1", roster_rows(college.branch(BRANCH))), ws)
    rows = [[KINDS[n % 4], dt.date(2026, 1 + n % 11, 1 + n // 11), "会议室", "毛建薇", "苏梓轩", 17, 15, f"议题{n}"]
            for n in range(40)]
    ingest(write_book(tmp / "b.xlsx", "B", rows, headers=HEAD), ws)
    for n in range(10):
        meeting = {"会议类型": "主题党日", "日期": dt.datetime(2026, 1 + n, 28, 14, 30), "地点": "纪念馆",
                   "主持人": "毛建薇", "记录人": "苏梓轩", "应到人数": 17, "实到人数": 15, "议题": f"活动{n}",
                   "会议内容": ["发言记录。"] * 8, "决议事项": "无"}
        path = tmp / f"w{n}.docx"
        save_document(table_record(meeting, BRANCH, [make_png(800, 600, seed=n)]), path)
        ingest(path, ws)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--books", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ws = workspace(tmp)
        started = time.perf_counter()
        book = generate(ws, BRANCH, 2026, dt.date(2026, 11, 27))
        docx_time = time.perf_counter() - started
        print(f"一本记录本（50 次会议，10 张照片）→ .docx：{docx_time:.2f} 秒")
        if find_soffice() is None:
            print("未安装 LibreOffice：跳过 PDF")
            return
        copies = []
        for n in range(args.books):
            copy = tmp / "books" / f"book{n:02d}.docx"
            copy.parent.mkdir(exist_ok=True)
            copy.write_bytes(book.read_bytes())
            copies.append(copy)
        with Converter(warm=True) as converter:
            started = time.perf_counter()
            converter.convert(copies[0], tmp / "warm0", "pdf")
            first = time.perf_counter() - started
            warm = []
            for n, copy in enumerate(copies):
                started = time.perf_counter()
                converter.convert(copy, tmp / "warm", "pdf")
                warm.append(time.perf_counter() - started)
        cold = []
        for copy in copies:
            started = time.perf_counter()
            convert_cold(copy, "pdf", tmp / "cold")
            cold.append(time.perf_counter() - started)
        print(f"→ PDF：常驻实例首份 {first:.2f} 秒（含启动），之后 {statistics.median(warm):.2f} 秒/本；"
              f"冷启动 {statistics.median(cold):.2f} 秒/本")
        print(f"{args.books} 本 PDF：常驻实例共 {sum(warm):.1f} 秒，逐个冷启动共 {sum(cold):.1f} 秒，"
              f"常驻快 {sum(cold) / sum(warm):.1f} 倍")


if __name__ == "__main__":
    main()
