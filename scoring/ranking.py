"""Ranks and the quota (docs/rules.md steps 8–9), exact and vectorised: standard competition ranking over several
keys, and the cut that keeps the first tier for at most the quota of each group in rank order."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from .framework import QUOTA_OF_GOOD, QUOTA_OF_TOP_TWO

# Tiers by position in the framework's scale, best first: the quota keeps the first and moves the rest to the second.
FIRST, SECOND = 1, 2


def competition_rank(keys: list[np.ndarray], groups: np.ndarray | None = None) -> np.ndarray:
    """Standard competition ranking (1, 2, 2, 4) ascending on `keys` (first key primary),
    within each value of `groups` when given."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    sort_keys = list(reversed(keys)) + ([groups] if groups is not None else [])
    order = np.lexsort(sort_keys)
    pos = np.arange(n)
    new_tie = np.zeros(n, dtype=bool)
    new_tie[0] = True
    for k in keys + ([groups] if groups is not None else []):
        ks = k[order]
        new_tie[1:] |= ks[1:] != ks[:-1]
    tie_start = np.maximum.accumulate(np.where(new_tie, pos, 0))
    if groups is None:
        group_start = 0
    else:
        gs = groups[order]
        new_group = np.r_[True, gs[1:] != gs[:-1]]
        group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = tie_start - group_start + 1
    return ranks


def quota_allowed(eligible: np.ndarray, percent: Decimal, base: str = QUOTA_OF_TOP_TWO) -> np.ndarray:
    """How many of a pool of n units rated HTXSNV or HTTNV may keep HTXSNV (step 8), in exact arithmetic:
    floor(p × n) by default; with the literal reading (at most p of those finally HTTNV), the largest k
    with k ≤ p × (n − k), i.e. floor(p × n / (1 + p))."""
    p = Fraction(percent) / 100
    if base == QUOTA_OF_GOOD:
        return (eligible * p.numerator) // (p.numerator + p.denominator)
    return (eligible * p.numerator) // p.denominator


def quota_cut(tier, rank, groups, n_groups, percent: Decimal, base: str = QUOTA_OF_TOP_TWO):
    """Step 8: within each group, keep HTXSNV for at most `quota_allowed` units in rank order; units tied
    on rank across the cut all drop.

    Returns (kept, straddling, eligible per group, allowed per group); `straddling` marks the dropped
    units whose tie began inside the allowance."""
    eligible = np.bincount(groups, weights=(tier <= SECOND), minlength=n_groups).astype(np.int64)
    allowed = quota_allowed(eligible, percent, base)
    cand = np.flatnonzero(tier == FIRST)
    keep = np.zeros(len(tier), dtype=bool)
    straddling = np.zeros(len(tier), dtype=bool)
    if len(cand):
        g, r = groups[cand], rank[cand]
        order = np.lexsort((r, g))
        g, r, idx = g[order], r[order], cand[order]
        pos = np.arange(len(idx))
        new_group = np.r_[True, g[1:] != g[:-1]]
        place = pos - np.maximum.accumulate(np.where(new_group, pos, 0)) + 1  # 1-based within group
        # First and last place of each unit's tie on rank.
        new_tie = new_group | np.r_[True, r[1:] != r[:-1]]
        tie_id = np.cumsum(new_tie) - 1
        tie_first = place[new_tie][tie_id]
        tie_last = np.zeros(tie_id[-1] + 1, dtype=np.int64)
        np.maximum.at(tie_last, tie_id, place)
        tie_last = tie_last[tie_id]
        keep[idx] = tie_last <= allowed[g]
        straddling[idx] = (tie_first <= allowed[g]) & (tie_last > allowed[g])
    return keep, straddling, eligible, allowed
