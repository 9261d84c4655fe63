"""One deployment for a province (scoring.province, Store.within): each committee keeps its own years, versions,
settings, framework choice and rounds; the province sees them side by side and ranks the units of the subtree
together only where the frameworks agree; nobody acts outside their committee's subtree."""

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import province, service
from scoring.access import Actor, Forbidden, Role
from scoring.accounts import Accounts
from scoring.committees import ROOT_ID, Committees
from scoring.comparability import framework_differences
from scoring.documents import committee as documents
from scoring.framework import load_preset
from scoring.rounds import Rounds
from scoring.store import Store, StoreError
from scoring.store_frameworks import FRAMEWORK_ENFORCED
from tests.builders import START
from tests.test_rounds import FW, ROSTER, submitted

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
ADMIN = Actor("quantri", Role.ADMIN)
PROVINCE = Actor("canbo-tinh", Role.OFFICER)


def _province(url: str, files=SAMPLE[-1:]) -> tuple[Store, dict[str, int]]:
    """A root with two communes, XA01 and XA02, each with the given sample years."""
    store = Store(url)
    tree = Committees(store)
    ids = {c: tree.add(ADMIN, c, f"Đảng ủy xã {c}").id for c in ("XA01", "XA02")}
    for committee in ids.values():
        service.import_files(store.within(committee), [(p.name, p.read_bytes()) for p in files])
    return store, ids


def officer(committee: int, role: Role = Role.OFFICER, unit: str | None = None) -> Actor:
    return Actor(f"{role.value}-{committee}", role, unit, committee_id=committee)


def test_each_committee_keeps_its_own_years_versions_settings_and_rounds(database_url, clock):
    store, ids = _province(database_url)
    a, b = store.within(ids["XA01"]), store.within(ids["XA02"])
    service.import_files(a, [(SAMPLE[0].name, SAMPLE[0].read_bytes())])
    assert sorted(a.active_versions()) == [2023, 2025]
    assert sorted(b.active_versions()) == [2025]
    assert store.active_versions() == {}  # the province stores nothing itself
    assert not set(a.active_versions().values()) & set(b.active_versions().values())
    with pytest.raises(StoreError):  # another committee's version is not found by its id
        b.load(2023, a.active_versions()[2023])
    with pytest.raises(StoreError):
        b.activate(a.active_versions()[2025])
    assert [d.year for d in b.history(2023)] == []

    service.set_disclosure(a, officer(ids["XA01"], Role.ADMIN), "tiers")
    assert service.committee_disclosure(a) == "tiers"
    assert service.committee_disclosure(b) == "totals"  # the default, untouched

    for inside in (a, b):  # the same year's round in each commune
        Rounds(inside, clock).open(
            officer(inside.committee_id), 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20)
        )
    with pytest.raises(Exception, match="đã có đợt"):
        Rounds(a, clock).open(
            officer(ids["XA01"]), 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20)
        )
    assert Rounds(store, clock).years() == {}
    entries = store.audit(50)
    assert {ids["XA01"], ids["XA02"]} <= set(entries["committee_id"])
    assert set(store.audit(50, committees={ids["XA02"]})["committee_id"]) == {ids["XA02"]}


def test_a_committee_uses_its_parents_framework_unless_the_parent_lets_it_choose(tmp_path):
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}", files=[])
    a, b = store.within(ids["XA01"]), store.within(ids["XA02"])
    strict = replace(load_preset(), name="Bộ tiêu chí của tỉnh", thresholds=(Decimal(92), Decimal(75), Decimal(50)))
    own = replace(load_preset(), name="Bộ tiêu chí riêng của xã", thresholds=(Decimal(88), Decimal(70), Decimal(50)))
    store.save_framework(strict)
    assert a.framework() == strict and b.framework() == strict
    assert store.framework_enforced()
    with pytest.raises(StoreError, match="cấp trên"):
        a.save_framework(own)
    store.set_setting(FRAMEWORK_ENFORCED, False, "quantri", "Cho phép cấp ủy trực thuộc chọn bộ tiêu chí")
    a.save_framework(own)
    assert a.framework() == own and b.framework() == strict
    assert "Bộ tiêu chí riêng của xã" not in set(b.framework_versions()["name"])
    store.set_setting(FRAMEWORK_ENFORCED, True, "quantri", "Bắt buộc dùng bộ tiêu chí của cấp trên")
    assert a.framework() == strict  # its own choice is kept, and unused while the province requires its own


