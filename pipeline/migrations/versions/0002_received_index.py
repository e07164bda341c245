"""An index on when submissions were received: the 台账总览 and the monthly check read files by
the day they came in."""
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_index("ix_submissions_received_at", "submissions", ["received_at"], if_not_exists=True)
