"""The inbox watcher: filter, wait until stable, claim, hand over to `ingest`, never die.

The watcher only watches (the paperless habit): watchdog events (or polling on network
shares) and a periodic full rescan feed a table of pending paths; a path is claimed
only when its size and mtime have not changed and no event has come for `delay`
seconds. Claiming is an atomic move into a work folder on the same file system, into a
directory named by a claim token that is committed with the submission — so after a
crash, `recover` knows for each claimed file whether it was stored (finish the move and
the receipts) or not (process it again). Nothing is ever deleted.
"""
from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from pipeline.operations.claims import IGNORED_DIRS, Claim, claim_moved, claim_root, is_ignored
from pipeline.core.files import local_writers, sweep_temp_files
from pipeline.operations.ingest import Interrupted, Result, ingest_claim, recover
from pipeline.core.issues import PipelineError
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_DELAY = 2.0
RELEASE_EVERY = 50              # files between two returns of freed memory to the system (a full gc costs)
BIG_FILE = 256 * 1024           # … and after every file this big (a big roster's rows)
DEFAULT_RESCAN = 300.0
NETWORK_FS = {"cifs", "smb", "smb2", "smb3", "smbfs", "nfs", "nfs4", "9p", "afs", "davfs", "fuse", "sshfs",
              "ceph", "glusterfs", "lustre", "vboxsf", "vmhgfs", "prl_fs", "gpfs", "beegfs"}
def network_fs_type(path: Path, mounts_text: str | None = None) -> str | None:
    """The file system type if `path` lies on a network (or FUSE) mount, else None."""
    path = Path(os.path.abspath(path))
    if os.name == "nt":
        return _windows_remote(path)
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best, best_type = "", None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        if (str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, best_type = mount, fields[2]
    if best_type and (best_type in NETWORK_FS or best_type.startswith("fuse")):
        return best_type
    return None


def _windows_remote(path: Path) -> str | None:   # pragma: no cover - exercised on Windows servers
    text = str(path)
    if text.startswith("\\\\"):
        return "unc"
    import ctypes
    drive = os.path.splitdrive(text)[0] + "\\"
    return "remote" if ctypes.windll.kernel32.GetDriveTypeW(drive) == 4 else None


class LockHeld(PipelineError):
    pass


class WorkspaceLock:
    """One watcher per workspace. The OS lock is held on the workspace folder itself (POSIX) —
    nothing a tidy-minded colleague would delete; `taizhang.lock` only says who holds it. On
    Windows the lock is on that file, which cannot be deleted while it is open. The kernel
    releases either when the process dies, however it dies."""

    def __init__(self, path: Path, folder: Path | None = None):
        self.path = path
        self.folder = folder or path.parent      # what is locked (POSIX)
        self.fd = -1

    def __enter__(self):
        if os.name == "nt":   # pragma: no cover - exercised on Windows servers
            import msvcrt
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            locker = lambda fd: msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)   # noqa: E731
        else:
            import fcntl
            self.fd = os.open(self.folder, os.O_RDONLY)
            locker = lambda fd: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # noqa: E731
        try:
            locker(self.fd)
        except OSError:
            os.close(self.fd)
            self.fd = -1
            raise LockHeld(f"另一个 taizhang watch 正在处理该工作区（{self.holder() or '进程信息未知'}），本进程退出") from None
        text = f"pid {os.getpid()} since {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n"
        text += "（仅供查看：锁由运行中的进程持有，删除本文件不会解除，也无需删除）\n"
        if os.name == "nt":   # pragma: no cover
            os.lseek(self.fd, 0, os.SEEK_SET)
            os.write(self.fd, text.encode("utf-8"))
        else:
            from pipeline.core.files import write_atomic
            write_atomic(self.path, text.encode("utf-8"))
        return self

    def holder(self) -> str:
        try:
            return self.path.read_text("utf-8", errors="replace").splitlines()[0].strip()
        except (OSError, IndexError):
            return ""

    def __exit__(self, *exc):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


ID_FILE = ".taizhang-id"


def workspace_id(ws: Workspace) -> str:
    """The workspace's identity, the same on every host that mounts it wherever it mounts it: a
    random id written once into the workspace (the first writer wins; the others read it)."""
    import uuid
    path = ws.home / ID_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        for _ in range(50):                 # written by another process this very moment
            text = path.read_text("ascii", errors="replace").strip()
            if text:
                return text
            time.sleep(0.02)
        raise PipelineError(f"工作区标识文件 {path} 是空的：请删除它后重新启动")
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(uuid.uuid4().hex + "\n")
    return path.read_text("ascii").strip()


