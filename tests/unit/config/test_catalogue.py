"""The AWS catalogue the settings check against (regions, Route 53 checker regions, instance types) is exactly
what the pinned botocore ships: a botocore bump without `make catalogue` fails here, not at a user's deploy."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from payment_failover.config import geography
from payment_failover.config.instance_types import known_instance_types

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_catalogue", ROOT / "scripts" / "refresh_catalogue.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_catalogue_is_what_the_pinned_botocore_ships() -> None:
    generator = _generator()
    assert geography.CATALOGUE.read_text(encoding="utf-8") == generator.render(generator.build()), "run make catalogue"


def test_the_catalogue_is_botocore_pinned_in_requirements_dev() -> None:
    pins = dict(
        line.split("==", 1) for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if "==" in line
    )
    assert json.loads(geography.CATALOGUE.read_text())["source"].startswith(f"botocore {pins['botocore']} ")


def test_the_catalogue_holds_what_the_defaults_need() -> None:
    assert "eu-central-1" in geography.commercial_regions()
    assert {"t3.small", "m7g.large"} <= known_instance_types()
    assert {"us-east-1", "eu-west-1", "ap-southeast-1"} <= set(geography.route53_checker_regions())
