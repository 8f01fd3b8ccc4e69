"""The package's layers (issue 18): imports run one way, from the composition down to the conventions.

stage / application → stacks → components → compliance, config, names, tagging; pipeline → stage; tools read
synthesized templates and are imported by nothing that synthesizes. config/ imports neither aws_cdk nor jsii, so a
refused setting answers before the CDK starts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import ROOT

PACKAGE = ROOT / "payment_failover"
# What each layer may import from the package (besides itself).
ALLOWED = {
    "config": {"config"},
    "compliance": {"compliance"},
    "names": set(),
    "tagging": set(),
    "components": {"components", "compliance", "config", "names"},
    "stacks": {"stacks", "components", "compliance", "config", "names", "tagging"},
    "stage": {"stacks", "components", "compliance", "config", "names", "tagging"},
    "pipeline": {"pipeline", "stage", "compliance", "config", "names", "tagging", "components"},
    "application": {"stage", "pipeline", "config"},
    "tools": {"tools", "components", "compliance", "config", "names", "stage", "application"},
}


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    names += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    return {name.split(".")[1] for name in names if name.startswith("payment_failover.") and name.count(".") >= 1}


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py" or path.parent != PACKAGE)


@pytest.mark.parametrize("module", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_run_one_way(module: Path) -> None:
    layer = _layer(module)
    if layer not in ALLOWED:
        pytest.fail(f"{module.relative_to(ROOT)} is in no declared layer: add it to ALLOWED with its rule")
    assert _imported_layers(module) <= ALLOWED[layer], f"{module.relative_to(ROOT)} imports across its layer"


def test_the_settings_path_loads_neither_aws_cdk_nor_jsii() -> None:
    """What app.py imports before it validates: a refused setting must not wait for the CDK to start."""
    probe = (
        "import sys, app\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules if m.startswith(('aws_cdk', 'jsii', 'constructs'))})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
