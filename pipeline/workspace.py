"""A workspace: inbox/, outbox/, archive/, rejected/, work/, a database and a config file.

`--home DIR` or the TAIZHANG_HOME environment variable selects one; the default is
the current directory. Paths are pathlib throughout so the code runs on a Windows
server too.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pipeline.dues.rates import DuesRules, load_bands
from pipeline.core.files import write_atomic
from pipeline.core.issues import PipelineError
from pipeline.reading.excel import Limits

CONFIG_NAME = "taizhang.toml"
# §6 funding rules of the college practice: the defaults, written into a new taizhang.toml and used
# for any key a workspace's config leaves out
FUNDING_DEFAULTS = {"per_member": 200, "general_branch": 5000, "secretary_monthly": 350, "award_branch": 2000,
                    "award_general": 3000}
# which E5 honours are the "七一" recognitions that earn the award (regular expressions on 荣誉名称)
AWARD_PATTERNS = [r"七一.*(先进基层党组织|先进党支部|先进党总支|先进党组织)",
                  r"(先进基层党组织|先进党支部|先进党总支).*七一"]
DB_NAME = "taizhang.db"
DATABASE_ENV = "TAIZHANG_DATABASE_URL"
DEFAULT_CONFIG = """\
# taizhang 工作区配置（TOML 格式）。修改后重新运行命令即可生效。

[college]
# 学院名称，用于文书标题
name = "示例职业技术学院"

[store]
# 默认使用工作区内的 SQLite 数据库；也可填 PostgreSQL 地址（或设环境变量 TAIZHANG_DATABASE_URL），如
# url = "postgresql+psycopg://user:pass@host/taizhang"
url = ""

[dues]
# 党费取整方式：ROUND_HALF_UP（四舍五入，默认）、ROUND_UP（只入不舍）、ROUND_DOWN（只舍不入）
rounding = "ROUND_HALF_UP"
# 取整到：分（默认）、角、元——如本地规定“只入不舍，取整数收缴”，填 rounding = "ROUND_UP"、round_to = "元"
round_to = "分"
# 自定义党费比例表（CSV，格式同 pipeline/data/dues_rates.csv）；留空使用内置规定
rates_file = ""

[remind]
# 催交通知中的联系人和电话，如 "组织部 王老师 0371-12345678"；留空则不写
contact = ""

[limits]
# 单个文件大小上限（MB）
max_file_mb = 50

[funding]
# 活动经费标准（元）：支部活动经费按年初党员数每人每年；党总支每年；支部书记岗位津贴每月；“七一”先进党支部奖励
""" + "".join(f"{key} = {value}\n" for key, value in FUNDING_DEFAULTS.items()) + """\
# 哪些荣誉算“七一”表彰（对荣誉名称的正则表达式，任一匹配即算）；获奖对象写党总支名称的奖给党总支
award_patterns = [""" + ", ".join(f"'{p}'" for p in AWARD_PATTERNS) + "]\n"
FONTS_FOLDER = "fonts"               # <workspace>/fonts: 仿宋_GB2312, 方正小标宋简体 … if the college has them
FONTS_ENV = "TAIZHANG_FONTS_DIR"


@dataclass
class Workspace:
    home: Path
    config: dict = field(default_factory=dict)
    read_only: bool = False              # a command that writes nothing (validate): see `reads`

    @classmethod
    def open(cls, home: str | os.PathLike | None = None) -> "Workspace":
        root = Path(home or os.environ.get("TAIZHANG_HOME") or ".").resolve()
        config_path = root / CONFIG_NAME
        config = {}
        if config_path.exists():
            try:
                config = tomllib.loads(config_path.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise PipelineError(f"配置文件 {config_path} 格式有误：{exc}") from exc
        if (root / FONTS_FOLDER).is_dir():          # the college's licensed fonts, for the PDFs (§4)
            os.environ[FONTS_ENV] = str(root / FONTS_FOLDER)
        return cls(root, config)

    def init(self) -> list[Path]:
        """Create the folders, the config file and the database; return what was created."""
        made = []
        for path in (self.inbox, self.outbox, self.archive, self.rejected, self.work, self.receipts):
            if not path.exists():
                path.mkdir(parents=True)
                made.append(path)
        config_path = self.home / CONFIG_NAME
        if not config_path.exists():
            write_atomic(config_path, DEFAULT_CONFIG.encode("utf-8"))
            made.append(config_path)
            self.config = tomllib.loads(DEFAULT_CONFIG)
        self.store   # creates the database
        return made

    def section(self, name: str) -> dict:
        return self.config.get(name, {}) or {}

    def funding(self) -> dict[str, Decimal]:
        """The §6 funding standards: the workspace's config over the defaults."""
        merged = FUNDING_DEFAULTS | {k: v for k, v in self.section("funding").items() if k in FUNDING_DEFAULTS}
        return {key: Decimal(str(value)) for key, value in merged.items()}

    def award_patterns(self) -> list[str]:
        return list(self.section("funding").get("award_patterns") or AWARD_PATTERNS)

    inbox = property(lambda self: self.home / "inbox")

    def inboxes(self) -> list[Path]:
        """The main inbox and the others `[watch] inboxes` names (folders in the workspace, e.g. one
        shared folder a campus; each has its own watcher, all feed the one store and outbox)."""
        more = self.section("watch").get("inboxes") or []
        return [self.inbox] + [self.home / str(p) for p in more if str(p).strip()]

    def inbox_of(self, path: Path) -> Path | None:
        """The inbox a path lies in (None: none of them)."""
        for inbox in self.inboxes():
            try:
                Path(path).relative_to(inbox)
                return inbox
            except ValueError:
                continue
        return None
    outbox = property(lambda self: self.home / "outbox")
    archive = property(lambda self: self.home / "archive")
    rejected = property(lambda self: self.home / "rejected")
    work = property(lambda self: self.home / "work")
    receipts = property(lambda self: self.outbox / "回执")

    @property
    def db_url(self) -> str:
        """TAIZHANG_DATABASE_URL, else `[store] url` (`[database] url` in older configs), else the
        workspace's own SQLite file."""
        return (os.environ.get(DATABASE_ENV) or self.section("store").get("url") or self.section("database").get("url")
                or f"sqlite:///{(self.home / DB_NAME).as_posix()}")

    @property
    def reads(self):
        """The store for the reads checking a file makes: the full store, except for a `read_only`
        workspace (`validate`, one thread) on a SQLite store at the current schema — there a
        read-only standard-library connection, so that `validate` starts without SQLAlchemy
        (`store_reads`)."""
        if not self.read_only or "store" in self.__dict__:
            return self.store
        if "_reads" not in self.__dict__:
            from pipeline.store_reads import sqlite_reads
            self.__dict__["_reads"] = sqlite_reads(self.db_url, self.home) or self.store
        return self.__dict__["_reads"]

    @cached_property
    def store(self):
        from pipeline.store import Store
        self.home.mkdir(parents=True, exist_ok=True)
        return Store(self.db_url, self.home)

    @cached_property
    def dues(self) -> DuesRules:
        cfg = self.section("dues")
        rates = cfg.get("rates_file") or ""
        bands = load_bands(self.home / rates) if rates else None
        try:
            return DuesRules(bands, cfg.get("rounding", "ROUND_HALF_UP"), cfg.get("round_to", "分"))
        except ValueError as e:
            raise PipelineError(f"taizhang.toml 的 [dues] 写法有误：{e}") from None

    @cached_property
    def limits(self) -> Limits:
        mb = int(self.section("limits").get("max_file_mb", 50))
        return Limits(file_bytes=mb * 2**20)
