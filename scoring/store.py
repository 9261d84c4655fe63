"""Every year's data kept safely: SQLite embedded by default, PostgreSQL for a shared deployment.

One small interface (`Store`) used by the command line and the dashboard. An import is one
transaction: validation happens before it starts, and a crash or a kill inside it leaves the
database exactly as before. Imports are serialised (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory
lock); reads run in one snapshot so they never see half an import.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import LargeBinary, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from . import schema as t
from .backup import backup_problems
from .dataset import LEADER_COLUMNS, UNIT_COLUMNS, Source, YearData
from .framework import LEADER, UNIT, Framework, from_toml, to_toml
from .signing import sign, signed_by
from .text import unit_code, unit_codes
from .validation import Issue

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'danvan.sqlite'}"
MIGRATIONS = Path(__file__).with_name("migrations")
BACKUP_FORMAT = "danvan-backup"
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


class Store:
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

    # ------------------------------------------------------------ schema

    def upgrade(self) -> None:
        """Bring the schema to the latest migration (creates it in an empty database)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.reading() as conn:  # at head already: no need to queue behind a running import
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
        with self.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def writing(self):
        """A write transaction, serialised with every other writer."""
        conn = self.engine.connect().execution_options(writer=True)
        return _Transaction(conn, lock=None if self.sqlite else WRITERS_LOCK)

    def reading(self):
        """A read transaction over one consistent snapshot."""
        conn = self.engine.connect()
        if not self.sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return _Transaction(conn, lock=None)

    # ------------------------------------------------------------ frameworks

    def save_framework(self, fw: Framework, who: str | None = None, activate: bool = True) -> int:
        """Store a framework version (the same definition is stored once) and, by default, make it the
        active framework: the one imports fall back to and the Tiêu chí page edits."""
        who = who or os_user()
        with self.writing() as conn:
            framework_id = self.framework_id_in(conn, fw, who)
            if activate:
                self._activate_framework(conn, framework_id, who)
            return framework_id

    def activate_framework(self, framework_id: int, who: str | None = None) -> None:
        with self.writing() as conn:
            if conn.execute(select(t.frameworks.c.id).where(t.frameworks.c.id == framework_id)).scalar() is None:
                raise StoreError(f"Không có bộ tiêu chí phiên bản {framework_id}")
            self._activate_framework(conn, framework_id, who or os_user())

    def _activate_framework(self, conn: Connection, framework_id: int, who: str) -> None:
        current = conn.execute(select(t.active_framework.c.framework_id)).scalar()
        if current == framework_id:
            return
        values = {"framework_id": framework_id, "activated_at": _now(), "activated_by": who}
        if current is None:
            conn.execute(insert(t.active_framework).values(id=1, **values))
        else:
            conn.execute(t.active_framework.update().values(**values))
        name = conn.execute(select(t.frameworks.c.name).where(t.frameworks.c.id == framework_id)).scalar()
        record(
            conn,
            who,
            "framework_activate",
            framework_id=framework_id,
            detail=f"Dùng bộ tiêu chí “{name}” (phiên bản {framework_id}) cho các lần nhập sau",
        )

    def framework_id_in(self, conn: Connection, fw: Framework, who: str) -> int:
        """The version id of this exact framework, added as a new version when it is new, inside a write
        transaction the caller holds (so that a round's framework is saved with the round, or not at all)."""
        definition = to_toml(fw)
        digest = hashlib.sha256(definition.encode()).hexdigest()
        found = conn.execute(select(t.frameworks.c.id).where(t.frameworks.c.sha256 == digest)).scalar()
        if found is not None:
            return found
        new = conn.execute(
            insert(t.frameworks).values(
                name=fw.name, definition=definition, sha256=digest, created_at=_now(), created_by=who
            )
        ).inserted_primary_key[0]
        record(conn, who, "framework", framework_id=new, detail=f"Lưu bộ tiêu chí “{fw.name}” (phiên bản {new})")
        return new

    def framework(self, framework_id: int | None = None) -> Framework | None:
        """A framework version; without an id, the active framework (None until one is saved or activated)."""
        with self.reading() as conn:
            if framework_id is None:
                framework_id = conn.execute(select(t.active_framework.c.framework_id)).scalar()
                if framework_id is None:
                    return None
            row = conn.execute(
                select(t.frameworks.c.id, t.frameworks.c.definition).where(t.frameworks.c.id == framework_id)
            ).first()
        return None if row is None else from_toml(row.definition, source=f"store:{row.id}")

    def framework_versions(self) -> pd.DataFrame:
        with self.reading() as conn:
            return pd.DataFrame(
                conn.execute(
                    select(
                        t.frameworks.c.id, t.frameworks.c.name, t.frameworks.c.created_at, t.frameworks.c.created_by
                    ).order_by(t.frameworks.c.id)
                ).all(),
                columns=["id", "name", "created_at", "created_by"],
            )

    # ------------------------------------------------------------ imports

    def store_years(
        self,
        years: list[YearData],
        framework: Framework,
        origin: str,
        who: str | None = None,
        expected: dict[int, int | None] | None = None,
    ) -> dict[int, int]:
        """Store each year's tables as a new active version, all in one transaction; returns year → dataset id.
        `origin` says how the framework was chosen (see schema.datasets.framework_origin). `expected`: the
        active version each year had when the data was prepared (None: no version); if another import came
        in between, nothing is stored."""
        who = who or os_user()
        with self.writing() as conn:
            if expected:
                now = dict(conn.execute(select(t.active_years.c.year, t.active_years.c.dataset_id)).all())
                moved = sorted(y for y, v in expected.items() if now.get(y) != v)
                if moved:
                    raise StoreError(
                        "Dữ liệu năm " + ", ".join(map(str, moved)) + " vừa được người khác thay đổi: "
                        "hãy tải tệp lên lại để xem trước trên dữ liệu mới nhất"
                    )
            framework_id = self.framework_id_in(conn, framework, who)
            return {
                data.year: self._store_year(conn, data, framework_id, origin, who)
                for data in sorted(years, key=lambda d: d.year)
            }

    def store_year_in(self, conn: Connection, data: YearData, framework_id: int, origin: str, who: str) -> int:
        """Store a year as its new active version inside a write transaction the caller holds (a round's
        publication writes its own entries in the same one)."""
        return self._store_year(conn, data, framework_id, origin, who)

    def _store_year(self, conn: Connection, data: YearData, framework_id: int, origin: str, who: str) -> int:
        warnings = json.dumps([w.to_dict() for w in data.warnings], ensure_ascii=False)
        dataset_id = conn.execute(
            insert(t.datasets).values(
                year=data.year,
                framework_id=framework_id,
                imported_at=_now(),
                imported_by=who,
                unit_count=len(data.units),
                leader_count=len(data.leaders),
                framework_origin=origin,
                warnings=warnings,
            )
        ).inserted_primary_key[0]
        if data.sources:
            conn.execute(
                insert(t.dataset_files),
                [
                    {
                        "dataset_id": dataset_id,
                        "position": i,
                        "name": s.name,
                        "sha256": s.sha256,
                        "size": s.size,
                        "kind": s.kind,
                    }
                    for i, s in enumerate(data.sources)
                ],
            )
        conn.execute(insert(t.unit_rows), _rows(dataset_id, data.units, UNIT_COLUMNS, data.unit_self, data.unit_review))
        if len(data.leaders):
            conn.execute(
                insert(t.leader_rows),
                _rows(dataset_id, data.leaders, LEADER_COLUMNS, data.leader_self, data.leader_review),
            )
        self._activate(conn, data.year, dataset_id, who)
        files = ", ".join(s.name for s in data.sources)
        record(
            conn,
            who,
            "import",
            data.year,
            dataset_id,
            framework_id,
            f"Nhập năm {data.year}: {len(data.units)} đơn vị, {len(data.leaders)} người đứng đầu từ {files}",
        )
        return dataset_id

    # ------------------------------------------------------------ versions

    def activate(self, dataset_id: int, who: str | None = None) -> int:
        """Make a stored version the active one of its year; returns the year."""
        who = who or os_user()
        with self.writing() as conn:
            year = conn.execute(select(t.datasets.c.year).where(t.datasets.c.id == dataset_id)).scalar()
            if year is None:
                raise StoreError(f"Không có phiên bản dữ liệu số {dataset_id}")
            self._activate(conn, year, dataset_id, who)
            record(conn, who, "activate", year, dataset_id, detail=f"Dùng phiên bản {dataset_id} cho năm {year}")
            return year

    def _activate(self, conn: Connection, year: int, dataset_id: int, who: str) -> None:
        values = {"dataset_id": dataset_id, "activated_at": _now(), "activated_by": who}
        updated = conn.execute(t.active_years.update().where(t.active_years.c.year == year).values(**values))
        if updated.rowcount == 0:
            conn.execute(insert(t.active_years).values(year=year, **values))

    def years(self) -> pd.DataFrame:
        """Stored years with their active version."""
        versions = t.datasets.alias("versions")
        query = (
            select(
                t.active_years.c.year,
                t.active_years.c.dataset_id,
                t.datasets.c.imported_at,
                t.datasets.c.unit_count,
                t.datasets.c.leader_count,
                select(func.count())
                .select_from(versions)
                .where(versions.c.year == t.active_years.c.year)
                .correlate(t.active_years)
                .scalar_subquery()
                .label("versions"),
            )
            .join(t.datasets, t.datasets.c.id == t.active_years.c.dataset_id)
            .order_by(t.active_years.c.year)
        )
        with self.reading() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(
            rows, columns=["year", "dataset_id", "imported_at", "unit_count", "leader_count", "versions"]
        )

    def history(self, year: int) -> list[DatasetInfo]:
        with self.reading() as conn:
            return self._datasets(conn, t.datasets.c.year == year)

    def dataset(self, dataset_id: int) -> DatasetInfo | None:
        with self.reading() as conn:
            found = self._datasets(conn, t.datasets.c.id == dataset_id)
        return found[0] if found else None

    def _datasets(self, conn: Connection, where) -> list[DatasetInfo]:
        active = set(conn.execute(select(t.active_years.c.dataset_id)).scalars())
        rows = conn.execute(
            select(t.datasets, t.frameworks.c.name.label("framework_name"))
            .join(t.frameworks, t.frameworks.c.id == t.datasets.c.framework_id)
            .where(where)
            .order_by(t.datasets.c.id)
        ).all()
        files = {}
        for f in conn.execute(
            select(t.dataset_files)
            .where(t.dataset_files.c.dataset_id.in_([r.id for r in rows]))
            .order_by(t.dataset_files.c.position)
        ):
            files.setdefault(f.dataset_id, []).append(Source(f.name, f.sha256, f.size, f.kind))
        return [
            DatasetInfo(
                r.id,
                r.year,
                r.imported_at,
                r.imported_by,
                r.unit_count,
                r.leader_count,
                r.framework_id,
                r.framework_name,
                tuple(files.get(r.id, ())),
                r.id in active,
                r.framework_origin,
            )
            for r in rows
        ]

    def audit(
        self,
        limit: int = 200,
        who: str | None = None,
        actions: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pd.DataFrame:
        """The newest entries of the audit log first, optionally of one account, some actions, a time span."""
        log = t.audit_log
        query = select(log).order_by(log.c.at.desc(), log.c.id.desc()).limit(limit)
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

    # ------------------------------------------------------------ the committee's settings

    def setting(self, name: str, default=None):
        with self.reading() as conn:
            value = conn.execute(select(t.settings.c.value).where(t.settings.c.name == name)).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, name: str, value, who: str, detail: str) -> None:
        """A setting changed, in the audit log with `detail` (callers check the right first)."""
        with self.writing() as conn:
            conn.execute(t.settings.delete().where(t.settings.c.name == name))
            conn.execute(
                insert(t.settings).values(
                    name=name, value=json.dumps(value, ensure_ascii=False), changed_at=_now(), changed_by=who
                )
            )
            record(conn, who, "setting", detail=detail)

    # ------------------------------------------------------------ reading back and rating

    def active_versions(self) -> dict[int, int]:
        """Stored year → its active dataset id."""
        with self.reading() as conn:
            return {int(y): int(d) for y, d in conn.execute(select(t.active_years.c.year, t.active_years.c.dataset_id))}

    def load(self, year: int, dataset_id: int | None = None) -> tuple[YearData, Framework, int]:
        """The raw tables of a year's active version (or of a given version), with its framework."""
        with self.reading() as conn:
            if dataset_id is None:
                dataset_id = conn.execute(
                    select(t.active_years.c.dataset_id).where(t.active_years.c.year == year)
                ).scalar()
                if dataset_id is None:
                    raise StoreError(f"Chưa có dữ liệu năm {year}")
            return self._load(conn, dataset_id)

    def unit_codes(self, dataset_id: int) -> list[str]:
        """The unit codes of a stored version (in their normal form), without loading its rows."""
        with self.reading() as conn:
            return [
                unit_code(c)
                for c in conn.execute(
                    select(t.unit_rows.c.code).where(t.unit_rows.c.dataset_id == dataset_id)
                ).scalars()
            ]

    def unit_name(self, code: str) -> str | None:
        """The name of a unit code (normal form) in the newest round or active year that has it; None if none does.
        Accounts of units are checked against it, so that a typo does not make an account for no unit."""
        in_round = (
            select(t.round_units.c.name)
            .join(t.rounds, t.rounds.c.id == t.round_units.c.round_id)
            .where(t.round_units.c.code == code)
            .order_by(t.rounds.c.year.desc())
            .limit(1)
        )
        in_year = (
            select(t.unit_rows.c.name)
            .join(t.active_years, t.active_years.c.dataset_id == t.unit_rows.c.dataset_id)
            .where(t.unit_rows.c.code == code)
            .order_by(t.active_years.c.year.desc())
            .limit(1)
        )
        with self.reading() as conn:
            return conn.execute(in_round).scalar() or conn.execute(in_year).scalar()

    def load_many(self, dataset_ids: list[int]) -> dict[int, tuple[YearData, Framework]]:
        """Several versions read in one snapshot, so that no import can come between them; id → (data, framework)."""
        with self.reading() as conn:
            return {i: self._load(conn, i)[:2] for i in dataset_ids}

    def _load(self, conn: Connection, dataset_id: int) -> tuple[YearData, Framework, int]:
        ds = conn.execute(select(t.datasets).where(t.datasets.c.id == dataset_id)).first()
        if ds is None:
            raise StoreError(f"Không có phiên bản dữ liệu số {dataset_id}")
        fw_row = conn.execute(select(t.frameworks).where(t.frameworks.c.id == ds.framework_id)).first()
        fw = from_toml(fw_row.definition, source=f"store:{fw_row.id}")
        units, leaders = (
            _frame(conn, select(table).where(table.c.dataset_id == dataset_id).order_by(table.c.position))
            for table in (t.unit_rows, t.leader_rows)
        )
        sources = [
            Source(f.name, f.sha256, f.size, f.kind)
            for f in conn.execute(
                select(t.dataset_files)
                .where(t.dataset_files.c.dataset_id == dataset_id)
                .order_by(t.dataset_files.c.position)
            )
        ]
        for frame, column in ((units, "code"), (leaders, "unit_code")):
            if len(frame):  # versions stored before codes had one normal form ("001" and 1 are one unit)
                frame[column] = unit_codes(frame[column].tolist())
        unit_self, unit_review = _scores(units, fw.codes(UNIT))
        leader_self, leader_review = _scores(leaders, fw.codes(LEADER))
        warnings = [Issue(**w) for w in json.loads(ds.warnings or "[]")]
        data = YearData(
            ds.year,
            units.reindex(columns=UNIT_COLUMNS),
            unit_self,
            unit_review,
            leaders.reindex(columns=LEADER_COLUMNS),
            leader_self,
            leader_review,
            sources,
            warnings,
        )
        return data, fw, dataset_id

    # ------------------------------------------------------------ backup and restore

    def backup(self, path: Path, key: bytes) -> dict[str, int]:
        """Everything, as one portable JSON file signed with `key` (scoring.signing); returns the row count per
        table."""
        counts, out = {}, {"format": BACKUP_FORMAT, "version": 2, "created_at": _now().isoformat(), "tables": {}}
        with self.reading() as conn:
            for table in t.TABLES:
                rows = [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()]
                out["tables"][table.name] = rows
                counts[table.name] = len(rows)
        content = json.loads(json.dumps(out, default=_json_default))  # signed as it will be read back
        content["signature"] = sign(content, key)
        tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
        tmp.write_text(json.dumps(content, ensure_ascii=False), "utf-8")
        tmp.replace(path)
        return counts

    @staticmethod
    def read_backup(path: Path, key: bytes) -> dict:
        """A backup's content, once its format and signature are right."""
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise StoreError(f"Không đọc được tệp sao lưu: {e}") from None
        if not isinstance(data, dict) or data.get("format") != BACKUP_FORMAT:
            raise StoreError("Tệp không phải bản sao lưu của công cụ đánh giá dân vận")
        if data.get("version") == 1:
            raise StoreError("Bản sao lưu không có chữ ký (tạo trước khi có khoá sao lưu): không phục hồi")
        if data.get("version") != 2:
            raise StoreError(f"Bản sao lưu phiên bản “{data.get('version')}” không được hỗ trợ (cần phiên bản 2)")
        if not signed_by(data, key):
            raise StoreError(
                "Chữ ký của bản sao lưu không đúng: tệp đã bị sửa sau khi sao lưu, hoặc được ký bằng "
                "khoá sao lưu của máy chủ khác (chép tệp backup.key của máy chủ đó sang). Không phục hồi."
            )
        tables = data.get("tables")
        if not isinstance(tables, dict) or not all(isinstance(tables.get(x.name, []), list) for x in t.TABLES):
            raise StoreError("Tệp sao lưu bị hỏng: không có danh sách các bảng")
        return data

    def backup_accounts(self, path: Path, key: bytes) -> list[dict]:
        """The accounts a backup holds that this store does not have (by login and e-mail): what `restore` with
        accounts would add."""
        rows = [_from_json(t.accounts, r) for r in self.read_backup(path, key)["tables"].get(t.accounts.name, [])]
        with self.reading() as conn:
            return _new_accounts(conn, rows)

    def restore(self, path: Path, key: bytes, who: str | None = None, accounts: bool = False) -> dict[str, int]:
        """Load a signed backup into an empty database (of either kind), keeping every id; its accounts only when
        asked (`accounts`), and then only those the store does not have."""
        data = self.read_backup(path, key)
        tables = data["tables"]
        if not accounts:
            tables = tables | {t.accounts.name: []}
        problems = backup_problems(tables)
        if problems:  # checked as strictly as an upload, before anything is written
            raise StoreError("Tệp sao lưu bị hỏng, không phục hồi gì:\n" + "\n".join(problems))
        with self.writing() as conn:
            if (
                conn.execute(select(func.count()).select_from(t.datasets)).scalar()
                or conn.execute(select(func.count()).select_from(t.frameworks)).scalar()
            ):
                raise StoreError("Chỉ phục hồi vào cơ sở dữ liệu trống")
            counts, rows_of = {}, {}
            for table in t.TABLES:
                # A damaged file (rows missing a column, pointing to nothing, twice the same key, a bad date)
                # is refused with a message; the transaction rolls back, nothing is restored.
                try:
                    rows = [_from_json(table, r) for r in tables.get(table.name, [])]
                    if table is t.accounts:
                        rows = _new_accounts(conn, rows)
                    elif table is t.audit_log:  # after what the store logged already (its first admin, say)
                        rows = [{k: v for k, v in r.items() if k != "id"} for r in rows]
                    if rows:
                        conn.execute(insert(table), rows)
                    rows_of[table.name] = rows
                except (IntegrityError, DataError, AttributeError, TypeError, ValueError) as e:
                    detail = str(getattr(e, "orig", None) or e).splitlines()[0][:200]
                    raise StoreError(f"Tệp sao lưu bị hỏng (bảng {table.name}): {detail}") from None
                counts[table.name] = len(rows)
            if not counts.get(t.active_framework.name) and counts.get(t.frameworks.name):
                # A backup from before the explicit pointer: the newest framework was the active one then.
                newest = conn.execute(select(func.max(t.frameworks.c.id))).scalar()
                conn.execute(
                    insert(t.active_framework).values(
                        id=1, framework_id=newest, activated_at=_now(), activated_by=who or os_user()
                    )
                )
            if not self.sqlite:
                for table in (t.frameworks, t.datasets, t.audit_log, t.rounds, t.round_entries):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 1))"
                        )
                    )
            added = [r["login"] for r in rows_of.get(t.accounts.name, [])]
            record(
                conn,
                who or os_user(),
                "restore",
                detail=f"Phục hồi từ {Path(path).name}"
                + (f"; thêm {len(added)} tài khoản: {', '.join(added)}" if added else "; không phục hồi tài khoản"),
            )
        return counts

    def is_empty(self) -> bool:
        with self.reading() as conn:
            return not conn.execute(select(func.count()).select_from(t.datasets)).scalar()


