"""Rating rules of docs/rules.md, as small vectorised steps over one year's tables.

Each step takes arrays for all units at once and returns new arrays; `rate` chains them and keeps a
log line per step, so that a result can be explained and reproduced. Tiers are numbers 1..k in the framework's
scale (best first): lowering a tier is `np.maximum`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import conditions as cond
from .arithmetic import _exact_dot, _exact_factors, _factors, _scaled_sums, cents, exact_order, weighted_cents
from .comparability import caveat
from .dataset import Source, YearData
from .formats import format_vn
from .framework import LEADER, QUOTA_BASES, SUPERIOR, UNIT, Framework
from .ranking import FIRST, SECOND, competition_rank, quota_cut
from .reasons import Reasons, discipline_text
from .validation import WARNING, Issue

NOT_RATED = "Không xếp loại"


@dataclass(frozen=True)
class CriterionScores:
    """Per criterion, frames indexed like the rated rows they belong to (columns: criterion codes)."""

    self_scores: pd.DataFrame  # as self-assessed, NaN where blank
    review_scores: pd.DataFrame  # as appraised by the committee, NaN where blank
    points: pd.DataFrame  # the score used: review, else self, else 0

    def take(self, index) -> CriterionScores:
        return CriterionScores(self.self_scores.loc[index], self.review_scores.loc[index], self.points.loc[index])


@dataclass
class YearResult:
    """A rated year. `units` and `leaders` hold one row each (sorted by rank); `unit_scores`, `unit_groups`
    (each group's contribution to the base score) and `leader_scores` share their index."""

    year: int
    framework: Framework
    units: pd.DataFrame
    leaders: pd.DataFrame
    quota: pd.DataFrame  # per cluster: eligible, allowed, given, moved_down
    leader_quota: dict
    warnings: list[Issue] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    previous_year: int | None = None  # the year rank changes were taken from
    unit_scores: CriterionScores | None = None
    unit_groups: pd.DataFrame | None = None
    leader_scores: CriterionScores | None = None
    previous_framework: Framework | None = None  # what the year rank changes were taken from was rated with

    @property
    def comparison_caveat(self) -> str:
        """Why this year's rank changes are not like for like ("" when they are): comparability.caveat."""
        return caveat(self.previous_framework, self.framework, self.previous_year, self.year)


@dataclass
class _Scored:
    used: np.ndarray  # n×k points used per criterion
    contributions: np.ndarray  # n×k contribution to the base score
    self_scores: np.ndarray  # n×k as read, NaN where blank
    review_scores: np.ndarray
    blank: np.ndarray  # n×k both scores blank

    @property
    def self_points(self) -> np.ndarray:
        return np.nan_to_num(self.self_scores)


def _score(fw: Framework, target: str, self_scores: pd.DataFrame, review: pd.DataFrame) -> _Scored:
    """Steps 1–2: score used per criterion (review, else self, else 0) and the weighted base."""
    codes = fw.codes(target)
    s = self_scores.reindex(columns=codes).to_numpy(dtype=float, na_value=np.nan)
    r = review.reindex(columns=codes).to_numpy(dtype=float, na_value=np.nan)
    superior = [c.scored_by == SUPERIOR for c in fw.of(target)]
    if any(superior):  # a criterion only the superior scores has no self score, whatever a sheet holds
        s = np.where(np.array(superior), np.nan, s)
    used = np.where(np.isnan(r), s, r)
    blank = np.isnan(used)
    used = np.where(blank, 0.0, used)
    factor = _factors(fw, target)
    contributions = used * factor
    return _Scored(used=used, contributions=contributions, self_scores=s, review_scores=r, blank=blank)


def _tie_break_key(fw: Framework, sc: _Scored) -> np.ndarray:
    """Step 9's second key: the tie-break group's contribution to the base score, compared exactly."""
    mask = np.array([c.group == fw.tie_break_group for c in fw.of(UNIT)], dtype=bool)
    exact_factors = [f for f, m in zip(_exact_factors(fw, UNIT), mask) if m]
    points = sc.used[:, mask]
    sums = _scaled_sums(points, exact_factors)
    if sums is not None:  # equal sums, equal keys; keys numbered in the sums' order, as exact_order numbers them
        return np.unique(sums, return_inverse=True)[1].reshape(-1).astype(np.int64)
    dot, _ = _exact_dot(exact_factors)  # one scale for every row: comparing the scaled sums compares the sums
    return exact_order(sc.contributions[:, mask].sum(axis=1), lambda i: dot(points[i]))


def tier_by_thresholds(total_cents: np.ndarray, fw: Framework) -> np.ndarray:
    """Step 5: tier from the rounded total alone: one tier down for each threshold not reached."""
    below = np.zeros(len(total_cents), dtype=np.int8)
    for threshold in fw.thresholds:
        below += total_cents < cents(threshold)
    return (FIRST + below).astype(np.int8)


def rate(data: YearData, fw: Framework, previous: YearResult | pd.DataFrame | None = None) -> YearResult:
    """Rate and rank one year (docs/rules.md). The one entry point to the rules."""
    log: list[str] = []
    units = data.units.reset_index(drop=True)
    n = len(units)
    sc = _score(fw, UNIT, data.unit_self.reset_index(drop=True), data.unit_review.reset_index(drop=True))
    warnings = _blank_warnings(units, sc.blank, fw.codes(UNIT))
    log.append(
        f"Bước 1–2: {n} đơn vị, {len(fw.codes(UNIT))} tiêu chí; điểm sử dụng = thẩm định, "
        f"nếu trống lấy tự chấm, trống cả hai tính 0 ({int(sc.blank.sum())} ô)."
    )

    bonus = units["bonus"].to_numpy(dtype=float)
    penalty = units["penalty"].to_numpy(dtype=float)
    total = weighted_cents(fw, UNIT, sc.used, bonus, penalty)
    self_cents = weighted_cents(fw, UNIT, sc.self_points)
    base_cents = weighted_cents(fw, UNIT, sc.used)
    log.append("Bước 3–4: tổng = điểm cơ bản + thưởng − trừ (không âm), làm tròn nửa lên 2 chữ số thập phân.")

    score_tier = tier_by_thresholds(total, fw)
    reasons = Reasons(n, fw)
    tier = score_tier.copy()
    codes = np.array(fw.codes(UNIT), dtype=object)
    code = fw.tier_code
    if fw.zero_criterion_bars_top:
        zero = sc.used == 0
        tier = reasons.lower(
            tier,
            np.where(zero.any(axis=1), fw.cap("zero_criterion"), FIRST),
            lambda i: f"tiêu chí {', '.join(codes[zero[i]])} bị 0 điểm",
        )
    above_zero_cap = ", ".join(code(t) for t in range(FIRST, fw.cap("zero_criterion")))
    log.append(
        f"Bước 5: ngưỡng {'/'.join(str(t) for t in fw.thresholds)}"
        + (f"; tiêu chí 0 điểm không được {above_zero_cap}." if fw.zero_criterion_bars_top else ".")
    )

    head_discipline = _head_discipline(units, data.leaders)
    tier = _disqualify(units, sc.self_scores, reasons, tier, fw.last)
    caps = [fw.cap(event) for event in ("dismissal", "warning", "reprimand")]
    tier = reasons.lower(
        tier,
        _head_caps(fw, head_discipline),
        lambda i: f"người đứng đầu bị kỷ luật {discipline_text(head_discipline[i])}",
    )
    log.append(
        f"Bước 6–7: kỷ luật tập thể, mất đoàn kết, tham nhũng, không tự chấm → {code(fw.last)}; "
        f"người đứng đầu bị khiển trách → tối đa {code(caps[2])}, cảnh cáo → tối đa {code(caps[1])}, "
        f"cách chức trở lên → {code(caps[0])}."
    )
    if fw.conditions:
        tier, condition_warnings = _conditions(fw, units, reasons, tier)
        warnings += condition_warnings
        log.append(f"Bước 7b: điều kiện ngoài điểm ({cond.describe(fw.conditions)}); chưa có số liệu là chưa đạt.")

    tie_break = _tie_break_key(fw, sc)
    # A unit not rated this year (step 0) has no tier and no rank and is not in the quota: it sorts after every
    # rated unit (so their ranks do not move) and takes a tier below the scale for the quota's counts.
    unrated = not_rated(units)
    keys = [unrated.astype(np.int8), -total, -tie_break, penalty]
    rank = competition_rank(keys)
    cluster_codes, cluster_names = pd.factorize(units["cluster"], sort=True)
    cluster_rank = competition_rank(keys, cluster_codes)
    tier = np.where(unrated, fw.last + 1, tier).astype(np.int8)

    keep, straddling, eligible, allowed = quota_cut(
        tier, rank, cluster_codes, len(cluster_names), fw.quota_percent, fw.quota_base
    )
    before_quota = tier.copy()
    tier = reasons.lower(
        tier, np.where((tier == FIRST) & ~keep, SECOND, FIRST), _quota_cause(fw, "của khối", straddling)
    )
    quota = pd.DataFrame(
        {
            "cluster": cluster_names,
            "eligible": eligible,
            "allowed": allowed,
            "candidates": np.bincount(
                cluster_codes, weights=before_quota == FIRST, minlength=len(cluster_names)
            ).astype(int),
            "given": np.bincount(cluster_codes, weights=tier == FIRST, minlength=len(cluster_names)).astype(int),
        }
    )
    quota["moved_down"] = quota["candidates"] - quota["given"]
    log.append(
        f"Bước 8: chỉ tiêu {code(FIRST)} {fw.quota_percent}% {QUOTA_BASES[fw.quota_base]} mỗi khối, làm tròn xuống; "
        f"đồng hạng tại ngưỡng thì cùng hạ; {int(quota['moved_down'].sum())} đơn vị bị hạ."
    )
    log.append(f"Bước 9: xếp hạng theo tổng điểm, rồi điểm nhóm {fw.tie_break_group}, rồi điểm trừ ít hơn.")

    appraised = ~np.isnan(sc.review_scores).all(axis=1)
    result_units = pd.DataFrame(
        {
            "code": units["code"],
            "name": units["name"],
            "cluster": units["cluster"],
            "self_score": self_cents / 100,
            # The committee's score only where it appraised the unit; criteria it left blank count as the
            # accepted self score (step 1). A unit never appraised has none.
            "review_score": np.where(appraised, base_cents / 100, np.nan),
            "appraised": appraised,
            "base_score": base_cents / 100,
            "bonus": bonus,
            "penalty": penalty,
            "total": total / 100,
            "score_tier": np.where(unrated, "", _codes(fw, score_tier)),
            "tier": _codes(fw, tier),
            "tier_name": [fw.tiers[t - 1].name if t <= fw.last else NOT_RATED for t in tier.tolist()],
            "rank": _ranks(rank, unrated),
            "cluster_rank": _ranks(cluster_rank, unrated),
            "reason": _reasons(reasons, units, unrated, score_tier, tier, total),
            "note": units["note"],
            "quota_cut": (before_quota == FIRST) & ~keep,
        }
    )
    result_units["rank_change"] = _rank_change(result_units, previous)
    order = np.lexsort((result_units["code"].to_numpy(dtype=str), rank))
    result_units = result_units.iloc[order].reset_index(drop=True)
    unit_scores = _criterion_frames(sc, fw.codes(UNIT), order)
    unit_groups = pd.DataFrame(
        {g.key: sc.contributions[:, [c.group == g.key for c in fw.of(UNIT)]].sum(axis=1)[order] for g in fw.groups},
        columns=[g.key for g in fw.groups],
    )

    leaders, leader_scores, leader_quota, leader_warnings = _rate_leaders(data, fw, units, tier, head_discipline, log)
    previous_year = None if previous is None else (previous.year if isinstance(previous, YearResult) else data.year - 1)
    return YearResult(
        data.year,
        fw,
        result_units,
        leaders,
        quota,
        leader_quota,
        list(data.warnings) + warnings + leader_warnings,
        log,
        list(data.sources),
        previous_year,
        unit_scores,
        unit_groups,
        leader_scores,
        previous.framework if isinstance(previous, YearResult) else None,
    )


def _criterion_frames(sc: _Scored, codes: list[str], order: np.ndarray) -> CriterionScores:
    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values[order], columns=codes)

    return CriterionScores(frame(sc.self_scores), frame(sc.review_scores), frame(sc.used))


