"""The shared folder never loses a file: concurrent writers, odd entries, kills, a long-running service.

Every test ends with the same invariant: each dropped file's bytes exist exactly once in
archive/ or rejected/, one submission row each (a duplicate recorded as a duplicate), no
file overwritten, work/ empty, the database intact. Real processes, real files, real kills.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from pipeline.documents.overview import BRANCH_PAGE
from pipeline.core.files import TEMP_PREFIX, reserve, safe_name
from pipeline.samples.word import save_document, table_record
from pipeline.workspace import Workspace

from .conftest import BRANCH, write_book
from .test_watcher import DELAY, ROOT, roster_file, start, stop, wait_for


def rows(home: Path) -> list[tuple]:
    """(file name, status, SHA-256, the stored original's path on this host) of every submission."""
    with sqlite3.connect(home / "taizhang.db") as conn:
        found = conn.execute("select file_name, status, sha256, stored_path from submissions "
                             "where file_name != 'z1.xlsx' order by id").fetchall()
    return [(name, status, sha, str(home / stored) if stored else stored) for name, status, sha, stored in found]


def receipt_paths(home: Path) -> set[Path]:
    with sqlite3.connect(home / "taizhang.db") as conn:
        found = conn.execute("select receipt_path, summary from submissions").fetchall()
    paths = set()
    for receipt, summary in found:
        paths.add(home / receipt)                       # kept relative to the workspace
        for key in ("receipt_copy", "annotated"):
            if json.loads(summary or "{}").get(key):
                paths.add(home / json.loads(summary)[key])
    return paths


def kept_files(home: Path) -> list[Path]:
    """Originals kept in archive/ and rejected/ (not our receipts, not the registry)."""
    receipts = receipt_paths(home)
    found = []
    for folder in (home / "archive", home / "rejected"):
        for path in folder.rglob("*"):
            if (path.is_file() or path.is_symlink()) and path not in receipts and path.name != "z1.xlsx":
                found.append(path)
    return found


def assert_nothing_lost(home: Path, dropped: list[bytes], duplicates_allowed: bool = True) -> None:
    """Each dropped file's bytes exactly once in archive/ or rejected/, one row each, work/ empty."""
    kept = Counter(p.read_bytes() for p in kept_files(home) if p.is_file() and not p.is_symlink())
    for data in set(dropped):
        assert kept[data] == dropped.count(data), f"kept {kept[data]}× instead of {dropped.count(data)}×"
    recorded = rows(home)
    assert len(recorded) == len(dropped)
    statuses = Counter(s for _, s, _, _ in recorded)
    accepted = [sha for _, s, sha, _ in recorded if s == "accepted"]
    assert len(accepted) == len(set(accepted)), "the same bytes accepted twice"
    if not duplicates_allowed:
        assert statuses["duplicate"] == 0
    for _, _, _, stored in recorded:                         # each row points at its own file
        assert os.path.lexists(stored)
    assert len({stored for _, _, _, stored in recorded}) == len(recorded)
    assert not [p for p in (home / "work").rglob("*")], list((home / "work").rglob("*"))
    with sqlite3.connect(home / "taizhang.db") as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    leftovers = [p for p in home.rglob(f"{TEMP_PREFIX}*")]
    assert not leftovers, leftovers


def cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout)


# --- destinations are reserved --------------------------------------------------------

def test_reserve_never_shares_a_name_and_marks_its_owner(tmp_path):
    first = reserve(tmp_path, "花名册.xlsx", "t1")
    second = reserve(tmp_path, "花名册.xlsx", "t2")
    assert (first.name, second.name) == ("花名册.xlsx", "花名册(2).xlsx")
    from pipeline.core.files import is_reservation, release
    assert is_reservation(first, "t1") and not is_reservation(first, "t2")
    assert not release(first, "t2") and first.exists()          # never someone else's
    first.write_bytes(b"real content")
    assert not release(first, "t1") and first.read_bytes() == b"real content"   # never a filled one
    assert release(second, "t2") and not second.exists()


