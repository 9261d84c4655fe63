"""What the command lines print: exit codes, problems on stderr, the JSON of `rank --json`, the table, the report."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID = 0, 2

UNIT_FIELDS = [
    "code",
    "name",
    "cluster",
    "total",
    "score_tier",
    "tier",
    "tier_name",
    "rank",
    "cluster_rank",
    "rank_change",
    "reason",
]
LEADER_FIELDS = ["unit_code", "name", "total", "tier", "rank", "reason"]


_OS_ERRORS = {
    errno.ENOENT: "thư mục không có",
    errno.EACCES: "không có quyền ghi",
    errno.EPERM: "không có quyền ghi",
    errno.EISDIR: "đó là một thư mục",
    errno.ENOSPC: "hết chỗ trên đĩa",
    errno.EROFS: "ổ đĩa chỉ đọc",
    errno.ENOTDIR: "đường dẫn không phải thư mục",
}


def os_error_text(error: BaseException) -> str:
    """Why a file could not be written, in Vietnamese."""
    cause = getattr(error, "__cause__", None) or getattr(error, "__context__", None)
    code = getattr(error, "errno", None) or getattr(cause, "errno", None)
    return _OS_ERRORS.get(code, "lỗi hệ thống tệp")


def write_place(target: Path, write, folder: bool = False) -> bool:
    """Write the file (or, with `folder`, the folder) the user named; a place that cannot be written is a message
    on stderr, not a traceback, and folders the user did not ask for are not created."""
    if not target.parent.is_dir():
        print(f"Lỗi: thư mục “{target.parent}” không có: hãy tạo thư mục trước hoặc chọn nơi lưu khác", file=sys.stderr)
        return False
    if target.is_dir() and not folder:
        print(f"Lỗi: “{target}” là một thư mục: hãy ghi rõ tên tệp cần lưu", file=sys.stderr)
        return False
    try:
        write()
    except Exception as e:  # noqa: BLE001 - writers wrap the OSError (xlsxwriter's FileCreateError)
        if not isinstance(e, OSError) and not isinstance(e.__context__, OSError):
            raise
        print(f"Lỗi: không ghi được “{target}” ({os_error_text(e)})", file=sys.stderr)
        return False
    return True


def report_issues(issues) -> None:
    for issue in issues:
        print(issue, file=sys.stderr)


def result_json(results, stability: dict | None = None, settings=None) -> str:
    """The documented JSON object of `rank --json`, one line; with `stability` (year → its table), each unit's
    "stability" object and the year's "stability_settings" (how it was shaken, and that it is advisory).

    Rows are encoded by pandas in C: json.dump over 60,000 dicts takes seconds."""
    years = []
    for r in results:
        units = r.units[UNIT_FIELDS]
        if stability and r.year in stability:
            units = units.assign(stability=stability_records(stability[r.year], r.framework))
        units = units.to_json(orient="records", force_ascii=False, double_precision=3 if stability else 2)
        leaders = r.leaders.reindex(columns=LEADER_FIELDS).to_json(
            orient="records", force_ascii=False, double_precision=2
        )
        warnings = json.dumps([str(w) for w in r.warnings], ensure_ascii=False)
        shaken = f', "stability_settings": {_settings_json(settings)}' if stability else ""
        years.append(
            f'{{"year": {int(r.year)}, "units": {units}, "leaders": {leaders}, "warnings": {warnings}{shaken}}}'
        )
    return '{"years": [' + ", ".join(years) + "]}"


SUBTREE_FIELDS = ["committee", "code", "name", "cluster", "total", "score_tier", "tier", "rank", "committee_rank",
                  "cluster_rank", "reason"]  # fmt: skip


def subtree_json(year: int, units) -> str:
    """`db rank --json` of a committee with committees under it: every unit, ranked together (`rank`), with its
    committee and its rank there (`committee_rank`)."""
    rows = units[SUBTREE_FIELDS].to_json(orient="records", force_ascii=False, double_precision=2)
    committees = json.dumps(list(dict.fromkeys(units["committee"])), ensure_ascii=False)
    return f'{{"years": [{{"year": {int(year)}, "committees": {committees}, "units": {rows}}}]}}'


def emit(args, results, data_of=None) -> int:
    """The report file (-o), then the JSON or the table of the rated years. `data_of(result)`: the year's tables and
    framework, for `--stability`."""
    if args.output:
        from .report import ReportSettings, write_report

        settings = ReportSettings(
            **{
                k: v
                for k, v in (
                    ("superior_body", args.superior_body),
                    ("issuing_body", args.issuing_body),
                    ("place", args.place),
                    ("signer_name", args.signer),
                )
                if v
            }
        )
        if args.cluster and args.cluster not in set(results[-1].units["cluster"]):
            print(f"Lỗi: năm {results[-1].year} không có khối “{args.cluster}”", file=sys.stderr)
            return EXIT_INVALID
        if not write_place(args.output, lambda: write_report(results[-1], args.output, args.cluster, settings)):
            return EXIT_INVALID
    if args.json:
        tables, settings = None, None
        if getattr(args, "stability", False):
            from .stability import stability

            settings = _settings(args)
            tables = {r.year: stability(*data_of(r), r, settings) for r in results}
        sys.stdout.write(result_json(results, tables, settings) + "\n")
    else:
        for r in results:
            _print_table(r)
    return EXIT_OK


def _settings(args):
    from .stability import Settings

    given = {"runs": args.runs, "weight_noise": args.weight_noise, "score_noise": args.score_noise, "seed": args.seed}
    return Settings(**{k: v for k, v in given.items() if v is not None})


def _settings_json(settings) -> str:
    from dataclasses import asdict

    note = "Tham khảo: không thay đổi kết quả xếp loại, xếp hạng chính thức."
    return json.dumps(asdict(settings) | {"note": note}, ensure_ascii=False)


def stability_records(table, fw) -> list:
    """Per unit, {"keep_tier", "tiers": {code: share}, "rank_median", "rank_p5", "rank_p95"}; None when not rated."""
    codes = [t.code for t in fw.tiers]
    out = []
    for row in table.to_dict("records"):
        if row["keep_tier"] != row["keep_tier"]:  # NaN: not rated
            out.append(None)
            continue
        ranks = {k: int(row[k]) for k in ("rank_median", "rank_p5", "rank_p95")}
        out.append({"keep_tier": row["keep_tier"], "tiers": {c: row[c] for c in codes}, **ranks})
    return out


def _print_table(r) -> None:
    import pandas as pd

    from .formats import place

    print(f"Năm {r.year}: {len(r.units)} đơn vị")
    for u in r.units.itertuples():
        change = "" if pd.isna(u.rank_change) else f"{int(u.rank_change):+d}"
        print(f"{place(u.rank):>5} {change:>4}  {u.code:<10} {u.name[:40]:<40} {u.total:>7.2f}  {u.tier:<6} {u.reason}")


def store_args(parser, committee: bool = True) -> None:
    """The options of every command that works on the store: which database, who is acting and, for those that
    work inside one committee, which."""
    parser.add_argument(
        "--database", help="địa chỉ cơ sở dữ liệu (mặc định: DANVAN_DATABASE_URL hoặc data/danvan.sqlite)"
    )
    parser.add_argument("--user", help="tên người thực hiện, ghi vào nhật ký")
    if committee:
        parser.add_argument("--committee", help=COMMITTEE_HELP)


COMMITTEE_HELP = "mã cấp ủy làm việc (mặc định: cấp ủy gốc)"


def committee_after(*subcommands) -> None:
    """`--committee` accepted after a subcommand too (`db rank 2025 --committee XA01`), where argparse reads only
    the subcommand's own options; given nowhere, the group's default stands."""
    for group in subcommands:
        for parser in group.choices.values():
            parser.add_argument("--committee", default=argparse.SUPPRESS, help=COMMITTEE_HELP)


def signature_args(parser) -> None:
    """The options that replace, for one run, what the header and the signature print."""
    parser.add_argument("--superior-body", help="cơ quan cấp trên, ví dụ “ĐẢNG BỘ TỈNH …”")
    parser.add_argument("--issuing-body", help="cơ quan ban hành, ví dụ “ĐẢNG ỦY PHƯỜNG …”")
    parser.add_argument("--place", help="địa danh ở dòng ngày tháng")
    parser.add_argument("--signer", help="họ tên người ký")


def open_store(url: str | None, committee: str | None = None):
    """The store for a command, inside the committee of that code (the root by default), or None after saying on
    stderr why it cannot be opened."""
    from .committees import Committees
    from .store import Store, StoreError

    try:
        store = Store(url)
    except Exception as e:  # noqa: BLE001 - any driver error means the database cannot be opened
        print(f"Lỗi: không mở được cơ sở dữ liệu ({type(e).__name__}: {str(e).splitlines()[0][:200]})", file=sys.stderr)
        return None
    if not committee:
        return store
    try:
        return store.within(Committees(store).by_code(committee).id)
    except StoreError as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return None


def command_actor(args):
    """Whoever runs the command line on the server holds the database already; the log keeps their name: the
    operating-system user, and beside it the name given by --user (which anyone could type)."""
    from .access import operator
    from .store import os_user

    return operator(f"{args.user} (người dùng máy: {os_user()})" if args.user and args.user != os_user() else os_user())