def _quota_cause(fw: Framework, whose: str, straddling: np.ndarray):
    percent = format_vn(fw.quota_percent, 0 if fw.quota_percent == int(fw.quota_percent) else 2)
    text = f"vượt chỉ tiêu {percent}% {whose}"
    return lambda i: f"{text} (đồng hạng tại ngưỡng chỉ tiêu)" if straddling[i] else text


def _codes(fw: Framework, tiers: np.ndarray) -> list[str]:
    """Tier numbers as the framework's codes; a unit not rated has none ("")."""
    codes = [fw.tier_code(t) for t in range(fw.last + 1)] + [""]
    return [codes[t] for t in np.minimum(tiers, fw.last + 1).tolist()]


def not_rated(units: pd.DataFrame) -> np.ndarray:
    """The units marked "Không xếp loại" this year (their reason is not blank)."""
    if "not_rated" not in units:
        return np.zeros(len(units), dtype=bool)
    column = units["not_rated"].astype(object)
    return column.where(column.notna(), "").astype(str).str.strip().ne("").to_numpy()


def _reasons(reasons: Reasons, units: pd.DataFrame, unrated, score_tier, tier, total) -> np.ndarray:
    """Each unit's reason: why its tier is below its score's, or why it is not rated."""
    lines = reasons.lines(score_tier, np.where(unrated, score_tier, tier), total)
    return np.where(unrated, NOT_RATED + ": " + units["not_rated"].astype(str), lines)


