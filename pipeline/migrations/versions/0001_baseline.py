"""Baseline: the schema as it stood when migrations began (submissions, ledgers, records, issues,
and the partial unique indexes: one acceptance per SHA-256, one submission per claim)."""
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    from pipeline.store import metadata
    metadata.create_all(op.get_bind(), tables=[metadata.tables[name] for name in
                                               ("submissions", "ledgers", "records", "issues")])
