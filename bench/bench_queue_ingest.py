"""Benchmark: ingest throughput through the work queue on a real PostgreSQL server (a throwaway
one, like the tests'): a watcher hands every file to the queue (`watch --queue --queue-above 0`)
and 1, then 2, worker processes check, store and answer them. `--files` demo ledgers (the sample
college's monthly meeting and dues workbooks, each a different file) are dropped at once; the
time is from the drop to the last job done. Also the same files by one watcher alone (no queue).
Figures only.

    .venv/bin/python bench/bench_queue_ingest.py [--files 200] [--workers 1 2]
"""
from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pgserver import Server  # noqa: E402


def workbooks(folder: Path, count: int) -> list[Path]:
    """`count` distinct ledgers of the sample college (meetings and dues, branch by branch)."""
    from pipeline.documents.blank import save_workbook
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import dues_workbook, meeting_workbook
    college = make_college(2026)
    rng = random.Random(11)
    made = []
    while len(made) < count:
        for branch in college.branches:
            for maker in (meeting_workbook, dues_workbook):
                if len(made) < count:
                    made.append(save_workbook(maker(branch, college, rng), folder / f"{len(made):04d}-{maker.__name__}.xlsx"))
    return made


def run(base: Path, url: str, files: list[Path], workers: int, registry: Path) -> float:
    """Seconds from the drop to the last file answered, in a fresh workspace and database."""
    from sqlalchemy import text

    from pipeline.operations.ingest import ingest
    from pipeline.operations.queue import ensure_schema, make_app
    from pipeline.workspace import Workspace
    home = base / f"ws-{workers}"
    home.mkdir()
    (home / "taizhang.toml").write_text(f'[store]\nurl = "{url}"\n', "utf-8")
    ws = Workspace.open(home)
    ws.init()
    ingest(registry, ws)
    cli = [sys.executable, "-m", "cli", "--home", str(home)]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    processes = []
    if workers:
        ensure_schema(make_app(ws))
        processes += [subprocess.Popen([*cli, "worker"], **quiet) for _ in range(workers)]
        processes.append(subprocess.Popen([*cli, "watch", "--delay", "0.3", "--queue", "--queue-above", "0",
                                           "--no-overview", "-q"], **quiet))
    else:
        processes.append(subprocess.Popen([*cli, "watch", "--delay", "0.3", "--no-overview", "-q"], **quiet))
    time.sleep(3)                                         # started and watching
    started = time.perf_counter()
    for path in files:
        shutil.copyfile(path, ws.inbox / f".{path.name}.part")
        (ws.inbox / f".{path.name}.part").rename(ws.inbox / path.name)
    try:
        while True:
            with ws.store.engine.connect() as conn:
                done = conn.execute(text("select count(*) from submissions where receipt_path is not null")).scalar()
            if done >= len(files) + 1:
                return time.perf_counter() - started
            time.sleep(0.1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=120)
        ws.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    from pipeline.documents.blank import save_workbook
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import registry_workbook
    server = Server()
    try:
        with tempfile.TemporaryDirectory(prefix="tz-queue-ingest-") as tmp:
            tmp = Path(tmp)
            (tmp / "files").mkdir()
            files = workbooks(tmp / "files", args.files)
            registry = save_workbook(registry_workbook(make_college(2026)), tmp / "党组织设置表.xlsx")
            print(f"{len(files)} 个台账文件（示例学院的会议记录和党费收缴表），PostgreSQL")
            alone = run(tmp, server.new_database(), files, 0, registry)
            print(f"  监视进程自己处理（不经队列）：{alone:6.1f} 秒，{len(files) / alone:5.1f} 个/秒")
            seconds = {}
            for n in args.workers:
                seconds[n] = run(tmp, server.new_database(), files, n, registry)
                print(f"  交给 {n} 个工作进程：        {seconds[n]:6.1f} 秒，{len(files) / seconds[n]:5.1f} 个/秒")
            if 1 in seconds and len(seconds) > 1:
                best = min(seconds, key=seconds.get)
                print(f"  {best} 个工作进程是 1 个的 {seconds[1] / seconds[best]:.2f} 倍速度")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