def _ranks(rank: np.ndarray, unrated: np.ndarray) -> pd.array:
    """Ranks as integers; a unit not rated has none."""
    out = pd.array(rank, dtype="Int64")
    out[unrated] = pd.NA
    return out


def _conditions(fw: Framework, units: pd.DataFrame, reasons: Reasons, tier: np.ndarray):
    """Step 7b: the best tier whose conditions hold, before the quota; a missing value is a warning."""
    capped = cond.cap(fw.conditions, [t.code for t in fw.tiers], units["conditions"], tier)
    warnings = [
        Issue(
            WARNING,
            f"{units['code'].iloc[i]}: chưa có “{c.name}” (điều kiện của {c.tier}): không tính là đạt",
            units["file"].iloc[i],
            units["sheet"].iloc[i],
            int(units["row"].iloc[i]),
        )
        for i, failed in capped.blocked.items()
        for c, value in failed
        if np.isnan(value)
    ]
    tier = reasons.lower(tier, capped.tier, lambda i: cond.causes(capped.blocked[i]))
    return tier, warnings


def _facts(units: pd.DataFrame, self_scores: np.ndarray) -> list[tuple[np.ndarray, object]]:
    """Step 6's facts, each a mask of the units it holds for and its words (a text or a function of the row)."""
    collective = units["collective_discipline"].to_numpy(dtype=int)
    no_self = units["has_self_columns"].to_numpy(dtype=bool) & np.isnan(self_scores).all(axis=1)
    return [
        (collective != 0, lambda i: " ".join(["tổ chức bị kỷ luật", discipline_text(collective[i])]).strip()),
        (units["disunity"].to_numpy(dtype=bool), "mất đoàn kết"),
        (units["corruption"].to_numpy(dtype=bool), "có vi phạm tham nhũng"),
        (no_self, "không tự chấm"),
    ]


