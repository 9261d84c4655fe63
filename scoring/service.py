"""The one path between the front ends (pages, command line, tests) and the store.

Files → `read_upload` (framework in force chosen here, in one place) → `plan_import` (what storing
would change, year by year) → `save`; or `import_files` for all three at once. Stored years →
`rate_stored` (one snapshot, each year rated once, rank change from year − 1). The store only persists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .access import DISCLOSURE_LABELS, EVERYTHING, TOTALS, Actor, Right, operator
from .dataset import LEADER_COLUMNS, ORIGIN_CHOSEN, UNIT_COLUMNS, YearData
from .engine import YearResult
from .framework import LEADER, UNIT, Framework, load_preset
from .rating import rate_years
from .reader import ReadResult, read_files
from .rounds import Rounds
from .signing import signing_key
from .store import ROOT_ID, Store, StoreError, os_user
from .store_frameworks import FRAMEWORK_ENFORCED
from .text import code_key
from .validation import ERROR, Issue
from .workbook import Loading

NEW, REPLACE, MERGE = "new", "replace", "merge"


@dataclass
class YearPlan:
    """What storing one year of an upload does: a first version, a whole new version, or per-unit forms
    merged into the active version (those units replaced or added, every other unit kept)."""

    year: int
    mode: str
    data: YearData  # the tables that will be stored
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    base_version: int | None = None  # the active version merged into or replaced


@dataclass
class ImportPlan:
    read: ReadResult
    years: dict[int, YearPlan]
    issues: list[Issue]
    datasets: dict[int, int] = field(default_factory=dict)  # filled by `save`: year → new dataset id

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def ranking_years(store: Store, actor: Actor, versions: dict[int, int]) -> list[int]:
    """The years (of the active `versions`) whose whole ranking this person may see, newest first: every year for
    staff; for a unit account only the years whose round published the version in use, since a published result is
    public to every unit, and nothing of another unit before that."""
    if actor.may(Right.VIEW_ALL):
        return sorted(versions, reverse=True)
    store.require(actor, Right.VIEW_PUBLISHED)
    published = Rounds(store).published_versions()
    return sorted((y for y, v in versions.items() if published.get(y) == v), reverse=True)


DISCLOSURE = "disclosure"  # the setting's name in the store


def disclosure(store: Store, actor: Actor) -> str:
    """How much of a published ranking this person sees: everything for staff, the committee's setting for a
    unit account (default: totals and tiers)."""
    return EVERYTHING if actor.may(Right.VIEW_ALL) else committee_disclosure(store)


def committee_disclosure(store: Store) -> str:
    level = store.setting(DISCLOSURE, TOTALS)
    return level if level in DISCLOSURE_LABELS else TOTALS


def set_disclosure(store: Store, actor: Actor, level: str) -> None:
    store.require(actor, Right.MANAGE_ROUND)
    if level not in DISCLOSURE_LABELS:
        raise ValueError(level)
    store.set_setting(DISCLOSURE, level, actor.login, f"Mức công khai kết quả cho đơn vị: {DISCLOSURE_LABELS[level]}")


def read_upload(
    store: Store, files: list[tuple[str, bytes]] | Loading, framework: Framework | None = None, year: int | None = None
) -> ReadResult:
    """Read uploaded files. The framework in force: the user's explicit choice, else the files' own
    "Tiêu chí" sheet, else the store's active framework, else the default preset (the read records which). A
    committee whose parent requires its framework reads every file with that one."""
    if store.framework_locked():
        required = store.framework() or load_preset()
        if framework is not None and framework != required:
            raise StoreError(
                f"Cấp ủy cấp trên quy định dùng bộ tiêu chí “{required.name}”: không nhập theo bộ tiêu chí khác."
            )
        framework = required
    return read_files(files, framework, year, fallback=store.framework())


def plan_import(store: Store, read: ReadResult) -> ImportPlan:
    """What saving `read` would store. Per-unit forms of a year that is already stored are merged into its
    active version; a consolidated workbook or CSV makes a whole new version."""
    issues = list(read.issues)
    plans: dict[int, YearPlan] = {}
    if read.errors:
        return ImportPlan(read, plans, issues)
    active = store.active_versions()
    for year, data in sorted(read.years.items()):
        codes = data.units["code"].tolist()
        if year not in active:
            plans[year] = YearPlan(year, NEW, data, added=codes)
        elif all(s.kind == "form" for s in data.sources):
            plan, problem = _merge(store, year, active[year], data, read.framework)
            if problem:
                issues.append(problem)
            else:
                plans[year] = plan
        else:
            old_codes = set(store.unit_codes(active[year]))
            plans[year] = YearPlan(
                year,
                REPLACE,
                data,
                added=[c for c in codes if c not in old_codes],
                replaced=[c for c in codes if c in old_codes],
                base_version=active[year],
            )
    return ImportPlan(read, plans, issues)


def _merge(store: Store, year: int, version: int, new: YearData, fw: Framework) -> tuple[YearPlan | None, Issue | None]:
    old, old_fw, _ = store.load(year, version)
    if not _same_criteria(fw, old_fw):
        return None, Issue(
            ERROR,
            f"Năm {year}: các phiếu được đọc theo bộ tiêu chí “{fw.name}”, khác các mã tiêu chí "
            f"của phiên bản đang dùng (bộ “{old_fw.name}”), nên không gộp được. Hãy chọn đúng "
            f"bộ tiêu chí của năm khi tải lên, hoặc tải lên bảng tổng hợp đầy đủ.",
        )
    new_codes = set(new.units["code"])
    keep = ~old.units["code"].isin(new_codes).to_numpy()
    keep_leaders = ~old.leaders["unit_code"].isin(set(new.leaders["unit_code"])).to_numpy()

    def stack(old_frame, new_frame, mask, columns):
        return pd.concat(
            [old_frame[mask].reindex(columns=columns), new_frame.reindex(columns=columns)], ignore_index=True
        )

    unit_codes, leader_codes = fw.codes(UNIT), fw.codes(LEADER)
    merged = YearData(
        year,
        stack(old.units, new.units, keep, UNIT_COLUMNS),
        stack(old.unit_self, new.unit_self, keep, unit_codes),
        stack(old.unit_review, new.unit_review, keep, unit_codes),
        stack(old.leaders, new.leaders, keep_leaders, LEADER_COLUMNS),
        stack(old.leader_self, new.leader_self, keep_leaders, leader_codes),
        stack(old.leader_review, new.leader_review, keep_leaders, leader_codes),
        sources=list({(s.name, s.sha256): s for s in old.sources + new.sources}.values()),
        warnings=list(old.warnings) + list(new.warnings),
    )
    old_codes = set(old.units["code"])
    return YearPlan(
        year,
        MERGE,
        merged,
        added=[c for c in new.units["code"] if c not in old_codes],
        replaced=[c for c in new.units["code"] if c in old_codes],
        kept=old.units["code"][keep].tolist(),
        base_version=version,
    ), None


def preview(plan: ImportPlan, stored: dict[int, YearResult]) -> dict[int, YearResult]:
    """How each planned year would be rated once saved; the rank change comes from year − 1 of the same upload,
    else from the stored results."""
    return rate_years({y: (p.data, plan.read.framework) for y, p in plan.years.items()}, stored)


def _same_criteria(a: Framework, b: Framework) -> bool:
    """Whether data read with one framework can be rated with the other: the same criterion codes, for units and
    for leaders."""
    return all({code_key(c) for c in a.codes(t)} == {code_key(c) for c in b.codes(t)} for t in (UNIT, LEADER))


def save(store: Store, plan: ImportPlan, actor: Actor) -> dict[int, int]:
    """Store every planned year as its new active version, in one transaction; nothing when there are errors,
    and a StoreError when a year to merge into changed in the store since the plan was made."""
    store.require(actor, Right.IMPORT)
    if not plan.ok or not plan.years:
        return {}
    plan.datasets = store.store_years(
        [p.data for p in plan.years.values()],
        plan.read.framework,
        plan.read.framework_origin,
        actor.login,
        # Only a merge depends on what was active: a whole new version does not.
        expected={y: p.base_version for y, p in plan.years.items() if p.mode == MERGE},
    )
    return plan.datasets


def import_files(
    store: Store,
    files: list[tuple[str, bytes]] | Loading,
    framework: Framework | None = None,
    year: int | None = None,
    actor: Actor | None = None,
) -> ImportPlan:
    """Read, plan and save: the whole import as the upload page does it, for the command line and scripts
    (by default as the operating-system user running them)."""
    plan = plan_import(store, read_upload(store, files, framework, year))
    save(store, plan, actor or operator(os_user()))
    return plan


def seed(store: Store, sample_dir: Path) -> None:
    """Store the sample years, one import per consolidated workbook, when the store is empty."""
    if not store.is_empty():
        return
    for path in sorted(Path(sample_dir).glob("tong_hop_*.xlsx")):
        import_files(store, [(path.name, path.read_bytes())], actor=operator("dữ liệu mẫu"))


def rate_stored(store: Store, versions: dict[int, int] | None = None) -> dict[int, YearResult]:
    """Rate stored versions (default: every year's active one), read in one snapshot, oldest first, each once;
    a year's rank change comes from year − 1 when that year is among them."""
    versions = store.active_versions() if versions is None else versions
    loaded = store.load_many([versions[y] for y in sorted(versions)])
    return rate_years({y: loaded[versions[y]] for y in versions})


def rate_stored_year(store: Store, year: int) -> YearResult:
    """A stored year's active version, with its rank change from the active version of year − 1."""
    return rate_stored_with_previous(store, year)[year]


def rate_stored_with_previous(store: Store, year: int) -> dict[int, YearResult]:
    """A stored year's active version and, when stored, year − 1's (rank changes; what changed since)."""
    active = store.active_versions()
    if year not in active:
        raise StoreError(f"Chưa có dữ liệu năm {year}")
    return rate_stored(store, {y: active[y] for y in (year - 1, year) if y in active})


def rerate_year(store: Store, year: int, framework: Framework, actor: Actor) -> int:
    """Store the active data of a year again, rated with another framework, as a new version; returns its id.
    Only a framework with the same criterion codes can be applied to data already imported."""
    store.require(actor, Right.FRAMEWORK)
    data, old_fw, _ = store.load(year)
    if not _same_criteria(framework, old_fw):
        raise StoreError(
            f"Bộ tiêu chí “{framework.name}” có mã tiêu chí khác dữ liệu đã nhập năm {year}: "
            "không tính lại được, hãy nhập lại bảng điểm theo bộ tiêu chí mới"
        )
    return store.store_years([data], framework, ORIGIN_CHOSEN, actor.login)[year]


def activate(store: Store, dataset_id: int, actor: Actor) -> int:
    """Make a stored version its year's active one again; returns the year."""
    store.require(actor, Right.IMPORT)
    return store.activate(dataset_id, actor.login)


def save_framework(store: Store, framework: Framework, actor: Actor) -> int:
    """Store a framework and make it the one later imports use; returns its id."""
    store.require(actor, Right.FRAMEWORK)
    return store.save_framework(framework, actor.login)


def set_framework_enforced(store: Store, actor: Actor, enforced: bool) -> None:
    """Whether the committees under this one must use its framework (the default) or may choose their own."""
    store.require(actor, Right.FRAMEWORK)
    store.set_setting(
        FRAMEWORK_ENFORCED,
        enforced,
        actor.login,
        "Bắt buộc cấp ủy trực thuộc dùng bộ tiêu chí của cấp ủy này"
        if enforced
        else "Cho phép cấp ủy trực thuộc chọn bộ tiêu chí riêng",
    )


def activate_framework(store: Store, framework_id: int, actor: Actor) -> None:
    store.require(actor, Right.FRAMEWORK)
    store.activate_framework(framework_id, actor.login)


def restore(store: Store, path: Path, actor: Actor, accounts: bool = False) -> dict[str, int]:
    """A signed backup into an empty store; its accounts only when asked (see `backup_accounts` to list them)."""
    store.within(ROOT_ID).require(actor, Right.BACKUP)  # the whole store: the root's accounts only
    return store.restore(path, signing_key(store.url), actor.login, accounts)


def backup_accounts(store: Store, path: Path, actor: Actor) -> list[dict]:
    store.within(ROOT_ID).require(actor, Right.BACKUP)  # the whole store: the root's accounts only
    return store.backup_accounts(path, signing_key(store.url))


def backup(store: Store, path: Path, actor: Actor) -> dict[str, int]:
    store.within(ROOT_ID).require(actor, Right.BACKUP)  # the whole store: the root's accounts only
    return store.backup(path, signing_key(store.url))