def test_long_names_keep_their_extension_and_fit_the_file_system():
    name = safe_name("a" * 120 + ".xlsx")
    assert name.endswith(".xlsx") and len(name) == 80
    for text in ("党" * 120 + ".xlsx", "😀" * 60 + ".xlsx", "𠀀" * 90 + ".docx"):    # 3- and 4-byte characters
        name = safe_name(text)
        assert name.endswith(text[-5:]) and len(f"{name}.回执(99).txt".encode("utf-8")) <= 255
    assert safe_name("a/b:c*.docx") == "a_b_c_.docx"


def test_two_processes_with_the_same_name_keep_both_files(home, tmp_path):
    """CLI ingests racing on one archive folder: 2 × 15 different 花名册.xlsx, all kept."""
    sources = []
    for n in range(30):
        folder = tmp_path / f"src{n}" / BRANCH
        folder.mkdir(parents=True)
        sources.append(roster_file(folder / "花名册.xlsx", n))
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--home", str(home), "ingest",
                               *map(str, sources[k::2])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert_nothing_lost(home, [p.read_bytes() for p in sources], duplicates_allowed=False)
    assert len(list((home / "archive" / "2026" / BRANCH).glob("花名册*.xlsx"))) == 30


def test_the_same_bytes_from_two_processes_are_accepted_once(home, tmp_path):
    """Identical files handed in at once by two processes: one acceptance, the rest duplicates."""
    data = roster_file(tmp_path / "x.xlsx", 7).read_bytes()
    sources = []
    for n in range(12):
        path = tmp_path / f"copy{n}" / BRANCH / f"花名册{n}.xlsx"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        sources.append(path)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--home", str(home), "ingest",
                               *map(str, sources[k::3])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(3)]
    for proc in procs:
        proc.communicate(timeout=300)
    recorded = rows(home)
    assert Counter(s for _, s, _, _ in recorded) == {"accepted": 1, "duplicate": 11}
    assert_nothing_lost(home, [data] * 12)
    with sqlite3.connect(home / "taizhang.db") as conn:
        assert conn.execute("select count(*) from ledgers where item='A1'").fetchone() == (1,)


def test_cli_and_watcher_on_one_inbox_never_double_or_crash(home, tmp_path):
    """The README's `ingest inbox/<支部>/*.xlsx` while a watcher takes the same files."""
    inbox = home / "inbox" / BRANCH
    inbox.mkdir(parents=True)
    dropped = []
    watcher = start(home)
    try:
        time.sleep(1.0)
        for rnd in range(3):
            batch = []
            for n in range(8):
                path = roster_file(tmp_path / f"r{rnd}-{n}.xlsx", rnd * 8 + n)
                data = path.read_bytes()
                dropped.append(data)
                os.replace(path, inbox / f"表{rnd}-{n}.xlsx")
                batch.append(inbox / f"表{rnd}-{n}.xlsx")
            done = cli(home, "ingest", *[str(p) for p in batch if p.exists()])
            assert "Traceback" not in done.stderr and done.returncode in (0, 1), done.stderr
        wait_for(lambda: len(rows(home)) >= len(dropped), timeout=120)
        time.sleep(3 * DELAY)
    finally:
        stop(watcher)
    assert_nothing_lost(home, dropped, duplicates_allowed=False)


# --- a blocked archive, receipts that never meet an original ---------------------------

def test_same_names_while_the_archive_is_blocked_are_both_kept(home, tmp_path):
    """Two different 花名册.xlsx arrive while the archive cannot be written; on the retry both are kept."""
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    blocker = ws.archive / "2026" / BRANCH
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("挡住归档目录的文件", encoding="utf-8")      # the folder cannot be made (as when read-only)
    (ws.inbox / BRANCH).mkdir()
    dropped = []
    for n in range(2):
        roster_file(ws.inbox / BRANCH / "花名册.xlsx", 40 + n)
        dropped.append((ws.inbox / BRANCH / "花名册.xlsx").read_bytes())
        Watcher(ws, delay=0.05).once()
    assert len(list(ws.work.rglob("花名册.xlsx"))) == 2 and rows(home) == []    # waiting, not lost
    blocker.unlink()
    Watcher(ws, delay=0.05).once()
    assert_nothing_lost(home, dropped, duplicates_allowed=False)
    assert sorted(p.name for p in blocker.iterdir()) == ["花名册(2).xlsx", "花名册.xlsx"]


