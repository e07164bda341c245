"""Claims: how a submitted file is taken in hand, so that exactly one process owns it.

Whoever hands a file in — the watcher, or `taizhang ingest` — first *claims* it: the file
is renamed (inbox) or copied (elsewhere) into `work/<token>/`, and the process holds an OS
lock on `work/<token>/.claim` for as long as it works on it. That file is also the claim's
journal (one JSON object a line): where the file came from, the branch and time it was
handed in with, and every destination reserved for it. So

- a file in the inbox is claimed by one rename: of two processes, one wins, the other
  finds it gone (never a traceback, never processed twice);
- recovery takes only claims whose lock it can get — a live process's claim is never
  stolen, a killed one's lock is released by the kernel;
- a crash before the commit leaves marked placeholders that the journal names, and
  recovery removes exactly those (see `files.reserve`).

A claim is made in a hidden `.new-<token>` folder, locked, and only then renamed to its
token: recovery leaves `.new-` folders alone unless they are an hour old (a process killed
in the microseconds between mkdir and rename).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.files import TEMP_PREFIX, candidate_names, fsync_dir, release, reserve

log = logging.getLogger(__name__)

JOURNAL = ".claim"
NEW_PREFIX = ".new-"
COPY_PREFIX = f"{TEMP_PREFIX}copy-"        # a copy being made into a claim (never a claimed name)
STALE_NEW = 3600.0
MAX_CANDIDATES = 10_000


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


def claim_root(ws) -> Path:
    """Where claims live: work/, on the inbox's file system so that claiming is one rename."""
    ws.inbox.mkdir(parents=True, exist_ok=True)
    ws.work.mkdir(parents=True, exist_ok=True)
    if os.stat(ws.inbox).st_dev == os.stat(ws.work).st_dev:
        return ws.work
    return ws.inbox / ".taizhang-work"


