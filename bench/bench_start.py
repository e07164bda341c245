"""Benchmark: whole processes, as a user starts them (issue 15's ratios, side by side in one run).

Prints the median wall time of each command over `--repeat` runs and its ratio to its floor:
`taizhang --help` against `python -c pass`; `taizhang validate` of a 2,000-row roster against a bare
openpyxl read (read-only, values only) and a bare python-calamine read of the same file. Figures are
printed, never asserted.

    .venv/bin/python bench/bench_start.py [--rows 2000] [--repeat 5]
"""
from __future__ import annotations

import argparse
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
    args = parser.parse_args()
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
        roster = big_roster(tmp / "roster.xlsx", college, args.rows)
        (tmp / "floor_openpyxl.py").write_text(OPENPYXL, "utf-8")
        (tmp / "floor_calamine.py").write_text(CALAMINE, "utf-8")
        bare = median([python, "-c", "pass"], args.repeat)
        helped = median([python, cli, "--help"], args.repeat)
        floor = median([python, str(tmp / "floor_openpyxl.py"), str(roster)], args.repeat)
        fast = median([python, str(tmp / "floor_calamine.py"), str(roster)], args.repeat)
        validate = median([python, cli, "--home", str(ws.home), "validate", str(roster),
                           "--branch", college.branches[0].name], args.repeat)
    print(f"{'命令':<34}{'中位数(秒)':>10}{'倍数':>8}")
    print(f"{'python -c pass':<34}{bare:>10.3f}{1:>8.2f}")
    print(f"{'taizhang --help':<34}{helped:>10.3f}{helped / bare:>8.2f}  （对 python -c pass）")
    print(f"{'openpyxl 只读读取（下限）':<30}{floor:>10.3f}{1:>8.2f}")
    print(f"{'calamine 读取（新下限）':<30}{fast:>10.3f}{fast / floor:>8.2f}  （对 openpyxl）")
    print(f"{f'taizhang validate {args.rows} 行花名册':<30}{validate:>10.3f}{validate / floor:>8.2f}  "
          f"（对 openpyxl；对 calamine {validate / fast:.2f}）")


if __name__ == "__main__":
    main()
