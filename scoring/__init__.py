"""Rating of grassroots party organisations and their heads on dân vận work (docs/rules.md).

Public entry points: `read_files`/`read_paths` (files → validated tables per year), `rate_year`
(one year's tables → ratings and ranks; the one place the rules are applied) and `rate_all`
(every year of a read, chained for rank changes). Names are imported lazily so that `python -m scoring` can
start parsing files before pandas is loaded.
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"
# Details for administrators (a parser's own error, in English) go to the log, never to users: silent unless the
# program that uses the library (the app) configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS = {
    "rate_year": ("engine", "rate"),
    "YearResult": ("engine", "YearResult"),
    "YearData": ("dataset", "YearData"),
    "Framework": ("framework", "Framework"),
    "load_preset": ("framework", "load_preset"),
    "load_framework_file": ("framework", "load_framework_file"),
    "presets": ("framework", "presets"),
    "ReadResult": ("reader", "ReadResult"),
    "read_files": ("reader", "read_files"),
    "read_paths": ("reader", "read_paths"),
    "rate_all": ("rating", "rate_all"),
    "Issue": ("validation", "Issue"),
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    return getattr(importlib.import_module(f".{module}", __name__), attr)