def _lock(fd: int) -> bool:
    try:
        if os.name == "nt":   # pragma: no cover - exercised on Windows servers
            import msvcrt
            os.lseek(fd, 1 << 30, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@dataclass
class Claim:
    """A file in hand: `work/<token>/<relative>`, locked by this process while it lives."""
    token: str
    folder: Path
    relative: Path                 # as the file lay: inbox-relative, or its bare name
    origin: Path                   # where it was handed in (the folder it lay in names the branch)
    fd: int = -1
    branch: str | None = None      # --branch, when one was given
    received: dt.datetime | None = None
    reserved: list[dict] = field(default_factory=list)
    year: int | None = None        # --year, when one was given
    queued: dt.datetime | None = None   # handed to the workers' queue (a job names it by its token)

    def __post_init__(self):
        if self.received is None:
            self.received = dt.datetime.fromtimestamp(int(self.token.split("-")[0].removeprefix(NEW_PREFIX)))

    @property
    def file(self) -> Path:
        return self.folder / self.relative

    def _journal(self, **entry) -> None:
        os.lseek(self.fd, 0, os.SEEK_END)
        os.write(self.fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(self.fd)

    def _header(self) -> None:
        self._journal(origin=str(self.origin), branch=self.branch,
                      received=self.received.isoformat(timespec="seconds"), year=self.year)

    def remember(self, *, branch: str | None, received: dt.datetime | None, year: int | None = None) -> None:
        """What the file was handed in with, so that recovery judges it the same way."""
        changed = (branch, received, year) != (self.branch, self.received, self.year) and (branch or received or year)
        self.branch = branch or self.branch
        self.received = received or self.received
        self.year = year or self.year
        if changed:
            self._header()

    def hand_off(self) -> None:
        """Journal that the claim is left to a worker's job: recovery leaves it alone for a while
        (`open_claims(leave_queued=…)`), and lets it go; then the job is deferred."""
        self.queued = dt.datetime.now().replace(microsecond=0)
        self._journal(queued=self.queued.isoformat())
        self.close()

    def reserve(self, folder: Path, name: str) -> Path:
        """A destination of this claim's own, journaled before and after, so a crash can undo it."""
        self._journal(reserve=str(folder), name=name)
        entry = {"folder": folder, "name": name, "path": None}
        self.reserved.append(entry)
        path = reserve(folder, name, self.token)
        entry["path"] = path
        self._journal(reserved=str(path))
        return path

    def release_reservations(self) -> None:
        """Remove this claim's unfilled placeholders and its half-made copies (a crash, a retry)."""
        for entry in self.reserved:
            folder = Path(entry["folder"])
            if entry["path"] is not None:
                release(Path(entry["path"]), self.token)
            else:                               # killed between the reservation and its journal line
                for n, candidate in enumerate(candidate_names(entry["name"])):
                    taken = os.path.lexists(folder / candidate)
                    if n > MAX_CANDIDATES or (not taken and n > 50):
                        break                   # past the names in use (gaps of deleted ones tolerated)
                    if taken:
                        release(folder / candidate, self.token)
            for temp in folder.glob(f"{TEMP_PREFIX}{self.token}-*"):
                temp.unlink(missing_ok=True)
        self.reserved.clear()
        if self.fd >= 0:
            os.ftruncate(self.fd, 0)
            self._header()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def done(self) -> None:
        """The claim is finished: its journal and (empty) folders go; nothing else is removed."""
        journal = self.folder / JOURNAL
        if os.name == "nt":   # pragma: no cover - an open file cannot be removed there
            self.close()
        journal.unlink(missing_ok=True)
        remove_empty_folders(self.folder)
        self.close()


def remove_empty_folders(top: Path) -> bool:
    """Remove `top` and the folders under it that are empty; True if `top` is gone."""
    for root, dirs, _files in os.walk(top, topdown=False):
        for name in dirs:
            try:
                os.rmdir(Path(root) / name)
            except OSError:
                pass
    try:
        os.rmdir(top)
        return True
    except OSError:
        return False


def _new_claim(root: Path, relative: Path, origin: Path, branch: str | None,
               received: dt.datetime | None) -> Claim:
    """A fresh claim folder, locked before it becomes visible to recovery under its token."""
    token = f"{int(time.time())}-{uuid.uuid4().hex[:12]}"
    hidden = root / f"{NEW_PREFIX}{token}"
    hidden.mkdir(parents=True)
    fd = os.open(hidden / JOURNAL, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), 0o644)
    if not _lock(fd):   # pragma: no cover - nobody else touches a fresh .new- folder
        os.close(fd)
        raise OSError("cannot lock a new claim")
    try:
        os.rename(hidden, root / token)
    except OSError:
        os.close(fd)
        raise
    claim = Claim(token, root / token, relative, origin, fd, branch, received)
    claim._header()
    return claim


def _abandon(claim: Claim) -> None:
    claim.close()
    (claim.folder / JOURNAL).unlink(missing_ok=True)
    remove_empty_folders(claim.folder)


def claim_moved(root: Path, path: Path, inbox: Path, *, branch: str | None = None,
                received: dt.datetime | None = None) -> tuple[Claim | None, str]:
    """Take `path` out of the inbox by one rename. (claim, '') or (None, why): 'gone' when another
    process took it first, 'folder' when it is a folder now, else the error (still open on
    Windows, permissions, disk full) for a later retry. Never raises for the file system."""
    relative = path.relative_to(inbox)
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            return None, "folder"
        claim = _new_claim(root, relative, path, branch, received)
    except FileNotFoundError:
        return None, "gone"
    except OSError as exc:
        return None, str(exc)
    try:
        claim.file.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, claim.file)       # the claimed name is new in a fresh folder: nothing replaced
    except FileNotFoundError:
        _abandon(claim)
        return None, "gone"
    except OSError as exc:
        _abandon(claim)
        return None, str(exc)
    if stat.S_ISDIR(os.lstat(claim.file).st_mode):      # became a folder in between: put it back
        try:
            os.rename(claim.file, path)
            _abandon(claim)
            return None, "folder"
        except OSError as exc:
            log.warning("领取到的是文件夹 %s，未能放回（%s），作为异常条目处理", relative, exc)
    try:
        fsync_dir(claim.file.parent)
        fsync_dir(path.parent)
    except OSError as exc:      # the move happened: the file is ours now, whatever fsync says
        log.warning("fsync after claiming %s: %s", relative, exc)
    return claim, ""