def test_the_province_ranks_the_units_of_its_communes_together(tmp_path):
    """The same 45 units in both communes: each unit ties with its twin, so ranks go 1, 1, 3, 3, …; each unit keeps
    the tier and the rank its own commune gave it."""
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}")
    years = province.committee_years(store, PROVINCE, 2025)
    assert [y.committee.code for y in years] == ["GOC", "XA01", "XA02"]
    assert years[0].result is None
    own = years[1].result.units.set_index("code")
    ranked = province.subtree_ranking(years)
    assert len(ranked) == 2 * len(own)
    assert ranked["rank"].tolist()[:4] == [1, 1, 3, 3]
    # a unit ranked r in its commune has r − 1 units ahead of it there, so 2(r − 1) ahead in the province
    assert (ranked["rank"] == 2 * ranked["committee_rank"] - 1).all()
    pair = ranked[ranked["code"] == own.index[0]]
    assert pair["committee"].tolist() == ["XA01", "XA02"]
    assert (pair["committee_rank"] == own.loc[own.index[0], "rank"]).all()
    assert (pair["tier"] == own.loc[own.index[0], "tier"]).all()
    assert ranked.groupby("committee")["tier"].value_counts().unstack().loc["XA01"].to_dict() == (
        own["tier"].value_counts().to_dict()
    )


def test_the_province_does_not_rank_together_what_different_frameworks_rated(tmp_path):
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}", files=[])
    data = SAMPLE[-1]
    other = replace(load_preset(), name="Ngưỡng riêng", thresholds=(Decimal(85), Decimal(70), Decimal(50)))
    with pytest.raises(StoreError, match="cấp trên quy định"):  # the province requires its framework …
        service.import_files(store.within(ids["XA02"]), [(data.name, data.read_bytes())], framework=other)
    store.set_setting(FRAMEWORK_ENFORCED, False, "quantri", "Cho phép cấp ủy trực thuộc chọn bộ tiêu chí")  # … no more
    service.import_files(store.within(ids["XA01"]), [(data.name, data.read_bytes())], framework=load_preset())
    service.import_files(store.within(ids["XA02"]), [(data.name, data.read_bytes())], framework=other)
    with pytest.raises(StoreError) as refused:
        province.subtree_ranking(province.committee_years(store, PROVINCE, 2025))
    assert "XA01" in str(refused.value) and "XA02" in str(refused.value)
    assert "ngưỡng xếp loại 90–70–50 / 85–70–50" in str(refused.value)
    assert framework_differences(load_preset(), replace(load_preset(), name="Tên khác")) == []


