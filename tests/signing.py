"""Accounts for the tests: created in the test's store through the library, signed in the way the cookie route
does (one-time code → session token)."""

from __future__ import annotations

from pathlib import Path

from scoring import service
from scoring.access import operator
from scoring.accounts import Accounts
from scoring.store import Store

PASSWORD = "mat-khau-thu-nghiem"
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"


def add_account(url: str, login: str, role: str, unit: str | None = None, password: str = PASSWORD) -> Accounts:
    """A unit account needs its unit known to the store: an empty store gets the sample years first (as the app's
    first start would), so that the sample's codes (DV01…DV45) can be used."""
    store = Store(url)
    if unit and store.unit_name(unit) is None:
        service.seed(store, SAMPLE_DIR)
    accounts = Accounts(store)
    accounts.create(operator("kiểm thử"), login, role, password, full_name=f"Người {login}", unit=unit)
    return accounts


def session_token(accounts: Accounts, login: str, password: str = PASSWORD) -> str:
    actor = accounts.sign_in(login, password)
    assert actor is not None, login
    return accounts.redeem_code(accounts.issue_code(actor))


def sign_in_apptest(monkeypatch, url: str, login: str, role: str, unit: str | None = None) -> None:
    """AppTest cannot send a cookie: the app's cookie reader returns this account's session token instead."""
    import pages._auth

    token = session_token(add_account(url, login, role, unit), login)
    monkeypatch.setattr(pages._auth, "_token", lambda: token)