def fixed_caps(data: YearData, fw: Framework) -> np.ndarray:
    """Per unit (in the data's order), the tier its facts cap it at whatever its scores (steps 6–7): what the
    stability analysis keeps while it moves weights and scores."""
    units = data.units.reset_index(drop=True)
    sc = _score(fw, UNIT, data.unit_self.reset_index(drop=True), data.unit_review.reset_index(drop=True))
    disqualified = np.logical_or.reduce([mask for mask, _ in _facts(units, sc.self_scores)])
    head = _head_discipline(units, data.leaders)
    return np.maximum(np.where(disqualified, fw.last, FIRST), _head_caps(fw, head)).astype(np.int8)


def _head_caps(fw: Framework, head: np.ndarray) -> np.ndarray:
    """Step 7: the tier the head's discipline caps a unit at (FIRST: none)."""
    caps = [fw.cap(event) for event in ("dismissal", "warning", "reprimand")]
    return np.select([head >= 3, head == 2, head == 1], caps, FIRST)


def _disqualify(units: pd.DataFrame, self_scores: np.ndarray, reasons: Reasons, tier, last: int) -> np.ndarray:
    """Step 6: facts that rate a unit in the last tier whatever its score."""
    facts = _facts(units, self_scores)
    any_fact = np.logical_or.reduce([mask for mask, _ in facts])

    def causes(i: int) -> str:
        return ", ".join(text if isinstance(text, str) else text(i) for mask, text in facts if mask[i])

    return reasons.lower(tier, np.where(any_fact, last, FIRST), causes)


