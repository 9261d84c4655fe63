"""Plotly figures of the dashboard, in the tier colours of the report (no Streamlit here)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .engine import YearResult
from .formats import format_vn, number_setting
from .presentation import Scale, scale

FONT = dict(family="Arial, sans-serif", size=13)
MAX_BARS = 60  # a bar per unit above this is unreadable: show the top and bottom halves
MAX_POINTS = 2000  # above this many units the self/appraisal scatter becomes a density
MAX_FLAGGED = 300  # …with the largest overstatements still drawn as points
RED, GREY = "#C62828", "#9E9E9E"  # what stands out (moved down, overstated); a tier another scale named


def _tiers(sc: Scale, present) -> list[str]:
    """The scale's tiers, then any other code present (a year rated on another scale), in order."""
    return [*sc.codes, *sorted(set(present) - set(sc.codes))]


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(  # one update: each of plotly's updates walks the whole layout (charts have one x and y axis)
        title=title,
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        separators=",.",
        legend_title_text="",
        plot_bgcolor="white",
        xaxis_gridcolor="#eeeeee",
        yaxis_gridcolor="#eeeeee",
    )
    return fig


def _count_axis(fig: go.Figure, largest: float) -> None:
    """A y axis of whole numbers of units: ticks 1 apart for small counts, never "0, 0, 1, 1"."""
    fig.update_yaxes(rangemode="tozero", tickformat="d", dtick=max(1, math.ceil(float(largest) / 8)))


def tier_bars_by_cluster(table: pd.DataFrame, sc: Scale) -> go.Figure:
    """Stacked bars: units per tier in each cluster (views.tier_by_cluster)."""
    fig = go.Figure(
        [
            go.Bar(
                name=sc.label[t],
                x=table.loc[table.tier == t, "cluster"],
                y=table.loc[table.tier == t, "units"],
                marker_color=sc.colour[t],
            )
            for t in sc.codes
        ]
    )
    fig.update_layout(barmode="stack", yaxis_title="Số đơn vị")
    _count_axis(fig, table.groupby("cluster")["units"].sum().max() if len(table) else 0)
    return _layout(fig, "Xếp loại theo khối")


