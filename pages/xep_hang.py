"""Xếp hạng: filters, the ranking table, totals against thresholds, criteria heatmap, self vs appraisal. A unit
account sees only the years whose round result was published, and of them what the committee made public (Mức công
khai: tiers only, or totals and tiers by default): the table is cut in the library before it is sent."""

import streamlit as st

from pages._tables import RANKING_COLUMNS, RANKING_WIDTHS, keyed_table, page_of, read_notes, show_table
from pages._ui import actor, chart, require_data, rest_of_page, stability_of, store, year_row
from scoring import charts, service, views
from scoring.access import EVERYTHING, Right
from scoring.presentation import literal, markdown, markdown_list, scale, vn
from scoring.stability import Settings

ALL = "Tất cả các khối"
PUBLIC_WIDTHS = {
    "Hạng": 60,
    "Hạng trong khối": 110,
    "Mã": 80,
    "Tên đơn vị": "large",
    "Khối": 160,
    "Tổng điểm": 90,
    "Xếp loại": 90,
}
NAMED_GAPS = 30

st.title("Xếp hạng các đơn vị")
versions = require_data()
years = service.ranking_years(store(), actor(), versions)
if not years:
    st.info("Chưa có kết quả đợt đánh giá nào được công bố.")
    st.stop()
year, result, (c2, c3, c4) = year_row(versions, [1, 2, 3, 2], years)
cluster = c2.selectbox("Khối", [ALL, *sorted(result.units["cluster"].unique())])
scale_of_year = scale(result.framework)
tiers = c3.multiselect(
    "Xếp loại", list(scale_of_year.codes), format_func=scale_of_year.label.get, placeholder="Tất cả xếp loại"
)
typed = c4.text_input("Tìm đơn vị", key="ranking_search", placeholder="Mã hoặc tên")
units = views.matching(views.filter_units(result, None if cluster == ALL else cluster, tiers), typed)

st.caption(
    markdown("{} đơn vị", len(units))
    + (markdown(" của {}", cluster) if cluster != ALL else "")
    + ". Bấm vào tiêu đề cột để sắp xếp"
    + ("; “Thẩm định” để trống là đơn vị chưa được cấp trên chấm." if actor().may(Right.VIEW_ALL) else ".")
)
if result.comparison_caveat:
    st.warning(literal(result.comparison_caveat))
level = service.disclosure(store(), actor())
page = page_of(units, "ranking")
if level != EVERYTHING:  # a unit account: the published ranking as made public, no charts of others' scores
    if not page.empty:
        keyed_table(
            versions,
            ("public ranking", level, year, tuple(page["code"])),
            lambda: views.public_ranking(page, level, result.framework),
            PUBLIC_WIDTHS,
            height=min(35 * len(page) + 38, 560),
            tier_column="Xếp loại",
            tiers=scale_of_year,
        )
    st.stop()
if page.empty:
    st.caption("Không có dòng nào.")
else:  # a page's rows are those of the year's result: named by the year and their codes
    ranked = views.ranking_of(result, RANKING_COLUMNS)
    keyed_table(
        versions,
        ("ranking", year, tuple(page["code"])),
        lambda: ranked(page),
        RANKING_WIDTHS,
        height=35 * len(page) + 38,
        tier_column="Xếp loại",
        wrap=True,
        tiers=scale_of_year,
    )
    read_notes(page, ranked, f"notes_{year}")
if len(units) and not rest_of_page():
    st.caption("Đang vẽ biểu đồ…")
elif len(units):
    shown = (year, cluster, tuple(tiers), typed)  # what `units` depends on
    chart(versions, ("totals", *shown), lambda: charts.total_bars(units, result))
    chart(versions, ("criteria", *shown), lambda: charts.criteria_heatmap(views.criteria_percent(result, units)))
    margin = st.select_slider(
        "Đánh dấu đơn vị tự chấm cao hơn thẩm định quá (điểm)",
        [step / 2 for step in range(41)],
        value=5.0,
        format_func=lambda m: vn(m, 1),
    )
    gaps = views.self_vs_review(result, margin, units)
    if gaps.empty:
        st.info("Chưa có đơn vị nào được thẩm định trong phạm vi đang xem.")
    else:
        chart(versions, ("self vs review", *shown, margin), lambda: charts.self_review_scatter(gaps, margin))
        flagged = gaps[gaps["flagged"]]
        if len(flagged):
            named = flagged.nlargest(NAMED_GAPS, "gap")  # the largest first; thousands of codes are read by no one
            st.warning(
                markdown("{} đơn vị tự chấm cao hơn điểm thẩm định trên {} điểm: ", len(flagged), vn(margin, 1))
                + markdown_list("{} (+{})", zip(named["code"], map(vn, named["gap"])), ", ")
                + (markdown(" và {} đơn vị khác", len(flagged) - len(named)) if len(flagged) > len(named) else "")
            )

if not actor().may(Right.VIEW_ALL):  # a unit account: others' chances are others' figures
    st.stop()
with st.expander("Độ ổn định của xếp loại và xếp hạng (tham khảo)"):
    st.caption(
        markdown(
            "Tính lại xếp loại của năm nhiều lần, mỗi lần trọng số và điểm thẩm định dao động nhẹ ({}), để thấy đơn "
            "vị nào sát ngưỡng hoặc sát chỉ tiêu. Chỉ để tham khảo: không thay đổi kết quả chính thức.",
            Settings().text(),
        )
    )
    if st.toggle("Tính độ ổn định cho năm này", key=f"stability_{year}"):
        steady = stability_of(versions, year)
        shaky = views.stability_table(result, steady)
        st.markdown(
            markdown(
                "{} trên {} đơn vị được xếp loại giữ xếp loại dưới {} % số lần tính lại.",
                len(shaky),
                int(steady["keep_tier"].notna().sum()),
                vn(views.SHAKY * 100, 0),
            )
        )
        show_table(shaky, {"Tên đơn vị": "large", "Khả năng từng mức": "large"}, tier_column="Xếp loại",
                   key="stability", tiers=scale_of_year)  # fmt: skip
