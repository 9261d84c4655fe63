"""Problems found in input files, reported all at once in Vietnamese.

An Issue names the file, sheet, Excel row and column header as the user sees them. Errors block a
year from being rated or stored; warnings are shown and do not block.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"
SEVERITY_LABEL = {ERROR: "Lỗi", WARNING: "Cảnh báo"}


@dataclass(frozen=True)
class Issue:
    severity: str
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None  # Excel row number, 1-based
    column: str = ""  # column header as written, or its letter
    value: str = ""

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"trang “{self.sheet}”")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột “{self.column}”")
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        value = f" (giá trị: “{self.value}”)" if self.value != "" else ""
        where = self.location()
        where = f"{where}: " if where else ""
        return f"{SEVERITY_LABEL[self.severity]}: {where}{self.message}{value}"

    def to_dict(self) -> dict:
        return asdict(self)


class Sorted:
    """`errors` and `warnings` of what holds `issues` (a read, a roster, the collector)."""

    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return errors(self.issues)

    @property
    def warnings(self) -> list[Issue]:
        return warnings(self.issues)


@dataclass
class Issues(Sorted):
    """Collector passed down the reading of one file; bound to that file's name and sheet."""

    items: list[Issue] = field(default_factory=list)
    file: str = ""
    sheet: str = ""

    def at(self, file: str | None = None, sheet: str | None = None) -> Issues:
        """A view that records into the same list with another file or sheet as location."""
        return Issues(self.items, self.file if file is None else file, self.sheet if sheet is None else sheet)

    def error(self, message: str, row: int | None = None, column: str = "", value: object = "") -> None:
        self.items.append(Issue(ERROR, message, self.file, self.sheet, row, column, _shown(value)))

    def warning(self, message: str, row: int | None = None, column: str = "", value: object = "") -> None:
        self.items.append(Issue(WARNING, message, self.file, self.sheet, row, column, _shown(value)))

    @property
    def issues(self) -> list[Issue]:
        return self.items


def errors(issues: list[Issue]) -> list[Issue]:
    """The issues that stop a file from being used."""
    return [i for i in issues if i.severity == ERROR]


def warnings(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == WARNING]


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"
