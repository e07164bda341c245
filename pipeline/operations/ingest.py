"""The pipeline for one file, top to bottom: read → recognise → validate → store → receipt.

`check_file` does everything that does not change the world (used by `validate`);
`ingest` adds the store, the receipts and the copy of the original. A file is accepted
whole or rejected whole; every issue is reported at once.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.issues import ERROR, WARNING, Issue, PipelineError
from pipeline.reading.layout import Layout, layout_sheet
from pipeline.reading.excel import EXCEL_SUFFIXES, LEGACY_SUFFIXES, WORD_SUFFIXES, inspect_file, read_workbook
from pipeline.store import LedgerRows
from pipeline.core.records import Context, Member
from pipeline.checking.cells import parse_rows, validate
from pipeline.checking.branch import BranchClaim, branch_from_folder, resolve_branch, resolve_period
from pipeline.operations.claims import Claim, claim_copied, claim_moved, claim_root, is_ignored, open_claims
from pipeline.core.files import entry_kind, fill_bytes, fill_from, local_writers, safe_name
from pipeline.store import AlreadyAccepted
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


# --- one file -----------------------------------------------------------------------

def _order(layouts: list[Layout]) -> list[Layout]:
    """The registry first, then rosters: later sheets of the same file check against them."""
    rank = {"Z1": 0, "A1": 1}
    return sorted(layouts, key=lambda lay: rank.get(lay.item.code, 2))


def _college_rows(rows, registry: list[str], layout: Layout) -> list[Issue]:
    """A college-wide sheet names a branch on every row: each must be registered; it needs a month."""
    issues = []
    if layout.month is None:
        issues.append(Issue("no-period", ERROR, "人工评分表需要写明月份", sheet=layout.sheet,
                            hint="请在表名中写明，如“2026年11月月度检查人工评分表”"))
    for row in rows:
        if row.ok("党支部"):
            branch, found = resolve_branch(BranchClaim(row.get("党支部"), "field"), registry)
            if branch is None:
                issues += [row.issue("党支部", i.code, i.message, i.hint) for i in found]
            else:
                row.values["党支部"] = branch
    return issues


def _registry_from(rows) -> list[str]:
    return [r.get("党支部") for r in rows if r.ok("党支部")]


def check_file(path: Path, ws: Workspace, *, name: str | None = None, folder_branch: str | None = None,
               received: dt.datetime | None = None) -> Result:
    """Everything but the store: the file's status, sheets, issues and the ledgers to store."""
    received = received or dt.datetime.now().replace(microsecond=0)
    result = Result(name or path.name, path, received)
    try:
        _check(path, ws, result, folder_branch)
    except PipelineError:
        raise
    except Exception:   # a bug met on odd input: reject this file, keep it, log the details, go on
        log.exception("unexpected failure while checking %s", path)
        result.ledgers.clear()
        result.issues.append(Issue("internal-error", ERROR, "系统处理该文件时发生意外错误，文件已保留，未入库",
                                   hint="请联系管理员查看日志；也可检查文件能否在 Excel 中正常打开"))
    branches = [s["branch"] for s in result.sheets if s.get("branch")]
    registry_only = bool(result.sheets) and all(s["item"] == "Z1" for s in result.sheets)
    result.branch = branches[0] if branches else (None if registry_only else folder_branch or None)
    result.status = "rejected" if result.errors else "accepted"
    return result


def _check(path: Path, ws: Workspace, result: Result, folder_branch: str | None) -> None:
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES | LEGACY_SUFFIXES | WORD_SUFFIXES:
        result.issues.append(Issue("file-unsupported", ERROR, f"不支持的文件类型“{suffix or '无扩展名'}”",
                                   hint="请提交 Excel 工作簿（.xlsx/.xls）或 Word 文档（.docx/.doc）"))
        return
    kind, issues = inspect_file(path, ws.limits)
    result.issues += issues
    result.kind = kind
    if kind is None:
        return
    if kind.startswith("legacy"):
        with tempfile.TemporaryDirectory(prefix="tz-conv-") as tmp:
            converted = _convert_legacy(path, kind, Path(tmp), result)
            if converted is not None:
                _check_content(converted, "docx" if kind == "legacy-doc" else "xlsx", ws, result, folder_branch)
        return
    _check_content(path, kind, ws, result, folder_branch)


def _convert_legacy(path: Path, kind: str, tmp: Path, result: Result) -> Path | None:
    """.doc/.wps → .docx, .xls/.et → .xlsx with LibreOffice; the original is what gets archived."""
    from pipeline.reading.convert import ConversionError, shared_converter
    legacy = tmp / f"{safe_name(path.stem, 'source')}{'.doc' if kind == 'legacy-doc' else '.xls'}"
    shutil.copyfile(path, legacy)
    try:
        return shared_converter().convert(legacy, tmp / "converted")
    except ConversionError as exc:
        modern = ".docx" if kind == "legacy-doc" else ".xlsx"
        result.issues.append(Issue("file-legacy-format", ERROR, f"旧版格式文件未能自动转换：{exc}",
                                   hint=f"请在 Word/Excel/WPS 中“另存为” {modern} 后重新提交"))
        return None


