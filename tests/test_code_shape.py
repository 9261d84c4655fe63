"""The shape the next maintainer relies on: no module of the library or the pages over 500 lines, no class over
250, and the library never imports Streamlit."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted([*ROOT.glob("scoring/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"])
MIGRATIONS = ROOT / "scoring" / "migrations"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_modules_and_classes_stay_small(path):
    text = path.read_text("utf-8")
    if not path.is_relative_to(MIGRATIONS):
        assert len(text.splitlines()) <= 500, f"{path.name}: {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = node.end_lineno - node.lineno + 1
            assert size <= 250, f"{path.name}: class {node.name} has {size} lines"


def test_the_library_never_imports_streamlit():
    for path in ROOT.glob("scoring/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "streamlit" for n in names), path.name
