"""The year-end batch: every document for every branch, in parallel worker processes, resumable,
then a bookmarked archive PDF per branch, a college index and a verifiable manifest.

Work is an explicit, ordered list of steps per branch. Each worker keeps one warm LibreOffice.
A document is skipped on `--resume` when the content hash of its inputs (the branch's live
records, the registry, the config, the templates, the standard, the rate table and the tool
version) equals the one recorded when it was made; the record is written after every document,
so a killed run resumes where it stopped.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from pipeline import DATA, __version__
from pipeline.operations.ingest import file_sha256
from pipeline.documents.render import SHIPPED
from pipeline.core.files import safe_name, write_atomic
from pipeline.documents.stable import made_at, made_on, stable_pdf
from pipeline.workspace import Workspace

STATE = ".taizhang-made.json"
CHECKS = "月度检查结果"             # the branch's inspections in the state, keyed by inputs and day
ARCHIVE_FOLDER = "年终归档"


@dataclass
class BranchRun:
    branch: str
    made: list = field(default_factory=list)      # (step, [paths])
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)    # (step, reason)
    seconds: dict = field(default_factory=dict)   # step → seconds
    checks: list | None = None                    # the year's monthly inspections, when they were made
    pdfs: list = field(default_factory=list)      # (title, pdf path) in archive order
    duty: dict | None = None
    volume: tuple | None = None                   # (archive PDF, pages), made in the worker too


def inputs_hash(ws: Workspace, branch: str | None, year: int) -> str:
    """Everything a branch's documents are made from."""
    digest = hashlib.sha256(f"{__version__}|{year}|{branch}".encode())
    for item, data in ws.store.live_record_data(branch):
        digest.update(item.encode())
        digest.update(data.encode())
    for path in sorted(SHIPPED.glob("*.docx")) + sorted((ws.home / "templates").glob("*.docx")):
        digest.update(path.read_bytes())
    for extra in (ws.home / "taizhang.toml", ws.home / "standard.toml", ws.home / "schedule.toml",
                  DATA / "standard.toml", DATA / "dues_rates.csv", DATA / "schedule.toml"):
        if extra.exists():
            digest.update(extra.read_bytes())
    return digest.hexdigest()


@dataclass
class Made:
    """What a step made: its files, and (the duty report) a summary the college outputs need."""
    paths: list
    summary: dict | None = None


def _with_pdf(path: Path, pdf: bool, author: str, headings=()) -> list[Path]:
    """A document, and its PDF when asked: the one place a batch step turns a document into PDF.
    The PDF's title is the file's name, which is the title inside (§4)."""
    from pipeline.documents.pdf import to_pdf
    if not pdf:
        return [path]
    return [path, to_pdf(path, path.with_suffix(".pdf"), title=path.stem, author=author, subject=path.stem,
                         headings=list(headings))]


def _record_book(ws, branch, year, today, pdf, inspections) -> Made:
    from pipeline.documents.recordbook import HEADINGS, generate
    return Made(_with_pdf(generate(ws, branch, year, today), pdf, branch, HEADINGS))


def _dues_register(ws, branch, year, today, pdf, inspections) -> Made:
    from pipeline.documents.dues import dues_register
    return Made(_with_pdf(dues_register(ws, branch, year, today), pdf, branch))


def _dues_cards(ws, branch, year, today, pdf, inspections) -> Made:
    from pipeline.documents.dues import dues_cards
    return Made(_with_pdf(dues_cards(ws, branch, year, today=today), pdf, branch))


def _dues_notice(ws, branch, year, today, pdf, inspections) -> Made:
    from pipeline.documents.dues import dues_notice
    return Made(_with_pdf(dues_notice(ws, branch, year, today), pdf, branch))


def _final_or_draft(ws, owner: str, year: int, kind: str, draft: Path, pdf: bool) -> list[Path]:
    """The PDF the archive takes: of the 定稿 when the filled-in document came back (item W1), else
    of the 草稿 (marked as such)."""
    from pipeline.documents.pdf import to_pdf
    if not pdf:
        return []
    final = ws.store.final_document(owner, year, kind)
    if final is None:
        return [to_pdf(draft, draft.with_suffix(".pdf"), title=draft.stem, author=owner, subject=draft.stem,
                       headings=[])]
    target = draft.with_name(f"{draft.stem}（定稿）.pdf")
    return [to_pdf(final, target, title=draft.stem, author=owner, subject=draft.stem, headings=[])]


