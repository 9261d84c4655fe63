"""`python -m scoring document decision|report|letters YEAR -o PATH`: the committee's documents of a stored year,
with the committee's details kept in the store (options replace them for this run)."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from .output import EXIT_INVALID, EXIT_OK, command_actor, open_store, signature_args, store_args

# The documents' kinds (documents.templates); the documents load only when one is made, so every other command starts
# without them.
KIND = {"decision": "decision", "report": "report", "letters": "letter"}
NUMBERS = {"decision": "decision_number", "report": "report_number", "letter": "letter_number"}


def add_parser(sub, year_type) -> None:
    doc = sub.add_parser("document", help="văn bản của cấp ủy: quyết định kèm danh sách, báo cáo, thông báo")
    doc.add_argument("kind", choices=list(KIND), help="decision: quyết định và danh sách; report: báo cáo; "
                     "letters: thông báo cho từng đơn vị")  # fmt: skip
    doc.add_argument("year", type=year_type)
    doc.add_argument("-o", "--output", type=Path, required=True, help="tệp .docx/.pdf, hoặc .zip hay thư mục")
    doc.add_argument("--pdf", action="store_true", help="in ra PDF (cần LibreOffice)")
    store_args(doc)
    signature_args(doc)
    doc.add_argument("--number", help="số văn bản, ví dụ 125")


def run_document(args) -> int:
    from .access import Forbidden
    from .documents import LETTER, pdf_available
    from .documents.committee import year_document
    from .store import StoreError

    kind = KIND[args.kind]
    if args.pdf and not pdf_available():
        print("Lỗi: máy này chưa cài LibreOffice nên không in được PDF; bỏ --pdf để lấy tệp Word.", file=sys.stderr)
        return EXIT_INVALID
    store = open_store(args.database, args.committee)
    if store is None:
        return EXIT_INVALID
    changes = {  # the committee's details these options replace; the number is that of the document asked for
        "superior_body": args.superior_body,
        "issuing_body": args.issuing_body,
        "place": args.place,
        "signer_name": args.signer,
        NUMBERS[kind]: args.number,
    }
    try:
        content = year_document(store, command_actor(args), kind, args.year, args.pdf, **changes)
    except (StoreError, Forbidden) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID
    target = args.output
    if kind == LETTER and target.suffix.lower() != ".zip":
        return _unzip(content, target)
    target.write_bytes(content)
    print(f"Đã ghi {target}", file=sys.stderr)
    return EXIT_OK


def _unzip(content: bytes, folder: Path) -> int:
    """The letters as files of a folder (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        z.extractall(folder)
        count = len(z.namelist())
    print(f"Đã ghi {count} thông báo vào {folder}", file=sys.stderr)
    return EXIT_OK
