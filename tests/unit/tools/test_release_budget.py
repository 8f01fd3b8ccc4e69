"""R20: the zonal release's rows of `make budget`, computed from the shipped template, and a release that cannot
finish inside CloudFormation's hour marked missed (which makes `make budget` fail)."""

from __future__ import annotations

import copy
from typing import Any

from payment_failover.tools.budget import Line
from payment_failover.tools.release_budget import release_lines
from tests.helpers.synth import SynthesizedStage


def _rows(template: dict[str, Any]) -> dict[str, Line]:
    return {line.what: line for line in release_lines(template)}


def test_r20_the_default_release_crosses_three_azs_with_its_bakes_inside_the_hour(
    default_stage: SynthesizedStage,
) -> None:
    rows = _rows(default_stage.service.to_json())
    # 30 s deregistration + 35 s stop + 40 s install and start + 2 x 30 s health checks.
    assert rows["release: one instance out and back"].value == 165
    # 3 AZs x 2 instances x 165 s + 600 s + 2 x 300 s of bakes; at the maximum of 9, 3 per AZ.
    assert rows["release: a new version crosses every AZ (at rest)"].value == 3 * 2 * 165 + 1200
    assert rows["release: a new version crosses every AZ (group at its maximum)"].value == 3 * 3 * 165 + 1200
    assert rows["release: a bad version's first alarm fires after"].value == 120
    # The alarm fires before the second instance of the first AZ has its turn: one of six serves the bad version.
    assert rows["release: instances that can run a bad version before it is stopped"].value == 1
    assert rows["release: share of requests a bad version can answer before it is stopped"].value == 17
    assert rows["planned stop: time requests in flight get to finish"].value == 30
    assert all(line.met for line in rows.values())


def test_r20_a_release_longer_than_cloudformations_wait_is_missed(default_stage: SynthesizedStage) -> None:
    template = copy.deepcopy(default_stage.service.to_json())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CodeDeploy::DeploymentConfig":
            resource["Properties"]["ZonalConfig"]["FirstZoneMonitorDurationInSeconds"] = 3000
    row = _rows(template)["release: a new version crosses every AZ (at rest)"]
    assert (row.value, row.met) == (3 * 2 * 165 + 3000 + 600, False)


def test_r20_a_template_without_a_release_has_no_release_rows() -> None:
    assert release_lines({"Resources": {}}) == []
