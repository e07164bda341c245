"""The year-end batch on a small workspace (the demo test runs it on the whole college): steps in order,
failures kept apart, resume by input hashes, one inspection a branch-month shared by two documents."""
from __future__ import annotations

import datetime as dt
import json

from pipeline.operations.batch import BRANCH_STEPS, year_end

from .conftest import BRANCH, RECEIVED, write_book

TODAY = dt.date(2026, 3, 20)


def meeting(day: int) -> list:
    return ["支部委员会", dt.date(2026, 3, day), "党员活动室", "张三", "李四", 5, 5, None, None, f"议题{day}"]


def test_a_branch_year_end_then_a_resume_that_makes_nothing(with_roster, tmp_path, monkeypatch):
    from pipeline.operations.ingest import ingest
    ingest(write_book(tmp_path / "会议.xlsx", "B", [meeting(3), meeting(17)]), with_roster, received=RECEIVED)
    from pipeline.checking import monthly
    calls = []
    real = monthly.year_checks
    monkeypatch.setattr(monthly, "year_checks", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)
    (run,) = first.runs
    assert run.failed == [] and [name for name, _ in run.made] == [s.name for s in BRANCH_STEPS]
    assert calls == [BRANCH]                           # the 述职 and the 月度检查表 share one computation
    assert [c.month for c in run.checks] == [1, 2]          # 20 March: March has not ended (§7)
    made = [p for _, paths in run.made for p in paths]
    assert all(p.exists() for p in made) and first.manifest.exists()
    listed = {e["file"] for e in json.loads(first.manifest.read_text("utf-8"))["files"]}
    assert all(any(str(p).endswith(path) for path in listed) for p in made)
    again = year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY, resume=True)
    (rerun,) = again.runs
    assert rerun.made == [] and [name for name, _ in rerun.skipped] == [s.name for s in BRANCH_STEPS]
    assert rerun.duty == run.duty                      # the 述职 summary comes back from the state file
    from pipeline.checking.monthly import checks_to_json
    assert calls == [BRANCH] and checks_to_json(rerun.checks) == checks_to_json(run.checks)   # and the inspections
    year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)   # not a resume: made afresh
    assert calls == [BRANCH, BRANCH]


def test_one_failing_step_does_not_stop_the_others(with_roster, monkeypatch):
    from pipeline.operations import batch
    broken = batch.Step("党费收缴簿", "支部党费收缴簿", lambda *a: 1 / 0)
    monkeypatch.setattr(batch, "BRANCH_STEPS", (batch.BRANCH_STEPS[0], broken, *batch.BRANCH_STEPS[2:]))
    done = year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)
    (run,) = done.runs
    assert run.failed == [("党费收缴簿", "ZeroDivisionError: division by zero")]
    assert len(run.made) == len(batch.BRANCH_STEPS) - 1


def test_a_resume_on_another_mount_of_the_workspace_makes_nothing(with_roster, tmp_path):
    """The state beside a branch's documents names them relative to the workspace: a worker host
    that mounts the shared folder elsewhere (here: the workspace moved to another path) finds them
    made."""
    import shutil

    from pipeline.workspace import Workspace
    first = year_end(with_roster, 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY)
    state = json.loads(next((with_roster.outbox / "2026").rglob(".taizhang-made.json")).read_text("utf-8"))
    assert all(f.startswith("outbox/2026/") for s in state.values() for f in s.get("files", ()))
    with_roster.store.close()
    moved = shutil.move(str(with_roster.home), str(tmp_path / "mounted-elsewhere"))
    again = year_end(Workspace.open(moved), 2026, jobs=1, branches=[BRANCH], pdf=False, today=TODAY, resume=True)
    (run,) = again.runs
    assert run.made == [] and len(run.skipped) == len(BRANCH_STEPS)
    assert len(first.runs[0].made) == len(BRANCH_STEPS)


def test_a_branch_past_its_time_limit_starts_no_more_steps(with_roster, monkeypatch):
    """The queue's branch job has a time limit: steps not begun by then fail as over time (the
    job is then retried with back-off), the ones done stay done."""
    import time as clock

    from pipeline.operations import batch
    calls = []
    first = batch.BRANCH_STEPS[0]
    slow = batch.Step(first.name, first.title, lambda *a: calls.append(1) or first.make(*a))
    monkeypatch.setattr(batch, "BRANCH_STEPS", (slow, *batch.BRANCH_STEPS[1:]))
    ticks = iter([0.0, 100.0])                        # the first step begins in time, then the clock is past
    monkeypatch.setattr(clock, "monotonic", lambda: next(ticks, 100.0))
    run = batch.run_branch(str(with_roster.home), BRANCH, 2026, TODAY, False, False, deadline=50.0)
    assert calls == [1] and [name for name, _ in run.made] == [first.name]
    assert run.failed == [(s.name, batch.OVER_TIME) for s in batch.BRANCH_STEPS[1:]]
