"""Tables the dashboard shows, computed from rated years (no Streamlit here: pages only render these)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from . import conditions as cond
from .access import ROLE_LABELS, TIERS_ONLY
from .accounts import AccountInfo
from .components import shown, summed
from .engine import YearResult
from .formats import moment
from .framework import QUOTA_BASES, SCORED_BY, TARGET_LABELS, UNIT, Framework
from .presentation import AUDIT_ACTIONS, ORIGIN_LABELS, markdown, rank_change_text, scale, unit_notes, vn
from .store import DatasetInfo
from .text import fold
from .validation import SEVERITY_LABEL


def tier_counts(result: YearResult) -> pd.Series:
    return result.units["tier"].value_counts().reindex(scale(result.framework).codes, fill_value=0)


def overview(result: YearResult, previous: YearResult | None) -> dict:
    """Cards: number of units, mean total, units per tier, each with the change against the year before."""
    counts = tier_counts(result)
    codes = scale(result.framework).codes
    before = tier_counts(previous).reindex(codes, fill_value=0) if previous is not None else None
    return {
        "units": len(result.units),
        "units_change": None if previous is None else len(result.units) - len(previous.units),
        "mean_total": float(result.units["total"].mean()) if len(result.units) else 0.0,
        "mean_change": None
        if previous is None or not len(previous.units)
        else float(result.units["total"].mean() - previous.units["total"].mean()),
        "tiers": {t: int(counts[t]) for t in codes},
        "tier_changes": {t: None if before is None else int(counts[t] - before[t]) for t in codes},
    }


def tier_by_cluster(result: YearResult) -> pd.DataFrame:
    """Long table cluster × tier → number of units, every tier present for every cluster."""
    codes = list(scale(result.framework).codes)
    tiers = result.units["tier"]
    table = pd.crosstab(result.units["cluster"], pd.Categorical(tiers.where(tiers.isin(codes)), categories=codes))
    return table.reindex(columns=codes, fill_value=0).rename_axis(columns="tier").stack().rename("units").reset_index()


def top_bottom(result: YearResult, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first and the last n by rank (ties by code), without sorting every unit: only those within the n best
    or worst ranks, ties included, are sorted."""
    units = result.units
    order = ["rank", "code"]
    top = units.nsmallest(n, "rank", keep="all").sort_values(order).head(n)
    bottom = units.nlargest(n, "rank", keep="all").sort_values(order).tail(n).iloc[::-1]
    return top, bottom


def filter_units(result: YearResult, cluster: str | None = None, tiers: list[str] | None = None) -> pd.DataFrame:
    units = result.units
    if cluster:
        units = units[units["cluster"] == cluster]
    if tiers:
        units = units[units["tier"].isin(tiers)]
    return units


