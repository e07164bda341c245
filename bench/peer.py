"""The peer, for comparison only: frictionless-py in an environment of the bench's own (made on
first use from PyPI, outside the repository: ~/.cache/taizhang-bench/peer-venv, or where
TAIZHANG_BENCH_PEER says), never a dependency of the project."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VENV = Path(os.environ.get("TAIZHANG_BENCH_PEER") or Path.home() / ".cache" / "taizhang-bench" / "peer-venv")
REQUIREMENT = "frictionless[excel]>=5.18,<6"

# what a user of frictionless runs: validate a table whose header is its first row, every field a string
VALIDATE = """import sys
from frictionless import Resource, Schema, fields, validate
resource = Resource(path=sys.argv[1])
resource.infer()
schema = Schema(fields=[fields.StringField(name=f.name) for f in resource.schema.fields])
report = validate(sys.argv[1], schema=schema)
print(report.valid, report.stats.get("rows") if hasattr(report, "stats") else "")
"""


def peer_python() -> str | None:
    """The peer environment's python, made if missing; None (and why, on stderr) if it cannot be."""
    python = VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if python.exists():
        return str(python)
    print(f"[bench] 建立对照环境 {VENV}（pip install {REQUIREMENT}）……", file=sys.stderr)
    try:
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", REQUIREMENT], check=True, capture_output=True,
                       timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"[bench] 对照环境未能建立，略过 frictionless：{exc}", file=sys.stderr)
        return None
    return str(python)


def header_first_copy(source: Path, target: Path, header_row: int) -> Path:
    """The same sheet with the rows above the header removed: what frictionless reads."""
    from openpyxl import Workbook, load_workbook
    wb = load_workbook(source, read_only=True, data_only=True)
    out = Workbook()
    sheet = out.active
    for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), 1):
        if n >= header_row:
            sheet.append(["" if v is None else str(v) for v in row])
    out.save(target)
    return target
