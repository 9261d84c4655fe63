"""Whether two rated years (or two committees' years) can be compared like for like: a rank change or a trend
across frameworks with other thresholds, weights, criteria, scale, conditions or quota is not one, and is said so,
naming what differs."""

from __future__ import annotations

from dataclasses import replace

from .formats import number_setting
from .framework import Framework


def framework_differences(a: Framework, b: Framework) -> list[str]:
    """What makes two frameworks rate differently, in Vietnamese (their names aside); empty when they agree."""
    if replace(a, name="") == replace(b, name=""):
        return []
    said = []
    if [t.code for t in a.tiers] != [t.code for t in b.tiers]:
        said.append("thang xếp loại " + " / ".join("–".join(t.code for t in x.tiers) for x in (a, b)))
    elif a.thresholds != b.thresholds:
        said.append("ngưỡng xếp loại " + _pair(a.thresholds, b.thresholds))
    if (a.quota_percent, a.quota_base) != (b.quota_percent, b.quota_base):
        said.append(f"tỷ lệ HTXSNV {number_setting(a.quota_percent)} % / {number_setting(b.quota_percent)} %")
    codes_a, codes_b = [c.code for c in a.criteria], [c.code for c in b.criteria]
    if codes_a != codes_b:
        only = sorted(set(codes_a) ^ set(codes_b))
        said.append("tiêu chí khác nhau" + (f" ({', '.join(only[:6])})" if only else " (thứ tự)"))
    elif a.criteria != b.criteria or a.groups != b.groups:
        changed = [x.code for x, y in zip(a.criteria, b.criteria) if x != y]
        said.append("điểm tối đa hoặc trọng số" + (f" ({', '.join(changed[:6])})" if changed else " của nhóm"))
    if a.conditions != b.conditions:
        said.append("điều kiện xếp loại ngoài điểm")
    if not said:
        said.append("điểm thưởng, điểm trừ hoặc quy tắc xếp hạng")
    return said


def _pair(x: tuple, y: tuple) -> str:
    return "–".join(map(number_setting, x)) + " / " + "–".join(map(number_setting, y))


def caveat(before: Framework | None, after: Framework, first: int | None, second: int) -> str:
    """The sentence a rank change or a trend from year `first` to `second` carries when their frameworks differ;
    "" when they agree (or there is no earlier year)."""
    if before is None or first is None:
        return ""
    differences = framework_differences(before, after)
    if not differences:
        return ""
    return (
        f"Năm {first} và năm {second} xếp loại theo bộ tiêu chí khác nhau ({'; '.join(differences)}): thay đổi "
        "thứ hạng và xu hướng giữa hai năm không phải so sánh ngang nhau."
    )
