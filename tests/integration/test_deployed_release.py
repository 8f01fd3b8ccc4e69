"""R20 on the deployed stack: the zonal release's handlers, and (on AWS only) the deployment group itself.

The emulator deploys the two release functions and CDK's provider framework around them; it cannot model CodeDeploy
(no CloudFormation model in moto) or run a custom resource's Lambda (Docker is absent), so those checks skip there
with the gap named (UNMODELLED_RESOURCES in tests/integration/emulator.py).
"""

from __future__ import annotations

import pytest

from payment_failover.components.delivery.zonal_release import HANDLER_RUNTIME
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def _release_functions(deployment: Deployment) -> dict[str, dict[str, str]]:
    functions = deployment.client("lambda").list_functions()["Functions"]
    name = deployment.names.release
    return {f["Handler"]: f for f in functions if f.get("Description", "").startswith(f"{name}: ")}


def test_r20_the_release_handlers_are_deployed_with_their_code(deployment: Deployment) -> None:
    functions = _release_functions(deployment)
    assert sorted(functions) == ["release.is_complete", "release.on_event"]
    assert {f["Runtime"] for f in functions.values()} == {HANDLER_RUNTIME.name}


def test_r20_the_deployment_group_releases_one_az_at_a_time_under_its_alarms(deployment: Deployment) -> None:
    deployment.not_emulated("AWS::CodeDeploy::DeploymentGroup")
    codedeploy = deployment.client("codedeploy")
    name = deployment.names.release
    group = codedeploy.get_deployment_group(applicationName=name, deploymentGroupName=name)["deploymentGroupInfo"]
    assert group["alarmConfiguration"]["enabled"] is True
    assert len(group["alarmConfiguration"]["alarms"]) == 10
    assert group["autoScalingGroups"][0]["hook"]  # CodeDeploy's launch hook: new instances get the last release
    config = codedeploy.get_deployment_config(deploymentConfigName=group["deploymentConfigName"])[
        "deploymentConfigInfo"
    ]
    zonal = config["zonalConfig"]
    assert zonal["firstZoneMonitorDurationInSeconds"] == deployment.settings.first_zone_bake_seconds
    assert zonal["monitorDurationInSeconds"] == deployment.settings.zone_bake_seconds
