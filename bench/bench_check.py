"""Benchmark: a month's inspection (check + per-branch sheets + college workbook) for the 20 demo
branches and for 200 synthetic branches. Figures printed only.

    .venv/bin/python bench/bench_check.py [--branches 200]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.documents.blank import save_workbook  # noqa: E402
from pipeline.documents.monthly import run_check  # noqa: E402
from pipeline.samples.demo import dues_workbook, meeting_workbook, member_workbook, registry_workbook  # noqa: E402
from pipeline.operations.ingest import ingest  # noqa: E402
from pipeline.samples.college import Branch, College, make_college  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402

TODAY = dt.date(2026, 11, 27)


def synthetic(count: int) -> College:
    base = make_college(2026)
    branches = []
    for n in range(count):
        model = base.branches[n % len(base.branches)]
        branches.append(Branch(f"第{n + 1:03d}{model.name}", model.general, model.kind, model.members))
    return College(base.name, 2026, TODAY, branches)


def workspace(tmp: Path, college: College) -> Workspace:
    ws = Workspace.open(tmp)
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
    rng = random.Random(2)
    for k, branch in enumerate(college.branches):
        for maker in (member_workbook, meeting_workbook, dues_workbook):
            ingest(save_workbook(maker(branch, college, rng), tmp / f"{k}-{maker.__name__}.xlsx"), ws)
    return ws


def measure(label: str, ws: Workspace) -> None:
    started = time.perf_counter()
    results, sheets, college = run_check(ws, 2026, 10, today=TODAY)     # the last month ended by TODAY
    elapsed = time.perf_counter() - started
    print(f"{label}：{len(results)} 个支部，{elapsed:.1f} 秒（每支部 {elapsed / len(results) * 1000:.0f} 毫秒，"
          f"含 {len(sheets)} 份检查表和全院汇总表）")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("演示学院", workspace(Path(tmp) / "demo", make_college(2026)))
        measure("合成学院", workspace(Path(tmp) / "big", synthetic(args.branches)))


if __name__ == "__main__":
    main()