def test_a_dropped_receipt_name_is_never_overwritten(home, tmp_path):
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    folder = ws.inbox / BRANCH
    folder.mkdir()
    (folder / "a.xlsx.回执.txt").write_text("分支自己写的说明", encoding="utf-8")
    (folder / "a.回执.txt").write_text("另一份说明", encoding="utf-8")
    Watcher(ws, delay=0.05).once()
    (folder / "a.xlsx").write_bytes(b"not a workbook")
    (folder / "a.docx").write_bytes(b"not a document either")
    Watcher(ws, delay=0.05).once()
    (folder / "a.xlsx").write_bytes(b"not a workbook, second try")
    Watcher(ws, delay=0.05).once()
    assert_nothing_lost(home, ["分支自己写的说明".encode(), "另一份说明".encode(), b"not a workbook",
                               b"not a document either", b"not a workbook, second try"])
    receipts = {p.name for p in (ws.receipts / BRANCH).iterdir()} - {BRANCH_PAGE}   # the branch's 台账状态 page
    assert receipts == {"a.docx.回执.txt", "a.回执.txt.回执.txt", "a.xlsx.回执(2).txt", "a.xlsx.回执.txt",
                        "a.xlsx.回执.txt.回执.txt"}
    texts = [(ws.receipts / BRANCH / name).read_text("utf-8-sig") for name in receipts]
    assert all("台账提交回执" in t for t in texts)


# --- odd entries ----------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="FIFOs, sockets and symlinks as on a Linux server")
def test_special_files_never_hang_the_service(home, tmp_path):
    inbox = home / "inbox"
    (inbox / BRANCH).mkdir()
    os.mkfifo(inbox / "管道.xlsx")
    os.symlink("/dev/zero", inbox / BRANCH / "零.xlsx")
    outside = tmp_path / "机密.xlsx"
    roster_file(outside, 3)
    os.symlink(outside, inbox / "外部.xlsx")
    os.symlink(tmp_path, inbox / "链接文件夹.xlsx")     # a link to a folder with a file in it
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "套接字.xlsx"))
    try:
        watcher = start(home)
        try:
            time.sleep(1.0)
            roster_file(inbox / BRANCH / "正常.xlsx", 4)
            wait_for(lambda: len(rows(home)) == 6, timeout=60)
            time.sleep(2 * DELAY)
        finally:
            stop(watcher)
        assert watcher.returncode == 0                       # SIGTERM obeyed: nothing blocked
    finally:
        sock.close()
    recorded = {name: status for name, status, _, _ in rows(home)}
    assert recorded == {"管道.xlsx": "rejected", "零.xlsx": "rejected", "外部.xlsx": "rejected",
                        "链接文件夹.xlsx": "rejected", "套接字.xlsx": "rejected", "正常.xlsx": "accepted"}
    receipt = (home / "outbox" / "回执" / BRANCH / "零.xlsx.回执.txt").read_text("utf-8-sig")
    assert "不是普通文件" in receipt
    assert os.readlink(home / "rejected" / BRANCH / "零.xlsx") == "/dev/zero"    # moved aside, never read
    assert outside.exists() and [p.name for p in inbox.rglob("*")] == [BRANCH]     # only the empty folder
    assert sorted(p.name for p in (home / "rejected" / "未识别支部").iterdir() if ".回执." not in p.name) == [
        "外部.xlsx", "套接字.xlsx", "管道.xlsx", "链接文件夹.xlsx"]
    assert not any((home / "work").iterdir())
    restarted = cli(home, "watch", "--once", "--delay", "0.1", "--quiet", timeout=60)
    assert restarted.returncode == 0, restarted.stderr