def criteria_percent(result: YearResult, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units × criteria: points used as a percentage of each criterion's maximum (for the heatmap)."""
    units = result.units if units is None else units
    fw = result.framework
    maxima = pd.Series({c.code: float(c.max_points) for c in shown(fw, UNIT)})
    points = summed(fw, UNIT, result.unit_scores.points.loc[units.index])
    return (points / maxima * 100).set_axis(units["code"].to_numpy())


def self_vs_review(result: YearResult, margin: float, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Self-assessed against appraised base scores of the appraised units; flagged where self exceeds the
    appraisal by more than `margin`."""
    units = result.units if units is None else units
    out = units.loc[units["appraised"], ["code", "name", "cluster", "self_score", "review_score", "tier"]].copy()
    out["gap"] = out["self_score"] - out["review_score"]
    out["flagged"] = out["gap"] > margin
    return out


def unit_profile(result: YearResult, code: str) -> pd.DataFrame:
    """One unit's points per criterion against its cluster's average, both as % of max."""
    units = result.units
    position = units.index[units["code"] == code][0]
    peers = units.index[units["cluster"] == units.at[position, "cluster"]]
    points = summed(result.framework, UNIT, result.unit_scores.points.loc[peers])
    mine, average = points.loc[position], points.mean()
    rows = []
    for c in shown(result.framework, UNIT):
        m = float(c.max_points)
        rows.append(
            {
                "code": c.code,
                "name": c.name,
                "max_points": m,
                "points": float(mine[c.code]),
                "unit_percent": float(mine[c.code]) / m * 100,
                "cluster_percent": float(average[c.code]) / m * 100,
            }
        )
    return pd.DataFrame(rows)


def unit_history(results: list[YearResult], code: str) -> pd.DataFrame:
    """A unit's total, rank, cluster rank and tier in every year it was rated."""
    rows = []
    for r in sorted(results, key=lambda r: r.year):
        found = r.units[r.units["code"] == code]
        if len(found):
            u = found.iloc[0]
            rows.append(
                {
                    "year": r.year,
                    "total": u["total"],
                    "rank": u["rank"],  # none in a year it was not rated
                    "cluster_rank": u["cluster_rank"],
                    "tier": u["tier"],
                    "units": len(r.units),
                    "reason": u["reason"],
                }
            )
    out = pd.DataFrame(rows, columns=["year", "total", "rank", "cluster_rank", "tier", "units", "reason"])
    return out.astype({"rank": "Int64", "cluster_rank": "Int64"})


def unit_leader(result: YearResult, code: str) -> pd.DataFrame:
    return result.leaders[result.leaders["unit_code"] == code]


def mean_by_cluster(results: list[YearResult]) -> pd.DataFrame:
    frames = [r.units.groupby("cluster", as_index=False)["total"].mean().assign(year=r.year) for r in results]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["cluster", "total", "year"])


def tiers_by_year(results: list[YearResult]) -> pd.DataFrame:
    rows = [{"year": r.year, "tier": t, "units": n} for r in results for t, n in tier_counts(r).items()]
    return pd.DataFrame(rows, columns=["year", "tier", "units"])


def transitions(before: YearResult, after: YearResult) -> pd.DataFrame:
    """Units by (tier in the first year, tier in the second), for units rated in both."""
    both = before.units[["code", "tier"]].merge(after.units[["code", "tier"]], on="code", suffixes=("_from", "_to"))
    table = both.groupby(["tier_from", "tier_to"]).size().rename("units").reset_index()
    order = {t: i for i, t in enumerate((*scale(before.framework).codes, *scale(after.framework).codes))}
    return table.sort_values(["tier_from", "tier_to"], key=lambda s: s.map(order)).reset_index(drop=True)


def movers(before: YearResult, after: YearResult, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Most improved and most declined units between two years, by rank change then total change."""
    both = after.units[["code", "name", "cluster", "total", "rank"]].merge(
        before.units[["code", "total", "rank"]], on="code", suffixes=("", "_before")
    )
    both = both.dropna(subset=["rank", "rank_before"])  # a year the unit was not rated: no rank to compare
    both["rank_change"] = both["rank_before"] - both["rank"]
    both["total_change"] = both["total"] - both["total_before"]
    improved = both.sort_values(["rank_change", "total_change", "code"], ascending=[False, False, True]).head(n)
    declined = both.sort_values(["rank_change", "total_change", "code"], ascending=[True, True, True]).head(n)
    return improved[improved["rank_change"] > 0], declined[declined["rank_change"] < 0]


def leader_table(result: YearResult) -> pd.DataFrame:
    """The leaders' ranking with their points per criterion, Vietnamese headers, numbers kept numeric."""
    leaders = result.leaders
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "Xếp hạng": leaders["rank"],
                    "Mã đơn vị": leaders["unit_code"],
                    "Đơn vị": leaders["unit_name"],
                    "Họ và tên": leaders["name"],
                    "Chức vụ": leaders["title"],
                }
            ),
            result.leader_scores.points.loc[leaders.index],
            pd.DataFrame({"Tổng điểm": leaders["total"], "Xếp loại": leaders["tier"], "Ghi chú": leaders["reason"]}),
        ],
        axis=1,
    )