def test_the_committees_at_a_glance_and_compared(tmp_path, clock):
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}")
    a = store.within(ids["XA01"])
    rounds = Rounds(a, clock)
    rounds.open(officer(ids["XA01"]), 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    unit = Actor("dv-a", Role.UNIT, "DVA", committee_id=ids["XA01"])
    submitted(rounds, unit, "DVA")
    clock.advance(days=11)  # DVB never submitted: late

    def at_a_glance(year):
        found = province.committee_years(store, PROVINCE, year)
        table = province.overview(store, PROVINCE, year, found, lambda c: Rounds(store.within(c), clock))
        return found, table.set_index("committee")

    years, table = at_a_glance(2025)
    own = years[1].result.units["tier"].value_counts()
    assert table.loc["XA01", ["HTXSNV", "HTTNV", "HTNV", "KHTNV"]].to_dict() == {
        t: int(own.get(t, 0)) for t in ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
    }
    assert "GOC" not in table.index and (table["round"] == "").all()  # the province rates no units itself
    _, table = at_a_glance(2026)
    assert table.loc["XA01", ["round", "in_round", "submitted", "waiting", "late"]].tolist() == ["open", 2, 1, 1, 1]
    assert table.loc["XA02", "round"] == "" and table.loc["XA01", "units"] == 0
    compared = province.comparison(years).set_index("committee")
    units = years[1].result.units
    assert compared.loc["XA01", "median"] == pytest.approx(units["total"].median())
    assert compared.loc["XA01", "top_share"] == pytest.approx((units["tier"] == "HTXSNV").mean())
    appraised = units[units["appraised"]]
    assert compared.loc["XA01", "gap"] == pytest.approx((appraised["review_score"] - appraised["self_score"]).mean())


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """An empty store at the newest schema, copied by each example (migrating one takes a second)."""
    path = tmp_path_factory.mktemp("empty") / "empty.sqlite"
    Store(f"sqlite:///{path}").engine.dispose()
    return path


def _tree(store: Store, parents: list[int]) -> list[int]:
    tree, codes, ids = Committees(store), ["GOC"], [ROOT_ID]
    for k, p in enumerate(parents):
        added = tree.add(ADMIN, f"C{k}", f"Cấp ủy {k}", parent=codes[p % len(codes)])
        codes.append(added.code)
        ids.append(added.id)
    return ids


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parents=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6), data=st.data())
def test_nobody_reads_or_changes_anything_outside_their_subtree(empty_store, tmp_path_factory, parents, data, clock):
    """Over random trees and roles: an account of committee X works in X's subtree (a unit's account: X only) and
    every library action on any other committee is refused, whatever store view it is handed."""
    copy = tmp_path_factory.mktemp("iso") / "t.sqlite"
    shutil.copy(empty_store, copy)
    store = Store(f"sqlite:///{copy}")
    ids = _tree(store, parents)
    home, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    role = data.draw(st.sampled_from(list(Role)))
    actor = Actor("ai-do", role, "DVA" if role == Role.UNIT else None, committee_id=home)
    inside = store.within(target)
    Rounds(inside, clock).open(
        Actor("mo", Role.OFFICER, committee_id=target),
        2026,
        FW,
        ROSTER,
        START + timedelta(days=10),
        START + timedelta(days=20),
    )
    allowed = target == home or (role != Role.UNIT and target in Committees(store).subtree(home))
    steps = [
        lambda: Committees(store).view(actor, target),
        lambda: inside.require(actor),
        lambda: Rounds(inside, clock).sheet(actor, 2026, "DVA"),
        lambda: Rounds(inside, clock).history(actor, 2026, "DVA"),
    ]
    if role != Role.UNIT:
        steps += [
            lambda: Rounds(inside, clock).board(actor, 2026),
            lambda: Rounds(inside, clock).summary(actor, 2026),
            lambda: province.committee_years(inside, actor, 2026),
        ]
    if role in (Role.ADMIN, Role.OFFICER):
        steps += [
            lambda: service.set_disclosure(inside, actor, "tiers"),
            lambda: documents.set_details(inside, actor, documents.details(inside)),
        ]
    for step in steps:
        if allowed:
            step()
        else:
            with pytest.raises(Forbidden):
                step()
    if not allowed:
        assert service.committee_disclosure(inside) == "totals"  # nothing was changed
    if role == Role.UNIT and allowed:
        with pytest.raises(Forbidden):
            Rounds(inside, clock).board(actor, 2026)


def test_a_unit_account_belongs_to_its_commune_even_where_codes_repeat(tmp_path, clock):
    """Both communes have a unit DV01: XA01's unit account works with XA01's DV01 only."""
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}")
    admin_a = officer(ids["XA01"], Role.ADMIN)
    Accounts(store).create(
        admin_a, "dv01-xa01", Role.UNIT, "Mat-khau-du-dai-2026", unit="DV01", committee_id=ids["XA01"]
    )
    with pytest.raises(Forbidden):
        Accounts(store).create(
            admin_a, "dv01-xa02", Role.UNIT, "Mat-khau-du-dai-2026", unit="DV01", committee_id=ids["XA02"]
        )
    unit = Accounts(store).sign_in("dv01-xa01", "Mat-khau-du-dai-2026", "127.0.0.1")
    assert unit.committee_id == ids["XA01"]
    assert [c.code for c in Committees(store).visible(unit)] == ["XA01"]
    assert [c.code for c in Committees(store).visible(PROVINCE)] == ["GOC", "XA01", "XA02"]
    with pytest.raises(Forbidden):
        Committees(store).view(unit, ids["XA02"])
    with pytest.raises(Forbidden):
        service.ranking_years(store.within(ids["XA02"]), unit, store.within(ids["XA02"]).active_versions())


