"""Issue 18: no function of the package is longer than a screen (60 lines, `def` to last line).

A construct's constructor that grows past that is split into private steps named for what each builds, so a
reader finds a resource by the step that creates it; tests/unit/test_layering.py keeps the imports in order.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.cli import ROOT

MAX_LINES = 60


def test_no_function_of_the_package_is_longer_than_a_screen() -> None:
    long = []
    for path in sorted((ROOT / "payment_failover").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    long.append(f"{Path(path).relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
