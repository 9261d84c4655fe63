"""Committees: a province's tree of party committees. An existing store becomes the root committee, with every
dataset, round and account in it.

Revision ID: 0008
Revises: 0007
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROOT = {"id": 1, "code": "GOC", "name": "Cấp ủy"}
OWNED = ("datasets", "rounds", "accounts")


def upgrade() -> None:
    committees = op.create_table(
        "committees",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(30), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("committees.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.bulk_insert(committees, [ROOT | {"parent_id": None, "created_at": datetime.now(UTC), "created_by": "khởi tạo"}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('committees', 'id'), 1)")
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("committee_id", sa.Integer, nullable=False, server_default="1"))
            batch.create_foreign_key(f"fk_{table}_committee", "committees", ["committee_id"], ["id"])
            batch.create_index(f"ix_{table}_committee_id", ["committee_id"])


def downgrade() -> None:
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_committee_id")
            batch.drop_constraint(f"fk_{table}_committee", type_="foreignkey")
            batch.drop_column("committee_id")
    op.drop_table("committees")