def _check_content(path: Path, kind: str, ws: Workspace, result: Result, folder_branch: str | None) -> None:
    registry = [r["党支部"] for r in ws.store.registry()]
    if kind == "docx":
        from pipeline.checking.word import check_word
        check_word(path, ws, result, registry, folder_branch)
        return
    raw_sheets, read_issues = read_workbook(path, ws.limits)
    result.issues += read_issues
    layouts = []
    for raw in raw_sheets:
        layout, issues = layout_sheet(raw, tuple(registry), folder_branch)
        result.issues += issues
        if layout is not None:
            layouts.append(layout)
    rosters: dict[str, list[Member]] = {}
    for layout in _order(layouts):
        _check_sheet(layout, ws, result, registry, rosters)
    if not layouts and not result.errors:
        result.issues.append(Issue("no-ledger", ERROR, "文件中没有可识别的台账工作表",
                                   hint="请使用统一的台账模板（taizhang templates 可生成），第一行写明表名"))


def _check_sheet(layout: Layout, ws: Workspace, result: Result, registry: list[str],
                 rosters: dict[str, list[Member]]) -> None:
    item = layout.item
    received = result.received.date()
    sheet_issues: list[Issue] = []
    branch = None
    if not item.college:
        claim = BranchClaim(layout.branch, layout.branch_from, layout.sheet, layout.branch_cell)
        branch, issues = resolve_branch(claim, registry)
        sheet_issues += issues
    year = layout.year or (layout.filled_on.year if layout.filled_on else None)
    ctx = Context(result.file, received, branch, year, layout.month, dues=ws.dues)
    if branch is not None and item.code not in ("A1", "Z1"):
        ctx.roster = rosters[branch] if branch in rosters else ws.store.roster(branch, year)
    if branch is not None and item.code == "C2":
        ctx.dues_bases = ws.store.dues_bases(branch, year or received.year)[0]
    rows, issues = parse_rows(layout, ctx)
    sheet_issues += issues
    if item.code == "M1":
        sheet_issues += _college_rows(rows, registry, layout)
    period, ctx.year, ctx.as_of = resolve_period(layout, rows, received)
    if not rows and not any(i.is_error for i in sheet_issues):
        sheet_issues.append(_empty_sheet(layout))
    sheet_issues += validate(rows, item, ctx)
    sheet_issues.sort(key=lambda i: (i.row or 0, i.cell or ""))
    result.issues += sheet_issues
    codes = sorted({r.item for r in rows}) if item.code == "B" else [item.code]
    result.sheets.append({"sheet": layout.sheet, "item": item.code, "codes": codes, "branch": branch,
                          "period": period if period != "snapshot" else None, "rows": len(rows)})
    if any(i.is_error for i in sheet_issues):
        return
    if item.code == "Z1":
        registry[:] = _registry_from(rows)
    if item.code == "A1" and branch:
        rosters[branch] = [Member.from_roster(r.values) for r in rows]
    result.ledgers.append(LedgerRows(item.code, branch, period, layout.sheet, ctx.as_of, rows))


def _empty_sheet(layout: Layout) -> Issue:
    """A ledger of a state (registry, roster, bases, committee) cannot be empty; one of events may."""
    if layout.item.state:
        return Issue("no-data-state", ERROR, f"《{layout.item.name}》中没有数据行",
                     sheet=layout.sheet, hint="这张表登记的是现状，不能为空：请在表头下逐行填写后重新提交")
    return Issue("no-data", WARNING, "表中没有数据行（本期确无记录的可忽略此提示）", sheet=layout.sheet)


def evaluate(path: Path, ws: Workspace, *, name: str | None = None, folder_branch: str | None = None,
             received: dt.datetime | None = None) -> Result:
    """A duplicate of an accepted file, or the full check. Nothing is written."""
    received = received or dt.datetime.now().replace(microsecond=0)
    display = name or path.name
    sha = file_sha256(path)
    earlier = ws.store.accepted_with_hash(sha)
    if earlier is None:
        result = check_file(path, ws, name=display, folder_branch=folder_branch, received=received)
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


def validate_path(path: Path, ws: Workspace, *, folder_branch: str | None = None) -> Result:
    """`taizhang validate`: the same verdict as `ingest` would give (the folder names the branch
    the same way), nothing written. A file that vanishes meanwhile is an error, not a traceback."""
    registry = [r["党支部"] for r in ws.store.registry()]
    branch = folder_branch or branch_from_folder(path, ws.inbox, registry)
    if entry_kind(Path(path).resolve()) != "file":
        return _skipped(Path(path).name, Path(path), "不是普通文件，或已被移走（可能已由收件箱监视进程领取）")
    return check_file(Path(path), ws, folder_branch=branch)