@pytest.mark.skipif(os.name != "posix", reason="FIFOs as on a Linux server")
def test_recovery_tolerates_any_entry_in_work(home):
    work = home / "work"
    token = work / "1764230400-ffff"
    (token / BRANCH).mkdir(parents=True)
    os.mkfifo(token / BRANCH / "卡住.xlsx")               # killed while it hung on a FIFO (old versions)
    (work / "1764230401-nested" / "a" / "b").mkdir(parents=True)
    (work / "1764230401-nested" / "a" / "b" / "c.xlsx").write_bytes(b"x")
    (work / "1764230402-dir-with-two" / "x").mkdir(parents=True)
    (work / "1764230402-dir-with-two" / "x" / "1.xlsx").write_bytes(b"1")
    (work / "1764230402-dir-with-two" / "x" / "2.xlsx").write_bytes(b"2")
    (work / "stray.txt").write_text("?", encoding="utf-8")
    done = cli(home, "watch", "--once", "--delay", "0.1", "--quiet", timeout=60)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    recorded = sorted(name for name, _, _, _ in rows(home))
    assert recorded == ["1.xlsx", "c.xlsx", "卡住.xlsx"]
    assert sorted(p.name for p in work.rglob("*") if p.is_file()) == ["2.xlsx", "stray.txt"]   # reported, left
    again = cli(home, "watch", "--once", "--delay", "0.1", "--quiet", timeout=60)
    assert again.returncode in (0, 1) and "Traceback" not in again.stderr


# --- a file still being written --------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    data = open(sys.argv[1], "rb").read()
    half = len(data) // 2
    with open(sys.argv[2], "wb") as out:
        out.write(data[:half]); out.flush()
        time.sleep(float(sys.argv[3]))          # a stalled copy over a slow share
        out.write(data[half:]); out.flush()
""")


def test_a_stalled_copy_is_waited_for_not_judged_half_written(home, tmp_path):
    source = roster_file(tmp_path / "完整.xlsx", 9)
    target = home / "inbox" / BRANCH / "花名册.xlsx"
    target.parent.mkdir()
    watcher = start(home)
    try:
        time.sleep(1.0)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(source), str(target), str(DELAY * 6)])
        writer.wait(timeout=60)
        wait_for(lambda: rows(home), timeout=60)
        time.sleep(2 * DELAY)
    finally:
        stop(watcher)
    (row,) = rows(home)
    assert row[:2] == ("花名册.xlsx", "accepted")
    assert Path(row[3]).read_bytes() == source.read_bytes()
    assert_nothing_lost(home, [source.read_bytes()])


def test_a_copy_that_goes_on_after_the_claim_is_waited_for(home, tmp_path):
    """A writer on another host cannot be seen: the claimed file is watched until it is quiet."""
    from pipeline.operations.claims import claim_moved, claim_root
    from pipeline.operations.ingest import ingest_claim
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    data = roster_file(tmp_path / "完整.xlsx", 10).read_bytes()
    (ws.inbox / BRANCH).mkdir()
    path = ws.inbox / BRANCH / "花名册.xlsx"
    path.write_bytes(data[: len(data) // 2])
    claim, _ = claim_moved(claim_root(ws), path, ws.inbox)
    watcher = Watcher(ws, delay=0.5)

    def resume_later():
        time.sleep(0.3)
        with open(claim.file, "ab") as fp:       # the remote copy goes on, into the claimed inode
            fp.write(data[len(data) // 2:])

    import threading
    thread = threading.Thread(target=resume_later)
    thread.start()
    result = ingest_claim(claim, ws, settle=watcher.settle)
    thread.join()
    claim.close()
    assert result.status == "accepted", [i.text() for i in result.issues]
    assert result.stored.read_bytes() == data


# --- the single-watcher lock ----------------------------------------------------------

def test_deleting_the_lock_file_does_not_let_a_second_watcher_in(home):
    first = start(home)
    try:
        wait_for(lambda: (home / "taizhang.lock").exists(), timeout=30)
        time.sleep(0.5)
        (home / "taizhang.lock").unlink()                # a "stale lock" clean-up
        second = start(home)
        assert second.wait(timeout=30) == 2
        assert "另一个" in second.stderr.read()
        assert first.poll() is None
    finally:
        stop(first)


# --- kills at every step ---------------------------------------------------------------

CRASH = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[1])
    import pipeline.operations.ingest as ingest_module
    from pipeline.workspace import Workspace
    stage = sys.argv[4]
    def die(*args, **kwargs):
        os._exit(9)
    if stage == "reserved":
        real = ingest_module._reserve
        def reserve_then_die(*a, **k):
            real(*a, **k); die()
        ingest_module._reserve = reserve_then_die
    elif stage == "committed":
        ingest_module.finish = die
    elif stage == "placed":
        ingest_module._write_receipts = die
    elif stage == "receipted":
        ingest_module.Workspace = Workspace
        from pipeline.store import Store
        Store.set_paths = die
    ws = Workspace.open(sys.argv[2])
    ingest_module.ingest(ws.inbox / sys.argv[3], ws)
""")


