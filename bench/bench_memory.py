"""Benchmark: peak memory (max RSS) of whole `taizhang validate` and `taizhang ingest` processes on a
big roster (default 30,000 rows), read with python-calamine (the default) and with openpyxl
(`TAIZHANG_READER=openpyxl`, the reader before python-calamine came). Figures only.

    .venv/bin/python bench/bench_memory.py [--rows 30000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# the child's own peak, from a wrapper that only waits for it
PEAK = ("import resource, subprocess, sys\nsubprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def peak(command: list[str], reader: str) -> tuple[float, float]:
    """(MB at peak, seconds) of one run of `command` with the given reader."""
    env = dict(os.environ, TAIZHANG_READER=reader)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, env=env, check=True)
    return int(done.stdout.strip()) / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=30000)
    args = parser.parse_args()
    from bench_ingest import big_roster

    from pipeline.documents.blank import save_workbook
    from pipeline.operations.ingest import ingest
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import registry_workbook
    from pipeline.workspace import Workspace
    with tempfile.TemporaryDirectory(prefix="tz-mem-") as tmp:
        tmp = Path(tmp)
        college = make_college(2026)
        ws = Workspace.open(tmp / "ws")
        ws.init()
        ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
        ws.store.close()
        started = time.perf_counter()
        roster = big_roster(tmp / "roster.xlsx", college, args.rows)
        print(f"{args.rows} 行花名册（{roster.stat().st_size / 2**20:.1f} MB，生成 {time.perf_counter() - started:.0f} 秒）")
        branch = college.branches[0].name
        cli = [sys.executable, str(ROOT / "cli.py")]
        for command in ("validate", "ingest"):
            figures = {}
            for reader in ("openpyxl", "calamine"):
                home = tmp / f"{command}-{reader}"
                shutil.copytree(ws.home, home)
                figures[reader] = peak([*cli, "--home", str(home), command, str(roster), "--branch", branch], reader)
            (old_mb, old_s), (new_mb, new_s) = figures["openpyxl"], figures["calamine"]
            print(f"  taizhang {command}：openpyxl 读取 峰值 {old_mb:.0f} MB、{old_s:.1f} 秒；"
                  f"calamine 读取 峰值 {new_mb:.0f} MB、{new_s:.1f} 秒 —— 内存为前者的 {new_mb / old_mb:.0%}")


if __name__ == "__main__":
    main()
