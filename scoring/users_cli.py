"""`python -m scoring users …`: accounts from the command line. A password is read from standard input (one
line) or, at a terminal, typed twice without echo; never taken as an argument, so it stays out of the shell's
history and the process list."""

from __future__ import annotations

import getpass
import sys

from .access import ROLE_LABELS
from .accounts import AccountError, Accounts
from .committees import ROOT_ID, Committees
from .formats import moment
from .output import EXIT_INVALID, EXIT_OK, command_actor, open_store
from .store import StoreError


def run_users(args) -> int:
    store = open_store(args.database)
    if store is None:
        return EXIT_INVALID
    accounts = Accounts(store)
    actor = command_actor(args)
    try:
        return COMMANDS[args.users_command](accounts, actor, args)
    except (AccountError, StoreError) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID


def read_password(prompt: str = "Mật khẩu: ") -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise AccountError("Không có mật khẩu ở đầu vào chuẩn.")
        return line.rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise AccountError("Hai lần nhập mật khẩu không khớp.")
    return first


def _add(accounts: Accounts, actor, args) -> int:
    committee = Committees(accounts.store).by_code(args.committee).id if args.committee else ROOT_ID
    accounts.create(actor, args.login, args.role, read_password(), args.name, args.unit, args.email, False, committee)
    print(f"Đã tạo tài khoản {args.login.strip().lower()}.")
    return EXIT_OK


def _list(accounts: Accounts, actor, args) -> int:
    for a in accounts.list(actor):
        state = "đang dùng" if a.active else "đã khoá"
        if a.locked:
            state += ", tạm khoá do nhập sai"
        unit = f", đơn vị {a.unit_code}" if a.unit_code else ""
        print(
            f"{a.login}\t{a.full_name}\t{ROLE_LABELS[a.role]} ({a.role.value}{unit})\tcấp ủy {a.committee}\t{state}\t"
            f"sửa {moment(a.changed_at)} bởi {a.changed_by}"
        )
    return EXIT_OK


def _passwd(accounts: Accounts, actor, args) -> int:
    accounts.set_password(actor, args.login, read_password("Mật khẩu mới: "))
    print(f"Đã đặt mật khẩu mới cho {args.login}; người dùng phải đổi lại ở lần đăng nhập sau.")
    return EXIT_OK


def _disable(accounts: Accounts, actor, args) -> int:
    accounts.set_active(actor, args.login, False)
    print(f"Đã khoá tài khoản {args.login}.")
    return EXIT_OK


def _enable(accounts: Accounts, actor, args) -> int:
    accounts.set_active(actor, args.login, True)
    print(f"Đã mở lại tài khoản {args.login}.")
    return EXIT_OK


def _unlock(accounts: Accounts, actor, args) -> int:
    accounts.unlock(actor, args.login)
    print(f"Đã mở khoá đăng nhập cho {args.login}.")
    return EXIT_OK


def _role(accounts: Accounts, actor, args) -> int:
    accounts.set_role(actor, args.login, args.role, args.unit)
    print(f"Đã đổi vai trò của {args.login}.")
    return EXIT_OK


COMMANDS = {
    "add": _add,
    "list": _list,
    "passwd": _passwd,
    "disable": _disable,
    "enable": _enable,
    "unlock": _unlock,
    "role": _role,
}
