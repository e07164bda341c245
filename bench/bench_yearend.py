"""Benchmark: the year-end batch on scaled data. ×1 is the demo college (20 branches, ~420
members, a year of ledgers); ×N gives every branch N times the members. Prints wall time,
documents per second, peak memory and the speed-up of --jobs 2 over --jobs 1. Figures only.

    .venv/bin/python bench/bench_yearend.py [--scale 1] [--pdf] [--jobs 1 2]
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.operations.batch import year_end  # noqa: E402
from pipeline.documents.blank import save_workbook  # noqa: E402
from pipeline.samples.demo import (dues_workbook, general_workbook, meeting_workbook, member_workbook,  # noqa: E402
                           registry_workbook, service_workbook)
from pipeline.operations.ingest import ingest  # noqa: E402
from pipeline.samples.college import make_college  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402


def build(tmp: Path, scale: int) -> tuple[Workspace, object]:
    college = make_college(2026, scale=scale)
    ws = Workspace.open(tmp)
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
    rng = random.Random(5)
    for k, branch in enumerate(college.branches):
        for maker in (member_workbook, meeting_workbook, dues_workbook, service_workbook, general_workbook):
            ingest(save_workbook(maker(branch, college, rng), tmp / f"{k}-{maker.__name__}.xlsx"), ws)
    ws.store.close()
    return ws, college


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--pdf", action="store_true")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws, college = build(Path(tmp) / "ws", args.scale)
        print(f"×{args.scale}：{len(college.branches)} 个党支部，{college.members} 名党员；PDF：{'是' if args.pdf else '否'}")
        times = {}
        for jobs in args.jobs:
            started = time.perf_counter()
            result = year_end(ws, 2026, jobs=jobs, pdf=args.pdf, today=college.today)
            elapsed = time.perf_counter() - started
            documents = sum(len(p) for r in result.runs for _, p in r.made) + len(result.college)
            peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                       resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
            times[jobs] = elapsed
            print(f"  --jobs {jobs}：{elapsed:.1f} 秒，{documents} 个文件，{documents / elapsed:.1f} 个/秒，"
                  f"单进程内存峰值约 {peak:.0f} MB，失败 {len(result.failed)}")
        if 1 in times and 2 in times:
            print(f"  --jobs 2 比 --jobs 1 快 {times[1] / times[2]:.2f} 倍")


if __name__ == "__main__":
    main()
