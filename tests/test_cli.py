"""The CLI through CliRunner and as a real subprocess; blank templates; the demo."""
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from pipeline.documents.blank import FIRST_DATA_ROW
from pipeline.samples.demo import registry_workbook
from pipeline.documents.blank import save_workbook
from pipeline.core.formats import EXCEL_ITEMS

from .conftest import BRANCH, write_book

ROOT = Path(__file__).resolve().parent.parent


def run(*args, home=None):
    runner = CliRunner()
    prefix = ["--home", str(home)] if home else []
    return runner.invoke(main, [*prefix, *map(str, args)], catch_exceptions=False)


def test_every_command_has_chinese_help_with_an_example():
    for name, command in main.commands.items():
        result = run(name, "-h")
        assert result.exit_code == 0, name
        assert "示例" in result.output and "taizhang" in result.output, name
    assert "工作区" in run("--help").output


def test_init_makes_a_workspace(tmp_path):
    result = run("init", tmp_path / "ws")
    assert result.exit_code == 0
    for folder in ("inbox", "outbox", "archive", "rejected", "work"):
        assert (tmp_path / "ws" / folder).is_dir()
    assert (tmp_path / "ws" / "taizhang.toml").exists() and (tmp_path / "ws" / "taizhang.db").exists()
    assert "已存在" in run("init", tmp_path / "ws").output


def registered_home(tmp_path, college):
    home = tmp_path / "ws"
    run("init", home)
    path = save_workbook(registry_workbook(college), tmp_path / "党组织设置表.xlsx")
    assert run("ingest", path, home=home).exit_code == 0
    return home


def test_validate_stores_nothing_and_sets_exit_codes(tmp_path, college):
    home = registered_home(tmp_path, college)
    bad = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "张三"]])
    before = sorted((home / "outbox").rglob("*"))         # the registry's ingest wrote the 台账总览 pages
    result = run("validate", "--json", bad, home=home)
    assert result.exit_code == 1
    (data,) = json.loads(result.output)
    assert data["status"] == "rejected" and data["branch"] == BRANCH and data["items"] == ["A1"]
    assert {"severity": "error", "code": "required", "sheet": "党员花名册", "cell": "C4", "column": "性别"}.items() <= \
        data["issues"][0].items()
    with sqlite3.connect(home / "taizhang.db") as conn:
        assert conn.execute("select count(*) from submissions").fetchone() == (1,)
    assert sorted((home / "outbox").rglob("*")) == before          # no receipt, no page: nothing written


def test_ingest_text_output_and_receipts(tmp_path, college):
    home = registered_home(tmp_path, college)
    bad = write_book(tmp_path / "花名册.xlsx", "A1", [[1, "张三"]])
    result = run("ingest", bad, home=home)
    assert result.exit_code == 1
    assert "未通过" in result.output and "党员花名册!C4" in result.output and "回执" in result.output
    assert (home / "outbox" / "回执" / BRANCH / "花名册.xlsx.回执.txt").exists()
    assert (home / "outbox" / "回执" / BRANCH / "花名册.xlsx.回执.xlsx").exists()


def test_usage_errors_exit_2(tmp_path):
    assert run("validate", tmp_path / "没有这个文件.xlsx").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_broken_config_is_an_environment_error_without_traceback(tmp_path):
    home = tmp_path / "ws"
    home.mkdir()
    (home / "taizhang.toml").write_text("[dues\nrounding=", encoding="utf-8")
    path = write_book(tmp_path / "a.xlsx", "A1", [])
    result = CliRunner().invoke(main, ["--home", str(home), "validate", str(path)])
    assert result.exit_code == 2 and "配置文件" in result.output and "Traceback" not in result.output


def test_templates_are_complete_and_accepted_when_filled(tmp_path, college):
    out = tmp_path / "模板"
    result = run("templates", "--out", out)
    assert result.exit_code == 0
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == len(EXCEL_ITEMS)
    roster = load_workbook(out / "A1 党员花名册.xlsx")
    ws = roster["党员花名册"]
    assert roster.sheetnames == ["党员花名册", "填表说明"]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["C4"] == '"男,女"' and "预备党员" in lists["H4"]
    assert ws["F3"].value == "身份证号" and ws["F4"].number_format == "@" and ws["I4"].number_format == "yyyy-mm-dd"
    assert "必填" in ws["B3"].comment.text
    # fill the blank template as a user would, drop it in: accepted
    home = registered_home(tmp_path, college)
    ws["A2"] = f"党支部：{BRANCH}    年度：2026    填报日期：2026年11月20日"
    values = [1, "张三", "男", "汉族", "1980-05", None, "本科", "正式党员", "2005-06-01", "2006-06-01", "在职教职工"]
    for c, value in enumerate(values, 1):
        ws.cell(row=FIRST_DATA_ROW, column=c, value=value)
    roster.save(tmp_path / "填好的花名册.xlsx")
    result = run("ingest", "--json", tmp_path / "填好的花名册.xlsx", home=home)
    assert json.loads(result.output)[0]["status"] == "accepted", result.output


def test_console_script_and_python_cli_are_the_same_group(tmp_path):
    env = {**os.environ, "TAIZHANG_HOME": str(tmp_path / "ws")}
    direct = subprocess.run([sys.executable, str(ROOT / "cli.py"), "init"], env=env, capture_output=True, text=True,
                            cwd=tmp_path)
    assert direct.returncode == 0 and (tmp_path / "ws" / "inbox").is_dir(), direct.stderr
    script = Path(sys.executable).with_name("taizhang")
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"")
    done = subprocess.run([str(script), "ingest", "--json", str(bad)], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert json.loads(done.stdout)[0]["issues"][0]["code"] == "file-empty"


def test_watch_another_inbox_must_be_listed_and_inside_the_workspace(tmp_path):
    """`watch --inbox`: an inbox not listed in [watch] inboxes, or one outside the workspace, is
    refused with a Chinese message (exit 2) before anything is watched; a listed one is watched."""
    home = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "init"]).exit_code == 0
    refused = runner.invoke(main, ["--home", str(home), "watch", "--once", "--inbox", "inbox-西校区"])
    assert refused.exit_code == 2 and "[watch] inboxes" in refused.output
    outside = tmp_path / "别处"
    (home / "taizhang.toml").write_text(f'[watch]\ninboxes = ["inbox-西校区", "{outside.as_posix()}"]\n', "utf-8")
    refused = runner.invoke(main, ["--home", str(home), "watch", "--once", "--inbox", str(outside)])
    assert refused.exit_code == 2 and "不在工作区" in refused.output and not outside.exists()
    (home / "inbox-西校区" / "机电工程学院教工党支部").mkdir(parents=True)
    watched = runner.invoke(main, ["--home", str(home), "watch", "--once", "--delay", "0", "--no-overview", "-q",
                                   "--inbox", "inbox-西校区"])
    assert watched.exit_code == 0, watched.output
