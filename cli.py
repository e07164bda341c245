"""taizhang command line: a thin click layer over `pipeline`.

Each command parses options, calls one library function, prints (text or --json) and
sets the exit code: 0 all good, 1 data errors (a file rejected), 2 usage or environment.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from pipeline.core.issues import PipelineError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PipelineError as exc:
            click.echo(f"错误：{exc}", err=True)
            ctx.exit(2)


def _workspace(ctx):
    from pipeline.workspace import Workspace
    return Workspace.open(ctx.obj["home"])


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="TAIZHANG_HOME",
              help="工作区目录（默认当前目录；也可设环境变量 TAIZHANG_HOME）。")
@click.option("-v", "--verbose", is_flag=True, help="输出调试日志。")
@click.version_option(package_name="taizhang", message="taizhang %(version)s")
@click.pass_context
def main(ctx, home, verbose):
    """taizhang 党支部台账自动化：收件、校验、回执、入库与文书生成。

    \b
    常用：
      taizhang init                  建立工作区
      taizhang ingest 花名册.xlsx     校验并入库，生成回执
      taizhang demo                  用示例学院数据演示全流程
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（每个文件一个对象）。")
files_argument = click.argument("files", nargs=-1, required=True,
                                type=click.Path(exists=True, dir_okay=False, path_type=Path))


@main.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx, directory):
    """建立工作区：inbox/ outbox/ archive/ rejected/、数据库和配置文件。

    \b
    示例：
      taizhang init D:\\党建台账
      taizhang --home /srv/taizhang init
    """
    from pipeline.workspace import Workspace
    ws = Workspace.open(directory or ctx.obj["home"])
    made = ws.init()
    click.echo(f"工作区：{ws.home}")
    for path in made:
        click.echo(f"  已创建 {path.relative_to(ws.home)}")
    if not made:
        click.echo("  （已存在，未作改动）")


