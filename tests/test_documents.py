"""The committee's documents (docs/documents.md): printed to PDF by LibreOffice and read back (pdfinfo, pdftotext),
their Word files read with python-docx, the details kept in the store, the command line."""

import io
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from builders import FW, unit, year_data
from docx import Document
from docx.shared import Pt

from scoring import rate_all, rate_year, read_paths
from scoring.access import Actor, Forbidden, Role
from scoring.documents import (
    DECISION,
    LETTER,
    REPORT,
    CommitteeDetails,
    TemplateProblem,
    check_template,
    context,
    document,
    template_bytes,
    to_pdfs,
)
from scoring.documents import committee as kept
from scoring.formats import VN_TIME
from scoring.presentation import TIERS
from scoring.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
NOW = datetime(2025, 12, 20, 9, 0, tzinfo=VN_TIME)
DETAILS = CommitteeDetails(
    superior_body="ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN",
    issuing_body="ĐẢNG ỦY PHƯỜNG THUẬN HÀ",
    issuer_name="Ban Thường vụ Đảng ủy phường Thuận Hà",
    place="Thuận Hà",
    signer_name="Nguyễn Văn Minh",
    decision_number="125",
)
MM = 72 / 25.4  # points per millimetre
A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def results():
    return rate_all(read_paths(SAMPLE))


