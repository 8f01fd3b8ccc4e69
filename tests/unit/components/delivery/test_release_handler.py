"""R20: the custom resource that starts a zonal release and holds the stack until it is out, run against a fake
CodeDeploy client with the shapes of CodeDeploy's API (GetDeploymentGroup's lastSuccessfulDeployment, GetDeployment's
status, revision, errorInformation and rollbackInfo: https://docs.aws.amazon.com/codedeploy/latest/APIReference/).

What cannot run here: CDK's provider framework that calls these handlers (Lambda, Step Functions), and CodeDeploy.
"""

from __future__ import annotations

from typing import Any

import pytest

from payment_failover.components.delivery.runtime import release

PROPS = {
    "ApplicationName": "payment-failover-dev",
    "DeploymentGroupName": "payment-failover-dev",
    "Bucket": "cdk-assets",
    "Key": "new.zip",
    "FirstReleaseConfig": "CodeDeployDefault.AllAtOnce",
}


class FakeCodeDeploy:
    """Deployments by id; the group's last successful one; what was created."""

    def __init__(self, *, last_key: str | None = None, running: tuple[str, ...] = ()) -> None:
        self.deployments: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []
        self.running = list(running)
        self.last = None
        if last_key is not None:
            self.last = self._add("d-LAST", "Succeeded", last_key)

    def _add(self, deployment_id: str, status: str, key: str) -> str:
        location = {"bucket": "cdk-assets", "key": key, "bundleType": "zip"}
        self.deployments[deployment_id] = {
            "deploymentId": deployment_id,
            "status": status,
            "revision": {"revisionType": "S3", "s3Location": location},
        }
        return deployment_id

    def get_deployment_group(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs == {
            "applicationName": PROPS["ApplicationName"],
            "deploymentGroupName": PROPS["DeploymentGroupName"],
        }
        info: dict[str, Any] = {"deploymentConfigName": "payment-failover-dev-zonal"}
        if self.last:
            info["lastSuccessfulDeployment"] = {"deploymentId": self.last, "status": "Succeeded"}
        return {"deploymentGroupInfo": info}

    def get_deployment(self, **kwargs: Any) -> dict[str, Any]:
        return {"deploymentInfo": self.deployments[kwargs["deploymentId"]]}

    def list_deployments(self, **kwargs: Any) -> dict[str, Any]:
        assert set(kwargs["includeOnlyStatuses"]) >= {"Created", "Queued", "InProgress"}
        return {"deployments": self.running}

    def create_deployment(self, **kwargs: Any) -> dict[str, Any]:
        self.created.append(kwargs)
        return {
            "deploymentId": self._add(
                f"d-NEW{len(self.created)}", "InProgress", kwargs["revision"]["s3Location"]["key"]
            )
        }


def _event(request: str, **extra: Any) -> dict[str, Any]:
    return {"RequestType": request, "ResourceProperties": PROPS, "StackId": "arn:aws:cloudformation:stack/x", **extra}


def test_r20_a_new_revision_starts_a_release_through_the_groups_zonal_configuration() -> None:
    fake = FakeCodeDeploy(last_key="old.zip")
    answer = release.on_event(_event("Update"), client=fake)
    (created,) = fake.created
    assert created["deploymentConfigName"] == "payment-failover-dev-zonal"
    assert created["revision"] == {
        "revisionType": "S3",
        "s3Location": {"bucket": "cdk-assets", "key": "new.zip", "bundleType": "zip"},
    }
    assert answer == {
        "PhysicalResourceId": "payment-failover-dev/payment-failover-dev",
        "Data": {"DeploymentId": "d-NEW1", "Revision": "new.zip"},
    }


def test_r20_the_groups_first_release_goes_to_every_instance_at_once() -> None:
    """At stack creation nothing serves yet; there is no good version to protect."""
    fake = FakeCodeDeploy()
    release.on_event(_event("Create"), client=fake)
    assert fake.created[0]["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"


def test_r20_the_stack_waits_while_the_release_runs_and_finishes_when_it_succeeded() -> None:
    fake = FakeCodeDeploy(last_key="old.zip")
    started = release.on_event(_event("Update"), client=fake)
    check = _event("Update", **started)
    assert release.is_complete(check, client=fake) == {"IsComplete": False}
    fake.deployments["d-NEW1"]["status"] = "Baking"
    assert release.is_complete(check, client=fake) == {"IsComplete": False}
    fake.deployments["d-NEW1"]["status"] = "Succeeded"
    assert release.is_complete(check, client=fake) == {"IsComplete": True}


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_r20_a_failed_or_alarm_stopped_release_fails_the_stack_with_codedeploys_reason(status: str) -> None:
    """The resource fails, so CloudFormation rolls the stack update back; CodeDeploy rolls the fleet back itself."""
    fake = FakeCodeDeploy(last_key="old.zip")
    check = _event("Update", **release.on_event(_event("Update"), client=fake))
    fake.deployments["d-NEW1"].update(
        status=status,
        errorInformation={"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated"},
        rollbackInfo={"rollbackDeploymentId": "d-ROLLBACK"},
    )
    with pytest.raises(RuntimeError) as failed:
        release.is_complete(check, client=fake)
    assert str(failed.value) == (
        f"deployment d-NEW1 {status.lower()} (ALARM_ACTIVE: One or more alarms have been activated); "
        "CodeDeploy's rollback deployment d-ROLLBACK"
    )


def test_r20_the_stacks_own_rollback_deploys_nothing_and_waits_for_codedeploys_rollback() -> None:
    """CloudFormation sends the previous properties back as an Update; the group already runs that revision (its
    last success), so nothing is deployed, and the resource waits for the rollback deployment still running."""
    fake = FakeCodeDeploy(last_key="new.zip", running=("d-ROLLBACK",))
    fake._add("d-ROLLBACK", "InProgress", "new.zip")
    answer = release.on_event(_event("Update"), client=fake)
    assert fake.created == []
    assert answer["Data"]["DeploymentId"] == "d-ROLLBACK"
    assert release.is_complete(_event("Update", **answer), client=fake) == {"IsComplete": False}


def test_r20_a_revision_already_out_is_not_released_again() -> None:
    fake = FakeCodeDeploy(last_key="new.zip")
    answer = release.on_event(_event("Update"), client=fake)
    assert fake.created == []
    assert release.is_complete(_event("Update", **answer), client=fake) == {"IsComplete": True}


def test_r20_deleting_the_stack_deploys_nothing() -> None:
    fake = FakeCodeDeploy(last_key="old.zip")
    answer = release.on_event(_event("Delete", PhysicalResourceId="p"), client=fake)
    assert (answer, fake.created) == ({"PhysicalResourceId": "p"}, [])
    assert release.is_complete(_event("Delete"), client=fake) == {"IsComplete": True}
