"""Work on many hosts: procrastinate jobs in the PostgreSQL store (no other service to run).

`taizhang worker` runs jobs on any host that mounts the shared workspace (each worker process with
its own warm LibreOffice); `taizhang year-end --queue` defers one job per branch and, when they are
done, makes the college's outputs, the archive and the manifest itself — the same steps as the
single-machine run, so the same files. A job is a branch's year-end documents; it is idempotent
(a retried job skips every document whose inputs are unchanged: the batch's own resume), has a
time limit, retries with back-off, and is locked per branch and year (never run twice at once).
Paths never travel in jobs: each worker uses its own mount of the workspace (`--home`).
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from pipeline.core.issues import PipelineError
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

QUEUE = "taizhang"
BRANCH_TIMEOUT = 1800          # seconds a branch's documents may take before the job is given up
STATES = {"todo": "排队", "doing": "进行中", "succeeded": "完成", "failed": "失败", "cancelled": "取消",
          "aborting": "中止中", "aborted": "已中止"}


def connector_kwargs(url: str) -> dict:
    """psycopg connection arguments from the store's SQLAlchemy URL."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise PipelineError("多机处理（taizhang worker、year-end --queue）需要 PostgreSQL 数据库："
                            "请在 taizhang.toml 的 [store] url 或环境变量 TAIZHANG_DATABASE_URL 中填写 postgresql+psycopg://…")
    kwargs = {"dbname": parsed.database, "user": parsed.username, "password": parsed.password,
              "host": parsed.host or parsed.query.get("host"), "port": parsed.port}
    return {k: v for k, v in kwargs.items() if v is not None}


def make_app(ws: Workspace):
    import procrastinate
    from procrastinate import RetryStrategy
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(kwargs=connector_kwargs(ws.db_url)))

    @app.task(name="year_end_branch", queue=QUEUE, pass_context=True,
              retry=RetryStrategy(max_attempts=3, wait=5, exponential_wait=2))
    def year_end_branch(context, branch: str, year: int, today: str, pdf: bool) -> dict:
        from pipeline.operations.batch import run_branch
        home = context.additional_context["home"]
        started = time.perf_counter()
        run = run_branch(home, branch, year, dt.date.fromisoformat(today), pdf, resume=True)
        if run.failed:
            raise PipelineError("；".join(f"{step}：{why}" for step, why in run.failed))
        return {"branch": branch, "made": sum(len(p) for _, p in run.made), "seconds": round(time.perf_counter() - started, 1)}

    app.year_end_branch = year_end_branch
    return app


def ensure_schema(app) -> None:
    """procrastinate's tables, once per database."""
    with app.open():
        try:
            app.job_manager.list_jobs(queue=QUEUE)
        except Exception:                 # no schema yet
            app.schema_manager.apply_schema()


def run_worker(ws: Workspace, concurrency: int = 1, wait: bool = True) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM finish the job in hand). `concurrency` worker
    processes, each with its own warm LibreOffice (the documents are made by blocking code: not
    threads in one process)."""
    if concurrency > 1:
        _worker_processes(ws, concurrency, wait)
        return
    app = make_app(ws)
    ensure_schema(app)
    app.run_worker(queues=[QUEUE], concurrency=1, wait=wait, additional_context={"home": str(ws.home)},
                   shutdown_graceful_timeout=BRANCH_TIMEOUT, update_heartbeat_interval=5)


def _worker_processes(ws: Workspace, n: int, wait: bool) -> None:
    import signal
    import subprocess
    import sys
    command = [sys.executable, "-m", "cli", "--home", str(ws.home), "worker", "--concurrency", "1"]
    if not wait:
        command.append("--until-empty")
    children = [subprocess.Popen(command) for _ in range(n)]

    def forward(signum, frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    for child in children:
        child.wait()


def defer_year_end(ws: Workspace, year: int, branches: list[str], today: dt.date, pdf: bool) -> list[int]:
    """One job a branch (a branch already queued or running is not queued again)."""
    app = make_app(ws)
    ensure_schema(app)
    ids = []
    with app.open():
        for branch in branches:
            key = f"year-end:{year}:{branch}"
            try:
                ids.append(app.year_end_branch.configure(lock=key, queueing_lock=key).defer(
                    branch=branch, year=year, today=today.isoformat(), pdf=pdf))
            except Exception as exc:      # AlreadyEnqueued: the job is waiting already
                if type(exc).__name__ != "AlreadyEnqueued":
                    raise
                ids += [j.id for j in app.job_manager.list_jobs(queue=QUEUE, queueing_lock=key)]
    return ids


def job_states(ws: Workspace, ids: list[int] | None = None, app=None) -> list:
    """(id, task, lock, status) of the queue's jobs, the given ones or all (`app`: one already made)."""
    if app is None:
        app = make_app(ws)
        ensure_schema(app)
    with app.open():
        jobs = app.job_manager.list_jobs(queue=QUEUE)
    wanted = set(ids) if ids is not None else None
    return [(j.id, j.task_name, j.lock, getattr(j.status, "value", j.status)) for j in jobs
            if wanted is None or j.id in wanted]


def wait_for(ws: Workspace, ids: list[int], progress=None, poll: float = 1.0, stalled_after: float = 30) -> dict[str, int]:
    """Until every job has ended; the count by status. A job whose worker stopped sending its
    heartbeat (killed, host gone) is put back in the queue for another worker."""
    app = make_app(ws)
    while True:
        _requeue_stalled(app, ids, stalled_after)
        counts: dict[str, int] = {}
        for _, _, _, status in job_states(ws, ids, app):
            counts[status] = counts.get(status, 0) + 1
        if progress:
            progress(counts)
        if not counts.get("todo") and not counts.get("doing"):
            return counts
        time.sleep(poll)


def _requeue_stalled(app, ids: list[int], seconds: float) -> None:
    import asyncio

    async def requeue():
        async with app.open_async():
            for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=seconds):
                if job.id in ids:
                    log.warning("任务 %s（%s）的工作进程已失联，重新排队", job.id, job.lock)
                    await app.job_manager.retry_job(job)
    asyncio.run(requeue())


def year_end_queued(ws: Workspace, year: int, *, branches: list[str] | None = None, pdf: bool = True,
                    today: dt.date | None = None, progress=None):
    """The year end through the queue: the branches' documents by the workers, then here the
    college's outputs, the archive and the manifest (the branch documents, unchanged, are skipped)."""
    from pipeline.operations.batch import year_end
    today = today or dt.date.today()
    names = branches or [r["党支部"] for r in ws.store.registry()]
    ids = defer_year_end(ws, year, names, today, pdf)
    counts = wait_for(ws, ids, progress)
    if counts.get("failed"):
        failed = [lock for _, _, lock, status in job_states(ws, ids) if status == "failed"]
        log.warning("失败的任务：%s", "、".join(str(f) for f in failed))
    return year_end(ws, year, branches=branches, pdf=pdf, resume=True, today=today, jobs=1)
