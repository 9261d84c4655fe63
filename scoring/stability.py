"""How stable each tier and rank is (docs/rules.md "Stability"): the year rated again many times with every weight
moved by a uniform ±x % and every appraised criterion score by a uniform ±y points, following the uncertainty
analysis of composite indicators (COINr; the JRC/OECD handbook). Thresholds, the zero-criterion bar, the facts'
caps, conditions, the quota and ranks are applied in every run. Advisory only: the official result never changes.

Vectorised over runs: a chunk of runs is one array per quantity (runs × units), so a thousand runs of five
thousand units cost a small multiple of one rating. With no noise every run is the official result exactly: a
run's total is the official total in cents moved by the change its noise made, and ties the noise does not break
fall back on the official ranks."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import conditions as cond
from .arithmetic import _factors, cents
from .dataset import YearData
from .engine import YearResult, _score, fixed_caps, not_rated
from .framework import UNIT, Framework
from .ranking import FIRST, SECOND, quota_allowed

CELLS_PER_CHUNK = 2_000_000  # runs × units × criteria held at once (8 MB of float32 noise)


@dataclass(frozen=True)
class Settings:
    """How the year is shaken; recorded with the figures so that they can be made again."""

    runs: int = 1000
    weight_noise: float = 0.10  # each weight × (1 ± up to 10 %), then all rescaled to the framework's total
    score_noise: float = 0.5  # each appraised criterion score ± up to 0.5 points, kept within [0, its maximum]
    seed: int = 2025

    def text(self) -> str:
        """As people read it: "1.000 lần tính lại, trọng số ±10 %, điểm thẩm định ±0,5 điểm, hạt giống 2025"."""
        runs = f"{self.runs:,}".replace(",", ".")
        weight, score = (f"{x:g}".replace(".", ",") for x in (self.weight_noise * 100, self.score_noise))
        return f"{runs} lần tính lại, trọng số ±{weight} %, điểm thẩm định ±{score} điểm, hạt giống {self.seed}"


DEFAULT = Settings()


@dataclass
class _Year:
    """What every run shares: the rated units' scores, weights and what caps them, in the data's order."""

    used: np.ndarray  # n × k points used (float32)
    appraised: np.ndarray  # n × k 1 where the committee gave the score (only those are shaken)
    maxima: np.ndarray
    weights: np.ndarray
    factors: np.ndarray  # the official factors: base = points · factors
    cents: np.ndarray  # the official totals, in cents
    capped: np.ndarray  # n × (tiers + 1): the tier a unit gets when its score reaches tier t (facts, conditions)
    zero_cap: int  # the tier a criterion at 0 caps at (0: the framework does not say so)
    tie_break: np.ndarray  # k: the criteria of the tie-break group
    official_rank: np.ndarray  # uint16, the ranks' last key
    by_official: np.ndarray  # the units in official order
    cluster: np.ndarray  # each unit's cluster number
    starts: np.ndarray  # where each cluster begins once units are grouped by cluster


def stability(data: YearData, fw: Framework, result: YearResult, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Per unit of `result` (its order, indexed by code): `keep_tier` (the share of runs giving its official tier),
    one share per tier code, `rank_median`, `rank_p5`, `rank_p95`. A unit not rated has none (NaN)."""
    units = data.units.reset_index(drop=True)
    rated = ~not_rated(units)
    year = _shared(data, fw, result, rated)
    n, codes = int(rated.sum()), [t.code for t in fw.tiers]
    counts = np.zeros((n, fw.last + 1), dtype=np.int64)
    ranks = np.empty((n, settings.runs), dtype=np.uint16 if n < 65535 else np.int32)  # 60,000 units: 120 MB
    size = max(1, CELLS_PER_CHUNK // max(1, n * len(year.weights)))
    starts = range(0, settings.runs, size)
    # Each chunk draws from its own stream of the seed: the figures do not depend on which thread ran it.
    streams = np.random.SeedSequence(settings.seed).spawn(len(starts))

    def chunk(start: int, stream) -> None:
        tier, rank = _runs(year, fw, settings, np.random.default_rng(stream), min(size, settings.runs - start))
        ranks[:, start : start + len(rank)] = rank.T
        shares = [(tier == t).sum(axis=0) for t in range(FIRST, fw.last + 1)]
        with lock:
            counts[:, FIRST:] += np.stack(shares, axis=1)

    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # numpy lets go of the GIL
        list(pool.map(chunk, starts, streams))
    official = result.units.set_index("code")["tier"].reindex(units["code"][rated]).map(codes.index).to_numpy() + 1
    p5, median, p95 = _quantiles(ranks) if n else ([],) * 3
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


def _quantiles(ranks: np.ndarray) -> list[np.ndarray]:
    """Per unit (a row of runs' ranks), its 5 %, 50 % and 95 % ranks as ranks it had (the inverted CDF)."""
    runs = ranks.shape[1]
    at = [max(0, int(np.ceil(q * runs)) - 1) for q in (0.05, 0.5, 0.95)]
    ranks.partition(at, axis=1)
    return [ranks[:, i] for i in at]


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
    clusters = pd.factorize(units["cluster"][rated])[0].astype(np.int16)
    sizes = np.bincount(clusters)
    rank = np.minimum(official["rank"].to_numpy(dtype=np.int64), np.iinfo(np.uint16).max).astype(np.uint16)
    maxima = np.array([float(c.max_points) for c in criteria], dtype=np.float32)
    return _Year(
        used=sc.used[rated].astype(np.float32),
        appraised=(~np.isnan(sc.review_scores[rated])).astype(np.float32),
        maxima=maxima,
        weights=np.array([float(fw.weights(UNIT)[c.code]) for c in criteria]),
        factors=_factors(fw, UNIT).astype(np.float32),
        cents=np.rint(official["total"].to_numpy(dtype=float) * 100).astype(np.int64),
        capped=capped.astype(np.int8),
        zero_cap=fw.cap("zero_criterion") if fw.zero_criterion_bars_top else 0,
        tie_break=np.array([c.group == fw.tie_break_group for c in criteria]),
        official_rank=rank,
        by_official=np.argsort(rank, kind="stable"),
        cluster=clusters,
        starts=(np.cumsum(sizes) - sizes).astype(np.int64),
    )


def _runs(year: _Year, fw: Framework, settings: Settings, rng: np.random.Generator, runs: int):
    """The tiers and ranks of `runs` runs (runs × units each)."""
    n, k = year.used.shape
    weights = year.weights * (1 + rng.uniform(-settings.weight_noise, settings.weight_noise, (runs, k)))
    factors = (100 * weights / (year.maxima * weights.sum(axis=1, keepdims=True))).astype(np.float32)
    points = _shaken(year, settings, rng, runs)
    base = np.einsum("rnk,rk->rn", points, factors)
    official_base = year.used @ year.factors
    moved = np.rint((base - official_base) * 100).astype(np.int64)
    total = np.maximum(year.cents + moved, 0)  # with no noise, exactly the official totals
    tier = np.full((runs, n), FIRST, dtype=np.int8)
    for threshold in fw.thresholds:
        tier += total < cents(threshold)
    if year.zero_cap:
        tier = np.where((points == 0).any(axis=2), np.maximum(tier, year.zero_cap), tier).astype(np.int8)
    tier = np.take(year.capped, tier + np.arange(n) * year.capped.shape[1])  # facts and conditions
    tie_break = np.einsum("rnk,rk->rn", points, factors * year.tie_break)
    order, same = _order(year, total, tie_break)
    rank = _competition_rank(order, same)
    return _quota(year, tier, order, rank, fw), rank


def _shaken(year: _Year, settings: Settings, rng: np.random.Generator, runs: int) -> np.ndarray:
    """Runs × units × criteria points: each appraised score moved by a uniform ±y (in 65,536 steps), kept within
    [0, its maximum]; float32 and 16-bit draws, since this is most of the work."""
    n, k = year.used.shape
    step = year.appraised * np.float32(settings.score_noise / 32767.5)  # a draw d moves a score by (d − 32767.5) × step
    points = np.frombuffer(rng.bytes(runs * n * k * 2), dtype=np.uint16).reshape(runs, n, k).astype(np.float32)
    points *= step
    points += year.used - np.float32(32767.5) * step
    return np.clip(points, 0, year.maxima, out=points)


def _rows(index: np.ndarray) -> np.ndarray:
    """Per-row positions (runs × units) as positions in the flattened array: one `np.take` gathers a whole chunk
    (take_along_axis builds a broadcast index every call and cost a fifth of the analysis)."""
    return index + (np.arange(index.shape[0]) * index.shape[1])[:, None]


def _order(year: _Year, total: np.ndarray, tie_break: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the units best first (total, then the tie-break group's points, then the official rank) by stable
    16-bit radix sorts, as flat positions, and whether each sorted unit ties with the one before it."""
    spans = (np.iinfo(np.uint16).max - np.minimum(total, 65535)).astype(np.uint16)
    group = (np.iinfo(np.uint16).max - np.rint(np.clip(tie_break, 0, 100) * 655.35)).astype(np.uint16)
    order = _rows(np.broadcast_to(year.by_official, total.shape))  # the official order: the last key, sorted once
    for key in (group, spans):
        order = np.take(order, _rows(np.argsort(np.take(key, order), axis=1, kind="stable")))
    keys = [np.take(spans, order), np.take(group, order), year.official_rank[order % total.shape[1]]]
    same = np.zeros(order.shape, dtype=bool)
    same[:, 1:] = np.logical_and.reduce([k[:, 1:] == k[:, :-1] for k in keys])
    return order, same


def _competition_rank(order: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Per run, standard competition ranks (1, 2, 2, 4) from the units in (flat) order and their ties."""
    runs, n = order.shape
    start = np.maximum.accumulate(np.where(same, 0, np.arange(n, dtype=np.int32)), axis=1)
    rank = np.empty((runs, n), dtype=np.int32)
    rank.put(order, start + 1)
    return rank


def _quota(year: _Year, tier: np.ndarray, order: np.ndarray, rank: np.ndarray, fw: Framework) -> np.ndarray:
    """Step 8 in every run and cluster at once: units grouped by cluster (a stable sort keeps rank order inside),
    the first tier kept for each cluster's allowance, units tied across the cut all moved to the second."""
    runs, n = tier.shape
    grouped = np.take(order, _rows(np.argsort(year.cluster[order % n], axis=1, kind="stable")))
    ordered, ranks = np.take(tier, grouped), np.take(rank, grouped)
    starts, sizes = year.starts, np.diff([*year.starts, n])
    allowed = quota_allowed(np.add.reduceat(ordered <= SECOND, starts, axis=1), fw.quota_percent, fw.quota_base)
    candidate = ordered == FIRST
    counted = np.cumsum(candidate, axis=1, dtype=np.int32)
    place = counted - np.repeat(counted[:, starts] - candidate[:, starts], sizes, axis=1)  # among the candidates
    last = np.ones((runs, n), dtype=bool)  # the last unit of its tie within its cluster
    last[:, :-1] = ranks[:, 1:] != ranks[:, :-1]
    last[:, starts[1:] - 1] = True
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, np.arange(n), n), axis=1), axis=1), axis=1)
    moved = candidate & (np.take(place, _rows(end)) > np.repeat(allowed, sizes, axis=1))
    out = np.empty_like(tier)
    out.put(grouped, np.where(moved, SECOND, ordered))
    return out
