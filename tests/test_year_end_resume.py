"""The year end killed part-way and resumed — on the sample college's ledgers, ingested directly
(a module of its own, so that it runs beside the full demo rather than after it)."""
import random

import pytest


@pytest.fixture(scope="module")
def college_data(tmp_path_factory):
    """A workspace holding the sample college's year of Excel ledgers (no documents made yet)."""
    from pipeline.documents.blank import save_workbook
    from pipeline.operations.ingest import ingest
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import (dues_workbook, general_workbook, meeting_workbook, member_workbook,
                                       registry_workbook, service_workbook)
    from pipeline.workspace import Workspace
    tmp = tmp_path_factory.mktemp("college")
    college = make_college(2026)
    ws = Workspace.open(tmp / "ws")
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp / "z1.xlsx"), ws)
    rng = random.Random(5)
    for k, branch in enumerate(college.branches):
        for maker in (member_workbook, meeting_workbook, dues_workbook, service_workbook, general_workbook):
            result = ingest(save_workbook(maker(branch, college, rng), tmp / f"{k}-{maker.__name__}.xlsx"), ws)
            assert result.status == "accepted", [i.text() for i in result.errors][:3]
    ws.store.close()
    return ws.home


def test_year_end_resumes_after_being_killed(college_data, tmp_path):
    import shutil
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path
    work = tmp_path / "ws"
    shutil.copytree(college_data, work, ignore=shutil.ignore_patterns("outbox"))
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(root / "cli.py"), "--home", str(work), "year-end", "--year", "2026", "--no-pdf",
               "--jobs", "1", "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    states = lambda: list((work / "outbox" / "2026").glob("*/.taizhang-made.json"))  # noqa: E731
    deadline = time.monotonic() + 120
    while len(states()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before = len(states())
    assert 0 < finished_before < 20
    done = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    skipped = int(done.stdout.split("未变而跳过 ")[1].split(" ")[0])
    assert skipped >= (finished_before - 1) * 5           # finished branches were not redone
    assert len(states()) == 20
    check = subprocess.run([sys.executable, str(root / "cli.py"), "verify-archive", str(work / "outbox" / "2026")],
                           capture_output=True, text=True)
    assert check.returncode == 0
