"""How times, dates and numbers read for Vietnamese users, one definition each: Vietnam's time, dd/mm/yyyy, a
decimal comma. Every page, command, report and message formats through these."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

VN_TIME = timezone(timedelta(hours=7))


def stored_time(at: datetime | None) -> datetime | None:
    """A time read back from the store, with its zone: SQLite gives times back without their (UTC) zone."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def local_time(at: datetime) -> datetime:
    """A stored time in Vietnam's time."""
    return stored_time(at).astimezone(VN_TIME)


def day(when: date | datetime) -> str:
    """05/12/2026 (a time: its day in Vietnam)."""
    return f"{local_time(when) if isinstance(when, datetime) else when:%d/%m/%Y}"


def moment(at: datetime, seconds: bool = False) -> str:
    """05/12/2026 14:30 in Vietnam's time (with seconds: 14:30:05)."""
    return f"{local_time(at):%d/%m/%Y %H:%M:%S}" if seconds else f"{local_time(at):%d/%m/%Y %H:%M}"


def deadline(at: datetime) -> str:
    """14:30 ngày 05/12/2026: a deadline as notices write it."""
    return f"{local_time(at):%H:%M} ngày {day(at)}"


def format_vn(value: float | Decimal, decimals: int = 2) -> str:
    """A number the Vietnamese way: 92.5 → "92,50"."""
    return f"{value:.{decimals}f}".replace(".", ",")


def plain_number(value: Decimal) -> int | float:
    """A setting as a file writes it (TOML, a sheet's cell): 9 rather than 9.0."""
    return int(value) if value == value.to_integral_value() else float(value)


def number_setting(value: Decimal | float) -> str:
    """A setting (threshold, quota, maximum) as people write it: 92,5 not 92,50; 20 not 20,00."""
    return format(Decimal(str(value)).normalize(), "f").replace(".", ",")


def place(rank) -> str:
    """A rank as a table or a card writes it; a unit not rated has none ("—")."""
    try:
        return str(int(rank))
    except (TypeError, ValueError):  # pandas' NA, NaN, None
        return "—"
