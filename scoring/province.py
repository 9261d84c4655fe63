"""What a committee with committees under it sees of them (docs/access.md, "Committees"): each committee's year at a
glance, a comparison of how they rated, and one ranking of every unit of the subtree where their frameworks agree.

Each committee rates its own units (its quota and clusters are its own); nothing here changes a tier. The
subtree ranking only orders the units the committees rated, by the engine's keys (total, then the tie-break
group's contribution, then the lower penalty)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import service
from .access import Actor, Right
from .committees import Committee, Committees
from .comparability import framework_differences
from .engine import YearResult
from .framework import Framework
from .presentation import Scale, scale
from .ranking import competition_rank
from .rounds import APPRAISED, IN_APPRAISAL, NO_SELF, NOT_SUBMITTED, PUBLISHED, WITHDRAWN, Rounds
from .store import Store, StoreError


@dataclass
class CommitteeYear:
    """One committee's rated year (None when it has not stored the year)."""

    committee: Committee
    result: YearResult | None


Rated = Callable[[int, dict[int, int]], dict[int, YearResult]]  # (committee id, its versions) → rated years


def subtree(store: Store, actor: Actor) -> tuple[list[Committee], dict[int, dict[int, int]]]:
    """The store's committee and every committee under it (parents first), with their active versions."""
    store.require(actor, Right.VIEW_ALL)
    committees = Committees(store).all(under=store.committee_id)
    return committees, store.active_versions_of([c.id for c in committees])


def committee_years(store: Store, actor: Actor, year: int, rated: Rated | None = None) -> list[CommitteeYear]:
    """The year of the store's committee and of every committee under it, each rated by itself from its own active
    version, parents first. `rated` rates a committee's versions (a front end passes its shared cache; by default
    each committee's year and the year before are read and rated here)."""
    committees, versions = subtree(store, actor)
    rate = rated or (
        lambda c, own: service.rate_stored(store.within(c), {y: own[y] for y in (year - 1, year) if y in own})
    )
    return [CommitteeYear(c, rate(c.id, versions[c.id])[year] if year in versions[c.id] else None) for c in committees]


def common_framework(years: list[CommitteeYear]) -> Framework:
    """The framework every committee that stored the year rated it with; StoreError naming who differs else."""
    rated = [y for y in years if y.result is not None]
    if not rated:
        raise StoreError("Chưa cấp ủy nào có dữ liệu năm này.")
    first = rated[0]
    for other in rated[1:]:
        differences = framework_differences(first.result.framework, other.result.framework)
        if differences:
            raise StoreError(
                f"Không xếp hạng chung được: {first.committee.name} ({first.committee.code}) dùng bộ tiêu chí "
                f"“{first.result.framework.name}”, {other.committee.name} ({other.committee.code}) dùng "
                f"“{other.result.framework.name}”; khác nhau ở {'; '.join(differences)}."
            )
    return first.result.framework


def subtree_ranking(years: list[CommitteeYear]) -> pd.DataFrame:
    """Every unit the committees rated, ranked together (`rank`) beside its rank in its own committee
    (`committee_rank`); tiers as each committee rated them. StoreError when their frameworks differ."""
    fw = common_framework(years)
    frames = []
    for y in years:
        if y.result is None:
            continue
        units = y.result.units
        groups = y.result.unit_groups
        frames.append(
            units.assign(
                committee=y.committee.code,
                committee_name=y.committee.name,
                committee_rank=units["rank"],
                tie_break=groups[fw.tie_break_group].to_numpy() if fw.tie_break_group in groups else 0.0,
            )
        )
    units = pd.concat(frames, ignore_index=True)
    # Contributions are sums of floats: compared to the micro-point, as the totals are to the cent.
    # A unit its committee did not rate has no rank here either: after every rated unit, so their ranks hold.
    unrated = units["rank"].isna().to_numpy()
    keys = [-units["total"].round(2).to_numpy(), -units["tie_break"].round(6).to_numpy(), units["penalty"].to_numpy()]
    rank = competition_rank([unrated.astype(np.int8), *keys])
    units["rank"] = pd.array(rank, dtype="Int64")
    units.loc[unrated, "rank"] = pd.NA
    order = np.lexsort((units["code"].to_numpy(dtype=str), units["committee"].to_numpy(dtype=str), rank))
    return units.iloc[order].drop(columns="tie_break").reset_index(drop=True)


