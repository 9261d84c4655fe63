"""The documentation a person who clones the project reads: every relative link resolves inside the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_relative_links_resolve_inside_the_repository(doc):
    for target in LINK.findall(doc.read_text("utf-8")):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name}: {target} points outside the repository"
        assert path.exists(), f"{doc.name}: {target} does not exist"


def test_the_rules_are_in_the_repository():
    rules = (ROOT / "docs" / "rules.md").read_text("utf-8")
    for step in range(1, 12):
        assert re.search(rf"^{step}\. \*\*", rules, re.MULTILINE), f"step {step} of the rules is not described"


CODE = sorted(
    {*ROOT.glob("scoring/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py", *ROOT.glob("tests/*.py")}
    - {Path(__file__).resolve()}
)
CITATION = re.compile(r"docs/(\w+)\.md(?: step (\d+))?")


def test_every_citation_in_the_code_resolves():
    """Docstrings and comments cite the project's own docs (a clone has no domain.md): each cited file exists and
    each cited step of the rules is described there."""
    rules = (ROOT / "docs" / "rules.md").read_text("utf-8")
    for path in CODE:
        text = path.read_text("utf-8")
        assert "domain.md" not in text and "domain §" not in text, f"{path.name} cites a document a clone lacks"
        for name, step in CITATION.findall(text):
            assert (ROOT / "docs" / f"{name}.md").exists(), f"{path.name}: docs/{name}.md does not exist"
            if step:
                assert re.search(rf"^{step}\. \*\*", rules, re.MULTILINE), f"{path.name}: no step {step} in rules"
