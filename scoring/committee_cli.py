"""`python -m scoring committee add|list|move`: the province's tree of committees."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from .output import EXIT_INVALID, EXIT_OK, command_actor, open_store, store_args

if TYPE_CHECKING:  # the store loads only when a committee command runs: every other command starts without it
    from .committees import Committees


def add_parser(sub) -> None:
    p = sub.add_parser("committee", help="các cấp ủy (tỉnh và các đảng ủy trực thuộc)")
    store_args(p, committee=False)
    csub = p.add_subparsers(dest="committee_command", required=True, parser_class=type(p))
    add = csub.add_parser("add", help="thêm cấp ủy")
    add.add_argument("code", help="mã cấp ủy, ví dụ XA-AN-PHU")
    add.add_argument("--name", required=True, help="tên, ví dụ “Đảng ủy xã An Phú”")
    add.add_argument("--parent", help="mã cấp ủy cấp trên (mặc định: cấp ủy gốc)")
    listing = csub.add_parser("list", help="các cấp ủy")
    listing.add_argument("--json", action="store_true", help="in dạng JSON")
    move = csub.add_parser("move", help="chuyển cấp ủy về cấp trên khác")
    move.add_argument("code")
    move.add_argument("--parent", required=True)


def run_committee(args) -> int:
    from .access import Forbidden
    from .committees import Committees
    from .store import StoreError

    store = open_store(args.database)
    if store is None:
        return EXIT_INVALID
    committees, actor = Committees(store), command_actor(args)
    try:
        if args.committee_command == "add":
            added = committees.add(actor, args.code, args.name, args.parent)
            print(f"Đã thêm cấp ủy {added.code} – {added.name}.")
        elif args.committee_command == "move":
            committees.move(actor, args.code, args.parent)
            print(f"Đã chuyển cấp ủy {args.code.upper()} về {args.parent.upper()}.")
        else:
            _list(committees, args.json)
    except (StoreError, Forbidden) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _list(committees: Committees, as_json: bool) -> None:
    every = committees.all()
    codes = {c.id: c.code for c in every}
    if as_json:
        print(json.dumps([c.to_dict(codes) for c in every], ensure_ascii=False))
        return
    depth = {}
    for c in every:
        depth[c.id] = 0 if c.parent_id is None else depth[c.parent_id] + 1
        print(f"{'  ' * depth[c.id]}{c.code}\t{c.name}")
