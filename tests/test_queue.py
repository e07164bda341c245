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


def _meeting(n: int, bad: bool = False) -> list:
    day = dt.date(2027 if bad else 2026, 1 + n % 10, 1 + n % 27)       # 2027: after the day received
    return ["支部委员会", day, "党员活动室", "张三", "李四", 5, 5, None, None, f"第{n}次支委会议题"]


def test_two_watchers_three_workers_300_files_one_worker_killed(pg_server, college, tmp_path):
    """Two shared folders (inboxes of one workspace), a watcher on each handing every file to the
    queue, three workers; 300 files, 60 of them copies of another inbox's files under other names.
    One worker is SIGKILLed while the queue is busy and a new one started. In the end every file
    lies in exactly one place (archive/ or rejected/), nothing is left in the inboxes or work/,
    each content is accepted once (its copies are 重复提交), every file has one receipt, and every
    job succeeded once."""
    from sqlalchemy import text

    from tests.conftest import write_book
    home = tmp_path / "ws"
    home.mkdir()
    (home / "taizhang.toml").write_text(f'[store]\nurl = "{pg_server.new_database()}"\n'
                                        '[watch]\ninboxes = ["inbox-西校区"]\n', "utf-8")
    ws = Workspace.open(home)
    ws.init()
    ingest(save_workbook(registry_workbook(college), tmp_path / "z1.xlsx"), ws)
    east, west = ws.inboxes()
    west.mkdir()
    from pipeline.operations.queue import ensure_schema, make_app
    ensure_schema(make_app(ws))
    staging = tmp_path / "staging"
    staging.mkdir()
    bad = {n for n in range(150, 240) if n % 8 == 0}                    # rejected, never copied
    made = [write_book(staging / f"会议记录{n:03d}.xlsx", "B", [_meeting(n, n in bad)]) for n in range(240)]
    drops = [(east, p.name, p) for p in made[:150]] + [(west, p.name, p) for p in made[150:]] + \
        [(west, f"副本-{p.name}", p) for p in made[:60]]
    assert len(drops) == 300
    cli = [sys.executable, "-m", "cli", "--home", str(home)]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    engine = ws.store.engine

    def sql(query: str, **params):
        with engine.connect() as conn:
            return conn.execute(text(query), params).all()

    workers = [subprocess.Popen([*cli, "worker", "--stalled-after", "15"], **quiet)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not sql("select id from procrastinate_workers"):
        time.sleep(0.1)
    (first_worker,), = sql("select id from procrastinate_workers")      # the one to be killed
    workers += [subprocess.Popen([*cli, "worker", "--stalled-after", "15"], **quiet) for _ in range(2)]
    watchers = [subprocess.Popen([*cli, "watch", "--delay", "0.3", "--queue", "--queue-above", "0", "--no-overview",
                                  "-q", *(["--inbox", inbox.name] if inbox != ws.inbox else [])], **quiet)
                for inbox in (east, west)]
    def ingest_jobs() -> dict[str, int]:
        return {status: count for status, count in sql("select status, count(*) from procrastinate_jobs "
                                                       "where task_name = 'ingest_claim' group by status")}

    try:
        for inbox, name, source in drops:
            shutil.copyfile(source, inbox / f".{name}.part")
            (inbox / f".{name}.part").rename(inbox / name)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ingest_jobs().get("succeeded", 0) < 60:
            time.sleep(0.2)
        busy = ingest_jobs()
        assert busy.get("todo", 0) + busy.get("doing", 0) > 0, busy      # the queue is busy
        for _ in range(500):                # freeze the first worker until it is caught holding a job
            workers[0].send_signal(signal.SIGSTOP)
            held = sql("select id from procrastinate_jobs where status = 'doing' and worker_id = :w", w=first_worker)
            if held:
                break
            workers[0].send_signal(signal.SIGCONT)
            time.sleep(0.01)
        assert held, "the first worker never held a job"
        workers[0].send_signal(signal.SIGKILL)            # mid-job
        workers[0].wait()
        workers.append(subprocess.Popen([*cli, "worker", "--stalled-after", "15"], **quiet))

        def settled() -> bool:
            jobs = ingest_jobs()
            left = [p for inbox in (east, west) for p in inbox.rglob("*") if p.is_file()]
            claims = [p for p in ws.work.iterdir()] if ws.work.exists() else []
            return sum(jobs.values()) >= 300 and set(jobs) == {"succeeded"} and not left and not claims
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not settled():
            time.sleep(0.5)
        assert settled(), (ingest_jobs(), [p.name for p in ws.work.iterdir()])
    finally:
        for process in watchers + workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in watchers + workers:
            process.wait(timeout=120)
    assert ingest_jobs() == {"succeeded": 300}
    subs = sql("select file_name, sha256, status, stored_path, receipt_path from submissions where file_name <> 'z1.xlsx'")
    (killed_job,), = held
    events = [t for (t,) in sql("select type from procrastinate_events where job_id = :j order by id", j=killed_job)]
    assert [t for t in events if t != "scheduled"] == \
        ["deferred", "started", "deferred_for_retry", "started", "succeeded"], events     # put back once, done once
    assert sorted(s.file_name for s in subs) == sorted(name for _, name, _ in drops)   # each file once
    statuses = {s.file_name: s.status for s in subs}
    for n, path in enumerate(made):
        copies = [statuses[path.name]] + ([statuses[f"副本-{path.name}"]] if n < 60 else [])
        expected = ["rejected"] if n in bad else ["accepted"] + ["duplicate"] * (len(copies) - 1)
        assert sorted(copies) == sorted(expected), (path.name, copies)
    accepted = [s.sha256 for s in subs if s.status == "accepted"]
    assert len(accepted) == len(set(accepted)) == 240 - len(bad)
    stored = [ws.store.resolve(s.stored_path) for s in subs]
    assert all(p.is_file() for p in stored) and len(set(stored)) == 300
    originals = [p for top in (ws.archive, ws.rejected) for p in top.rglob("*.xlsx") if p.name.startswith(("会议", "副本"))
                 and "回执" not in p.name]
    assert sorted(p.resolve() for p in originals) == sorted(p.resolve() for p in stored)   # nothing else, no strays
    assert all(ws.store.resolve(s.receipt_path).is_file() for s in subs)
    page = (ws.outbox / "总览" / "台账总览.html").read_text("utf-8")      # made by a worker, the watchers do not
    assert "机电工程学院教工党支部" in page


def test_a_queued_year_end_interrupted_and_run_again_queues_nothing_twice(college_on_postgres):
    """The caller of `year-end --queue` stopped (Ctrl-C) while its jobs waited; run again, it finds
    them queued (one job a branch and year), waits for them and makes the college's part."""
    import threading

    from pipeline.operations.queue import defer_year_end, job_states, year_end_queued
    ws, names = college_on_postgres
    first = defer_year_end(ws, 2026, names, TODAY, pdf=False)          # then interrupted: no worker yet
    done = {}
    caller = threading.Thread(target=lambda: done.setdefault("run", year_end_queued(
        ws, 2026, branches=names, pdf=False, today=TODAY)))
    caller.start()                                                        # run again
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(job_states(ws)) < len(first):
        time.sleep(0.1)
    time.sleep(1.0)
    assert sorted(j for j, *_ in job_states(ws)) == sorted(first)          # nothing queued twice
    worker = subprocess.Popen([sys.executable, "-m", "cli", "--home", str(ws.home), "worker"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        caller.join(timeout=240)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
    run = done["run"]
    assert not caller.is_alive() and not run.failed and run.manifest.exists()
    assert sorted(s for *_, s in job_states(ws)) == ["succeeded"] * len(names)
    from click.testing import CliRunner

    from cli import main
    shown = CliRunner().invoke(main, ["--home", str(ws.home), "status", "--jobs"])
    assert shown.exit_code == 0 and shown.output.count("完成    年终文书  year-end:2026:") == len(names)
    assert f"共 {len(names)} 个任务（完成 {len(names)}）" in shown.output
