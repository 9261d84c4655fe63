"""`python -m scoring db …`: the store from the command line."""
from __future__ import annotations

import sys

from .cli import EXIT_INVALID, EXIT_OK, _report_issues, emit
from .framework import Framework
from .store import Store, StoreError, local_time
from .workbook import read_bytes


def run_db(args, framework: Framework | None) -> int:
    try:
        store = Store(args.database)
    except Exception as e:  # noqa: BLE001 - any driver error means the database cannot be opened
        print(f"Lỗi: không mở được cơ sở dữ liệu ({type(e).__name__}: {str(e).splitlines()[0][:200]})",
              file=sys.stderr)
        return EXIT_INVALID
    try:
        return COMMANDS[args.db_command](store, args, framework)
    except StoreError as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID


def _import(store: Store, args, framework) -> int:
    from .reader import read_files

    files, unopened = read_bytes(args.files)
    read = read_files(files, framework, args.year)
    read.issues[:0] = unopened
    _report_issues(read.issues)
    if read.errors:
        print("Không lưu gì: hãy sửa các lỗi trên rồi nhập lại.", file=sys.stderr)
        return EXIT_INVALID
    print(f"Đang ghi {len(read.years)} năm vào cơ sở dữ liệu…", file=sys.stderr, flush=True)
    for year, dataset_id in store.store(read, args.user).items():
        data = read.years[year]
        print(f"Đã lưu năm {year}: phiên bản {dataset_id}, {len(data.units)} đơn vị, "
              f"{len(data.leaders)} người đứng đầu.")
    return EXIT_OK


def _years(store: Store, args, framework) -> int:
    years = store.years()
    if years.empty:
        print("Chưa có năm nào. Nhập dữ liệu bằng: python -m scoring db import TỆP…")
    for y in years.itertuples():
        print(f"{y.year}: phiên bản {y.dataset_id} (trong {y.versions}), {y.unit_count} đơn vị, "
              f"{y.leader_count} người đứng đầu, nhập lúc {local_time(y.imported_at):%d/%m/%Y %H:%M}")
    return EXIT_OK


def _history(store: Store, args, framework) -> int:
    versions = store.history(args.year)
    if not versions:
        raise StoreError(f"Chưa có dữ liệu năm {args.year}")
    for d in versions:
        files = ", ".join(f"{s.name} ({s.sha256[:12]}…)" for s in d.files)
        mark = "* đang dùng" if d.active else ""
        print(f"phiên bản {d.id} {mark}: nhập {local_time(d.imported_at):%d/%m/%Y %H:%M} bởi {d.imported_by}; "
              f"{d.unit_count} đơn vị; bộ tiêu chí “{d.framework_name}” ({d.framework_id}); tệp: {files}")
    return EXIT_OK


def _activate(store: Store, args, framework) -> int:
    year = store.activate(args.version_id, args.user)
    print(f"Năm {year} dùng phiên bản {args.version_id}.")
    return EXIT_OK


def _rank(store: Store, args, framework) -> int:
    return emit(args, [store.rate(args.year)])


def _backup(store: Store, args, framework) -> int:
    counts = store.backup(args.file)
    print(f"Đã sao lưu vào {args.file}: {counts['datasets']} phiên bản dữ liệu, {counts['unit_rows']} dòng đơn vị.")
    return EXIT_OK


def _restore(store: Store, args, framework) -> int:
    counts = store.restore(args.file, args.user)
    print(f"Đã phục hồi: {counts['datasets']} phiên bản dữ liệu, {counts['unit_rows']} dòng đơn vị.")
    return EXIT_OK


COMMANDS = {"import": _import, "years": _years, "history": _history, "activate": _activate, "rank": _rank,
            "backup": _backup, "restore": _restore}
