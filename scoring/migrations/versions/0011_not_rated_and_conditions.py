"""A unit's year row keeps why it is not rated ("" when it is) and its values of the framework's conditions (JSON);
a round's entry may name a condition ("condition:<its name>", up to 200 characters).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit_rows") as batch:
        batch.add_column(sa.Column("not_rated", sa.Text, nullable=False, server_default=sa.text("''")))
        batch.add_column(sa.Column("conditions", sa.Text, nullable=False, server_default="{}"))
    with op.batch_alter_table("round_entries") as batch:
        batch.alter_column("target", type_=sa.String(200), existing_type=sa.String(60), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("round_entries") as batch:
        batch.alter_column("target", type_=sa.String(60), existing_type=sa.String(200), existing_nullable=False)
    with op.batch_alter_table("unit_rows") as batch:
        batch.drop_column("conditions")
        batch.drop_column("not_rated")