def quota_bars(quota: pd.DataFrame, percent, sc: Scale) -> go.Figure:
    top = sc.first
    fig = go.Figure(
        [
            go.Bar(name=f"Chỉ tiêu {top} tối đa", x=quota["cluster"], y=quota["allowed"], marker_color="#9e9e9e"),
            go.Bar(name=f"Được xếp {top}", x=quota["cluster"], y=quota["given"], marker_color=sc.colour[top]),
            go.Bar(name="Bị hạ do chỉ tiêu", x=quota["cluster"], y=quota["moved_down"], marker_color=RED),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="Số đơn vị")
    _count_axis(fig, max(quota[["allowed", "given", "moved_down"]].to_numpy().max(initial=0), 1))
    return _layout(fig, f"Sử dụng chỉ tiêu {number_setting(percent)}% theo khối", 360)


def total_bars(units: pd.DataFrame, result: YearResult) -> go.Figure:
    """Horizontal bars of totals coloured by tier, with the threshold lines; top and bottom when many."""
    shown = units.sort_values("rank")
    if len(shown) > MAX_BARS:
        shown = pd.concat([shown.head(MAX_BARS // 2), shown.tail(MAX_BARS // 2)])
    shown = shown.iloc[::-1]
    labels = shown["code"] + " · " + shown["name"].str.slice(0, 36)
    fig = go.Figure()
    sc = scale(result.framework)
    for t in sc.codes:
        part = shown["tier"] == t
        fig.add_bar(
            y=labels[part],
            x=shown.loc[part, "total"],
            orientation="h",
            name=sc.label[t],
            marker_color=sc.colour[t],
            hovertemplate="%{y}<br>Tổng điểm: %{x:.2f}<extra></extra>",
        )
    lines = list(zip(map(float, result.framework.thresholds), sc.codes))  # each threshold, best tier first
    fig.update_layout(  # the lines as the layout's shapes: plotly's add_vline costs 13 ms a line
        barmode="overlay",
        xaxis_title="Tổng điểm",
        yaxis=dict(categoryorder="array", categoryarray=list(labels)),
        shapes=[
            dict(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line=dict(dash="dash", color=sc.colour[t]))
            for x, t in lines
        ],
        annotations=[
            dict(x=x, y=1, yref="paper", yanchor="bottom", showarrow=False, text=f"{t} ≥ {number_setting(x)}")
            for x, t in lines
        ],
    )
    title = "Tổng điểm và ngưỡng xếp loại" + (
        f" ({MAX_BARS // 2} cao nhất và {MAX_BARS // 2} thấp nhất)" if len(units) > MAX_BARS else ""
    )
    return _layout(fig, title, max(360, 22 * len(shown) + 120))


def criteria_heatmap(percent: pd.DataFrame) -> go.Figure:
    shown = percent if len(percent) <= MAX_BARS else percent.head(MAX_BARS)
    fig = go.Figure(
        go.Heatmap(
            z=shown.to_numpy(),
            x=list(shown.columns),
            y=list(shown.index),
            zmin=0,
            zmax=100,
            colorscale="RdYlGn",
            colorbar=dict(title="% tối đa"),
            hovertemplate="%{y} · tiêu chí %{x}: %{z:.0f}%<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    title = "Điểm từng tiêu chí (% điểm tối đa)" + (f" – {MAX_BARS} đơn vị đầu" if len(percent) > MAX_BARS else "")
    return _layout(fig, title, max(360, 18 * len(shown) + 120))


def self_review_scatter(table: pd.DataFrame, margin: float) -> go.Figure:
    """Self against appraised score, one point per unit; above MAX_POINTS units the units are drawn as a density
    (units per 1 × 1 point cell) with only the MAX_FLAGGED largest overstatements as points: a browser cannot
    usefully draw 60,000 markers, and it is the overstated units that a reader looks for."""
    many = len(table) > MAX_POINTS
    fig = go.Figure()
    if many:
        fig.add_trace(_density(table["review_score"], table["self_score"]))
    flagged_name = f"Tự chấm cao hơn thẩm định trên {number_setting(margin)} điểm"
    for flagged, name, colour in ((False, "Tự chấm sát thẩm định", "#607d8b"), (True, flagged_name, RED)):
        part = table[table["flagged"] == flagged]
        if many:
            if not flagged:
                continue
            part = part.nlargest(MAX_FLAGGED, "gap")
            name = f"{name} ({len(part)} chênh nhiều nhất)" if table["flagged"].sum() > MAX_FLAGGED else name
        fig.add_scatter(
            x=part["review_score"],
            y=part["self_score"],
            mode="markers",
            name=name,
            marker=dict(color=colour, size=9),
            text=part["code"] + " · " + part["name"],
            hovertemplate="%{text}<br>Thẩm định: %{x:.2f}<br>Tự chấm: %{y:.2f}<extra></extra>",
        )
    low = float(min(table["review_score"].min(), table["self_score"].min(), 0)) if len(table) else 0
    fig.add_scatter(
        x=[low, 100], y=[low, 100], mode="lines", name="Tự chấm = thẩm định", line=dict(color="#9e9e9e", dash="dot")
    )
    fig.update_layout(xaxis_title="Điểm thẩm định", yaxis_title="Điểm tự chấm")
    return _layout(fig, "Tự chấm so với thẩm định" + (f" ({len(table)} đơn vị, theo mật độ)" if many else ""))


def _density(x: pd.Series, y: pd.Series) -> go.Heatmap:
    """Units per 1 × 1 point cell, counted here: the browser is sent the counts of at most ~100 × 100 cells, not
    the two scores of every unit (1.2 MB of JSON for 60,000 units, and binned again in the browser)."""
    x_edges = np.arange(math.floor(x.min()), math.floor(x.max()) + 2)
    y_edges = np.arange(math.floor(y.min()), math.floor(y.max()) + 2)
    counts = np.histogram2d(x, y, bins=[x_edges, y_edges])[0].T  # rows: self score, as the y axis
    cells = np.meshgrid(x_edges[:-1], y_edges[:-1]) + np.meshgrid(x_edges[1:], y_edges[1:])  # lower, upper bounds
    return go.Heatmap(
        x=x_edges[:-1] + 0.5,
        y=y_edges[:-1] + 0.5,
        z=np.where(counts > 0, counts, np.nan),
        colorscale="Greys",
        colorbar=dict(title="Số đơn vị"),
        name="Mật độ đơn vị",
        hoverongaps=False,
        customdata=np.dstack(cells),
        hovertemplate="Thẩm định từ %{customdata[0]} đến dưới %{customdata[2]}, tự chấm từ "
        "%{customdata[1]} đến dưới %{customdata[3]}: %{z} đơn vị<extra></extra>",
    )


def unit_vs_cluster(profile: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        [
            go.Bar(name="Đơn vị", x=profile["code"], y=profile["unit_percent"], marker_color="#1565C0"),
            go.Bar(name="Trung bình khối", x=profile["code"], y=profile["cluster_percent"], marker_color="#B0BEC5"),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="% điểm tối đa", yaxis_range=[0, 105])
    fig.update_xaxes(type="category", title="Tiêu chí")
    return _layout(fig, "Điểm từng tiêu chí so với trung bình khối", 380)


def unit_history_chart(history: pd.DataFrame, sc: Scale) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=history["year"].astype(str),
            y=history["total"],
            mode="lines+markers+text",
            text=[format_vn(t) for t in history["total"]],
            textposition="top center",
            marker=dict(size=11, color=[sc.colour.get(t, GREY) for t in history["tier"]]),
            line=dict(color="#90A4AE"),
        )
    )
    fig.update_layout(yaxis_title="Tổng điểm", xaxis_title="Năm", showlegend=False)
    fig.update_xaxes(type="category")
    return _layout(fig, "Tổng điểm qua các năm", 340)


def mean_by_cluster_chart(table: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        [
            go.Scatter(x=part["year"].astype(str), y=part["total"], mode="lines+markers", name=cluster)
            for cluster, part in table.groupby("cluster")
        ]
    )
    fig.update_layout(yaxis_title="Điểm trung bình", xaxis_title="Năm")
    fig.update_xaxes(type="category")
    return _layout(fig, "Điểm trung bình theo khối qua các năm")


def tiers_by_year_chart(table: pd.DataFrame, sc: Scale) -> go.Figure:
    """Units per tier each year, on the scale of the latest year (tiers of another scale after it, in grey)."""
    fig = go.Figure(
        [
            go.Bar(
                name=sc.label.get(t, t),
                x=table.loc[table.tier == t, "year"].astype(str),
                y=table.loc[table.tier == t, "units"],
                marker_color=sc.colour.get(t, GREY),
            )
            for t in _tiers(sc, table["tier"])
        ]
    )
    fig.update_layout(barmode="stack", yaxis_title="Số đơn vị", xaxis_title="Năm")
    fig.update_xaxes(type="category")
    return _layout(fig, "Xếp loại qua các năm")


def transition_sankey(table: pd.DataFrame, year_from: int, year_to: int, sc: Scale) -> go.Figure:
    """Units moving between tiers, tiers in their order (best at the top) with their counts; only tiers
    that hold units get a node, as plotly cannot place empty ones."""

    def nodes(column: str, year: int, x: float) -> list[tuple[str, str, float, str, float]]:
        """(tier, label, x, colour, y): y is the node's centre, stacked best first in proportion to its units."""
        counts = table.groupby(column)["units"].sum()
        present = [t for t in _tiers(sc, counts.index) if counts.get(t, 0)]
        total, before, out = float(counts.sum()), 0.0, []
        for t in present:
            centre = 0.02 + 0.96 * (before + counts[t] / 2) / total
            out.append((t, f"{t} {year}: {int(counts[t])}", x, sc.colour.get(t, GREY), centre))
            before += counts[t]
        return out

    left, right = nodes("tier_from", year_from, 0.01), nodes("tier_to", year_to, 0.99)
    all_nodes = left + right
    where = {("from", n[0]): i for i, n in enumerate(left)} | {("to", n[0]): len(left) + i for i, n in enumerate(right)}
    y = [n[4] for n in all_nodes]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(
                label=[n[1] for n in all_nodes],
                color=[n[3] for n in all_nodes],
                x=[n[2] for n in all_nodes],
                y=y,
                pad=18,
            ),
            link=dict(
                source=[where["from", t] for t in table["tier_from"]],
                target=[where["to", t] for t in table["tier_to"]],
                value=table["units"].tolist(),
                color="rgba(120,144,156,0.35)",
                hovertemplate="%{source.label} → %{target.label}: %{value} đơn vị<extra></extra>",
            ),
        )
    )
    return _layout(fig, f"Chuyển đổi xếp loại {year_from} → {year_to} (đơn vị có trong cả hai năm)")


def committee_spread(comparison: pd.DataFrame) -> go.Figure:
    """Each committee's totals: the middle half of its units (a bar from the lower to the upper quartile) and the
    median, side by side; with its share appraised at the maximum as the hover, so an outlier shows."""
    table = comparison.sort_values("median")
    labels = table["name"] + " (" + table["committee"] + ")"
    fig = go.Figure(
        [
            go.Bar(
                name="Nửa giữa các đơn vị (tứ phân vị dưới – trên)",
                y=labels,
                x=table["q3"] - table["q1"],
                base=table["q1"],
                orientation="h",
                marker_color="#BBDEFB",
                hovertemplate="%{y}: %{base:.2f} – %{x:.2f}<extra></extra>",
            ),
            go.Scatter(
                name="Trung vị tổng điểm",
                y=labels,
                x=table["median"],
                mode="markers",
                marker=dict(color="#1565C0", size=10, symbol="line-ns-open", line=dict(width=3)),
                customdata=np.stack([table["full_marks"] * 100, table["top_share"] * 100], axis=-1),
                hovertemplate="%{y}<br>Trung vị %{x:.2f}<br>Thẩm định tối đa %{customdata[0]:.0f} %"
                "<br>HTXSNV %{customdata[1]:.0f} %<extra></extra>",
            ),
        ]
    )
    fig.update_layout(xaxis_title="Tổng điểm", barmode="overlay")
    return _layout(fig, "Tổng điểm các đơn vị theo cấp ủy", max(320, 60 + 28 * len(table)))
