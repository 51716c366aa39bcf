"""The README is a short entry point, CI runs the command it gives, and the documentation
pages hold what an operator looks up: every variable, no dead link out of a clone."""

from __future__ import annotations

import re

import pytest

from tests.support.environment import variables_read
from tests.support.service import ROOT

pytestmark = pytest.mark.unit

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 200


def pages() -> list[tuple[str, str]]:
    found = [(str(p.relative_to(ROOT)), p.read_text()) for p in sorted(DOCS.rglob("*.md"))]
    return [("README.md", README.read_text()), *found]


def test_the_readme_is_short_and_ci_runs_its_test_command() -> None:
    readme = README.read_text()
    assert len(readme.splitlines()) <= MAX_README_LINES
    assert "make run " in readme and "make test " in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)
    assert re.search(r"^make docs$", ci, re.MULTILINE)


def test_the_readme_links_every_page_of_the_site() -> None:
    readme = README.read_text()
    for page in DOCS.rglob("*.md"):
        if page.name == "index.md" and page.parent == DOCS:
            continue  # the site's home: the README is the repository's
        assert f"({page.relative_to(ROOT)})" in readme, page


def test_the_configuration_page_names_every_variable_the_service_reads() -> None:
    page = (DOCS / "configuration.md").read_text()
    assert {name for name in variables_read() if f"`{name}`" not in page} == set()


@pytest.mark.parametrize(("name", "text"), pages(), ids=lambda value: str(value)[:40])
def test_no_link_leaves_the_repository_and_no_issue_numbers_in_prose(name: str, text: str) -> None:
    assert "../shared" not in text, name
    assert re.search(r"\bissues? \d+", text) is None, name
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if not target.startswith(("http://", "https://", "#")):
            where = (ROOT / name).parent / target.split("#")[0]
            assert where.resolve().is_relative_to(ROOT) and where.exists(), (name, target)
