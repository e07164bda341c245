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


def test_records_at_0002_become_jsonb_on_postgresql_and_every_one_is_kept(url):
    """A store at revision 0002 (records' values as TEXT) is upgraded: on PostgreSQL the column
    becomes JSONB — the values then answer SQL (data->>'姓名') — on SQLite it stays TEXT; the store
    reads the same records as before on both."""
    engine = create_engine(url)
    metadata.create_all(engine)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("alter table records alter column data type text"))
        conn.execute(text("create table alembic_version (version_num varchar(32) primary key)"))
        conn.execute(text("insert into alembic_version values ('0002')"))
        conn.execute(text("insert into submissions (id, file_name, sha256, received_at, status) "
                          "values (1, '花名册.xlsx', :s, :r, 'accepted')"), {"s": "a" * 64, "r": dt.datetime(2026, 3, 1)})
        conn.execute(text("insert into ledgers (id, submission_id, item, branch, period) "
                          "values (1, 1, 'A1', '机电工程学院教工党支部', '2026')"))
        for n, name in enumerate(["张三", "阿依古丽·买买提"], 1):
            conn.execute(text("insert into records (ledger_id, item, branch, line, data) values (1, 'A1', "
                              "'机电工程学院教工党支部', :n, :d)"),
                         {"n": n, "d": f'{{"姓名": "{name}", "入党时间": "2014-07-01", "党费": "25.50"}}'})
    engine.dispose()
    store = Store(url)
    try:
        kept = store.active_records("A1", "机电工程学院教工党支部")
        with store.engine.connect() as conn:
            kind = conn.execute(text("select data_type from information_schema.columns "
                                     "where table_name = 'records' and column_name = 'data'")).scalar() \
                if postgres else "text"
            found = conn.execute(text("select data->>'姓名' from records where data->>'入党时间' = '2014-07-01' "
                                      "order by line")).scalars().all() if postgres else None
    finally:
        store.close()
    assert version(url) == HEAD
    assert [r["姓名"] for r in kept] == ["张三", "阿依古丽·买买提"]
    assert str(kept[0]["入党时间"]) == "2014-07-01"
    assert kind == ("jsonb" if postgres else "text")
    if postgres:
        assert found == ["张三", "阿依古丽·买买提"]