def _head_discipline(units: pd.DataFrame, leaders: pd.DataFrame) -> np.ndarray:
    """The head's discipline: the heavier of the unit sheet's column and the leaders sheet's."""
    own = units["head_discipline"].to_numpy(dtype=int)
    if leaders.empty:
        return own
    by_unit = leaders.groupby("unit_code")["discipline"].max()
    return np.maximum(own, units["code"].map(by_unit).fillna(0).to_numpy(dtype=int))


def _rank_change(units: pd.DataFrame, previous) -> pd.Series:
    if previous is None:
        return pd.Series(pd.NA, index=units.index, dtype="Int64")
    prev = previous.units if isinstance(previous, YearResult) else previous
    # Positions among the units present in both years: a rank among 4 units says nothing against one among 45.
    prev_rank = units["code"].map(prev.set_index("code")["rank"])
    both = prev_rank.notna() & units["rank"].notna()  # ranked in both years (a unit not rated has no rank)
    before = prev_rank[both].rank(method="min")
    now = units.loc[both, "rank"].rank(method="min")
    return (before - now).reindex(units.index).astype("Int64")


def _blank_warnings(rows: pd.DataFrame, blank: np.ndarray, codes: list[str]) -> list[Issue]:
    out = []
    who = rows["code"] if "code" in rows else rows["unit_code"]
    for i in np.flatnonzero(blank.any(axis=1)):
        missing = ", ".join(c for c, b in zip(codes, blank[i]) if b)
        out.append(
            Issue(
                WARNING,
                f"{who.iloc[i]}: tiêu chí {missing} trống cả tự chấm và thẩm định, tính 0 điểm",
                rows["file"].iloc[i],
                rows["sheet"].iloc[i],
                int(rows["row"].iloc[i]),
            )
        )
    return out


