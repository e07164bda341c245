"""Benchmark: whole processes, as a user starts them (issue 15's ratios, side by side in one run).

Prints the median wall time of each command over `--repeat` runs and its ratio to its floor:
`taizhang --help` against `python -c pass`; `taizhang validate` and `taizhang ingest` of a 2,000-row
roster against a bare openpyxl read (read-only, values only) and a bare python-calamine read of the
same file; and the peer, frictionless-py validating a header-first copy with a string schema (in an
environment of the bench's own, see peer.py; `--no-peer` leaves it out). Figures are printed, never
asserted.

    .venv/bin/python bench/bench_start.py [--rows 2000] [--repeat 5] [--no-peer]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

OPENPYXL = ("import sys\nfrom openpyxl import load_workbook\nwb = load_workbook(sys.argv[1], read_only=True, "
            "data_only=True)\nn = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))\n")
CALAMINE = ("import sys\nfrom python_calamine import CalamineWorkbook\nwb = CalamineWorkbook.from_path(sys.argv[1])\n"
            "n = sum(len(wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)\n")


def median(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if done.returncode not in (0, 1):          # 1: validate found errors — a run all the same
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="leave out frictionless (no environment made)")
    args = parser.parse_args()
    whole_process(args.rows, args.repeat, peer=not args.no_peer)


def whole_process(rows: int, repeat: int, peer: bool = True) -> None:
    """The side-by-side table (also printed by bench_ingest.py)."""
    from bench_ingest import big_roster

    from pipeline.documents.blank import save_workbook
    from pipeline.operations.ingest import ingest
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import registry_workbook
    from pipeline.workspace import Workspace
    python, cli = sys.executable, str(ROOT / "cli.py")
    with tempfile.TemporaryDirectory(prefix="tz-bench-") as tmp:
        tmp = Path(tmp)
        ws = Workspace.open(tmp / "ws")
        ws.init()
        college = make_college(2026)
        ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
        ws.store.close()
        roster = big_roster(tmp / "roster.xlsx", college, rows)
        from peer import header_first_copy, peer_python, VALIDATE
        other = peer_python() if peer else None
        if other is not None:
            (tmp / "peer.py").write_text(VALIDATE, "utf-8")
            copy = header_first_copy(roster, tmp / "roster-header-first.xlsx", header_row=3)
            friction = median([other, str(tmp / "peer.py"), str(copy)], repeat)
        (tmp / "floor_openpyxl.py").write_text(OPENPYXL, "utf-8")
        (tmp / "floor_calamine.py").write_text(CALAMINE, "utf-8")
        bare = median([python, "-c", "pass"], repeat)
        helped = median([python, cli, "--help"], repeat)
        floor = median([python, str(tmp / "floor_openpyxl.py"), str(roster)], repeat)
        fast = median([python, str(tmp / "floor_calamine.py"), str(roster)], repeat)
        validate = median([python, cli, "--home", str(ws.home), "validate", str(roster),
                           "--branch", college.branches[0].name], repeat)
        stored = []
        for n in range(repeat):               # a fresh copy of the workspace each time: the same bytes
            home = tmp / f"ingest-{n}"        # twice would be a 重复提交, not an acceptance
            shutil.copytree(ws.home, home)
            stored.append(median([python, cli, "--home", str(home), "ingest", str(roster),
                                  "--branch", college.branches[0].name], 1))
        ingest_time = statistics.median(stored)
    print(f"{'命令':<34}{'中位数(秒)':>10}{'倍数':>8}")
    print(f"{'python -c pass':<34}{bare:>10.3f}{1:>8.2f}")
    print(f"{'taizhang --help':<34}{helped:>10.3f}{helped / bare:>8.2f}  （对 python -c pass）")
    print(f"{'openpyxl 只读读取（下限）':<30}{floor:>10.3f}{1:>8.2f}")
    print(f"{'calamine 读取（新下限）':<30}{fast:>10.3f}{fast / floor:>8.2f}  （对 openpyxl）")
    print(f"{f'taizhang validate {rows} 行花名册':<30}{validate:>10.3f}{validate / floor:>8.2f}  "
          f"（对 openpyxl；对 calamine {validate / fast:.2f}）")
    print(f"{f'taizhang ingest {rows} 行花名册':<30}{ingest_time:>10.3f}{ingest_time / floor:>8.2f}  "
          f"（入库并写回执；对 calamine {ingest_time / fast:.2f}）")
    if peer and other is not None:
        print(f"{'frictionless validate（对照）':<30}{friction:>10.3f}{friction / floor:>8.2f}  "
              f"（表头在第一行的副本，字段均为文本；validate 是它的 {validate / friction:.2f} 倍）")


if __name__ == "__main__":
    main()
