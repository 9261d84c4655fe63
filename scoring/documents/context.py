"""What each document says, from a rated year: plain values (text and numbers already written the Vietnamese way)
that the templates place. Nothing here knows the layout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pandas as pd

from ..comparability import caveat
from ..engine import YearResult
from ..formats import format_vn
from ..framework import LEADER, UNIT
from ..presentation import Scale, scale, vn
from ..report import tier_counts
from .details import CommitteeDetails

GAPS_SHOWN = 5  # the largest self-vs-appraised gaps the report names


def common(result: YearResult, details: CommitteeDetails, now: datetime) -> dict:
    """What every document prints: the committee, the date line, the year."""
    committee = details.to_dict()
    committee["recipients"] = list(details.recipients)
    return {
        "committee": committee,
        "year": result.year,
        "date_line": f"{details.place}, ngày {now.day:02d} tháng {now.month:02d} năm {now.year}",
        "date_short": f"{now.day:02d}/{now.month:02d}/{now.year}",
        "unit_count": int(result.units["rank"].notna().sum()),  # those ranked: a unit not rated has no place
        "leader_count": len(result.leaders),
        "unit_counts": _counts(result.units, scale(result.framework)),
        "leader_counts": _counts(result.leaders, scale(result.framework)),
    }


def _for_year(text: str, year: int) -> str:
    """A committee's text with "{year}" standing for the year (the only name it may use: typed braces stay)."""
    return text.replace("{year}", str(year))


def _counts(people: pd.DataFrame, tiers: Scale) -> str:
    counts = people["tier"].value_counts()
    return "; ".join(f"{tiers.label[t]} {int(counts.get(t, 0))}" for t in tiers.codes)


def _groups(people: pd.DataFrame, row, tiers: Scale) -> list[dict]:
    """Per tier of the year's scale, best first, the people in rank order, numbered down the whole list."""
    groups, number = [], 0
    for k, tier in enumerate((t for t in tiers.codes if (people["tier"] == t).any()), start=1):
        members = people[people["tier"] == tier].sort_values("rank", kind="stable")
        rows = []
        for person in members.itertuples():
            number += 1
            rows.append(row(number, person))
        groups.append({"title": f"{k}. {tiers.label[tier]}: {len(rows)}", "rows": rows})
    return groups


def decision(result: YearResult, details: CommitteeDetails, now: datetime) -> dict:
    def unit_row(number, u):
        return {"no": number, "name": u.name, "where": u.cluster, "total": format_vn(u.total), "rank": u.rank}

    def leader_row(number, p):
        return {
            "no": number,
            "name": p.name,
            "where": ", ".join(x for x in (p.title, p.unit_name) if x),
            "total": format_vn(p.total),
            "rank": p.rank,
        }

    return common(result, details, now) | {
        "decision_number": details.decision_number,
        "grounds": [_for_year(g, result.year) for g in details.grounds],
        "article_2": _for_year(details.article_2, result.year),
        "article_3": _for_year(details.article_3, result.year),
        "unit_groups": _groups(result.units, unit_row, scale(result.framework)),
        "leader_groups": _groups(result.leaders, leader_row, scale(result.framework)),
    }


def report(result: YearResult, previous: YearResult | None, details: CommitteeDetails, now: datetime) -> dict:
    units = result.units
    return common(result, details, now) | {
        "report_number": details.report_number,
        "intro": _for_year(details.report_intro, result.year),
        "conclusion": _for_year(details.report_conclusion, result.year),
        "tier_table": _tier_table(result, previous),
        "comparison_note": ""
        if previous is None
        else caveat(previous.framework, result.framework, previous.year, result.year),
        "cluster_table": _cluster_table(units, scale(result.framework).codes),
        "quota_notes": [_named(u) + f": {u.reason}" for u in units[units["quota_cut"]].itertuples()] or ["Không có."],
        "no_self_notes": [_named(u) for u in units[_never_self_assessed(result)].itertuples()] or ["Không có."],
        "gap_notes": _gaps(units[~_never_self_assessed(result)]) or ["Không có."],
    }


def _named(u) -> str:
    return f"{u.code} {u.name} ({u.cluster})"