def _duty(ws, branch, year, today, pdf, inspections) -> Made:
    from pipeline.documents.duty import LISTS, REPORT, duty_report
    report, lists_docx, lists_xlsx, context = duty_report(ws, branch, year, today, inspections())
    pdfs = _final_or_draft(ws, branch, year, REPORT, report, pdf) + _final_or_draft(ws, branch, year, LISTS, lists_docx, pdf)
    summary = {"secretary": context["secretary"], "grade": context["vote_grade"],
               "vote": str(context["vote_value"]) if context["vote_value"] is not None else None,
               "average": str(context["average"])}
    return Made([report, lists_docx, lists_xlsx, *pdfs], summary)


def _checks(ws, branch, year, today, pdf, inspections) -> Made:
    """The year's 月度检查表 as one document of all the months ended (the single months are what
    `taizhang check` made month by month): one render, one PDF conversion, a bookmark a month."""
    from pipeline.documents.monthly import inspection_book
    checks = inspections()
    if not checks:
        return Made([])
    book = inspection_book(ws, checks, today)
    out = _with_pdf(book, pdf, branch)
    if pdf:
        _month_bookmarks(out[-1], [c.month for c in checks], year)
    return Made(out)


def _month_bookmarks(pdf: Path, months: list[int], year: int) -> None:
    """One bookmark a month ("3月") at the page its form starts on: from the bookmark LibreOffice made
    of each form's date line (an outline paragraph), else found by that line's text."""
    reader = PdfReader(pdf)
    starts = {}
    for item in _flat_outline(reader.outline):
        found = re.fullmatch(rf"（{year}年(\d{{1,2}})月）", "".join(str(getattr(item, "title", "")).split()))
        if found and int(found[1]) in months:
            starts.setdefault(int(found[1]), reader.get_destination_page_number(item))
    wanted = [m for m in months if m not in starts]
    for n, page in enumerate(reader.pages if wanted else ()):   # a template restyled without the outline level
        text = "".join((page.extract_text() or "").split())
        for month in wanted:
            if f"（{year}年{month}月）" in text:
                starts[month] = n
                wanted.remove(month)
                break
    writer = PdfWriter(clone_from=reader)
    writer._root_object.pop("/Outlines", None)          # LibreOffice's per-heading bookmarks: replaced
    for month in months:
        if month in starts:
            writer.add_outline_item(f"{month}月", starts[month])
    writer.page_mode = "/UseOutlines"
    write_atomic(pdf, stable_pdf(writer))


def _flat_outline(outline) -> list:
    found = []
    for item in outline or ():
        found += _flat_outline(item) if isinstance(item, list) else [item]
    return found


@dataclass(frozen=True)
class Step:
    name: str                           # what the summary calls it
    title: str                          # the document's own title, for bookmarks
    make: Callable[..., Made]           # (ws, branch, year, today, pdf, inspections) → Made
    per_month: bool = False             # one document a month: bookmarked by month


BRANCH_STEPS = (Step("工作记录本", "党支部工作记录本", _record_book),
                Step("党费收缴簿", "支部党费收缴簿", _dues_register),
                Step("党费缴纳登记证", "个人党费缴纳登记证", _dues_cards),
                Step("党费收缴公示", "党费收缴情况公示", _dues_notice),
                Step("述职材料", "述职报告", _duty),
                Step("月度检查表", "月度检查表", _checks, per_month=True))


def _state(ws: Workspace, year: int, branch: str) -> Path:
    return ws.outbox / str(year) / safe_name(branch) / STATE


def run_branch(home: str, branch: str, year: int, today: dt.date, pdf: bool, resume: bool,
               deadline: float | None = None) -> BranchRun:
    """One branch, every step in order (runs in a worker process); its documents are dated `today`
    (the same bytes wherever and whenever they are made). Past `deadline` (time.monotonic()) the
    steps not begun are failed as over time (each conversion has its own time limit besides)."""
    with made_on(today):
        return _run_branch(home, branch, year, today, pdf, resume, deadline)


