"""Release one revision of the service through its CodeDeploy deployment group, and wait until it is out (R20).

The two handlers of a CloudFormation custom resource behind CDK's provider framework: `on_event` starts the
deployment, `is_complete` is asked again every poll until the deployment has succeeded, and raises when it failed
or stopped, which fails the resource and so rolls the stack back. The stack therefore finishes only once the new
version has crossed every Availability Zone and its bakes; a standby region deployed after this stack starts
only then.

- The group's own zonal configuration, alarms and automatic rollback govern the deployment; this code only
  starts it and reports how it ended. CodeDeploy rolls a failed or stopped deployment back by itself.
- A revision the group has already deployed successfully is not deployed again: that is also what makes the
  stack's own rollback safe (CloudFormation sends the previous properties back as an Update). If a deployment is
  still running then (CodeDeploy's rollback of the failed one), the resource waits for it.
- The group's very first release (no successful deployment yet, only at stack creation, when nothing serves)
  uses the `first_release_config` (all instances at once); every later one, the group's zonal configuration.

Runs in AWS Lambda with the SDK its Python runtime ships; tests hand in a fake client.
"""

from __future__ import annotations

from typing import Any, Protocol

ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
FAILED = ("Failed", "Stopped")


class CodeDeploy(Protocol):
    def get_deployment_group(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_deployment(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_deployments(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_deployment(self, **kwargs: Any) -> dict[str, Any]: ...


def _client() -> CodeDeploy:
    import boto3  # type: ignore[import-untyped]  # the Lambda runtime's SDK

    client: CodeDeploy = boto3.client("codedeploy")
    return client


def on_event(event: dict[str, Any], context: Any = None, client: CodeDeploy | None = None) -> dict[str, Any]:
    """Create/Update: start a deployment of the revision, unless the group already runs it; Delete: nothing."""
    props = event["ResourceProperties"]
    physical_id = f"{props['ApplicationName']}/{props['DeploymentGroupName']}"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    codedeploy = client or _client()
    group = _group(codedeploy, props)
    revision = _revision(props)
    last = group.get("lastSuccessfulDeployment") or {}
    if last.get("deploymentId") and _deployed_revision(codedeploy, last["deploymentId"]) == revision["s3Location"]:
        running = _running(codedeploy, props)
        data = {"DeploymentId": running or "", "Revision": revision["s3Location"]["key"]}
        return {"PhysicalResourceId": physical_id, "Data": data}
    config = props["FirstReleaseConfig"] if not last.get("deploymentId") else group["deploymentConfigName"]
    created = codedeploy.create_deployment(
        applicationName=props["ApplicationName"],
        deploymentGroupName=props["DeploymentGroupName"],
        revision=revision,
        deploymentConfigName=config,
        description=f"Release {revision['s3Location']['key']} by CloudFormation stack {event.get('StackId', '?')}",
    )
    data = {"DeploymentId": created["deploymentId"], "Revision": revision["s3Location"]["key"]}
    return {"PhysicalResourceId": physical_id, "Data": data}


def is_complete(event: dict[str, Any], context: Any = None, client: CodeDeploy | None = None) -> dict[str, Any]:
    """True once the deployment succeeded; raises when it failed or was stopped (the stack then rolls back)."""
    deployment_id = (event.get("Data") or {}).get("DeploymentId")
    if event["RequestType"] == "Delete" or not deployment_id:
        return {"IsComplete": True}
    codedeploy = client or _client()
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    status = info["status"]
    if status == "Succeeded":
        return {"IsComplete": True}
    if status in FAILED:
        error = info.get("errorInformation") or {}
        rollback = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
        detail = f"{error.get('code', 'no code')}: {error.get('message', 'no message')}"
        after = f"; CodeDeploy's rollback deployment {rollback}" if rollback else ""
        raise RuntimeError(f"deployment {deployment_id} {status.lower()} ({detail}){after}")
    return {"IsComplete": False}


def _group(codedeploy: CodeDeploy, props: dict[str, Any]) -> dict[str, Any]:
    answer = codedeploy.get_deployment_group(
        applicationName=props["ApplicationName"], deploymentGroupName=props["DeploymentGroupName"]
    )
    group: dict[str, Any] = answer["deploymentGroupInfo"]
    return group


def _revision(props: dict[str, Any]) -> dict[str, Any]:
    location = {"bucket": props["Bucket"], "key": props["Key"], "bundleType": "zip"}
    return {"revisionType": "S3", "s3Location": location}


def _deployed_revision(codedeploy: CodeDeploy, deployment_id: str) -> dict[str, Any]:
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    location = dict((info.get("revision") or {}).get("s3Location") or {})
    return {key: location.get(key) for key in ("bucket", "key", "bundleType")}


def _running(codedeploy: CodeDeploy, props: dict[str, Any]) -> str | None:
    """A deployment of the group still under way (the newest first), such as CodeDeploy's own rollback."""
    answer = codedeploy.list_deployments(
        applicationName=props["ApplicationName"],
        deploymentGroupName=props["DeploymentGroupName"],
        includeOnlyStatuses=list(ACTIVE),
    )
    deployments: list[str] = answer.get("deployments") or []
    return deployments[0] if deployments else None