def _print_results(results, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
        return
    marks = {"accepted": "✔ 通过", "rejected": "✘ 未通过", "duplicate": "＝ 重复", "skipped": "－ 跳过",
             "failed": "！ 失败"}
    for r in results:
        if r.status in ("skipped", "failed"):
            click.echo(f"{marks[r.status]}  {r.file}  {r.note}")
            continue
        errors = len(r.errors)
        click.echo(f"{marks[r.status]}  {r.file}  支部：{r.branch or '—'}  台账：{','.join(r.items) or '—'}  "
                   f"错误 {errors}，提示 {len(r.issues) - errors}")
        for issue in r.issues:
            if issue.is_error or r.status != "accepted":
                click.echo(f"    {issue.text()}")
        if r.receipt:
            click.echo(f"    回执：{r.receipt}")


def _exit_code(results) -> int:
    if any(r.status == "failed" for r in results):
        return 2
    return 1 if any(r.status == "rejected" for r in results) else 0


def file_command(func):
    """The options shared by commands over submitted files."""
    for decorator in reversed((main.command(name=func.__name__, context_settings=CONTEXT), files_argument,
                               click.option("--branch", help="按此支部处理（优先于文件中写的支部）。"),
                               click.option("--year", type=click.IntRange(2000, 2100),
                                            help="文件中（表名、文件名）未写明年度时，按此年度处理，如 2026。"),
                               json_option)):
        func = decorator(func)
    return func


def _run_files(ctx, ws, handle, files, branch, as_json, year=None, overview=False) -> None:
    results = [handle(path, ws, folder_branch=branch, year=year) for path in files]
    _print_results(results, as_json)
    if overview and any(r.status in ("accepted", "rejected") for r in results):
        from pipeline.documents.overview import refresh
        refresh(ws)           # the 台账总览 pages show what was just stored
    ctx.exit(_exit_code(results))


@file_command
@click.pass_context
def validate(ctx, files, branch, year, as_json):
    """只校验，不入库、不生成回执。

    \b
    示例：
      taizhang validate 花名册.xlsx 党费收缴登记表.xlsx
      taizhang validate --json 花名册.xlsx
    """
    from pipeline.operations.ingest import validate_path
    ws = _workspace(ctx)
    ws.read_only = True           # reads only: the store through sqlite3, without SQLAlchemy
    _run_files(ctx, ws, validate_path, files, branch, as_json, year)


@file_command
@click.pass_context
def ingest(ctx, files, branch, year, as_json):
    """校验并入库；每个文件生成回执，原件复制到 archive/ 或 rejected/。

    收件箱中的文件与监视进程按同一方式领取：谁先领取谁处理，不会重复入库；
    文件所在的文件夹若以已登记的党支部命名，即按该支部处理（--branch 优先）。

    \b
    示例：
      taizhang ingest 党组织设置表.xlsx
      taizhang --home /srv/taizhang ingest --json inbox/*.xlsx
    """
    from pipeline.operations.ingest import ingest as ingest_file
    from pipeline.operations.ingest import recover
    ws = _workspace(ctx)
    ws.init()
    recover(ws)           # claims left by a killed process (a live one's are locked and left alone)
    _run_files(ctx, ws, ingest_file, files, branch, as_json, year, overview=True)


@main.command(context_settings=CONTEXT)
@click.option("--polling", type=float, is_flag=False, flag_value=5.0, default=None, metavar="[秒]",
              help="强制用轮询方式（默认每 5 秒）；收件箱在网络共享上时自动启用。")
@click.option("--native", is_flag=True, help="即使在网络共享上也只用文件系统事件（不建议）。")
@click.option("--once", is_flag=True, help="处理收件箱中现有的文件后退出（用于计划任务和测试）。")
@click.option("--delay", type=float, default=2.0, show_default=True, help="文件大小和修改时间保持不变多少秒后才处理。")
@click.option("--rescan", type=float, default=300.0, show_default=True, help="每隔多少秒全量扫描一次收件箱（防漏）。")
@click.option("--overview-delay", type=float, default=10.0, show_default=True,
              help="一批文件处理完、收件箱静默多少秒后更新台账总览页面。")
@click.option("--no-overview", is_flag=True, help="不自动更新台账总览页面。")
@click.option("--inbox", "inbox_name", metavar="文件夹",
              help="监视工作区的另一个收件箱（须列在 taizhang.toml 的 [watch] inboxes 中）；每个收件箱一个监视进程。")
@click.option("--queue", "to_queue", is_flag=True,
              help="把需要转换的旧版文件和大文件交给工作进程（taizhang worker）处理；需要 PostgreSQL。")
@click.option("--queue-above", type=float, default=2.0, show_default=True, metavar="MB",
              help="与 --queue 同用：不小于此大小的文件交给工作进程；0 表示全部交给工作进程。")
@click.option("-q", "--quiet", is_flag=True, help="不在屏幕上输出日志（仍写入 logs/taizhang.log）。")
@click.pass_context
def watch(ctx, polling, native, once, delay, rescan, overview_delay, no_overview, inbox_name, to_queue, queue_above,
          quiet):
    """监视收件箱：文件放入并写完后自动校验、入库、回执、归档。

    \b
    示例：
      taizhang --home /srv/taizhang watch
      taizhang --home /mnt/党建共享 watch --polling 10
      taizhang watch --once          # 计划任务：处理一遍就退出
    """
    from pipeline.operations.watcher import InboxLock, Watcher, network_fs_type, setup_logging
    ws = _workspace(ctx)
    ws.init()
    setup_logging(ws, quiet)
    inbox = ws.inbox
    if inbox_name:
        inbox = next((i for i in ws.inboxes() if inbox_name in (i.name, str(i), os.path.relpath(i, ws.home))), None)
        if inbox is None:
            raise click.UsageError(f"收件箱“{inbox_name}”不在工作区的收件箱中：请在 taizhang.toml 的 [watch] inboxes 中列出它，"
                                   f"如 inboxes = [\"{inbox_name}\"]")
        _check_inbox(ws, inbox)
    if polling is None and not native:
        fs_type = network_fs_type(inbox)
        if fs_type:
            polling = 5.0
            click.echo(f"收件箱位于网络文件系统（{fs_type}），改用轮询方式。", err=True)
    handoff = None
    if to_queue:
        from pipeline.operations.queue import Handoff
        handoff = Handoff(ws, queue_above)
    with InboxLock(ws, inbox):
        watcher = Watcher(ws, delay=delay, polling=polling, rescan=rescan, overview=not no_overview,
                          overview_delay=overview_delay, inbox=inbox, handoff=handoff)
        watcher.install_signal_handlers()
        try:
            if once:
                counts = watcher.once()
                ctx.exit(1 if counts["rejected"] else 0)
            watcher.run()
        finally:
            if handoff is not None:
                handoff.close()


def _check_inbox(ws, inbox: Path) -> None:
    """Another inbox must lie in the workspace, on the file system of its work folder (a claim is
    one rename)."""
    from pipeline.operations.claims import claim_root
    try:
        inbox.resolve().relative_to(ws.home.resolve())
    except ValueError:
        raise click.UsageError(f"收件箱 {inbox} 不在工作区 {ws.home} 之内：请把它放在工作区里，"
                               "在 [watch] inboxes 中写相对路径") from None
    inbox.mkdir(parents=True, exist_ok=True)
    if os.stat(inbox).st_dev != os.stat(claim_root(ws)).st_dev:
        raise click.UsageError(f"收件箱 {inbox} 与工作目录不在同一个文件系统上，文件无法原子地领取：请把它放在工作区的同一存储上")


@main.command(context_settings=CONTEXT)
@click.option("--user", help="运行服务的系统用户。")
@click.option("--polling", type=float, default=None, help="收件箱在网络共享上时的轮询间隔（秒）。")
@click.option("--write", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="写入该文件（如 /etc/systemd/system/taizhang.service），而不是打印。")
@click.pass_context
def service(ctx, user, polling, target):
    """生成 systemd 服务单元，让 watch 随系统启动、异常退出后自动重启。

    \b
    示例：
      taizhang --home /srv/taizhang service --user taizhang
      sudo taizhang --home /srv/taizhang service --write /etc/systemd/system/taizhang.service
    """
    import shutil as _shutil
    from pipeline.operations.watcher import systemd_unit
    from pipeline.core.files import write_atomic
    ws = _workspace(ctx)
    script = Path(sys.executable).with_name("taizhang")
    executable = str(script) if script.exists() else (_shutil.which("taizhang")
                                                      or f"{sys.executable} {Path(__file__).resolve()}")
    unit = systemd_unit(ws, executable, user, polling)
    if target:
        write_atomic(target, unit.encode("utf-8"))
        click.echo(f"已写入 {target}。启用：sudo systemctl daemon-reload && sudo systemctl enable --now {target.stem}")
    else:
        click.echo(unit, nl=False)


@main.group(context_settings=CONTEXT)
def generate():
    """生成标准化文书（写入 outbox/<年度>/<支部>/）。

    \b
    示例：
      taizhang generate record-book --branch 机电工程学院教工党支部 --year 2026 --pdf
      taizhang generate record-book --all --year 2026
    """


@generate.command("record-book", context_settings=CONTEXT)
@click.option("--branch", "branches", multiple=True, help="党支部名称（可写多次）。")
@click.option("--all", "everyone", is_flag=True, help="所有已登记的党支部。")
@click.option("--year", type=int, default=None, help="年度（默认今年）。")
@click.option("--pdf", is_flag=True, help="同时生成带书签的 PDF（需要 LibreOffice）。")
@json_option
@click.pass_context
def record_book(ctx, branches, everyone, year, pdf, as_json):
    """《党支部工作记录本》：封面、目录、基本情况、花名册（脱敏）、计划、各类会议记录及照片、各项汇总、总结、缺项提示。

    \b
    示例：
      taizhang generate record-book --branch 机电工程学院教工党支部 --year 2026 --pdf
      taizhang generate record-book --all --year 2026
    """
    import datetime as _dt
    from pipeline.documents.recordbook import generate_all
    if not branches and not everyone:
        raise click.UsageError("请用 --branch 指定党支部，或用 --all 生成全部")
    ws = _workspace(ctx)
    registered = [r["党支部"] for r in ws.store.registry()]
    unknown = [b for b in branches if b not in registered]
    if unknown:
        raise click.UsageError(f"未登记的党支部：{'、'.join(unknown)}")
    done = generate_all(ws, year or _dt.date.today().year, list(branches) or None, pdf)
    if as_json:
        click.echo(json.dumps([{k: str(v) if isinstance(v, Path) else v for k, v in d.items()} for d in done],
                              ensure_ascii=False, indent=2))
    else:
        for d in done:
            click.echo(f"{'✘' if d['error'] else '✔'} {d['branch']}：{d['docx']}" + (f"\n   {d['pdf']}" if d["pdf"] else "")
                       + (f"\n   {d['error']}" if d["error"] else ""))
    ctx.exit(1 if any(d["error"] for d in done) else 0)


def _branch_year(ctx, branch: str, year: int | None):
    import datetime as _dt
    ws = _workspace(ctx)
    if branch not in [r["党支部"] for r in ws.store.registry()]:
        raise click.UsageError(f"未登记的党支部：{branch}")
    return ws, year or _dt.date.today().year


def _pdf_of(path: Path, title: str, author: str) -> Path | None:
    from pipeline.reading.convert import ConversionError
    from pipeline.documents.pdf import to_pdf
    try:
        return to_pdf(path, path.with_suffix(".pdf"), title=title, author=author, subject=title, headings=[])
    except ConversionError as exc:
        click.echo(f"PDF 未生成：{exc}", err=True)
        return None


branch_option = click.option("--branch", required=True, help="党支部名称。")
year_option = click.option("--year", type=int, default=None, help="年度（默认今年）。")


@generate.command("dues-register", context_settings=CONTEXT)
@branch_option
@year_option
@click.option("--pdf", is_flag=True, help="同时生成可打印的 PDF。")
@click.pass_context
def dues_register_command(ctx, branch, year, pdf):
    """《支部党费收缴簿》：成员×月份明细（基数、比例、月应缴、1–12月实缴、合计、少缴/欠缴），上缴、使用、结余，提示和比例表。

    \b
    示例：
      taizhang generate dues-register --branch 机电工程学院教工党支部 --year 2026 --pdf
    """
    from pipeline.documents.dues import REGISTER, dues_register
    ws, year = _branch_year(ctx, branch, year)
    path = dues_register(ws, branch, year)
    click.echo(str(path))
    if pdf and _pdf_of(path, f"{year}年{branch}{REGISTER}", branch) is None:
        ctx.exit(1)


@generate.command("dues-cards", context_settings=CONTEXT)
@branch_option
@year_option
@click.option("--member", help="只生成这名党员的登记证。")
@click.pass_context
def dues_cards_command(ctx, branch, year, member):
    """《个人党费缴纳登记证》：每名党员一页，12 个月的基数、比例、应缴、实缴、日期、收缴人，年度合计（含大写）。

    \b
    示例：
      taizhang generate dues-cards --branch 机电工程学院教工党支部 --year 2026
      taizhang generate dues-cards --branch 机电工程学院教工党支部 --member 张三
    """
    from pipeline.documents.dues import dues_cards
    ws, year = _branch_year(ctx, branch, year)
    click.echo(str(dues_cards(ws, branch, year, member)))


@generate.command("dues-notice", context_settings=CONTEXT)
@branch_option
@year_option
@click.pass_context
def dues_notice_command(ctx, branch, year):
    """党费收缴情况公示（每年向党员公布一次）。

    \b
    示例：
      taizhang generate dues-notice --branch 机电工程学院教工党支部 --year 2026
    """
    from pipeline.documents.dues import dues_notice
    ws, year = _branch_year(ctx, branch, year)
    click.echo(str(dues_notice(ws, branch, year)))


@generate.command("funds", context_settings=CONTEXT)
@year_option
@click.pass_context
def funds_command(ctx, year):
    """活动经费下拨表（全院）：支部活动经费、党总支经费、书记岗位津贴、“七一”表彰奖励；标准在 taizhang.toml 的 [funding] 中。

    \b
    示例：
      taizhang generate funds --year 2026
    """
    import datetime as _dt
    from pipeline.documents.dues import funds
    click.echo(str(funds(_workspace(ctx), year or _dt.date.today().year)))


@main.command(context_settings=CONTEXT)
@click.option("--month", "month_text", required=True, help="检查月份，如 2026-11。")
@click.option("--branch", "branches", multiple=True, help="只检查这些党支部（可写多次）。")
@json_option
@click.pass_context
def check(ctx, month_text, branches, as_json):
    """月度检查：按六个方面的考核标准给每个党支部打分，生成各支部《月度检查表》和全院汇总表（排名、图表、人工评分表）。

    \b
    示例：
      taizhang check --month 2026-11
      taizhang check --month 2026-11 --branch 机电工程学院教工党支部
    """
    from pipeline.documents.monthly import run_check
    from pipeline.core.values import Bad, parse_month
    month = parse_month(month_text)
    if isinstance(month, Bad):
        raise click.UsageError(f"月份写法不对：{month_text}（如 2026-11）")
    ws = _workspace(ctx)
    results, sheets, college = run_check(ws, month[0], month[1], list(branches) or None)
    if as_json:
        click.echo(json.dumps([{"branch": r.branch, "score": float(r.total), "full": float(r.full),
                                "gaps": [o.evidence for o in r.gaps]} for r in results], ensure_ascii=False, indent=2))
    else:
        for r, path in sorted(zip(results, sheets), key=lambda x: -x[0].total):
            click.echo(f"{r.total:6.1f}/{r.full:.0f}  {r.branch}  （问题 {len(r.gaps)} 项）  {path}")
        click.echo(f"全院汇总：{college}")
    from pipeline.documents.overview import refresh
    refresh(ws, year=month[0])


def _day_option(func):
    return click.option("--date", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                        help="按这一天的情况（默认今天），如 2026-11-27。")(func)


def _report_month(month_text, as_of):
    """(today, (year, month)) of a status or 催交 run: the month given (not one still to come), else
    the last month that has ended; a --date after today is allowed (planning) but said."""
    import datetime as _dt
    from pipeline.checking.schedule import default_month
    from pipeline.core.values import Bad, parse_month
    real = _dt.date.today()
    today = as_of.date() if as_of else real
    if today > real:
        click.echo(f"注意：--date {today} 晚于今天，之后才收到的文件此时当然还没有。", err=True)
    if not month_text:
        return today, default_month(today)
    month = parse_month(month_text)
    if isinstance(month, Bad):
        raise click.UsageError(f"月份写法不对：{month_text}（如 2026-10）")
    if month > (today.year, today.month):
        raise click.UsageError(f"{month[0]}年{month[1]}月还没有开始（截至{today}），没有应报送的台账")
    return today, month


@main.command(context_settings=CONTEXT, short_help="台账报送状态：谁交了、谁逾期、谁被退回未改。")
@click.option("--month", "month_text", help="报送月份，如 2026-10（默认：上个月）。")
@click.option("--branch", "branches", multiple=True, help="只看这些党支部（可写多次）。")
@_day_option
@click.option("--fail-on-overdue", is_flag=True, help="有逾期未交的台账时以退出码 1 结束（用于监控）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每个单位一个对象，列出每项台账的状态）。")
@click.option("--jobs", "jobs", is_flag=True, help="列出任务队列中的任务（排队、进行中、失败；需要 PostgreSQL）。")
@click.pass_context
def status(ctx, month_text, branches, as_of, fail_on_overdue, as_json, jobs):
    """台账报送状态：每个党支部该月应报的每项台账——通过（日期）、退回未改、待交、逾期（天数）、不适用；往月仍未完成的也列出。

    \b
    示例：
      taizhang status                          # 上个月
      taizhang status --month 2026-10 --branch 机电工程学院教工党支部
      taizhang status --json --fail-on-overdue # 供脚本和监控使用
    """
    from pipeline.checking.schedule import month_view, submission_status, view_lines
    ws = _workspace(ctx)
    if jobs:
        from collections import Counter

        from pipeline.operations.queue import STATES, TASKS, job_states
        found = job_states(ws)
        if as_json:
            click.echo(json.dumps([{"id": i, "任务": t, "锁": lock, "状态": s} for i, t, lock, s in found],
                                  ensure_ascii=False, indent=2))
        else:
            for i, task, lock, state in found:
                click.echo(f"{i:>6}  {STATES.get(state, state):<4}  {TASKS.get(task, task)}  {lock or ''}")
            counts = Counter(STATES.get(s, s) for *_, s in found)
            click.echo(f"共 {len(found)} 个任务" + (f"（{'，'.join(f'{k} {v}' for k, v in counts.items())}）" if counts else ""))
        ctx.exit(1 if fail_on_overdue and any(s == "failed" for *_, s in found) else 0)
    today, month = _report_month(month_text, as_of)
    view = month_view(submission_status(ws, month[0], today), month[1], list(branches) or None)
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        colours = {"green": "green", "yellow": "yellow", "red": "red", "grey": "bright_black"}
        for line in view_lines(view, lambda text, colour: click.style(text, fg=colours.get(colour))):
            click.echo(line)
    ctx.exit(1 if fail_on_overdue and view["逾期"] else 0)


@main.command(context_settings=CONTEXT, short_help="重新生成台账总览页面（outbox/总览/ 和各支部回执文件夹）。")
@click.option("--year", type=int, default=None, help="年度（默认：上个月所在的年度）。")
@_day_option
@click.pass_context
def overview(ctx, year, as_of):
    """重新生成台账总览：outbox/总览/台账总览.html 和每个支部的 outbox/回执/<支部>/本支部台账状态.html。

    收件监视、ingest、check、year-end 之后都会自动更新，一般不需要手动运行。

    \b
    示例：
      taizhang overview
    """
    import datetime as _dt
    from pipeline.documents.overview import write_overviews
    today = as_of.date() if as_of else _dt.date.today()
    written = write_overviews(_workspace(ctx), year, today)
    click.echo(f"台账总览：{written[0]}（另有 {len(written) - 1} 个支部页面）")


@main.command(context_settings=CONTEXT, short_help="催交：给欠交的党支部生成催交通知和全院催交清单。")
@click.option("--month", "month_text", help="催交月份，如 2026-10（默认：上个月）。")
@_day_option
@click.pass_context
def remind(ctx, month_text, as_of):
    """催交：给该月仍有台账逾期、待交或被退回未改的党支部各生成一份《台账催交通知》（.docx），并生成全院《台账催交清单》（.xlsx），在 outbox/<年度>/催交/。

    \b
    示例：
      taizhang remind --month 2026-10
    """
    from pipeline.documents.remind import reminders
    today, month = _report_month(month_text, as_of)
    done = reminders(_workspace(ctx), month[0], month[1], today)
    for path in done.notices:
        click.echo(str(path))
    click.echo(f"催交通知 {len(done.notices)} 份；无需催交的党支部 {len(done.clear)} 个。")
    click.echo(f"全院催交清单：{done.listing}")


@generate.command("duty-report", context_settings=CONTEXT)
@click.option("--branch", help="党支部名称。")
@click.option("--general-branch", "general", help="党总支名称（汇总所属各党支部）。")
@click.option("--all", "everyone", is_flag=True, help="所有党支部，并生成全院书记述职评议考核汇总表。")
@year_option
@click.pass_context
def duty_report_command(ctx, branch, general, everyone, year):
    """述职评议考核材料：述职报告（事实部分已填好，需书记本人填写处已标出）、民主测评结果、问题清单/责任清单/整改清单。

    \b
    示例：
      taizhang generate duty-report --branch 机电工程学院教工党支部 --year 2026
      taizhang generate duty-report --general-branch 机电工程学院党总支 --year 2026
      taizhang generate duty-report --all --year 2026
    """
    import datetime as _dt
    from pipeline.documents.duty import all_duty_reports, duty_report, duty_report_general
    year = year or _dt.date.today().year
    if general:
        for path in duty_report_general(_workspace(ctx), general, year):
            click.echo(str(path))
        return
    if everyone:
        click.echo(str(all_duty_reports(_workspace(ctx), year)))
        return
    if not branch:
        raise click.UsageError("请用 --branch 指定党支部，或用 --all")
    ws, year = _branch_year(ctx, branch, year)
    for path in duty_report(ws, branch, year)[:3]:
        click.echo(str(path))


@main.command("year-end", context_settings=CONTEXT, short_help="年终批处理：全部文书、全院汇总、归档 PDF 和校验清单。")
@click.option("--year", type=int, required=True, help="年度。")
@click.option("--jobs", type=int, default=None, help="并行进程数（默认：CPU 核数）。")
@click.option("--branch", "branches", multiple=True, help="只处理这些党支部（可写多次）。")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF 和归档 PDF。")
@click.option("--resume", is_flag=True, help="跳过输入未变、已经生成过的文书（中断后继续）。")
@click.option("--queue", "queued", is_flag=True, help="交给任务队列，由各主机上的 taizhang worker 处理（需要 PostgreSQL）。")
@click.option("-q", "--quiet", is_flag=True, help="不显示进度条。")
@click.pass_context
def year_end_command(ctx, year, jobs, branches, no_pdf, resume, queued, quiet):
    """年终批处理：所有党支部的全部文书（记录本、党费簿和登记证、公示、述职材料、全年月度检查表合订本），全院汇总，归档 PDF 和校验清单。

    \b
    示例：
      taizhang year-end --year 2026
      taizhang year-end --year 2026 --resume          # 中断后继续
      taizhang year-end --year 2026 --branch 机电工程学院教工党支部 --no-pdf
    """
    from pipeline.operations.batch import summary, year_end
    ws = _workspace(ctx)
    if queued:
        from pipeline.operations.queue import STATES, year_end_queued

        def shown(counts):
            if not quiet:
                text = "，".join(f"{STATES.get(k, k)} {v}" for k, v in sorted(counts.items()))
                click.echo(f"\r任务：{text}" + " " * 10, nl=False, err=True)
        result = year_end_queued(ws, year, branches=list(branches) or None, pdf=not no_pdf, progress=shown)
        click.echo("", err=True)
        click.echo(summary(result, ws))
        ctx.exit(1 if result.failed else 0)
    total = len(branches) or len(ws.store.registry())
    bar = None if quiet else click.progressbar(length=total, label="年终批处理", show_eta=True, show_pos=True,
                                              item_show_func=lambda r: r.branch if r else "")
    if bar is not None:
        bar.__enter__()
    try:
        result = year_end(ws, year, jobs=jobs, branches=list(branches) or None, pdf=not no_pdf, resume=resume,
                          progress=(lambda run: bar.update(1, run)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(summary(result, ws))
    ctx.exit(1 if result.failed else 0)


@main.command(context_settings=CONTEXT, short_help="多机处理：运行任务队列中的任务（需要 PostgreSQL）。")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="工作进程数（每个进程有自己的 LibreOffice）。")
@click.option("--until-empty", is_flag=True, help="队列空了就退出（默认一直等待新任务）。")
@click.option("--stalled-after", type=click.FloatRange(15, 3600), default=30.0, show_default=True, metavar="秒",
              help="其他工作进程失联（心跳停止）多少秒后，把它手上的任务重新排队。")
@click.pass_context
def worker(ctx, concurrency, until_empty, stalled_after):
    """运行任务队列中的任务（监视进程交来的文件、年终各支部文书等）。需要 PostgreSQL 数据库；每台挂载了同一工作区的主机都可以运行。

    \b
    示例：
      taizhang --home /mnt/党建工作区 worker --concurrency 2
    """
    from pipeline.operations.queue import run_worker
    run_worker(_workspace(ctx), concurrency, wait=not until_empty, stalled_after=stalled_after)


@main.command("verify-archive", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_archive_command(directory):
    """按 manifest.json 逐个核对归档文件的 SHA-256，报告被改动或缺失的文件。

    \b
    示例：
      taizhang verify-archive outbox/2026
    """
    from pipeline.operations.batch import verify_archive
    if not (directory / "manifest.json").exists():
        raise click.UsageError(f"{directory} 中没有 manifest.json")
    changed, missing, checked = verify_archive(directory)
    for name in changed:
        click.echo(f"✘ 已改动：{name}")
    for name in missing:
        click.echo(f"✘ 缺失：{name}")
    click.echo(f"核对 {checked} 个文件：{'全部一致' if not changed and not missing else f'改动 {len(changed)}，缺失 {len(missing)}'}")
    raise SystemExit(1 if changed or missing else 0)


@main.command(context_settings=CONTEXT)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="输出目录（默认：工作区 outbox/空白台账模板）。")
@click.pass_context
def templates(ctx, out):
    """生成各类 Excel 台账的空白模板（含下拉选项、日期格式、填写提示和填表说明）。

    \b
    示例：
      taizhang templates
      taizhang templates --out 模板
    """
    from pipeline.documents.blank import write_templates
    ws = _workspace(ctx)
    folder = out or ws.outbox / "空白台账模板"
    paths = write_templates(folder)
    click.echo(f"已生成 {len(paths)} 个模板：{folder}")


@main.command(context_settings=CONTEXT)
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="演示工作区目录（将被重建）。")
@click.option("--seed", type=int, default=2026, show_default=True, help="随机数种子（同一种子生成相同数据）。")
@click.option("-q", "--quiet", is_flag=True, help="不显示进度。")
def demo(directory, seed, quiet):
    """生成示例学院（20 个党支部、数百名党员、一年台账，含几份故意出错的文件）并跑完整流程。

    \b
    示例：
      taizhang demo
      taizhang demo --dir /tmp/taizhang-demo
    """
    from pipeline.samples.demo import run_demo
    summary = run_demo(directory, seed=seed, progress=not quiet)
    click.echo(summary)


if __name__ == "__main__":
    sys.exit(main())
