"""Keys per committee: each committee has its own active version of a year, its own active framework, its own
settings and its own round of a year; the audit log says which committee an entry is about; a committee's subtree
is found through an index.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROOT_ONLY = "WHERE committee_id = 1"  # going back to one committee keeps the root's


def _committee(primary: bool = False) -> sa.Column:
    return sa.Column(
        "committee_id",
        sa.Integer,
        sa.ForeignKey("committees.id"),
        primary_key=primary,
        nullable=False,
        server_default="1",
    )


def _replace(name: str, columns: list[sa.Column], copied: str, selected: str, where: str = "") -> None:
    """A table made again with new keys (the same way on SQLite and PostgreSQL), its rows copied over."""
    op.create_table(f"{name}_new", *columns)
    op.execute(f"INSERT INTO {name}_new ({copied}) SELECT {selected} FROM {name} {where}")
    op.drop_table(name)
    op.rename_table(f"{name}_new", name)


def _when(name: str) -> list[sa.Column]:
    return [
        sa.Column(f"{name}_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(f"{name}_by", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    _replace(
        "active_years",
        [
            _committee(primary=True),
            sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
            *_when("activated"),
        ],
        "committee_id, year, dataset_id, activated_at, activated_by",
        "1, year, dataset_id, activated_at, activated_by",
    )
    _replace(
        "active_framework",
        [
            _committee(primary=True),
            sa.Column("framework_id", sa.Integer, sa.ForeignKey("frameworks.id"), nullable=False),
            *_when("activated"),
        ],
        "committee_id, framework_id, activated_at, activated_by",
        "1, framework_id, activated_at, activated_by",
    )
    _replace(
        "settings",
        [
            _committee(primary=True),
            sa.Column("name", sa.String(60), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            *_when("changed"),
        ],
        "committee_id, name, value, changed_at, changed_by",
        "1, name, value, changed_at, changed_by",
    )
    _drop_year_unique()
    with op.batch_alter_table("rounds") as batch:
        batch.create_unique_constraint("uq_rounds_committee_year", ["committee_id", "year"])
    op.create_index("ix_datasets_committee_year", "datasets", ["committee_id", "year"])
    op.create_index("ix_committees_parent", "committees", ["parent_id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("committee_id", sa.Integer, nullable=False, server_default="1"))
        batch.create_index("ix_audit_log_committee_at", ["committee_id", "at"])


def _drop_year_unique() -> None:
    found = next(u for u in sa.inspect(op.get_bind()).get_unique_constraints("rounds") if u["column_names"] == ["year"])
    if found["name"]:
        with op.batch_alter_table("rounds") as batch:
            batch.drop_constraint(found["name"], type_="unique")
        return
    # SQLite keeps a constraint made with the column unnamed: the naming convention gives it a name to drop it by
    with op.batch_alter_table(
        "rounds", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}, recreate="always"
    ) as batch:
        batch.drop_constraint("uq_rounds_year", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_committee_at")
        batch.drop_column("committee_id")
    op.drop_index("ix_committees_parent", "committees")
    op.drop_index("ix_datasets_committee_year", "datasets")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_constraint("uq_rounds_committee_year", type_="unique")
        batch.create_unique_constraint("rounds_year_key", ["year"])
    when = "changed_at, changed_by"
    _replace(
        "settings",
        [
            sa.Column("name", sa.String(60), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            *_when("changed"),
        ],
        f"name, value, {when}",
        f"name, value, {when}",
        ROOT_ONLY,
    )
    _replace(
        "active_framework",
        [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("framework_id", sa.Integer, sa.ForeignKey("frameworks.id"), nullable=False),
            *_when("activated"),
            sa.CheckConstraint("id = 1", name="ck_active_framework_single_row"),
        ],
        "id, framework_id, activated_at, activated_by",
        "1, framework_id, activated_at, activated_by",
        ROOT_ONLY,
    )
    _replace(
        "active_years",
        [
            sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
            *_when("activated"),
        ],
        "year, dataset_id, activated_at, activated_by",
        "year, dataset_id, activated_at, activated_by",
        ROOT_ONLY,
    )
