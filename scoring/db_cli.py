"""`python -m scoring db …`: the store from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from . import province, service
from .access import ROLE_LABELS, Role
from .committees import Committees
from .formats import moment, place
from .framework import Framework, load_framework_file, load_preset
from .output import EXIT_INVALID, EXIT_OK, command_actor, emit, open_store, report_issues, subtree_json
from .store import Store, StoreError
from .workbook import read_bytes


def run_db(args, framework: Framework | None) -> int:
    store = open_store(args.database, args.committee)
    if store is None:
        return EXIT_INVALID
    try:
        return COMMANDS[args.db_command](store, args, framework)
    except StoreError as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID


def _import(store: Store, args, framework) -> int:
    files, unopened = read_bytes(args.files)
    plan = service.plan_import(store, service.read_upload(store, files, framework, args.year))
    plan.issues[:0] = unopened
    report_issues(plan.issues)
    if not plan.ok:
        print("Không lưu gì: hãy sửa các lỗi trên rồi nhập lại.", file=sys.stderr)
        return EXIT_INVALID
    print(f"Đang ghi {len(plan.years)} năm vào cơ sở dữ liệu…", file=sys.stderr, flush=True)
    for year, dataset_id in service.save(store, plan, command_actor(args)).items():
        p = plan.years[year]
        merged = (
            f" (gộp: thêm {len(p.added)}, thay {len(p.replaced)}, giữ {len(p.kept)} đơn vị)"
            if p.mode == service.MERGE
            else ""
        )
        print(
            f"Đã lưu năm {year}: phiên bản {dataset_id}, {len(p.data.units)} đơn vị, "
            f"{len(p.data.leaders)} người đứng đầu{merged}."
        )
    return EXIT_OK


def _years(store: Store, args, framework) -> int:
    years = store.years()
    if years.empty:
        print("Chưa có năm nào. Nhập dữ liệu bằng: python -m scoring db import TỆP…")
    for y in years.itertuples():
        print(
            f"{y.year}: phiên bản {y.dataset_id} (trong {y.versions}), {y.unit_count} đơn vị, "
            f"{y.leader_count} người đứng đầu, nhập lúc {moment(y.imported_at)}"
        )
    return EXIT_OK


def _history(store: Store, args, framework) -> int:
    versions = store.history(args.year)
    if not versions:
        raise StoreError(f"Chưa có dữ liệu năm {args.year}")
    for d in versions:
        files = ", ".join(f"{s.name} ({s.sha256[:12]}…)" for s in d.files)
        mark = "* đang dùng" if d.active else ""
        print(
            f"phiên bản {d.id} {mark}: nhập {moment(d.imported_at)} bởi {d.imported_by}; "
            f"{d.unit_count} đơn vị; bộ tiêu chí “{d.framework_name}” ({d.framework_id}); tệp: {files}"
        )
    return EXIT_OK


def _activate(store: Store, args, framework) -> int:
    year = service.activate(store, args.version_id, command_actor(args))
    print(f"Năm {year} dùng phiên bản {args.version_id}.")
    return EXIT_OK


def _rank(store: Store, args, framework) -> int:
    """A committee's year; for a committee with committees under it, every unit of the subtree ranked together."""
    if len(Committees(store).subtree(store.committee_id)) == 1:
        return emit(args, [service.rate_stored_year(store, args.year)], lambda r: store.load(r.year)[:2])
    if args.output:
        print("Lỗi: báo cáo Excel lập cho từng cấp ủy (--committee MÃ của cấp ủy đó)", file=sys.stderr)
        return EXIT_INVALID
    units = province.subtree_ranking(province.committee_years(store, command_actor(args), args.year))
    if args.json:
        sys.stdout.write(subtree_json(args.year, units) + "\n")
    else:
        for u in units.itertuples():
            print(f"{place(u.rank):>5}  {u.committee:<12} {u.code:<10} {u.name[:40]:<40} {u.total:>7.2f}  {u.tier:<6}")
    return EXIT_OK


def _backup(store: Store, args, framework) -> int:
    counts = service.backup(store, args.file, command_actor(args))
    print(f"Đã sao lưu vào {args.file}: {counts['datasets']} phiên bản dữ liệu, {counts['unit_rows']} dòng đơn vị.")
    return EXIT_OK


def _restore(store: Store, args, framework) -> int:
    """Accounts are restored only with --accounts, and listed first either way: a backup is a way in."""
    actor = command_actor(args)
    held = service.backup_accounts(store, args.file, actor)
    if held:
        listed = ", ".join(f"{a['login']} ({ROLE_LABELS[Role(a['role'])]})" for a in held)
        print(
            f"Tài khoản trong bản sao lưu mà cơ sở dữ liệu chưa có: {listed}. "
            + (
                "Các tài khoản này được phục hồi."
                if args.accounts
                else "Không phục hồi các tài khoản này (thêm --accounts nếu cần)."
            )
        )
    counts = service.restore(store, args.file, actor, accounts=args.accounts)
    print(
        f"Đã phục hồi: {counts['datasets']} phiên bản dữ liệu, {counts['unit_rows']} dòng đơn vị"
        + (f", {counts['accounts']} tài khoản." if counts["accounts"] else ".")
    )
    return EXIT_OK


def _framework(store: Store, args, framework) -> int:
    if args.framework_command == "list":
        active = store.framework()
        for v in store.framework_versions().itertuples():
            mark = "* đang dùng" if active is not None and active.source == f"store:{v.id}" else ""
            print(f"bộ tiêu chí {v.id} {mark}: “{v.name}”, lưu {moment(v.created_at)} bởi {v.created_by}")
        return EXIT_OK
    if args.framework_command == "activate":
        service.activate_framework(store, args.framework_id, command_actor(args))
        print(f"Các lần nhập sau dùng bộ tiêu chí {args.framework_id}.")
        return EXIT_OK
    chosen, problems = _framework_file(Path(args.file))
    report_issues(problems)
    if chosen is None:
        return EXIT_INVALID
    framework_id = service.save_framework(store, chosen, command_actor(args))
    print(f"Đã lưu bộ tiêu chí “{chosen.name}” (phiên bản {framework_id}); các lần nhập sau dùng bộ này.")
    return EXIT_OK


def _framework_file(path: Path):
    """A framework from a .toml file or from the "Tiêu chí" sheet of a workbook."""
    if path.suffix.lower() == ".toml":
        try:
            return load_framework_file(path), []
        except (OSError, ValueError, KeyError) as e:
            raise StoreError(f"Không đọc được bộ tiêu chí {path.name}: {e}") from None
    from .reader import read_framework_bytes

    files, unopened = read_bytes([path])
    if unopened:
        return None, unopened
    return read_framework_bytes(path.name, files[0][1], load_preset())


COMMANDS = {
    "import": _import,
    "years": _years,
    "history": _history,
    "activate": _activate,
    "rank": _rank,
    "backup": _backup,
    "restore": _restore,
    "framework": _framework,
}
