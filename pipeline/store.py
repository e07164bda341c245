"""The store: submissions, accepted ledgers and their records, and every issue.

SQLAlchemy Core over SQLite by default (a PostgreSQL URL works the same). One
transaction per file. A newer accepted ledger for the same (branch, item, period)
supersedes the older one; a record with a `record_key` (a meeting: date and topic)
supersedes an older record with the same key. Nothing is deleted: history stays.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, TypeDecorator,
                        create_engine, event, func, select, update)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from pipeline.core.formats import ITEMS, Item, fields_item
from pipeline.core.issues import Issue, PipelineError
from pipeline.core.values import as_date, match_key
from pipeline.store_reads import (AlreadyAccepted, LedgerRows, Reads, decode_record,  # noqa: F401 (re-exported)
                                  encode_record)

metadata = MetaData()


class RecordData(TypeDecorator):
    """A record's values as JSON: TEXT on SQLite, JSONB on PostgreSQL (there the values can be
    queried and indexed in SQL: data->>'姓名'). The code above the store sees the JSON text on both."""
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB      # only when a PostgreSQL store opens
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if dialect.name == "postgresql" and isinstance(value, str):
            return json.loads(value)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and not isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
        return value

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", Integer),
    Column("received_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),        # accepted | rejected | duplicate
    Column("branch", String(100)),
    Column("items", String(200)),
    Column("error_count", Integer, default=0),
    Column("warning_count", Integer, default=0),
    Column("duplicate_of", Integer, ForeignKey("submissions.id")),
    Column("stored_path", Text),
    Column("receipt_path", Text),
    Column("claim", String(64), index=True),             # the watcher's claim token (crash recovery)
    Column("summary", Text),                             # JSON: the sheets read, what it duplicates, paths
)
# The database decides who wins when two processes accept the same bytes, or finish one claim:
# one accepted submission per SHA-256, one submission per claim token.
# (the PostgreSQL form of the same partial indexes is added when a PostgreSQL store is opened: naming
# a dialect's options here would import that dialect into every command)
ONE_ACCEPTANCE = Index("ux_submissions_accepted_sha", submissions.c.sha256, unique=True,
                       sqlite_where=submissions.c.status == "accepted")
ONE_PER_CLAIM = Index("ux_submissions_claim", submissions.c.claim, unique=True,
                      sqlite_where=submissions.c.claim.is_not(None))
Index("ix_submissions_received_at", submissions.c.received_at)      # files by the day they came (migration 0002)

ledgers = Table(
    "ledgers", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("item", String(8), nullable=False),
    Column("branch", String(100)),
    Column("period", String(10)),                        # '2026', '2026-03', or NULL
    Column("sheet", String(100)),
    Column("row_count", Integer),
    Column("as_of", String(10)),
    Column("superseded_by", Integer, ForeignKey("ledgers.id")),
    Index("ix_ledgers_key", "branch", "item", "period"),
)

records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True),
    Column("ledger_id", Integer, ForeignKey("ledgers.id"), nullable=False, index=True),
    Column("item", String(8), nullable=False),
    Column("branch", String(100)),
    Column("line", Integer),
    Column("record_key", String(300)),
    Column("person", String(40)),
    Column("day", String(16)),
    Column("data", RecordData, nullable=False),            # JSONB on PostgreSQL (migration 0003)
    Column("source", String(8), default="excel"),       # excel | word: a Word meeting beats its Excel row
    Column("superseded_by", Integer, ForeignKey("records.id")),
    Index("ix_records_lookup", "branch", "item", "record_key"),
)

issues_table = Table(
    "issues", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("severity", String(8)),
    Column("code", String(40)),
    Column("sheet", String(100)),
    Column("cell", String(16)),
    Column("column_name", String(100)),
    Column("value", Text),
    Column("message", Text),
    Column("hint", Text),
)


def _day_after(day: dt.date) -> dt.datetime:
    """The first instant after `day` (for "received by the end of that day")."""
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(days=1)


class Store(Reads):
    """The store, for reading and writing (SQLAlchemy Core). The reads that checking a file makes
    come from `Reads`, in SQL that SQLite and PostgreSQL both speak."""

    def _rows(self, sql: str, params: dict) -> list:
        from sqlalchemy import text
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def __init__(self, url: str, root: Path | None = None):
        self.url = url
        self.root = root              # the workspace: paths are kept relative to it (hosts mount it anywhere)
        try:
            self.engine = create_engine(url, future=True)
            if url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            elif url.startswith("postgresql"):
                ONE_ACCEPTANCE.dialect_options["postgresql"]["where"] = submissions.c.status == "accepted"
                ONE_PER_CLAIM.dialect_options["postgresql"]["where"] = submissions.c.claim.is_not(None)
            migrate(self.engine)
        except SQLAlchemyError as exc:
            raise PipelineError(f"无法打开数据库 {url}：{exc}") from exc

    def close(self) -> None:
        self.engine.dispose()

    def inbox_lock(self, key: str):
        """One watcher per inbox across hosts (PostgreSQL): a session advisory lock keyed by the
        inbox, held on a dedicated connection until `release()`; the server drops it when the
        holder's connection dies. None when another session holds it. On SQLite there are no other
        hosts: the file lock beside the workspace is the whole rule, and this returns a no-op."""
        if self.engine.dialect.name != "postgresql":
            return _NoLock()
        import hashlib
        number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)
        conn = self.engine.connect()
        try:
            held = conn.exec_driver_sql("select pg_try_advisory_lock(%(k)s)", {"k": number}).scalar()
            conn.commit()
        except SQLAlchemyError as exc:
            conn.close()
            raise PipelineError(f"无法在数据库上登记收件箱锁：{exc}") from exc
        if not held:
            conn.close()
            return None
        return _AdvisoryLock(conn, number)

    # --- writing ------------------------------------------------------------------

    def record_submission(self, sub: dict, sheets: list[LedgerRows], found: list[Issue]) -> int:
        """Store one file: its submission row, ledgers, records and issues — one transaction."""
        try:
            with self.engine.begin() as conn:
                sub_id = conn.execute(submissions.insert().values(**sub)).inserted_primary_key[0]
                for sheet in sheets:
                    self._store_ledger(conn, sub_id, sheet)
                if found:
                    conn.execute(issues_table.insert(), [
                        {"submission_id": sub_id, "severity": i.severity, "code": i.code, "sheet": i.sheet,
                         "cell": i.cell, "column_name": i.column, "value": i.value, "message": i.message,
                         "hint": i.hint} for i in found])
                return sub_id
        except IntegrityError as exc:
            if sub["status"] == "accepted" and self.accepted_with_hash(sub["sha256"]) is not None:
                raise AlreadyAccepted(sub["file_name"]) from exc
            raise PipelineError(f"写入数据库失败：{exc}") from exc
        except SQLAlchemyError as exc:
            raise PipelineError(f"写入数据库失败：{exc}") from exc

    def set_paths(self, sub_id: int, **paths: str | None) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(update(submissions).where(submissions.c.id == sub_id).values(**paths))
        except SQLAlchemyError as exc:
            raise PipelineError(f"写入数据库失败：{exc}") from exc

    def submission_by_claim(self, claim: str):
        """(submission row, its issues) for a watcher claim token, or None if it was never committed."""
        with self.engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.claim == claim)).first()
            if row is None:
                return None
            found = conn.execute(select(issues_table).where(issues_table.c.submission_id == row.id)
                                 .order_by(issues_table.c.id)).all()
        return row, [Issue(i.code, i.severity, i.message, i.sheet, i.cell, i.column_name, i.value, i.hint)
                     for i in found]

    def _store_ledger(self, conn, sub_id: int, sheet: LedgerRows) -> None:
        ledger_id = conn.execute(ledgers.insert().values(
            submission_id=sub_id, item=sheet.item, branch=sheet.branch, period=sheet.period,
            sheet=sheet.sheet, row_count=len(sheet.rows),
            as_of=sheet.as_of.isoformat() if sheet.as_of else None)).inserted_primary_key[0]
        if sheet.period is not None:
            conn.execute(update(ledgers).where(
                ledgers.c.branch.is_(sheet.branch) if sheet.branch is None else ledgers.c.branch == sheet.branch,
                ledgers.c.item == sheet.item, ledgers.c.period == sheet.period,
                ledgers.c.id != ledger_id, ledgers.c.superseded_by.is_(None)).values(superseded_by=ledger_id))
        payload = []
        for row in sheet.rows:
            item = ITEMS[row.item]
            key = _record_key(item, row.values)
            person = row.values.get(item.person) if item.person else None
            day = next((row.values[d] for d in item.dates if row.values.get(d) is not None), None)
            payload.append({"ledger_id": ledger_id, "item": row.item, "branch": sheet.branch, "line": row.line,
                            "record_key": key, "person": person,
                            "day": as_date(day).isoformat() if as_date(day) else None,
                            "source": sheet.source,
                            "data": encode_record(fields_item(row.item), row.values)})
        if not payload:
            return
        conn.execute(records.insert(), payload)
        for key in [p["record_key"] for p in payload if p["record_key"]]:
            self._supersede(conn, ledger_id, sheet, key)

    def _supersede(self, conn, ledger_id: int, sheet: LedgerRows, key: str) -> None:
        """The newest record of a key wins — except that an Excel row never replaces a Word
        record of the same meeting (the Word one has the body and the photos)."""
        newest = conn.execute(select(func.max(records.c.id)).where(
            records.c.ledger_id == ledger_id, records.c.record_key == key)).scalar_one()
        live = (records.c.branch == sheet.branch, records.c.record_key == key, records.c.id != newest,
                records.c.superseded_by.is_(None))
        if sheet.source == "excel":
            word = conn.execute(select(func.max(records.c.id)).where(*live, records.c.source == "word")).scalar()
            if word is not None:
                conn.execute(update(records).where(records.c.id == newest).values(superseded_by=word))
                return
        conn.execute(update(records).where(*live).values(superseded_by=newest))

    # --- reading ------------------------------------------------------------------

    def live_items(self, branch: str, received_by: dt.date | None = None) -> set[str]:
        """Items of the branch's live ledgers, of files received by the end of `received_by`."""
        query = (select(ledgers.c.item).join(submissions, ledgers.c.submission_id == submissions.c.id)
                 .where(ledgers.c.branch == branch, ledgers.c.superseded_by.is_(None)))
        if received_by is not None:
            query = query.where(submissions.c.received_at < _day_after(received_by))
        with self.engine.connect() as conn:
            return {r.item for r in conn.execute(query)}

    def final_document(self, owner: str, year: int, kind: str) -> Path | None:
        """The stored original of the 定稿 (item W1) of a generated document, if one came back."""
        query = (select(records.c.data, submissions.c.stored_path)
                 .join(ledgers, records.c.ledger_id == ledgers.c.id)
                 .join(submissions, ledgers.c.submission_id == submissions.c.id)
                 .where(records.c.item == "W1", records.c.branch == owner, records.c.superseded_by.is_(None))
                 .order_by(records.c.id.desc()))
        with self.engine.connect() as conn:
            for data, stored in conn.execute(query):
                record = decode_record(ITEMS["W1"], data)
                path = self.resolve(stored)
                if record.get("文书名称") == kind and record.get("年度") == year and path and path.exists():
                    return path
        return None

    def items_received(self, branch: str, since: dt.date, until: dt.date) -> dict[str, dt.datetime]:
        """Item → when it was first accepted from the branch between `since` and the end of `until`,
        whether or not a later file replaced it: what had been submitted by a day (§7)."""
        query = (select(ledgers.c.item, func.min(submissions.c.received_at).label("first"))
                 .join(submissions, ledgers.c.submission_id == submissions.c.id)
                 .where(ledgers.c.branch == branch, submissions.c.status == "accepted",
                        submissions.c.received_at >= dt.datetime.combine(since, dt.time()),
                        submissions.c.received_at < _day_after(until))
                 .group_by(ledgers.c.item))
        with self.engine.connect() as conn:
            return {r.item: r.first for r in conn.execute(query)}

    def latest_statuses(self, branch: str, year: int, until: dt.date) -> dict[str, str]:
        """File name → status of its latest submission received in `year` up to the end of `until`."""
        query = (select(submissions.c.file_name, submissions.c.status).where(
            submissions.c.branch == branch,
            submissions.c.received_at >= dt.datetime(year, 1, 1),
            submissions.c.received_at < _day_after(until))
            .order_by(submissions.c.id))
        with self.engine.connect() as conn:
            return {r.file_name: r.status for r in conn.execute(query)}

    def live_record_data(self, branch: str | None = None):
        """(item, encoded record) of every live record — the branch's and the college-wide ones
        (registry, manual scores) — in a stable order: what a branch's documents are made from."""
        query = (select(records.c.item, records.c.data).join(ledgers, records.c.ledger_id == ledgers.c.id)
                 .where(records.c.superseded_by.is_(None), ledgers.c.superseded_by.is_(None))
                 .order_by(records.c.id))
        if branch is not None:
            query = query.where((records.c.branch == branch) | (records.c.item.in_(("Z1", "M1"))))
        with self.engine.connect() as conn:
            yield from conn.execute(query)

    def submissions_between(self, since: dt.date, until: dt.date) -> list:
        """Every submission (accepted, rejected, duplicate) received from `since` to the end of
        `until`, in the order received — what the 台账总览 reads for files and rejections."""
        query = (select(submissions.c.id, submissions.c.file_name, submissions.c.received_at, submissions.c.status,
                        submissions.c.branch, submissions.c["items"], submissions.c.error_count,
                        submissions.c.warning_count, submissions.c.stored_path, submissions.c.receipt_path,
                        submissions.c.summary)
                 .where(submissions.c.received_at >= dt.datetime.combine(since, dt.time()),
                        submissions.c.received_at < _day_after(until))
                 .order_by(submissions.c.received_at, submissions.c.id))
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def accepted_ledgers_between(self, since: dt.date, until: dt.date, items: tuple[str, ...] | None = None) -> list:
        """(ledger id, submission id, branch, item, period) of every ledger (of `items`) of the
        accepted files received from `since` to the end of `until` — replaced ones too: what had
        been submitted."""
        query = (select(ledgers.c.id, ledgers.c.submission_id, ledgers.c.branch, ledgers.c.item, ledgers.c.period)
                 .join(submissions, ledgers.c.submission_id == submissions.c.id)
                 .where(submissions.c.status == "accepted",
                        submissions.c.received_at >= dt.datetime.combine(since, dt.time()),
                        submissions.c.received_at < _day_after(until))
                 .order_by(ledgers.c.id))
        if items is not None:
            query = query.where(ledgers.c.item.in_(items))
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def ledger_records(self, ledger_ids: list[int], with_data: bool = True):
        """(ledger id, item, day, encoded data) of every record of those ledgers, replaced ones too."""
        columns = [records.c.ledger_id, records.c.item, records.c.day] + ([records.c.data] if with_data else [])
        with self.engine.connect() as conn:
            for start in range(0, len(ledger_ids), 500):
                chunk = ledger_ids[start:start + 500]
                yield from conn.execute(select(*columns).where(records.c.ledger_id.in_(chunk)).order_by(records.c.id))

    def received_at(self, submission_id: int) -> dt.datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(submissions.c.received_at).where(submissions.c.id == submission_id)).scalar()

    def first_errors(self, submission_ids: list[int], limit: int = 3) -> dict[int, list[Issue]]:
        """Submission id → its first `limit` errors (in the order the receipt lists them)."""
        found: dict[int, list[Issue]] = {}
        if not submission_ids:
            return found
        with self.engine.connect() as conn:
            for i in conn.execute(select(issues_table).where(issues_table.c.submission_id.in_(submission_ids),
                                                             issues_table.c.severity == "error")
                                  .order_by(issues_table.c.id)):
                kept = found.setdefault(i.submission_id, [])
                if len(kept) < limit:
                    kept.append(Issue(i.code, i.severity, i.message, i.sheet, i.cell, i.column_name, i.value, i.hint))
        return found

    def submissions(self, limit: int = 100) -> list:
        with self.engine.connect() as conn:
            return conn.execute(select(submissions).order_by(submissions.c.id.desc()).limit(limit)).all()

    def ledger_history(self, branch: str, item: str) -> list:
        with self.engine.connect() as conn:
            return conn.execute(select(ledgers, submissions.c.file_name, submissions.c.received_at)
                                .join(submissions, ledgers.c.submission_id == submissions.c.id)
                                .where(ledgers.c.branch == branch, ledgers.c.item == item)
                                .order_by(ledgers.c.id)).all()