class InboxLock:
    """The file lock on the workspace, and — where the store is PostgreSQL, shared by several hosts
    that may mount the same inbox — the database's advisory lock keyed by the inbox too."""

    def __init__(self, ws: Workspace, inbox: Path | None = None):
        self.ws = ws
        inbox = inbox or ws.inbox
        if inbox == ws.inbox:
            self.file, self.key = WorkspaceLock(ws.home / "taizhang.lock"), ""
        else:                               # another inbox of the workspace: a lock of its own
            self.key = ":" + Path(os.path.relpath(inbox, ws.home)).as_posix()
            self.file = WorkspaceLock(ws.home / f"taizhang-{inbox.name}.lock", inbox)
        self.held = None

    def __enter__(self):
        self.file.__enter__()
        try:
            self.held = self.ws.store.inbox_lock(f"inbox:{workspace_id(self.ws)}{self.key}")
        except BaseException:
            self.file.__exit__(None, None, None)
            raise
        if self.held is None:
            self.file.__exit__(None, None, None)
            raise LockHeld("另一台主机上的 taizhang watch 正在处理这个收件箱（数据库中的收件箱锁），本进程退出")
        return self

    def __exit__(self, *exc):
        if self.held is not None:
            self.held.release()
            self.held = None
        self.file.__exit__(*exc)


@dataclass
class Pending:
    size: int = -1
    mtime: int = -1
    changed: float = 0.0          # when size/mtime last changed or an event came
    retry_at: float = 0.0         # back-off after a failed claim (file still open, disk full)
    failures: int = 0


class Stability:
    """Which pending paths have been quiet (same size and mtime, no event) for `delay` seconds."""

    def __init__(self, delay: float):
        self.delay = delay
        self.pending: dict[Path, Pending] = {}
        self.lock = threading.Lock()

    def touch(self, path: Path, now: float) -> None:
        with self.lock:
            entry = self.pending.setdefault(path, Pending())
            entry.changed = now

    def forget(self, path: Path) -> None:
        with self.lock:
            self.pending.pop(path, None)

    def backoff(self, path: Path, now: float) -> None:
        with self.lock:
            entry = self.pending.get(path)
            if entry:
                entry.failures += 1
                entry.retry_at = now + min(5 * 2 ** entry.failures, 600)

    def ready(self, now: float) -> list[Path]:
        """Paths stable for `delay`; vanished paths are dropped. Oldest first. Links are not followed."""
        with self.lock:
            items = list(self.pending.items())
        ready = []
        for path, entry in items:
            try:
                st = os.lstat(path)
            except OSError:
                self.forget(path)
                continue
            if (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime):
                entry.size, entry.mtime, entry.changed = st.st_size, st.st_mtime_ns, max(entry.changed, now)
                continue
            if now - entry.changed >= self.delay and now >= entry.retry_at:
                ready.append((entry.changed, path))
        return [p for _, p in sorted(ready)]


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: "Watcher"):
        self.watcher = watcher

    def on_created(self, event):
        if not event.is_directory:
            self.watcher.notice(Path(event.src_path))
        else:
            self.watcher.rescan_soon()

    on_modified = on_created
    on_closed = on_created

    def on_moved(self, event):   # Office/WPS: save to a temp name, rename to the real one
        if not event.is_directory:
            self.watcher.notice(Path(event.dest_path))
        else:
            self.watcher.rescan_soon()


