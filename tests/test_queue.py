"""The year end through the work queue (procrastinate in PostgreSQL): worker processes make the
branches' documents, the caller the college's; the files are the single-machine run's."""
from __future__ import annotations

import datetime as dt
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.documents.blank import save_workbook
from pipeline.operations.ingest import ingest
from pipeline.samples.demo import (dues_workbook, general_workbook, meeting_workbook, member_workbook,
                                   registry_workbook, service_workbook)
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def college_on_postgres(pg_server, college, tmp_path):
    """Three branches' year of ledgers in a PostgreSQL store."""
    home = tmp_path / "ws"
    home.mkdir()
    (home / "taizhang.toml").write_text(f'[store]\nurl = "{pg_server.new_database()}"\n', "utf-8")
    ws = Workspace.open(home)
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp_path / "z1.xlsx"), ws)
    rng = random.Random(5)
    chosen = college.branches[:3]
    for k, branch in enumerate(chosen):
        for maker in (member_workbook, meeting_workbook, dues_workbook, service_workbook, general_workbook):
            result = ingest(save_workbook(maker(branch, college, rng), tmp_path / f"{k}-{maker.__name__}.xlsx"), ws)
            assert result.status == "accepted", [i.text() for i in result.errors][:3]
    return ws, [b.name for b in chosen]


def _manifest(result) -> dict[str, str]:
    import json
    return {e["file"]: e["sha256"] for e in json.loads(result.manifest.read_text("utf-8"))["files"]}


def test_year_end_through_the_queue_makes_the_single_machine_files(college_on_postgres, tmp_path):
    """Three worker processes make the branches' documents; the manifest then lists the same files
    with the same SHA-256 as the single-machine run, and the caller made none of them again."""
    from pipeline.operations.batch import year_end
    from pipeline.operations.queue import job_states, year_end_queued
    ws, names = college_on_postgres
    workers = [subprocess.Popen([sys.executable, "-m", "cli", "--home", str(ws.home), "worker"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(3)]
    try:
        queued = year_end_queued(ws, 2026, branches=names, pdf=False, today=TODAY)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)
    states = job_states(ws)
    assert sorted(s for *_, s in states) == ["succeeded"] * 3 and not queued.failed
    assert all(run.made == [] and len(run.skipped) >= 5 for run in queued.runs)     # the workers made them
    # the same run on one machine, on a copy of the store's files (same database, outputs elsewhere)
    single = tmp_path / "single"
    shutil.copytree(ws.home, single, ignore=shutil.ignore_patterns("outbox"))
    alone = year_end(Workspace.open(single), 2026, branches=names, pdf=False, today=TODAY, jobs=1)
    by_queue = _manifest(queued)
    assert by_queue == _manifest(alone)
    assert len([k for k in by_queue if k.startswith(names[0])]) >= 5


def test_the_queue_needs_postgresql(ws):
    from pipeline.core.issues import PipelineError
    from pipeline.operations.queue import make_app
    with pytest.raises(PipelineError) as refused:
        make_app(ws)
    assert "PostgreSQL" in str(refused.value)


def test_a_worker_killed_mid_job_is_replaced(college_on_postgres):
    """SIGKILL a worker while it holds a branch's job: its heartbeat stops, the job goes back to the
    queue, and the other worker finishes it — once."""
    from pipeline.operations.queue import defer_year_end, job_states, wait_for
    ws, names = college_on_postgres
    ids = defer_year_end(ws, 2026, names[:1], TODAY, pdf=True)
    first = subprocess.Popen([sys.executable, "-m", "cli", "--home", str(ws.home), "worker"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and [s for *_, s in job_states(ws, ids)] != ["doing"]:
        time.sleep(0.2)
    assert [s for *_, s in job_states(ws, ids)] == ["doing"]
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = subprocess.Popen([sys.executable, "-m", "cli", "--home", str(ws.home), "worker"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        counts = wait_for(ws, ids, poll=0.5, stalled_after=3)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=120)
    assert counts == {"succeeded": 1}