@pytest.mark.parametrize("stage", ["reserved", "committed", "placed", "receipted"])
@pytest.mark.parametrize("good", [True, False])
def test_killed_at_every_step_of_one_file(home, tmp_path, stage, good):
    folder = home / "inbox" / BRANCH
    folder.mkdir()
    path = folder / "表.xlsx"
    if good:
        roster_file(path, 12)
    else:
        path.write_bytes(b"broken")
    data = path.read_bytes()
    (home / "archive" / "2026" / BRANCH).mkdir(parents=True)
    (home / "archive" / "2026" / BRANCH / "表.xlsx").write_bytes(b"an earlier file of the same name")
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(ROOT), str(home), f"{BRANCH}/表.xlsx", stage],
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr
    done = cli(home, "watch", "--once", "--delay", "0.1", "--quiet", timeout=120)
    assert done.returncode in (0, 1), done.stderr
    (row,) = rows(home)
    assert row[1] == ("accepted" if good else "rejected")
    assert Path(row[3]).read_bytes() == data
    assert (home / "archive" / "2026" / BRANCH / "表.xlsx").read_bytes() == b"an earlier file of the same name"
    receipts = list((home / "outbox" / "回执" / BRANCH).iterdir())
    assert [p.name for p in receipts if p.suffix == ".txt"] == ["表.xlsx.回执.txt"]
    assert not any(b"taizhang-reservation" in p.read_bytes()[:40] for p in home.rglob("*") if p.is_file())
    assert not any((home / "work").iterdir())


# --- the same verdict whoever hands the file in ------------------------------------------

def test_cli_and_watcher_judge_a_file_in_a_branch_folder_alike(home, tmp_path):
    from .test_word import meeting
    document = table_record(meeting(), "")                 # the record does not name its branch
    folder = home / "inbox" / BRANCH
    folder.mkdir()
    save_document(document, folder / "支委会.docx")
    by_cli = cli(home, "ingest", "--json", str(folder / "支委会.docx"))
    assert by_cli.returncode == 0, by_cli.stdout + by_cli.stderr
    save_document(table_record(meeting(议题="研究党费工作"), ""), folder / "支委会2.docx")
    by_watcher = cli(home, "watch", "--once", "--delay", "0.1", "--quiet")
    assert by_watcher.returncode == 0
    recorded = {name: status for name, status, _, _ in rows(home)}
    assert recorded == {"支委会.docx": "accepted", "支委会2.docx": "accepted"}
    with sqlite3.connect(home / "taizhang.db") as conn:
        branches = {b for (b,) in conn.execute("select branch from submissions where file_name like '支委会%'")}
    assert branches == {BRANCH}
    # a copy elsewhere, in a folder named after the branch, is judged the same way
    elsewhere = tmp_path / "下载" / BRANCH
    elsewhere.mkdir(parents=True)
    save_document(table_record(meeting(议题="研究组织生活"), ""), elsewhere / "支委会3.docx")
    checked = cli(home, "validate", str(elsewhere / "支委会3.docx"))
    assert checked.returncode == 0 and BRANCH in checked.stdout, checked.stdout


# --- tidy after faults; logs --------------------------------------------------------------

