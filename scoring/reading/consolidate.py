"""Rows read from every sheet and form → one validated table per year; duplicate codes and leaders whose unit is
missing are errors."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..dataset import LEADER_COLUMNS, UNIT_COLUMNS, Source, YearData
from ..framework import LEADER, UNIT, Framework
from ..text import cluster_key
from ..validation import Issues
from ..vocabulary import SHEET_UNITS


@dataclass
class Part:
    """Rows read from one sheet or form, before years are consolidated. A form gives plain records (a list of row
    dicts, and score lists in criterion order): framing thousands of one-row tables costs more than reading them."""

    kind: str  # "units" or "leaders"
    rows: pd.DataFrame | list[dict]  # meta columns + year
    self_scores: pd.DataFrame | list[list[float]]
    review_scores: pd.DataFrame | list[list[float]]
    source: Source


def _framed(parts: list[Part], codes: list[str]) -> list[Part]:
    """Record parts gathered into one framed part per kind; framed parts as they are."""
    out = [p for p in parts if isinstance(p.rows, pd.DataFrame)]
    records = [p for p in parts if not isinstance(p.rows, pd.DataFrame)]
    if records:
        sources = [p.source for p in records for _ in p.rows]
        rows = pd.DataFrame([r for p in records for r in p.rows])
        rows["_source"] = range(len(rows))
        frame = Part(
            records[0].kind,
            rows,
            pd.DataFrame([x for p in records for x in p.self_scores], columns=codes, dtype=float),
            pd.DataFrame([x for p in records for x in p.review_scores], columns=codes, dtype=float),
            _Sources(sources),
        )
        out.append(frame)
    return out


class _Sources(list):
    """The sources of a gathered part, one per row."""


def consolidate(parts: list[Part], fw: Framework, issues: Issues) -> dict[int, YearData]:
    """Parts of all files → one YearData per year; duplicates and orphan leaders are errors."""
    years: dict[int, YearData] = {}
    unit_parts = _framed([p for p in parts if p.kind == "units"], fw.codes(UNIT))
    leader_parts = _framed([p for p in parts if p.kind == "leaders"], fw.codes(LEADER))
    all_years = sorted({int(y) for p in unit_parts + leader_parts for y in p.rows["year"].dropna()})
    for year in all_years:
        units, unit_self, unit_review, sources = _stack(unit_parts, year, fw.codes(UNIT))
        _one_spelling_per_cluster(units, issues)
        leaders, leader_self, leader_review, leader_sources = _stack(leader_parts, year, fw.codes(LEADER))
        _duplicates(units, "code", "Mã đơn vị", issues, "Mã đơn vị “{}” bị trùng trong năm {} (đã có ở {})", year)
        _duplicates(
            leaders,
            "unit_code",
            "Mã đơn vị",
            issues,
            "Đơn vị “{}” có hơn một người đứng đầu trong năm {} (đã có ở {})",
            year,
        )
        blank = units["code"] == ""
        for _, row in units[blank].iterrows():
            issues.at(file=row["file"], sheet=row["sheet"]).error(
                "Dòng có điểm nhưng thiếu mã đơn vị", row=int(row["row"]), column="Mã đơn vị"
            )
        if len(leaders):
            orphan = ~leaders["unit_code"].isin(set(units["code"]))
            for _, row in leaders[orphan].iterrows():
                issues.at(file=row["file"], sheet=row["sheet"]).error(
                    f"Mã đơn vị “{row['unit_code']}” không có trong danh sách tổ chức năm {year}",
                    row=int(row["row"]),
                    column="Mã đơn vị",
                    value=row["unit_code"],
                )
        if not len(units):
            if len(leaders):
                issues.error(f"Năm {year} có người đứng đầu nhưng không có trang “{SHEET_UNITS}”")
            continue
        all_sources = list({s.name: s for s in sources + leader_sources}.values())
        years[year] = YearData(
            year=year,
            units=units[UNIT_COLUMNS].reset_index(drop=True),
            unit_self=unit_self.reset_index(drop=True),
            unit_review=unit_review.reset_index(drop=True),
            leaders=leaders.reindex(columns=LEADER_COLUMNS).reset_index(drop=True),
            leader_self=leader_self.reset_index(drop=True),
            leader_review=leader_review.reset_index(drop=True),
            sources=all_sources,
        )
    return years


def _stack(parts: list[Part], year: int, codes: list[str]):
    chosen = [(p, p.rows["year"] == year) for p in parts]
    chosen = [(p, m) for p, m in chosen if m.any()]
    if not chosen:
        empty = pd.DataFrame(columns=UNIT_COLUMNS + ["unit_code", "title", "discipline", "low_confidence", "year"])
        scores = pd.DataFrame(columns=codes, dtype=float)
        return empty, scores, scores.copy(), []
    rows = pd.concat([p.rows[m] for p, m in chosen], ignore_index=True)
    self_scores = pd.concat([p.self_scores[m] for p, m in chosen], ignore_index=True)
    review = pd.concat([p.review_scores[m] for p, m in chosen], ignore_index=True)
    sources = []
    for p, m in chosen:
        if isinstance(p.source, _Sources):
            sources.extend(p.source[i] for i in p.rows.loc[m, "_source"])
        else:
            sources.append(p.source)
    return rows.drop(columns="_source", errors="ignore"), self_scores, review, sources


def _duplicates(rows: pd.DataFrame, key: str, column: str, issues: Issues, message: str, year: int) -> None:
    if not len(rows):
        return
    present = rows[rows[key] != ""]
    dup = present[present.duplicated(key, keep=False)]
    for code, group in dup.groupby(key, sort=False):
        first = group.iloc[0]
        for _, row in group.iloc[1:].iterrows():
            where = f"{first['file']}, dòng {first['row']}" if first["file"] != row["file"] else f"dòng {first['row']}"
            issues.at(file=row["file"], sheet=row["sheet"]).error(
                message.format(code, year, where), row=int(row["row"]), column=column, value=code
            )


def _one_spelling_per_cluster(units: pd.DataFrame, issues: Issues) -> None:
    """Clusters written with other case or spacing are one cluster (the 20% quota is per cluster), shown with the
    first spelling met; a warning names the spellings merged."""
    if not len(units):
        return
    spellings = units["cluster"].unique()
    keys = units["cluster"].map(dict(zip(spellings, map(cluster_key, spellings))))  # each spelling folded once
    first = units.groupby(keys, sort=False)["cluster"].first()
    for _key, spellings in units.groupby(keys, sort=False)["cluster"].unique().items():
        if len(spellings) > 1:
            others = ", ".join(f"“{x}”" for x in spellings[1:])
            issues.warning(f"Khối “{spellings[0]}” còn được viết là {others}: coi là cùng một khối")
    units["cluster"] = keys.map(first).to_numpy()