def ranking_table(units: pd.DataFrame, has_previous: bool = True) -> pd.DataFrame:
    """The ranking as users read it: Vietnamese headers, numbers kept numeric (pages format them), arrows
    for rank changes, "Chưa thẩm định" where the committee gave no score."""
    return pd.DataFrame(
        {
            "Hạng": units["rank"],
            "Thay đổi": [rank_change_text(c, has_previous) for c in units["rank_change"]],
            "Mã": units["code"],
            "Tên đơn vị": units["name"],
            "Khối": units["cluster"],
            "Tự chấm": units["self_score"],
            "Thẩm định": units["review_score"],
            "Thưởng": units["bonus"],
            "Trừ": units["penalty"],
            "Tổng điểm": units["total"],
            "Xếp loại": units["tier"],
            "Ghi chú": unit_notes(units),
        }
    )


def ranking_of(result: YearResult, columns: list[str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The ranking table (these columns) of some of a year's units, as a function of the units."""
    return lambda units: ranking_table(units, result.previous_year is not None)[columns]


def public_ranking(units: pd.DataFrame, level: str, fw: Framework | None = None) -> pd.DataFrame:
    """A published ranking as a unit account may see it (`service.disclosure`): code, name, cluster and tier, with
    the total and ranks unless only tiers are public; never other units' criterion scores, self/appraisal split or
    notes. What is not here is not sent to the browser, nor into the table's CSV."""
    if level == TIERS_ONLY:
        order = {code: i for i, code in enumerate(scale(fw).codes)}
        units = units.sort_values(["tier", "code"], key=lambda c: c.map(order) if c.name == "tier" else c)
        return pd.DataFrame(
            {"Mã": units["code"], "Tên đơn vị": units["name"], "Khối": units["cluster"], "Xếp loại": units["tier"]}
        )
    return pd.DataFrame(
        {
            "Hạng": units["rank"],
            "Hạng trong khối": units["cluster_rank"],
            "Mã": units["code"],
            "Tên đơn vị": units["name"],
            "Khối": units["cluster"],
            "Tổng điểm": units["total"],
            "Xếp loại": units["tier"],
        }
    )


NEAR_MARGIN = 1.0  # points: a total this close to a tier threshold is worth a second look before publishing


def decision_marks(
    units: pd.DataFrame, fw: Framework, margin: float = NEAR_MARGIN, keep: pd.Series | None = None
) -> list[str]:
    """What the leadership should look at before publishing: units moved down by the HTXSNV quota, totals
    within `margin` points of a tier threshold, on either side, and (with `keep`, the stability's chance of keeping
    the tier, by code) a tier kept in fewer than SHAKY of the runs."""
    marks = []
    chances = units["code"].map(keep) if keep is not None else pd.Series(float("nan"), index=units.index)
    for total, cut, chance in zip(units["total"].tolist(), units["quota_cut"].tolist(), chances.tolist()):
        found = [f"hạ do chỉ tiêu {scale(fw).first}"] if cut else []
        if chance < SHAKY:
            found.append(f"khả năng giữ xếp loại {vn(chance * 100, 0)} % (tham khảo)")
        for code, threshold in zip(scale(fw).codes, map(float, fw.thresholds)):  # each threshold, best tier first
            if 0 < threshold - total <= margin:
                found.append(f"thiếu {vn(threshold - total)} điểm để đạt ngưỡng {code}")
            elif 0 <= total - threshold < margin:
                found.append(f"vừa đạt ngưỡng {code} (hơn {vn(total - threshold)} điểm)")
        marks.append("; ".join(found))
    return marks


SHAKY = 0.8  # a unit keeping its tier in fewer runs than this is pointed out


def stability_table(result: YearResult, table: pd.DataFrame) -> pd.DataFrame:
    """The units whose tier is least sure (below SHAKY), least sure first: chance of each tier, the rank's band."""
    sc = scale(result.framework)
    units = result.units.set_index("code")
    shaky = table[table["keep_tier"] < SHAKY].sort_values(["keep_tier", "rank_median"])
    return pd.DataFrame(
        {
            "Mã": shaky.index,
            "Tên đơn vị": units.loc[shaky.index, "name"].to_numpy(),
            "Xếp loại": units.loc[shaky.index, "tier"].to_numpy(),
            "Tổng điểm": units.loc[shaky.index, "total"].to_numpy(),
            "Giữ xếp loại": [f"{vn(p * 100, 0)} %" for p in shaky["keep_tier"]],
            "Khả năng từng mức": [
                " · ".join(f"{code} {vn(row[code] * 100, 0)} %" for code in sc.codes if row[code] >= 0.005)
                for _, row in shaky.iterrows()
            ],
            "Hạng": units.loc[shaky.index, "rank"].to_numpy(),
            "Hạng (5–95 %)": [f"{int(a)}–{int(b)}" for a, b in zip(shaky["rank_p5"], shaky["rank_p95"])],
        }
    )


def issues_table(issues) -> pd.DataFrame:
    """Problems of a read, one row each, as the upload page lists them."""
    return pd.DataFrame(
        [
            {
                "Mức độ": SEVERITY_LABEL[i.severity],
                "Tệp": i.file,
                "Trang": i.sheet,
                "Dòng": i.row,
                "Cột": i.column,
                "Giá trị": i.value,
                "Nội dung": i.message,
            }
            for i in issues
        ],
        columns=["Mức độ", "Tệp", "Trang", "Dòng", "Cột", "Giá trị", "Nội dung"],
    ).astype({"Dòng": "Int64"})


def framework_change(now: YearResult, after: YearResult) -> pd.DataFrame:
    """Units whose rank or tier would change under another framework, matched by unit code."""
    before = now.units.set_index("code")
    new = after.units.set_index("code").reindex(before.index)
    table = pd.DataFrame(
        {
            "Tên đơn vị": before["name"],
            "Tổng điểm hiện tại": before["total"],
            "Tổng điểm mới": new["total"],
            "Hạng hiện tại": before["rank"],
            "Hạng mới": new["rank"],
            "Xếp loại hiện tại": before["tier"].map(scale(now.framework).label),
            "Xếp loại mới": new["tier"].map(scale(after.framework).label),
        }
    )
    changed = before["rank"].ne(new["rank"]).fillna(True) | (before["tier"] != new["tier"])
    return table[changed].reset_index(names="Mã đơn vị")


def version_table(history: list[DatasetInfo]) -> pd.DataFrame:
    """The stored versions of a year, newest first."""
    return pd.DataFrame(
        [
            {
                "Phiên bản": d.id,
                "Đang dùng": "✔" if d.active else "",
                "Nhập lúc": moment(d.imported_at),
                "Người nhập": d.imported_by,
                "Số đơn vị": d.unit_count,
                "Bộ tiêu chí": d.framework_name,
                "Chọn bộ tiêu chí": ORIGIN_LABELS.get(d.framework_origin, ""),
                "Tệp": ", ".join(s.name for s in d.files),
            }
            for d in reversed(history)
        ]
    )


def accounts_table(accounts: list[AccountInfo]) -> pd.DataFrame:
    """The accounts as Tài khoản lists them; their committee when they are of more than one."""
    table = pd.DataFrame(
        [
            {
                "Tên đăng nhập": a.login,
                "Họ tên": a.full_name,
                "Vai trò": ROLE_LABELS[a.role],
                "Đơn vị": a.unit_code or "",
                "E-mail": a.email or "",
                "Trạng thái": ("Đang dùng" if a.active else "Đã khoá")
                + (" · tạm khoá do nhập sai" if a.locked else "")
                + (" · phải đổi mật khẩu" if a.must_change_password else ""),
                "Sửa lúc": moment(a.changed_at),
                "Sửa bởi": a.changed_by,
            }
            for a in accounts
        ],
        columns=["Tên đăng nhập", "Họ tên", "Vai trò", "Đơn vị", "E-mail", "Trạng thái", "Sửa lúc", "Sửa bởi"],
    )
    if len({a.committee for a in accounts}) > 1:
        table.insert(2, "Cấp ủy", [a.committee for a in accounts])
    return table


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The audit log as the Tài khoản page shows it, newest first."""
    return pd.DataFrame(
        {
            "Lúc": [moment(at, seconds=True) for at in log["at"]],
            "Người thực hiện": log["who"],
            "Việc": [AUDIT_ACTIONS.get(a, a) for a in log["action"]],
            "Năm": [_whole(v) for v in log["year"]],
            "Phiên bản": [_whole(v) for v in log["dataset_id"]],
            "Chi tiết": log["detail"],
        }
    )


def _whole(value) -> str:
    return "" if pd.isna(value) else str(int(value))


def framework_table(fw: Framework) -> pd.DataFrame:
    """The criteria of a framework, read-only."""
    return pd.DataFrame(
        [
            {
                "Mã tiêu chí": c.code,
                "Nhóm": c.group or "",
                "Tên tiêu chí": c.name,
                "Điểm tối đa": float(c.max_points),
                "Trọng số": float(fw.weight_of(c.code)),
                "Đối tượng": TARGET_LABELS[c.target],
                "Người chấm": SCORED_BY[c.scored_by] + (markdown(" (thành phần của {})", c.parent) if c.parent else ""),
            }
            for c in fw.criteria
        ]
    )


def framework_rules_text(fw: Framework) -> str:
    """Thresholds, quota, bonus and penalty caps in one paragraph (Markdown)."""
    thresholds = ", ".join(markdown("{} từ **{}**", t.code, vn(float(m), 1)) for t, m in zip(fw.tiers, fw.thresholds))
    beside = markdown(" · điều kiện ngoài điểm: {}", cond.describe(fw.conditions)) if fw.conditions else ""
    return (
        markdown("Ngưỡng: ")
        + thresholds
        + beside
        + markdown(
            " điểm · chỉ tiêu {} **{}%** {} · "
            "điểm thưởng tối đa **{}**, điểm trừ tối đa **{}** · đồng điểm phân định theo nhóm **{}**.",
            fw.tier_code(1),
            vn(float(fw.quota_percent), 1),
            QUOTA_BASES[fw.quota_base],
            vn(float(fw.bonus_max), 1),
            vn(float(fw.penalty_max), 1),
            fw.tie_break_group,
        )
    )


def unit_criteria(result: YearResult, code: str, components: bool = False) -> pd.DataFrame:
    """One unit's self score, appraisal and points used per criterion (a criterion with components: their sums;
    with `components`, each component after its criterion)."""
    fw = result.framework
    row = result.units.index[result.units["code"] == code][:1]
    scores = result.unit_scores
    criteria = shown(fw, UNIT, components)

    def of(frame: pd.DataFrame) -> list:
        return summed(fw, UNIT, frame.loc[row], components).iloc[0].to_numpy(dtype=float)

    return pd.DataFrame(
        {
            "Mã": [c.code for c in criteria],
            "Tiêu chí": [c.name for c in criteria],
            "Tối đa": [float(c.max_points) for c in criteria],
            "Tự chấm": of(scores.self_scores),
            "Thẩm định": of(scores.review_scores),
            "Điểm tính": of(scores.points),
        }
    )


def unit_choices(units: pd.DataFrame, typed: str, limit: int) -> dict[str, str]:
    """Code → "code – name" of the units whose code or name contains the typed text (case and accents ignored), at
    most `limit`, in the frame's order: what a select box offers (60,000 labels cost a fifth of a second)."""
    found = matching(units, typed).head(limit)
    return dict(zip(found["code"], found["code"] + " – " + found["name"]))


def matching(units: pd.DataFrame, typed: str) -> pd.DataFrame:
    """The units whose code or name contains the typed text, case and accents ignored; all when nothing is typed."""
    key = fold(typed)
    if not key:
        return units
    return units[(units["code"] + " " + units["name"]).map(fold).str.contains(key, regex=False)]
