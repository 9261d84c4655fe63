"""A province's party committees as a tree (docs/access.md): the root and the committees under it, at any depth.
Every dataset, round and account belongs to one committee; an account acts in its committee's subtree only. A
store made before committees is one root committee holding everything."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select

from . import schema as t
from .access import Actor, Right
from .store import ROOT_ID, Store, StoreError, record

_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,29}")


@dataclass(frozen=True)
class Committee:
    id: int
    code: str
    name: str
    parent_id: int | None

    def to_dict(self, codes: dict[int, str]) -> dict:
        return {"code": self.code, "name": self.name, "parent": codes.get(self.parent_id)}


class Committees:
    def __init__(self, store: Store):
        self.store = store

    def all(self, under: int | None = None) -> list[Committee]:
        """Every committee (with `under`: that committee and those below it, read alone, so that a commune's pages
        read nothing of the others), each after its parent, siblings by code."""
        c = t.committees.c
        columns = (c.id, c.code, c.name, c.parent_id)
        query = select(*columns)
        if under is not None:
            tree = select(*columns).where(c.id == under).cte("tree", recursive=True)
            tree = tree.union_all(select(*columns).join(tree, c.parent_id == tree.c.id))
            query = select(tree)
        with self.store.reading() as conn:
            rows = [Committee(*row) for row in conn.execute(query).all()]
        children: dict[int | None, list[Committee]] = {}
        for row in sorted(rows, key=lambda r: r.code):
            children.setdefault(row.parent_id, []).append(row)
        ordered: list[Committee] = [r for r in rows if r.id == under]

        def walk(parent: int | None) -> None:
            for child in children.get(parent, []):
                ordered.append(child)
                walk(child.id)

        walk(under)
        return ordered

    def by_code(self, code: str) -> Committee:
        return _find(self.all(), code)

    def subtree(self, committee_id: int) -> set[int]:
        """The committee and every committee under it."""
        return {c.id for c in self.all(under=committee_id)}

    def view(self, actor: Actor, committee_id: int) -> Store:
        """The store working inside a committee of the actor's subtree (a unit's account: its own committee only)."""
        view = self.store.within(committee_id)
        view.require(actor)
        return view

    def visible(self, actor: Actor) -> list[Committee]:
        """The committees an account works in: its own and those under it (a unit's account: its own), each after
        its parent."""
        every = self.all(under=actor.committee_id)
        return every[:1] if actor.unit_code is not None else every

    def add(self, actor: Actor, code: str, name: str, parent: str | None = None) -> Committee:
        """A committee under `parent` (by code; the root when None), within the actor's subtree."""
        actor.require(Right.ACCOUNTS)
        code, name = normal_code(code), unicodedata.normalize("NFC", " ".join(name.split()))
        if not _CODE.fullmatch(code):
            raise StoreError(
                f"Mã cấp ủy “{code}” không hợp lệ: 1–30 chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang."
            )
        if not name:
            raise StoreError("Cần tên cấp ủy.")
        every = self.all()
        parent_id = _find(every, parent).id if parent else ROOT_ID
        self.store.within(parent_id).require(actor)
        with self.store.writing() as conn:
            if conn.execute(select(t.committees.c.id).where(t.committees.c.code == code)).first():
                raise StoreError(f"Đã có cấp ủy mã “{code}”.")
            new = conn.execute(
                insert(t.committees).values(
                    code=code, name=name, parent_id=parent_id, created_at=datetime.now(UTC), created_by=actor.login
                )
            ).inserted_primary_key[0]
            record(conn, actor.login, "committee_add", detail=f"Thêm cấp ủy {code} – {name}")
        return Committee(new, code, name, parent_id)

    def move(self, actor: Actor, code: str, parent: str) -> None:
        """Put a committee, with everything under it, under another parent; never under itself."""
        actor.require(Right.ACCOUNTS)
        every = self.all()
        moved, target = _find(every, code), _find(every, parent)
        if moved.id == ROOT_ID:
            raise StoreError("Không chuyển được cấp ủy gốc.")
        if target.id in self.subtree(moved.id):
            raise StoreError(f"Không chuyển được {moved.code} vào chính nó hoặc cấp ủy cấp dưới của nó.")
        for committee in (moved, target):
            self.store.within(committee.id).require(actor)
        with self.store.writing() as conn:
            conn.execute(t.committees.update().where(t.committees.c.id == moved.id).values(parent_id=target.id))
            record(conn, actor.login, "committee_move", detail=f"Chuyển cấp ủy {moved.code} về {target.code}")


def _find(every: list[Committee], code: str) -> Committee:
    wanted = normal_code(code)
    found = next((c for c in every if c.code == wanted), None)
    if found is None:
        raise StoreError(f"Không có cấp ủy mã “{code}”.")
    return found


def normal_code(code: str) -> str:
    return unicodedata.normalize("NFC", code.strip()).upper()
