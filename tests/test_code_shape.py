"""The shape the next maintainer relies on: no module of the library or the pages over 500 lines, no class over
250, the library never imports Streamlit, and no block of six lines written twice, to the letter or in shape."""

import ast
from collections import defaultdict
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


# ---------------------------------------------------------------- no block written twice

BLOCK = 6  # lines
CODE = [p for p in MODULES if not p.is_relative_to(MIGRATIONS) and p.name != "schema.py"]  # their boilerplate
# A statement made only of these is data (a call with values, a table, a field): written in shape again, it is
# another record, not logic written twice.
DATA = (
    ast.Constant, ast.Name, ast.Attribute, ast.expr_context, ast.Starred, ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.Call, ast.keyword, ast.JoinedStr, ast.FormattedValue, ast.UnaryOp, ast.unaryop, ast.BinOp, ast.operator,
    ast.Subscript, ast.Slice,
)  # fmt: skip


class _Shape(ast.NodeTransformer):
    """Names and values taken out: what is left is the code's shape."""

    def visit_Name(self, node):
        return ast.Name("_", node.ctx)

    def visit_Constant(self, node):
        return ast.Constant(type(node.value).__name__)

    def generic_visit(self, node):
        super().generic_visit(node)
        for name in ("attr", "arg", "name"):
            if isinstance(getattr(node, name, None), str):
                setattr(node, name, "_")
        for name in ("annotation", "returns"):
            if hasattr(node, name):
                setattr(node, name, None)
        return node


def _is_data(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(statement, ast.AnnAssign) and statement.value is None:
        return True
    if isinstance(statement, (ast.ClassDef, ast.FunctionDef)):  # a record type, or a function returning a table
        return all(_is_data(s) for s in _without_docstring(statement.body))
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) else None
    return value is not None and all(isinstance(n, DATA) for n in ast.walk(value))


def _bodies(tree: ast.AST):
    """Every list of statements (a module's, a function's, a branch's…) without its docstring."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield _without_docstring(body)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    return [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]


def _blocks(path: Path):
    """Each run of statements of one body that spans BLOCK lines or more (the shortest from each statement), unless
    all of it is data; with its shape."""
    for body in _bodies(ast.parse(path.read_text("utf-8"))):
        for i, first in enumerate(body):
            last = next((j for j in range(i, len(body)) if body[j].end_lineno - first.lineno + 1 >= BLOCK), None)
            if last is not None and not all(_is_data(s) for s in body[i : last + 1]):
                shape = tuple(ast.dump(_Shape().visit(ast.parse(ast.unparse(s)))) for s in body[i : last + 1])
                yield shape, (str(path.relative_to(ROOT)), first.lineno, body[last].end_lineno)


def _letter_blocks(path: Path):
    """Each run of BLOCK lines of code as written (blank lines, comments and docstrings aside), unless it is
    imports or brackets only."""
    tree = ast.parse(path.read_text("utf-8"))
    skipped = {
        n
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for n in range(node.lineno, node.end_lineno + 1)
    }
    lines = [
        (n, line.split("  #")[0].strip())
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if n not in skipped and line.strip() and not line.strip().startswith("#")
    ]
    for i in range(len(lines) - BLOCK + 1):
        run = lines[i : i + BLOCK]
        if sum(bool(line.strip(")]},:")) for _, line in run) >= BLOCK - 1:
            yield tuple(line for _, line in run), (str(path.relative_to(ROOT)), run[0][0], run[-1][0])


def _repeated(blocks) -> list[list[tuple]]:
    places = defaultdict(list)
    for key, place in blocks:
        if not any(p[0] == place[0] and p[1] <= place[1] <= p[2] for p in places[key]):  # not an overlap of itself
            places[key].append(place)
    return [found for found in places.values() if len(found) > 1]


def test_no_block_of_six_lines_is_written_twice_in_shape():
    assert _repeated(block for path in CODE for block in _blocks(path)) == []


def test_no_block_of_six_lines_is_written_twice_to_the_letter():
    assert _repeated(block for path in CODE for block in _letter_blocks(path)) == []
