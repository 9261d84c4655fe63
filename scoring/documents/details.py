"""The committee's details that every document and the Excel report print: who issues, who signs, the numbers, the
recipients, and the texts a committee writes its own way (căn cứ, Điều 2 and 3, the report's opening and close).
Typed once on the Báo cáo page and kept in the store (service.committee_details)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..report_layout import DOTS, ReportSettings

GROUNDS = (
    "Căn cứ Điều lệ Đảng Cộng sản Việt Nam;",
    "Căn cứ Quy định số 366-QĐ/TW, ngày 30/8/2025 của Bộ Chính trị về kiểm điểm, đánh giá, xếp loại chất lượng "
    "hằng năm đối với tập thể, cá nhân trong hệ thống chính trị;",
    "Căn cứ Hướng dẫn số 43-HD/BTCTW, ngày 31/10/2025 của Ban Tổ chức Trung ương về kiểm điểm, đánh giá, xếp loại "
    "chất lượng tổ chức đảng, đảng viên;",
    f"Căn cứ Kế hoạch số {DOTS}-KH/ĐU, ngày {DOTS} của Ban Thường vụ Đảng ủy về đánh giá, xếp loại công tác dân vận "
    "năm {year};",
    "Xét đề nghị của Ban Xây dựng Đảng,",
)
ARTICLE_2 = (
    "Các tổ chức cơ sở đảng và người đứng đầu có tên tại Điều 1 phát huy kết quả đạt được, khắc phục hạn chế, "
    "nâng cao chất lượng công tác dân vận trong năm tiếp theo."
)
ARTICLE_3 = (
    "Văn phòng Đảng ủy, Ban Xây dựng Đảng, các chi bộ, đảng bộ cơ sở và các đồng chí có tên tại Điều 1 căn cứ "
    "Quyết định thi hành. Quyết định có hiệu lực kể từ ngày ký."
)
REPORT_INTRO = (
    "Thực hiện kế hoạch đánh giá, xếp loại công tác dân vận năm {year}, Ban Thường vụ Đảng ủy báo cáo kết quả "
    "đánh giá, xếp loại các tổ chức cơ sở đảng và người đứng đầu như sau:"
)
REPORT_CONCLUSION = (
    "Trên đây là báo cáo kết quả đánh giá, xếp loại công tác dân vận năm {year}. Ban Thường vụ Đảng ủy đề nghị "
    "các tổ chức cơ sở đảng phát huy kết quả đạt được, khắc phục hạn chế, nâng cao chất lượng công tác dân vận."
)


@dataclass(frozen=True)
class CommitteeDetails:
    superior_body: str = f"ĐẢNG BỘ {DOTS}"
    issuing_body: str = f"ĐẢNG ỦY {DOTS}"
    issuer_name: str = f"Ban Thường vụ Đảng ủy {DOTS}"  # as a sentence names it: "(Kèm theo Quyết định … của …)"
    place: str = DOTS
    on_behalf: str = "T/M BAN THƯỜNG VỤ"  # a committee signs on behalf of its standing committee, never "K/T"
    signer_title: str = "BÍ THƯ"
    signer_name: str = ""
    decision_number: str = DOTS
    decision_symbol: str = "QĐ/ĐU"
    report_number: str = DOTS
    report_symbol: str = "BC/ĐU"
    letter_number: str = DOTS
    letter_symbol: str = "TB/ĐU"
    recipients: tuple[str, ...] = (
        "Ban Thường vụ cấp trên (để báo cáo),",
        "Các chi bộ, đảng bộ cơ sở,",
        "Lưu Văn phòng.",
    )
    grounds: tuple[str, ...] = GROUNDS
    article_2: str = ARTICLE_2
    article_3: str = ARTICLE_3
    report_intro: str = REPORT_INTRO
    report_conclusion: str = REPORT_CONCLUSION

    @classmethod
    def from_dict(cls, stored: dict) -> CommitteeDetails:
        """Details as kept in the store; a name it does not know (an older or newer version's) is left out."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in stored.items() if k in known}
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def changed(self, **values) -> CommitteeDetails:
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def report_settings(self) -> ReportSettings:
        """The Excel report's header and signature, from the same details."""
        return ReportSettings(
            superior_body=self.superior_body,
            issuing_body=self.issuing_body,
            place=self.place,
            on_behalf=self.on_behalf,
            signer_title=self.signer_title,
            signer_name=self.signer_name,
            recipients=tuple(f"- {r}" for r in self.recipients),
        )
