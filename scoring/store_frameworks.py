"""The store's frameworks: every version saved, one active."""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from . import schema as t
from .framework import Framework, from_toml, to_toml
from .storage import StoreCore, StoreError, _now, os_user, record


class Frameworks(StoreCore):
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
