"""Benchmark: the 台账状态 and the 台账总览 pages. Figures printed, never asserted.

1. The demo college (20 branches, a year of ledgers ingested through the pipeline, its ten months
   checked): the status computation, the pages, `taizhang status`.
2. 200 synthetic branches × 12 months: the demo college's store cloned ten times at the SQL level
   (each clone renamed; one 党组织设置表 listing all 200), then the same figures.
3. The watcher's drop→receipt latency with and without the pages regenerated after each burst
   (`watch --overview-delay 1`, so that regenerations really happen while files arrive).

    .venv/bin/python bench/bench_overview.py [--copies 10] [--files 60] [--skip-latency]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.bench_yearend import build  # noqa: E402
from pipeline.checking.schedule import submission_status  # noqa: E402
from pipeline.documents.overview import write_overviews  # noqa: E402
from pipeline.store import ledgers, records, submissions  # noqa: E402

TODAY = dt.date(2026, 11, 27)


def timed(label: str, func, repeat: int = 3):
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(f"  {label}：{best:.2f} 秒（{repeat} 次取最快）")
    return result


def figures(ws, today: dt.date) -> None:
    status = timed("台账状态（submission_status）", lambda: submission_status(ws, 2026, today))
    cells = sum(len(c) for c in status.cells.values())
    print(f"    {len([o for o in status.owners if o.kind == '支部'])} 个党支部，{cells} 个单元格")
    written = timed("总览页面（全院页面和每个支部的页面）", lambda: write_overviews(ws, 2026, today))
    size = written[0].stat().st_size / 1024
    print(f"    全院页面 {size:.0f} KB，支部页面 {len(written) - 1} 个")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--home", str(ws.home), "status", "--json",
                           "--date", today.isoformat()], capture_output=True, text=True)
    print(f"  taizhang status --json（整个进程）：{time.perf_counter() - started:.2f} 秒，"
          f"{len(json.loads(done.stdout)['单位'])} 个单位")


def clone(ws, copies: int) -> None:
    """The store's branches `copies` times over: every submission, ledger and record of a branch
    copied under the name 原名（k）, and one registry listing them all."""
    engine = ws.store.engine
    with engine.begin() as conn:
        subs = conn.execute(select(submissions).where(submissions.c.branch.is_not(None))).mappings().all()
        ledger_rows = conn.execute(select(ledgers).where(ledgers.c.branch.is_not(None))).mappings().all()
        record_rows = conn.execute(select(records).where(records.c.branch.is_not(None))).mappings().all()
        z1 = conn.execute(select(records).where(records.c.item == "Z1")).mappings().all()
        for k in range(2, copies + 1):
            new_sub = {}
            for s in subs:
                values = {c: s[c] for c in s.keys() if c != "id"}
                values.update(branch=f"{s['branch']}（{k}）", claim=None, sha256=f"{s['sha256'][:56]}{k:08d}")
                new_sub[s["id"]] = conn.execute(insert(submissions).values(**values)).inserted_primary_key[0]
            new_ledger = {}
            for row in ledger_rows:
                values = {c: row[c] for c in row.keys() if c not in ("id", "superseded_by")}
                values.update(branch=f"{row['branch']}（{k}）", submission_id=new_sub[row["submission_id"]])
                new_ledger[row["id"]] = conn.execute(insert(ledgers).values(**values)).inserted_primary_key[0]
            batch = []
            for row in record_rows:
                if row["ledger_id"] not in new_ledger:
                    continue
                values = {c: row[c] for c in row.keys() if c not in ("id", "superseded_by")}
                values.update(branch=f"{row['branch']}（{k}）", ledger_id=new_ledger[row["ledger_id"]])
                batch.append(values)
            conn.execute(insert(records), batch)
            extra = []
            for row in z1:
                data = json.loads(row["data"])
                data["党支部"] = f"{data['党支部']}（{k}）"
                values = {c: row[c] for c in row.keys() if c not in ("id", "superseded_by")}
                values.update(data=json.dumps(data, ensure_ascii=False), line=row["line"] + 1000 * k)
                extra.append(values)
            conn.execute(insert(records), extra)


def latency(tmp: Path, files: int) -> None:
    """The demo college's workspace (regenerating its pages takes seconds), one small roster dropped
    every 0.25 s; the pages regenerated whenever the inbox has been quiet for 0.2 s — i.e. all the
    time, the worst case — against not at all."""
    import statistics
    from bench import bench_watch
    results = {}
    for label, extra in (("不更新总览", ["--no-overview"]), ("不断更新总览（静默 0.2 秒即更新）", ["--overview-delay", "0.2"])):
        folder = tmp / ("lat-" + ("off" if extra[0] == "--no-overview" else "on"))
        ws, college = build(folder / "ws", 1)
        print(f"watcher，示例学院的工作区，{label}：")
        results[label] = bench_watch.latency(folder, college, files, 0.5, extra=extra, ws=ws)
    off, on = results.values()
    print(f"  更新总览使放入→回执的中位数延迟变为 {statistics.median(on) / statistics.median(off):.3f} 倍，"
          f"p95 变为 {sorted(on)[int(0.95 * (len(on) - 1))] / sorted(off)[int(0.95 * (len(off) - 1))]:.3f} 倍")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        ws, college = build(tmp / "ws", 1)
        today = dt.date.today()              # the files were received today (the demo's "today" is earlier)
        from pipeline.documents.monthly import run_check
        for month in range(1, 11):           # the trends on the pages show the checks that were run
            run_check(ws, 2026, month, today=today)
        print(f"示例学院（{len(college.branches)} 个党支部，准备 {time.perf_counter() - started:.0f} 秒）：")
        figures(ws, today)
        clone(ws, args.copies)
        print(f"{20 * args.copies} 个党支部 × 12 个月（示例学院的库复制 {args.copies} 份）：")
        figures(ws, today)
        if not args.skip_latency:
            latency(tmp, args.files)


if __name__ == "__main__":
    main()
