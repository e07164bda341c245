"""The watcher: real files, a real watcher process (watchdog, not mocked), real kills."""
from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.operations.claims import is_ignored
from pipeline.operations.watcher import Stability, network_fs_type
from pipeline.workspace import Workspace

from .conftest import BRANCH, write_book

ROOT = Path(__file__).resolve().parent.parent
DELAY = 0.4


# --- pieces alone -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["~$花名册.xlsx", ".~lock.花名册.xlsx#", ".~花名册.xlsx", "~WRL0001.tmp", "a.tmp",
                                  "下载.part", "x.filepart", "Thumbs.db", "desktop.ini", ".DS_Store", "._花名册.xlsx",
                                  "3F2A1B00", "隐藏/.git/x.xlsx", "$RECYCLE.BIN/x.xlsx", ".taizhang-work/1/x.xlsx"])
def test_ignored_names(name, tmp_path):
    assert is_ignored(tmp_path / name, tmp_path)


@pytest.mark.parametrize("name", ["花名册.xlsx", f"{BRANCH}/党费.xlsx", "会议记录.docx", "旧表.xls"])
def test_files_that_are_taken(name, tmp_path):
    assert not is_ignored(tmp_path / name, tmp_path)


def test_network_file_systems_are_detected_from_the_mount_table():
    mounts = ("/dev/vda1 / ext4 rw 0 0\n"
              "//nas/党建 /mnt/share cifs rw,vers=3.0 0 0\n"
              "nas:/export /srv/nfs nfs4 rw 0 0\n"
              "sshfs#u@h: /mnt/fuse fuse.sshfs rw 0 0\n"
              "tmpfs /mnt/share/local tmpfs rw 0 0\n")
    assert network_fs_type(Path("/mnt/share/inbox"), mounts) == "cifs"
    assert network_fs_type(Path("/srv/nfs/a/b"), mounts) == "nfs4"
    assert network_fs_type(Path("/mnt/fuse/x"), mounts) == "fuse.sshfs"
    assert network_fs_type(Path("/mnt/share/local/inbox"), mounts) is None   # the longest mount point wins
    assert network_fs_type(Path("/home/x"), mounts) is None
    assert network_fs_type(Path("/mnt/shared"), mounts) is None


def test_stability_waits_for_quiet_size_and_mtime(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"1")
    stable = Stability(delay=1.0)
    stable.touch(path, 100.0)
    assert stable.ready(100.0) == []          # first look records size and mtime
    assert stable.ready(100.5) == []          # not quiet long enough
    assert stable.ready(101.1) == [path]
    with path.open("ab") as fp:
        fp.write(b"more")
    assert stable.ready(101.2) == []          # grew: the clock starts again
    assert stable.ready(102.0) == []
    assert stable.ready(102.3) == [path]
    stable.touch(path, 102.4)                 # a new event also restarts it
    assert stable.ready(102.5) == []
    path.unlink()
    assert stable.ready(110.0) == [] and stable.pending == {}


# --- a real watcher process -----------------------------------------------------------