def _new_accounts(conn: Connection, rows: list[dict]) -> list[dict]:
    """Accounts of a backup that the store does not have yet (by login and e-mail), under new ids: the person
    restoring keeps the account they are signed in with."""
    a = t.accounts
    logins = set(conn.execute(select(a.c.login)).scalars())
    emails = set(conn.execute(select(a.c.email).where(a.c.email.is_not(None))).scalars())
    return [
        {k: v for k, v in r.items() if k != "id"}
        for r in rows
        if r["login"] not in logins and (r.get("email") is None or r["email"] not in emails)
    ]


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
            at=_now(),
            who=who,
            action=action,
            year=year,
            dataset_id=dataset_id,
            framework_id=framework_id,
            detail=detail,
        )
    )


_FLOAT, _INT, _BOOL = (
    {"bonus", "penalty"},
    {"collective_discipline", "head_discipline", "discipline", "row"},
    {"disunity", "corruption", "has_self_columns", "low_confidence"},
)


def _rows(
    dataset_id: int, rows: pd.DataFrame, columns: list[str], self_scores: pd.DataFrame, review: pd.DataFrame
) -> list[dict]:
    """The insert parameters of a year's rows, built column by column (per-row conversions cost seconds at
    60,000 units): plain Python floats, ints and bools, None for blanks, the scores as JSON."""
    table = rows.reindex(columns=columns)
    values = {}
    for column in columns:
        series = table[column]
        if column in _FLOAT:
            values[column] = series.astype(float).tolist()
        elif column in _INT:
            values[column] = series.astype("int64").tolist()
        elif column in _BOOL:
            values[column] = series.astype(bool).tolist()
        else:
            values[column] = series.astype(object).where(series.notna(), None).tolist()
    n = len(table)
    values |= {
        "dataset_id": [dataset_id] * n,
        "position": list(range(n)),
        "self_scores": _json_scores(self_scores),
        "review_scores": _json_scores(review),
    }
    keys = list(values)
    return [dict(zip(keys, row)) for row in zip(*values.values())]


