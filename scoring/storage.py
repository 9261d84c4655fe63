"""The store's core: the database, its schema migrations, serialised write transactions and snapshot reads, the
committee's settings and the audit log. `store.Store` adds frameworks, years and backups on top of it.

An import is one transaction: validation happens before it starts, and a crash or a kill inside it leaves the
database exactly as before. Writers are serialised (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock); reads run
in one snapshot so they never see half an import.
"""

from __future__ import annotations

import base64
import copy
import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from . import schema as t
from .access import Actor, Forbidden, Right
from .dataset import Source

ROOT = Path(__file__).resolve().parents[1]


DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'danvan.sqlite'}"


MIGRATIONS = Path(__file__).with_name("migrations")


BACKUP_FORMAT = "danvan-backup"


ROOT_ID = 1  # the root committee: the province, or the one committee of a store made before committees

WRITERS_LOCK = 7_241_001  # PostgreSQL advisory lock held by every write transaction: writers one at a time


class StoreError(Exception):
    """A store operation refused; the message is for users, in Vietnamese."""


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    year: int
    imported_at: datetime
    imported_by: str
    unit_count: int
    leader_count: int
    framework_id: int
    framework_name: str
    files: tuple[Source, ...]
    active: bool
    framework_origin: str = "unknown"


def database_url() -> str:
    """DANVAN_DATABASE_URL, or the first line of the file DANVAN_DATABASE_URL_FILE names (a container secret, so
    that the database password is in no environment listing), else the embedded SQLite file."""
    if os.environ.get("DANVAN_DATABASE_URL"):
        return os.environ["DANVAN_DATABASE_URL"]
    if os.environ.get("DANVAN_DATABASE_URL_FILE"):
        return Path(os.environ["DANVAN_DATABASE_URL_FILE"]).read_text("utf-8").strip()
    return DEFAULT_URL


def _now() -> datetime:
    return datetime.now(UTC)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "không rõ"


