"""Alembic environment: run on the connection `Store` hands over (no alembic.ini, no URL here)."""
from alembic import context

from pipeline.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")   # SQLite alters tables by copying
with context.begin_transaction():
    context.run_migrations()
