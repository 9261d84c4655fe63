"""The store this server process opened, shared by the pages and the server's routes: one per database, and one
round ledger per store (its state counts serve every page run)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from scoring import service
from scoring.accounts import Accounts
from scoring.rounds import Rounds
from scoring.store import ROOT_ID, Store, database_url

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


def store() -> Store:
    return _open(database_url(), os.environ.get("DANVAN_SEED_SAMPLE", "1") != "0")


@cache
def _open(url: str, seed: bool) -> Store:
    """A new, empty store gets the sample years unless DANVAN_SEED_SAMPLE=0."""
    opened = Store(url)
    if seed:
        service.seed(opened, SAMPLE_DIR)
    return opened


def accounts() -> Accounts:
    return Accounts(store())


def rounds(committee_id: int = ROOT_ID) -> Rounds:
    """The round ledger of a committee: one per store and committee, so that what it keeps of each round serves
    every page run of every session working there. Callers check that the account may work there."""
    return _rounds_of(store(), committee_id)


@cache
def _rounds_of(opened: Store, committee_id: int) -> Rounds:
    return Rounds(opened.within(committee_id))