def test_stale_temp_files_are_swept_at_start_and_fresh_ones_left(home):
    stale = home / "outbox" / "回执" / f"{TEMP_PREFIX}abc.txt"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh = home / "archive" / f"{TEMP_PREFIX}new.xlsx"
    fresh.write_bytes(b"being written")
    done = cli(home, "watch", "--once", "--delay", "0.1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and fresh.exists()


def test_an_internal_error_and_its_traceback_reach_the_log_file(home, monkeypatch):
    """The receipt tells users to ask the administrator to read the log: the traceback must be there."""
    import pipeline.checking.file as file_module
    from pipeline.operations.watcher import Watcher, setup_logging
    roster_file(home / "inbox" / "花名册.xlsx", 1)
    ws = Workspace.open(home)
    setup_logging(ws, quiet=True)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug met on odd input")
    monkeypatch.setattr(file_module, "_check", broken)
    Watcher(ws, delay=0.05).once()
    log = (home / "logs" / "taizhang.log").read_text("utf-8")
    assert "Traceback" in log and "a bug met on odd input" in log
    (row,) = rows(home)
    assert row[1] == "rejected"
    assert "管理员" in (ws.receipts / "未识别支部" / "花名册.xlsx.回执.txt").read_text("utf-8-sig")


# --- memory over a long life ----------------------------------------------------------------

def _rss_kb(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    return {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))}


def big_roster(path: Path, rows: int, day: int) -> Path:
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    return write_book(path, "A1", [[n + 1, "张" + given[n % 20] + given[n // 20 % 20] + given[n // 400 % 20], "男",
                                    None, "1980-05", None, None, "正式党员", "2005-06-01", "2006-06-01", "在职教职工"]
                                   for n in range(rows)], filled=f"2026年11月{day}日")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_memory_stays_flat_over_many_files(home, tmp_path):
    """A running watcher takes big rosters (3,000 rows) and many small files: after a warm-up, five more
    big rosters and 200 small files leave resident memory within 10 MB of where it was (no result kept)."""
    src = tmp_path / "src"
    src.mkdir()
    bigs = [big_roster(src / f"big{n}.xlsx", 3000, n + 1).read_bytes() for n in range(6)]
    small = [roster_file(src / f"{n}.xlsx", n).read_bytes() for n in range(20)]
    watcher = start(home, "--polling", "0.2")
    inbox = home / "inbox" / BRANCH
    inbox.mkdir()

    def drop(name: str, data: bytes) -> None:
        part = tmp_path / "part.tmp"
        part.write_bytes(data)
        os.replace(part, inbox / name)

    try:
        marks, expected = [], 0
        for rnd, (big, smalls) in enumerate(((bigs[:1], 50), (bigs[1:], 200))):
            for n, data in enumerate(big):
                drop(f"big{rnd}-{n}.xlsx", data)
                expected += 1
                wait_for(lambda: len(rows(home)) == expected, timeout=120)
            for n in range(smalls):
                drop(f"{rnd}-{n}.xlsx", small[n % 20] if n % 3 else b"junk %d %d" % (rnd, n))
                expected += 1
            wait_for(lambda: len(rows(home)) == expected, timeout=120)
            time.sleep(1.0)
            marks.append(_rss_kb(watcher.pid))
        print("watcher memory (kB):", marks)
        assert marks[1]["VmRSS"] - marks[0]["VmRSS"] < 10 * 1024, marks
    finally:
        stop(watcher)
    assert len(rows(home)) == 256


# --- no orphans: LibreOffice and pool workers die with their parent -------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_child_started_by_us_dies_when_its_parent_is_killed(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import subprocess, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pipeline.reading.convert import die_with_parent
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], preexec_fn=die_with_parent)
        open({str(pidfile)!r}, "w").write(str(child.pid))
        time.sleep(120)
    """)])
    wait_for(lambda: pidfile.exists() and pidfile.read_text(), timeout=30)
    grandchild = int(pidfile.read_text())
    parent.kill()
    parent.wait()
    wait_for(lambda: not Path(f"/proc/{grandchild}").exists() or
             Path(f"/proc/{grandchild}/stat").read_text().split()[2] == "Z", timeout=10)


@pytest.mark.skipif(os.name != "posix", reason="process groups as on a Linux server")
def test_an_orphaned_office_of_ours_is_stopped_at_start(tmp_path):
    import tempfile

    from pipeline.reading.convert import OWNER_FILE, sweep_orphans
    profile = Path(tempfile.mkdtemp(prefix="tz-lo-warm-"))
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)",
                                 "-env:UserInstallation=" + (profile / "profile").resolve().as_uri()],
                                start_new_session=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (profile / OWNER_FILE).write_text(f"{dead.pid} {stand_in.pid}", encoding="ascii")
    other = Path(tempfile.mkdtemp(prefix="tz-lo-warm-"))          # a live owner's: left alone
    (other / OWNER_FILE).write_text(f"{os.getpid()} {stand_in.pid}", encoding="ascii")
    try:
        assert sweep_orphans() == [stand_in.pid]
        assert stand_in.wait(timeout=10) == -signal.SIGKILL
        assert not profile.exists() and other.exists()
    finally:
        if stand_in.poll() is None:
            stand_in.kill()
        import shutil
        shutil.rmtree(other, ignore_errors=True)


# --- found by an adversarial review -----------------------------------------------------------

RACE = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from pipeline.operations.claims import claim_moved, open_claims
    root, inbox, role = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    ends = time.monotonic() + 4
    n = 0
    while time.monotonic() < ends:
        if role == "claim":
            path = inbox / f"f{n}.xlsx"
            path.write_bytes(b"x")
            claim, why = claim_moved(root, path, inbox)
            assert claim is not None, why
            claim.file.rename(inbox.parent / f"done{n}")     # as if processed
            claim.done()
        else:
            for claim in open_claims(root, inbox):
                claim.close()
        n += 1
    print(n)
""")


