"""Files as offices really make them, each built from the fixtures and edited the way people edit them (openpyxl
standing in for Excel; some saved again through LibreOffice): the year, rows that are not units, hidden stale
sheets, cluster spellings, codes typed as numbers, rule columns under other headings, form labels, float noise."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import convert
from fixtures import UNITS, consolidated, errors, form_file, run_cli

from scoring import rate_all, read_paths
from scoring.presentation import TIERS


def warnings(read) -> list[str]:
    return [i.message for i in read.issues if i.severity == "warning"]


def codes(read, year: int) -> list[str]:
    return list(read.years[year].units["code"])


def sheet(path: Path, name: str = "Tổ chức"):
    wb = openpyxl.load_workbook(path)
    return wb, wb[name]


# ---------------------------------------------------------------- 1. the year


def test_a_note_saying_another_year_does_not_decide_the_year(tmp_path):
    path = tmp_path / "bang_diem.xlsx"
    layout = consolidated(path, leaders=True)
    wb, ws = sheet(path)
    ws[f"{layout.columns['Ghi chú']}{layout.unit_rows['DV01']}"] = "Đã khen thưởng năm 2024"
    wb.save(path)
    read = read_paths([path], default_year=2026)
    assert list(read.years) == [2025] and codes(read, 2025) == [u.code for u in UNITS]
    assert list(read.years[2025].leaders["unit_code"]) == ["DV01", "DV02", "DV03", "DV04"]  # the leaders follow
    assert any("năm 2026 được chọn chỉ dùng cho tệp không ghi năm" in w for w in warnings(read))


def test_an_unsigned_date_line_above_the_title_is_not_the_year(tmp_path):
    path = tmp_path / "bang_diem.xlsx"
    title = ["ĐẢNG BỘ XÃ TÂN YÊN", "Tân Yên, ngày … tháng … năm 2026", "BẢNG TỔNG HỢP ĐIỂM DÂN VẬN NĂM 2025", ""]
    consolidated(path, title=title)
    assert list(read_paths([path]).years) == [2025]


@pytest.mark.parametrize("heading", ["Năm thành lập", "Năm sinh", "Nam/Nữ"])
def test_headings_starting_like_nam_are_not_the_year_column(tmp_path, heading):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path, extra={heading: [1990, 1975, "Nam", 2001, 1968]})
    read = read_paths([path])
    assert not errors(read) and list(read.years) == [2025]


def test_a_year_column_headed_exactly_nam_decides(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path, year=2024)
    assert list(read_paths([path]).years) == [2024]


def test_form_labels_about_other_years_are_not_the_year(tmp_path):
    path = tmp_path / "DV01.xlsx"
    layout = form_file(path, UNITS[0])
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    free = layout.header_row - 1
    ws.insert_rows(free)
    ws.cell(free, 1, "Năm sinh: 1970")
    ws.cell(free, 3, "Năm học: 2024 - 2025")
    wb.save(path)
    read = read_paths([path])
    assert not errors(read) and list(read.years) == [2025]


def test_title_and_file_name_disagree_a_warning_names_both(tmp_path):
    path = tmp_path / "tong_hop_2024.xlsx"
    consolidated(path)
    read = read_paths([path])
    assert list(read.years) == [2025]
    assert any("(2025)" in w and "(2024)" in w for w in warnings(read))


# ---------------------------------------------------------------- 2. rows that are not units


@pytest.mark.parametrize("label", ["Bình quân", "TRUNG BÌNH", "Điểm trung bình chung"])
def test_an_average_footer_is_not_a_unit(tmp_path, soffice, label):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    r = max(layout.unit_rows.values()) + 1
    ws[f"{layout.columns['Tên đơn vị']}{r}"] = label
    for code in ("1.1", "1.2", "2.1"):
        letter = next(v for k, v in layout.columns.items() if k.startswith(code))
        ws[f"{letter}{r}"] = 8.75
    wb.save(path)
    for saved in (path, convert(soffice, path, "xls", tmp_path / "xls")):
        read = read_paths([saved])
        assert not errors(read) and codes(read, 2025) == [u.code for u in UNITS], saved.suffix
        assert len(rate_all(read)[0].units) == len(UNITS)


def test_a_summary_block_under_the_table_is_left_out_with_a_warning(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    r = max(layout.unit_rows.values()) + 3
    name, score = layout.columns["Tên đơn vị"], next(v for k, v in layout.columns.items() if k.startswith("1.1"))
    for i, (label, count) in enumerate([("Số đơn vị HTXSNV", 1), ("Số đơn vị HTTNV", 3)]):
        ws[f"{name}{r + i}"], ws[f"{score}{r + i}"] = label, count
    wb.save(path)
    read = read_paths([path])
    assert not errors(read) and codes(read, 2025) == [u.code for u in UNITS]
    assert any("không có mã đơn vị" in w for w in warnings(read))


def test_section_rows_between_header_and_units_name_the_clusters(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path, meta=("code", "name"))  # no Khối column
    wb, ws = sheet(path)
    first = layout.unit_rows["DV01"]
    ws.insert_rows(first)
    ws.cell(first, 1, "I")
    ws.cell(first, 3, "KHỐI XÃ, PHƯỜNG")
    at = layout.unit_rows["DV04"] + 1
    ws.insert_rows(at)
    ws.cell(at, 1, "II")
    ws.cell(at, 3, "KHỐI CƠ QUAN")
    wb.save(path)
    read = read_paths([path])
    assert not errors(read), [str(e) for e in errors(read)]
    units = read.years[2025].units.set_index("code")
    assert units.loc[["DV01", "DV02", "DV03"], "cluster"].tolist() == ["KHỐI XÃ, PHƯỜNG"] * 3
    assert units.loc[["DV04", "DV05"], "cluster"].tolist() == ["KHỐI CƠ QUAN"] * 2


def test_a_table_with_only_its_header_is_an_error_not_an_empty_year(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path, units=[])
    read = read_paths([path])
    assert any("Không có đơn vị nào" in e.message for e in errors(read))


# ---------------------------------------------------------------- 4. hidden stale sheets


def test_a_hidden_stale_sheet_loses_to_the_visible_copy(tmp_path, soffice):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    wb, stale = sheet(path)
    fresh = wb.copy_worksheet(stale)
    fresh.title = "Tổ chức (2)"
    stale.sheet_state = "hidden"
    for row in stale.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)) and cell.column > 4:
                cell.value = 0  # last year's scores, left in the hidden sheet
    wb.save(path)
    for saved in (path, convert(soffice, path, "ods", tmp_path / "ods")):
        read = read_paths([saved])
        assert not errors(read)
        assert set(read.years[2025].units["sheet"]) == {"Tổ chức (2)"}, saved.suffix
        assert any("Tổ chức (2)" in w and "ẩn" in w for w in warnings(read))


def test_a_hidden_sheet_spelled_without_accents_loses_to_the_visible_one(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    wb, good = sheet(path)
    stale = wb.copy_worksheet(good)
    stale.title = "TO CHUC"
    stale.sheet_state = "hidden"
    wb.move_sheet(stale, offset=-len(wb.sheetnames) + 1)
    wb.save(path)
    read = read_paths([path])
    assert set(read.years[2025].units["sheet"]) == {"Tổ chức"}


# ---------------------------------------------------------------- 5. cluster spellings


def test_clusters_differing_in_case_or_spacing_are_one_cluster(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    column = layout.columns["Khối"]
    for code, spelling in (("DV03", "Khối Phường"), ("DV04", "KHỐI  PHƯỜNG"), ("DV05", " khối phường ")):
        ws[f"{column}{layout.unit_rows[code]}"] = spelling
    wb.save(path)
    read = read_paths([path])
    assert sorted(set(read.years[2025].units["cluster"])) == ["Khối Phường", "Khối xã"]  # the first spelling met
    assert any("coi là cùng một khối" in w for w in warnings(read))
    assert len(rate_all(read)[0].quota) == 2


# ---------------------------------------------------------------- 6. codes typed as numbers


def test_codes_typed_as_numbers_keep_one_form(tmp_path):
    y2024, y2025 = tmp_path / "tong_hop_2024.xlsx", tmp_path / "tong_hop_2025.xlsx"
    consolidated(
        y2024, units=[_with_code(u, f"00{i + 1}") for i, u in enumerate(UNITS)], title=["BẢNG ĐIỂM NĂM 2024", ""]
    )
    consolidated(y2025, units=[_with_code(u, i + 1) for i, u in enumerate(UNITS)])
    results = rate_all(read_paths([y2024, y2025]))
    assert list(results[1].units.sort_values("code")["code"]) == ["1", "2", "3", "4", "5"]
    assert results[1].units["rank_change"].notna().all()  # matched against 2024's "001"…

    mixed = tmp_path / "tron.xlsx"
    consolidated(mixed, units=[_with_code(UNITS[0], "001"), _with_code(UNITS[1], 1)] + UNITS[2:])
    assert any("bị trùng" in e.message for e in errors(read_paths([mixed])))


def _with_code(unit, code):
    from dataclasses import replace

    return replace(unit, code=code)


# ---------------------------------------------------------------- 7. rule columns under other headings


@pytest.mark.parametrize(
    "heading,field,value",
    [
        ("Hình thức kỷ luật", "collective_discipline", 1),
        ("Tổ chức bị kỷ luật", "collective_discipline", 1),
        ("KL tập thể", "collective_discipline", 1),
        ("Người đứng đầu bị kỷ luật", "head_discipline", 1),
        ("Có mất đoàn kết", "disunity", True),
        ("Vi phạm tham nhũng", "corruption", True),
    ],
)
def test_rule_columns_under_other_headings_apply(tmp_path, heading, field, value):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    column = {
        "collective_discipline": "Kỷ luật tập thể",
        "head_discipline": "Kỷ luật người đứng đầu",
        "disunity": "Mất đoàn kết",
        "corruption": "Tham nhũng",
    }[field]
    letter = layout.columns[column]
    ws[f"{letter}{layout.header_row}"] = heading
    ws[f"{letter}{layout.unit_rows['DV01']}"] = "khiển trách" if "discipline" in field else "x"
    wb.save(path)
    read = read_paths([path])
    unit = read.years[2025].units.set_index("code").loc["DV01"]
    assert unit[field] == value
    assert rate_all(read)[0].units.set_index("code").loc["DV01", "tier"] in TIERS[1:]


def test_an_average_column_is_not_the_penalty_and_is_warned(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path, extra={"Điểm trung bình": [9.1, 8.2, 9.5, 7.0, 8.8]})
    read = read_paths([path])
    assert (read.years[2025].units.set_index("code").loc["DV03", "penalty"]) == 0
    assert any("Điểm trung bình" in w and "không được nhận ra" in w for w in warnings(read))


# ---------------------------------------------------------------- 8. form labels


def test_a_unit_of_measure_label_is_not_the_units_name(tmp_path):
    path = tmp_path / "DV01.xlsx"
    layout = form_file(path, UNITS[0])
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.insert_rows(5)
    ws.cell(5, 1, "Đơn vị tính: điểm")
    wb.save(path)
    read = read_paths([path])
    assert read.years[2025].units.loc[0, "name"] == UNITS[0].name
    del layout


# ---------------------------------------------------------------- 20. float noise of cached values


def test_a_cached_value_with_float_noise_is_the_value_excel_shows(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    letter = next(v for k, v in layout.columns.items() if k.startswith("1.1") and "định" in k)
    ws[f"{letter}{layout.unit_rows['DV03']}"] = 10.000000000000002
    wb.save(path)
    read = read_paths([path])
    assert not errors(read)
    assert read.years[2025].unit_review.loc[2, "1.1"] == 10


# ---------------------------------------------------------------- 3. formulas never calculated


def test_review_formulas_without_cached_values_are_an_error_naming_the_cells(tmp_path, soffice):
    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path)
    wb, ws = sheet(path)
    letter = next(v for k, v in layout.columns.items() if k.startswith("2.1") and "định" in k)
    for code in ("DV01", "DV02"):
        ws[f"{letter}{layout.unit_rows[code]}"] = "=10+8"  # openpyxl writes the formula, no value
    wb.save(path)
    read = read_paths([path])
    (error,) = errors(read)
    assert "công thức chưa được tính" in error.message and "mở tệp bằng Excel/LibreOffice rồi lưu lại" in error.message
    assert (
        f"{letter}{layout.unit_rows['DV01']}" in error.message
        and f"{letter}{layout.unit_rows['DV02']}" in error.message
    )
    # Opened and saved by LibreOffice, the formulas have their values: the file reads, with 18 points.
    saved = convert(soffice, path, "xlsx", tmp_path / "lo")
    read = read_paths([saved])
    assert not errors(read) and read.years[2025].unit_review["2.1"].iloc[0] == 18


def test_formulas_of_a_program_that_asks_excel_to_calculate_them_are_not_trusted(tmp_path):
    import xlsxwriter

    path = tmp_path / "tong_hop.xlsx"
    layout = consolidated(path, header="suffix")
    src = openpyxl.load_workbook(path)["Tổ chức"]
    book = xlsxwriter.Workbook(str(path))  # caches 0 for every formula and sets fullCalcOnLoad
    ws = book.add_worksheet("Tổ chức")
    for row in src.iter_rows():
        for cell in row:
            if cell.value is not None:
                ws.write(cell.row - 1, cell.column - 1, cell.value)
    letter = next(v for k, v in layout.columns.items() if k.startswith("1.1") and "định" in k)
    ws.write_formula(f"{letter}{layout.unit_rows['DV01']}", "=9+0.5")
    book.close()
    assert any("công thức chưa được tính" in e.message for e in errors(read_paths([path])))


# ---------------------------------------------------------------- 10, 18, 19. protected and broken files


def test_password_protected_files_say_so_and_how(tmp_path):
    import msoffcrypto.format.ooxml

    plain = tmp_path / "plain.xlsx"
    consolidated(plain)
    locked = tmp_path / "co_mat_khau.xlsx"
    with plain.open("rb") as src, locked.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("1234", out)
    ods = tmp_path / "co_mat_khau.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
            "<manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
        )
        z.writestr("content.xml", b"\x8f\x11 encrypted bytes")
    for path in (locked, ods):
        (error,) = errors(read_paths([path]))
        assert "mật khẩu" in error.message and "lưu" in error.message, path.name


def test_a_zip_entry_flagged_encrypted_is_reported_not_a_crash(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # the central directory's first entry: set its "encrypted" bit
    data[at + 8] |= 0x1
    path.write_bytes(bytes(data))
    for command in ("validate", "rank"):
        out = run_cli(command, path)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert "mật khẩu" in out.stderr


def test_messages_stay_vietnamese_when_the_parser_fails(tmp_path):
    path = tmp_path / "hong.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40)
    (error,) = errors(read_paths([path]))
    assert not re.search(r"[A-Za-z]+(Error|Exception)|panic|slice index", error.message), error.message


# ---------------------------------------------------------------- 15, 16. what scales with a range, not the file


def test_whole_column_merges_cost_what_the_sheet_costs(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    # Written into the sheet XML as a program would (openpyxl would make a billion merged cell objects).
    refs = [openpyxl.utils.get_column_letter(40 + i) for i in range(1000)]
    merges = "".join(f'<mergeCell ref="{c}1:{c}1048576"/>' for c in refs).encode()
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"]
    if b"<mergeCells" in xml:
        xml = re.sub(rb"<mergeCells[^>]*>", lambda m: m.group(0) + merges, xml, count=1)
    else:
        xml = xml.replace(b"</sheetData>", b"</sheetData><mergeCells>" + merges + b"</mergeCells>", 1)
    parts["xl/worksheets/sheet1.xml"] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert openpyxl.load_workbook(path, read_only=True) and xml.count(b"<mergeCell ") >= 1000
    assert path.stat().st_size < 200_000
    out = run_cli("validate", path, timeout=120)  # the bound only catches a hang; it took minutes before
    assert "Traceback" not in out.stderr


def test_a_far_cell_behind_a_lying_dimension_is_refused_before_parsing(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Tổ chức"
    wb.active["A1"], wb.active["ZZ500000"] = "Mã đơn vị", 1
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', parts["xl/worksheets/sheet1.xml"]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (error,) = errors(read_paths([path]))
    assert "quá lớn" in error.message and "dòng 500000" in error.message


# ---------------------------------------------------------------- 21. a "Tiêu chí" sheet in another layout


def test_a_criteria_sheet_in_another_layout_says_how_to_skip_it(tmp_path):
    from scoring.framework import load_preset

    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Tiêu chí")
    ws.append(["Mã tiêu chí", "Nội dung", "Điểm"])  # no "Điểm tối đa": another office's layout
    ws.append(["1.1", "Quán triệt", 10])
    wb.save(path)
    problems = [e.message for e in errors(read_paths([path]))]
    assert any("chọn một bộ tiêu chí có sẵn" in p for p in problems), problems
    assert not errors(read_paths([path], load_preset()))  # a chosen framework skips the sheet