def start(home: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--home", str(home), "watch", "--delay",
                             str(DELAY), "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def submissions(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "taizhang.db") as conn:
        return conn.execute("select file_name, status, sha256 from submissions where file_name != 'z1.xlsx' "
                            "order by id").fetchall()


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def roster_file(path: Path, n: int) -> Path:
    """A small, valid, distinct roster (a different member per n)."""
    name = "张" + "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"[n % 20] + "一二三四五六七八九十"[n // 20 % 10]
    return write_book(path, "A1", [[1, name, "男", None, "1980-05", None, None, "正式党员", "2005-06-01",
                                    "2006-06-01", "在职教职工"]], filled=f"2026年11月{1 + n % 20}日")


@pytest.fixture
def watcher(home):
    proc = start(home)
    time.sleep(1.0)
    yield proc
    stop(proc)


def test_slow_chunked_copy_is_processed_once_after_it_is_complete(home, watcher, tmp_path):
    data = roster_file(tmp_path / "src.xlsx", 1).read_bytes()
    target = home / "inbox" / BRANCH / "花名册.xlsx"
    target.parent.mkdir()
    with target.open("wb") as fp:
        for i in range(0, len(data), len(data) // 8 + 1):
            fp.write(data[i:i + len(data) // 8 + 1])
            fp.flush()
            time.sleep(DELAY / 2)            # slower than a network copy, quicker than the delay
    wait_for(lambda: submissions(home))
    time.sleep(2 * DELAY)
    assert [(n, s) for n, s, _ in submissions(home)] == [("花名册.xlsx", "accepted")]
    assert (home / "archive" / "2026" / BRANCH / "花名册.xlsx").read_bytes() == data


def test_office_style_save_to_a_temp_name_then_rename(home, watcher, tmp_path):
    data = roster_file(tmp_path / "src.xlsx", 2).read_bytes()
    temp = home / "inbox" / "~WRL0001.tmp"
    temp.write_bytes(data)
    (home / "inbox" / "~$花名册.xlsx").write_bytes(b"owner lock")
    time.sleep(DELAY * 3)
    assert submissions(home) == []           # a temp name is never taken
    temp.rename(home / "inbox" / "花名册.xlsx")
    wait_for(lambda: submissions(home))
    time.sleep(2 * DELAY)
    assert [(n, s) for n, s, _ in submissions(home)] == [("花名册.xlsx", "accepted")]


def test_lock_and_temp_files_are_left_alone(home, watcher):
    junk = ["~$花名册.xlsx", ".~lock.花名册.xlsx#", ".~党费.xlsx", "~WRL0002.tmp", "Thumbs.db", "desktop.ini",
            "3F2A1B00", "拷贝中.part"]
    for name in junk:
        (home / "inbox" / name).write_bytes(b"x")
    (home / "inbox" / "真的.xlsx").write_bytes(b"")           # a real (empty) file, for a marker
    wait_for(lambda: submissions(home))
    time.sleep(2 * DELAY)
    assert [n for n, _, _ in submissions(home)] == ["真的.xlsx"]
    assert sorted(p.name for p in (home / "inbox").iterdir()) == sorted(junk)


def test_the_same_file_twice_is_one_record_and_a_duplicate_receipt(home, watcher, tmp_path):
    data = roster_file(tmp_path / "src.xlsx", 3).read_bytes()
    (home / "inbox" / BRANCH).mkdir()
    (home / "inbox" / BRANCH / "花名册.xlsx").write_bytes(data)
    wait_for(lambda: len(submissions(home)) == 1)
    (home / "inbox" / BRANCH / "花名册（再交一次）.xlsx").write_bytes(data)
    wait_for(lambda: len(submissions(home)) == 2)
    assert [s for _, s, _ in submissions(home)] == ["accepted", "duplicate"]
    receipt = home / "outbox" / "回执" / BRANCH / "花名册（再交一次）.xlsx.回执.txt"
    # a receipt's name is reserved first (a placeholder naming its owner), then filled: wait for the text
    wait_for(lambda: receipt.exists() and "重复提交" in receipt.read_text("utf-8-sig", errors="replace"))
    with sqlite3.connect(home / "taizhang.db") as conn:
        assert conn.execute("select count(*) from ledgers where item='A1'").fetchone() == (1,)


def test_200_files_at_once_are_each_processed_exactly_once(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for n in range(200):
        roster_file(src / f"花名册{n:03d}.xlsx", n)
    proc = start(home)
    try:
        time.sleep(1.0)
        (home / "inbox" / BRANCH).mkdir()
        for path in src.iterdir():        # as fast as a copy: all within a fraction of a second
            os.replace(path, home / "inbox" / BRANCH / path.name)
        wait_for(lambda: len(submissions(home)) >= 200, timeout=240)
        time.sleep(2 * DELAY)
    finally:
        stop(proc)
    names = [n for n, _, _ in submissions(home)]
    assert sorted(names) == sorted(f"花名册{n:03d}.xlsx" for n in range(200))
    assert not any((home / "inbox").rglob("*.xlsx")) and not any((home / "work").iterdir())


def test_polling_mode(home):
    proc = start(home, "--polling", "0.3")
    try:
        time.sleep(1.0)
        (home / "inbox" / "空.xlsx").write_bytes(b"")
        wait_for(lambda: submissions(home))
    finally:
        stop(proc)
    assert submissions(home)[0][:2] == ("空.xlsx", "rejected")
    assert "轮询" in (home / "logs" / "taizhang.log").read_text("utf-8")


def test_a_second_watcher_on_the_same_workspace_exits_2(home, watcher):
    second = start(home)
    assert second.wait(timeout=30) == 2
    assert "另一个" in second.stderr.read()
    assert watcher.poll() is None


def test_once_processes_what_is_there_and_sets_the_exit_code(home, tmp_path):
    roster_file(home / "inbox" / "好.xlsx", 5)
    (home / "inbox" / "坏.xlsx").write_bytes(b"")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--home", str(home), "watch", "--once",
                           "--delay", "0.2", "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert sorted(s for _, s, _ in submissions(home)) == ["accepted", "rejected"]
    log = (home / "logs" / "taizhang.log").read_text("utf-8")
    assert "好.xlsx" in log and "通过" in log and "未通过" in log


def test_killed_at_random_moments_loses_nothing(home, tmp_path):
    """Drop 100 files, SIGKILL the watcher at random moments, restart; repeat; then check."""
    rng = random.Random(11)
    src = tmp_path / "src"
    src.mkdir()
    for n in range(100):
        if n % 10 == 0:
            (src / f"坏{n:03d}.xlsx").write_bytes(b"not a workbook" * n)
        else:
            roster_file(src / f"表{n:03d}.xlsx", n)
    (home / "inbox" / BRANCH).mkdir()
    for path in src.iterdir():
        os.replace(path, home / "inbox" / BRANCH / path.name)
    (home / "inbox" / "~$锁.xlsx").write_bytes(b"lock")
    for _ in range(4):
        proc = start(home)
        time.sleep(rng.uniform(1.0, 3.5))
        proc.kill()                                   # SIGKILL: no cleanup at all
        proc.wait()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--home", str(home), "watch", "--once",
                           "--delay", "0.2", "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    kept = [p.name for p in (home / "archive").rglob("*.xlsx") if p.name != "z1.xlsx"] + \
           [p.name for p in (home / "rejected").rglob("*.xlsx")]
    assert sorted(kept) == sorted([f"坏{n:03d}.xlsx" for n in range(0, 100, 10)] +
                                  [f"表{n:03d}.xlsx" for n in range(100) if n % 10])   # each exactly once
    rows = submissions(home)
    assert len(rows) == 100 and len({sha for _, _, sha in rows}) == 100
    assert sum(1 for _, s, _ in rows if s == "accepted") == 90
    with sqlite3.connect(home / "taizhang.db") as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from ledgers where item='A1'").fetchone() == (90,)
    assert [p.name for p in (home / "inbox").rglob("*") if p.is_file()] == ["~$锁.xlsx"]
    assert not any((home / "work").iterdir())
    receipts = list((home / "outbox" / "回执").rglob("*.回执.txt"))
    assert len([r for r in receipts if r.parent.name == BRANCH]) == 100


# --- recovery, in process ---------------------------------------------------------------

def _claimed(ws: Workspace, tmp_path: Path, n: int, token: str) -> Path:
    target = ws.work / token / BRANCH / f"表{n}.xlsx"
    target.parent.mkdir(parents=True)
    roster_file(target, n)
    return target


def test_recovery_reprocesses_a_claim_that_was_never_committed(home, tmp_path):
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    claimed_at = int(dt.datetime(2026, 11, 27, 10).timestamp())
    _claimed(ws, tmp_path, 1, f"{claimed_at}-aaaa")
    (ws.work / f"{claimed_at + 1}-bbbb").mkdir()          # killed between mkdir and the move
    results = Watcher(ws).recover()
    assert [(r.file, r.status, r.branch) for r in results] == [("表1.xlsx", "accepted", BRANCH)]
    assert results[0].received.date().isoformat() == "2026-11-27"     # the time of the claim
    assert not any(ws.work.iterdir())


def test_a_blocked_archive_leaves_the_file_for_the_next_try(home, tmp_path):
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    blocker = ws.archive / "2026" / BRANCH
    blocker.write_text("挡住归档目录的文件", encoding="utf-8")      # the branch's archive folder cannot be made
    (ws.inbox / BRANCH).mkdir()
    roster_file(ws.inbox / BRANCH / "表3.xlsx", 3)
    watcher = Watcher(ws, delay=0.1)
    watcher.scan()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and watcher.stability.pending:
        watcher.handle_ready()
        time.sleep(0.05)
    leftover = [p for p in ws.work.rglob("*.xlsx")]
    assert [p.name for p in leftover] == ["表3.xlsx"]           # not lost: waiting in the work folder
    blocker.unlink()
    (recovered,) = watcher.recover()
    assert recovered.status == "accepted" and recovered.stored.exists()
    assert len(submissions(home)) == 1 and not any(ws.work.iterdir())
