"""Schema migrations (Alembic) on SQLite and PostgreSQL: a fresh store is at the head; a store made
before migrations existed is stamped and upgraded without losing a record; processes opening the
same new store at once all succeed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, inspect, text

from pipeline.migrations import HEAD
from pipeline.store import Store, metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("pg_server").new_database()
    return f"sqlite:///{(tmp_path / 'taizhang.db').as_posix()}"


def version(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("select version_num from alembic_version")).scalar()
    finally:
        engine.dispose()


def test_a_new_store_is_at_the_head(url):
    store = Store(url)
    try:
        names = {i["name"] for i in inspect(store.engine).get_indexes("submissions")}
    finally:
        store.close()
    assert version(url) == HEAD
    assert {"ix_submissions_received_at", "ux_submissions_accepted_sha", "ux_submissions_claim"} <= names


def test_a_store_made_before_migrations_is_upgraded_and_keeps_every_record(url):
    engine = create_engine(url)
    metadata.create_all(engine)                     # as Store made it before this round: no alembic_version
    with engine.begin() as conn:
        conn.execute(text("drop index ix_submissions_received_at"))
        for n in range(3):
            conn.execute(text("insert into submissions (file_name, sha256, received_at, status) "
                              "values (:f, :s, :r, 'accepted')"),
                         {"f": f"{n}.xlsx", "s": f"{n}" * 64, "r": dt.datetime(2026, 3, n + 1)})
    engine.dispose()
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            kept = conn.execute(text("select file_name from submissions order by id")).scalars().all()
        names = {i["name"] for i in inspect(store.engine).get_indexes("submissions")}
    finally:
        store.close()
    assert kept == ["0.xlsx", "1.xlsx", "2.xlsx"] and version(url) == HEAD
    assert "ix_submissions_received_at" in names


def test_processes_opening_a_new_store_at_once_all_succeed(url):
    """Four processes (and, in each, two threads) open the same new store at the same moment."""
    import subprocess
    import sys
    script = ("import sys, threading\nfrom pipeline.store import Store\nfailed = []\n"
              "def one():\n    try:\n        Store(sys.argv[1]).close()\n    except Exception as exc:\n"
              "        failed.append(exc)\n"
              "ts = [threading.Thread(target=one) for _ in range(2)]\n"
              "[t.start() for t in ts]\n[t.join() for t in ts]\nsys.exit(repr(failed) if failed else 0)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    failures = [p.communicate(timeout=120)[1] for p in procs if p.wait(timeout=120) != 0]
    assert not failures and version(url) == HEAD
