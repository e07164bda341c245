"""Files on disk: names from data, atomic writes, reserved destinations, odd entries.

Two kinds of writing, never mixed up:
- *outputs* (documents, receipts' content) are written to a temporary file beside the
  target and `os.replace`d into place — a reader sees the old file or the new, never half;
- *destinations that must not be shared* (an archived original, a receipt) are first
  **reserved**: created with O_CREAT|O_EXCL, so two writers can never pick the same name,
  and the reservation holds a marker naming its owner. Only the owner then replaces the
  placeholder with the real content. A crash leaves at most a marked placeholder, which
  the owner's recovery recognises (by the marker, never by guess) and removes.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PREFIX = ".~tz-"
_MARKER = b"\x00taizhang-reservation "
_UNSAFE = str.maketrans({c: "_" for c in '\\/:*?"<>|' + "".join(chr(i) for i in range(32))})
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_MAX_SUFFIX = 12


def safe_name(text: str, fallback: str = "未命名", limit: int = 80, max_bytes: int = 180) -> str:
    """A file or folder name from data: no separators, no control characters, not reserved.
    A long name is cut in its stem, so that the extension survives; at most `limit` characters and
    `max_bytes` in UTF-8 (file systems count bytes: 255, with room left for "(2)" and ".回执.txt")."""
    name = str(text or "").translate(_UNSAFE).strip().strip(".").strip()
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = fallback if not name else f"_{name}"
    if len(name) <= limit and len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, suffix = os.path.splitext(name)
    if not suffix or len(suffix) > _MAX_SUFFIX:
        stem, suffix = name, ""
    stem = stem[:limit - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return stem.rstrip() + suffix


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(target: Path, data: bytes, owner: str = "") -> None:
    """Write to a temporary file beside `target`, fsync, then os.replace into place. The temporary
    name carries the `owner` (a claim token), so the owner's recovery can find its own leftovers."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{owner}-" if owner else TEMP_PREFIX, suffix=target.suffix,
                               dir=target.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_UMASK)     # mkstemp makes 0600: staff on the share must read receipts
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no directory handles for this)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reserved destinations ------------------------------------------------------------

def candidate_names(name: str):
    stem, suffix = os.path.splitext(name)
    yield name
    n = 2
    while True:
        yield f"{stem}({n}){suffix}"
        n += 1


def reserve(folder: Path, name: str, owner: str) -> Path:
    """Claim folder/name (or name(2), name(3) …) on disk, atomically, for `owner`.

    The placeholder holds a marker with the owner; `fill_*` replaces it with the content.
    Raises OSError when the folder cannot be made or written (read-only, disk full)."""
    folder.mkdir(parents=True, exist_ok=True)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for candidate in candidate_names(name):
        path = folder / candidate
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:
            continue
        try:
            os.write(fd, _MARKER + owner.encode("ascii") + b"\n")
            os.fsync(fd)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
        return path
    raise AssertionError("unreachable")   # pragma: no cover


def is_reservation(path: Path, owner: str | None = None) -> bool:
    """True if `path` is still an unfilled placeholder (of `owner`, when given)."""
    expected = _MARKER + (owner.encode("ascii") + b"\n" if owner else b"")
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > len(_MARKER) + 80:
            return False
        with open(path, "rb") as fp:
            head = fp.read(len(_MARKER) + 80)
    except OSError:
        return False
    return head.startswith(expected) if owner is None else head == expected


def release(path: Path, owner: str) -> bool:
    """Remove `path` if it is still `owner`'s unfilled placeholder (never anything else)."""
    if is_reservation(path, owner):
        path.unlink(missing_ok=True)
        return True
    return False


def fill_bytes(reserved: Path, data: bytes, owner: str = "") -> Path:
    """Replace a reservation (ours) with `data`, atomically."""
    write_atomic(reserved, data, owner)
    return reserved


def fill_from(source: Path, reserved: Path, *, move: bool, owner: str = "") -> Path:
    """Replace a reservation (ours) with the file `source`: renamed when `move` and on the same
    file system, else a complete copy first (and then, for a move, the source removed)."""
    if move:
        try:
            os.replace(source, reserved)
            fsync_dir(reserved.parent)
            fsync_dir(source.parent)
            return reserved
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{owner}-" if owner else TEMP_PREFIX, suffix=reserved.suffix,
                               dir=reserved.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, tmp)
        os.replace(tmp, reserved)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(reserved.parent)
    if move:
        source.unlink()
        fsync_dir(source.parent)
    return reserved


# --- what kind of entry ----------------------------------------------------------------

def entry_kind(path: Path) -> str | None:
    """'file' for a regular file; 'symlink', 'fifo', 'socket', 'device', 'folder' otherwise;
    None if it is gone. Never follows a link, never opens anything."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def local_writers(path: Path) -> list[int]:
    """Processes on this machine holding `path` open for writing (Linux /proc; a Samba server's
    smbd counts). Empty where that cannot be known (other systems, a writer on another host)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return []
    try:
        wanted = os.path.realpath(path)
    except OSError:
        return []
    pids = []
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        fd_dir = f"/proc/{entry.name}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") != wanted:
                    continue
                with open(f"/proc/{entry.name}/fdinfo/{fd}", encoding="ascii") as info:
                    flags = next((int(line.split()[1], 8) for line in info if line.startswith("flags:")), 0)
            except (OSError, ValueError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                pids.append(int(entry.name))
                break
    return pids


def sweep_temp_files(folders, older_than: float = 600.0) -> list[Path]:
    """Remove our own temporary files (`.~tz-*`) left by a killed writer; fresh ones may be in use."""
    removed = []
    cutoff = time.time() - older_than
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for root, _dirs, names in os.walk(folder):
            for name in names:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(root) / name
                try:
                    st = os.lstat(path)
                    if stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
                except OSError:
                    continue
    return removed