def test_the_command_line_works_inside_a_committee_and_ranks_a_subtree(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "scoring", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
        )

    for code in ("XA01", "XA02"):
        assert run("committee", "--database", db, "add", code, "--name", f"Đảng ủy xã {code}").returncode == 0
        assert run("db", "--database", db, "import", str(SAMPLE[-1]), "--committee", code).returncode == 0
    years = run("db", "--database", db, "--committee", "XA01", "years")
    assert years.returncode == 0 and "2025" in years.stdout
    assert "Chưa có năm nào" in run("db", "--database", db, "years").stdout
    own = json.loads(run("db", "--database", db, "rank", "2025", "--committee", "XA01", "--json").stdout)
    together = run("db", "--database", db, "rank", "2025", "--json")
    assert together.returncode == 0, together.stderr
    year = json.loads(together.stdout)["years"][0]
    assert year["committees"] == ["XA01", "XA02"]
    assert len(year["units"]) == 2 * len(own["years"][0]["units"])
    first = own["years"][0]["units"][0]
    assert [(u["committee"], u["rank"], u["committee_rank"]) for u in year["units"][:2]] == [
        ("XA01", 1, first["rank"]),
        ("XA02", 1, first["rank"]),
    ]
    unknown = run("db", "--database", db, "rank", "2025", "--committee", "XA99")
    assert unknown.returncode == 2 and "XA99" in unknown.stderr

    other = tmp_path / "khac.toml"
    other.write_text(
        (ROOT / "scoring" / "presets" / "dan_van_tccsd.toml").read_text("utf-8").replace("90", "85", 1), "utf-8"
    )
    importing = ("db", "--database", db, "import", str(SAMPLE[-1]), "--committee", "XA02", "--framework", str(other))
    refused = run(*importing)
    assert refused.returncode == 2 and "cấp trên quy định" in refused.stderr
    Store(db).set_setting(FRAMEWORK_ENFORCED, False, "quantri", "Cho phép cấp ủy trực thuộc chọn bộ tiêu chí")
    assert run(*importing).returncode == 0
    refused = run("db", "--database", db, "rank", "2025", "--json")
    assert refused.returncode == 2 and "Không xếp hạng chung được" in refused.stderr and refused.stdout == ""


def _signed_in(monkeypatch, url: str, login: str, role: Role, committee: int) -> None:
    """The app's cookie reader hands AppTest this account's session token (tests.signing)."""
    import pages._auth
    from tests.signing import PASSWORD, session_token

    accounts = Accounts(Store(url))
    accounts.create(ADMIN, login, role, PASSWORD, full_name=f"Người {login}", committee_id=committee)
    token = session_token(accounts, login)
    monkeypatch.setattr(pages._auth, "_token", lambda: token)


