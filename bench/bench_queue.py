"""Benchmark: the year end through the work queue on a real PostgreSQL server (a throwaway one,
started here like the tests' own), with 1 and with 2 worker processes — the scaling ratio on this
machine — for the demo college's store cloned `--copies` times (200 branches by default).
Figures only.

    .venv/bin/python bench/bench_queue.py [--copies 10] [--workers 1 2] [--pdf]
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_overview import clone  # noqa: E402
from bench.bench_yearend import build  # noqa: E402
from tests.pgserver import Server  # noqa: E402

TODAY = dt.date(2026, 11, 27)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    from pipeline.operations.queue import year_end_queued
    from pipeline.workspace import Workspace
    server = Server()
    try:
        with tempfile.TemporaryDirectory(prefix="tz-queue-") as tmp:
            tmp = Path(tmp)
            base = tmp / "base"
            base.mkdir()
            (base / "taizhang.toml").write_text(f'[store]\nurl = "{server.new_database()}"\n', "utf-8")
            started = time.perf_counter()
            ws, college = build(base, 1)
            ws = Workspace.open(base)
            clone(ws, args.copies)
            branches = len(ws.store.registry())
            print(f"{branches} 个党支部（示例学院复制 {args.copies} 份，PostgreSQL；准备 {time.perf_counter() - started:.0f} 秒）；"
                  f"PDF：{'是' if args.pdf else '否'}")
            seconds = {}
            for n in args.workers:
                ws.store.close()
                shutil.rmtree(ws.outbox, ignore_errors=True)
                ws.outbox.mkdir()
                workers = subprocess.Popen([sys.executable, "-m", "cli", "--home", str(ws.home), "worker",
                                            "--concurrency", str(n)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                try:
                    begun = time.perf_counter()
                    branch_done = {}

                    def progress(counts):
                        if not counts.get("todo") and not counts.get("doing") and "t" not in branch_done:
                            branch_done["t"] = time.perf_counter() - begun
                    result = year_end_queued(ws, 2026, pdf=args.pdf, today=TODAY, progress=progress)
                    seconds[n] = time.perf_counter() - begun
                finally:
                    workers.send_signal(signal.SIGTERM)
                    workers.wait(timeout=300)
                made = sum(len(p) for r in result.runs for _, p in r.made)
                print(f"  {n} 个工作进程：共 {seconds[n]:.1f} 秒（各支部任务 {branch_done.get('t', 0):.1f} 秒，"
                      f"其后全院文件和清单 {seconds[n] - branch_done.get('t', 0):.1f} 秒），失败 {len(result.failed)}，"
                      f"本机补做 {made} 个文件")
            if len(seconds) > 1:
                one, two = seconds[min(seconds)], seconds[max(seconds)]
                print(f"  {max(seconds)} 个工作进程比 {min(seconds)} 个快 {one / two:.2f} 倍（本机 2 核）")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
