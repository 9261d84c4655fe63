"""`python -m scoring round …`: a year's evaluation round from the command line (open, status, export, import,
complete, withdraw, cancel, reopen, publish).
Publishing needs a leadership account: its password is read from standard input, never an argument."""

from __future__ import annotations

import json
import sys

import pandas as pd

from .access import Forbidden
from .accounts import AccountError, Accounts
from .framework import Framework, load_preset
from .output import EXIT_INVALID, EXIT_OK, command_actor, open_store, report_issues, write_place
from .presentation import vn
from .roster import from_file as roster_file
from .rounds import STATE_LABELS, RoundError, Rounds
from .store import Store, StoreError, os_user
from .users_cli import read_password
from .validation import errors
from .workbook import read_bytes


def run_round(args, framework: Framework | None) -> int:
    store = open_store(args.database, args.committee)
    if store is None:
        return EXIT_INVALID
    try:
        return COMMANDS[args.round_command](store, args, framework)
    except (Forbidden, RoundError, StoreError) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID


def _open(store: Store, args, framework) -> int:
    if args.units:
        files, unopened = read_bytes([args.units])
        if unopened:
            report_issues(unopened)
            return EXIT_INVALID
        roster = roster_file(*files[0])
        report_issues(roster.issues)
        if roster.errors:
            return EXIT_INVALID
        units = roster.table
    else:
        earlier = [y for y in store.active_versions() if y < args.year]
        if not earlier:
            print("Lỗi: chưa có năm nào trước đó để lấy danh sách đơn vị: dùng --units TỆP", file=sys.stderr)
            return EXIT_INVALID
        units = store.load(max(earlier))[0].units
    chosen = framework or store.framework() or load_preset()
    Rounds(store).open(command_actor(args), args.year, chosen, units, args.self_deadline, args.review_deadline)
    print(f"Đã mở đợt đánh giá năm {args.year}: {len(units)} đơn vị, bộ tiêu chí “{chosen.name}”.")
    return EXIT_OK


def _total(value) -> str:
    return "—" if pd.isna(value) else vn(value)


def _status(store: Store, args, framework) -> int:
    rounds = Rounds(store)
    info = rounds.get(args.year)
    if info is None:
        raise RoundError(f"Năm {args.year} chưa có đợt đánh giá.")
    board = rounds.board(command_actor(args), args.year)
    if args.json:
        units = board.drop(columns="gap").astype(object)
        print(
            json.dumps(
                {"year": args.year, "state": info.state, "units": units.where(units.notna(), None).to_dict("records")},
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    for u in board.itertuples():
        print(
            f"{u.code}\t{u.name}\t{u.cluster}\t{STATE_LABELS[u.state]}\ttự chấm {_total(u.self_total)}\t"
            f"thẩm định {_total(u.review_total)}"
        )
    return EXIT_OK


def _export(store: Store, args, framework) -> int:
    from .round_files import round_workbook

    content = round_workbook(Rounds(store), command_actor(args), args.year)
    if not write_place(args.output, lambda: args.output.write_bytes(content)):
        return EXIT_INVALID
    print(f"Đã ghi {args.output}.")
    return EXIT_OK


def _import(store: Store, args, framework) -> int:
    from .round_files import import_workbook

    files, unopened = read_bytes([args.file])
    if unopened:
        report_issues(unopened)
        return EXIT_INVALID
    changes, issues = import_workbook(Rounds(store), command_actor(args), args.year, files, args.reason)
    report_issues(issues)
    if errors(issues):
        print("Không ô nào được ghi.", file=sys.stderr)
        return EXIT_INVALID
    print(f"Đã nhập {len(changes)} ô thay đổi của {len({c.code for c in changes})} đơn vị.")
    return EXIT_OK


def _complete(store: Store, args, framework) -> int:
    done = Rounds(store).complete_all(command_actor(args), args.year, None if args.all else args.codes, args.reason)
    print(
        f"Đã hoàn tất thẩm định {len(done)} đơn vị"
        + (f": {', '.join(done[:20])}" if done else "")
        + ("…" if len(done) > 20 else "")
        + "."
    )
    return EXIT_OK


def _withdraw(store: Store, args, framework) -> int:
    Rounds(store).withdraw(command_actor(args), args.year, args.code, args.reason)
    print(f"Đã rút {args.code} khỏi đợt đánh giá năm {args.year}.")
    return EXIT_OK


def _cancel(store: Store, args, framework) -> int:
    Rounds(store).cancel(command_actor(args), args.year, args.reason)
    print(f"Đã hủy đợt đánh giá năm {args.year}.")
    return EXIT_OK


def _reopen(store: Store, args, framework) -> int:
    Rounds(store).reopen(command_actor(args), args.year, args.reason, args.review_deadline)
    print(f"Đã mở lại đợt đánh giá năm {args.year}.")
    return EXIT_OK


def _publish(store: Store, args, framework) -> int:
    try:
        leader = Accounts(store).sign_in(args.login, read_password(), f"dòng lệnh ({os_user()})")
    except AccountError as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID
    if leader is None:
        print("Lỗi: tên đăng nhập hoặc mật khẩu không đúng.", file=sys.stderr)
        return EXIT_INVALID
    dataset_id = Rounds(store).publish(leader, args.year)
    print(f"Đã công bố kết quả năm {args.year}: phiên bản {dataset_id}.")
    return EXIT_OK


COMMANDS = {
    "open": _open,
    "status": _status,
    "export": _export,
    "import": _import,
    "complete": _complete,
    "withdraw": _withdraw,
    "cancel": _cancel,
    "reopen": _reopen,
    "publish": _publish,
}