def _app(page: str | None = None, state: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_province_sees_its_communes_side_by_side_and_a_commune_only_itself(tmp_path, monkeypatch):
    from pages._ui import COMMITTEE_KEY

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    _, ids = _province(url)
    _signed_in(monkeypatch, url, "canbo-tinh", Role.OFFICER, ROOT_ID)
    at = _app("cap_uy")
    assert at.title[0].value == "Các cấp ủy"
    overview = at.dataframe[0].value
    assert overview["Mã cấp ủy"].tolist() == ["XA01", "XA02"]
    assert overview["Số đơn vị"].tolist() == [45, 45]
    ranking = at.dataframe[2].value
    assert len(ranking) == 90 and ranking["Xếp hạng chung"].tolist()[:2] == [1, 1]
    chooser = at.sidebar.selectbox(key=COMMITTEE_KEY)
    assert chooser.options == ["Cấp ủy", "Đảng ủy xã XA01", "Đảng ủy xã XA02"]
    chooser.set_value(ids["XA02"]).run()
    at.switch_page("pages/tong_quan.py").run()
    assert at.metric[0].value == "45"  # the overview of XA02

    _signed_in(monkeypatch, url, "canbo-xa01", Role.OFFICER, ids["XA01"])
    at = _app("cap_uy", {COMMITTEE_KEY: ids["XA02"]})  # a forged choice of another commune
    assert not at.sidebar.selectbox  # one committee: no chooser
    assert "không có cấp ủy trực thuộc" in at.info[0].value
    assert at.session_state["_danvan_store"].committee_id == ids["XA01"]


def test_a_download_is_built_only_inside_the_account_s_subtree(tmp_path, monkeypatch):
    """The download route checks, when the link is followed, that the account still works in the committee the
    file was offered from: a file of another commune is never built for it."""
    from scoring.access import Right
    from scoring.web import downloads
    from tests.signing import PASSWORD, session_token

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    store, ids = _province(url, files=[])
    accounts = Accounts(store)
    accounts.create(ADMIN, "canbo-xa01", Role.OFFICER, PASSWORD, committee_id=ids["XA01"])
    cookie = session_token(accounts, "canbo-xa01")
    who = accounts.session(cookie)
    built = []

    def build(account):
        built.append(account.login)
        return b"noi dung"

    own = downloads.offer(None, who, Right.VIEW_ALL, build, "a.txt", "text/plain", 2025, ids["XA01"])
    other = downloads.offer(None, who, Right.VIEW_ALL, build, "b.txt", "text/plain", 2025, ids["XA02"])
    assert downloads._serve(own, cookie).body == b"noi dung"
    assert downloads._serve(other, cookie).status_code == 403
    assert built == ["canbo-xa01"]
    logged = store.audit(5, actions=["download"])
    assert logged["committee_id"].tolist() == [ids["XA01"]]


def test_a_leader_of_one_commune_cannot_publish_another_s_round_from_the_command_line(tmp_path, clock):
    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}", files=[])
    Rounds(store.within(ids["XA02"]), clock).open(
        officer(ids["XA02"]), 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20)
    )
    Accounts(store).create(ADMIN, "lanhdao-xa01", Role.LEADERSHIP, "Mat-khau-du-dai-2026", committee_id=ids["XA01"])
    refused = subprocess.run(
        [sys.executable, "-m", "scoring", "round", "--database", store.url, "publish", "2026", "--as", "lanhdao-xa01"]
        + ["--committee", "XA02"],
        input="Mat-khau-du-dai-2026\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert refused.returncode == 2 and "không làm việc với cấp ủy này" in refused.stderr
    assert Rounds(store.within(ids["XA02"]), clock).years() == {2026: "open"}


def test_committees_rating_on_different_scales_are_counted_in_every_scale_s_columns(tmp_path):
    """XA01 rates with the presets' four tiers, XA02 (allowed to choose) with docs/examples' five: the overview has
    a column per tier of both scales, each committee counted in its own, and the summary workbook says so."""
    import io

    import openpyxl

    from scoring.framework import load_framework_file
    from scoring.province_report import summary_bytes
    from scoring.report_layout import ReportSettings

    store, ids = _province(f"sqlite:///{tmp_path / 'p.sqlite'}", files=[])
    store.set_setting(FRAMEWORK_ENFORCED, False, "quantri", "Cho phép cấp ủy trực thuộc chọn bộ tiêu chí")
    five = load_framework_file(ROOT / "docs" / "examples" / "dan_van_chinh_quyen_5_muc.toml")
    data = SAMPLE[-1]
    service.import_files(store.within(ids["XA01"]), [(data.name, data.read_bytes())], framework=load_preset())
    service.import_files(store.within(ids["XA02"]), [(data.name, data.read_bytes())], framework=five)
    years = province.committee_years(store, PROVINCE, 2025)
    tiers = province.tiers_of(years)
    assert tiers.codes == ("HTXSNV", "HTTNV", "HTNV", "KHTNV", "XS", "TOT", "KHA", "TB", "YEU")
    table = province.overview(store, PROVINCE, 2025, years).set_index("committee")
    for y in years[1:]:
        counts = y.result.units["tier"].value_counts()
        own = [t.code for t in y.result.framework.tiers]
        assert table.loc[y.committee.code, list(tiers.codes)].to_dict() == {
            c: int(counts.get(c, 0)) if c in own else 0 for c in tiers.codes
        }
    summary = summary_bytes(
        2025, table.reset_index(), province.comparison(years), None, "khác bộ tiêu chí", ReportSettings(), tiers=tiers
    )
    book = openpyxl.load_workbook(io.BytesIO(summary))
    headings = [c.value for row in book["Các cấp ủy"].iter_rows() for c in row if c.value in tiers.codes]
    assert headings == list(tiers.codes)