OVER_TIME = "超过任务时限，未开始"


def _run_branch(home: str, branch: str, year: int, today: dt.date, pdf: bool, resume: bool,
                deadline: float | None) -> BranchRun:
    import logging
    logging.getLogger("pipeline").setLevel(logging.WARNING)
    ws = Workspace.open(home)
    run = BranchRun(branch)
    state_path = _state(ws, year, branch)
    state = json.loads(state_path.read_text("utf-8")) if state_path.exists() else {}
    digest = inputs_hash(ws, branch, year)
    from pipeline.checking.monthly import checks_from_json, checks_to_json, load_standard, year_checks
    saved = state.get(CHECKS)

    checks_failed = []                  # they raised once: reported with the step, not made again

    @functools.cache
    def inspections():          # each month's inspection once, for the 述职 and the 月度检查表 alike
        try:
            return _inspections()
        except Exception:
            checks_failed.append(True)
            raise

    def _inspections():
        if resume and saved and saved.get("inputs") == digest and saved.get("today") == today.isoformat():
            run.checks = checks_from_json(saved.get("checks") or [], load_standard(ws))
            if run.checks is not None:
                return run.checks
        run.checks = year_checks(ws, branch, year, today)
        state[CHECKS] = {"inputs": digest, "today": today.isoformat(), "checks": checks_to_json(run.checks)}
        write_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
        return run.checks

    for step in BRANCH_STEPS:
        started = time.perf_counter()
        if deadline is not None and time.monotonic() > deadline:
            run.failed.append((step.name, OVER_TIME))
            continue
        previous = state.get(step.name)
        if resume and previous and previous["inputs"] == digest and previous["pdf"] >= pdf and \
                all((ws.home / p).exists() for p in previous["files"]):
            made = Made([ws.home / p for p in previous["files"]], previous.get("summary", previous.get("duty")))
            run.skipped.append((step.name, made.paths))
        else:
            try:
                made = step.make(ws, branch, year, today, pdf, inspections)
            except Exception as exc:   # one document failing never stops the others
                run.failed.append((step.name, f"{type(exc).__name__}: {exc}"))
                run.seconds[step.name] = time.perf_counter() - started
                continue
            run.made.append((step.name, made.paths))
            # paths relative to the workspace: a worker host may mount it elsewhere than the caller
            state[step.name] = {"inputs": digest, "pdf": pdf, "files": [ws.store.relative(p) for p in made.paths],
                                "summary": made.summary, "at": dt.datetime.now().isoformat(timespec="seconds")}
            write_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
        if made.summary is not None:
            run.duty = made.summary
        run.seconds[step.name] = time.perf_counter() - started
        run.pdfs += [(_bookmark(step, p), p) for p in made.paths if p.suffix == ".pdf"]
    if run.checks is None and not checks_failed and not (deadline is not None and time.monotonic() > deadline):
        try:                              # the college's part needs them: kept in the state, or made here
            inspections()
        except Exception as exc:          # (in the worker, when the queue runs the branch)
            run.failed.append(("月度检查", f"{type(exc).__name__}: {exc}"))
    if pdf and run.pdfs:                  # the branch's archive volume: in this worker, beside its documents
        general = next((r.get("党总支") or "（党委直属）" for r in ws.store.registry() if r["党支部"] == branch), "")
        try:
            run.volume = _volume(ws, year, branch, general, run.pdfs, ws.outbox / str(year) / ARCHIVE_FOLDER)
        except Exception as exc:
            run.failed.append(("年终归档", f"{type(exc).__name__}: {exc}"))
    return run


LISTS_TITLE = "问题清单、责任清单、整改清单"


def _bookmark(step: Step, path: Path) -> str:
    """The document's kind in the archive (for page labels): its step's title, with the month of a
    monthly one."""
    name = path.stem
    if step.per_month and "（" in name:
        return step.title + name[name.index("（"):]
    return LISTS_TITLE if "问题清单" in name else step.title


def is_draft(pdf: Path) -> bool:
    """A PDF made from a document still marked 草稿 (its .docx beside it says so)."""
    source = pdf.with_suffix(".docx")
    if pdf.stem.endswith("（定稿）") or not source.exists():
        return False
    import docx
    try:
        return docx.Document(str(source)).core_properties.content_status == "草稿"
    except Exception:   # python-docx raises many types on damaged documents
        return False


