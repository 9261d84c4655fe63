"""Exact arithmetic of scores: weighted totals in hundredths computed without floating-point drift, and orders
that break ties exactly (docs/rules.md, rounding and ties)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

from .framework import Framework
from .text import exact

# Two decimal rounding is decided on floats, except within this distance of a half cent, where the
# exact decimal value of the inputs decides (docs/rules.md step 4: half-up on decimals, not float rounding).
_TIE_EPS = 1e-6


# Float sums closer than this may be equal or not: the exact decimal values decide (tie-breaks).
_NOISE = 1e-9


def _factors(fw: Framework, target: str) -> np.ndarray:
    """Per criterion: 100 × weight / (max × Σweights), so that base = Σ score × factor."""
    weights = fw.weights(target)
    total = sum(weights.values())
    return np.array([float(100 * weights[c.code] / (c.max_points * total)) for c in fw.of(target)])


def _exact_factors(fw: Framework, target: str) -> list[Fraction]:
    weights = fw.weights(target)
    total = Fraction(sum(weights.values()))
    return [100 * Fraction(weights[c.code]) / (Fraction(c.max_points) * total) for c in fw.of(target)]


def to_cents(raw: np.ndarray, exact_value) -> np.ndarray:
    """Half-up rounding to 2 decimals as integer cents (step 4).

    `exact_value(i)` gives the exact Fraction of row i; it is called only for values within float
    noise of a half cent, where float rounding could go the wrong way.
    """
    scaled = raw * 100.0
    cents = np.floor(scaled + 0.5).astype(np.int64)
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _TIE_EPS):
        shifted = exact_value(i) * 100 + Fraction(1, 2)
        cents[i] = shifted.numerator // shifted.denominator
    return cents


def weighted_cents(fw: Framework, target: str, points: np.ndarray, bonus=None, penalty=None) -> np.ndarray:
    """Rounded 100 × Σ(points × weight / max) / Σweights [+ bonus − penalty, floor 0], in cents."""
    raw = (points * _factors(fw, target)).sum(axis=1)
    if bonus is not None:
        raw = np.maximum(raw + bonus - penalty, 0.0)
    dot, scale = _exact_dot(_exact_factors(fw, target))

    def exact_value(i: int) -> Fraction:
        value = Fraction(dot(points[i]), scale)
        if bonus is not None:
            value = max(value + Fraction(exact(bonus[i])) - Fraction(exact(penalty[i])), Fraction(0))
        return value

    return to_cents(raw, exact_value)


def _exact_dot(factors: list[Fraction]):
    """Σ points × factor of a row, each point taken at its typed decimal value, times `scale` (returned with it):
    an integer whenever the points have at most 30 decimals, else an exact Fraction. Rows compare and tie as their
    exact values do, in integer arithmetic; scores repeat, so each criterion's term of a value is made once."""
    scale = math.lcm(*(f.denominator for f in factors)) * 10**30
    scaled = [f.numerator * (scale // f.denominator) for f in factors]
    made: list[dict[float, int | Fraction]] = [{} for _ in factors]

    def dot(points: np.ndarray) -> int | Fraction:
        total = 0
        for point, factor, terms in zip(points.tolist(), scaled, made):
            term = terms.get(point)
            if term is None:
                numerator, denominator = exact(point).as_integer_ratio()
                term = terms[point] = (
                    numerator * (factor // denominator)
                    if factor % denominator == 0
                    else Fraction(numerator * factor, denominator)
                )
            total += term
        return total

    return dot, scale


def exact_order(values: np.ndarray, exact_value) -> np.ndarray:
    """Integer keys that order rows as their exact values do: floats decide where they are clearly apart, the
    exact value (`exact_value(i)`, a Fraction) only among different floats within noise of each other; equal
    values, equal keys. Rows with the very same float share a key without exact arithmetic: sums of typed decimal
    scores that differ exactly differ far above float resolution, and 60,000 units repeat few sums."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    apart = np.diff(ordered) > _NOISE * np.maximum(1.0, np.abs(ordered[1:]))
    keys = np.empty(n, dtype=np.int64)
    key, start = 0, 0
    for end in np.append(np.flatnonzero(apart) + 1, n).tolist():
        members = order[start:end]
        if ordered[start] == ordered[end - 1]:  # one float value: one key
            keys[members] = key
            key += 1
        else:
            exact_values = {int(i): exact_value(int(i)) for i in members}
            distinct = sorted(set(exact_values.values()))
            rank = {v: key + j for j, v in enumerate(distinct)}
            for i, v in exact_values.items():
                keys[i] = rank[v]
            key += len(distinct)
        start = end
    return keys


_PLACES = 10**6


def _scaled_sums(points: np.ndarray, factors: list[Fraction]) -> np.ndarray | None:
    """Σ points × factor of every row at once, exactly, times one scale, as int64: when every point is a decimal of at
    most 6 places (as typed: its shortest repr) below 10⁹ and the sums fit in 63 bits; else None (the caller sums
    row by row). A national round ties thousands of units on their totals: this is the tie-break at numpy speed."""
    if points.size == 0 or not np.isfinite(points).all() or np.abs(points).max() >= 1e9:
        return None
    steps = np.rint(points * _PLACES)
    # A float equal to k / 10⁶ has that decimal as its shortest repr: below 10⁹ floats are closer than 10⁻⁶.
    if not np.array_equal(steps / _PLACES, points):
        return None
    common = math.lcm(*(f.denominator for f in factors))
    coefficients = [f.numerator * (common // f.denominator) for f in factors]
    if int(np.abs(steps).max()) * sum(map(abs, coefficients)) >= 2**62:
        return None
    return steps.astype(np.int64) @ np.array(coefficients, dtype=np.int64)


def cents(value: Decimal | float) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))
