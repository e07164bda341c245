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
import logging
import os
import re
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .ingest import Result, finish, ingest, result_from_store
from .issues import PipelineError
from .workspace import Workspace, fsync_dir, move_atomic

log = logging.getLogger("taizhang.watch")

DEFAULT_DELAY = 2.0
DEFAULT_RESCAN = 300.0
NETWORK_FS = {"cifs", "smb", "smb2", "smb3", "smbfs", "nfs", "nfs4", "9p", "afs", "davfs", "fuse", "sshfs",
              "ceph", "glusterfs", "lustre", "vboxsf", "vmhgfs", "prl_fs", "gpfs", "beegfs"}
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db", "icon\r"}
IGNORED_DIRS = {"$recycle.bin", "system volume information", "@eadir", "#recycle", "#snapshot", ".snapshot",
                "lost+found", ".taizhang-work"}
_TEMP_PATTERNS = re.compile(r"""^(
    ~\$.*            |   # Office owner/lock files  ~$花名册.xlsx
    \.~lock\..*\#    |   # LibreOffice locks        .~lock.花名册.xlsx#
    \.~.*            |   # WPS temporaries          .~花名册.xlsx
    ~.*\.tmp         |   # Office temporaries       ~WRL0001.tmp
    .*\.(tmp|temp|part|filepart|crdownload|download|partial|swp|bak|wbk|asd) |
    \._.*            |   # macOS resource forks
    \..*                 # any other hidden file
)$""", re.VERBOSE | re.IGNORECASE)


