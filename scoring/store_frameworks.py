"""The store's frameworks: every version saved, one active."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
from sqlalchemy import insert, select, union
from sqlalchemy.engine import Connection

from . import schema as t
from .framework import Framework, from_toml, to_toml
from .storage import StoreCore, StoreError, _now, os_user, record

# A committee's setting: the committees under it use its active framework (the default), or may choose their own.
FRAMEWORK_ENFORCED = "framework_enforced"


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

    def framework_locked(self, conn: Connection | None = None) -> bool:
        """Whether this committee's parent requires its committees to use its framework."""
        if conn is None:
            with self.reading() as conn:
                return self.framework_locked(conn)
        parents = self.ancestors(conn)
        return bool(parents) and _enforced(conn, parents[0])

    def _activate_framework(self, conn: Connection, framework_id: int, who: str) -> None:
        if self.framework_locked(conn):
            raise StoreError(
                "Cấp ủy cấp trên yêu cầu dùng bộ tiêu chí của cấp trên: không chọn được bộ tiêu chí riêng."
            )
        af = t.active_framework
        mine = af.c.committee_id == self.committee_id
        current = conn.execute(select(af.c.framework_id).where(mine)).scalar()
        if current == framework_id:
            return
        values = {"framework_id": framework_id, "activated_at": _now(), "activated_by": who}
        if current is None:
            conn.execute(insert(af).values(committee_id=self.committee_id, **values))
        else:
            conn.execute(af.update().where(mine).values(**values))
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
                framework_id = self.active_framework_id(conn)
                if framework_id is None:
                    return None
            row = conn.execute(
                select(t.frameworks.c.id, t.frameworks.c.definition).where(t.frameworks.c.id == framework_id)
            ).first()
        return None if row is None else from_toml(row.definition, source=f"store:{row.id}")

    def active_framework_id(self, conn: Connection) -> int | None:
        """The framework this committee uses: its own active one where its parent lets it choose (the root always
        does), else its parent's, and so on up."""
        chain = [*reversed(self.ancestors(conn)), self.committee_id]  # the root first
        af = t.active_framework.c
        own = dict(conn.execute(select(af.committee_id, af.framework_id).where(af.committee_id.in_(chain))).all())
        found = None
        for parent, committee in zip([None, *chain], chain):
            if committee in own and (parent is None or not _enforced(conn, parent)):
                found = own[committee]
        return found

    def framework_enforced(self) -> bool:
        """Whether this committee's committees must use its framework."""
        with self.reading() as conn:
            return _enforced(conn, self.committee_id)

    def framework_versions(self) -> pd.DataFrame:
        """The versions this committee and those above it used or chose (another committee's own are not listed);
        the root also sees the versions nobody uses yet."""
        f = t.frameworks.c
        with self.reading() as conn:
            chain = [self.committee_id, *self.ancestors(conn)]
            used = select(f.id).where(f.id.in_(_used_by(chain)))
            if len(chain) == 1:
                used = union(used, select(f.id).where(f.id.not_in(_used_by(None))))
            rows = conn.execute(
                select(f.id, f.name, f.created_at, f.created_by)
                .where(f.id.in_(select(used.subquery().c.id)))
                .order_by(f.id)
            ).all()
        return pd.DataFrame(rows, columns=["id", "name", "created_at", "created_by"])


def _enforced(conn: Connection, committee_id: int) -> bool:
    s = t.settings.c
    value = conn.execute(select(s.value).where(s.committee_id == committee_id, s.name == FRAMEWORK_ENFORCED)).scalar()
    return value is None or json.loads(value) is not False


def _used_by(committees: list[int] | None):
    """The framework ids that datasets, rounds and active choices of these committees (None: of any) point to."""
    return union(
        *(
            select(table.c.framework_id).where(True if committees is None else table.c.committee_id.in_(committees))
            for table in (t.datasets, t.rounds, t.active_framework)
        )
    )