class _NoLock:
    def release(self) -> None:
        pass


class _AdvisoryLock:
    def __init__(self, conn, number: int):
        self.conn, self.number = conn, number

    def release(self) -> None:
        try:
            self.conn.exec_driver_sql("select pg_advisory_unlock(%(k)s)", {"k": self.number})
            self.conn.commit()
        except SQLAlchemyError:
            pass                      # the connection is gone: so is the lock
        finally:
            self.conn.close()


def _schema_version(conn) -> tuple[str | None, bool]:
    """(the database's migration revision, whether it has our tables at all)."""
    from sqlalchemy import inspect as inspect_schema, text
    names = set(inspect_schema(conn).get_table_names())
    current = conn.execute(text("select version_num from alembic_version")).scalar() \
        if "alembic_version" in names else None
    return current, "submissions" in names


def _current(engine) -> str | None:
    with engine.connect() as conn:
        return _schema_version(conn)[0]


def migrate(engine) -> None:
    """Bring the schema to the head revision (pipeline/migrations): one query when it is there
    already; otherwise Alembic, in one transaction (on PostgreSQL under an advisory lock). A store
    made before migrations existed is stamped with the baseline first. When processes open a new
    store at once, whoever comes second finds the work done."""
    from pipeline.migrations import BASELINE, HEAD
    if _current(engine) == HEAD:
        return
    with _MIGRATING:                        # Alembic's context is one per process
        _upgrade(engine, BASELINE, HEAD)


_MIGRATING = threading.Lock()


def _upgrade(engine, baseline: str, head: str) -> None:
    from alembic import command
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("select pg_advisory_xact_lock(7412026)")
                current, has_tables = _schema_version(conn)
                if current == head:
                    return
                config.attributes["connection"] = conn
                if current is None and has_tables:
                    command.stamp(config, baseline)
                command.upgrade(config, "head")
            return
        except SQLAlchemyError:
            if _current(engine) == head:
                return                          # another process did it meanwhile
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _record_key(item: Item, values: dict) -> str | None:
    """(item, date, topic) for a meeting — the topic compared without spaces and punctuation."""
    if not item.record_key:
        return None
    parts = [as_date(values.get(k)).isoformat() if as_date(values.get(k)) else
             (match_key(values[k]) if isinstance(values.get(k), str) else values.get(k)) for k in item.record_key]
    if any(p is None for p in parts):
        return None
    return json.dumps([item.code, *parts], ensure_ascii=False)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
