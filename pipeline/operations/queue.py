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
import functools
import logging
import time

from pipeline.core.issues import PipelineError
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

QUEUE = "taizhang"
BRANCH_TIMEOUT = 1800          # seconds a branch's documents may take before the job is given up
TASKS = {"year_end_branch": "年终文书", "ingest_claim": "收件处理"}
STATES = {"todo": "排队", "doing": "进行中", "succeeded": "完成", "failed": "失败", "cancelled": "取消",
          "aborting": "中止中", "aborted": "已中止"}


def connector_kwargs(url: str) -> dict:
    """psycopg connection arguments from the store's SQLAlchemy URL."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise PipelineError("多机处理（taizhang worker、watch --queue、year-end --queue）需要 PostgreSQL 数据库："
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
        run = run_branch(home, branch, year, dt.date.fromisoformat(today), pdf, resume=True,
                         deadline=time.monotonic() + BRANCH_TIMEOUT)
        if run.failed:
            raise PipelineError("；".join(f"{step}：{why}" for step, why in run.failed))
        return {"branch": branch, "made": sum(len(p) for _, p in run.made), "seconds": round(time.perf_counter() - started, 1)}

    @app.task(name="ingest_claim", queue=QUEUE, pass_context=True,
              retry=RetryStrategy(max_attempts=5, wait=2, exponential_wait=2))
    def ingest_claim(context, token: str) -> dict:
        """A file a watcher claimed and handed over: checked, stored (once: one submission per
        claim), archived or rejected, answered with its receipt — the watcher's own path."""
        from pipeline.operations.claims import claim_root, reopen_claim
        from pipeline.operations.ingest import finish_claim
        ws = _open_workspace(context.additional_context["home"])
        root = claim_root(ws)
        waited = time.monotonic() + CLAIM_WAIT
        while (claim := reopen_claim(root, token, ws.inbox)) is None:
            if not (root / token).is_dir():
                return {"token": token, "status": "finished elsewhere"}
            if time.monotonic() > waited:        # a live process holds it still: the job is retried later
                raise PipelineError(f"领取 {token} 正由另一进程处理")
            time.sleep(0.5)                      # the watcher letting it go, or recovery glancing at it
        try:
            result = finish_claim(claim, ws)
        finally:
            claim.close()
        if result is not None and _last_ingest(ws):
            from pipeline.documents.overview import refresh
            refresh(ws)     # the last of a burst (of whatever verdict: the others may have come before)
        return {"token": token, "file": result.file if result else None, "status": result.status if result else "empty"}

    app.year_end_branch = year_end_branch
    app.ingest_claim = ingest_claim
    return app


def _last_ingest(ws: Workspace) -> bool:
    """No other file waits in the queue (the pages are regenerated once a burst, not once a file)."""
    from sqlalchemy import text
    try:
        with ws.store.engine.connect() as conn:
            waiting = conn.execute(text("select count(*) from procrastinate_jobs where queue_name = :q and "
                                        "task_name = 'ingest_claim' and status = 'todo'"), {"q": QUEUE}).scalar()
    except Exception as exc:                # the pages can wait for the next file
        log.info("未能查看队列（%s），台账总览留待下一个文件后更新", exc)
        return False
    return not waiting


@functools.lru_cache(maxsize=8)
def _open_workspace(home: str) -> Workspace:
    """A worker process's workspace, opened once (its store's connections kept)."""
    return Workspace.open(home)


class Handoff:
    """The watcher's side of the queue: which claimed files go to the workers — files that need
    LibreOffice (.doc .wps .xls .et) and files of at least `above_mb` (0: every file) — and their
    jobs (one per claim: keyed by its token, never queued or run twice)."""

    def __init__(self, ws: Workspace, above_mb: float):
        self.app = make_app(ws)
        ensure_schema(self.app)
        self.app.open()
        self.above = above_mb * 2**20

    def wants(self, path) -> bool:
        from pipeline.reading.excel import LEGACY_SUFFIXES
        try:
            return path.suffix.lower() in LEGACY_SUFFIXES or path.stat().st_size >= self.above
        except OSError:
            return False

    def defer(self, token: str) -> int:
        key = f"ingest:{token}"
        return self.app.ingest_claim.configure(lock=key, queueing_lock=key).defer(token=token)

    def close(self) -> None:
        self.app.close()


