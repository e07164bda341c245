"""Schema migrations (Alembic), for SQLite workspaces and PostgreSQL stores alike.

`Store` compares the database's `alembic_version` with HEAD when it opens (one cheap query) and only
then imports Alembic to upgrade — in a transaction where the database allows it, so that an upgrade
interrupted half-way leaves the old schema and every record as they were. A database made before
migrations existed (tables, no `alembic_version`) is stamped with the baseline first.
"""
HEAD = "0003"
BASELINE = "0001"
