"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, pg_ctl start on a
Unix socket only (no TCP port), one fresh database per test. Run as an unprivileged user (the
`postgres` system user when the tests run as root). No Docker, no mock."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

WHY_NOT = ("没有可用的 PostgreSQL 服务器程序（initdb/pg_ctl）：请安装 Debian 的 postgresql"
           "（bash quickstart.sh test 以 root 运行时自动安装）")


def binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


class Server:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError(WHY_NOT)
        self.root = Path(tempfile.mkdtemp(prefix="tz-pg-"))
        self.data, self.socket = self.root / "data", self.root / "socket"
        self.socket.mkdir()
        self.as_user: list[str] = []
        if os.geteuid() == 0:                    # initdb refuses root: the postgres system user runs it
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "taizhang",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-o", f"-k {self.socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start")

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:1])}: {(done.stderr or done.stdout)[-800:]}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://taizhang@/{database}?host={self.socket}"

    def new_database(self) -> str:
        """A fresh database's URL."""
        import psycopg
        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.socket), user="taizhang", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
