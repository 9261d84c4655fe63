"""The store's years: each import a new version of its years, one version active per year, and their tables read
back exactly as they were stored."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import LargeBinary, func, insert, select
from sqlalchemy.engine import Connection

from . import schema as t
from .conditions import NO_VALUES
from .dataset import LEADER_COLUMNS, UNIT_COLUMNS, Source, YearData
from .flags import RULE_FLAGS
from .framework import LEADER, UNIT, Framework, from_toml
from .storage import DatasetInfo, StoreCore, StoreError, _now, os_user, record
from .text import unit_code, unit_codes
from .validation import Issue

_FLOAT, _INT, _BOOL = (
    {"bonus", "penalty"},
    {"discipline", "row", *(f.code for f in RULE_FLAGS if f.levels)},
    {"has_self_columns", *(f.code for f in RULE_FLAGS if not f.levels)},
)

# Columns a table made before they existed may lack (a test's or an older reader's): stored as "nothing said".
_TEXT_DEFAULTS = {"not_rated": "", "conditions": NO_VALUES}


class YearVersions(StoreCore):
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
                now = dict(conn.execute(self._active(t.active_years.c.year, t.active_years.c.dataset_id)).all())
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
                committee_id=self.committee_id,
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

    def activate(self, dataset_id: int, who: str | None = None) -> int:
        """Make a stored version the active one of its year; returns the year."""
        who = who or os_user()
        with self.writing() as conn:
            year = conn.execute(select(t.datasets.c.year).where(self._own(dataset_id))).scalar()
            if year is None:
                raise StoreError(f"Không có phiên bản dữ liệu số {dataset_id}")
            self._activate(conn, year, dataset_id, who)
            record(conn, who, "activate", year, dataset_id, detail=f"Dùng phiên bản {dataset_id} cho năm {year}")
            return year

    def _activate(self, conn: Connection, year: int, dataset_id: int, who: str) -> None:
        values = {"dataset_id": dataset_id, "activated_at": _now(), "activated_by": who}
        a = t.active_years.c
        updated = conn.execute(
            t.active_years.update().where(a.committee_id == self.committee_id, a.year == year).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(insert(t.active_years).values(committee_id=self.committee_id, year=year, **values))

    def _active(self, *columns):
        """A query of this committee's active years."""
        return select(*columns).where(t.active_years.c.committee_id == self.committee_id)

    def _own(self, dataset_id: int):
        """The condition that finds a version of this committee by its id (another committee's is not found)."""
        return (t.datasets.c.id == dataset_id) & (t.datasets.c.committee_id == self.committee_id)


class YearTables(StoreCore):
    def years(self) -> pd.DataFrame:
        """Stored years with their active version."""
        versions = t.datasets.alias("versions")
        query = (
            self._active(
                t.active_years.c.year,
                t.active_years.c.dataset_id,
                t.datasets.c.imported_at,
                t.datasets.c.unit_count,
                t.datasets.c.leader_count,
                select(func.count())
                .select_from(versions)
                .where(versions.c.year == t.active_years.c.year, versions.c.committee_id == self.committee_id)
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
            return self._datasets(conn, (t.datasets.c.year == year) & (t.datasets.c.committee_id == self.committee_id))

    def dataset(self, dataset_id: int) -> DatasetInfo | None:
        with self.reading() as conn:
            found = self._datasets(conn, self._own(dataset_id))
        return found[0] if found else None

    def _datasets(self, conn: Connection, where) -> list[DatasetInfo]:
        active = set(conn.execute(self._active(t.active_years.c.dataset_id)).scalars())
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

    def active_versions(self) -> dict[int, int]:
        """Stored year → its active dataset id."""
        with self.reading() as conn:
            return {
                int(y): int(d)
                for y, d in conn.execute(self._active(t.active_years.c.year, t.active_years.c.dataset_id))
            }

    def active_versions_of(self, committees: list[int]) -> dict[int, dict[int, int]]:
        """Committee id → its stored years → their active dataset id, for the given committees, in one query
        (callers check that the account may see them: `province.committee_years`)."""
        a = t.active_years.c
        found: dict[int, dict[int, int]] = {c: {} for c in committees}
        with self.reading() as conn:
            for committee, year, dataset in conn.execute(
                select(a.committee_id, a.year, a.dataset_id).where(a.committee_id.in_(committees))
            ):
                found[committee][int(year)] = int(dataset)
        return found

    def load(self, year: int, dataset_id: int | None = None) -> tuple[YearData, Framework, int]:
        """The raw tables of a year's active version (or of a given version), with its framework."""
        with self.reading() as conn:
            if dataset_id is None:
                dataset_id = conn.execute(
                    self._active(t.active_years.c.dataset_id).where(t.active_years.c.year == year)
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
                    select(t.unit_rows.c.code)
                    .join(t.datasets, t.datasets.c.id == t.unit_rows.c.dataset_id)
                    .where(self._own(dataset_id))
                ).scalars()
            ]

    def unit_name(self, code: str) -> str | None:
        """The name of a unit code (normal form) in the newest round or active year that has it; None if none does.
        Accounts of units are checked against it, so that a typo does not make an account for no unit."""
        units, rows = t.round_units.c, t.unit_rows.c
        in_round = self._newest(units.name, units.code == code, t.rounds, t.rounds.c.id == units.round_id)
        in_year = self._newest(
            rows.name, rows.code == code, t.active_years, t.active_years.c.dataset_id == rows.dataset_id
        )
        with self.reading() as conn:
            return conn.execute(in_round).scalar() or conn.execute(in_year).scalar()

    def _newest(self, name, where, joined, on):
        """The name that `where` finds, of this committee's newest year in `joined` (rounds or active years)."""
        return (
            select(name)
            .join(joined, on)
            .where(where, joined.c.committee_id == self.committee_id)
            .order_by(joined.c.year.desc())
            .limit(1)
        )

    def load_many(self, dataset_ids: list[int]) -> dict[int, tuple[YearData, Framework]]:
        """Several versions read in one snapshot, so that no import can come between them; id → (data, framework)."""
        with self.reading() as conn:
            return {i: self._load(conn, i)[:2] for i in dataset_ids}

    def _load(self, conn: Connection, dataset_id: int) -> tuple[YearData, Framework, int]:
        ds = conn.execute(select(t.datasets).where(self._own(dataset_id))).first()
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
            values[column] = series.astype(object).where(series.notna(), _TEXT_DEFAULTS.get(column)).tolist()
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
