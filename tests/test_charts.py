"""Chart builders: tier colours, categorical axes for codes and years, top/bottom cut for many units."""

from builders import FW, unit, year_data

from scoring import charts, rate_year, views
from scoring.presentation import scale


def result(n=5):
    return rate_year(year_data([unit(f"U{i:03d}", total=99 - i * 0.5, cluster=f"K{i % 2}") for i in range(n)]), FW)


def test_tier_colours_and_category_axes():
    r = result()
    fig = charts.tier_bars_by_cluster(views.tier_by_cluster(r), scale(r.framework))
    assert [t.marker.color for t in fig.data] == ["#2E7D32", "#1565C0", "#F9A825", "#C62828"]  # the report's tones
    assert charts.unit_vs_cluster(views.unit_profile(r, "U000")).layout.xaxis.type == "category"
    assert charts.unit_history_chart(views.unit_history([r], "U000"), scale()).layout.xaxis.type == "category"
    assert charts.criteria_heatmap(views.criteria_percent(r)).layout.xaxis.type == "category"


def test_total_bars_show_top_and_bottom_when_many():
    r = result(200)
    fig = charts.total_bars(r.units, r)
    shown = sum(len(t.y) for t in fig.data)
    assert shown == charts.MAX_BARS
    labels = [y for t in fig.data for y in t.y]
    assert any(ld.startswith("U000") for ld in labels) and any(ld.startswith("U199") for ld in labels)
    assert len(fig.layout.shapes) == 3  # the three threshold lines


def test_self_review_scatter_becomes_a_density_with_the_worst_overstatements_when_many():
    import pandas as pd

    small = views.self_vs_review(result(10), 5.0)
    assert [t.type for t in charts.self_review_scatter(small, 5.0).data] == ["scatter"] * 3
    n = charts.MAX_POINTS + 1
    table = pd.DataFrame(
        {
            "code": [f"U{i}" for i in range(n)],
            "name": "Chi bộ",
            "review_score": 80.0,
            "self_score": [80.0 + (i % 20) for i in range(n)],
        }
    )
    table["gap"] = table["self_score"] - table["review_score"]
    table["flagged"] = table["gap"] > 5
    fig = charts.self_review_scatter(table, 5.0)
    density, flagged, line = fig.data
    # every unit counted on the server, in 1 × 1 point cells, none sent one by one: all appraised 80, self 80–99,
    # i % 20 over 2,001 units puts 101 at self 80 and 100 at each of the others
    assert density.type == "heatmap" and list(density.x) == [80.5] and list(density.y) == [80.5 + k for k in range(20)]
    assert [row[0] for row in density.z] == [101] + [100] * 19
    # gaps 0–19 points, about 100 units each: the 300 drawn are those 19, 18 and 17 points over (self 99–97)
    assert len(flagged.x) == charts.MAX_FLAGGED and set(flagged.y) == {99.0, 98.0, 97.0}
    assert "300 chênh nhiều nhất" in flagged.name and line.mode == "lines"