@dataclass
class YearEnd:
    year: int
    runs: list
    college: list
    archives: list
    manifest: Path | None
    seconds: float
    overview: Path | None = None

    @property
    def failed(self) -> list:
        return [(r.branch, step, why) for r in self.runs for step, why in r.failed]


def year_end(ws: Workspace, year: int, *, jobs: int | None = None, branches: list[str] | None = None,
             pdf: bool = True, resume: bool = False, today: dt.date | None = None, progress=None) -> YearEnd:
    """Every branch's documents (in parallel), the college's, the archive and the manifest."""
    started = time.perf_counter()
    today = today or dt.date.today()
    from pipeline.reading.convert import find_soffice
    pdf = pdf and find_soffice() is not None
    registry = ws.store.registry()
    names = branches or [r["党支部"] for r in registry]
    jobs = max(1, jobs or os.cpu_count() or 1)
    ws.store.close()
    runs: list[BranchRun] = []
    if jobs == 1:
        for name in names:
            runs.append(run_branch(str(ws.home), name, year, today, pdf, resume))
            if progress:
                progress(runs[-1])
    else:
        from pipeline.reading.convert import die_with_parent
        with ProcessPoolExecutor(max_workers=min(jobs, len(names) or 1), initializer=die_with_parent) as pool:
            futures = [pool.submit(run_branch, str(ws.home), name, year, today, pdf, resume) for name in names]
            for future in as_completed(futures):
                runs.append(future.result())
                if progress:
                    progress(runs[-1])
    runs.sort(key=lambda r: names.index(r.branch))
    with made_on(today):
        college, general_volumes = _college_outputs(ws, year, today, runs, registry, pdf, branches is None)
        general_of = {r["党支部"]: r.get("党总支") or "（党委直属）" for r in registry}
        volumes = [(run.branch, general_of.get(run.branch, ""), run.pdfs, run.volume) for run in runs] + \
            [(*v, None) for v in general_volumes]
        archives = _archives(ws, year, volumes, pdf)
    manifest = write_manifest(ws, year)
    from pipeline.documents.overview import refresh
    overview = refresh(ws, today, year)             # outside outbox/<年度>: the manifest does not hold it
    return YearEnd(year, runs, college, archives, manifest, time.perf_counter() - started, overview)


def _college_outputs(ws: Workspace, year: int, today: dt.date, runs: list[BranchRun], registry: list, pdf: bool,
                     everyone: bool) -> list[Path]:
    """The funding sheet, the monthly college summaries, the secretaries' ranking, each 党总支's report."""
    from decimal import Decimal

    from pipeline.checking.monthly import check_all, months_ended
    from pipeline.documents.monthly import college_workbook
    from pipeline.documents.dues import funds
    from pipeline.documents.duty import college_ranking, duty_report_general
    made = [funds(ws, year)]
    if not everyone:
        return made, []
    last = months_ended(year, today)
    known = {r.branch: {c.month: c for c in r.checks} for r in runs if r.checks is not None}
    names = [r["党支部"] for r in registry]
    for month in range(1, last + 1):
        if all(name in known for name in names):       # made by the branch runs: not computed again
            results = [known[name][month] for name in names]
        else:
            results = check_all(ws, year, month, today=today)
        made.append(college_workbook(ws, results, year, month))
    general_of = {r["党支部"]: r.get("党总支") or "（党委直属）" for r in registry}
    rows = [{"branch": r.branch, "general": general_of.get(r.branch, ""), "secretary": r.duty["secretary"],
             "vote": Decimal(r.duty["vote"]) if r.duty.get("vote") else None, "grade": r.duty["grade"],
             "average": Decimal(r.duty["average"])} for r in runs if r.duty]
    made.append(college_ranking(ws, year, rows))
    volumes = []
    from pipeline.documents.duty import LISTS, REPORT
    for general in sorted({r.get("党总支") for r in registry if r.get("党总支")}):
        report, lists_docx, lists_xlsx = duty_report_general(ws, general, year, today,
                                                             {r.branch: r.checks for r in runs if r.checks is not None})
        pdfs = [("述职报告", p) for p in _final_or_draft(ws, general, year, REPORT, report, pdf)] + \
            [(LISTS_TITLE, p) for p in _final_or_draft(ws, general, year, LISTS, lists_docx, pdf)]
        made += [report, lists_docx, lists_xlsx, *(p for _, p in pdfs)]
        volumes.append((general, general, pdfs))
    return made, volumes


