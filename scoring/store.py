"""Every year's data kept safely: SQLite embedded by default, PostgreSQL for a shared deployment.

One small interface (`Store`) used by the command line and the dashboard. An import is one
transaction: validation happens before it starts, and a crash or a kill inside it leaves the
database exactly as before. Imports are serialised (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory
lock); reads run in one snapshot so they never see half an import.
"""

from __future__ import annotations

from .storage import (
    BACKUP_FORMAT,
    DEFAULT_URL,
    MIGRATIONS,
    ROOT,
    ROOT_ID,
    WRITERS_LOCK,
    DatasetInfo,
    StoreError,
    database_url,
    os_user,
    record,
)
from .store_backup import Backups
from .store_frameworks import Frameworks
from .store_years import YearTables, YearVersions


class Store(Frameworks, YearVersions, YearTables, Backups):
    """The store: its core (`storage`), frameworks, years and backups, one object for the command line and pages."""


__all__ = [
    "BACKUP_FORMAT",
    "DEFAULT_URL",
    "MIGRATIONS",
    "ROOT",
    "ROOT_ID",
    "WRITERS_LOCK",
    "DatasetInfo",
    "Store",
    "StoreError",
    "database_url",
    "os_user",
    "record",
]