def claim_copied(root: Path, path: Path, *, branch: str | None = None,
                 received: dt.datetime | None = None) -> Claim:
    """Take a copy of a regular file outside the inbox (the original stays where it is). The source
    is opened without blocking (a FIFO swapped in meanwhile is refused, never waited on)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    src_fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(src_fd).st_mode):
            raise IsADirectoryError(f"{path} 不是普通文件")
        if hasattr(os, "set_blocking"):
            os.set_blocking(src_fd, True)
        claim = _new_claim(root, Path(path.name), Path(os.path.abspath(path)), branch, received)
        tmp = claim.folder / f"{COPY_PREFIX}{uuid.uuid4().hex[:8]}"
        try:
            with os.fdopen(os.dup(src_fd), "rb") as src, open(tmp, "xb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.rename(tmp, claim.file)
        except BaseException:
            tmp.unlink(missing_ok=True)
            _abandon(claim)
            raise
    finally:
        os.close(src_fd)
    return claim


def open_claims(root: Path, inbox: Path, leave_queued: float = 0.0) -> list[Claim]:
    """Claims left by processes that are gone (their lock is free), oldest first, locked for us.
    Entries that are not claims are reported and left alone. A claim with no journal (made by
    an older version) came from the inbox. A claim handed to the queue less than `leave_queued`
    seconds ago is the job's: left alone."""
    found = []
    if not root.is_dir():
        return found
    now = dt.datetime.now()
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        try:
            claim = _reopen(root, entry, inbox)
        except OSError as exc:
            log.error("恢复：无法检查工作目录中的 %s（%s），已保留原样", entry.name, exc)
            continue
        if claim is not None and claim.queued is not None and (now - claim.queued).total_seconds() < leave_queued:
            claim.close()
            continue
        if claim is not None:
            found.append(claim)
    return found


def reopen_claim(root: Path, token: str, inbox: Path) -> Claim | None:
    """The claim `token`, locked for us; None when it is finished (gone) or a live process holds it."""
    entry = root / token
    if not entry.is_dir():
        return None
    return _reopen(root, entry, inbox)


def _reopen(root: Path, entry: Path, inbox: Path) -> Claim | None:
    if entry.is_symlink() or not entry.is_dir():
        log.warning("工作目录中有不属于任何领取的条目 %s，已保留原样，请管理员查看", entry.name)
        return None
    if entry.name.startswith(NEW_PREFIX):
        return _stale_new(root, entry)
    journal = entry / JOURNAL
    flags = os.O_RDWR | getattr(os, "O_BINARY", 0)
    if not journal.exists():
        if not _entries(entry):
            remove_empty_folders(entry)    # finished between our listing and now
            return None
        flags |= os.O_CREAT                # a claim made by an older version: it gets a journal now
    try:
        fd = os.open(journal, flags, 0o644)
    except FileNotFoundError:
        return None                        # finished meanwhile
    if not _lock(fd):
        os.close(fd)
        return None                        # a live process works on it
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(journal))
    except OSError:
        same = False
    if not same:                           # finished while we waited for the lock
        os.close(fd)
        return None
    header, reserved = _read_journal(fd)
    for partial in entry.glob(f"{COPY_PREFIX}*"):       # a copy cut short by a kill: the original is elsewhere
        partial.unlink(missing_ok=True)
    entries = _entries(entry)
    relative = entries[0].relative_to(entry) if entries else Path()
    origin = Path(header["origin"]) if header.get("origin") else inbox / relative
    received = dt.datetime.fromisoformat(header["received"]) if header.get("received") else None
    queued = dt.datetime.fromisoformat(header["queued"]) if header.get("queued") else None
    claim = Claim(entry.name, entry, relative, origin, fd, header.get("branch"), received, reserved, header.get("year"),
                  queued)
    if len(entries) > 1:
        log.warning("恢复：领取 %s 中有多个文件，只处理 %s，其余保留原样", entry.name, entries[0].name)
    return claim


def _stale_new(root: Path, entry: Path) -> None:
    """A `.new-` folder an hour old: its maker died before anything was moved in."""
    try:
        made = int(entry.name[len(NEW_PREFIX):].split("-")[0])
    except ValueError:
        return None
    if time.time() - made < STALE_NEW:
        return None
    fd = os.open(entry / JOURNAL, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), 0o644)
    try:
        if _lock(fd) and not _entries(entry):
            (entry / JOURNAL).unlink(missing_ok=True)
            remove_empty_folders(entry)
    finally:
        os.close(fd)
    return None


def _entries(folder: Path) -> list[Path]:
    """The claimed entry (normally one): anything that is not a folder or the journal."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(Path(root) / d)):
            if not (root == str(folder) and name == JOURNAL):
                found.append(Path(root) / name)
    return sorted(found)


def _read_journal(fd: int) -> tuple[dict, list[dict]]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    header, reserved = {}, []
    for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue                       # a line cut short by the kill
        if "origin" in entry:
            header = entry
        elif "queued" in entry:
            header = {**header, "queued": entry["queued"]}
        elif "reserve" in entry:
            reserved.append({"folder": Path(entry["reserve"]), "name": entry["name"], "path": None})
        elif "reserved" in entry and reserved:
            reserved[-1]["path"] = Path(entry["reserved"])
    return header, reserved