def is_ignored(path: Path, inbox: Path) -> bool:
    """Lock, temp and system files, extension-less temp names, hidden or system folders."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return True
    if not parts:
        return True
    for folder in parts[:-1]:
        if folder.startswith((".", "~")) or folder.lower() in IGNORED_DIRS:
            return True
    name = parts[-1]
    if name.lower() in IGNORED_NAMES or _TEMP_PATTERNS.match(name):
        return True
    return Path(name).suffix == ""          # Office saves to extension-less temp names (e.g. 3F2A1B00)


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
    """An OS lock on <home>/taizhang.lock: released by the kernel even if the process is killed."""

    def __init__(self, path: Path):
        self.path = path
        self.fp = None

    def __enter__(self):
        self.fp = self.path.open("a+")
        try:
            if os.name == "nt":   # pragma: no cover
                import msvcrt
                msvcrt.locking(self.fp.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(self.fp.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fp.seek(0)
            holder = self.fp.read().strip()
            self.fp.close()
            raise LockHeld(f"另一个 taizhang watch 正在处理该工作区（{holder or '进程未知'}），本进程退出") from None
        self.fp.seek(0)
        self.fp.truncate()
        self.fp.write(f"pid {os.getpid()} since {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        self.fp.flush()
        return self

    def __exit__(self, *exc):
        self.fp.close()


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
        """Paths stable for `delay`; vanished paths are dropped. Oldest first."""
        with self.lock:
            items = list(self.pending.items())
        ready = []
        for path, entry in items:
            try:
                st = path.stat()
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


@dataclass
class Watcher:
    ws: Workspace
    delay: float = DEFAULT_DELAY
    polling: float | None = None        # seconds between polls; None → native events
    rescan: float = DEFAULT_RESCAN
    stop: threading.Event = field(default_factory=threading.Event)
    results: list[Result] = field(default_factory=list)
    on_result: Callable[[Result], None] | None = None

    def __post_init__(self):
        self.inbox = self.ws.inbox
        self.stability = Stability(self.delay)
        self.next_rescan = 0.0
        self.claim_root = self._claim_root()

    # --- finding files -------------------------------------------------------------

    def _claim_root(self) -> Path:
        """The work folder, on the inbox's file system so that claiming is one rename."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.ws.work.mkdir(parents=True, exist_ok=True)
        if os.stat(self.inbox).st_dev == os.stat(self.ws.work).st_dev:
            return self.ws.work
        return self.inbox / ".taizhang-work"

    def notice(self, path: Path) -> None:
        if not is_ignored(path, self.inbox):
            self.stability.touch(path, time.monotonic())

    def rescan_soon(self) -> None:
        self.next_rescan = 0.0

    def scan(self) -> None:
        """The safety net: every file in the inbox, whatever events were missed."""
        for root, dirs, files in os.walk(self.inbox):
            root_path = Path(root)
            dirs[:] = [d for d in dirs if not (d.startswith((".", "~")) or d.lower() in IGNORED_DIRS)]
            for name in files:
                path = root_path / name
                if not is_ignored(path, self.inbox) and path not in self.stability.pending:
                    self.stability.touch(path, time.monotonic())

    # --- claiming and processing ----------------------------------------------------

    def claim(self, path: Path) -> tuple[Path, Path] | None:
        """Move `path` into work/<token>/<relative path>; None if it cannot be moved now."""
        relative = path.relative_to(self.inbox)
        token = f"{int(time.time())}-{uuid.uuid4().hex[:10]}"
        target = self.claim_root / token / relative
        try:
            target.parent.mkdir(parents=True)
            os.replace(path, target)       # atomic; fails while Windows still holds the file open
            fsync_dir(target.parent)
            fsync_dir(path.parent)
        except OSError as exc:
            log.warning("暂不能领取 %s（%s），稍后重试", relative, exc)
            shutil.rmtree(self.claim_root / token, ignore_errors=True)
            return None
        return self.claim_root / token, target

    def process(self, token_dir: Path, claimed: Path) -> Result | None:
        token = token_dir.name
        relative = claimed.relative_to(token_dir)
        branch = relative.parts[0] if len(relative.parts) > 1 else None
        received = dt.datetime.fromtimestamp(int(token.split("-")[0]))
        result = ingest(claimed, self.ws, name=relative.name, folder_branch=branch, received=received,
                        claim=token, move=True)
        self._done(token_dir)
        self._log(result)
        return result

    def recover(self) -> list[Result]:
        """Finish what a killed process left in the work folder."""
        done = []
        if not self.claim_root.exists():
            return done
        for token_dir in sorted(p for p in self.claim_root.iterdir() if p.is_dir()):
            files = [p for p in token_dir.rglob("*") if p.is_file()]
            committed = self.ws.store.submission_by_claim(token_dir.name)
            if committed is None:
                if files:
                    log.info("恢复：重新处理 %s", files[0].relative_to(token_dir))
                    done.append(self.process(token_dir, files[0]))
                else:
                    self._done(token_dir)
                continue
            row, issues = committed
            result = result_from_store(row, issues, files[0] if files else Path(row.stored_path))
            log.info("恢复：完成 %s 的归档和回执", row.file_name)
            finish(result, self.ws, row.id, move=True)
            self._done(token_dir)
            self._log(result)
            done.append(result)
        return done

    def _done(self, token_dir: Path) -> None:
        """Remove the emptied claim directory (only empty folders: nothing is deleted)."""
        for folder in sorted((p for p in token_dir.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            folder.rmdir()
        token_dir.rmdir()

    def _log(self, result: Result) -> None:
        status = {"accepted": "通过", "rejected": "未通过", "duplicate": "重复"}[result.status]
        errors = len(result.errors)
        log.info("%s  支部=%s  台账=%s  %s  错误%d 提示%d", result.file, result.branch or "—",
                 ",".join(result.items) or "—", status, errors, len(result.issues) - errors)
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def handle_ready(self) -> int:
        handled = 0
        for path in self.stability.ready(time.monotonic()):
            if self.stop.is_set():
                break
            claimed = self.claim(path)
            if claimed is None:
                self.stability.backoff(path, time.monotonic())
                continue
            self.stability.forget(path)
            try:
                self.process(*claimed)
            except (PipelineError, OSError) as exc:
                # disk full, read-only folder, database locked: the file stays in the work
                # folder and recovery takes it up again on the next round
                log.error("处理 %s 失败，文件保留在工作目录待重试：%s", path.name, exc)
                self.next_rescan = min(self.next_rescan, time.monotonic() + 30)
            except Exception:   # a bug must not stop the front door
                log.exception("处理 %s 时发生意外错误，文件保留在工作目录待重试", path.name)
                self.next_rescan = min(self.next_rescan, time.monotonic() + 30)
            handled += 1
        return handled

    # --- running ------------------------------------------------------------------

    def once(self) -> list[Result]:
        """Recover, then everything now in the inbox that is stable over one delay; then return."""
        self.recover()
        self.scan()
        deadline = time.monotonic() + self.delay
        while not self.stop.is_set():
            self.handle_ready()
            if not self.stability.pending or time.monotonic() > deadline + self.delay:
                break
            time.sleep(min(0.2, self.delay / 4 or 0.05))
        return self.results

    def run(self) -> None:
        """Watch until SIGINT/SIGTERM; the file in hand is finished first."""
        self.recover()
        observer = PollingObserver(timeout=self.polling) if self.polling else Observer()
        observer.schedule(_Events(self), str(self.inbox), recursive=True)
        observer.start()
        mode = f"轮询（每 {self.polling:g} 秒）" if self.polling else "文件系统事件"
        log.info("开始监视 %s，方式：%s，稳定等待 %g 秒", self.inbox, mode, self.delay)
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= self.next_rescan:
                    self.next_rescan = now + self.rescan
                    self._guarded(self.recover)
                    self._guarded(self.scan)
                self.handle_ready()
                self.stop.wait(0.1)
        finally:
            observer.stop()
            observer.join(timeout=10)
            log.info("已停止监视")

    def _guarded(self, step) -> None:
        try:
            step()
        except Exception:   # disk, database: logged, tried again at the next rescan
            log.exception("%s 失败，稍后重试", step.__name__)
            self.next_rescan = min(self.next_rescan, time.monotonic() + 30)

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            log.info("收到停止信号，处理完当前文件后退出")
            self.stop.set()
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


def _not_shutdown_noise(record: logging.LogRecord) -> bool:
    # watchdog logs an ERROR when its inotify thread is read after stop(): harmless at shutdown
    return "called when the thread is inactive" not in record.getMessage()


def setup_logging(ws: Workspace, quiet: bool = False) -> None:
    """One line per file to the console and to a rotating log file in the workspace."""
    logging.getLogger("watchdog.observers.inotify").addFilter(_not_shutdown_noise)
    folder = ws.home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
    logger = logging.getLogger("taizhang")
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
