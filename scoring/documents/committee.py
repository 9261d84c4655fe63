"""The documents of a stored year, for front ends: the committee's details and templates kept in the store (changed
by officers, audited), a published round's reasons in the units' letters, and the rights checked first."""

from __future__ import annotations

import base64
from dataclasses import fields
from datetime import datetime

from ..access import Actor, Right
from ..formats import VN_TIME
from ..framework import UNIT
from ..presentation import TIERS, scale
from ..rounds import Rounds, key
from ..service import rate_stored_with_previous
from ..store import Store
from . import KINDS, CommitteeDetails, check_template, document, template_bytes
from .templates import LETTER

DETAILS = "committee_details"
TEMPLATE = "document_template_{kind}"
LABELS = {
    "superior_body": "Cơ quan cấp trên",
    "issuing_body": "Cơ quan ban hành",
    "issuer_name": "Tên cơ quan trong câu",
    "place": "Địa danh",
    "on_behalf": "Thẩm quyền ký",
    "signer_title": "Chức vụ người ký",
    "signer_name": "Người ký",
    "decision_number": "Số quyết định",
    "decision_symbol": "Ký hiệu quyết định",
    "report_number": "Số báo cáo",
    "report_symbol": "Ký hiệu báo cáo",
    "letter_number": "Số thông báo",
    "letter_symbol": "Ký hiệu thông báo",
    "recipients": "Nơi nhận",
    "grounds": "Căn cứ",
    "article_2": "Điều 2",
    "article_3": "Điều 3",
    "report_intro": "Mở đầu báo cáo",
    "report_conclusion": "Kết luận báo cáo",
}


def details(store: Store) -> CommitteeDetails:
    return CommitteeDetails.from_dict(store.setting(DETAILS, {}))


def set_details(store: Store, actor: Actor, new: CommitteeDetails) -> None:
    """Keep the committee's details; the audit log names what changed."""
    store.require(actor, Right.DOCUMENTS)
    old = details(store)
    changed = [LABELS[f.name] for f in fields(CommitteeDetails) if getattr(old, f.name) != getattr(new, f.name)]
    if changed:
        store.set_setting(DETAILS, new.to_dict(), actor.login, "Thông tin cấp ủy: " + ", ".join(changed))


def template(store: Store, kind: str, tiers: tuple[str, ...] = tuple(TIERS)) -> bytes:
    """The committee's own template of a document, else the default (its tables in the columns of `tiers`, the
    codes of the year's scale)."""
    kept = store.setting(TEMPLATE.format(kind=kind))
    return base64.b64decode(kept["content"]) if kept else template_bytes(kind, tiers)


def template_file(store: Store, actor: Actor, kind: str) -> bytes:
    """The template in use, for an officer to change in Word."""
    store.require(actor, Right.DOCUMENTS)
    return template(store, kind)


def uploaded_template(store: Store, kind: str) -> str | None:
    """The file name of the committee's own template, None when the default is in use."""
    kept = store.setting(TEMPLATE.format(kind=kind))
    return kept["name"] if kept else None


def set_template(store: Store, actor: Actor, kind: str, name: str | None, content: bytes | None) -> None:
    """Use an uploaded template (checked first: TemplateProblem says what is wrong), or the default again (None)."""
    store.require(actor, Right.DOCUMENTS)
    if content is None:
        store.set_setting(TEMPLATE.format(kind=kind), None, actor.login, f"Dùng lại mẫu mặc định: {KINDS[kind]}")
        return
    check_template(kind, content)
    kept = {"name": name, "content": base64.b64encode(content).decode()}
    store.set_setting(TEMPLATE.format(kind=kind), kept, actor.login, f"Tải lên mẫu {KINDS[kind]}: {name}")


def year_document(
    store: Store, actor: Actor, kind: str, year: int, pdf: bool = False, now: datetime | None = None, **changes
) -> bytes:
    """A document of a stored year's active version, with the committee's details (`changes` replace some, as the
    command line's options do) and template."""
    store.require(actor, Right.REPORT)
    results = rate_stored_with_previous(store, year)
    return document(
        kind,
        results[year],
        details(store).changed(**changes),
        now or datetime.now(VN_TIME),
        template(store, kind, scale(results[year].framework).codes),
        results.get(year - 1),
        _round_reasons(store, actor, year) if kind == LETTER else None,
        pdf,
    )


def _round_reasons(store: Store, actor: Actor, year: int) -> dict[str, dict[str, str]] | None:
    """The committee's reason for each criterion it changed, by unit, when the year's active version is the one its
    round published."""
    rounds = Rounds(store)
    if rounds.published_versions().get(year) != store.active_versions().get(year):
        return None
    _, sheets = rounds.snapshot(actor, year)
    return {
        code: {k[2:]: reason for k, reason in sheet.review_reasons.items() if k == key(UNIT, k[2:]) and reason}
        for code, sheet in sheets.items()
    }
