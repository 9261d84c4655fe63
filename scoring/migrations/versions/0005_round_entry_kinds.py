"""Round entries by kind: each page reads the rounds' states and publications without scanning their scores.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_round_entries_kind", "round_entries", ["round_id", "kind", "unit_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_round_entries_kind", "round_entries")
