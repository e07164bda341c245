"""Benchmark: 《支部党费收缴簿》 + 《个人党费缴纳登记证》 for one ~50-member branch and for all 20
branches of the demo college. Figures printed only.

    .venv/bin/python bench/bench_dues.py
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.documents.blank import save_workbook  # noqa: E402
from pipeline.samples.demo import dues_workbook, member_workbook, registry_workbook  # noqa: E402
from pipeline.documents.dues import dues_cards, dues_register  # noqa: E402
from pipeline.operations.ingest import ingest  # noqa: E402
from pipeline.samples.college import make_college  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402

TODAY = dt.date(2026, 11, 27)


def college_workspace(tmp: Path, scale: int):
    college = make_college(2026, scale=scale)
    ws = Workspace.open(tmp / f"ws{scale}")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / f"z{scale}.xlsx"), ws, folder_branch=None)
    rng = random.Random(1)
    for branch in college.branches:
        for maker in (member_workbook, dues_workbook):
            path = save_workbook(maker(branch, college, rng), tmp / f"{scale}-{branch.name}-{maker.__name__}.xlsx")
            ingest(path, ws)
    return ws, college


def timed(ws, branches) -> tuple[float, float]:
    started = time.perf_counter()
    for branch in branches:
        dues_register(ws, branch.name, 2026, TODAY)
    register = time.perf_counter() - started
    started = time.perf_counter()
    for branch in branches:
        dues_cards(ws, branch.name, 2026, today=TODAY)
    return register, time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, college = college_workspace(Path(tmp), scale=2)
        big = min(college.branches, key=lambda b: abs(len(b.members) - 50))
        register, cards = timed(ws, [big])
        print(f"一个 {len(big.members)} 人的支部：收缴簿 {register:.2f} 秒，登记证 {cards:.2f} 秒")
        ws, college = college_workspace(Path(tmp), scale=1)
        register, cards = timed(ws, college.branches)
        print(f"演示学院 20 个支部（{college.members} 人）：收缴簿共 {register:.1f} 秒，登记证共 {cards:.1f} 秒，"
              f"合计 {register + cards:.1f} 秒")


if __name__ == "__main__":
    main()
