"""One file, start to end: claim → judge (`checking.file.check`) → reserve → store → place → receipts.

`ingest_claim` is the one path every file takes, whoever handed it in (the watcher, `taizhang
ingest`); `check_file` is the judging alone (`taizhang validate`). A file is accepted whole or
rejected whole; every issue is reported at once.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.issues import ERROR, WARNING, Issue, PipelineError
from pipeline.checking.branch import BranchClaim, Forced, branch_from_folder, resolve_branch
from pipeline.checking.file import check
from pipeline.operations.claims import Claim, claim_copied, claim_moved, claim_root, is_ignored, open_claims
from pipeline.core.files import entry_kind, fill_bytes, fill_from, local_writers, safe_name
from pipeline.store_reads import AlreadyAccepted, LedgerRows
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)
NO_BRANCH_FOLDER = "未识别支部"
REGISTRY_FOLDER = "组织部"


@dataclass
class Result:
    file: str
    path: Path
    received: dt.datetime
    sha256: str = ""
    status: str = "rejected"
    branch: str | None = None
    sheets: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    ledgers: list[LedgerRows] = field(default_factory=list)
    duplicate_of: str | None = None
    pictures: list = field(default_factory=list)    # (record, bytes) of Word photos, written on accept
    receipt: Path | None = None
    receipt_copy: Path | None = None     # beside a rejected original
    annotated: Path | None = None
    stored: Path | None = None
    kind: str | None = None              # what the content is: xlsx, docx, legacy-xls …
    note: str = ""                       # why a file was skipped (status 'skipped': nothing recorded)

    @property
    def items(self) -> list[str]:
        codes = []
        for sheet in self.sheets:
            codes += sheet.get("codes") or [sheet["item"]]
        return sorted(set(codes), key=codes.index)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    def as_json(self) -> dict:
        return {"file": self.file, "status": self.status, "branch": self.branch, "items": self.items,
                "issues": [{k: v for k, v in i.as_dict().items() if k != "hint"} | {"hint": i.hint}
                           for i in self.issues],
                "receipt": str(self.receipt) if self.receipt else None} | ({"note": self.note} if self.note else {})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- one file: check, without writing --------------------------------------------------

def check_file(path: Path, ws: Workspace, *, name: str | None = None, folder_branch: str | None = None,
               received: dt.datetime | None = None, year: int | None = None) -> Result:
    """Everything but the store (`taizhang validate`): the verdict, the sheets, the issues, the ledgers."""
    received = received or dt.datetime.now().replace(microsecond=0)
    name = name or path.name
    checked = check(path, ws, name=name, folder_branch=folder_branch, received=received, year=year)
    branches = [s["branch"] for s in checked.sheets if s.get("branch")]
    registry_only = bool(checked.sheets) and all(s["item"] == "Z1" for s in checked.sheets)
    branch = branches[0] if branches else (None if registry_only else folder_branch or None)
    return Result(name, path, received, status="rejected" if checked.errors else "accepted", branch=branch,
                  sheets=list(checked.sheets), issues=list(checked.issues),
                  ledgers=list(checked.ledgers) if not checked.errors else [], pictures=list(checked.pictures),
                  kind=checked.kind)


def evaluate(path: Path, ws: Workspace, *, name: str | None = None, folder_branch: str | None = None,
             received: dt.datetime | None = None, year: int | None = None) -> Result:
    """A duplicate of an accepted file, or the full check. Nothing is written."""
    received = received or dt.datetime.now().replace(microsecond=0)
    display = name or path.name
    sha = file_sha256(path)
    earlier = ws.reads.accepted_with_hash(sha)
    if earlier is None:
        result = check_file(path, ws, name=display, folder_branch=folder_branch, received=received, year=year)
        result.sha256 = sha
        return result
    result = Result(display, path, received, sha, "duplicate", earlier.branch,
                    duplicate_of=f"{earlier.received_at:%Y-%m-%d %H:%M}（{earlier.file_name}）")
    result.issues.append(Issue("duplicate-file", WARNING, "该文件此前已提交并入库，本次不再重复入库"))
    return result



# --- handing a file in: claim, judge, reserve, commit, place, answer ------------------

class Interrupted(PipelineError):
    """Asked to stop while waiting for a file to settle: the claim stays for recovery."""


ENTRY_KINDS = {"symlink": "符号链接（快捷方式）", "fifo": "命名管道", "socket": "套接字", "device": "设备文件",
               "folder": "文件夹"}


def validate_path(path: Path, ws: Workspace, *, folder_branch: str | None = None, year: int | None = None) -> Result:
    """`taizhang validate`: the same verdict as `ingest` would give (the folder names the branch
    the same way), nothing written. A file that vanishes meanwhile is an error, not a traceback."""
    registry = [r["党支部"] for r in ws.reads.registry()]
    branch = Forced(folder_branch) if folder_branch else branch_from_folder(path, ws.inbox_of(Path(path).absolute())
                                                                            or ws.inbox, registry)
    if entry_kind(Path(path).resolve()) != "file":
        return _skipped(Path(path).name, Path(path), "不是普通文件，或已被移走（可能已由收件箱监视进程领取）")
    return check_file(Path(path), ws, folder_branch=branch, year=year)


def ingest(path: Path, ws: Workspace, *, folder_branch: str | None = None,
           received: dt.datetime | None = None, year: int | None = None) -> Result:
    """Hand one file in, as the CLI does: a file in the inbox is claimed by the same rename
    the watcher uses (whoever is first takes it), any other file is copied in. Then the one
    path every file takes: `ingest_claim`. `folder_branch` (--branch) wins over the folder.
    A failure of the environment (disk, permissions, database) gives a 'failed' result, never a
    traceback; the file then waits in work/ for the next run."""
    origin = Path(os.path.abspath(path))
    origin = Path(os.path.realpath(origin.parent)) / origin.name      # the inbox reached through a link is the inbox
    name = origin.name
    if is_ignored(origin, origin.parent) or name.startswith("."):
        return _skipped(name, origin, "隐藏文件、临时文件或锁文件，未处理")
    writers = local_writers(origin)
    if writers:
        return _skipped(name, origin, f"文件正在被其他程序写入（进程 {', '.join(map(str, writers))}），请写完后再提交")
    try:
        inbox = ws.inbox_of(origin)
        if inbox is not None:
            if is_ignored(origin, inbox):
                return _skipped(name, origin, "隐藏文件夹或临时文件，未处理")
            claim, why = claim_moved(claim_root(ws), origin, inbox, branch=folder_branch, received=received)
            if claim is None:
                note = {"gone": "文件已被收件箱监视进程领取处理，回执见 outbox/回执/",
                        "folder": "这是一个文件夹，请提交其中的文件"}.get(why, f"文件暂时无法领取（{why}），请稍后再试")
                return _skipped(name, origin, note)
        else:
            if entry_kind(origin.resolve()) != "file":
                return _skipped(name, origin, "不是普通文件，未处理")
            claim = claim_copied(claim_root(ws), origin, branch=folder_branch, received=received)
    except OSError as exc:
        return _failed(name, origin, exc)
    try:
        return ingest_claim(claim, ws, branch=folder_branch, received=received, year=year)
    except (PipelineError, OSError) as exc:
        return _failed(name, origin, exc)
    finally:
        claim.close()


def _failed(name: str, path: Path, exc: Exception) -> Result:
    log.error("处理 %s 失败：%s", name, exc)
    result = _skipped(name, path, f"处理失败（{exc}）；文件保留在工作目录，监视进程或下次 ingest 会重试")
    result.status = "failed"
    return result


def _skipped(name: str, path: Path, note: str) -> Result:
    result = Result(name, path, dt.datetime.now().replace(microsecond=0), status="skipped")
    result.note = note
    return result


def ingest_claim(claim: Claim, ws: Workspace, *, branch: str | None = None, received: dt.datetime | None = None,
                 settle=None, year: int | None = None) -> Result:
    """One claimed file, start to end: judge it, reserve its destinations, commit, then put the
    original and the receipts in place. `settle(path)` waits until a claimed file is quiet."""
    claim.remember(branch=branch, received=received, year=year)
    registry = [r["党支部"] for r in ws.store.registry()]
    folder = Forced(claim.branch) if claim.branch else branch_from_folder(claim.origin, ws.inbox_of(claim.origin)
                                                                          or ws.inbox, registry)
    received = claim.received
    while True:
        result = _judge(claim, ws, folder, received, registry, settle)
        _reserve(result, claim, ws)
        if result.status == "accepted" and result.pictures:
            from pipeline.reading.word import write_pictures
            write_pictures(result.pictures, ws.home)      # before the commit: records never point at nothing
        try:
            sub_id = ws.store.record_submission(_submission_row(result, claim, ws.store), result.ledgers, result.issues)
            break
        except AlreadyAccepted:    # another process accepted the same bytes first: judge again
            claim.release_reservations()
    finish(result, ws, sub_id, claim)
    return result


def _judge(claim: Claim, ws: Workspace, folder: str | None, received: dt.datetime, registry: list[str],
           settle) -> Result:
    name = claim.relative.name
    kind = entry_kind(claim.file)
    if kind != "file":
        return _odd_entry(claim, name, kind, received, folder, registry)
    if settle is not None:
        settle(claim.file)
    return evaluate(claim.file, ws, name=name, folder_branch=folder, received=received, year=claim.year)


def _odd_entry(claim: Claim, name: str, kind: str | None, received: dt.datetime, folder: str | None,
               registry: list[str]) -> Result:
    """A FIFO, socket, device or link is never opened or followed: recorded, moved aside, answered."""
    result = Result(name, claim.file, received, status="rejected")
    result.branch = resolve_branch(BranchClaim(folder, "folder"), registry)[0] if folder else None
    what = ENTRY_KINDS.get(kind or "", "无法读取的条目")
    result.issues.append(Issue("file-not-regular", ERROR, f"不是普通文件（{what}），未处理",
                               hint="请把文件本身（而不是快捷方式、链接或设备）复制到收件箱"))
    return result


def _reserve(result: Result, claim: Claim, ws: Workspace) -> None:
    """Every destination of this file claimed on disk before the commit records it."""
    name = safe_name(result.file, "文件")
    result.stored = claim.reserve(_original_folder(result, ws), name)
    receipts = ws.receipts / _folder_name(result)
    result.receipt = claim.reserve(receipts, f"{name}.回执.txt")       # `name` leaves room for this
    result.receipt_copy = result.annotated = None
    if result.status != "rejected":
        return
    result.receipt_copy = claim.reserve(result.stored.parent, f"{result.stored.name}.回执.txt")
    if result.kind in ("xlsx", "docx") and not any(i.code.startswith("file-") for i in result.issues):
        result.annotated = claim.reserve(receipts, f"{name}.回执.{result.kind}")


def finish(result: Result, ws: Workspace, sub_id: int, claim: Claim) -> None:
    """After the commit: the original to its reserved place, the receipts. Idempotent (recovery)."""
    source = claim.file
    if result.stored is not None and source != claim.folder and os.path.lexists(source):
        _place(source, result.stored, entry_kind(source), claim.token)
    _write_receipts(result, ws, claim.token)
    ws.store.set_paths(sub_id, receipt_path=ws.store.relative(result.receipt))
    claim.release_reservations()          # an annotated copy that could not be made
    claim.done()
    log.debug("%s %s branch=%s items=%s errors=%d warnings=%d", result.file, result.status, result.branch,
             ",".join(result.items), len(result.errors), len(result.issues) - len(result.errors))


def _place(source: Path, target: Path, kind: str | None, owner: str) -> None:
    """The original onto its reservation: a rename; across file systems a copy — except that a
    link or a special file is never opened: it is recreated (link, FIFO) or, holding no data, dropped."""
    if kind == "file":
        fill_from(source, target, move=True, owner=owner)
        return
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    if kind == "symlink":
        link = os.readlink(source)
        target.unlink()
        os.symlink(link, target)
    elif kind == "fifo" and hasattr(os, "mkfifo"):
        target.unlink()
        os.mkfifo(target)
    else:
        fill_bytes(target, b"")
    source.unlink()


QUEUED_GRACE = 3600.0     # seconds a claim handed to the queue is left to the workers' job


def finish_claim(claim: Claim, ws: Workspace, settle=None) -> Result | None:
    """Take a claim to its end, whatever point it had reached: committed already → only the
    archive copy and the receipt are completed; else it is checked and stored (once: one
    submission per claim token). None when there was no file in it."""
    committed = ws.store.submission_by_claim(claim.token)
    if committed is not None:
        row, issues = committed
        result = result_from_store(row, issues, claim.file, ws.store)
        log.info("完成 %s 的归档和回执", row.file_name)
        finish(result, ws, row.id, claim)
        return result
    if claim.file == claim.folder:          # nothing was moved in
        claim.release_reservations()
        claim.done()
        return None
    claim.release_reservations()
    return ingest_claim(claim, ws, settle=settle)


def recover(ws: Workspace, settle=None) -> list[Result]:
    """Finish what killed processes left in the work folder. A live process's claim is locked
    and left alone, and so is one handed to the workers' queue within the hour; what cannot be
    handled is logged and left as it is — never a crash."""
    done = []
    for claim in open_claims(claim_root(ws), ws.inbox, leave_queued=QUEUED_GRACE):
        try:
            log.info("恢复：%s", claim.relative)
            result = finish_claim(claim, ws, settle)
            if result is None:
                continue
            done.append(result)
        except Interrupted:
            raise
        except (PipelineError, OSError) as exc:
            log.error("恢复 %s 失败，保留在工作目录待下次重试：%s", claim.token, exc)
        except Exception:   # a bug must not make every start fail: logged with its traceback, left as it is
            log.exception("恢复 %s 时发生意外错误，保留在工作目录", claim.token)
        finally:
            claim.close()
    return done


def result_from_store(row, issues: list[Issue], path: Path, store) -> Result:
    """Rebuild a committed submission's result (crash recovery: receipts from the database)."""
    summary = json.loads(row.summary or "{}")
    result = Result(row.file_name, path, row.received_at, row.sha256, row.status, row.branch,
                    sheets=summary.get("sheets", []), issues=issues, duplicate_of=summary.get("duplicate_of"))
    result.stored = store.resolve(row.stored_path)
    result.receipt = store.resolve(row.receipt_path)
    for attr in ("receipt_copy", "annotated"):
        if summary.get(attr):
            setattr(result, attr, store.resolve(summary[attr]))
    return result