def _tier_table(result: YearResult, previous: YearResult | None) -> list[dict]:
    units, leaders = result.units["tier"].value_counts(), result.leaders["tier"].value_counts()
    before = previous.units["tier"].value_counts() if previous is not None else None
    rows, tiers = [], scale(result.framework)
    for tier in tiers.codes:
        n = int(units.get(tier, 0))
        change = "—" if before is None else _difference(n - int(before.get(tier, 0)))
        share = format_vn(100 * n / len(result.units), 1) + "%" if len(result.units) else "—"
        rows.append({"cells": [tiers.label[tier], n, share, change, int(leaders.get(tier, 0))]})
    total_change = "—" if previous is None else _difference(len(result.units) - len(previous.units))
    rows.append({"cells": ["Tổng số", len(result.units), "100%", total_change, len(result.leaders)]})
    return rows


def _difference(n: int) -> str:
    """+2, -1, 0: a change from the year before."""
    return f"{n:+d}" if n else "0"


def _cluster_table(units: pd.DataFrame, codes: tuple[str, ...]) -> list[dict]:
    """Units per cluster and tier of the year's scale, the same counts as the Excel report's statistics sheet."""
    return [
        {"cells": ["Tổng số" if is_total else name, int(row["Tổng"]), *(int(row[t]) for t in codes)]}
        for name, row, is_total in tier_counts(units, codes)
    ]


def _never_self_assessed(result: YearResult) -> np.ndarray:
    return result.unit_scores.self_scores.isna().all(axis=1).to_numpy()


def _gaps(units: pd.DataFrame) -> list[str]:
    appraised = units[units["appraised"]]
    gap = (appraised["self_score"] - appraised["review_score"]).abs()
    largest = appraised.assign(gap=gap)[gap > 0].sort_values("gap", ascending=False, kind="stable").head(GAPS_SHOWN)
    return [
        _named(u) + f": tự chấm {format_vn(u.self_score)}, thẩm định {format_vn(u.review_score)} "
        f"(chênh {format_vn(u.gap)} điểm)"
        for u in largest.itertuples()
    ]


def letters(
    result: YearResult, details: CommitteeDetails, now: datetime, reasons: dict[str, dict[str, str]] | None = None
) -> Iterator[tuple[str, dict]]:
    """Each unit's letter, by its code: its criteria self-assessed and appraised with the committee's reasons
    (`reasons`: code → criterion → reason, from a round), its result, and its head's."""
    shared = common(result, details, now)
    criteria = result.framework.of(UNIT)
    scores = result.unit_scores
    heads = result.leaders.set_index("unit_code")
    leader_criteria = result.framework.of(LEADER)
    labels = scale(result.framework).label
    for position, u in enumerate(result.units.itertuples()):
        own = (reasons or {}).get(u.code, {})
        self_row, review_row = scores.self_scores.iloc[position], scores.review_scores.iloc[position]
        rows = [
            {
                "code": c.code,
                "name": c.name,
                "max": format_vn(c.max_points, 0) if float(c.max_points).is_integer() else format_vn(c.max_points),
                "self": vn(self_row[c.code]),
                "review": vn(review_row[c.code]),
                "reason": own.get(c.code, ""),
            }
            for c in criteria
        ]
        head = heads.loc[u.code] if u.code in heads.index and leader_criteria else None
        yield (
            u.code,
            shared
            | {
                "letter_number": details.letter_number,
                "unit": {
                    "code": u.code,
                    "name": u.name,
                    "cluster": u.cluster,
                    "bonus": format_vn(u.bonus),
                    "penalty": format_vn(u.penalty),
                    "total": format_vn(u.total),
                    "tier": labels[u.tier] if u.tier else u.reason,  # not rated: why
                    "rank": _place(u.rank),
                    "cluster_rank": _place(u.cluster_rank),
                    "reason": u.reason,
                },
                "criteria": rows,
                "leader": None if head is None else _head(head, labels),
            },
        )


def _place(rank) -> object:
    """A rank as a letter writes it; a unit not rated has none ("—")."""
    return "—" if pd.isna(rank) else int(rank)


def _head(head: pd.Series, labels: dict[str, str]) -> dict:
    return {
        "name": head["name"],
        "title": head["title"],
        "total": format_vn(head["total"]),
        "tier": labels[head["tier"]],
        "because": f" ({head['reason']})" if head["reason"] else "",
    }
