"""Benchmark: Word ingestion per document, and legacy conversion per document.

Word: meeting records (form table and paragraphs, with photos) checked and stored.
Legacy: the same .xls and .doc converted by one warm LibreOffice (UNO) and by a cold
start per file. Figures printed, never asserted.

    .venv/bin/python bench/bench_word.py [--docs 50] [--legacy 10]
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
from pipeline.samples.demo import registry_workbook  # noqa: E402
from pipeline.operations.ingest import ingest  # noqa: E402
from pipeline.samples.college import make_college, make_png  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402
from pipeline.samples.word import paragraph_record, save_document, table_record  # noqa: E402
from tests.conftest import write_book  # noqa: E402

BRANCH = "机电工程学院教工党支部"


def meeting(n: int) -> dict:
    return {"会议类型": "支部委员会" if n % 2 else "主题党日", "日期": dt.datetime(2026, 1 + n % 11, 1 + n % 27, 14, 30),
            "地点": "党员活动室", "主持人": "毛建薇", "记录人": "苏梓轩", "应到人数": 5, "实到人数": 5,
            "议题": f"研究工作（第{n}次）", "会议内容": ["书记传达上级精神。"] * 6, "决议事项": "同意。"}


def word_ingestion(tmp: Path, docs: int) -> None:
    college = make_college(2026)
    ws = Workspace.open(tmp / "ws")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
    paths = []
    for n in range(docs):
        writer = table_record if n % 2 else paragraph_record
        path = tmp / "docs" / f"会议{n:03d}.docx"
        path.parent.mkdir(exist_ok=True)
        save_document(writer(meeting(n), BRANCH, [make_png(640, 480, seed=n)]), path)
        paths.append(path)
    times = []
    for path in paths:
        started = time.perf_counter()
        result = ingest(path, ws)
        times.append(time.perf_counter() - started)
        assert result.status == "accepted", [i.text() for i in result.errors]
    print(f"Word 会议记录入库（{docs} 份，每份 1 张 640×480 照片）：中位数 {statistics.median(times) * 1000:.0f} 毫秒/份，"
          f"最慢 {max(times) * 1000:.0f} 毫秒")


def legacy(tmp: Path, count: int) -> None:
    if find_soffice() is None:
        print("未安装 LibreOffice：跳过旧版格式转换测试")
        return
    xlsx = write_book(tmp / "src" / "花名册.xlsx", "A1", [[1, "张三", "男"]])
    docx_path = tmp / "src" / "会议.docx"
    save_document(table_record(meeting(1), BRANCH), docx_path)
    sources = [convert_cold(xlsx, "xls", tmp / "legacy"),
               convert_cold(convert_cold(docx_path, "odt", tmp / "odt"), "doc", tmp / "legacy")]
    for source in sources:
        cold = []
        for n in range(count):
            started = time.perf_counter()
            convert_cold(source, {".xls": "xlsx", ".doc": "docx"}[source.suffix], tmp / f"cold{n}")
            cold.append(time.perf_counter() - started)
        with Converter(warm=True) as converter:
            started = time.perf_counter()
            converter.convert(source, tmp / "warm-first")
            first = time.perf_counter() - started
            warm = []
            for n in range(count):
                started = time.perf_counter()
                converter.convert(source, tmp / f"warm{n}")
                warm.append(time.perf_counter() - started)
        print(f"{source.suffix} 转换（{count} 次）：冷启动 中位数 {statistics.median(cold):.2f} 秒/份；"
              f"常驻实例 首份 {first:.2f} 秒，之后中位数 {statistics.median(warm):.2f} 秒/份"
              f"（快 {statistics.median(cold) / statistics.median(warm):.1f} 倍）")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--legacy", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        word_ingestion(Path(tmp) / "word", args.docs)
        legacy(Path(tmp) / "legacy", args.legacy)


if __name__ == "__main__":
    main()