def ensure_schema(app) -> None:
    """procrastinate's tables, once per database (of processes starting together on a new
    database, one makes them; the others find them made)."""
    with app.open():
        try:
            app.job_manager.list_jobs(queue=QUEUE)
        except Exception:                 # no schema yet
            try:
                app.schema_manager.apply_schema()
            except Exception:
                time.sleep(1.0)
                app.job_manager.list_jobs(queue=QUEUE)    # made meanwhile by another process, or the error


STALLED_AFTER = 30.0           # seconds without a heartbeat (sent every 5) before a job is given to another worker
HEARTBEAT = 5.0
CLAIM_WAIT = 60.0              # seconds a job waits for a claim another process holds before it is retried


def run_worker(ws: Workspace, concurrency: int = 1, wait: bool = True, stalled_after: float = STALLED_AFTER) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM finish the job in hand). `concurrency` worker
    processes, each with its own warm LibreOffice (the documents are made by blocking code: not
    threads in one process). Every worker also puts back in the queue the jobs of workers whose
    heartbeat stopped (a host that died, a process killed) — at its start and then every few
    seconds."""
    if concurrency > 1:
        _worker_processes(ws, concurrency, wait, stalled_after)
        return
    import threading
    app = make_app(ws)
    ensure_schema(app)
    stop = threading.Event()
    watchdog = threading.Thread(target=_requeue_stalled_every, args=(ws, stalled_after, stop), daemon=True)
    watchdog.start()
    try:
        app.run_worker(queues=[QUEUE], concurrency=1, wait=wait, additional_context={"home": str(ws.home)},
                       shutdown_graceful_timeout=BRANCH_TIMEOUT, update_heartbeat_interval=HEARTBEAT,
                       stalled_worker_timeout=stalled_after)
    finally:
        stop.set()


def _requeue_stalled_every(ws: Workspace, stalled_after: float, stop) -> None:
    app = make_app(ws)
    while not stop.is_set():
        try:
            requeue_stalled(ws, app, stalled_after)
        except Exception as exc:          # the database away a moment: the next round tries again
            log.warning("检查失联任务失败：%s", exc)
        stop.wait(min(10.0, max(1.0, stalled_after / 3)))


SWEEP_LOCK = 7412027           # PostgreSQL advisory lock: one process at a time puts stalled jobs back


def requeue_stalled(ws: Workspace, app, seconds: float, ids=None) -> list[int]:
    """Jobs (of `ids`, or all) whose worker's heartbeat is older than `seconds`: back to the queue.
    One process at a time (an advisory lock; the others skip the round): two that listed the same
    stalled job would put it back twice — the second time while a live worker runs it."""
    from sqlalchemy import text
    with ws.store.engine.connect() as conn:
        held = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": SWEEP_LOCK}).scalar()
        conn.commit()                      # a session lock: no transaction left open meanwhile
        if not held:
            return []
        try:
            return _requeue(app, seconds, ids)
        finally:
            conn.execute(text("select pg_advisory_unlock(:k)"), {"k": SWEEP_LOCK})
            conn.commit()


def _requeue(app, seconds: float, ids) -> list[int]:
    import asyncio

    async def requeue():
        done = []
        async with app.open_async():
            for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=seconds):
                if ids is None or job.id in ids:
                    try:
                        await app.job_manager.retry_job(job)
                    except Exception as exc:      # finished meanwhile by its worker after all
                        log.info("任务 %s 未重新排队：%s", job.id, exc)
                        continue
                    log.warning("任务 %s（%s）的工作进程已失联，已重新排队", job.id, job.lock)
                    done.append(job.id)
        return done
    return asyncio.run(requeue())


def _worker_processes(ws: Workspace, n: int, wait: bool, stalled_after: float) -> None:
    import signal
    import subprocess
    import sys
    command = [sys.executable, "-m", "cli", "--home", str(ws.home), "worker", "--concurrency", "1",
               "--stalled-after", str(stalled_after)]
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
        requeue_stalled(ws, app, stalled_after, set(ids))
        counts: dict[str, int] = {}
        for _, _, _, status in job_states(ws, ids, app):
            counts[status] = counts.get(status, 0) + 1
        if progress:
            progress(counts)
        if not counts.get("todo") and not counts.get("doing"):
            return counts
        time.sleep(poll)


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
