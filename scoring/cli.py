"""Command line: python -m scoring rank|validate|template|sample.

Exit codes: 0 success, 2 invalid input (every problem on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .access import Role
from .framework import Framework, load_framework_file, load_preset, presets
from .output import EXIT_INVALID, EXIT_OK, committee_after, emit, report_issues, signature_args, store_args, write_place
from .workbook import Loading, read_bytes

# pandas and the reader load only after the files' parsing has started (see `_rank_or_validate`),
# so that their import overlaps the parsing on a second core.


_ARGPARSE_WORDS = [
    ("the following arguments are required", "thiếu tham số bắt buộc"),
    ("one of the arguments", "cần một trong các tham số"),
    (" is required", ""),
    ("unrecognized arguments", "không hiểu các tham số"),
    ("invalid choice", "lựa chọn không hợp lệ"),
    ("expected one argument", "cần một giá trị"),
    ("expected at least one argument", "cần ít nhất một giá trị"),
    ("not allowed with argument", "không dùng cùng tham số"),
    ("invalid int value", "không phải số nguyên"),
    ("choose from", "chọn một trong"),
    ("argument ", "tham số "),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors are invalid input too: exit 2, no traceback, in Vietnamese
        for english, vietnamese in _ARGPARSE_WORDS:
            message = message.replace(english, vietnamese)
        print(self.format_usage().replace("usage:", "Cách dùng:", 1), end="", file=sys.stderr)
        print(f"Lỗi: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)


def _bounded(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} phải là số nguyên, không phải “{text}”") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} phải từ {low} đến {high}, không phải {value}")
        return value

    return parse


_year = _bounded(1900, 2200, "năm")


def stability_args(sp) -> None:
    """`--stability` and how the year is shaken (defaults: stability.Settings)."""
    sp.add_argument("--stability", action="store_true", help="kèm độ ổn định của xếp loại, xếp hạng (tham khảo)")
    sp.add_argument("--runs", type=_positive, help="số lần tính lại (mặc định 1000)")
    sp.add_argument("--weight-noise", type=float, help="trọng số dao động ± tỷ lệ (mặc định 0.1 = 10%%)")
    sp.add_argument("--score-noise", type=float, help="điểm thẩm định dao động ± (mặc định 0.5 điểm)")
    sp.add_argument("--seed", type=int, help="hạt giống ngẫu nhiên (mặc định 2025)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("cần số nguyên dương")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m scoring", description="Chấm điểm, xếp loại, xếp hạng công tác dân vận.")
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def framework_args(sp):
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--preset", help=f"bộ tiêu chí mẫu: {', '.join(presets())}")
        g.add_argument("--framework", type=Path, help="tệp bộ tiêu chí (.toml)")

    rank = sub.add_parser("rank", help="xếp loại và xếp hạng")
    rank.add_argument("files", nargs="+", type=Path)
    rank.add_argument("--year", type=_year, help="năm cho tệp không ghi năm")
    framework_args(rank)

    def output_args(sp):
        sp.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
        stability_args(sp)
        sp.add_argument("-o", "--output", type=Path, help="ghi báo cáo Excel của năm sau cùng")
        sp.add_argument("--cluster", help="báo cáo riêng một khối")
        signature_args(sp)

    output_args(rank)

    validate = sub.add_parser("validate", help="kiểm tra tệp, liệt kê mọi lỗi")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--year", type=_year, help="năm cho tệp không ghi năm")
    framework_args(validate)

    template = sub.add_parser("template", help="tạo mẫu bảng chấm điểm trống")
    template.add_argument("-o", "--output", type=Path, required=True)
    template.add_argument("--form", action="store_true", help="phiếu chấm điểm của một đơn vị")
    framework_args(template)

    sample = sub.add_parser("sample", help="tạo dữ liệu mẫu")
    sample.add_argument("-o", "--output", type=Path, required=True)
    sample.add_argument("--units", type=_bounded(5, 999, "số đơn vị mẫu"), default=45, help="từ 5 đến 999")
    sample.add_argument("--years", type=_year, nargs="+", default=[2023, 2024, 2025])
    sample.add_argument("--seed", type=int, default=2025)

    db = sub.add_parser("db", help="kho dữ liệu các năm (SQLite mặc định; DANVAN_DATABASE_URL cho PostgreSQL)")
    store_args(db)
    dbsub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    imp = dbsub.add_parser("import", help="nhập tệp, lưu mỗi năm thành phiên bản mới")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--year", type=_year, help="năm cho tệp không ghi năm")
    framework_args(imp)
    dbsub.add_parser("years", help="các năm đã lưu")
    history = dbsub.add_parser("history", help="các phiên bản của một năm")
    history.add_argument("year", type=int)
    activate = dbsub.add_parser("activate", help="dùng lại một phiên bản")
    activate.add_argument("version_id", type=int)
    dbrank = dbsub.add_parser("rank", help="xếp hạng một năm đã lưu")
    dbrank.add_argument("year", type=int)
    output_args(dbrank)
    backup = dbsub.add_parser("backup", help="sao lưu toàn bộ ra tệp JSON")
    backup.add_argument("file", type=Path)
    restore = dbsub.add_parser("restore", help="phục hồi từ tệp sao lưu vào cơ sở dữ liệu trống")
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--accounts",
        action="store_true",
        help="phục hồi cả các tài khoản trong bản sao lưu mà cơ sở dữ liệu chưa có (được liệt kê trước khi phục hồi)",
    )
    fw = dbsub.add_parser("framework", help="bộ tiêu chí đang dùng cho các lần nhập sau")
    fwsub = fw.add_subparsers(dest="framework_command", required=True, parser_class=_Parser)
    fwsub.add_parser("list", help="các phiên bản bộ tiêu chí đã lưu")
    fw_activate = fwsub.add_parser("activate", help="dùng một phiên bản bộ tiêu chí đã lưu")
    fw_activate.add_argument("framework_id", type=int)
    fw_import = fwsub.add_parser(
        "import", help="lưu bộ tiêu chí từ tệp (.toml, hoặc trang “Tiêu chí” của tệp Excel) và dùng nó"
    )
    fw_import.add_argument("file", type=Path)
    committee_after(dbsub, fwsub)
    users = sub.add_parser("users", help="tài khoản đăng nhập (mật khẩu nhập từ bàn phím hoặc đầu vào chuẩn)")
    store_args(users, committee=False)
    usub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    roles = ", ".join(r.value for r in Role)
    add = usub.add_parser("add", help="tạo tài khoản")
    add.add_argument("login")
    add.add_argument("--role", required=True, help=roles)
    add.add_argument("--unit", help="mã đơn vị (tài khoản don_vi)")
    add.add_argument("--name", default="", help="họ tên")
    add.add_argument("--email", help="e-mail cho đăng nhập một lần (SSO)")
    add.add_argument("--committee", help="mã cấp ủy của tài khoản (mặc định: cấp ủy gốc)")
    usub.add_parser("list", help="các tài khoản")
    passwd = usub.add_parser("passwd", help="đặt mật khẩu mới (phải đổi ở lần đăng nhập sau)")
    passwd.add_argument("login")
    disable = usub.add_parser("disable", help="khoá tài khoản (kết thúc mọi phiên)")
    disable.add_argument("login")
    enable = usub.add_parser("enable", help="mở lại tài khoản đã khoá")
    enable.add_argument("login")
    unlock = usub.add_parser("unlock", help="mở khoá đăng nhập (tạm khoá do nhập sai mật khẩu nhiều lần)")
    unlock.add_argument("login")
    role = usub.add_parser("role", help="đổi vai trò")
    role.add_argument("login")
    role.add_argument("role", help=roles)
    role.add_argument("--unit", help="mã đơn vị (vai trò don_vi)")
    from .committee_cli import add_parser as committee_parser
    from .document_cli import add_parser as document_parser
    from .remind_cli import add_parser as remind_parser

    document_parser(sub, _year)
    committee_parser(sub)
    remind_parser(sub)
    rnd = sub.add_parser("round", help="đợt đánh giá của một năm")
    store_args(rnd)
    rsub = rnd.add_subparsers(dest="round_command", required=True, parser_class=_Parser)
    ropen = rsub.add_parser("open", help="mở đợt đánh giá")
    ropen.add_argument("year", type=_year)
    framework_args(ropen)
    ropen.add_argument(
        "--units",
        type=Path,
        help="tệp danh sách đơn vị (Mã, Tên, Khối; bảng tổng hợp hoặc mẫu trống "
        "đã điền mã) hoặc tệp văn bản mỗi dòng “mã<TAB>tên<TAB>khối” hay “mã; tên; khối” "
        "(mặc định: năm trước đã lưu)",
    )
    ropen.add_argument("--self-deadline", required=True, type=_date, help="hạn tự chấm, NGÀY/THÁNG/NĂM")
    ropen.add_argument("--review-deadline", required=True, type=_date, help="hạn thẩm định, NGÀY/THÁNG/NĂM")
    status = rsub.add_parser("status", help="trạng thái các đơn vị")
    status.add_argument("year", type=_year)
    status.add_argument("--json", action="store_true", help="in dạng JSON")
    export = rsub.add_parser("export", help="tải đợt đánh giá ra bảng tổng hợp Excel (tự chấm, thẩm định, lý do)")
    export.add_argument("year", type=_year)
    export.add_argument("-o", "--output", type=Path, required=True, help="tệp .xlsx")
    rimport = rsub.add_parser("import", help="nhập các ô thẩm định đã sửa từ bảng tổng hợp, mỗi ô kèm lý do")
    rimport.add_argument("year", type=_year)
    rimport.add_argument("file", type=Path)
    rimport.add_argument("--reason", default="", help="lý do chung cho các dòng không ghi “Lý do thay đổi”")
    reopen = rsub.add_parser("reopen", help="mở lại đợt đã công bố (cần lý do)")
    reopen.add_argument("year", type=_year)
    reopen.add_argument("--reason", required=True, help="lý do mở lại")
    reopen.add_argument("--review-deadline", required=True, type=_date, help="hạn thẩm định mới, NGÀY/THÁNG/NĂM")
    complete = rsub.add_parser(
        "complete",
        help="hoàn tất thẩm định các đơn vị (đã nộp, đang thẩm định, hoặc quá hạn "
        "mà không nộp: ghi “Không tự chấm”) theo điểm đang có",
    )
    complete.add_argument("year", type=_year)
    which = complete.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="mọi đơn vị đang chờ thẩm định hoặc đã quá hạn tự chấm")
    which.add_argument("codes", nargs="*", default=[], metavar="MÃ", help="mã các đơn vị")
    complete.add_argument("--reason", required=True, help="lý do, căn cứ (ghi vào lịch sử của từng đơn vị)")
    withdraw = rsub.add_parser("withdraw", help="rút một đơn vị khỏi đợt đang mở (sáp nhập, giải thể), cần lý do")
    withdraw.add_argument("year", type=_year)
    withdraw.add_argument("code", metavar="MÃ")
    withdraw.add_argument("--reason", required=True, help="lý do rút")
    cancel = rsub.add_parser("cancel", help="hủy đợt chưa có đơn vị nào làm việc (mở nhầm), cần lý do")
    cancel.add_argument("year", type=_year)
    cancel.add_argument("--reason", required=True, help="lý do hủy")
    publish = rsub.add_parser("publish", help="phê duyệt và công bố (tài khoản lãnh đạo, mật khẩu từ đầu vào chuẩn)")
    publish.add_argument("year", type=_year)
    publish.add_argument("--as", dest="login", required=True, help="tên đăng nhập của lãnh đạo")
    committee_after(rsub)
    return p


def _date(text: str):
    from datetime import datetime, time

    from .formats import VN_TIME

    try:
        day = datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày phải có dạng NGÀY/THÁNG/NĂM, không phải “{text}”") from None
    return datetime.combine(day, time(23, 59), VN_TIME)


def _framework(args) -> Framework | None:
    if getattr(args, "framework", None):
        return load_framework_file(args.framework)
    if getattr(args, "preset", None):
        return load_preset(args.preset)
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        framework = _framework(args)
    except (KeyError, OSError, ValueError) as e:
        print(f"Lỗi: không đọc được bộ tiêu chí: {e}", file=sys.stderr)
        return EXIT_INVALID
    if args.command in ("rank", "validate"):
        return _rank_or_validate(args, framework)
    if args.command == "db":
        from .db_cli import run_db

        return run_db(args, framework)
    if args.command == "users":
        from .users_cli import run_users

        return run_users(args)
    if args.command == "round":
        from .round_cli import run_round

        return run_round(args, framework)
    if args.command == "committee":
        from .committee_cli import run_committee

        return run_committee(args)
    if args.command == "document":
        from .document_cli import run_document

        return run_document(args)
    if args.command == "remind":
        from .remind_cli import run_remind

        return run_remind(args)
    if args.command == "template":
        from .template import write_template

        return _done(
            write_place(args.output, lambda: write_template(args.output, framework or load_preset(), form=args.form)),
            f"Đã tạo {args.output}",
        )
    if args.command == "sample":
        from .sample import write_sample

        return _done(
            write_place(
                args.output,
                lambda: write_sample(args.output, units=args.units, years=args.years, seed=args.seed),
                folder=True,
            ),
            f"Đã tạo dữ liệu mẫu trong {args.output}",
        )
    return EXIT_INVALID


def _done(written: bool, message: str) -> int:
    if written:
        print(message)
    return EXIT_OK if written else EXIT_INVALID


def _rank_or_validate(args, framework: Framework | None) -> int:
    files, unopened = read_bytes(args.files)
    loading = Loading(files)
    from .rating import rate_all
    from .reader import read_files

    read = read_files(loading, framework, args.year)
    read.issues[:0] = unopened
    report_issues(read.errors)
    if read.errors:
        return EXIT_INVALID
    results = rate_all(read)
    if args.command == "validate":
        warnings = [w for r in results for w in r.warnings]
        report_issues(warnings)
        years = ", ".join(str(y) for y in sorted(read.years))
        print(
            f"Hợp lệ: năm {years}, {sum(len(d.units) for d in read.years.values())} đơn vị, {len(warnings)} cảnh báo."
        )
        return EXIT_OK
    return emit(args, results, lambda r: (read.years[r.year], r.framework))