def _rate_leaders(data: YearData, fw: Framework, units: pd.DataFrame, unit_tier, head_discipline, log):
    """Step 10: leaders' totals and tiers, capped by discipline, confidence, their unit, and the quota."""
    leaders = data.leaders.reset_index(drop=True)
    n = len(leaders)
    empty_quota = {"eligible": 0, "allowed": 0, "candidates": 0, "given": 0, "moved_down": 0}
    if n == 0 or not fw.of(LEADER):
        codes = fw.codes(LEADER)
        empty = pd.DataFrame(columns=codes, dtype=float)
        return (
            pd.DataFrame(
                columns=[
                    "unit_code",
                    "unit_name",
                    "cluster",
                    "name",
                    "title",
                    "self_score",
                    "total",
                    "score_tier",
                    "tier",
                    "rank",
                    "reason",
                ]
            ),
            CriterionScores(empty, empty.copy(), empty.copy()),
            empty_quota,
            [],
        )
    sc = _score(fw, LEADER, data.leader_self.reset_index(drop=True), data.leader_review.reset_index(drop=True))
    total = weighted_cents(fw, LEADER, sc.used)
    score_tier = tier_by_thresholds(total, fw)
    reasons = Reasons(n, fw)
    unit_pos = pd.Series(np.arange(len(units)), index=units["code"])
    pos = leaders["unit_code"].map(unit_pos).to_numpy()
    discipline = np.maximum(leaders["discipline"].to_numpy(dtype=int), head_discipline[pos])
    tier = reasons.lower(
        score_tier,
        np.where(discipline != 0, fw.cap("leader_discipline"), FIRST),
        lambda i: " ".join(["bị kỷ luật", discipline_text(discipline[i]), "trong năm"]).replace("  ", " "),
    )
    tier = reasons.lower(
        tier, np.where(leaders["low_confidence"].to_numpy(dtype=bool), fw.last, FIRST), "tín nhiệm thấp trên 50%"
    )
    their_unit = np.where(unit_tier[pos] > fw.last, FIRST, unit_tier[pos])  # a unit not rated caps nobody
    tier = reasons.lower(
        tier, their_unit, lambda i: f"đơn vị xếp loại {fw.tier_code(their_unit[i])} (không cao hơn đơn vị)"
    )
    rank = competition_rank([-total])
    keep, straddling, eligible, allowed = quota_cut(
        tier, rank, np.zeros(n, dtype=np.int64), 1, fw.quota_percent, fw.quota_base
    )
    candidates = int((tier == FIRST).sum())
    tier = reasons.lower(
        tier, np.where((tier == FIRST) & ~keep, SECOND, FIRST), _quota_cause(fw, "của người đứng đầu", straddling)
    )
    given = int((tier == FIRST).sum())
    out = pd.DataFrame(
        {
            "unit_code": leaders["unit_code"],
            "unit_name": units["name"].to_numpy()[pos],
            "cluster": units["cluster"].to_numpy()[pos],
            "name": leaders["name"],
            "title": leaders["title"],
            "self_score": weighted_cents(fw, LEADER, sc.self_points) / 100,
            "total": total / 100,
            "score_tier": _codes(fw, score_tier),
            "tier": _codes(fw, tier),
            "rank": rank,
            "reason": reasons.lines(score_tier, tier, total),
        }
    )
    order = np.lexsort((leaders["unit_code"].to_numpy(dtype=str), rank))
    out = out.iloc[order].reset_index(drop=True)
    log.append(
        f"Bước 10: {n} người đứng đầu; kỷ luật → tối đa {fw.tier_code(fw.cap('leader_discipline'))}; "
        f"tín nhiệm thấp trên 50% → {fw.tier_code(fw.last)}; "
        f"không cao hơn xếp loại đơn vị; chỉ tiêu {fw.quota_percent}% {QUOTA_BASES[fw.quota_base]}, "
        "toàn bộ người đứng đầu."
    )
    quota = {
        "eligible": int(eligible[0]),
        "allowed": int(allowed[0]),
        "candidates": candidates,
        "given": given,
        "moved_down": candidates - given,
    }
    return (
        out,
        _criterion_frames(sc, fw.codes(LEADER), order),
        quota,
        _blank_warnings(leaders, sc.blank, fw.codes(LEADER)),
    )