class StoreCore:
    """The database and its transactions; what every part of the store builds on. A store works inside one
    committee (`committee_id`; the root unless `within` made a view of another): its years, versions, rounds,
    active framework and settings are that committee's."""

    committee_id = ROOT_ID

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True)
        self.sqlite = self.engine.dialect.name == "sqlite"
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.upgrade()

    def upgrade(self) -> None:
        """Bring the schema to the latest migration (creates it in an empty database)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.reading() as conn:  # at head already: no need to queue behind a running import
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
        conn = self.engine.connect().execution_options(writer=True)
        if self.sqlite:  # Alembic rebuilds a table to change it: SQLite checks the foreign keys after, not midway
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with _Transaction(conn, lock=None if self.sqlite else WRITERS_LOCK) as migrating:
                config.attributes["connection"] = migrating
                command.upgrade(config, "head")
                if self.sqlite and migrating.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise StoreError("Nâng cấp cơ sở dữ liệu làm hỏng liên kết giữa các bảng; không nâng cấp.")
        finally:
            if self.sqlite:
                self.engine.dispose()  # the connection that migrated goes; new ones check foreign keys again

    def within(self, committee_id: int):
        """The same store (one engine, one pool) working inside another committee. Whoever makes the view checks
        that the account may work there (`committees.Committees.view`); every action checks again (`require`)."""
        view = copy.copy(self)
        view.committee_id = committee_id
        return view

    def require(self, actor: Actor, right: Right | None = None) -> None:
        """The actor may act in this store's committee (its own committee's subtree; a unit's account in its own
        committee only) and, if given, has the right: the check of every action of the library."""
        if self.committee_id != actor.committee_id and (
            actor.unit_code is not None or actor.committee_id not in self.ancestors()
        ):
            raise Forbidden(f"Tài khoản {actor.login} không làm việc với cấp ủy này.")
        if right is not None:
            actor.require(right)

    def sees(self, actor: Actor, code: str) -> bool:
        """The actor works in this committee and may see the unit of this code in it."""
        self.require(actor)
        return actor.sees_unit(code)

    def ancestors(self, conn: Connection | None = None) -> list[int]:
        """This committee's parent, its parent's parent, … up to the root (in `conn`'s snapshot, if given)."""
        c = t.committees.c
        if conn is None:
            with self.reading() as conn:
                return self.ancestors(conn)
        chain = select(c.id, c.parent_id).where(c.id == self.committee_id).cte("chain", recursive=True)
        chain = chain.union_all(select(c.id, c.parent_id).join(chain, c.id == chain.c.parent_id))
        parents = dict(conn.execute(select(chain.c.id, chain.c.parent_id)).all())
        found, current = [], parents.get(self.committee_id)
        while current is not None and current not in found:
            found.append(current)
            current = parents.get(current)
        return found

    def writing(self):
        """A write transaction, serialised with every other writer; its audit entries are about this committee."""
        conn = self.engine.connect().execution_options(writer=True, committee_id=self.committee_id)
        return _Transaction(conn, lock=None if self.sqlite else WRITERS_LOCK)

    def reading(self):
        """A read transaction over one consistent snapshot."""
        conn = self.engine.connect()
        if not self.sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return _Transaction(conn, lock=None)

    def audit(
        self,
        limit: int = 200,
        who: str | None = None,
        actions: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        committees: set[int] | None = None,
    ) -> pd.DataFrame:
        """The newest entries of the audit log first, optionally of one account, some actions, a time span, some
        committees (an administrator's subtree)."""
        log = t.audit_log
        query = select(log).order_by(log.c.at.desc(), log.c.id.desc()).limit(limit)
        if committees is not None:
            query = query.where(log.c.committee_id.in_(sorted(committees)))
        if who:
            query = query.where(log.c.who == who)
        if actions:
            query = query.where(log.c.action.in_(actions))
        if since:
            query = query.where(log.c.at >= since)
        if until:
            query = query.where(log.c.at < until)
        with self.reading() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=[c.name for c in t.audit_log.columns])

    def setting(self, name: str, default=None):
        """This committee's setting."""
        s = t.settings.c
        with self.reading() as conn:
            value = conn.execute(select(s.value).where(s.committee_id == self.committee_id, s.name == name)).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, name: str, value, who: str, detail: str) -> None:
        """A setting of this committee changed, in the audit log with `detail` (callers check the right first)."""
        s = t.settings.c
        with self.writing() as conn:
            conn.execute(t.settings.delete().where(s.committee_id == self.committee_id, s.name == name))
            conn.execute(
                insert(t.settings).values(
                    committee_id=self.committee_id,
                    name=name,
                    value=json.dumps(value, ensure_ascii=False),
                    changed_at=_now(),
                    changed_by=who,
                )
            )
            record(conn, who, "setting", detail=detail)

    def is_empty(self) -> bool:
        """No committee has stored a year yet."""
        with self.reading() as conn:
            return not conn.execute(select(func.count()).select_from(t.datasets)).scalar()


class _Transaction:
    """Context manager: begin, optionally take the writers' lock, commit or roll back, close."""

    def __init__(self, conn: Connection, lock: int | None):
        self.conn, self.lock = conn, lock

    def __enter__(self) -> Connection:
        self.tx = self.conn.begin()
        if self.lock is not None:
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock})
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        finally:
            self.conn.close()


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # Writers take the write lock at once, so that two imports queue instead of failing halfway.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN")


def record(
    conn: Connection,
    who: str,
    action: str,
    year: int | None = None,
    dataset_id: int | None = None,
    framework_id: int | None = None,
    detail: str = "",
) -> None:
    conn.execute(
        insert(t.audit_log).values(
            committee_id=conn.get_execution_options().get("committee_id", ROOT_ID),
            at=_now(),
            who=who,
            action=action,
            year=year,
            dataset_id=dataset_id,
            framework_id=framework_id,
            detail=detail,
        )
    )


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):  # evidence files
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(type(value))