def ingest(path: Path, ws: Workspace, *, folder_branch: str | None = None,
           received: dt.datetime | None = None) -> Result:
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
        if _inside(origin, ws.inbox):
            if is_ignored(origin, ws.inbox):
                return _skipped(name, origin, "隐藏文件夹或临时文件，未处理")
            claim, why = claim_moved(claim_root(ws), origin, ws.inbox, branch=folder_branch, received=received)
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
        return ingest_claim(claim, ws, branch=folder_branch, received=received)
    except (PipelineError, OSError) as exc:
        return _failed(name, origin, exc)
    finally:
        claim.close()


def _failed(name: str, path: Path, exc: Exception) -> Result:
    log.error("处理 %s 失败：%s", name, exc)
    result = _skipped(name, path, f"处理失败（{exc}）；文件保留在工作目录，监视进程或下次 ingest 会重试")
    result.status = "failed"
    return result


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _skipped(name: str, path: Path, note: str) -> Result:
    result = Result(name, path, dt.datetime.now().replace(microsecond=0), status="skipped")
    result.note = note
    return result


def ingest_claim(claim: Claim, ws: Workspace, *, branch: str | None = None, received: dt.datetime | None = None,
                 settle=None) -> Result:
    """One claimed file, start to end: judge it, reserve its destinations, commit, then put the
    original and the receipts in place. `settle(path)` waits until a claimed file is quiet."""
    claim.remember(branch=branch, received=received)
    registry = [r["党支部"] for r in ws.store.registry()]
    folder = claim.branch or branch_from_folder(claim.origin, ws.inbox, registry)
    received = claim.received
    while True:
        result = _judge(claim, ws, folder, received, registry, settle)
        _reserve(result, claim, ws)
        if result.status == "accepted" and result.pictures:
            from pipeline.reading.word import write_pictures
            write_pictures(result.pictures, ws.home)      # before the commit: records never point at nothing
        try:
            sub_id = ws.store.record_submission(_submission_row(result, claim), result.ledgers, result.issues)
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
    return evaluate(claim.file, ws, name=name, folder_branch=folder, received=received)


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
    ws.store.set_paths(sub_id, receipt_path=str(result.receipt))
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


def recover(ws: Workspace, settle=None) -> list[Result]:
    """Finish what killed processes left in the work folder. A live process's claim is locked
    and left alone; what cannot be handled is logged and left as it is — never a crash."""
    done = []
    for claim in open_claims(claim_root(ws), ws.inbox):
        try:
            committed = ws.store.submission_by_claim(claim.token)
            if committed is not None:
                row, issues = committed
                result = result_from_store(row, issues, claim.file)
                log.info("恢复：完成 %s 的归档和回执", row.file_name)
                finish(result, ws, row.id, claim)
            elif claim.file == claim.folder:          # nothing was moved in
                claim.release_reservations()
                claim.done()
                continue
            else:
                log.info("恢复：重新处理 %s", claim.relative)
                claim.release_reservations()
                result = ingest_claim(claim, ws, settle=settle)
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


def result_from_store(row, issues: list[Issue], path: Path) -> Result:
    """Rebuild a committed submission's result (crash recovery: receipts from the database)."""
    summary = json.loads(row.summary or "{}")
    result = Result(row.file_name, path, row.received_at, row.sha256, row.status, row.branch,
                    sheets=summary.get("sheets", []), issues=issues, duplicate_of=summary.get("duplicate_of"))
    result.stored = Path(row.stored_path) if row.stored_path else None
    result.receipt = Path(row.receipt_path) if row.receipt_path else None
    for attr in ("receipt_copy", "annotated"):
        if summary.get(attr):
            setattr(result, attr, Path(summary[attr]))
    return result


def _submission_row(result: Result, claim: Claim) -> dict:
    errors = len(result.errors)
    summary = {"sheets": result.sheets, "duplicate_of": result.duplicate_of,
               "receipt_copy": str(result.receipt_copy) if result.receipt_copy else None,
               "annotated": str(result.annotated) if result.annotated else None}
    return {"file_name": result.file, "sha256": result.sha256, "size": os.lstat(claim.file).st_size,
            "received_at": result.received, "status": result.status, "branch": result.branch,
            "items": ",".join(result.items), "error_count": errors,
            "warning_count": len(result.issues) - errors, "stored_path": str(result.stored),
            "receipt_path": str(result.receipt), "claim": claim.token,
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
        if entry_kind(result.stored) != "file" or annotate(result.stored, result.issues, result.annotated) is None:
            result.annotated = None          # its reservation is released by `finish`
    text = text_receipt(result).encode("utf-8-sig")   # BOM: Notepad on Windows reads it right
    fill_bytes(result.receipt, text, owner)
    if result.receipt_copy is not None:
        fill_bytes(result.receipt_copy, text, owner)