def _submission_row(result: Result, claim: Claim, store) -> dict:
    """The submission as the database keeps it: paths relative to the workspace."""
    errors = len(result.errors)
    summary = {"sheets": result.sheets, "duplicate_of": result.duplicate_of,
               "receipt_copy": store.relative(result.receipt_copy), "annotated": store.relative(result.annotated)}
    return {"file_name": result.file, "sha256": result.sha256, "size": os.lstat(claim.file).st_size,
            "received_at": result.received, "status": result.status, "branch": result.branch,
            "items": ",".join(result.items), "error_count": errors,
            "warning_count": len(result.issues) - errors, "stored_path": store.relative(result.stored),
            "receipt_path": store.relative(result.receipt), "claim": claim.token,
            "summary": json.dumps(summary, ensure_ascii=False)}


def _folder_name(result: Result) -> str:
    """Where a file's receipt and original go: its branch, 组织部 for the registry."""
    if result.branch:
        return safe_name(result.branch)
    return REGISTRY_FOLDER if result.items == ["Z1"] else NO_BRANCH_FOLDER


def _original_folder(result: Result, ws: Workspace) -> Path:
    branch = _folder_name(result)
    if result.status == "accepted":
        return ws.archive / str(result.received.year) / branch
    if result.status == "duplicate":
        return ws.archive / "重复提交" / branch
    return ws.rejected / branch


def _write_receipts(result: Result, ws: Workspace, owner: str) -> None:
    """The text receipt in outbox/回执/<支部>/ (and beside a rejected original), the marked copy —
    each into the place reserved for this submission alone."""
    from pipeline.documents.receipts import annotate_document, annotate_workbook, text_receipt
    if result.annotated is not None:
        annotate = annotate_workbook if result.annotated.suffix == ".xlsx" else annotate_document
        try:
            made = entry_kind(result.stored) == "file" and annotate(result.stored, result.issues, result.annotated)
        except Exception as exc:             # a marked copy never stands in the way of the text receipt
            log.warning("回执副本未能生成（%s）：%s", result.file, exc)
            made = None
        if not made:
            result.annotated = None          # its reservation is released by `finish`
    text = text_receipt(result).encode("utf-8-sig")   # BOM: Notepad on Windows reads it right
    fill_bytes(result.receipt, text, owner)
    if result.receipt_copy is not None:
        fill_bytes(result.receipt_copy, text, owner)
