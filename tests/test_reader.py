"""The reader on files made the way real offices make them (docs/input.md).

Every workbook is built here with openpyxl (tests/fixtures.py); the ones that need cached formula
values or the old .xls / .ods formats are saved through LibreOffice once per session, in one soffice
call per format.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from scoring import read_files, read_paths
from scoring.framework import load_preset
from tests.fixtures import (
    CODES,
    LEADERS,
    TITLE_BLOCK,
    UNITS,
    assert_leaders,
    assert_units,
    consolidated,
    convert_many,
    csv_rows,
    edit,
    errors,
    form_file,
    form_sheet,
    is_nfc,
    leaders_sheet,
    nfd,
    unit_table,
    units_sheet,
    write_csv,
)

YEAR = 2025


def read(*paths, **kwargs):
    return read_paths(list(paths), **kwargs)


def ok(result):
    assert not errors(result), "\n".join(str(i) for i in errors(result))
    return result


# ---------------------------------------------------------------- LibreOffice, once per session


@pytest.fixture(scope="session")
def lo(soffice, tmp_path_factory):
    """Source workbooks and their LibreOffice saves: {(stem, fmt): path}; (stem, "src") is the openpyxl file."""
    src = tmp_path_factory.mktemp("lo-src")
    files = {}
    # Formulas: a "Tổng điểm" column and a "Tổng cộng" row of SUMs; cached values exist only once saved.
    files["formulas"] = src / "formulas.xlsx"
    consolidated(files["formulas"], total_column=True, total_row=True, signature=True, merge_cluster=True, leaders=True)
    # Everything offices do at once, for the format comparison.
    files["messy"] = src / "messy.xlsx"
    consolidated(
        files["messy"],
        numbering="paren",
        blank_rows=(0, 2),
        total_row=True,
        signature=True,
        text_numbers=True,
        text=nfd,
        merge_cluster=True,
        hide_columns=["1.1 / Tự chấm"],
        hide_rows=["DV02"],
        sheet=nfd("Tổ chức"),
        leaders=True,
        leader_kwargs={"text": nfd},
    )
    files["grouped"] = src / "grouped.xlsx"
    consolidated(
        files["grouped"], header="grouped", left=2, numbering="plain", total_row=True, total_label="STT", signature=True
    )
    files["form"] = src / "form.xlsx"
    form_file(files["form"], UNITS[0], text=nfd)
    out = convert_many(
        soffice,
        {
            "xlsx": [files["formulas"]],
            "xls": [files["messy"], files["grouped"], files["form"]],
            "ods": [files["messy"], files["grouped"], files["form"]],
        },
        tmp_path_factory.mktemp("lo-out"),
    )
    out.update({(stem, "src"): path for stem, path in files.items()})
    return out


# ---------------------------------------------------------------- consolidated "Tổ chức" sheet


@pytest.mark.parametrize("review_word", ["review", "captren"])
def test_two_row_header_under_title_block(tmp_path, review_word):
    layout = consolidated(tmp_path / "tong_hop.xlsx", review_word=review_word)
    assert layout.header_row == len(TITLE_BLOCK) + 1
    result = ok(read(tmp_path / "tong_hop.xlsx"))
    assert list(result.years) == [YEAR]
    assert_units(result, YEAR)
    units = result.years[YEAR].units
    assert list(units["row"]) == [layout.unit_rows[u.code] for u in UNITS]
    assert set(units["sheet"]) == {"Tổ chức"}


def test_single_headers_with_kind_in_parentheses(tmp_path):
    consolidated(tmp_path / "f.xlsx", header="suffix")
    assert_units(ok(read(tmp_path / "f.xlsx")), YEAR)


def test_one_column_per_criterion_is_the_review_score(tmp_path):
    consolidated(tmp_path / "f.xlsx", header="review_only", self_scores=False)
    result = ok(read(tmp_path / "f.xlsx"))
    assert_units(result, YEAR, self_scores=False)
    assert not result.years[YEAR].units["has_self_columns"].any()


def test_three_row_header_with_group_names_merged_above_codes(tmp_path):
    layout = consolidated(tmp_path / "f.xlsx", header="grouped", left=2)
    result = ok(read(tmp_path / "f.xlsx"))
    assert_units(result, YEAR)
    assert list(result.years[YEAR].units["row"]) == [layout.unit_rows[u.code] for u in UNITS]


def test_criterion_codes_typed_as_numbers_in_the_header(tmp_path):
    """Typing 2.1 in a header cell stores the number 2.1, also in the row under the group names."""
    for header in ("two_row", "grouped"):
        path = tmp_path / f"{header}.xlsx"
        layout = consolidated(path, header=header)
        wb = load_workbook(path)
        ws = wb.active
        code_row = layout.header_row + (1 if header == "grouped" else 0)
        for cell in ws[code_row]:
            if isinstance(cell.value, str) and cell.value in CODES:
                cell.value = float(cell.value)
        wb.save(path)
        assert_units(ok(read(path)), YEAR)


@pytest.mark.parametrize("numbering", ["paren", "plain"])
@pytest.mark.parametrize("header", ["two_row", "grouped", "suffix"])
def test_numbering_row_under_the_header(tmp_path, numbering, header):
    path = tmp_path / "f.xlsx"
    layout = consolidated(path, header=header, numbering=numbering)
    result = ok(read(path))
    assert_units(result, YEAR)
    assert result.years[YEAR].units["row"].iloc[0] == layout.data_row
    # The numbering is not part of the column names users see in messages.
    column = "2.1 / Thẩm định" if header != "suffix" else "2.1 (thẩm định)"
    edit(path, {f"{layout.columns[column]}{layout.unit_rows['DV03']}": "abc"})
    (issue,) = errors(read(path))
    assert issue.column == column and issue.row == layout.unit_rows["DV03"] and issue.value == "abc"


def test_blank_rows_total_row_and_signature_lines_are_ignored(tmp_path):
    layout = consolidated(tmp_path / "f.xlsx", blank_rows=(0, 1, 3), total_row=True, signature=True)
    result = ok(read(tmp_path / "f.xlsx"))
    assert_units(result, YEAR)
    assert not result.warnings, result.warnings
    assert layout.total_row is not None


def test_total_row_in_the_stt_column_of_a_table_that_starts_in_column_b(tmp_path):
    consolidated(tmp_path / "f.xlsx", header="grouped", left=2, total_row=True, total_label="STT", signature=True)
    assert_units(ok(read(tmp_path / "f.xlsx")), YEAR)


@pytest.mark.parametrize("first_line", ["Người lập biểu", "NƠI NHẬN:", "T/M CHI BỘ", "Xác nhận của Đảng ủy"])
def test_signature_lines_without_a_total_row(tmp_path, first_line):
    """Signatures right under the last unit, in the code and cluster columns, are not units."""
    path = tmp_path / "f.xlsx"
    layout = consolidated(path)
    last = max(layout.unit_rows.values())
    edit(
        path,
        {
            f"{layout.columns['Mã đơn vị']}{last + 2}": first_line,
            f"{layout.columns['Khối']}{last + 2}": "T/M ĐẢNG ỦY",
            f"{layout.columns['Khối']}{last + 3}": "BÍ THƯ",
            f"{layout.columns['Mã đơn vị']}{last + 6}": "Nguyễn Thị Hoa",
            f"{layout.columns['Khối']}{last + 6}": "Trần Văn Bình",
        },
    )
    assert_units(ok(read(path)), YEAR)


def test_unit_named_tong_cong_ty_is_not_a_total_row(tmp_path):
    units = [
        replace(UNITS[0], name="Tổng công ty Xây dựng Bắc Giang"),
        *UNITS[1:3],
        replace(UNITS[3], name="TỔNG CÔNG TY MAY"),
        UNITS[4],
    ]
    consolidated(tmp_path / "f.xlsx", units=units, total_row=True)
    assert_units(ok(read(tmp_path / "f.xlsx")), YEAR, units)


def test_group_names_numbered_1_2_above_the_codes(tmp_path):
    path = tmp_path / "f.xlsx"
    layout = consolidated(path, header="grouped")
    wb = load_workbook(path)
    for cell in wb.active[layout.header_row]:
        if isinstance(cell.value, str) and cell.value.startswith(("I. ", "II. ")):
            cell.value = cell.value.replace("II. ", "2. ").replace("I. ", "1. ")
    wb.save(path)
    assert_units(ok(read(path)), YEAR)


def test_numbers_stored_as_text_with_comma_decimal_and_trailing_spaces(tmp_path):
    consolidated(tmp_path / "f.xlsx", text_numbers=True)
    assert_units(ok(read(tmp_path / "f.xlsx")), YEAR)


def test_yes_flags_x_co_and_check_mark(tmp_path):
    units = [
        replace(UNITS[0], disunity="X", corruption=""),
        replace(UNITS[1], disunity="có ", corruption="không"),
        replace(UNITS[2], disunity="✓", corruption="Có"),
        replace(UNITS[3], disunity="", corruption="x"),
    ]
    consolidated(tmp_path / "f.xlsx", units=units)
    data = ok(read(tmp_path / "f.xlsx")).years[YEAR].units
    assert list(data["disunity"]) == [True, True, True, False]
    assert list(data["corruption"]) == [False, False, True, True]


def test_decomposed_unicode_everywhere_comes_out_nfc(tmp_path):
    path = tmp_path / "f.xlsx"
    consolidated(
        path,
        text=nfd,
        sheet=nfd("Tổ chức"),
        leaders=True,
        leader_kwargs={"text": nfd},
        title=[nfd(t) for t in TITLE_BLOCK],
    )
    wb = load_workbook(path)
    wb["Người đứng đầu"].title = nfd("Người đứng đầu")
    wb.save(path)
    result = ok(read(path))
    assert_units(result, YEAR)
    assert_leaders(result, YEAR)
    data = result.years[YEAR]
    for frame in (data.units, data.leaders):
        for column in frame.columns:
            for value in frame[column]:
                if isinstance(value, str):
                    assert is_nfc(value), (column, value)
    assert set(data.units["sheet"]) == {"Tổ chức"} and set(data.leaders["sheet"]) == {"Người đứng đầu"}


def test_formulas_use_cached_values(lo):
    result = ok(read(lo[("formulas", "xlsx")]))
    assert_units(result, YEAR)
    assert_leaders(result, YEAR)


def test_hidden_rows_and_columns_are_read(tmp_path):
    consolidated(tmp_path / "f.xlsx", hide_columns=["1.1 / Tự chấm", "Khối"], hide_rows=["DV02", "DV05"])
    assert_units(ok(read(tmp_path / "f.xlsx")), YEAR)


def test_cluster_merged_over_several_units_propagates(tmp_path):
    consolidated(tmp_path / "f.xlsx", merge_cluster=True)
    result = ok(read(tmp_path / "f.xlsx"))
    assert list(result.years[YEAR].units["cluster"]) == [u.cluster for u in UNITS]
    assert not result.warnings, result.warnings  # a merged cell is not a blank one


def test_blank_cluster_cell_continues_the_one_above_with_a_warning(tmp_path):
    path = tmp_path / "f.xlsx"
    layout = consolidated(path)
    edit(path, {layout.cell("DV02", "Khối"): None})
    result = ok(read(path))
    assert list(result.years[YEAR].units["cluster"]) == [u.cluster for u in UNITS]
    (warning,) = result.warnings
    assert warning.row == layout.unit_rows["DV02"] and warning.column == "Khối"


@pytest.mark.parametrize("sheet", ["to chuc", "TỔ CHỨC", "Tổ  Chức", nfd("Tổ chức")])
def test_sheet_found_ignoring_case_diacritics_and_spaces(tmp_path, sheet):
    path = tmp_path / "f.xlsx"
    wb = Workbook()
    wb.active.title = "Ghi chú"
    wb.active["A1"] = "Bảng này do Ban Xây dựng Đảng lập"
    units_sheet(wb.create_sheet(sheet))
    leaders_sheet(wb.create_sheet("nguoi dung dau"))
    wb.save(path)
    result = ok(read(path))
    assert_units(result, YEAR)
    assert_leaders(result, YEAR)


def test_a_leaders_sheet_without_a_year_takes_the_year_of_the_units_sheet_not_the_file_name(tmp_path):
    # "Tổ chức" states 2024 in its Năm column; the title has no year and the file name says 2025.
    path = tmp_path / "tong_hop_2025.xlsx"
    consolidated(
        path,
        year=2024,
        title=["BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN"],
        leaders=True,
        leader_kwargs={"title": ()},
    )
    result = ok(read(path))
    assert list(result.years) == [2024]
    assert_units(result, 2024)
    assert_leaders(result, 2024)


def test_unit_codes_typed_as_numbers(tmp_path):
    units = [replace(u, code=i + 1) for i, u in enumerate(UNITS)]
    leaders = [replace(ld, unit_code=i + 1) for i, ld in enumerate(LEADERS)]
    consolidated(tmp_path / "f.xlsx", units=units, leaders=True, leader_kwargs={"leaders": leaders})
    result = ok(read(tmp_path / "f.xlsx"))
    assert list(result.years[YEAR].units["code"]) == ["1", "2", "3", "4", "5"]
    assert list(result.years[YEAR].leaders["unit_code"]) == ["1", "2", "3", "4"]


def test_leaders_sheet(tmp_path):
    consolidated(tmp_path / "f.xlsx", leaders=True, leader_kwargs={"numbering": "paren", "title": TITLE_BLOCK})
    result = ok(read(tmp_path / "f.xlsx"))
    assert_leaders(result, YEAR)
    consolidated(tmp_path / "g.xlsx", leaders=True, leader_kwargs={"header": "suffix"})
    assert_leaders(ok(read(tmp_path / "g.xlsx")), YEAR)
    consolidated(tmp_path / "h.xlsx", leaders=True, leader_kwargs={"header": "review_only", "self_scores": False})
    assert_leaders(ok(read(tmp_path / "h.xlsx")), YEAR, self_scores=False)


# ---------------------------------------------------------------- the year


def test_year_from_a_column_wins_over_the_title(tmp_path):
    consolidated(tmp_path / "tong_hop_2023.xlsx", year=2024)
    result = ok(read(tmp_path / "tong_hop_2023.xlsx", default_year=2022))
    assert list(result.years) == [2024]


def test_year_from_the_title(tmp_path):
    consolidated(tmp_path / "tong_hop.xlsx")
    assert list(ok(read(tmp_path / "tong_hop.xlsx", default_year=2022)).years) == [2025]


def test_signing_date_in_the_header_block_is_not_the_year(tmp_path):
    title = [
        "ĐẢNG BỘ XÃ TÂN YÊN",
        "Tân Yên, ngày 10 tháng 01 năm 2026",
        "",
        "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN NĂM 2025",
    ]
    consolidated(tmp_path / "tong_hop.xlsx", title=title)
    assert list(ok(read(tmp_path / "tong_hop.xlsx")).years) == [2025]


NO_YEAR_TITLE = ["ĐẢNG BỘ XÃ TÂN YÊN", "", "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN", ""]


def test_year_from_the_file_name(tmp_path):
    consolidated(tmp_path / "Tong hop dan van 2023.xlsx", title=NO_YEAR_TITLE)
    assert list(ok(read(tmp_path / "Tong hop dan van 2023.xlsx", default_year=2022)).years) == [2023]


def test_year_from_the_caller(tmp_path):
    consolidated(tmp_path / "tong_hop.xlsx", title=NO_YEAR_TITLE)
    assert list(ok(read(tmp_path / "tong_hop.xlsx", default_year=2022)).years) == [2022]


def test_no_year_anywhere_is_an_error(tmp_path):
    layout = consolidated(tmp_path / "tong_hop.xlsx", title=NO_YEAR_TITLE)
    result = read(tmp_path / "tong_hop.xlsx")
    (issue,) = errors(result)
    assert "năm" in issue.message.lower() and issue.file == "tong_hop.xlsx" and issue.sheet == "Tổ chức"
    assert issue.row == layout.unit_rows["DV01"]
    assert not result.years


# ---------------------------------------------------------------- the same tables from every format


def _comparable(result, with_rows=True):
    table = unit_table(result, YEAR).drop(columns=["sheet"] + ([] if with_rows else ["row"]))
    return table


def test_same_tables_from_xlsx_xls_ods(lo):
    for stem in ("messy", "grouped"):
        reference = ok(read(lo[(stem, "src")]))
        assert_units(reference, YEAR)
        for fmt in ("xls", "ods"):
            other = ok(read(lo[(stem, fmt)]))
            pd.testing.assert_frame_equal(_comparable(other), _comparable(reference), check_dtype=False)
            if fmt == "xls":  # merged "Khối" cells survive in .xls; calamine reports no merges for .ods
                assert not other.warnings, other.warnings
            assert set(other.years[YEAR].units["sheet"]) == {"Tổ chức"}
            if stem == "messy":
                assert_leaders(other, YEAR)


@pytest.mark.parametrize("delimiter,bom", [(",", True), (";", True), (",", False), (";", False)])
def test_same_tables_from_utf8_csv(tmp_path, lo, delimiter, bom):
    path = write_csv(tmp_path / "to_chuc.csv", csv_rows(), delimiter=delimiter, bom=bom)
    result = ok(read(path))
    reference = ok(read(lo[("messy", "src")]))
    pd.testing.assert_frame_equal(_comparable(result, False), _comparable(reference, False), check_dtype=False)
    # Rows are the CSV's line numbers: 3 title lines, 2 header lines, the numbering line.
    assert list(result.years[YEAR].units["row"]) == list(range(7, 7 + len(UNITS)))


def test_decomposed_csv(tmp_path):
    rows = [[nfd(cell) for cell in row] for row in csv_rows()]
    result = ok(read(write_csv(tmp_path / "to_chuc.csv", rows)))
    assert_units(result, YEAR)


# ---------------------------------------------------------------- per-unit forms


@pytest.mark.parametrize("labels", ["next_cell", "same_cell"])
def test_form_with_labelled_cells(tmp_path, labels):
    layout = form_file(tmp_path / "DV01.xlsx", UNITS[0], labels=labels)
    result = ok(read(tmp_path / "DV01.xlsx"))
    assert_units(result, YEAR, UNITS[:1])
    assert result.years[YEAR].units["row"].iloc[0] == layout.unit_rows["1.1"]
    assert result.years[YEAR].sources[0].kind == "form"


def test_form_without_group_rows_total_or_signature(tmp_path):
    form_file(tmp_path / "DV04.xlsx", UNITS[3], group_rows=False, total_row=False, signature=False)
    assert_units(ok(read(tmp_path / "DV04.xlsx")), YEAR, UNITS[3:4])


def test_form_with_group_rows_numbered_1_2_and_subtotals(tmp_path):
    form_file(tmp_path / "DV05.xlsx", UNITS[4], arabic_groups=True)
    assert_units(ok(read(tmp_path / "DV05.xlsx")), YEAR, UNITS[4:])


def test_form_with_two_row_header(tmp_path):
    """ "Điểm đánh giá" merged over "Tự chấm" | "Thẩm định", TT / Tiêu chí / Điểm tối đa merged down."""
    layout = form_file(tmp_path / "DV03.xlsx", UNITS[2], two_row_header=True)
    result = ok(read(tmp_path / "DV03.xlsx"))
    assert_units(result, YEAR, UNITS[2:3])
    layout_bad = form_file(tmp_path / "DV04.xlsx", UNITS[3], two_row_header=True, review_word="Cấp trên chấm")
    edit(tmp_path / "DV04.xlsx", {f"E{layout_bad.unit_rows['2.2']}": 16})
    (issue,) = errors(read(tmp_path / "DV04.xlsx"))
    assert (issue.row, issue.column, issue.value) == (layout_bad.unit_rows["2.2"], "Cấp trên chấm", "16")
    assert layout.header_row + 2 == layout.data_row


def test_form_with_diem_tu_cham_and_cap_tren_cham_headers(tmp_path):
    form_file(tmp_path / "DV02.xlsx", UNITS[1], self_word="Điểm tự chấm", review_word="Điểm cấp trên chấm")
    assert_units(ok(read(tmp_path / "DV02.xlsx")), YEAR, UNITS[1:2])


def test_form_in_decomposed_unicode(tmp_path):
    form_file(tmp_path / "DV03.xlsx", UNITS[2], text=nfd, sheet=nfd("Phiếu chấm điểm"))
    assert_units(ok(read(tmp_path / "DV03.xlsx")), YEAR, UNITS[2:3])


def test_form_year_label_wins(tmp_path):
    form_file(tmp_path / "DV01.xlsx", UNITS[0], year_label=2024)
    assert list(ok(read(tmp_path / "DV01.xlsx")).years) == [2024]


def test_form_with_leader_section(tmp_path):
    form_file(tmp_path / "DV01.xlsx", UNITS[0], leader=LEADERS[0])
    result = ok(read(tmp_path / "DV01.xlsx"))
    assert_units(result, YEAR, UNITS[:1])
    assert_leaders(result, YEAR, [replace(LEADERS[0], discipline="")])


def test_forms_consolidate_into_one_year(tmp_path):
    paths = []
    for i, unit in enumerate(UNITS):
        paths.append(tmp_path / f"Phieu_{unit.code}.xlsx")
        form_file(paths[-1], unit, labels="next_cell" if i % 2 else "same_cell")
    result = ok(read(*paths))
    assert list(result.years) == [YEAR]
    assert_units(result, YEAR)
    assert [s.name for s in result.years[YEAR].sources] == [p.name for p in paths]


def test_forms_from_xls_and_ods(lo):
    for fmt in ("xls", "ods"):
        assert_units(ok(read(lo[("form", fmt)])), YEAR, UNITS[:1])


def test_duplicate_unit_code_across_forms_names_the_second_file(tmp_path):
    form_file(tmp_path / "a.xlsx", UNITS[0])
    form_file(tmp_path / "b.xlsx", UNITS[1])
    layout = form_file(tmp_path / "c.xlsx", replace(UNITS[2], code="DV01"))
    result = read(tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx")
    (issue,) = errors(result)
    assert issue.file == "c.xlsx" and issue.value == "DV01" and "a.xlsx" in issue.message
    assert issue.row == layout.unit_rows["1.1"]


def test_forms_and_files_read_from_bytes(tmp_path):
    form_file(tmp_path / "DV01.xlsx", UNITS[0])
    result = read_files([("DV01.xlsx", (tmp_path / "DV01.xlsx").read_bytes())], framework=load_preset())
    assert_units(ok(result), YEAR, UNITS[:1])


def test_form_sheet_next_to_other_sheets(tmp_path):
    wb = Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active["A1"] = "Điền điểm vào cột Tự chấm"
    form_sheet(wb.create_sheet("Phiếu"), UNITS[4])
    wb.save(tmp_path / "DV05.xlsx")
    assert_units(ok(read(tmp_path / "DV05.xlsx")), YEAR, UNITS[4:])


# ---------------------------------------------------------------- codes, leader columns and form labels


def _simple_book(path, header, rows, leaders_header=None, leader_rows=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổ chức"
    ws.append(["BẢNG ĐIỂM NĂM 2025"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    if leaders_header:
        ls = wb.create_sheet("Người đứng đầu")
        ls.append(leaders_header)
        for r in leader_rows:
            ls.append(r)
    wb.save(path)
    return path


def test_code_11_is_not_criterion_1_1(tmp_path):
    header = ["Mã đơn vị", "Tên đơn vị", *CODES[:-1], "11"]
    path = _simple_book(tmp_path / "b.xlsx", header, [["A", "Chi bộ A", 9, 9, 9, 18, 13, 13, 13, 4]])
    found = [(i.row, i.column, i.message) for i in errors(read(path))]
    assert (2, "11", "Mã tiêu chí “11” không có trong bộ tiêu chí “Dân vận – TCCSĐ”") in found
    assert any(m == "Thiếu cột tiêu chí 2.5" for _, _, m in found)


def test_leaders_sheet_with_unit_name_before_leader_name(tmp_path):
    header = ["Mã đơn vị", "Tên đơn vị", *CODES]
    path = _simple_book(
        tmp_path / "b.xlsx",
        header,
        [["A", "Chi bộ A", 9, 9, 9, 18, 13, 13, 13, 4]],
        ["Mã đơn vị", "Tên đơn vị", "Họ và tên", "Chức vụ", "N1", "N2", "N3", "N4"],
        [["A", "Chi bộ A", "Lê Văn Bình", "Bí thư", 18, 27, 27, 18]],
    )
    leaders = ok(read(path)).years[YEAR].leaders
    assert leaders[["unit_code", "name", "title"]].values.tolist() == [["A", "Lê Văn Bình", "Bí thư"]]


def test_two_form_labels_on_one_row(tmp_path):
    path = tmp_path / "phieu.xlsx"
    form_file(path, UNITS[0])
    wb = load_workbook(path)
    ws = wb.active
    for cells in ws.iter_rows():  # drop the form's own rows for these two labels
        if any(str(c.value or "").startswith(("Mất đoàn kết", "Tham nhũng")) for c in cells):
            for c in cells:
                c.value = None
    row = ws.max_row + 2
    ws.cell(row, 2, "Mất đoàn kết:")  # blank value, then the next label on the same row
    ws.cell(row, 4, "Tham nhũng:")
    ws.cell(row, 5, "x")
    wb.save(path)
    units = ok(read(path)).years[YEAR].units
    assert units[["disunity", "corruption"]].values.tolist() == [[False, True]]