def tiers_of(years: list[CommitteeYear]) -> Scale:
    """The tiers the committees rated in, each scale's in its order (committees that choose their own framework may
    rate on different scales; a code two scales share is one column); the presets' four when none rated."""
    scales = [scale(y.result.framework) for y in years if y.result is not None] or [scale()]
    merged = {part: {} for part in ("label", "short", "colour", "fill")}
    for s in reversed(scales):  # the first committee's names win
        for part, values in merged.items():
            values |= getattr(s, part)
    codes = tuple(dict.fromkeys(code for s in scales for code in s.codes))
    return Scale(codes, **merged)


def overview(
    store: Store, actor: Actor, year: int, years: list[CommitteeYear], rounds_of: Callable[[int], Rounds] | None = None
) -> pd.DataFrame:
    """One row per committee of `years` (`committee_years`): its units per tier, and its round of the year (units,
    submitted, waiting for appraisal, appraised, late, published). `rounds_of` gives a committee's round ledger (a
    front end passes those it keeps)."""
    rounds_of = rounds_of or (lambda c: Rounds(store.within(c)))
    codes = tiers_of(years).codes
    rows = []
    for y in years:
        summary = rounds_of(y.committee.id).summary(actor, year)
        if y.committee.id == store.committee_id and y.result is None and summary is None:
            continue  # the province itself, which rates no units
        row = {"committee": y.committee.code, "name": y.committee.name}
        counts = y.result.units["tier"].value_counts() if y.result is not None else pd.Series(dtype=int)
        row |= {code: int(counts.get(code, 0)) for code in codes}
        row["units"] = 0 if y.result is None else len(y.result.units)
        row |= _round_row(summary)
        rows.append(row)
    return pd.DataFrame(rows)


def _round_row(summary: dict | None) -> dict:
    if summary is None:
        return {"round": "", "in_round": 0, "submitted": 0, "waiting": 0, "appraised": 0, "late": 0}
    states = summary["states"]
    return {
        "round": "published" if summary["state"] == PUBLISHED else "open",
        "in_round": summary["units"],
        "submitted": summary["units"] - states[NOT_SUBMITTED] - states[NO_SELF] - states[WITHDRAWN],
        "waiting": sum(states[s] for s in IN_APPRAISAL),
        "appraised": states[APPRAISED] + states[NO_SELF],
        "late": summary["late"],
    }


def comparison(years: list[CommitteeYear]) -> pd.DataFrame:
    """How each committee rated its units: the spread of totals, how far its appraisal moved the units' own
    scores, the share rated HTXSNV after the quota and the share appraised at the maximum, so that a committee
    that appraises every unit at the top stands out."""
    rows = []
    for y in years:
        if y.result is None or y.result.units.empty:
            continue
        units, fw = y.result.units, y.result.framework
        appraised = units[units["appraised"]]
        gap = (appraised["review_score"] - appraised["self_score"]).dropna()
        top_score = float(sum(fw.weights("unit").values()))
        rows.append(
            {
                "committee": y.committee.code,
                "name": y.committee.name,
                "units": len(units),
                "median": float(units["total"].median()),
                "q1": float(units["total"].quantile(0.25)),
                "q3": float(units["total"].quantile(0.75)),
                "gap": float(gap.mean()) if len(gap) else np.nan,
                "top_share": float((units["tier"] == fw.tier_code(1)).mean()),  # its own scale's first tier
                "full_marks": float((appraised["review_score"] >= top_score - 1e-9).mean()) if len(appraised) else 0.0,
            }
        )
    return pd.DataFrame(
        rows, columns=["committee", "name", "units", "median", "q1", "q3", "gap", "top_share", "full_marks"]
    )
