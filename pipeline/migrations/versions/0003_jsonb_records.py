"""On PostgreSQL a record's values become JSONB (queryable and indexable: data->>'姓名'); SQLite keeps
its TEXT, which its JSON functions read as it is. Every record is kept: the column is converted in
place, in the migration's transaction."""
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table records alter column data type jsonb using data::jsonb")
