"""What `app.py` hands to `st.App`: the routes, the middleware and the start-up (lifespan)."""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Route

from scoring import reminders
from scoring.accounts import ADMIN_LOGIN, hand_over_first_password
from scoring.store import database_url
from scoring.web import downloads, session_routes, streamlit_texts
from scoring.web.headers import BROWSER_SCRIPT, SecurityHeaders, browser_script
from scoring.web.opened import accounts, store

ROUTES = [*session_routes.ROUTES, Route(BROWSER_SCRIPT, browser_script), *downloads.ROUTES]
MIDDLEWARE = [Middleware(SecurityHeaders), Middleware(streamlit_texts.Vietnamese)]
TRIM_EVERY = 20  # seconds
REMIND_EVERY = 600  # seconds
log = logging.getLogger("scoring.app")


def lifespan(warm_up: Callable[[], None]):
    """The server's start-up: open the store (migrations, sample years) before the first visitor, and on the very
    first start create the administrator, whose password is shown once, here in the terminal, never in a log.
    `warm_up` (the pages' shared cache of rated years) runs meanwhile in a thread of its own, so that the first
    visitor does not wait for a national year (seconds)."""

    @asynccontextmanager
    async def starting(_app):
        password = await run_in_threadpool(lambda: accounts().ensure_admin())
        threading.Thread(target=warm_up, name="danvan-warm-up", daemon=True).start()
        threading.Thread(target=return_freed_memory, name="danvan-memory", daemon=True).start()
        mailer = reminders.Mailer.from_env()
        if mailer is not None:  # reminders are off unless an SMTP server is configured
            threading.Thread(target=send_reminders, args=(mailer,), name="danvan-reminders", daemon=True).start()
        if password:
            await run_in_threadpool(_hand_over, password)
        yield

    return starting


def _hand_over(password: str) -> None:
    if sys.stdout.isatty():  # someone is watching this terminal: shown there once
        print(
            "\n" + "=" * 72 + "\nTài khoản quản trị đầu tiên (chỉ hiện một lần):\n"
            f"  Tên đăng nhập: {ADMIN_LOGIN}\n  Mật khẩu:      {password}\n"
            "Mật khẩu dùng được một lần trong 24 giờ: hãy đăng nhập và đổi ngay.\n" + "=" * 72 + "\n",
            flush=True,
        )
        return
    path = hand_over_first_password(password, database_url())  # a journal or a container log: never there
    log.warning(
        "first administrator %s: password written to %s (readable by its owner only; expires after its first "
        "sign-in or 24 hours)",
        ADMIN_LOGIN,
        path,
    )


def send_reminders(mailer: reminders.Mailer) -> None:
    """Send the e-mail reminders that fall due, every REMIND_EVERY seconds, beside the pages (never in a page's
    run); a failure is logged and tried again next time."""
    while True:
        try:
            sent = reminders.send_due(store(), mailer)
            if sent:
                log.info("reminders: %d sent", sent)
        except Exception:  # noqa: BLE001 - the next round tries again; the pages go on
            log.exception("reminders failed")
        time.sleep(REMIND_EVERY)


def return_freed_memory() -> None:
    """Hand memory freed by Python back to the system every TRIM_EVERY seconds. glibc keeps what many page runs at
    once freed in its per-thread heaps; without this the server stays at its peak after people leave. Elsewhere
    than glibc, nothing to do."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    while True:
        time.sleep(TRIM_EVERY)
        trim(0)