def _archives(ws: Workspace, year: int, volumes: list, pdf: bool) -> list[Path]:
    """One PDF a volume (each branch's year, each 党总支's): a 案卷封面 and 卷内目录 (件号, 题名, 页号),
    then each document — its bookmark the document's own name (a draft says 草稿), its own bookmarks
    nested under it; page labels. Then the college's 年终归档目录."""
    if not pdf:
        return []
    folder = ws.outbox / str(year) / ARCHIVE_FOLDER
    made, volumes_made = [], []
    for owner, general, docs, done in volumes:
        if not docs:
            continue
        target, pages = done or _volume(ws, year, owner, general, docs, folder)
        made.append(target)
        volumes_made.append((owner, general, len(docs), pages))
    if volumes_made:
        made.append(_index(ws, year, volumes_made, folder))
    return made


def _volume(ws: Workspace, year: int, owner: str, general: str, docs: list, folder: Path) -> tuple[Path, int]:
    import tempfile

    from pipeline.documents.pdf import to_pdf
    from pipeline.documents.render import render_docx, template_path
    readers = [PdfReader(path) for _, path in docs]
    names = [path.stem.removesuffix("（定稿）") for _, path in docs]
    drafts = [is_draft(path) for _, path in docs]
    college = ws.section("college").get("name", "")
    with tempfile.TemporaryDirectory(prefix="tz-cover-") as tmp:
        front = 2                                   # the cover and one page of 卷内目录, checked below
        for _ in range(2):
            rows, page = [], front + 1
            for n, (name, reader, draft) in enumerate(zip(names, readers, drafts), 1):
                rows.append({"n": n, "title": name, "page": page, "pages": len(reader.pages),
                             "note": "草稿" if draft else ""})
                page += len(reader.pages)
            context = {"college": college, "owner": owner, "general": general or "—", "year": f"{year}年度",
                       "docs": f"{len(docs)}件", "pages": f"{page - 1}页", "keep": "永久",
                       "date": f"{made_at():%Y年%m月%d日}".replace("年0", "年").replace("月0", "月"),
                       "rows": rows}
            cover = render_docx(template_path(ws, "archive_cover.docx"), lambda tpl: context,
                                Path(tmp) / f"{year}年{safe_name(owner)}案卷封面.docx")
            cover_pdf = to_pdf(cover, cover.with_suffix(".pdf"), title="案卷封面", author=owner, subject="案卷封面",
                               headings=[])
            cover_reader = PdfReader(cover_pdf)
            if len(cover_reader.pages) == front:
                break
            front = len(cover_reader.pages)
        writer = PdfWriter()
        writer.append(cover_reader, outline_item="案卷封面和卷内目录")
        writer.set_page_label(0, len(writer.pages) - 1, style="/D", prefix="卷首-")
        for (title, _), name, reader, draft in zip(docs, names, readers, drafts):
            start = len(writer.pages)
            writer.append(reader, outline_item=name + ("（草稿）" if draft else ""), import_outline=True)
            writer.set_page_label(start, len(writer.pages) - 1, style="/D", prefix=_label(title))
    writer.add_metadata({"/Title": f"{year}年{owner}年终归档", "/Author": owner,
                         "/Subject": "党组织台账年终归档", "/Creator": f"taizhang {__version__}"})
    writer.page_mode = "/UseOutlines"
    target = folder / f"{year}年{safe_name(owner)}年终归档.pdf"
    write_atomic(target, stable_pdf(writer))
    return target, len(writer.pages)


SHORT = {"党支部工作记录本": "记录本", "支部党费收缴簿": "收缴簿", "个人党费缴纳登记证": "登记证",
         "党费收缴情况公示": "公示", "述职报告": "述职", "问题清单、责任清单、整改清单": "清单"}


