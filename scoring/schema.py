"""Tables of the store (SQLAlchemy Core). Alembic migrations in scoring/migrations create them.

Results are never stored: they are computed from the raw rows of the active dataset of a year, so
that a rule or framework change can always be replayed on the data as it was imported.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# A province's party committees as a tree: the root (the province, or the one committee of a store made before
# committees) and the committees under it. Datasets, rounds and accounts belong to one committee each.
committees = Table(
    "committees",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(30), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("parent_id", Integer, ForeignKey("committees.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
)
Index("ix_committees_parent", committees.c.parent_id)  # a committee's subtree is read alone (recursive query)


def _committee(key: bool = False) -> Column:
    """The committee a row belongs to; part of the primary key of what each committee has one of."""
    if key:
        return Column(
            "committee_id",
            Integer,
            ForeignKey("committees.id"),
            primary_key=True,
            autoincrement=False,
            server_default="1",  # rows of a backup made before committees are the root's
        )
    return Column("committee_id", Integer, ForeignKey("committees.id"), nullable=False, server_default="1", index=True)


frameworks = Table(
    "frameworks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("definition", Text, nullable=False),  # TOML, as framework.to_toml writes it
    Column("sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False, index=True),
    Column("framework_id", Integer, ForeignKey("frameworks.id"), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("unit_count", Integer, nullable=False),
    Column("leader_count", Integer, nullable=False),
    # How the framework was chosen (domain: explicit choice > the file's "Tiêu chí" sheet > the store's active
    # framework > the default preset): chosen, file, active, preset; "unknown" for datasets older than this.
    Column("framework_origin", String(20), nullable=False, server_default="unknown"),
    Column("warnings", Text, nullable=False, server_default="[]"),  # JSON list of the reader's warnings
    _committee(),
)
Index("ix_datasets_committee_year", datasets.c.committee_id, datasets.c.year)

dataset_files = Table(
    "dataset_files",
    metadata,
    Column("dataset_id", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
)

unit_rows = Table(
    "unit_rows",
    metadata,
    Column("dataset_id", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("cluster", Text, nullable=False),
    Column("bonus", Float, nullable=False),
    Column("penalty", Float, nullable=False),
    Column("collective_discipline", Integer, nullable=False),
    Column("head_discipline", Integer, nullable=False),
    Column("disunity", Boolean, nullable=False),
    Column("corruption", Boolean, nullable=False),
    Column("note", Text, nullable=False),
    Column("not_rated", Text, nullable=False, server_default=text("''")),  # why the unit is not rated this year
    Column("conditions", Text, nullable=False, server_default="{}"),  # JSON {condition name: value}
    Column("has_self_columns", Boolean, nullable=False),
    Column("file", Text, nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row", Integer, nullable=False),
    Column("self_scores", Text, nullable=False),  # JSON {code: number}; blanks left out
    Column("review_scores", Text, nullable=False),
)

leader_rows = Table(
    "leader_rows",
    metadata,
    Column("dataset_id", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("unit_code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("discipline", Integer, nullable=False),
    Column("low_confidence", Boolean, nullable=False),
    Column("file", Text, nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row", Integer, nullable=False),
    Column("self_scores", Text, nullable=False),
    Column("review_scores", Text, nullable=False),
)

active_years = Table(
    "active_years",
    metadata,
    _committee(key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("dataset_id", Integer, ForeignKey("datasets.id"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", Text, nullable=False),
)

# The framework a committee's new imports fall back to and its Tiêu chí page edits: one row per committee that
# chose one (the others use their parent's), changed only on purpose.
active_framework = Table(
    "active_framework",
    metadata,
    _committee(key=True),
    Column("framework_id", Integer, ForeignKey("frameworks.id"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", Text, nullable=False),
    Column("action", String(30), nullable=False),  # import, activate, framework, restore, account_*, sign_in_lock
    Column("year", Integer),
    Column("dataset_id", Integer),
    Column("framework_id", Integer),
    Column("detail", Text, nullable=False),
    Column("committee_id", Integer, nullable=False, server_default="1"),  # the committee the entry is about
)
Index("ix_audit_log_at", audit_log.c.at)
Index("ix_audit_log_committee_at", audit_log.c.committee_id, audit_log.c.at)

# People who sign in. A unit account (role don_vi) is bound to one unit code; e-mail matches a single sign-on
# identity to the account. The password is kept only as an Argon2id hash; an account that signs in only through
# single sign-on has none.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("full_name", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_code", Text),
    Column("email", String(254), unique=True),
    Column("active", Boolean, nullable=False),
    Column("password_hash", Text),
    Column("must_change_password", Boolean, nullable=False),
    Column("password_expires_at", DateTime(timezone=True)),  # a temporary password: a day, or its first sign-in
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Text, nullable=False),
    _committee(),
    CheckConstraint("role IN ('quan_tri', 'can_bo', 'lanh_dao', 'don_vi')", name="ck_accounts_role"),
    CheckConstraint("(role = 'don_vi') = (unit_code IS NOT NULL)", name="ck_accounts_unit_code"),
)

# Failed sign-ins of the last minutes: five in a window lock the account for a while.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE")),  # None: no such login
    Column("client", Text, nullable=False),  # the address the attempt came from
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_sign_in_failures_account_at", sign_in_failures.c.account_id, sign_in_failures.c.at)
Index("ix_sign_in_failures_client_at", sign_in_failures.c.client, sign_in_failures.c.at)

# Signed-in browsers. Only a SHA-256 of the random token is kept, so a copy of the database opens no session.
sessions = Table(
    "sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

# One-time codes that hand a fresh sign-in from the app's page to the route that sets the cookie (seconds).
sign_in_codes = Table(
    "sign_in_codes",
    metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The evaluation round of a year: its frozen framework, roster and deadlines. Everything that happens in it is
# appended to round_entries (never updated, never deleted); a unit's current state is the fold of its entries.
rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("framework_id", Integer, ForeignKey("frameworks.id"), nullable=False),
    Column("self_deadline", DateTime(timezone=True), nullable=False),
    Column("review_deadline", DateTime(timezone=True), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    _committee(),
    UniqueConstraint("committee_id", "year", name="uq_rounds_committee_year"),
)

round_units = Table(
    "round_units",
    metadata,
    Column("round_id", Integer, ForeignKey("rounds.id"), primary_key=True),
    Column("code", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("cluster", Text, nullable=False),
)

round_entries = Table(
    "round_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("unit_code", Text),  # None: an event of the whole round (opened, published)
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target", String(200), nullable=False),  # "U:1.1", "L:1", a field name ("condition:<name>"), or ""
    Column("value", Text, nullable=False),  # JSON
    Column("reason", Text, nullable=False),
)
Index("ix_round_entries_unit", round_entries.c.round_id, round_entries.c.unit_code, round_entries.c.id)
# A round's states and publications without its scores (read on every page: the work list, the open years).
Index(
    "ix_round_entries_kind",
    round_entries.c.round_id,
    round_entries.c.kind,
    round_entries.c.unit_code,
    round_entries.c.id,
)

# Evidence files, addressed by their SHA-256: the same file attached twice is kept once.
evidence = Table(
    "evidence",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", Text, nullable=False),
)

# What a unit or an officer typed on a round's page and has not saved yet (a menu click or a reload loses nothing):
# one row per round, unit, page and account, replaced as they type and removed once saved. Scratch, not the record.
round_drafts = Table(
    "round_drafts",
    metadata,
    Column("round_id", Integer, ForeignKey("rounds.id"), primary_key=True),
    Column("unit_code", Text, primary_key=True),
    Column("page", String(20), primary_key=True),
    Column("login", Text, primary_key=True),
    Column("content", Text, nullable=False),  # JSON: criterion key → {column: text}, and the leader's fields
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

# Each committee's settings (name → JSON value), such as what units see of a published ranking.
settings = Table(
    "settings",
    metadata,
    _committee(key=True),
    Column("name", String(60), primary_key=True),
    Column("value", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Text, nullable=False),
)

# E-mail reminders sent (scoring.reminders), each once: claimed here before it is sent, given back if refused.
reminders = Table(
    "reminders",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

# Order in which a backup is written and restored (parents first). Accounts are kept (their hashes with them);
# sessions, codes and failures are not: a restored store starts with everybody signed out.
TABLES = [
    committees,
    frameworks,
    datasets,
    dataset_files,
    unit_rows,
    leader_rows,
    active_years,
    active_framework,
    audit_log,
    accounts,
    rounds,
    round_units,
    round_entries,
    evidence,
    settings,
    reminders,
]
