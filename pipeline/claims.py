"""Claims: how a submitted file is taken in hand, so that exactly one process owns it.

Whoever hands a file in — the watcher, or `taizhang ingest` — first *claims* it: the file
is renamed (inbox) or copied (elsewhere) into `work/<token>/`, and the process holds an OS
lock on `work/<token>/.claim` for as long as it works on it. That file is also the claim's
journal: where the file came from, and every destination reserved for it. So

- a file in the inbox is claimed by one rename: of two processes, one wins, the other
  finds it gone (never a traceback, never processed twice);
- recovery takes only claims whose lock it can get — a live process's claim is never
  stolen, a killed one's lock is released by the kernel;
- a crash before the commit leaves marked placeholders that the journal names, and
  recovery removes exactly those (see `files.reserve`).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .files import TEMP_PREFIX, candidate_names, fsync_dir, release, reserve

log = logging.getLogger(__name__)

JOURNAL = ".claim"
NEW_PREFIX = ".new-"


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
    reserved: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def file(self) -> Path:
        return self.folder / self.relative

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(self.token.split("-")[0]))

    def _journal(self, line: str) -> None:
        os.lseek(self.fd, 0, os.SEEK_END)
        os.write(self.fd, (line + "\n").encode("utf-8"))
        os.fsync(self.fd)

    def reserve(self, folder: Path, name: str) -> Path:
        """A destination of this claim's own, journaled first so a crash can undo it."""
        self._journal(f"reserve\t{folder}\t{name}")
        self.reserved.append((folder, name))
        return reserve(folder, name, self.token)

    def release_reservations(self) -> None:
        """Remove this claim's unfilled placeholders (a crash before the commit, a retry)."""
        for folder, name in self.reserved:
            missing = 0
            for candidate in candidate_names(name):
                path = folder / candidate
                if not os.path.lexists(path):
                    missing += 1
                    if missing > 3:
                        break
                    continue
                missing = 0
                release(path, self.token)
        self.reserved.clear()
        if self.fd >= 0:
            os.ftruncate(self.fd, 0)
            self._journal(f"origin\t{self.origin}")

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


def _new_claim(root: Path, relative: Path, origin: Path) -> Claim:
    """A fresh claim folder, locked before it becomes visible to recovery under its token."""
    token = f"{int(time.time())}-{uuid.uuid4().hex[:12]}"
    hidden = root / f"{NEW_PREFIX}{token}"
    hidden.mkdir(parents=True)
    fd = os.open(hidden / JOURNAL, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), 0o644)
    if not _lock(fd):   # pragma: no cover - nobody else knows this folder yet
        os.close(fd)
        raise OSError("cannot lock a new claim")
    os.rename(hidden, root / token)
    claim = Claim(token, root / token, relative, origin, fd)
    claim._journal(f"origin\t{origin}")
    return claim


def _abandon(claim: Claim) -> None:
    claim.close()
    (claim.folder / JOURNAL).unlink(missing_ok=True)
    remove_empty_folders(claim.folder)


def claim_moved(root: Path, path: Path, inbox: Path) -> tuple[Claim | None, str]:
    """Take `path` out of the inbox by one rename. (claim, '') or (None, why): 'gone' when another
    process took it first, else the error (still open on Windows, permissions) for a later retry."""
    relative = path.relative_to(inbox)
    claim = _new_claim(root, relative, path)
    try:
        claim.file.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, claim.file)       # the claimed name is new in a fresh folder: nothing replaced
    except FileNotFoundError:
        _abandon(claim)
        return None, "gone"
    except OSError as exc:
        _abandon(claim)
        return None, str(exc)
    try:
        fsync_dir(claim.file.parent)
        fsync_dir(path.parent)
    except OSError as exc:      # the move happened: the file is ours now, whatever fsync says
        log.warning("fsync after claiming %s: %s", relative, exc)
    return claim, ""


def claim_copied(root: Path, path: Path) -> Claim:
    """Take a copy of a file outside the inbox (the original stays where it is)."""
    claim = _new_claim(root, Path(path.name), path.resolve())
    tmp = claim.folder / f"{TEMP_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        with open(path, "rb") as src, open(tmp, "xb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, claim.file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _abandon(claim)
        raise
    return claim


def open_claims(root: Path, inbox: Path) -> list[Claim]:
    """Claims left by processes that are gone (their lock is free), oldest first, locked for us.
    Entries that are not claims are reported and left alone. A claim with no journal (made by
    an older version) came from the inbox."""
    found = []
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        try:
            claim = _reopen(root, entry, inbox)
        except OSError as exc:
            log.error("恢复：无法检查工作目录中的 %s（%s），已保留原样", entry.name, exc)
            continue
        if claim is not None:
            found.append(claim)
    return found


def _reopen(root: Path, entry: Path, inbox: Path) -> Claim | None:
    if entry.is_symlink() or not entry.is_dir():
        log.warning("工作目录中有不属于任何领取的条目 %s，已保留原样，请管理员查看", entry.name)
        return None
    fd = os.open(entry / JOURNAL, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), 0o644)
    if not _lock(fd):
        os.close(fd)
        return None                        # a live process works on it
    if entry.name.startswith(NEW_PREFIX):  # killed while creating it: nothing was moved in yet
        claim = Claim(entry.name, entry, Path(), entry, fd)
        if not _entries(entry):
            claim.done()
            return None
        entry_token = entry.name[len(NEW_PREFIX):]
        os.rename(entry, root / entry_token)
        entry = root / entry_token
    origin, reserved = _read_journal(fd)
    entries = _entries(entry)
    relative = entries[0].relative_to(entry) if entries else Path()
    claim = Claim(entry.name, entry, relative, origin or inbox / relative, fd, reserved)
    if len(entries) > 1:
        log.warning("恢复：领取 %s 中有多个文件，只处理 %s，其余保留原样", entry.name, entries[0].name)
    return claim


def _entries(folder: Path) -> list[Path]:
    """The claimed entry (normally one): anything that is not a folder or the journal."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(Path(root) / d)):
            if not (root == str(folder) and name == JOURNAL):
                found.append(Path(root) / name)
    return sorted(found)


def _read_journal(fd: int) -> tuple[Path | None, list[tuple[Path, str]]]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    origin, reserved = None, []
    for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if parts[0] == "origin" and len(parts) == 2:
            origin = Path(parts[1])
        elif parts[0] == "reserve" and len(parts) == 3:
            reserved.append((Path(parts[1]), parts[2]))
    return origin, reserved