def _label(title: str) -> str:
    """Page labels a reader can quote: 记录本-12, 检查3月-2."""
    if title.startswith("月度检查表（"):
        return f"检查{title[6:].rstrip('）')}-"
    return f"{SHORT.get(title, title[:4])}-"


def _index(ws: Workspace, year: int, volumes: list, folder: Path) -> Path:
    from pipeline.documents.pdf import to_pdf
    from pipeline.documents.render import render_docx, template_path, title_lines
    college = ws.section("college").get("name", "")
    rows = [{"n": n, "general": general if general != owner else "", "branch": owner, "docs": docs, "pages": pages}
            for n, (owner, general, docs, pages) in enumerate(volumes, 1)]
    context = {"college": college, "year": year, "rows": rows, "total": sum(r["pages"] for r in rows),
               "docs": sum(r["docs"] for r in rows),
               "title_lines": title_lines(f"{college}{year}年度", "党组织台账年终归档目录")}
    docx_path = render_docx(template_path(ws, "archive_index.docx"), lambda tpl: context,
                            folder / f"{year}年{safe_name(college)}年终归档目录.docx")
    return to_pdf(docx_path, docx_path.with_suffix(".pdf"), title=docx_path.stem, author=college,
                  subject="年终归档目录", headings=[])


def write_manifest(ws: Workspace, year: int) -> Path:
    """outbox/<年>/manifest.json: every file with SHA-256, size, the inputs' hash and the tool version."""
    root = ws.outbox / str(year)
    inputs = {}
    for state in root.glob(f"*/{STATE}"):
        for step in json.loads(state.read_text("utf-8")).values():
            for file in step.get("files", ()):
                inputs[str((ws.home / file).resolve())] = step["inputs"]
    entries = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in (STATE, "manifest.json")
                       and not p.name.startswith(".~")):
        entries.append({"file": path.relative_to(root).as_posix(), "sha256": file_sha256(path), "size": path.stat().st_size,
                        "inputs": inputs.get(str(path.resolve())), "tool": f"taizhang {__version__}"})
    manifest = {"year": year, "made": dt.datetime.now().isoformat(timespec="seconds"), "tool": f"taizhang {__version__}",
                "files": entries}
    target = root / "manifest.json"
    write_atomic(target, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    return target


def verify_archive(folder: Path) -> tuple[list[str], list[str], int]:
    """(changed, missing, checked) against folder/manifest.json."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    changed, missing = [], []
    for entry in manifest["files"]:
        path = folder / entry["file"]
        if not path.exists():
            missing.append(entry["file"])
        elif path.stat().st_size != entry["size"] or file_sha256(path) != entry["sha256"]:
            changed.append(entry["file"])
    return changed, missing, len(manifest["files"])


def summary(result: YearEnd, ws: Workspace) -> str:
    made = sum(len(paths) for r in result.runs for _, paths in r.made)
    skipped = sum(len(paths) for r in result.runs for _, paths in r.skipped)
    per_step: dict[str, float] = {}
    for run in result.runs:
        for step, seconds in run.seconds.items():
            per_step[step] = per_step.get(step, 0.0) + seconds
    lines = [f"{result.year} 年终批处理完成（{result.seconds:.1f} 秒）：{len(result.runs)} 个党支部，"
             f"生成文件 {made} 个，未变而跳过 {skipped} 个，失败 {len(result.failed)} 项；全院文件 {len(result.college)} 个；"
             f"归档 PDF {len(result.archives)} 个。",
             "各步骤耗时（各支部合计）：" + "，".join(f"{k} {v:.1f} 秒" for k, v in per_step.items())]
    for branch, step, why in result.failed:
        lines.append(f"  ✘ {branch} · {step}：{why}")
    lines.append(f"文书：{ws.outbox / str(result.year)}/<支部>/；全院：{ws.outbox / str(result.year) / '学院'}")
    if result.archives:
        lines.append(f"归档：{ws.outbox / str(result.year) / ARCHIVE_FOLDER}；清单：{result.manifest}"
                     f"（核对：taizhang verify-archive {ws.outbox / str(result.year)}）")
    else:
        lines.append(f"清单：{result.manifest}（未生成 PDF，归档 PDF 略）")
    if result.overview:
        lines.append(f"台账总览：{result.overview}")
    return "\n".join(lines)