@pytest.fixture(scope="module")
def decision_pdf(results, soffice, tmp_path_factory):
    folder = tmp_path_factory.mktemp("decision")
    (folder / "quyet_dinh.docx").write_bytes(document(DECISION, results[-1], DETAILS, NOW))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(folder / "quyet_dinh.docx")],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return folder / "quyet_dinh.pdf"


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def words(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """Every word of a page with its box in points (x0, y0, x1, y1), from pdftotext -bbox."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True
    ).stdout
    found = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in found]


# ---------------------------------------------------------------- the decision and its list, as printed


def test_a4_and_the_margins_within_a_millimetre(decision_pdf):
    info = subprocess.run(["pdfinfo", str(decision_pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (width, height) == pytest.approx(A4, abs=1)
    first = words(decision_pdf, 1)
    # Justified lines of the căn cứ run from the left margin (30 mm) to the right one (15 mm).
    assert min(w[0] for w in first) == pytest.approx(30 * MM, abs=1 * MM)
    assert max(w[2] for w in first) == pytest.approx(width - 15 * MM, abs=1 * MM)
    # The first line starts under the top margin (20 mm): its letters' tops a few points below it.
    assert 20 * MM - 1 * MM <= min(w[1] for w in first) <= 20 * MM + 4 * MM
    for page in range(1, len(pages(decision_pdf)) + 1):
        assert max(w[3] for w in words(decision_pdf, page)) <= height - 20 * MM + 1 * MM


def test_the_header_the_number_the_date_and_the_signature(decision_pdf):
    first = pages(decision_pdf)[0]
    lines = [" ".join(line.split()) for line in first.splitlines()]
    for expected in (
        "ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN",
        "ĐẢNG ỦY PHƯỜNG THUẬN HÀ",
        "Số 125-QĐ/ĐU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Thuận Hà, ngày 20 tháng 12 năm 2025",
        "QUYẾT ĐỊNH",
        "BAN THƯỜNG VỤ ĐẢNG ỦY PHƯỜNG THUẬN HÀ",
        "T/M BAN THƯỜNG VỤ",
        "BÍ THƯ",
        "Nguyễn Văn Minh",
        "Nơi nhận:",
        "- Lưu Văn phòng.",
    ):
        assert any(expected in line for line in lines), expected
    assert "Căn cứ Quy định số 366-QĐ/TW" in first and "Điều 1." in first and "Điều 3." in first


def test_page_numbers_from_page_two_at_the_top_centre(decision_pdf):
    printed = pages(decision_pdf)
    assert len(printed) >= 3
    assert not re.match(r"\s*\d+\s*$", printed[0].splitlines()[0])  # the first page has none
    centre = (30 * MM + A4[0] - 15 * MM) / 2  # of the text between the margins
    for page in range(2, len(printed) + 1):
        top = min(words(decision_pdf, page), key=lambda w: w[1])
        assert top[4] == str(page)
        assert (top[0] + top[2]) / 2 == pytest.approx(centre, abs=3)
        assert top[1] < 20 * MM  # in the header, above the text


def _rows(text: str) -> list[tuple[int, str, int]]:
    """(STT, total, rank) of each table row of the list as printed."""
    return [
        (int(m.group(1)), m.group(2), int(m.group(3)))
        for m in re.finditer(r"^\s{0,6}(\d+)\s+\S.*?(\d+,\d\d)\s+(\d+)\s*$", text, flags=re.M)
    ]


def test_every_unit_and_head_of_the_list_in_tier_and_rank_order(decision_pdf, results):
    listed = _rows("\n".join(pages(decision_pdf)[1:]))
    result = results[-1]

    def expected(people):
        order = people.assign(t=people["tier"].map(TIERS.index)).sort_values(["t", "rank"], kind="stable")
        return [(i + 1, f"{total:.2f}".replace(".", ","), rank) for i, (total, rank) in
                enumerate(zip(order["total"], order["rank"]))]  # fmt: skip

    units, leaders = expected(result.units), expected(result.leaders)
    assert listed == units + leaders
    text = "\n".join(pages(decision_pdf)[1:])
    assert "(Kèm theo Quyết định số 125-QĐ/ĐU, ngày 20/12/2025 của Ban Thường vụ Đảng ủy phường Thuận Hà)" in " ".join(
        text.split()
    )
    counts = result.units["tier"].value_counts()
    assert f"I. TỔ CHỨC CƠ SỞ ĐẢNG ({len(result.units)} tổ chức" in " ".join(text.split())
    assert f"Hoàn thành tốt nhiệm vụ: {counts['HTTNV']}" in text


def test_the_heading_row_repeats_on_the_next_page_of_a_long_table(decision_pdf):
    printed = pages(decision_pdf)
    continued = [p for p in printed[2:] if p.strip().splitlines()[1].split()[:1] == ["STT"]]
    assert continued, "no page starts with a table's heading row again"
    head = continued[0].strip().splitlines()[1]
    assert "STT" in head and ("Tên tổ chức cơ sở đảng" in head or "Họ và tên" in head)


def test_times_new_roman_14_in_the_word_file(results):
    doc = Document(io.BytesIO(document(DECISION, results[-1], DETAILS, NOW)))
    normal = doc.styles["Normal"].font
    assert (normal.name, normal.size) == ("Times New Roman", Pt(14))
    section = doc.sections[0]
    assert [round(x.mm) for x in (section.top_margin, section.bottom_margin, section.left_margin)] == [20, 20, 30]
    assert round(section.right_margin.mm) == 15 and section.different_first_page_header_footer
    sizes = {r.font.size.pt for p in doc.paragraphs for r in p.runs if r.font.size}
    assert sizes <= {12, 14, 15, 16} and 14 in sizes
    assert all(r.font.name in (None, "Times New Roman") for p in doc.paragraphs for r in p.runs)


def test_the_report_and_a_letter_as_printed(results, soffice, tmp_path):
    result = results[-1]
    first = result.units.iloc[0]
    with zipfile.ZipFile(io.BytesIO(document(LETTER, result, DETAILS, NOW))) as z:
        letter = z.read(f"{first['code']}.docx")
    printed = to_pdfs({"bao_cao.docx": document(REPORT, result, DETAILS, NOW, previous=results[-2]), "tb.docx": letter})
    for name, expected in (
        ("bao_cao.pdf", ["Số …………………-BC/ĐU", "BÁO CÁO", "I. KẾT QUẢ XẾP LOẠI", "Tổ chức bị hạ mức do chỉ tiêu"]),
        ("tb.pdf", ["THÔNG BÁO", f"Kính gửi: {first['name']}", "1. Điểm theo tiêu chí", "Xếp loại:"]),
    ):
        (tmp_path / name).write_bytes(printed[name])
        info = subprocess.run(["pdfinfo", str(tmp_path / name)], capture_output=True, text=True).stdout
        assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), name
        text = " ".join(" ".join(pages(tmp_path / name)).split())
        for line in ["ĐẢNG ỦY PHƯỜNG THUẬN HÀ", "Thuận Hà, ngày 20 tháng 12 năm 2025", "T/M BAN THƯỜNG VỤ",
                     "Nguyễn Văn Minh", *expected]:  # fmt: skip
            assert line in text, (name, line)


def test_letters_as_pdf_are_named_by_the_units_code(soffice):
    result = rate_year(year_data([unit("A", 96), unit("B", 80)]), FW)
    with zipfile.ZipFile(io.BytesIO(document(LETTER, result, DETAILS, NOW, pdf=True))) as z:
        assert sorted(z.namelist()) == ["A.pdf", "B.pdf"]
        assert all(z.read(name).startswith(b"%PDF-") for name in z.namelist())


# ---------------------------------------------------------------- text as typed, templates an office changes

STRANGE = '<&> {{ committee }} {% if 1 %}x{% endif %} =HYPERLINK("http://x.vn","y")'


def test_names_with_word_specials_and_template_syntax_come_out_literally():
    data = year_data([unit("A", 96, name=STRANGE), unit("B", 80)])
    result = rate_year(data, FW)
    odd = CommitteeDetails(signer_name="Lê {{ year }} & <b>", grounds=("Căn cứ {% raw %}<x>;",))
    for kind in (DECISION, REPORT):
        text = "\n".join(p.text for p in Document(io.BytesIO(document(kind, result, odd, NOW))).paragraphs)
        tables = "\n".join(c.text for t in Document(io.BytesIO(document(kind, result, odd, NOW))).tables
                           for row in t.rows for c in row.cells)  # fmt: skip
        assert "Lê {{ year }} & <b>" in tables
        if kind == DECISION:
            assert STRANGE in tables and "Căn cứ {% raw %}<x>;" in text
    with zipfile.ZipFile(io.BytesIO(document(LETTER, result, odd, NOW))) as z:
        assert sorted(z.namelist()) == ["A.docx", "B.docx"]
        letter = Document(io.BytesIO(z.read("A.docx")))
    assert any(STRANGE in p.text for p in letter.paragraphs)


def _with_text(template: bytes, old: str, new: str) -> bytes:
    """A template with one tag changed, as an office would change it in Word."""
    source = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            z.writestr(item, data)
    return out.getvalue()


def test_an_uploaded_template_is_checked_and_names_what_is_missing():
    decision = template_bytes(DECISION)
    check_template(DECISION, decision)
    with pytest.raises(TemplateProblem, match=r"thiếu các thẻ: \{\{ decision_number \}\}"):
        check_template(DECISION, _with_text(decision, "{{ decision_number }}", "125"))
    with pytest.raises(TemplateProblem, match="viết sai"):
        check_template(DECISION, _with_text(decision, "{{ date_line }}", "{{ date_line "))
    with pytest.raises(TemplateProblem, match="không phải tệp Word"):
        check_template(REPORT, b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateProblem, match="thiếu"):
        check_template(LETTER, decision)  # the decision's template is no letter
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * 120 * 2**20)  # 120 MiB of nothing in a small file
    with pytest.raises(TemplateProblem, match="zip bomb"):
        check_template(DECISION, bomb.getvalue())


def test_a_template_that_reads_outside_itself_is_refused():
    decision = template_bytes(DECISION)
    field = "<w:fldSimple w:instr=' INCLUDETEXT \"/etc/passwd\" '><w:r><w:t>x</w:t></w:r></w:fldSimple>"
    with pytest.raises(TemplateProblem, match="INCLUDE"):
        check_template(DECISION, _with_text(decision, "<w:t>*</w:t>", f"<w:t>*</w:t></w:r>{field}<w:r><w:t/>"))
    linked = _with_part(decision, "word/_rels/document.xml.rels", b'Target="http://x.vn/a.png" TargetMode="External"')
    with pytest.raises(TemplateProblem, match="liên kết ra ngoài"):
        check_template(DECISION, linked)


def _with_part(template: bytes, name: str, extra: bytes) -> bytes:
    """A template with bytes added at the end of one part (enough for a scan, not for Word)."""
    source = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            z.writestr(item, source.read(item) + (extra if item.filename == name else b""))
    return out.getvalue()


def test_a_template_cannot_reach_the_server():
    result = rate_year(year_data([unit("A", 90)]), FW)
    probe = _with_text(
        template_bytes(DECISION), "{{ date_line }}", "{{ committee.__class__.__mro__[1].__subclasses__() }}"
    )
    with pytest.raises(TemplateProblem, match="Không điền được"):
        document(DECISION, result, DETAILS, NOW, template=probe)


# ---------------------------------------------------------------- what the report and the letters say


def test_report_figures_worked_by_hand():
    # 2024: A 85, B 80 (HTTNV), C 60 (HTNV). 2025: A 96 and B 95 (HTXSNV by score), C 85 never self-assessed
    # (KHTNV), D 75, E 88, F 72 (HTTNV). Five units HTTNV or above: the 20 % quota allows 1 HTXSNV, so B moves
    # down. 2025: HTXSNV 1 (+1), HTTNV 4 (+2), HTNV 0 (−1), KHTNV 1 (+1), 6 units (+3). Self totals: A 100,
    # B 95, D 90, E 88, F 80: gaps A 4, D 15, F 8 (B and E none).
    before = rate_year(year_data([unit("A", 85), unit("B", 80), unit("C", 60)], year=2024), FW)
    own = {c.code: float(c.max_points) for c in FW.of("unit")}

    def share(k):
        return {c: v * k for c, v in own.items()}

    data = year_data(
        [
            unit("A", 96, self=own),
            unit("B", 95, self=share(0.95)),
            unit("C", 85),
            unit("D", 75, self=share(0.9)),
            unit("E", 88, self=share(0.88)),
            unit("F", 72, self=share(0.8)),
        ],
        has_self_columns=True,
    )
    said = context.report(rate_year(data, FW, before), before, DETAILS, NOW)
    assert [r["cells"] for r in said["tier_table"]] == [
        ["Hoàn thành xuất sắc nhiệm vụ", 1, "16,7%", "+1", 0],
        ["Hoàn thành tốt nhiệm vụ", 4, "66,7%", "+2", 0],
        ["Hoàn thành nhiệm vụ", 0, "0,0%", "-1", 0],
        ["Không hoàn thành nhiệm vụ", 1, "16,7%", "+1", 0],
        ["Tổng số", 6, "100%", "+3", 0],
    ]
    assert [r["cells"] for r in said["cluster_table"]] == [["K1", 6, 1, 4, 0, 1], ["Tổng số", 6, 1, 4, 0, 1]]
    assert [n.split(":")[0] for n in said["quota_notes"]] == ["B Đơn vị B (K1)"]
    assert said["no_self_notes"] == ["C Đơn vị C (K1)"]
    assert said["gap_notes"] == [
        "D Đơn vị D (K1): tự chấm 90,00, thẩm định 75,00 (chênh 15,00 điểm)",
        "F Đơn vị F (K1): tự chấm 80,00, thẩm định 72,00 (chênh 8,00 điểm)",
        "A Đơn vị A (K1): tự chấm 100,00, thẩm định 96,00 (chênh 4,00 điểm)",
    ]


def test_a_letter_carries_the_committees_reasons_and_its_heads_result(results):
    result = results[-1]
    code = result.units["code"].iloc[0]
    letters = dict(context.letters(result, DETAILS, NOW, {code: {"2.1": "Thiếu biên bản đối thoại"}}))
    assert set(letters) == set(result.units["code"])
    mine = letters[code]
    assert mine["unit"]["code"] == code and mine["unit"]["rank"] == 1
    assert [c["reason"] for c in mine["criteria"] if c["code"] == "2.1"] == ["Thiếu biên bản đối thoại"]
    assert all(c["reason"] == "" for c in mine["criteria"] if c["code"] != "2.1")
    head = result.leaders.set_index("unit_code").loc[code]
    assert mine["leader"]["name"] == head["name"] and mine["leader"]["tier"]


# ---------------------------------------------------------------- the store and the command line


def test_details_kept_by_officers_audited_and_refused_to_others(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert kept.details(store) == CommitteeDetails()
    kept.set_details(store, Actor("canbo", Role.OFFICER), DETAILS)
    assert kept.details(store) == DETAILS
    assert kept.details(store).report_settings().issuing_body == "ĐẢNG ỦY PHƯỜNG THUẬN HÀ"
    log = store.audit(actions=["setting"])
    assert "Cơ quan cấp trên" in log["detail"].iloc[0] and "Người ký" in log["detail"].iloc[0]
    with pytest.raises(Forbidden):
        kept.set_details(store, Actor("lanhdao", Role.LEADERSHIP), CommitteeDetails())
    with pytest.raises(TemplateProblem):
        kept.set_template(store, Actor("canbo", Role.OFFICER), REPORT, "mau.docx", template_bytes(LETTER))
    kept.set_template(store, Actor("canbo", Role.OFFICER), REPORT, "mau.docx", template_bytes(REPORT))
    assert kept.uploaded_template(store, REPORT) == "mau.docx"
    assert kept.template_file(store, Actor("canbo", Role.OFFICER), REPORT) == template_bytes(REPORT)
    with pytest.raises(Forbidden):
        kept.template_file(store, Actor("lanhdao", Role.LEADERSHIP), REPORT)
    kept.set_template(store, Actor("canbo", Role.OFFICER), REPORT, None, None)
    assert kept.uploaded_template(store, REPORT) is None


def test_the_command_line_writes_each_document(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "scoring", *a], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DANVAN_DATABASE_URL": url, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert run("db", "import", *map(str, SAMPLE)).returncode == 0
    done = run("document", "decision", "2025", "-o", str(tmp_path / "qd.docx"), "--number", "7", "--place", "Hà Nội")
    assert done.returncode == 0, done.stderr
    text = "\n".join(c.text for t in Document(tmp_path / "qd.docx").tables for r in t.rows for c in r.cells)
    assert "Số 7-QĐ/ĐU" in text and "Hà Nội, ngày" in text
    assert run("document", "letters", "2025", "-o", str(tmp_path / "tb")).returncode == 0
    assert len(list((tmp_path / "tb").glob("DV*.docx"))) == 45
    missing = run("document", "report", "2031", "-o", str(tmp_path / "x.docx"))
    assert missing.returncode == 2 and "Chưa có dữ liệu năm 2031" in missing.stderr


def test_a_published_rounds_letters_give_the_committees_reasons(tmp_path, clock):
    from datetime import timedelta

    from scoring.rounds import Rounds, key
    from tests.builders import START
    from tests.test_rounds import FW as ROUND_FW
    from tests.test_rounds import LEADER_ACCOUNT, OFFICER, ROSTER, UNIT_A, UNIT_B, submitted

    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    rounds = Rounds(store, clock)
    rounds.open(OFFICER, 2026, ROUND_FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})
    submitted(rounds, UNIT_B, "DVB")
    rounds.appraise(OFFICER, 2026, "DVA", {key("unit", "2.1"): 16}, {key("unit", "2.1"): "Thiếu minh chứng"})
    rounds.complete(OFFICER, 2026, "DVA", {}, "")
    rounds.complete(OFFICER, 2026, "DVB", {}, "")
    rounds.publish(LEADER_ACCOUNT, 2026)
    with zipfile.ZipFile(io.BytesIO(kept.year_document(store, OFFICER, LETTER, 2026, now=NOW))) as z:
        letter = Document(io.BytesIO(z.read("DVA.docx")))
    rows = {r.cells[0].text: [c.text for c in r.cells] for t in letter.tables for r in t.rows if r.cells}
    assert rows["2.1"][3:] == ["18,00", "16,00", "Thiếu minh chứng"]  # self, appraised, reason
    assert rows["2.2"][5] == ""
    with pytest.raises(Forbidden):
        kept.year_document(store, Actor("dv", Role.UNIT, "DVA"), LETTER, 2026)