def test_claiming_and_recovery_at_the_same_time_never_fail(tmp_path):
    """Every CLI start and every rescan recovers while others claim: no error, no stolen claim."""
    root, inbox = tmp_path / "work", tmp_path / "inbox"
    root.mkdir()
    inbox.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(ROOT), str(root), str(inbox), role],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role in ("claim", "recover", "recover")]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    claimed = int(outs[0][0])
    assert claimed > 50 and len(list(tmp_path.glob("done*"))) == claimed
    assert not any(root.iterdir()) and not any(inbox.iterdir())


def test_a_blocked_work_folder_never_kills_the_watcher(home):
    from pipeline.operations.watcher import Watcher
    ws = Workspace.open(home)
    watcher = Watcher(ws, delay=0.05)
    (ws.work).rmdir()
    ws.work.write_text("挡住工作目录", encoding="utf-8")       # claims cannot be made (as when read-only or full)
    roster_file(ws.inbox / "花名册.xlsx", 2)
    watcher.scan()
    time.sleep(0.1)
    watcher.handle_ready()                                    # no exception: backed off, retried later
    assert (ws.inbox / "花名册.xlsx").exists() and rows(home) == []


def test_a_failure_of_the_environment_is_a_message_per_file_not_a_traceback(home, tmp_path):
    receipts = home / "outbox" / "回执" / BRANCH
    receipts.parent.mkdir(parents=True, exist_ok=True)
    receipts.write_text("挡住回执目录", encoding="utf-8")
    (home / "inbox" / BRANCH).mkdir()
    first = roster_file(home / "inbox" / BRANCH / "a.xlsx", 3)
    second = roster_file(tmp_path / "其他" / "b.xlsx", 4) if (tmp_path / "其他").mkdir() is None else None
    data = [first.read_bytes(), second.read_bytes()]
    done = cli(home, "ingest", str(first), str(second), "--branch", BRANCH)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert [line[:4] for line in done.stdout.splitlines() if line.startswith("！")] == ["！ 失败"] * 2
    receipts.unlink()
    again = cli(home, "watch", "--once", "--delay", "0.1", "--quiet")
    assert again.returncode == 0, again.stderr
    assert_nothing_lost(home, data, duplicates_allowed=False)
    assert {s for _, s, _, _ in rows(home)} == {"accepted"}
    with sqlite3.connect(home / "taizhang.db") as conn:       # --branch travelled with the claim
        assert {b for (b,) in conn.execute("select branch from submissions where file_name='b.xlsx'")} == {BRANCH}


