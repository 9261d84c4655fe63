"""The active framework as an explicit pointer; each dataset records where its framework came from and
the reader's warnings.

Revision ID: 0002
Revises: 0001

Before this, "the active framework" was the newest stored row, so importing a file with its own
"Tiêu chí" sheet changed it. The pointer starts at that newest row, so a store keeps what it showed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "active_framework",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("framework_id", sa.Integer, sa.ForeignKey("frameworks.id"), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_active_framework_single_row"),
    )
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("framework_origin", sa.String(20), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("warnings", sa.Text, nullable=False, server_default="[]"))
    op.execute(
        "INSERT INTO active_framework (id, framework_id, activated_at, activated_by) "
        "SELECT 1, id, created_at, created_by FROM frameworks ORDER BY id DESC LIMIT 1"
    )


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("warnings")
        batch.drop_column("framework_origin")
    op.drop_table("active_framework")
