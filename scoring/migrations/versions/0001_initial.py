"""Initial schema: framework versions, datasets with their files and raw rows, active years, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "frameworks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("framework_id", sa.Integer, sa.ForeignKey("frameworks.id"), nullable=False),
        sa.Column("imported_at", TZ, nullable=False),
        sa.Column("imported_by", sa.Text, nullable=False),
        sa.Column("unit_count", sa.Integer, nullable=False),
        sa.Column("leader_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_datasets_year", "datasets", ["year"])
    op.create_table(
        "dataset_files",
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_table(
        "unit_rows",
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        *[sa.Column(name, sa.Text, nullable=False) for name in ("code", "name", "cluster")],
        sa.Column("bonus", sa.Float, nullable=False),
        sa.Column("penalty", sa.Float, nullable=False),
        sa.Column("collective_discipline", sa.Integer, nullable=False),
        sa.Column("head_discipline", sa.Integer, nullable=False),
        sa.Column("disunity", sa.Boolean, nullable=False),
        sa.Column("corruption", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("has_self_columns", sa.Boolean, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sheet", sa.Text, nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("self_scores", sa.Text, nullable=False),
        sa.Column("review_scores", sa.Text, nullable=False),
    )
    op.create_table(
        "leader_rows",
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        *[sa.Column(name, sa.Text, nullable=False) for name in ("unit_code", "name", "title")],
        sa.Column("discipline", sa.Integer, nullable=False),
        sa.Column("low_confidence", sa.Boolean, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sheet", sa.Text, nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("self_scores", sa.Text, nullable=False),
        sa.Column("review_scores", sa.Text, nullable=False),
    )
    op.create_table(
        "active_years",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("activated_at", TZ, nullable=False),
        sa.Column("activated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("dataset_id", sa.Integer),
        sa.Column("framework_id", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "active_years", "leader_rows", "unit_rows", "dataset_files", "datasets", "frameworks"):
        op.drop_table(table)
