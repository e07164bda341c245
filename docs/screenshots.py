"""Render one page of every kind of document taizhang prints, from a demo workspace, to PNG
(docs/screenshots/, linked from the README): `python docs/screenshots.py <demo workspace>`.
Needs poppler-utils (pdftoppm) and, for the 台账总览 page, chromium — both installed by quickstart.sh."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "screenshots"
BRANCH = "机电工程学院教工党支部"
# (png name, pdf glob under outbox/2026, page)
PAGES = (("01-工作记录本-封面", f"{BRANCH}/*工作记录本.pdf", 1), ("02-工作记录本-目录", f"{BRANCH}/*工作记录本.pdf", 2),
         ("03-工作记录本-花名册", f"{BRANCH}/*工作记录本.pdf", 4), ("04-工作记录本-会议记录", f"{BRANCH}/*工作记录本.pdf", 6),
         ("05-党费收缴簿", f"{BRANCH}/*党费收缴簿.pdf", 1), ("06-党费缴纳登记证", f"{BRANCH}/*登记证.pdf", 1),
         ("07-党费收缴情况公示", f"{BRANCH}/*公示.pdf", 1), ("08-述职报告（草稿）", f"{BRANCH}/*述职报告.pdf", 1),
         ("09-问题清单", f"{BRANCH}/*问题清单*.pdf", 1), ("10-月度检查表", f"{BRANCH}/*月度检查表（1—10月）.pdf", 1),
         ("11-年终归档-卷内目录", f"年终归档/*{BRANCH}年终归档.pdf", 2), ("12-年终归档目录", "年终归档/*年终归档目录.pdf", 1))


def main(workspace: Path) -> None:
    HERE.mkdir(exist_ok=True)
    root = workspace / "outbox" / "2026"
    for name, pattern, page in PAGES:
        pdf = next(iter(sorted(root.glob(pattern))), None)
        if pdf is None:
            print("missing", pattern)
            continue
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                        str(HERE / name)], check=True)
        print("written", HERE / f"{name}.png")
    overview = workspace / "outbox" / "总览" / "台账总览.html"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if overview.exists() and chromium:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", "--window-size=1200,2100", "--hide-scrollbars",
                            f"--screenshot={HERE / '13-台账总览.png'}", overview.as_uri()],
                           check=True, capture_output=True)
        print("written", HERE / "13-台账总览.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
