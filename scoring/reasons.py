"""Why a tier is below what the score alone gives: the causes each step recorded, in the order applied, and the
one line in Vietnamese that names them (docs/rules.md step 11)."""

from __future__ import annotations

import numpy as np

from .formats import format_vn
from .framework import Framework
from .text import DISCIPLINE_LABELS


class Reasons:
    """Causes that lowered each row's tier, in the order the steps applied."""

    def __init__(self, n: int, fw: Framework):
        self.causes = np.full(n, "", dtype=object)
        self.fw = fw

    def lower(self, tier: np.ndarray, cap: np.ndarray, cause) -> np.ndarray:
        """Lower tier to cap where cap is worse; record the cause where it changed the tier.

        `cause` is a text, or a function of the row index called only for the rows that changed."""
        new = np.maximum(tier, cap).astype(np.int8)
        for i in np.flatnonzero(new != tier).tolist():
            text = cause if isinstance(cause, str) else cause(i)
            self.causes[i] = f"{self.causes[i]}; {text}" if self.causes[i] else text
        return new

    def lines(self, score_tier: np.ndarray, tier: np.ndarray, total_cents: np.ndarray) -> np.ndarray:
        out = np.full(len(tier), "", dtype=object)
        for i in np.flatnonzero(tier != score_tier):
            out[i] = (
                f"Đủ điểm {self.fw.tier_code(score_tier[i])} ({format_vn(total_cents[i] / 100)}) "
                f"nhưng {self.causes[i]} → {self.fw.tier_code(tier[i])}"
            )
        return out


def discipline_text(level: int) -> str:
    return DISCIPLINE_LABELS.get(level, "")
