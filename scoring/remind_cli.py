"""`python -m scoring remind`: send the e-mail reminders that are due (the server sends them by itself every ten
minutes when DANVAN_SMTP_HOST is set; this is for cron, or to see what would go)."""

from __future__ import annotations

import sys

from .output import EXIT_INVALID, EXIT_OK, open_store, store_args


def add_parser(sub) -> None:
    p = sub.add_parser("remind", help="gửi e-mail nhắc việc đến hạn (cần DANVAN_SMTP_HOST)")
    store_args(p, committee=False)
    p.add_argument("--dry-run", action="store_true", help="chỉ in những thư sẽ gửi, không gửi")
    p.add_argument("--days", type=int, help="nhắc trước hạn tự chấm bao nhiêu ngày (mặc định DANVAN_REMIND_DAYS, 3)")


def run_remind(args) -> int:
    from datetime import UTC, datetime

    from . import reminders

    store = open_store(args.database)
    if store is None:
        return EXIT_INVALID
    if args.dry_run:
        for reminder in reminders.pending(store, datetime.now(UTC), days=args.days):
            print(f"{reminder.to}\t{reminder.subject}")
        return EXIT_OK
    mailer = reminders.Mailer.from_env()
    if mailer is None:
        print("Lỗi: chưa cấu hình máy chủ thư (DANVAN_SMTP_HOST)", file=sys.stderr)
        return EXIT_INVALID
    print(f"Đã gửi {reminders.send_due(store, mailer, days=args.days)} thư nhắc việc.")
    return EXIT_OK