class Refresher:
    """Regenerates the 台账总览 pages in a thread of their own after a burst of files: `delay`
    seconds after the last file of the burst, and at least every `longest` seconds while files keep
    coming — so ingest never waits for the pages, and the pages are never far behind."""

    def __init__(self, ws: Workspace, today: Callable[[], dt.date], delay: float = 10.0, longest: float = 300.0,
                 separate: bool = False):
        self.ws, self.today, self.delay, self.longest = ws, today, delay, longest
        self.separate = separate                # regenerate in a process of its own, at a lower priority
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._first: float | None = None       # when the burst began (None: nothing to do)
        self._last = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.runs = 0

    @property
    def pending(self) -> bool:
        return self._first is not None

    def touch(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._first is None:
                self._first = now
            self._last = now
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="taizhang-overview", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(timeout=1.0)
            with self._lock:
                first, last = self._first, self._last
                if first is None:
                    self._wake.clear()
                    continue
            now = time.monotonic()
            if now - last >= self.delay or now - first >= self.longest:
                self.flush(separate=self.separate)
            else:
                time.sleep(min(0.5, self.delay / 4))

    def flush(self, separate: bool = False) -> None:
        """Regenerate now if anything came since the last time — here, or (`separate`) in a child
        process on the other core, so that the watcher's own thread never shares its interpreter."""
        with self._lock:
            if self._first is None:
                return
            self._first = None
            self._wake.clear()
        started = time.perf_counter()
        if separate:
            done = _overview_process(self.ws, self.today())
        else:
            from pipeline.documents.overview import refresh
            done = refresh(self.ws, self.today()) is not None
        if done:
            self.runs += 1
            log.info("台账总览已更新（%.1f 秒）", time.perf_counter() - started)

    def stop(self) -> None:
        """Stop the thread; what is still pending is written before returning."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        self.flush()


@dataclass
class Watcher:
    ws: Workspace
    delay: float = DEFAULT_DELAY
    polling: float | None = None        # seconds between polls; None → native events
    rescan: float = DEFAULT_RESCAN
    stop: threading.Event = field(default_factory=threading.Event)
    on_result: Callable[[Result], None] | None = None
    clock: Callable[[], dt.datetime] | None = None   # when a file counts as received (default: now)
    overview: bool = True                # regenerate the 台账总览 pages after a burst of files
    overview_delay: float = 10.0
    inbox: Path | None = None            # one of the workspace's inboxes (default: inbox/)
    handoff: object | None = None        # queue.Handoff: big and legacy files go to the workers

    def __post_init__(self):
        self.inbox = self.inbox or self.ws.inbox
        self.stability = Stability(self.delay)
        self.next_rescan = 0.0
        self.claim_root = claim_root(self.ws)
        self.counts: Counter = Counter()     # the only per-run state: no result is kept
        self._since_release = 0
        self.refresher = Refresher(self.ws, self._today, self.overview_delay, separate=True) if self.overview else None

    def _today(self) -> dt.date:
        return self.clock().date() if self.clock is not None else dt.date.today()

    # --- finding files -------------------------------------------------------------

    def notice(self, path: Path) -> None:
        if not is_ignored(path, self.inbox):
            self.stability.touch(path, time.monotonic())

    def rescan_soon(self) -> None:
        self.next_rescan = 0.0

    def scan(self) -> None:
        """The safety net: every entry in the inbox, whatever events were missed. A link to a
        folder is an entry too (it is never followed)."""
        for root, dirs, files in os.walk(self.inbox):
            root_path = Path(root)
            links = [d for d in dirs if os.path.islink(root_path / d)]
            dirs[:] = [d for d in dirs if d not in links and not (d.startswith((".", "~")) or d.lower() in IGNORED_DIRS)]
            for name in files + links:
                path = root_path / name
                if not is_ignored(path, self.inbox) and path not in self.stability.pending:
                    self.stability.touch(path, time.monotonic())

    # --- claiming and processing ----------------------------------------------------

    def settle(self, path: Path, signature: tuple | None = None, since: float | None = None) -> None:
        """After the claim, wait until the file is quiet: no writer on this machine holds it open
        (a Samba server's counts), and size and mtime stay as they were for `delay` seconds since
        `since` (the claim). A copy that stalled longer than the delay and then went on — into the
        claimed file — is waited for, not judged half-written."""
        said = False
        since = time.monotonic() if since is None else since
        while not self.stop.is_set():
            now = time.monotonic()
            current = _signature(path)
            if current != signature or local_writers(path):
                if signature is not None and not said:
                    log.info("%s 领取后仍在写入，等待写完", path.name)
                    said = True
                signature, since = current, now
            elif now - since >= self.delay:
                return
            time.sleep(min(0.2, self.delay / 4 or 0.05))
        raise Interrupted(f"停止时 {path.name} 仍在等待写完，留待下次启动处理")

    def process(self, claim: Claim, signature: tuple | None = None, since: float | None = None) -> Result:
        try:
            result = ingest_claim(claim, self.ws, settle=lambda path: self.settle(path, signature, since))
        finally:
            claim.close()
        self._log(result)
        return result

    def recover(self) -> list[Result]:
        """Finish what a killed process left in the work folder (never a live process's claim)."""
        done = recover(self.ws, settle=self.settle)
        for result in done:
            self._log(result)
        return done

    def _log(self, result: Result) -> None:
        status = {"accepted": "通过", "rejected": "未通过", "duplicate": "重复"}[result.status]
        errors = len(result.errors)
        log.info("%s  支部=%s  台账=%s  %s  错误%d 提示%d", result.file, result.branch or "—",
                 ",".join(result.items) or "—", status, errors, len(result.issues) - errors)
        self.counts[result.status] += 1
        if self.refresher is not None and result.status in ("accepted", "rejected"):
            self.refresher.touch()
        if self.on_result is not None:
            self.on_result(result)

    def handle_ready(self, batch: int = 500) -> int:
        """Claim what is ready (a batch at once, so that the quiet period after the claim is waited
        for once, not once per file), then process each claim in turn."""
        claimed = []
        for path in self.stability.ready(time.monotonic())[:batch]:
            if self.stop.is_set():
                break
            if local_writers(path):                  # still open for writing here: not yet
                self.stability.touch(path, time.monotonic())
                continue
            claim, why = claim_moved(self.claim_root, path, self.inbox,
                                     received=self.clock() if self.clock is not None else None)
            if claim is None:
                if why in ("gone", "folder"):          # taken by another process; a folder's files come by scan
                    self.stability.forget(path)
                    if why == "folder":
                        self.rescan_soon()
                else:
                    log.warning("暂不能领取 %s（%s），稍后重试", path.relative_to(self.inbox), why)
                    self.stability.backoff(path, time.monotonic())
                continue
            self.stability.forget(path)
            claimed.append((claim, _signature(claim.file), time.monotonic()))
        for claim, signature, since in claimed:
            if self.stop.is_set():
                claim.close()                        # left in work/, locked no more: the next start takes it
                continue
            self._process_guarded(claim, signature, since)
        return len(claimed)

    def _hand_off(self, claim: Claim, signature: tuple | None, since: float) -> bool:
        """A big or legacy file, once quiet, to the workers' queue (False: process it here)."""
        if self.handoff is None or not self.handoff.wants(claim.file):
            return False
        self.settle(claim.file, signature, since)
        try:
            # deferred while the claim is still ours (a job that starts at once waits for it): a kill
            # before this leaves a plain claim that recovery takes up, a kill after leaves the job
            self.handoff.defer(claim.token)
        except Exception as exc:                      # the database went away: done here after all
            log.warning("无法把 %s 交给工作进程（%s），由本进程处理", claim.relative.name, exc)
            return False
        claim.hand_off()                              # journaled as the job's, and let go
        log.info("%s 已交给工作进程处理（任务按领取号 %s）", claim.relative.name, claim.token)
        self.counts["queued"] += 1
        return True

    def _process_guarded(self, claim: Claim, signature: tuple | None, since: float) -> None:
        name = claim.relative.name
        try:
            if self._hand_off(claim, signature, since):
                return
            self.process(claim, signature, since)
        except Interrupted as exc:
            log.info("%s", exc)
        except (PipelineError, OSError) as exc:
            # disk full, read-only folder, database locked: the file stays in the work
            # folder and recovery takes it up again on the next round
            log.error("处理 %s 失败，文件保留在工作目录待重试：%s", name, exc)
            self.next_rescan = min(self.next_rescan, time.monotonic() + 30)
        except Exception:   # a bug must not stop the front door
            log.exception("处理 %s 时发生意外错误，文件保留在工作目录待重试", name)
            self.next_rescan = min(self.next_rescan, time.monotonic() + 30)
        finally:
            claim.close()
            self._since_release += 1
            if self._since_release >= RELEASE_EVERY or (signature and signature[0] > BIG_FILE):
                _release_memory()
                self._since_release = 0

    # --- running ------------------------------------------------------------------

    def tidy(self) -> None:
        """At start: our temporary files left by a kill, and our orphaned LibreOffice instances."""
        from pipeline.reading.convert import sweep_orphans
        ws = self.ws
        for path in sweep_temp_files([ws.outbox, ws.archive, ws.rejected, ws.work, self.claim_root]):
            log.info("清理残留的临时文件 %s", path)
        for pid in sweep_orphans():
            log.info("结束残留的 LibreOffice 进程 %d", pid)

    def once(self) -> Counter:
        """Recover, then everything now in the inbox that is stable over one delay; then return."""
        self._guarded(self.tidy)
        self._guarded(self.recover)
        self.scan()
        deadline = time.monotonic() + 2 * self.delay      # a file still changing by then waits for the next run
        while not self.stop.is_set():
            if self.handle_ready():
                deadline = max(deadline, time.monotonic() + self.delay)
            if not self.stability.pending or time.monotonic() > deadline:
                break
            time.sleep(min(0.2, self.delay / 4 or 0.05))
        if self.refresher is not None:
            self.refresher.flush()
        return self.counts

    def run(self) -> None:
        """Watch until SIGINT/SIGTERM; the file in hand is finished first."""
        self._guarded(self.tidy)
        self._guarded(self.recover)
        observer = PollingObserver(timeout=self.polling) if self.polling else Observer()
        observer.schedule(_Events(self), str(self.inbox), recursive=True)
        observer.start()
        mode = f"轮询（每 {self.polling:g} 秒）" if self.polling else "文件系统事件"
        log.info("开始监视 %s，方式：%s，稳定等待 %g 秒", self.inbox, mode, self.delay)
        if self.refresher is not None:
            self.refresher.start()
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= self.next_rescan:
                    self.next_rescan = now + self.rescan
                    self._guarded(self.recover)
                    self._guarded(self.scan)
                self._guarded(self.handle_ready)       # the front door never dies
                self.stop.wait(0.1)
        finally:
            observer.stop()
            observer.join(timeout=10)
            if self.refresher is not None:
                self.refresher.stop()
            log.info("已停止监视")

    def _guarded(self, step) -> None:
        try:
            step()
        except Interrupted as exc:
            log.info("%s", exc)
        except Exception:   # disk, database: logged, tried again at the next rescan
            log.exception("%s 失败，稍后重试", step.__name__)
            self.next_rescan = min(self.next_rescan, time.monotonic() + 30)

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            log.info("收到停止信号，处理完当前文件后退出")
            self.stop.set()
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


def _overview_process(ws: Workspace, today: dt.date) -> bool:
    """`taizhang overview` in a child process at a lower priority; True when it wrote the pages."""
    import subprocess
    import sys
    nicer = (lambda: os.nice(10)) if hasattr(os, "nice") else None
    try:
        done = subprocess.run([sys.executable, "-m", "cli", "--home", str(ws.home), "overview", "--date", today.isoformat()],
                              capture_output=True, text=True, timeout=1800, preexec_fn=nicer)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("台账总览未能更新：%s", exc)
        return False
    if done.returncode != 0:
        log.warning("台账总览未能更新：%s", (done.stderr or done.stdout).strip()[-500:])
    return done.returncode == 0


def _signature(path: Path) -> tuple | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _release_memory() -> None:
    """Give a big roster's memory back to the system: a service runs for months."""
    gc.collect()
    if os.name == "posix":
        try:
            import ctypes
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def _not_shutdown_noise(record: logging.LogRecord) -> bool:
    # watchdog logs an ERROR when its inotify thread is read after stop(): harmless at shutdown
    return "called when the thread is inactive" not in record.getMessage()


def setup_logging(ws: Workspace, quiet: bool = False) -> None:
    """One line per file to the console and to a rotating log file in the workspace."""
    logging.getLogger("watchdog.observers.inotify").addFilter(_not_shutdown_noise)
    folder = ws.home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
    logger = logging.getLogger("pipeline")      # one root: every module's logger, and its tracebacks
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.handlers.clear()
    file_handler = RotatingFileHandler(folder / "taizhang.log", maxBytes=5 * 2**20, backupCount=5,
                                       encoding="utf-8")
    file_handler.setFormatter(fmt)
    logger.addHandler(file_handler)
    if not quiet:
        console = logging.StreamHandler()
        console.setFormatter(fmt)
        logger.addHandler(console)


def systemd_unit(ws: Workspace, executable: str, user: str | None, polling: float | None) -> str:
    poll = f" --polling {polling:g}" if polling else ""
    lines = ["[Unit]",
             "Description=taizhang 党支部台账收件箱监视",
             "After=network-online.target remote-fs.target",
             "Wants=network-online.target",
             "",
             "[Service]",
             "Type=simple",
             f"ExecStart={executable} --home {ws.home} watch{poll}",
             f"WorkingDirectory={ws.home}",
             "Restart=on-failure",
             "RestartSec=10",
             "KillSignal=SIGTERM",
             "TimeoutStopSec=120",
             "Environment=PYTHONUNBUFFERED=1"]
    if user:
        lines.append(f"User={user}")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)
