"""The documentation holds together: every cited requirement and failure is defined, every relative link resolves.

Anchors are computed the way GitHub computes them for headings: the heading's text, lower-cased, with every
character that is not a letter, digit, space, hyphen or underscore removed and spaces turned into hyphens; a
repeated heading gets -1, -2, ... in order. An explicit `<a id="...">` or `<a name="...">` is an anchor too.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.docs_pages import ROOT, doc_pages

REQUIREMENTS_PAGE = ROOT / "docs" / "requirements.md"
README_MAX_LINES = 200

# Where citations are looked for: the repository's own Python, Markdown and Makefile, not what tools installed.
SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules", ".make", "__pycache__", ".mypy_cache", ".ruff_cache"}

# "R17" (not "NIST 800-53 R5" or "NIST.800.53.R5", a revision of a control catalogue, not ours).
REQUIREMENT = re.compile(r"(?<![\w.-])(?<!800-53 )R(\d{1,2})\b")
# "failure 14", "Failure 11:", "SPEC failure 10", "seed failures 4 and 6", "failure 11 (docs/requirements.md)".
FAILURE = re.compile(r"\bfailures? (\d+)((?:(?:,| and| or) \d+)*)", re.I)

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")
INLINE_CODE = re.compile(r"(`+)(.*?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _prose_lines(page: Path) -> list[tuple[int, str]]:
    """The page's lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], False
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def _plain(markup: str) -> str:
    """Text outside code spans as GitHub renders it: a link's text, no HTML tags, no emphasis markers."""
    text = LINK.sub(lambda match: match.group(1), markup)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[*~]|(?<!\w)_+|_+(?!\w)", "", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its rendered text in lower case, punctuation removed, spaces to hyphens."""
    text, last = "", 0
    for code in INLINE_CODE.finditer(heading):
        text += _plain(heading[last : code.start()]) + code.group(2)
        last = code.end()
    text += _plain(heading[last:])
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: Counter[str] = Counter()
    for _, line in _prose_lines(page):
        found.update(HTML_ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def _links(page: Path) -> list[tuple[int, str]]:
    return [
        (number, match.group(2))
        for number, line in _prose_lines(page)
        for match in LINK.finditer(INLINE_CODE.sub("", line))
    ]


def _broken(page: Path, target: str) -> str | None:
    if EXTERNAL.match(target):
        return None
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    if not destination.exists():
        return f"{path} does not exist"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"{destination.name} has no heading or anchor #{anchor}"
    return None


def _source_files() -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in SKIPPED_DIRECTORIES and not d.startswith("cdk.")
        )
        found += [Path(directory) / f for f in sorted(files) if f.endswith((".py", ".md")) or f == "Makefile"]
    return found


def cited(line: str) -> list[str]:
    """The requirements page's anchors for the requirement and failure numbers a line cites."""
    found = [f"r{int(n)}" for n in REQUIREMENT.findall(line)]
    for first, more in FAILURE.findall(line):
        found += [f"failure-{int(n)}" for n in [first, *re.findall(r"\d+", more)]]
    return found


def _citations() -> list[tuple[str, str]]:
    """(where, anchor) for every requirement or failure number cited in the repository's sources and pages."""
    found = []
    for path in _source_files():
        where = path.relative_to(ROOT)
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            found += [(f"{where}:{number}", anchor) for anchor in cited(line)]
    return found


def test_slugs_follow_githubs_rule() -> None:
    assert slug("How a deployment proceeds (R16)") == "how-a-deployment-proceeds-r16"
    assert slug("PCI DSS v4.0.1 map") == "pci-dss-v401-map"
    assert slug("Why the checks probe `<region>.<domain>`") == "why-the-checks-probe-regiondomain"
    assert slug("Zonal shift — and [autoshift](x.md)") == "zonal-shift--and-autoshift"
    assert slug("`PAYMENT_FAILOVER_*` and *emphasis*") == "payment_failover_-and-emphasis"
    assert slug("R17") == "r17"
    assert slug("Failure 14") == "failure-14"


def test_citations_are_read_in_every_form_the_repository_writes_them() -> None:
    assert cited('"""R17, failure 13: the synthesized error-rate alarms') == ["r17", "failure-13"]
    assert cited("# R16, failure 10: a fixed image id") == ["r16", "failure-10"]
    assert cited("(SPEC failure 11): during an outage") == ["failure-11"]
    assert cited("Failure 12 (R18): no documented setting change") == ["r18", "failure-12"]
    assert cited("dimension that its alarm has (seed failures 4 and 6)") == ["failure-4", "failure-6"]
    assert cited("is failure 11 (docs/requirements.md) again") == ["failure-11"]
    assert cited("(R1\u2013R24) and the failures") == ["r1", "r24"]
    assert cited("the SPEC R11 places alarms") == ["r11"]
    assert cited("NIST 800-53 R5 packs, NIST.800.53.R5-LambdaDLQ, AwsSolutions-IAM5") == []


def test_every_cited_requirement_and_failure_is_defined_in_docs_requirements() -> None:
    defined = anchors(REQUIREMENTS_PAGE)
    citations = _citations()
    assert any(anchor == "r17" for _, anchor in citations), "the scan found no citation at all"
    undefined = [where for where, anchor in citations if anchor not in defined]
    assert not undefined, f"cited but not defined in docs/requirements.md: {undefined}"


def test_the_requirements_page_defines_r1_to_r24_and_failures_1_to_21() -> None:
    defined = anchors(REQUIREMENTS_PAGE)
    assert {f"r{n}" for n in range(1, 25)} <= defined
    assert {f"failure-{n}" for n in range(1, 22)} <= defined


@pytest.mark.parametrize("page", doc_pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = [f"line {number}: {target}: {why}" for number, target in _links(page) if (why := _broken(page, target))]
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_check_sees_links_and_catches_a_broken_one(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Sub\n\n## Sub\n\n[a](#sub-1) [b](#nowhere) `[c](#code)` [d](other.md)\n")
    assert [target for _, target in _links(page)] == ["#sub-1", "#nowhere", "other.md"]
    assert _broken(page, "#sub-1") is None
    assert _broken(page, "#nowhere") is not None
    assert _broken(page, "other.md") is not None


def test_each_generated_block_lives_in_exactly_one_page() -> None:
    starts = Counter(name for page in doc_pages() for name in re.findall(r"<!-- ([\w-]+):start -->", page.read_text()))
    ends = Counter(name for page in doc_pages() for name in re.findall(r"<!-- ([\w-]+):end -->", page.read_text()))
    assert starts == ends
    assert all(count == 1 for count in starts.values()), starts


def test_readme_stays_a_landing_page_of_at_most_200_lines() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    assert "<!--" not in readme, "generated blocks live in the docs page that explains them"
