"""Sample data: reproducible, readable without errors, forms consistent with the consolidated rows,
and rich enough to exercise the rules (quota, disqualifiers, ties)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import rate_all, read_paths
from scoring.cli import main
from scoring.sample import FORM_CLUSTER, write_sample

ROOT = Path(__file__).resolve().parents[1]
YEARS = [2023, 2024, 2025]
UNIT_FACTS = [
    "name",
    "cluster",
    "bonus",
    "penalty",
    "collective_discipline",
    "head_discipline",
    "disunity",
    "corruption",
    "note",
    "has_self_columns",
]
LEADER_FACTS = ["name", "title", "discipline", "low_confidence"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample(out)
    return out


@pytest.fixture(scope="module")
def consolidated(sample):
    return read_paths(sorted(sample.glob("tong_hop_*.xlsx")))


def test_layout(sample):
    assert sorted(_files(sample)) == sorted(
        [f"tong_hop_{y}.xlsx" for y in YEARS] + [f"phieu_2025/{p.name}" for p in (sample / "phieu_2025").iterdir()]
    )
    assert len(list((sample / "phieu_2025").glob("*.xlsx"))) >= 5
    assert sum(len(b) for b in _files(sample).values()) < 1_000_000


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    write_sample(tmp_path / "a", units=12, years=[2024, 2025], seed=7)
    write_sample(tmp_path / "b", units=12, years=[2024, 2025], seed=7)
    write_sample(tmp_path / "c", units=12, years=[2024, 2025], seed=8)
    a, b, c = (_files(tmp_path / d) for d in "abc")
    assert a == b
    assert a["tong_hop_2025.xlsx"] != c["tong_hop_2025.xlsx"]


def test_committed_sample_is_what_the_cli_produces(tmp_path):
    assert main(["sample", "-o", str(tmp_path)]) == 0
    assert _files(tmp_path) == _files(ROOT / "sample_data")


def test_consolidated_reads_without_errors(consolidated):
    assert consolidated.errors == []
    assert sorted(consolidated.years) == YEARS
    codes = {y: set(d.units["code"]) for y, d in consolidated.years.items()}
    assert all(40 <= len(c) <= 45 for c in codes.values())
    newcomers = codes[2024] - codes[2023]
    assert len(newcomers) == 1 and codes[2023] < codes[2024] and newcomers <= codes[2025]
    for data in consolidated.years.values():
        assert 4 <= data.units["cluster"].nunique() <= 5
        assert set(data.leaders["unit_code"]) == set(data.units["code"])


def test_every_year_has_the_special_cases(consolidated):
    for data in consolidated.years.values():
        units, leaders = data.units, data.leaders
        assert (units["collective_discipline"] == 1).sum() >= 1
        assert {1, 2} <= set(units["head_discipline"])
        assert units["disunity"].any() and units["corruption"].any()
        assert leaders["low_confidence"].any()
        assert data.unit_self.isna().all(axis=1).sum() == 1  # one unit sent no self-assessment
        review, self_scores = data.unit_review.to_numpy(), data.unit_self.to_numpy()
        both = ~np.isnan(self_scores)
        assert (self_scores[both] >= review[both]).mean() > 0.8  # self scores usually a little higher


def test_forms_match_the_consolidated_rows(sample, consolidated):
    forms = read_paths(sorted((sample / "phieu_2025").glob("*.xlsx")))
    assert forms.issues == []
    assert list(forms.years) == [2025]
    got, full = forms.years[2025], consolidated.years[2025]
    mine = full.units["cluster"] == FORM_CLUSTER
    assert sorted(got.units["code"]) == sorted(full.units.loc[mine, "code"])

    def by_code(table, scores, key="code"):
        return pd.concat([table[[key]], scores], axis=1).set_index(key).sort_index()

    pd.testing.assert_frame_equal(
        by_code(got.units, got.units[UNIT_FACTS]), by_code(full.units[mine], full.units.loc[mine, UNIT_FACTS])
    )
    for name in ("unit_self", "unit_review"):
        pd.testing.assert_frame_equal(
            by_code(got.units, getattr(got, name)), by_code(full.units[mine], getattr(full, name)[mine])
        )
    theirs = full.leaders["unit_code"].isin(got.units["code"])
    pd.testing.assert_frame_equal(
        by_code(got.leaders, got.leaders[LEADER_FACTS], "unit_code"),
        by_code(full.leaders[theirs], full.leaders.loc[theirs, LEADER_FACTS], "unit_code"),
        check_dtype=False,
    )
    for name in ("leader_self", "leader_review"):
        pd.testing.assert_frame_equal(
            by_code(got.leaders, getattr(got, name), "unit_code"),
            by_code(full.leaders[theirs], getattr(full, name)[theirs], "unit_code"),
        )


def test_rating_exercises_the_rules(consolidated):
    for result in rate_all(consolidated):
        units = result.units
        assert units["total"].between(40, 103).all()
        assert units["total"].between(70, 98).mean() > 0.7
        assert units["total"].duplicated().any()  # ties
        assert result.quota["moved_down"].sum() > 0
        assert (result.quota["candidates"] > result.quota["allowed"]).sum() >= 3  # the quota bites in most clusters
        moved = units[(units["score_tier"] == "HTXSNV") & (units["tier"] == "HTTNV")]
        assert moved["reason"].str.contains("chỉ tiêu").any()
        assert (units["tier"] == "KHTNV").sum() >= 4  # discipline, disunity, corruption, no self-assessment
        assert (units["reason"] != "").sum() >= 5
        assert (result.leaders["reason"] != "").any()
