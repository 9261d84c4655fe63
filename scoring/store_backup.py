"""Backups of the whole store, signed, and their restore (accounts only when asked)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError

from . import schema as t
from .backup import backup_problems
from .signing import sign, signed_by
from .storage import BACKUP_FORMAT, ROOT_ID, StoreCore, StoreError, _json_default, _now, os_user, record
from .store_years import _from_json


class Backups(StoreCore):
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
                    elif table is t.committees:  # the root a new store starts with takes the backup's name
                        rows = _new_committees(conn, rows)
                    elif table is t.audit_log:  # after what the store logged already (its first admin, say)
                        rows = [{k: v for k, v in r.items() if k != "id"} for r in rows]
                    if rows:
                        conn.execute(insert(table), rows)
                    rows_of[table.name] = rows
                except (IntegrityError, DataError, AttributeError, TypeError, ValueError) as e:
                    detail = str(getattr(e, "orig", None) or e).splitlines()[0][:200]
                    raise StoreError(f"Tệp sao lưu bị hỏng (bảng {table.name}): {detail}") from None
                counts[table.name] = len(tables.get(table.name, [])) if table is t.committees else len(rows)
            if not counts.get(t.active_framework.name) and counts.get(t.frameworks.name):
                # A backup from before the explicit pointer: the newest framework was the active one then.
                newest = conn.execute(select(func.max(t.frameworks.c.id))).scalar()
                conn.execute(
                    insert(t.active_framework).values(
                        committee_id=ROOT_ID, framework_id=newest, activated_at=_now(), activated_by=who or os_user()
                    )
                )
            if not self.sqlite:
                for table in (t.committees, t.frameworks, t.datasets, t.audit_log, t.rounds, t.round_entries):
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


def _new_committees(conn: Connection, rows: list[dict]) -> list[dict]:
    """The backup's committees the store does not have (by id); those it has take the backup's code and name."""
    c = t.committees
    have = set(conn.execute(select(c.c.id)).scalars())
    for row in rows:
        if row["id"] in have:
            conn.execute(c.update().where(c.c.id == row["id"]).values({k: v for k, v in row.items() if k != "id"}))
    return [r for r in rows if r["id"] not in have]


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
