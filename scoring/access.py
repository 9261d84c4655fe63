"""Who may do what: the four roles, their rights, and the signed-in person every action is checked against.

The checks run in the library (service and account functions call `Actor.require`), so a page or the command
line cannot forget them; pages also refuse themselves as a whole before anything is read (`PAGE_RIGHTS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "quan_tri"
    OFFICER = "can_bo"
    LEADERSHIP = "lanh_dao"
    UNIT = "don_vi"


ROLE_LABELS = {Role.ADMIN: "Quản trị", Role.OFFICER: "Cán bộ", Role.LEADERSHIP: "Lãnh đạo", Role.UNIT: "Đơn vị"}


class Right(StrEnum):
    VIEW_ALL = "view_all"  # every unit's and leader's evaluation
    VIEW_OWN_UNIT = "view_own_unit"  # one's own unit, its leader and the counts per tier
    IMPORT = "import"  # upload and store years' files, activate a year's version
    MANAGE_ROUND = "manage_round"  # open, cancel, reopen a round; add, withdraw units; extend a unit's deadline
    APPRAISE = "appraise"  # appraise units, ask for explanations, complete and reopen a unit, the round workbook
    FRAMEWORK = "framework"  # edit and activate the criteria
    REPORT = "report"  # download the signed report and the committee's documents
    DOCUMENTS = "documents"  # the committee's details (who issues and signs, numbers, texts) and document templates
    ACCOUNTS = "accounts"  # accounts and the audit log
    BACKUP = "backup"  # backup and restore
    PUBLISH = "publish"  # approve and publish a round's result
    SELF_ASSESS = "self_assess"  # a unit's own scores, statements, evidence and answers in a round
    VIEW_PUBLISHED = "view_published"  # the ranking of the years whose round was published (public to every unit)


_STAFF = {Right.VIEW_ALL, Right.VIEW_OWN_UNIT, Right.REPORT}
RIGHTS: dict[Role, frozenset[Right]] = {
    Role.ADMIN: frozenset(Right) - {Right.SELF_ASSESS},  # self-assessment is a unit's own
    Role.OFFICER: frozenset(
        _STAFF | {Right.IMPORT, Right.MANAGE_ROUND, Right.APPRAISE, Right.FRAMEWORK, Right.DOCUMENTS}
    ),
    Role.LEADERSHIP: frozenset(_STAFF | {Right.PUBLISH}),
    Role.UNIT: frozenset({Right.VIEW_OWN_UNIT, Right.SELF_ASSESS, Right.VIEW_PUBLISHED}),
}

# URL path of each page → the rights that open it (any one of them).
PAGE_RIGHTS: dict[str, frozenset[Right]] = {
    "": frozenset({Right.VIEW_ALL}),
    "tai-len": frozenset({Right.IMPORT}),
    "xep-hang": frozenset({Right.VIEW_ALL, Right.VIEW_PUBLISHED}),
    "don-vi": frozenset({Right.VIEW_ALL, Right.VIEW_OWN_UNIT}),
    "nguoi-dung-dau": frozenset({Right.VIEW_ALL}),
    "xu-huong": frozenset({Right.VIEW_ALL}),
    "tieu-chi": frozenset({Right.VIEW_ALL}),
    "bao-cao": frozenset({Right.REPORT}),
    "tai-khoan": frozenset({Right.ACCOUNTS}),
    "dot-danh-gia": frozenset({Right.VIEW_ALL}),
    "tu-cham": frozenset({Right.SELF_ASSESS}),
    "tham-dinh": frozenset({Right.APPRAISE}),
    "cap-uy": frozenset({Right.VIEW_ALL}),
}
HOME = {Role.UNIT: "don-vi"}  # where a role lands when the overview is not for it

# What unit accounts see of a published ranking (Mức công khai), a committee setting; staff always see everything.
TIERS_ONLY, TOTALS, EVERYTHING = "tiers", "totals", "everything"
DISCLOSURE_LABELS = {
    TIERS_ONLY: "Chỉ xếp loại",
    TOTALS: "Tổng điểm, xếp loại và thứ hạng",
    EVERYTHING: "Đầy đủ (cả điểm từng tiêu chí, tự chấm, thẩm định, ghi chú và biểu đồ)",
}


class Forbidden(Exception):
    """An action the signed-in person's role does not allow; the message is for users, in Vietnamese."""


@dataclass(frozen=True)
class Actor:
    """The person an action is done for: a signed-in account, or the operator of the command line."""

    login: str
    role: Role
    unit_code: str | None = None
    full_name: str = ""
    account_id: int | None = None
    must_change_password: bool = False
    session: str = field(default="", repr=False, compare=False)  # SHA-256 of the browser's session token
    committee_id: int = 1  # the committee whose subtree it acts in (scoring.committees); 1 = the root

    def may(self, right: Right) -> bool:
        return right in RIGHTS[self.role]

    def require(self, right: Right) -> None:
        if not self.may(right):
            raise Forbidden(f"Tài khoản {self.login} ({ROLE_LABELS[self.role]}) không có quyền này.")

    def may_open(self, url_path: str) -> bool:
        return bool(PAGE_RIGHTS.get(url_path, frozenset()) & RIGHTS[self.role])

    def sees_unit(self, code: str) -> bool:
        return self.may(Right.VIEW_ALL) or (self.may(Right.VIEW_OWN_UNIT) and code == self.unit_code)

    @property
    def label(self) -> str:
        return f"{self.full_name or self.login} · {ROLE_LABELS[self.role]}"


def operator(login: str) -> Actor:
    """The command line's user: whoever can run it on the server already holds the database."""
    return Actor(login=login, role=Role.ADMIN, full_name=login)
