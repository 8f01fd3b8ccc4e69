"""The documentation pages (README.md and docs/**/*.md) and the blocks in them that `make readme` generates."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.cli import ROOT


def doc_pages() -> list[Path]:
    """README.md and every Markdown page under docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def generated_block(page: str, name: str) -> str:
    """The text between `<!-- name:start -->` and `<!-- name:end -->` in `page` (a path relative to the repository)."""
    text = (ROOT / page).read_text()
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n *<!-- {name}:end -->", text, re.S)
    assert found is not None, f"{page} lost its {name} block (make readme)"
    return found.group(1)
