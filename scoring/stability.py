"""How stable each tier and rank is (docs/rules.md "Stability"): the year rated again many times with every weight
moved by a uniform ±x % and every appraised criterion score by a uniform ±y points, following the uncertainty
analysis of composite indicators (COINr; the JRC/OECD handbook). Thresholds, the zero-criterion bar, the facts'
caps, conditions, the quota and ranks are applied in every run. Advisory only: the official result never changes.

Vectorised over runs: a chunk of runs is one array per quantity (runs × units), so a thousand runs of five
thousand units cost a small multiple of one rating. With no noise every run is the official result exactly: a
run's total is the official total in cents moved by the change its noise made, and ties the noise does not break
fall back on the official ranks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import conditions as cond
from .arithmetic import cents
from .dataset import YearData
from .engine import YearResult, _score, fixed_caps, not_rated
from .framework import UNIT, Framework
from .ranking import FIRST, SECOND, quota_allowed

CELLS_PER_CHUNK = 2_000_000  # runs × units × criteria held at once (16 MB of noise)
RANK_SPAN = 100_000  # ranks below this fit the packed sort key (more units: the official rank is left out)


@dataclass(frozen=True)
class Settings:
    """How the year is shaken; recorded with the figures so that they can be made again."""

    runs: int = 1000
    weight_noise: float = 0.10  # each weight × (1 ± up to 10 %), then all rescaled to the framework's total
    score_noise: float = 0.5  # each appraised criterion score ± up to 0.5 points, kept within [0, its maximum]
    seed: int = 2025

    def text(self) -> str:
        return (
            f"{self.runs} lần tính lại, trọng số ±{self.weight_noise * 100:g} %, điểm thẩm định ±{self.score_noise:g}"
            f" điểm, hạt giống {self.seed}"
        ).replace(".", ",")


@dataclass
class _Year:
    """What every run shares: the rated units' scores, weights and what caps them, in the data's order."""

    used: np.ndarray  # n × k points used
    appraised: np.ndarray  # n × k the committee gave the score (only those are shaken)
    maxima: np.ndarray
    weights: np.ndarray
    adjust: np.ndarray  # bonus − penalty
    cents: np.ndarray  # the official totals, in cents
    capped: np.ndarray  # n × (tiers + 1): the tier a unit gets when its score reaches tier t (facts, conditions)
    zero_cap: int  # the tier a criterion at 0 caps at (0: the framework does not say so)
    tie_break: np.ndarray  # k: the criteria of the tie-break group
    official_rank: np.ndarray
    clusters: list[np.ndarray]  # the columns of each cluster


def stability(data: YearData, fw: Framework, result: YearResult, settings: Settings = Settings()) -> pd.DataFrame:
    """Per unit of `result` (its order, indexed by code): `keep_tier` (the share of runs giving its official tier),
    one share per tier code, `rank_median`, `rank_p5`, `rank_p95`. A unit not rated has none (NaN)."""
    units = data.units.reset_index(drop=True)
    rated = ~not_rated(units)
    year = _shared(data, fw, result, rated)
    n, codes = int(rated.sum()), [t.code for t in fw.tiers]
    counts = np.zeros((n, fw.last + 1), dtype=np.int64)
    ranks = np.empty((settings.runs, n), dtype=np.int32)
    rng = np.random.default_rng(settings.seed)
    chunk = max(1, CELLS_PER_CHUNK // max(1, n * len(year.weights)))
    for start in range(0, settings.runs, chunk):
        runs = min(chunk, settings.runs - start)
        tier, rank = _runs(year, fw, settings, rng, runs)
        for t in range(FIRST, fw.last + 1):
            counts[:, t] += (tier == t).sum(axis=0)
        ranks[start : start + runs] = rank
    official = result.units.set_index("code")["tier"].reindex(units["code"][rated]).map(codes.index).to_numpy() + 1
    p5, median, p95 = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf") if n else ([],) * 3
    shares = counts[:, 1:] / settings.runs
    table = pd.DataFrame(
        {
            "keep_tier": shares[np.arange(n), official - 1] if n else [],
            **{code: shares[:, k] for k, code in enumerate(codes)},
            "rank_median": median,
            "rank_p5": p5,
            "rank_p95": p95,
        },
        index=units["code"][rated].to_numpy(),
    )
    return table.reindex(result.units["code"].to_numpy())


def _shared(data: YearData, fw: Framework, result: YearResult, rated: np.ndarray) -> _Year:
    units = data.units.reset_index(drop=True)
    sc = _score(fw, UNIT, data.unit_self.reset_index(drop=True), data.unit_review.reset_index(drop=True))
    criteria = fw.of(UNIT)
    official = result.units.set_index("code").reindex(units["code"][rated])
    tiers = np.arange(fw.last + 1)
    capped = np.maximum(tiers[None, :], fixed_caps(data, fw)[rated][:, None])
    if fw.conditions:  # the best tier at or below each one whose conditions hold, per unit
        column = units["conditions"][rated].reset_index(drop=True)
        for t in range(FIRST, fw.last + 1):
            capped[:, t] = np.maximum(
                capped[:, t], cond.cap(fw.conditions, [x.code for x in fw.tiers], column, capped[:, t]).tier
            )
    clusters = pd.factorize(units["cluster"][rated])[0]
    return _Year(
        used=sc.used[rated],
        appraised=~np.isnan(sc.review_scores[rated]),
        maxima=np.array([float(c.max_points) for c in criteria]),
        weights=np.array([float(fw.weights(UNIT)[c.code]) for c in criteria]),
        adjust=(units["bonus"] - units["penalty"]).to_numpy(dtype=float)[rated],
        cents=np.array([cents(t) for t in official["total"].to_numpy()], dtype=np.int64),
        capped=capped.astype(np.int8),
        zero_cap=fw.cap("zero_criterion") if fw.zero_criterion_bars_top else 0,
        tie_break=np.array([c.group == fw.tie_break_group for c in criteria]),
        official_rank=official["rank"].to_numpy(dtype=np.int64),
        clusters=[np.flatnonzero(clusters == c) for c in range(clusters.max() + 1 if len(clusters) else 0)],
    )


def _runs(year: _Year, fw: Framework, settings: Settings, rng: np.random.Generator, runs: int):
    """The tiers and ranks of `runs` runs (runs × units each)."""
    n, k = year.used.shape
    weights = year.weights * (1 + rng.uniform(-settings.weight_noise, settings.weight_noise, (runs, k)))
    weights *= year.weights.sum() / weights.sum(axis=1, keepdims=True)  # the framework's total weight
    factors = 100 * weights / (year.maxima * year.weights.sum())
    noise = rng.uniform(-settings.score_noise, settings.score_noise, (runs, n, k)) * year.appraised
    points = np.clip(year.used + noise, 0, year.maxima)
    base = np.einsum("rnk,rk->rn", points, factors)
    official_base = year.used @ _factors_of(year)
    moved = np.rint((base - official_base) * 100).astype(np.int64)
    total = np.maximum(year.cents + moved, 0)  # with no noise, exactly the official totals
    tier = np.full((runs, n), FIRST, dtype=np.int8)
    for threshold in fw.thresholds:
        tier += total < cents(threshold)
    if year.zero_cap:
        tier = np.where((points == 0).any(axis=2), np.maximum(tier, year.zero_cap), tier).astype(np.int8)
    tier = year.capped[np.arange(n)[None, :], tier]
    tie_break = np.rint(np.einsum("rnk,rk->rn", points[:, :, year.tie_break], factors[:, year.tie_break]) * 1e6)
    last_resort = RANK_SPAN - 1 - np.minimum(year.official_rank, RANK_SPAN - 1)
    key = total * 10**14 + tie_break.astype(np.int64) * 10**5 + last_resort  # total, tie-break group, official
    rank = _competition_rank(key)
    for members in year.clusters:
        tier[:, members] = _quota(tier[:, members], key[:, members], fw)
    return tier, rank


def _factors_of(year: _Year) -> np.ndarray:
    return 100 * year.weights / (year.maxima * year.weights.sum())


def _competition_rank(key: np.ndarray) -> np.ndarray:
    """Per row, standard competition ranks (1, 2, 2, 4) of `key`, higher first."""
    runs, n = key.shape
    order = np.argsort(-key, axis=1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=1)
    position = np.broadcast_to(np.arange(n), (runs, n))
    new = np.ones((runs, n), dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    start = np.maximum.accumulate(np.where(new, position, 0), axis=1)
    rank = np.empty((runs, n), dtype=np.int32)
    np.put_along_axis(rank, order, start + 1, axis=1)
    return rank


def _quota(tier: np.ndarray, key: np.ndarray, fw: Framework) -> np.ndarray:
    """Step 8 in every run of one cluster: the first tier kept for the allowance in rank order, units tied across
    the cut all moved to the second."""
    runs, m = tier.shape
    allowed = quota_allowed((tier <= SECOND).sum(axis=1), fw.quota_percent, fw.quota_base)
    order = np.argsort(-key, axis=1, kind="stable")
    ordered, keys = np.take_along_axis(tier, order, axis=1), np.take_along_axis(key, order, axis=1)
    candidate = ordered == FIRST
    place = np.cumsum(candidate, axis=1)  # among the candidates, in rank order
    last = np.ones((runs, m), dtype=bool)  # the last unit of its tie
    last[:, :-1] = keys[:, 1:] != keys[:, :-1]
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, np.arange(m), m), axis=1), axis=1), axis=1)
    tie_last = np.take_along_axis(place, end, axis=1)
    moved = candidate & (tie_last > allowed[:, None])
    out = np.empty_like(tier)
    np.put_along_axis(out, order, np.where(moved, SECOND, ordered).astype(tier.dtype), axis=1)
    return out