def _json_scores(scores: pd.DataFrame) -> list[str]:
    """Per row, the non-blank scores as JSON, exactly as json.dumps writes them (floats in their shortest repr,
    so 8.5 stays 8.5), built column by column: one json.dumps per row costs seconds at 60,000 units."""
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    text = np.full(len(values), "", dtype=object)
    separator = np.full(len(values), "", dtype=object)
    for j, code in enumerate(scores.columns):
        column = values[:, j]
        present = ~np.isnan(column)
        key = json.dumps(str(code), ensure_ascii=False) + ": "
        text[present] += separator[present] + [
            key + json.dumps(v) if math.isinf(v) else key + repr(v) for v in column[present].tolist()
        ]
        separator[present] = ", "
    return ("{" + text + "}").tolist()


def _frame(conn: Connection, query) -> pd.DataFrame:
    """A query's rows as a frame, built from tuples: from 60,000 row mappings pandas takes twice as long."""
    result = conn.execute(query)
    columns = list(result.keys())
    return pd.DataFrame.from_records([tuple(r) for r in result], columns=columns) if columns else pd.DataFrame()


def _scores(rows: pd.DataFrame, codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    def frame(column: str) -> pd.DataFrame:
        if not len(rows):
            return pd.DataFrame(columns=codes, dtype=float)
        # one parse of all rows: 60,000 json.loads calls cost seconds when a large year is loaded
        return pd.DataFrame(json.loads("[" + ",".join(rows[column].tolist()) + "]"), columns=codes, dtype=float)

    return frame("self_scores"), frame("review_scores")


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):  # evidence files
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(type(value))


def _from_json(table, row: dict) -> dict:
    out = {}
    for column in table.columns:
        if column.name not in row and column.server_default is not None:
            continue  # a backup older than the column: the column's default applies
        value = row.get(column.name)
        if value is not None and column.type.python_type is datetime:
            # Times are UTC. SQLite keeps no zone (a naive time in a backup is UTC) and would drop one given to
            # it (an aware time from PostgreSQL, in the server's zone, must become UTC first).
            value = datetime.fromisoformat(value)
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        elif value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64decode(value, validate=True)
        out[column.name] = value
    return out