def test_names_of_four_byte_characters_are_handled(home, tmp_path):
    name = "😀" * 60 + ".xlsx"
    path = roster_file(home / "inbox" / name, 5)
    data = path.read_bytes()
    done = cli(home, "ingest", "--branch", BRANCH, str(path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert_nothing_lost(home, [data])
    assert [p.name for p in (home / "outbox" / "回执" / BRANCH).iterdir()][0].endswith(".回执.txt")


def test_the_inbox_reached_through_a_link_is_claimed_not_copied(home, tmp_path):
    link = tmp_path / "链接"
    link.symlink_to(home)
    path = roster_file(home / "inbox" / "花名册.xlsx", 6)
    data = path.read_bytes()
    done = cli(link, "ingest", "--branch", BRANCH, str(link / "inbox" / "花名册.xlsx"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not path.exists()
    assert_nothing_lost(home, [data])


def test_hidden_and_temporary_names_are_not_taken_by_the_cli(home):
    for name in (".claim", "~$花名册.xlsx", ".~tz-copy-1"):
        (home / "inbox" / name).write_bytes(b"x")
        done = cli(home, "ingest", str(home / "inbox" / name))
        assert done.returncode == 0 and "跳过" in done.stdout, done.stdout
        assert (home / "inbox" / name).exists()
    assert rows(home) == []


def test_a_copy_cut_short_by_a_kill_is_dropped_not_ingested(home):
    from pipeline.operations.claims import COPY_PREFIX, JOURNAL
    claim = home / "work" / "1764230400-partial"
    claim.mkdir()
    (claim / JOURNAL).write_text(json.dumps({"origin": "/elsewhere/big.xlsx"}) + "\n", encoding="utf-8")
    (claim / f"{COPY_PREFIX}abcd").write_bytes(b"half of a big file")
    done = cli(home, "watch", "--once", "--delay", "0.1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert rows(home) == [] and not any((home / "work").iterdir())


def test_a_path_that_became_a_folder_is_left_to_the_scan(home):
    from pipeline.operations.claims import claim_moved, claim_root
    ws = Workspace.open(home)
    folder = ws.inbox / "报表.xlsx"
    folder.mkdir()
    roster_file(folder / "inner.xlsx", 7)
    assert claim_moved(claim_root(ws), folder, ws.inbox) == (None, "folder")
    from pipeline.operations.watcher import Watcher
    Watcher(ws, delay=0.05).once()
    assert [(n, s) for n, s, _, _ in rows(home)] == [("inner.xlsx", "accepted")]


def test_recovery_releases_the_exact_reservation_and_its_temporary_files(home):
    from pipeline.operations.claims import claim_moved, claim_root, open_claims
    ws = Workspace.open(home)
    archive = ws.archive / "2026" / BRANCH
    archive.mkdir(parents=True)
    for n in range(1, 7):
        (archive / ("同名.xlsx" if n == 1 else f"同名({n}).xlsx")).write_bytes(b"earlier %d" % n)
    (ws.inbox / "同名.xlsx").write_bytes(b"new")
    claim, _ = claim_moved(claim_root(ws), ws.inbox / "同名.xlsx", ws.inbox)
    placeholder = claim.reserve(archive, "同名.xlsx")
    (archive / f"{TEMP_PREFIX}{claim.token}-half.xlsx").write_bytes(b"half a copy")
    claim.close()                                             # killed before the commit
    for n in range(2, 7):
        (archive / f"同名({n}).xlsx").unlink()                 # staff tidy the archive meanwhile
    (reopened,) = open_claims(claim_root(ws), ws.inbox)
    reopened.release_reservations()
    reopened.close()
    assert placeholder.name == "同名(7).xlsx" and not placeholder.exists()
    assert sorted(p.name for p in archive.iterdir()) == ["同名.xlsx"]


def test_a_receipt_masks_an_id_number_it_quotes(registered, tmp_path):
    """The .txt receipt lies in a shared folder: a wrong ID number is pointed at by its cell, not echoed."""
    from pipeline.operations.ingest import ingest
    from pipeline.samples.college import make_college
    from pipeline.samples.demo import roster_rows

    from .conftest import RECEIVED, write_book
    rows = roster_rows(make_college(2026).branch(BRANCH))[:2]
    rows[0][5] = rows[0][5][:-1] + ("0" if rows[0][5][-1] != "0" else "1")     # a wrong check digit
    result = ingest(write_book(tmp_path / "花名册.xlsx", "A1", rows), registered, received=RECEIVED)
    text = Path(result.receipt).read_text("utf-8-sig")
    assert result.status == "rejected" and "身份证号校验位不符" in text
    assert rows[0][5] not in text and rows[0][5][:4] + "*" * 10 + rows[0][5][-4:] in text
