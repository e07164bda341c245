"""What checking a file reads from the store, without SQLAlchemy.

`taizhang validate` checks a file against the registry, the roster, the dues bases and the files
accepted before — reads only. They are written here once, in SQL that SQLite and PostgreSQL both
speak (named parameters, no dialect functions), over one method `_rows(sql, params)`:

- `Store` (pipeline/store.py, SQLAlchemy) runs them through its engine, beside everything it writes;
- `SQLiteReads` runs them through the standard library's sqlite3 on a read-only connection, for a
  command that writes nothing: it starts without importing SQLAlchemy (about a third of
  `validate`'s time on a 2,000-row roster), and only on a store already at the current schema
  (else the full store opens and migrates it).

Also here, because checking needs them and must not import the SQLAlchemy module for them: how a
record's values are encoded as JSON, and the sheet ready to store (`LedgerRows`).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from pipeline.core.formats import ITEMS, Item, fields_item
from pipeline.core.issues import PipelineError
from pipeline.core.records import Member
from pipeline.core.values import as_date


# --- encoding records ---------------------------------------------------------------

def encode_value(kind: str, value):
    if value is None:
        return None
    if kind == "month":
        return f"{value[0]:04d}-{value[1]:02d}"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def decode_value(kind: str, value):
    if value is None:
        return None
    if kind == "month":
        year, month = value.split("-")
        return (int(year), int(month))
    if kind in ("date", "birth"):
        return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if kind in ("money", "percent", "hours", "score"):
        return Decimal(value)
    if kind == "names":
        return tuple(value)
    return value


_PLAIN = (str, int, bool)


def encode_record(item: Item, values: dict) -> str:
    types = item.types
    data = {k: v if type(v) in _PLAIN else encode_value(types.get(k, "text"), v) for k, v in values.items()}
    return json.dumps(data, ensure_ascii=False)


def decode_record(item: Item, data) -> dict:
    """A record's values from their JSON text (or, read by raw SQL from PostgreSQL's JSONB, the
    object the driver made of it)."""
    types = item.types
    values = json.loads(data) if isinstance(data, (str, bytes)) else data
    return {k: decode_value(types.get(k, "text"), v) for k, v in values.items()}


@dataclass(frozen=True)
class LedgerRows:
    """An accepted sheet ready to store."""
    item: str              # the sheet's item (B for the mixed meeting form)
    branch: str | None
    period: str | None
    sheet: str
    as_of: dt.date | None
    rows: list             # validation.Row
    source: str = "excel"


class AlreadyAccepted(PipelineError):
    """Another process accepted the same bytes first: this file is a duplicate."""


class Accepted(NamedTuple):
    """The first accepted submission of some bytes."""
    id: int
    file_name: str
    branch: str | None
    received_at: dt.datetime


def _when(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


# --- the reads -------------------------------------------------------------------------

_LIVE_RECORDS = ("select r.data, r.item from records r join ledgers l on r.ledger_id = l.id "
                 "where r.item = :item and r.superseded_by is null and l.superseded_by is null")


class Reads:
    """The reads checking a file makes, over `_rows(sql, params) -> list of tuples`; paths as the
    database keeps them, relative to the workspace `root` (hosts mount it anywhere)."""
    root: Path | None = None

    def relative(self, path: Path | None) -> str | None:
        """A path as the database keeps it: relative to the workspace when it lies inside it."""
        if path is None:
            return None
        if self.root is not None:
            try:
                return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)

    def resolve(self, text: str | None) -> Path | None:
        """A path the database keeps, on this host (an absolute one, from older rows, as it is)."""
        if not text or text == "None":
            return None
        path = Path(text)
        return path if path.is_absolute() or self.root is None else self.root / path

    def _rows(self, sql: str, params: dict) -> list:     # pragma: no cover - each store has its own
        raise NotImplementedError

    def accepted_with_hash(self, sha256: str) -> Accepted | None:
        found = self._rows("select id, file_name, branch, received_at from submissions "
                           "where sha256 = :sha and status = 'accepted' order by id limit 1", {"sha": sha256})
        return Accepted(*found[0][:3], _when(found[0][3])) if found else None

    def active_records(self, item: str, branch: str | None = None, period: str | None = None) -> list[dict]:
        """Records of live ledgers (not superseded), newest ledger first."""
        sql, params = _LIVE_RECORDS, {"item": item}
        if branch is not None:
            sql, params["branch"] = sql + " and r.branch = :branch", branch
        if period is not None:
            sql, params["period"] = sql + " and l.period = :period", period
        return [decode_record(fields_item(code), data)
                for data, code in self._rows(sql + " order by l.id desc, r.line", params)]

    def records_in_year(self, item: str, branch: str, year: int, date_field: str | None = None,
                        until: dt.date | None = None) -> list[dict]:
        """Live records of `item` whose `date_field` (default: the item's first date) falls in `year`
        (and not after `until`), in date order — the one "this year's records" every document asks for."""
        field = date_field or ITEMS[item].dates[0]
        found = []
        for record in self.active_records(item, branch):
            day = as_date(record.get(field))
            if day is not None and day.year == year and (until is None or day <= until):
                found.append((day, record))
        found.sort(key=lambda pair: pair[0])
        return [record for _, record in found]

    def registry(self) -> list[dict]:
        """The registered branches (the live 党组织设置表)."""
        return self.active_records("Z1")

    def roster(self, branch: str, year: int | None = None) -> list[Member] | None:
        """The branch's live roster for `year` (else the newest one); None if there is none."""
        found = self._rows("select id, period from ledgers where item = 'A1' and branch = :branch "
                           "and superseded_by is null order by period desc, id desc", {"branch": branch})
        if not found:
            return None
        chosen = next((r for r in found if year is None or (r[1] or "") <= str(year)), found[-1])
        item = ITEMS["A1"]
        return [Member.from_roster(decode_record(item, data)) for (data,) in
                self._rows("select data from records where ledger_id = :id order by line", {"id": chosen[0]})]

    def dues_bases(self, branch: str, year: int) -> tuple[list[tuple[int, dict]], int | None]:
        """The C1 bases in force in `year`: [(effective month, record)] and the year they were fixed
        for — `year` itself (its yearly C1 and the later ones with a 生效月份), else the latest earlier
        year with a C1 (every member's last base of that year, from January). ([], None) if none."""
        found = self._rows("select id, period from ledgers where item = 'C1' and branch = :branch "
                           "and superseded_by is null and period <= :last order by period, id",
                           {"branch": branch, "last": f"{year:04d}-99"})
        if not found:
            return [], None
        used = max(int(period[:4]) for _, period in found)
        item = ITEMS["C1"]
        bases = []
        for ledger_id, period in found:
            if int(period[:4]) != used:
                continue
            start = int(period[5:7]) if len(period) == 7 else 1
            for (data,) in self._rows("select data from records where ledger_id = :id and superseded_by is null "
                                      "order by line", {"id": ledger_id}):
                bases.append((start, decode_record(item, data)))
        if used < year:                     # carried over: what was in force at the end of that year
            last = {}
            for start, record in sorted(bases, key=lambda b: b[0]):
                last[record["姓名"]] = record
            bases = [(1, record) for record in last.values()]
        return bases, used


class SQLiteReads(Reads):
    """The reads on a SQLite store through the standard library: a read-only connection (a writer
    elsewhere goes on; WAL lets both be)."""

    def __init__(self, connection, root: Path | None = None):
        self.connection = connection
        self.root = root

    def _rows(self, sql: str, params: dict) -> list:
        return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


def sqlite_reads(url: str, root: Path | None = None) -> SQLiteReads | None:
    """Read-only reads for a SQLite store that exists at the current schema; None otherwise (a
    PostgreSQL store, a new or older database: the full store opens it, and migrates it)."""
    import sqlite3

    from pipeline.migrations import HEAD
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = Path(url[len(prefix):])
    if not path.is_file():
        return None
    connection = None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        (version,) = connection.execute("select version_num from alembic_version").fetchone() or (None,)
    except sqlite3.Error:               # no alembic_version yet (a store from before migrations), …
        version = None
    if version != HEAD:
        if connection is not None:
            connection.close()
        return None
    return SQLiteReads(connection, root)
